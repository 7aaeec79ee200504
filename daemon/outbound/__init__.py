"""Mail going out: the outbox (planning, one row per mail), replies and alerts decided
for incoming mail, bounces of our own mail, templates, and delivery through the SMTP
adapter.

May import: adapters, rules, store, process.clock, inbound.work, duties.alerts (the one way
to alert the operators), parsers, models, config.
"""
