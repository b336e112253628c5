"""What every room shares: the message catalogue, the input error, notes, assumptions, safe writing.

Every room (geodata, coverage, maps, scenarios) may import this module; it imports nothing of
the product and nothing heavy, so ``lifecircle --help`` stays light.

**Words live in the catalogue, not in the code.** Every sentence a planner reads (errors, notes,
labels, legends, units, citations, ``--help``) is an entry of the zh/en catalogue
(``geodata/messages/*.yaml``), keyed by a message id such as ``files.no_such_file``. The code
says what happened — ``InputError("files.no_such_file", path=p, what=Msg("what.road_layer"))`` —
and the catalogue says it in each language. Field values are rendered in the message's
language: a `Msg` (or anything with a ``text(lang)`` method, such as `Rows`) in that language,
a list or tuple joined with the ideographic comma in Chinese and ``, `` in English, anything else with
`str.format` (so a template may say ``{share:.1f}``).
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import signal
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

#: Languages of everything a planner reads: Chinese first, English with ``--lang en``.
LANGS = ("zh", "en")

# -- the catalogue -----------------------------------------------------------------------------------


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every message: id → ``{"zh": template, "en": template}``, read once from the YAML files.

    The merged catalogue is kept in the cache folder (``messages/``) under a hash of the files'
    names and contents, so a run reads one marshalled file (2 ms) instead of parsing the YAML
    (40 ms); an edited file changes the hash and is parsed again.

    Raises
    ------
    RuntimeError
        When two files define the same id or an entry lacks a language (a packaging bug, caught
        by the test suite).
    """
    folder = resources.files(__package__) / "messages"
    files = sorted((item for item in folder.iterdir() if item.name.endswith(".yaml")), key=lambda p: p.name)
    texts = [(item.name, item.read_bytes()) for item in files]
    digest = hashlib.sha1(usedforsecurity=False)
    for name, data in texts:
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    cached = _catalogue_entry(digest.hexdigest())
    if cached is not None and cached.exists():
        with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
            return marshal.loads(cached.read_bytes())
    merged = _parse_catalogue(texts)
    if cached is not None:
        with contextlib.suppress(OSError), atomic_path(cached) as tmp:
            tmp.write_bytes(marshal.dumps(merged))
    return merged


def _catalogue_entry(key: str) -> Path | None:
    from .settings import cache_folder

    folder = cache_folder("messages")
    return None if folder is None else folder / f"{key}.marshal"


def _parse_catalogue(texts: list[tuple[str, bytes]]) -> dict[str, dict[str, str]]:
    """The messages of the YAML ``texts`` (file name, content), merged; see `catalogue`."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    merged: dict[str, dict[str, str]] = {}
    for name, data in texts:
        entries = yaml.load(data.decode("utf-8"), Loader=loader) or {}
        for key, entry in entries.items():
            if key in merged:
                raise RuntimeError(f"message {key!r} is defined twice (second time in {name})")
            if not isinstance(entry, dict) or set(entry) != set(LANGS):
                raise RuntimeError(f"message {key!r} in {name} needs exactly the keys zh and en")
            merged[key] = {lang: str(entry[lang]) for lang in LANGS}
    return merged


def has_message(msg_id: str) -> bool:
    """Whether the catalogue holds ``msg_id``."""
    return msg_id in catalogue()


def check_lang(lang: str) -> str:
    """Return ``lang`` when it is one of `LANGS`; otherwise raise `InputError`."""
    if lang not in LANGS:
        raise InputError("input.bad_lang", lang=lang)
    return lang


def say(msg_id: str, lang: str = "zh", /, **fields: Any) -> str:
    """The message ``msg_id`` in ``lang`` with ``fields`` filled in.

    Parameters
    ----------
    msg_id
        A catalogue id (``KeyError`` when it is not one: a bug, caught by the test suite).
    lang
        ``"zh"`` or ``"en"``.
    **fields
        Values for the template's ``{placeholders}``, rendered in ``lang`` (see the module
        docstring).
    """
    template = catalogue()[msg_id]["en" if lang == "en" else "zh"]
    if not fields:
        return template
    return template.format(**{k: render(v, lang) for k, v in fields.items()})


def render(value: Any, lang: str) -> Any:
    """One field value in ``lang``: messages and rows as text, sequences joined, the rest as is."""
    if hasattr(value, "text") and callable(value.text):
        return value.text(lang)
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return say("sep.list", lang).join(str(render(v, lang)) for v in items)
    return value


@dataclass(frozen=True)
class Msg:
    """A catalogue message with its fields, rendered later in whichever language is asked.

    Parameters
    ----------
    id
        The catalogue id.
    fields
        Values for the template's placeholders.
    """

    id: str
    fields: dict[str, Any] = field(default_factory=dict)

    def __init__(self, msg_id: str, /, **fields: Any) -> None:
        object.__setattr__(self, "id", msg_id)
        object.__setattr__(self, "fields", fields)

    def __reduce__(self):
        """Pickle id and fields (messages made on Dask workers reach the client whole)."""
        return (_make_msg, (self.id, self.fields))

    def text(self, lang: str = "zh") -> str:
        """The message in ``lang``."""
        return say(self.id, lang, **self.fields)

    def __str__(self) -> str:
        return self.text("en")


def _make_msg(msg_id: str, fields: dict[str, Any]) -> Msg:
    return Msg(msg_id, **fields)


@dataclass(frozen=True)
class Rows:
    """1-based row (or feature) numbers in a message, e.g. ``rows 2, 4 (and 3 more)``.

    Parameters
    ----------
    numbers
        The 1-based numbers (any sequence of integers).
    unit
        ``"row"`` or ``"feature"``.
    limit
        Numbers shown before the rest is counted.
    """

    numbers: Sequence[int]
    unit: str = "row"
    limit: int = 5

    def text(self, lang: str = "zh") -> str:
        """The numbers in ``lang``."""
        numbers = [int(n) for n in self.numbers]
        sep = say("sep.list", lang)
        shown = sep.join(str(n) for n in numbers[: self.limit])
        more = len(numbers) - self.limit
        key = f"rows.{self.unit}" + (".more" if more > 0 else "")
        return say(key, lang, shown=shown, more=more, n=len(numbers))


# -- lazy package exports ------------------------------------------------------------------------------


def lazy_exports(package: str, table: dict[str, str], names: list[str]):
    """``__getattr__`` and ``__dir__`` for a package whose public names load on first use.

    Parameters
    ----------
    package
        The package's ``__name__``.
    table
        Public name → the module (relative to ``package``) that defines it.
    names
        The package's ``__all__`` (what ``dir()`` shows, for tab completion in notebooks).
    """
    import importlib
    import sys

    def __getattr__(name: str) -> Any:  # noqa: N807 (the module protocol's name)
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:  # noqa: N807 (the module protocol's name)
        return list(names)

    return __getattr__, __dir__


# -- errors, notes, assumptions -----------------------------------------------------------------------


class InputError(Exception):
    """A problem with the user's input, told in one sentence, in Chinese and in English.

    The message names the file, the field and the fix. The command-line interface prints the
    Chinese sentence (the English one with ``--lang en``) without a traceback and exits with
    code 2. ``str(error)`` is the English sentence.

    Parameters
    ----------
    msg_id
        The catalogue id of the sentence.
    **fields
        Values for its placeholders.
    """

    exit_code = 2

    def __init__(self, msg_id: str, /, **fields: Any) -> None:
        self.msg = Msg(msg_id, **fields)
        super().__init__(self.msg.text("en"))

    @property
    def message(self) -> str:
        """The English sentence."""
        return self.msg.text("en")

    @property
    def zh(self) -> str:
        """The Chinese sentence."""
        return self.msg.text("zh")

    def __reduce__(self):
        """Pickle the message (errors raised on Dask workers reach the client whole)."""
        return (_make_error, (type(self), self.msg.id, self.msg.fields))

    def text(self, lang: str = "zh") -> str:
        """The sentence in ``lang`` (``zh`` or ``en``)."""
        return self.msg.text(lang)


def _make_error(cls: type[InputError], msg_id: str, fields: dict[str, Any]) -> InputError:
    return cls(msg_id, **fields)


class Note(str):
    """A remark for the planner (data quality, empty inputs): a catalogue message.

    Being a `str` (its value is the English sentence), a note goes wherever text goes
    (``run.json`` keeps the English); places a planner reads show `note_text` in the run's
    language.

    Parameters
    ----------
    msg_id
        The catalogue id.
    **fields
        Values for its placeholders.
    """

    msg: Msg

    def __new__(cls, msg_id: str, /, **fields: Any) -> Note:
        """Make the note (a `str` holding the English sentence)."""
        msg = Msg(msg_id, **fields)
        obj = super().__new__(cls, msg.text("en"))
        obj.msg = msg
        return obj

    def __reduce__(self):
        """Pickle the message (notes made on Dask workers reach the client whole)."""
        return (_make_note, (self.msg.id, self.msg.fields))

    def text(self, lang: str = "zh") -> str:
        """The sentence in ``lang``."""
        return self.msg.text(lang)

    @property
    def zh(self) -> str:
        """The sentence in Chinese."""
        return self.msg.text("zh")


def _make_note(msg_id: str, fields: dict[str, Any]) -> Note:
    return Note(msg_id, **fields)


def note_text(note: str, lang: str = "zh") -> str:
    """Any note (a `Note` or plain text) in ``lang``."""
    return note.text(lang) if isinstance(note, Note) else str(note)


@dataclass(frozen=True)
class Assumption:
    """One stated assumption, shown wherever its result appears.

    The product states its own assumptions with a catalogue message (``msg=Msg(...)``); an
    assumption a user states (in a notebook, say) may carry its two sentences as text instead:
    ``Assumption(key, value, unit, "<Chinese>", "<English>", source)``. Either way ``zh`` and
    ``en`` hold the sentences once made.

    Attributes
    ----------
    key
        Stable identifier, e.g. ``"speed.elderly"`` or ``"childcare.threshold"``.
    value
        The number or setting assumed.
    unit
        Unit of ``value`` (``"m/s"``, ``"min"``, ``"m²/person"``, …) or ``""``.
    msg
        The sentence saying what is assumed and why: a catalogue message, or the Chinese text.
    en
        The English text (with a text ``msg``; filled from the message otherwise).
    source
        Where the number comes from (a study, a standard outside the policy documents): a
        catalogue message for the product's own citations, the text as written for a user's, or
        ``"assumption"`` when it is a tool default.
    zh
        The Chinese text (filled from ``msg``).
    """

    key: str
    value: float | str
    unit: str
    msg: Msg | str | None = None
    en: str = ""
    source: Msg | str = "assumption"
    zh: str = ""

    def __post_init__(self) -> None:
        """Fill ``zh`` and ``en`` from the message (or the Chinese text given as ``msg``)."""
        if isinstance(self.msg, Msg):
            object.__setattr__(self, "zh", self.msg.text("zh"))
            object.__setattr__(self, "en", self.msg.text("en"))
        elif self.msg and not self.zh:
            object.__setattr__(self, "zh", self.msg)

    def text(self, lang: str = "zh") -> str:
        """The sentence in ``lang``."""
        return self.en if lang == "en" else self.zh

    def source_text(self, lang: str = "zh") -> str:
        """Where the number comes from, in ``lang`` ("" for a tool default)."""
        if isinstance(self.source, Msg):
            return self.source.text(lang)
        return "" if self.source in ("", "assumption") else self.source

    def record(self) -> dict[str, Any]:
        """The assumption as plain values for ``run.json``: key, value, unit, both sentences, source."""
        return {
            "key": self.key,
            "value": self.value,
            "unit": self.unit,
            "zh": self.zh,
            "en": self.en,
            "source": self.source.text("en") if isinstance(self.source, Msg) else self.source,
        }


# -- atomic writing and interruptions ------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` on success.

    On any exception the temporary file is removed and ``target`` is left untouched, so a
    failed run never leaves a half-written output.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = temp_name(target)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        remove_path(tmp_path)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; raised like `KeyboardInterrupt` so every ``finally`` runs.

    Parameters
    ----------
    signum
        The signal number; the process exits with ``128 + signum`` (130, 143).
    late
        True when the signal arrived while a complete output was being moved into place, so
        that output was written.
    """

    def __init__(self, signum: int, late: bool = False) -> None:
        super().__init__(signum, late)
        self.signum = signum
        self.late = late

    @property
    def exit_code(self) -> int:
        """The shell's code for death by this signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


class _Signals:
    """State of `interruptible`: critical-section depth, a deferred signal, whether one was raised."""

    depth = 0
    pending: int | None = None
    raised = False


def _on_signal(signum: int, _frame: object) -> None:
    if _Signals.raised:  # cleanup is under way: let it finish
        return
    if _Signals.depth:
        _Signals.pending = _Signals.pending or signum
        return
    _Signals.raised = True
    raise Interrupted(signum)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into `Interrupted` while the block runs (main thread only).

    The first signal raises; later ones are ignored so that the cleanup it triggers (staging
    folders, a Dask cluster) completes. The previous handlers are restored on exit.
    """
    _Signals.depth, _Signals.pending, _Signals.raised = 0, None, False
    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextlib.contextmanager
def critical_section(late: bool = True) -> Iterator[None]:
    """Defer `interruptible`'s signals until the block is over, then raise `Interrupted`.

    ``late`` tells whether an output was completed inside the block (a swap) or not (a setup).
    Signals are handled in the main thread only, so other threads pass straight through.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _Signals.depth += 1
    try:
        yield
    finally:
        _Signals.depth -= 1
    if _Signals.depth == 0 and _Signals.pending is not None and not _Signals.raised:
        signum, _Signals.pending, _Signals.raised = _Signals.pending, None, True
        raise Interrupted(signum, late=late)


def temp_name(target: Path) -> Path:
    """A free hidden name ``.<name>.XXXX<suffix>`` beside ``target``; nothing is left on disk."""
    with critical_section(late=False):
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
        os.close(fd)
        os.unlink(name)
    return Path(name)


def remove_path(path: Path) -> None:
    """Remove a file or a folder tree if it exists (a temporary output being discarded)."""
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            path.unlink()
