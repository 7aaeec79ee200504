"""Due work the scheduler wakes up: reminders and call prompts, the daily digest, the
ping test of the directory.

May import: cases, outbound, rules, store, parsers, models, config.
"""
