"""The ``facegan`` Typer app, its global options and the entry point that turns user mistakes
(`FaceganError`) into one line and exit status 2."""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Annotated, Optional

import typer

from facegan import __version__
from facegan.errors import FaceganError

app = typer.Typer(
    name="facegan",
    help="Train, evaluate and serve generative models of faces.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Overrides = Annotated[
    Optional[list[str]],
    typer.Option("--set", "-s", metavar="KEY=VALUE",
                 help="Override a config value, e.g. --set train.epochs=3 (repeatable)."),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"facegan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="facegan: %(message)s", stream=sys.stderr, force=True)
    for noisy in ("matplotlib", "PIL", "urllib3", "onnx_ir", "onnxscript"):
        logging.getLogger(noisy).setLevel(logging.WARNING)



def main(argv: list[str] | None = None) -> None:
    """Entry point: user mistakes (FaceganError) print one line and exit 2; any other error
    (a bug we did not foresee) one line and exit 1, its traceback only with --verbose."""
    args = sys.argv[1:] if argv is None else argv
    try:
        app(args=args, prog_name="facegan")
    except FaceganError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)
        sys.exit(130)
    except Exception as exc:
        if "--verbose" in args or "-v" in args:
            traceback.print_exc()
        lines = str(exc).strip().splitlines()
        detail = f": {lines[0][:200]}" if lines else ""
        typer.echo(f"error: unexpected {type(exc).__name__}{detail} (a facegan bug, or a "
                   "problem it does not recognise yet: run again with --verbose for the "
                   "traceback, and report it)", err=True)
        sys.exit(1)
