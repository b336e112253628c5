"""Texts that data keeps in English and a planner reads in Chinese: citations, notes, paired words.

Tables that programs read back (the long indicator table, its CSV, ``run.json``) keep their notes
and sources as English text. Each such text made from the catalogue is remembered here
(`remember`, `english`), so that the outputs a planner reads (the XLSX sheets, the report) show it
in the reader's language (`in_lang`) even after it went through numpy arrays or was joined to
another with ``"; "``.

- `Pair`: words a profile or a user gives in English and (maybe) Chinese.
- `cite`: a citation of a policy document, its code, clause and words in each language
  (Chinese "document 001 task 8: ..." / "Document 001, task 8: ..."), as a `Note` (English value).
- `cite_doc`: the document code of a citation (``"001"``), or the first word of a plain source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .common import Msg, Note, has_message, say

#: English text → the message it renders (anything with ``text(lang)``); cleared when it grows
#: past `_LIMIT` entries, so a long session holding many runs stays small.
_KNOWN: dict[str, Any] = {}
_LIMIT = 200_000
#: How the long table joins two notes in one cell.
JOIN = "; "


@dataclass(frozen=True)
class Pair:
    """Words given in English and, maybe, Chinese (the Chinese falls back to the English).

    Pass it as a field of a message to render it in the message's language.
    """

    en: str
    zh: str | None = None

    def text(self, lang: str = "zh") -> str:
        """The words in ``lang``."""
        return self.zh if lang != "en" and self.zh else self.en

    def __str__(self) -> str:
        return self.en


def pair(value: Any) -> Pair | str:
    """``{en: …, zh: …}`` as a `Pair`; a plain string stays as it is."""
    if isinstance(value, Mapping):
        return Pair(str(value.get("en", value.get("zh", ""))), _opt(value.get("zh")))
    return "" if value is None else value


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def remember(message: Any) -> str:
    """The English text of ``message`` (a `Msg`, `Note`, `Pair`), remembered for `in_lang`."""
    en = message.text("en")
    if len(_KNOWN) >= _LIMIT:
        _KNOWN.clear()
    _KNOWN.setdefault(en, message)
    return en


def english(msg_id: str, /, **fields: Any) -> str:
    """The catalogue message ``msg_id`` in English, remembered for `in_lang`."""
    return remember(Msg(msg_id, **fields))


def in_lang(text: Any, lang: str = "zh") -> Any:
    """A remembered English text (or several joined with ``"; "``) in ``lang``.

    Anything with ``text(lang)`` is rendered; a string none of whose parts is remembered is
    returned as it is, and so is anything that is not a string (numbers, NaN).
    """
    if hasattr(text, "text") and callable(text.text):
        return text.text(lang)
    if lang == "en" or not isinstance(text, str) or not text:
        return text
    hit = _KNOWN.get(text)
    if hit is not None:
        return hit.text(lang)
    pieces = text.split(JOIN)
    if len(pieces) == 1:
        return text
    out, i = [], 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):  # the longest run of pieces that is one remembered text
            hit = _KNOWN.get(JOIN.join(pieces[i:j]))
            if hit is not None:
                out.append(hit.text(lang))
                i = j
                break
        else:
            out.append(pieces[i])
            i += 1
    return say("sep.clauses", lang).join(out)


def cite(doc: str, clause: Any = "", text: Any = "") -> Note:
    """A citation of document ``doc`` (``"001"``), its ``clause`` and words (`Pair` or text).

    The `Note`'s value is the English citation; ``text(lang)`` gives each language its own
    (catalogue ``cite.doc``: "Document 001, task 8: ..." in English). It is remembered for `in_lang`.
    """
    parts = {"doc": doc, "clause": _clause(clause), "text": _words(text)}
    note = Note("cite.doc", **parts)
    remember(note)
    return note


def _clause(clause: Any) -> Msg | str:
    if not clause:
        return ""
    return Msg("cite.clause", clause=pair(clause))


def _words(text: Any) -> Msg | str:
    if not text:
        return ""
    return Msg("cite.words", text=pair(text))


def cite_doc(source: Any) -> str:
    """The document code of a citation (``"003"``), or the first word of a plain source text."""
    if isinstance(source, Note) and source.msg.id == "cite.doc":
        return str(source.msg.fields["doc"])
    words = str(source).split()
    return words[0] if words else ""


def source_of(value: Any) -> Any:
    """A profile's ``source``: ``{doc, clause, text}`` as a `cite`, ``assumption`` or text as it is.

    ``clause`` and ``text`` may be plain text or ``{zh: …, en: …}``.
    """
    if isinstance(value, Mapping) and "doc" in value:
        return cite(str(value["doc"]), value.get("clause", ""), value.get("text", ""))
    if isinstance(value, Mapping):
        p = pair(value)
        remember(p)
        return Note("cite.text", text=p)
    return "" if value is None else value


def year_text(value: Any, lang: str = "zh") -> str:
    """A year or date as the plans write it (``year.*``): a year, a year and month, "baseline".

    Text that is none of these (already written out, say) comes back as it is.
    """
    text = "" if value is None or (isinstance(value, float) and value != value) else str(value).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    if not text:
        return ""
    if text.isdigit():
        return say("year.year", lang, year=text)
    head, _, tail = text.partition("-")
    if head.isdigit() and tail.isdigit():
        return say("year.month", lang, year=head, month=int(tail))
    key = f"year.{text.replace('-', '_')}"
    return say(key, lang) if has_message(key) else text
