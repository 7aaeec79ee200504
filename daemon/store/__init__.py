"""The database: engines and sessions, the audit trail, the directory as stored, the
daemon instances' heartbeats.

May import: parsers, models, config.
"""
