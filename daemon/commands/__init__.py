"""One module per `watchkeeper` subcommand, each with register() and run().

The CLI's own layer: exit codes, printing and process control live here and in cli.py only.
May import: every sub-package of daemon (the run command composes the daemon from them).
"""
