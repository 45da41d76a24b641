"""User-facing errors.

A `FaceganError` is a mistake the user can fix (bad config, missing data, wrong path). The CLI
prints its message on one line and exits with status 2, without a traceback; so it does for the
operating system refusing a file (`describe_os_error`: no permission, a full disk, a path through
a file). Anything else is a bug: one line and exit status 1, its traceback under --verbose.
"""

import errno


class FaceganError(Exception):
    """An error caused by user input; the message says what is wrong and how to fix it."""

    exit_code = 2  # the command line's exit status for it


def first_line(error: BaseException, limit: int = 160) -> str:
    """The first line of ``error``'s message (its type's name when empty), for one-line
    messages that quote a library's error."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:limit]


# what to do when the operating system refuses a path for one of these reasons
OS_ERROR_FIXES = {
    errno.EACCES: "check its permissions, or write somewhere else",
    errno.EPERM: "check its permissions, or write somewhere else",
    errno.EROFS: "the filesystem is read-only; write somewhere else",
    errno.ENOSPC: "free some disk space, or write somewhere else",
    errno.EDQUOT: "the disk quota is used up; free some space, or write somewhere else",
    errno.EFBIG: "the file is larger than this system allows; write somewhere else",
    errno.ENOTDIR: "a part of the path is a file, not a folder; choose another path",
    errno.EEXIST: "a file is in the way of a folder; choose another path",
    errno.EISDIR: "it is a folder; name a file instead",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter path",
}


# errors about the disk rather than a path: a failed write reports them without a file name
DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)


def describe_os_error(error: OSError) -> str | None:
    """One line for an operating-system error that the user can fix (no permission, no space
    left, a file where a folder should be); None for any other."""
    fix = OS_ERROR_FIXES.get(error.errno)
    if fix is None or (error.filename is None and error.errno not in DISK_ERRORS):
        return None
    what = error.strerror or errno.errorcode[error.errno]
    if error.filename is None:
        return f"writing a file failed: {what}; {fix}"
    return f"{error.filename}: {what}; {fix}"
