"""User-facing errors.

A `FaceganError` is a mistake the user can fix (bad config, missing data, wrong path). The CLI
prints its message on one line and exits with status 2, without a traceback. Anything else is a
bug and keeps its traceback.
"""


class FaceganError(Exception):
    """An error caused by user input; the message says what is wrong and how to fix it."""

    exit_code = 2  # the command line's exit status for it
