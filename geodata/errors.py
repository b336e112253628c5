"""The one exception type for bad user input, and the helpers that raise it."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """A problem with the user's input, told in one sentence, in Chinese and in English.

    The message names the file, the field and the fix. The command-line interface prints the
    Chinese sentence (the English one with ``--lang en``) without a traceback and exits with
    code 2.

    Parameters
    ----------
    message
        The English sentence (also the exception's ``str``).
    zh
        The same sentence in Chinese (``None``: the English one is shown in both languages).
    """

    exit_code = 2

    def __init__(self, message: str, zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.zh = zh

    def __reduce__(self):
        """Pickle both sentences (errors raised on Dask workers reach the client whole)."""
        return (type(self), (self.message, self.zh))

    def text(self, lang: str = "zh") -> str:
        """The sentence in ``lang`` (``zh`` or ``en``), English when no Chinese one was given."""
        return self.zh if lang != "en" and self.zh else self.message


def require_file(path: str | Path, what: str, *, what_zh: str = "文件") -> Path:
    """Return ``path`` as a `Path`, or raise `InputError` when no such file exists.

    Parameters
    ----------
    path
        The path the user gave.
    what
        What the file should hold, for the message (e.g. ``"road line layer"``).
    what_zh
        The same in Chinese, for the Chinese message (e.g. ``"道路线图层"``); a plain "文件" by
        default.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(
            f"{p}: no such file; check the path of the {what}.",
            zh=f"{p}：文件不存在；请检查{what_zh}的路径。",
        )
    if p.is_dir() and p.suffix.lower() not in {".gdb"}:
        raise InputError(
            f"{p}: is a folder, not a file; give the path of the {what}.",
            zh=f"{p}：这是文件夹而不是文件；请给出{what_zh}的路径。",
        )
    return p
