"""watchkeeper daemon: the loops, the pipeline, the command line."""
