"""Cases: opening, the state machine of their transitions, deadlines, references, and
the triage items an operator turns into a case or dismisses.

May import: outbound (to plan a partner's confirmation), store, rules, parsers, models,
config.
"""
