"""One module per `watchkeeper` subcommand, each with register() and run()."""
