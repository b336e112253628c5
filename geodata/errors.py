"""The one exception type for bad user input, and the helpers that raise it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: Chinese names of the inputs the code labels in English when it has no path to show.
LABELS_ZH = {
    "admin units": "行政单元",
    "demand table": "需求点表",
    "buildings table": "建筑表",
    "embedded Helsinki extract": "内置赫尔辛基数据",
}


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
    if p.suffix.lower() == ".shp":
        missing = [ext for ext in (".shx", ".dbf") if not _sibling(p, ext).exists()]
        if missing:
            raise InputError(
                f"{p}: the shapefile's {' and '.join(missing)} beside it is missing; copy the .shp, "
                ".shx, .dbf and .prj files together, or zip them into one .zip.",
                zh=f"{p}：缺少与该 Shapefile 配套的 {'、'.join(missing)} 文件；请将 .shp、.shx、.dbf 和 "
                ".prj 文件一并复制，或将它们打包为一个 .zip。",
            )
    return p


def _sibling(path: Path, ext: str) -> Path:
    """The file beside ``path`` with suffix ``ext``, in lower or upper case as it exists."""
    lower = path.with_suffix(ext)
    upper = path.with_suffix(ext.upper())
    return upper if not lower.exists() and upper.exists() else lower


def label_zh(where: str) -> str:
    """The Chinese name of an input labelled in English (`LABELS_ZH`); paths come back unchanged."""
    return LABELS_ZH.get(where, where)


def rows_zh(numbers: np.ndarray, unit: str = "行", limit: int = 5) -> str:
    """Up to ``limit`` 1-based row numbers for a Chinese message: ``第 2、4 行（另有 3 行）``.

    Parameters
    ----------
    numbers
        1-based row (or feature) numbers.
    unit
        What is counted: ``行`` (rows) or ``个要素`` (features).
    limit
        Numbers shown before the rest is counted.
    """
    import numpy as np

    numbers = np.asarray(numbers)
    shown = "、".join(str(int(n)) for n in numbers[:limit])
    more = f"（另有 {len(numbers) - limit} {unit}）" if len(numbers) > limit else ""
    return f"第 {shown} {unit}{more}"
