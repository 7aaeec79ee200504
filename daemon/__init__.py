"""watchkeeper daemon: the loops, the pipeline, the command line."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("watchkeeper")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
