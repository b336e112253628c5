"""The one exception type for bad user input, and the helpers that raise it."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A problem with the user's input, told in one sentence.

    The message names the file, the field and the fix. The command-line interface prints it
    without a traceback and exits with code 2.
    """

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def require_file(path: str | Path, what: str) -> Path:
    """Return ``path`` as a `Path`, or raise `InputError` when no such file exists.

    Parameters
    ----------
    path
        The path the user gave.
    what
        What the file should hold, for the message (e.g. ``"road line layer"``).
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; check the path of the {what}.")
    if p.is_dir() and p.suffix.lower() not in {".gdb"}:
        raise InputError(f"{p}: is a folder, not a file; give the path of the {what}.")
    return p
