"""User-facing errors.

A `FaceganError` is a mistake the user can fix (bad config, missing data, wrong path). The CLI
prints its message on one line and exits with status 2, without a traceback. Anything else is a
bug and keeps its traceback.
"""


class FaceganError(Exception):
    """An error caused by user input; the message says what is wrong and how to fix it."""

    exit_code = 2  # the command line's exit status for it


def first_line(error: BaseException, limit: int = 160) -> str:
    """The first line of ``error``'s message (its type's name when empty), for one-line
    messages that quote a library's error."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:limit]
