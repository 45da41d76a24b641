"""The ``facegan`` Typer app, its global options and the entry point that turns user mistakes
(`FaceganError`, a usage error, a file the operating system refuses) into one line and exit
status 2."""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import Annotated, Optional

import typer

from facegan import __version__
from facegan.errors import FaceganError, describe_os_error

app = typer.Typer(
    name="facegan",
    help="Train, evaluate and serve generative models of faces.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# click's exceptions, from wherever this typer takes click (recent versions vendor it)
click_errors = sys.modules[typer.BadParameter.__module__]

Overrides = Annotated[
    Optional[list[str]],
    typer.Option("--set", "-s", metavar="KEY=VALUE",
                 help="Override a config value, e.g. --set train.epochs=3 (repeatable)."),
]


MAX_SEED = 2**63 - 1  # seeds are in [0, 2**63), as run.seed


def device_option(value: str) -> str:
    """Check a --device value (cpu, cuda, cuda:N) here, so a typo is a usage error that says
    what to pass rather than an error from deep inside torch."""
    if re.fullmatch(r"cpu|cuda(:\d+)?|mps", value) is None:
        raise typer.BadParameter(f"{value!r} is not a device; use cpu or cuda (cuda:N for the "
                                 "N-th GPU)")
    return value


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
    """Entry point: user mistakes (FaceganError, a usage error, a path the operating system
    refuses) print one line and exit 2; any other error (a bug we did not foresee) one line and
    exit 1, its traceback only with --verbose."""
    args = sys.argv[1:] if argv is None else argv
    try:
        code = app(args=args, prog_name="facegan", standalone_mode=False)
    except click_errors.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `facegan`, `facegan data`: the help
            if exc.message.strip():  # (typer's rich help is printed already)
                typer.echo(exc.message, err=True)
            sys.exit(exc.exit_code)
        hint = f" (see {exc.ctx.command_path} -h)" if exc.ctx is not None else ""
        typer.echo(f"error: {_one_line(exc.format_message())}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click_errors.ClickException as exc:
        typer.echo(f"error: {_one_line(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except FaceganError as exc:
        typer.echo(f"error: {_escape_line_breaks(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("stopped", err=True)
        sys.exit(130)
    except Exception as exc:
        message = describe_os_error(exc) if isinstance(exc, OSError) else None
        if message is not None:
            typer.echo(f"error: {_escape_line_breaks(message)}", err=True)
            sys.exit(FaceganError.exit_code)
        if "--verbose" in args or "-v" in args:
            traceback.print_exc()
        lines = str(exc).strip().splitlines()
        detail = f": {lines[0][:200]}" if lines else ""
        typer.echo(f"error: unexpected {type(exc).__name__}{detail} (a facegan bug, or a "
                   "problem it does not recognise yet: run again with --verbose for the "
                   "traceback, and report it)", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _one_line(message: str) -> str:
    return " ".join(line.strip() for line in message.splitlines() if line.strip())


# what str.splitlines breaks at: a key or path the user typed may hold one (a CRLF script)
LINE_BREAKS = re.compile("[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def _escape_line_breaks(message: str) -> str:
    return LINE_BREAKS.sub(lambda match: repr(match.group())[1:-1], message.strip())
