"""The command line: parse, call the library, print (``consortia --help``)."""

from consortia.cli.main import main

__all__ = ["main"]
