"""Safe output: atomic writes, run manifests, and the rule that only our own outputs are replaced.

Outputs are ours to replace, nothing else is:

- A **folder output** (``lifecircle run``, ``demo``, ``compare``) is written whole into a hidden
  staging folder ``.<name>.XXXX`` beside the target and moved into place only when complete
  (`staged_folder`). It carries a manifest, `MANIFEST`, listing the tool, its version, the kind
  of output (``run``, ``compare``, ``demo``), the files written with their sizes and SHA-256, and
  when. An existing folder is replaced only when it carries our manifest **and** holds nothing
  the manifest does not list (a ``notes.docx`` dropped into a run folder makes it the user's:
  the command refuses and names the file). An empty folder may be used; an existing file is
  never replaced by a folder.
- A **single-file output** (``--out`` of ``coverage``, ``site``, ``network``, ``facilities``,
  ``demand`` and the coverage CSV) is written under a temporary name and renamed, together with
  a small sidecar `sidecar_path` (``.<name>.lifecircle.json``) recording its SHA-256
  (`owned_file`). An existing file is replaced only when its sidecar says we wrote it and the
  SHA-256 still matches, i.e. the user has not edited it since.
- Everything else is refused before any computation (`preflight_output`) with exit code 2, and
  left untouched: a foreign file or folder, a path under a file, a folder that does not accept
  new files (``/proc``, ``/sys``, read-only mounts — found by creating and removing a probe file).

Interruptions (Ctrl-C, SIGTERM) raise `Interrupted` through `interruptible`; every staging
folder and temporary file is removed on the way out, and the two renames that swap a new run
folder in for the previous one are never split by a signal (`_critical`), so the target is never
missing: either the previous output or the complete new one is in place.

No formula injection in any CSV we write: text that a spreadsheet would evaluate (``=``, ``+``,
``-``, ``@``, tab, CR at the start, and not a plain number) gets a leading ``'``
(`neutralize_formulas`); `restore_formulas` takes that one guard off when we read our CSV back.
Every CSV writer of the package (facilities, demand, sites, indicators) goes through it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .common import (  # noqa: F401 (atomic_path and the signals are part of this module's API)
    InputError,
    Interrupted,
    Msg,
    atomic_path,
    critical_section,
    interruptible,
    remove_path,
    temp_name,
)

if TYPE_CHECKING:  # the formula guard's tables; imported where used, so the CLI starts without them
    import numpy as np
    import pandas as pd

#: Name of the manifest inside every folder lifecircle writes.
MANIFEST = ".lifecircle.json"
#: Kinds of folder output.
FOLDER_KINDS = ("run", "compare", "demo")
#: Files an operating system drops into any folder it shows; they never make a folder the user's.
OS_JUNK = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_TOOL = "lifecircle"


# -- ownership ---------------------------------------------------------------------------------------


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sidecar_path(path: str | Path) -> Path:
    """The sidecar manifest of a single-file output: ``.<name>.lifecircle.json`` beside it."""
    path = Path(path)
    return path.with_name(f".{path.name}.lifecircle.json")


def _stamp(kind: str) -> dict:
    from importlib import metadata

    try:
        version = metadata.version(_TOOL)
    except metadata.PackageNotFoundError:
        version = None
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    return {"tool": _TOOL, "version": version, "kind": kind, "created": now}


def read_manifest(folder: str | Path) -> dict | None:
    """The manifest of a folder lifecircle wrote, or None when it has none (or not ours)."""
    try:
        doc = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("tool") != _TOOL or not isinstance(doc.get("files"), dict):
        return None
    return doc


def write_manifest(folder: str | Path, kind: str, meta: dict | None = None) -> dict:
    """Write `MANIFEST` into ``folder``, listing every file in it (relative path: bytes, sha256)."""
    folder = Path(folder)
    files = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name != MANIFEST:
            files[p.relative_to(folder).as_posix()] = {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
    doc = {**_stamp(kind), **(meta or {}), "files": files}
    (folder / MANIFEST).write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return doc


def foreign_entry(folder: str | Path) -> str | None:
    """The first entry of ``folder`` its manifest does not account for (None: all ours, or empty).

    A folder without our manifest is foreign as soon as it holds anything (except `OS_JUNK`).
    """
    folder = Path(folder)
    doc = read_manifest(folder)
    listed = set(doc["files"]) if doc else set()
    parents = {q.as_posix() for name in listed for q in Path(name).parents} - {"."}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.name in OS_JUNK or (doc is not None and rel == MANIFEST):
            continue
        if rel in listed and p.is_file() and not p.is_symlink():
            continue
        if rel in parents and p.is_dir() and not p.is_symlink():
            continue
        return rel
    return None


def _file_is_ours(path: Path) -> bool:
    """True when the sidecar of ``path`` says we wrote it and its SHA-256 still matches."""
    try:
        doc = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
        return (
            doc.get("tool") == _TOOL
            and doc.get("file") == path.name
            and doc.get("bytes") == path.stat().st_size
            and doc.get("sha256") == file_sha256(path)
        )
    except (OSError, ValueError, AttributeError):
        return False


# -- checks ------------------------------------------------------------------------------------------


def preflight_output(path: str | Path, kind: str = "file", *, option: str = "--out") -> Path:
    """Check, before any computation, that an output can be written at ``path`` and may replace it.

    Parameters
    ----------
    path
        The output path the user gave.
    kind
        ``"file"`` for a single-file output, else the folder kind (``run``, ``compare``, ``demo``).
    option
        The option that named the path, for the message.

    Returns
    -------
    Path
        The path (a symbolic link is resolved to the place it points at).

    Raises
    ------
    InputError
        The path lies under a file or where nothing can be written (``/proc``, ``/sys``, a
        read-only folder), or it holds a file or folder lifecircle did not write.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    full = Path(os.path.abspath(path))
    ancestor = full.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError("files.out_under_file", path=path, option=option, ancestor=ancestor)
    try:
        fd, probe = tempfile.mkstemp(prefix=".lifecircle-probe-", dir=ancestor)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise InputError(
            "files.out_unwritable", path=path, option=option, ancestor=ancestor, reason=reason
        ) from None
    if kind == "file":
        check_file_replaceable(path, option=option)
    else:
        check_folder_replaceable(path, option=option)
    return path


def check_folder_replaceable(path: str | Path, *, option: str = "--out") -> None:
    """Raise `InputError` unless ``path`` is absent, an empty folder, or a folder wholly ours."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if not path.is_dir():
        raise InputError("files.out_file_not_folder", path=path, option=option)
    foreign = foreign_entry(path)
    if foreign is None:
        return
    if read_manifest(path) is None:
        raise InputError(
            "files.out_foreign_folder", path=path, option=option, entry=foreign, manifest=MANIFEST
        )
    raise InputError("files.out_foreign_entry", path=path, option=option, entry=foreign)


def check_file_replaceable(path: str | Path, *, option: str = "--out") -> None:
    """Raise `InputError` unless ``path`` is absent or a file we wrote that nobody edited since."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return
    if path.is_dir():
        raise InputError("files.out_folder_not_file", path=path, option=option)
    if _file_is_ours(path):
        return
    if sidecar_path(path).exists():
        raise InputError("files.out_changed", path=path, option=option)
    raise InputError("files.out_foreign_file", path=path, option=option)


# -- writing -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def owned_file(target: str | Path, *, option: str = "--out") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success move it and its sidecar into place.

    ``target`` is checked like `preflight_output` first (a foreign file is refused) and again
    just before it is replaced. The temporary name keeps the suffix, so writers that choose a
    format by suffix work unchanged.
    """
    target = _absolute(target)
    check_file_replaceable(target, option=option)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(target)
    side = tmp.with_name(f"{tmp.name}.lifecircle.json")
    try:
        yield tmp
        doc = {
            **_stamp("file"),
            "file": target.name,
            "bytes": tmp.stat().st_size,
            "sha256": file_sha256(tmp),
        }
        side.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        with critical_section():
            check_file_replaceable(target, option=option)
            os.replace(tmp, target)
            os.replace(side, sidecar_path(target))
    finally:
        remove_path(tmp)
        remove_path(side)


@contextlib.contextmanager
def staged_folder(
    target: str | Path, kind: str = "run", *, meta: dict | None = None, option: str = "--out"
) -> Iterator[Path]:
    """Yield a hidden staging folder beside ``target``; on success it replaces ``target`` whole.

    The new folder gets its `MANIFEST` (``kind`` and ``meta`` recorded). ``target`` may be
    replaced only when `check_folder_replaceable` allows it, checked before staging and again
    just before the swap. The swap renames the previous folder aside, the new one into place,
    then removes the previous one; a signal is deferred until both renames are done and a failed
    second rename puts the previous folder back. Staging and set-aside folders are removed in
    every path.
    """
    target = _absolute(target)
    check_folder_replaceable(target, option=option)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp: Path | None = None
    old: Path | None = None
    keep_old = False  # True only if the previous folder could not be put back: never delete it then
    try:
        with critical_section(late=False):  # a signal cannot fall between making the folder and owning it
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        tmp.chmod(0o755)
        yield tmp
        write_manifest(tmp, kind, meta)
        with critical_section():
            check_folder_replaceable(target, option=option)
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
                os.rename(target, old)  # onto the empty folder just made
                try:
                    os.rename(tmp, target)
                except BaseException:
                    try:
                        os.rename(old, target)
                    except OSError:
                        keep_old = True
                    raise
            else:
                os.rename(tmp, target)
    finally:
        if tmp is not None:
            remove_path(tmp)
        if old is not None and not keep_old:
            remove_path(old)


def _absolute(path: str | Path) -> Path:
    """``path`` made absolute and normalized (``.``, ``..``), a symbolic link resolved to its target.

    Staging happens beside the target, so ``--out .`` must stage in the parent folder, not inside.
    """
    path = Path(path)
    return path.resolve() if path.is_symlink() else Path(os.path.abspath(path))


# -- the CSV formula guard ---------------------------------------------------------------------------

#: First characters that make a spreadsheet read a text cell as a formula (OWASP CSV injection).
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"


def formula_like(values: pd.Series | Sequence[object]) -> np.ndarray:
    """Mask of the text cells a spreadsheet would evaluate as a formula.

    Parameters
    ----------
    values
        One column; only its text cells can be flagged (numbers, NaN and other objects never).

    Returns
    -------
    numpy.ndarray
        Boolean mask: the cell is text starting with one of `FORMULA_START` and is not a plain
        number such as ``-3.5`` or ``+7``.
    """
    import numpy as np
    import pandas as pd

    s = pd.Series(values, dtype=None if isinstance(values, pd.Series) else object)
    if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
        return np.zeros(len(s), dtype=bool)
    try:
        text = s.str
    except AttributeError:  # an object column without any text
        return np.zeros(len(s), dtype=bool)
    starts = text.startswith(FORMULA_START).to_numpy(dtype=bool, na_value=False)
    if not starts.any():
        return starts
    number = text.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool, na_value=False)
    return starts & ~number


def neutralize_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with a ``'`` in front of every text cell and column name that looks like a formula.

    The rule is `formula_like`; a cell already starting with ``'`` is left alone, so applying it
    twice changes nothing. Other cells, numbers included, keep their values and types.
    """
    out = df.copy()
    for j in range(out.shape[1]):
        mask = formula_like(out.iloc[:, j])
        if mask.any():
            values = out.iloc[:, j].astype(object).to_numpy(copy=True)
            values[mask] = ["'" + str(v) for v in values[mask]]  # the flagged cells only
            out.isetitem(j, values)
    flagged = formula_like([c if isinstance(c, str) else None for c in out.columns])
    if flagged.any():
        out.columns = ["'" + c if f else c for c, f in zip(out.columns, flagged, strict=True)]
    return out


def restore_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Undo `neutralize_formulas` on a table read back from our CSV: drop the one guard ``'``.

    Only a text cell (or column name) that is ``'`` followed by text `formula_like` flags loses
    its first character; ``'abc``, ``'-3.5`` and numbers are kept as they are.
    """
    import numpy as np
    import pandas as pd

    out = df.copy()
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        if not (col.dtype == object or pd.api.types.is_string_dtype(col)):
            continue
        text = col.astype(object).to_numpy(copy=True)
        quoted = pd.Series(text, dtype=object).str.startswith("'").to_numpy(dtype=bool, na_value=False)
        if not quoted.any():
            continue
        rest = np.array([str(v)[1:] for v in text[quoted]], dtype=object)
        guard = np.flatnonzero(quoted)[formula_like(rest)]
        if guard.size:
            text[guard] = [str(v)[1:] for v in text[guard]]
            out.isetitem(j, text)
    names = [c if isinstance(c, str) else "" for c in out.columns]
    rest = [c[1:] if c.startswith("'") else "" for c in names]
    guard = formula_like(rest)
    if guard.any():
        out.columns = [c[1:] if g else c for c, g in zip(out.columns, guard, strict=True)]
    return out


# -- input files -------------------------------------------------------------------------------------


def require_file(path: str | Path, what: Msg) -> Path:
    """Return ``path`` as a `Path`, or raise `InputError` when no such file exists.

    Parameters
    ----------
    path
        The path the user gave.
    what
        What the file should hold, for the message: a catalogue message rendered in each
        language, such as ``Msg("what.road_layer")`` (the ``what.*`` ids name the common
        inputs).
    """
    p = Path(path)
    if not p.exists():
        raise InputError("files.no_such_file", path=p, what=what)
    if p.is_dir() and p.suffix.lower() not in {".gdb"}:
        raise InputError("files.is_folder", path=p, what=what)
    if p.suffix.lower() == ".shp":
        missing = [ext for ext in (".shx", ".dbf") if not _sibling(p, ext).exists()]
        if len(missing) == 1:
            raise InputError("files.shapefile_missing", path=p, ext=missing[0])
        if missing:
            raise InputError("files.shapefile_missing_two", path=p, first=missing[0], second=missing[1])
    return p


def _sibling(path: Path, ext: str) -> Path:
    """The file beside ``path`` with suffix ``ext``, in lower or upper case as it exists."""
    lower = path.with_suffix(ext)
    upper = path.with_suffix(ext.upper())
    return upper if not lower.exists() and upper.exists() else lower
