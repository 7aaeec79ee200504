"""The database: engines and sessions, the audit trail, the directory as stored.

May import: parsers, models, config.
"""
