"""The running process: the service loops, leadership, database outages, the scheduler
and its jobs, the command context, logging, the clock, and the exceptions that end a run
(mapped to exit codes by the run command alone).

May import: every sub-package of daemon except commands and demo.
"""
