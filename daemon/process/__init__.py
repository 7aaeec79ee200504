"""The running process: the service loops, leadership, the scheduler and its jobs, the
command context, logging, the clock.

May import: every sub-package of daemon except commands and demo.
"""
