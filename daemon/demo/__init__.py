"""`watchkeeper demo`: the real daemon on embedded mail servers, a scripted day.

May import: anything in daemon except commands.
"""
