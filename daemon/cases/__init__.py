"""Cases: opening, the state machine of their transitions, deadlines, references.

May import: outbound (to plan a partner's confirmation), store, rules, parsers, models,
config.
"""
