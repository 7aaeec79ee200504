"""Mail going out: the outbox (planning, one row per mail), replies and alerts decided
for incoming mail, templates, and delivery through the SMTP adapter.

May import: adapters, rules, store, process.clock, parsers, models, config.
"""
