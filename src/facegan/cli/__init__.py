"""The ``facegan`` command line: parse, load config, call the library. Nothing else.

Each module registers its subcommands on the one Typer app (`facegan.cli.app`); the library
behind a command is imported inside the command, so ``facegan --help`` stays fast.
"""

# the order of these imports is the order of the commands in --help
from facegan.cli import run  # noqa: F401, I001  (each module registers its commands)
from facegan.cli import serving  # noqa: F401
from facegan.cli import evaluation  # noqa: F401
from facegan.cli import data  # noqa: F401
from facegan.cli.app import app, main

__all__ = ["app", "main"]
