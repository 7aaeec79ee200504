"""Mail going out: the outbox (planning, one row per mail), replies and alerts decided
for incoming mail, bounces of our own mail, templates, and delivery through the SMTP
adapter.

May import: adapters, rules, store, process.clock, inbound.work, duties.alerts (the one way
to alert the operators), parsers, models, config. Never the case layer: what mail going
out changes in a case (held, released, acknowledged) goes through the state machine its
callers hand in (hooks.py).
"""
