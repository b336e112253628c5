"""The indicator table's words: notes, unit names and the pieces the plan tables put together.

The long table is data: its ``note`` column holds English sentences (``run.json`` and the CSV keep
them as written), so `note` renders a catalogue message in English; the plan-style tables render
their words in the run's language with `say`. The words themselves live in the catalogue
(``geodata/messages/indicators.yaml``, ids ``ind.…``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from ...geodata.bilingual import english, in_lang, year_text
from ...geodata.common import Msg, Note, has_message, say
from ...geodata.labels import label, label_id

#: Fields of the notes that hold a code of the table (``elderly``, ``pop_60``, ``street``): English
#: notes name the code, Chinese ones its label (`Code`).
CODE_FIELDS: frozenset[str] = frozenset({"service", "group", "level", "area", "scope", "key"})
#: Fields of the notes that hold a year or a date (``2020``, ``2022-10``, ``baseline``).
YEAR_FIELDS: frozenset[str] = frozenset({"year", "date"})


def note(msg_id: str, /, **fields: Any) -> str:
    """A note of the long table: the catalogue message ``msg_id`` in English.

    The note is remembered (`lifecircle.geodata.bilingual.english`), so that the XLSX and the
    report show it in the reader's language; code fields (`CODE_FIELDS`) read as labels there.
    """
    return english(msg_id, **{k: _coded(k, v) for k, v in fields.items()})


def _coded(name: str, value: Any) -> Any:
    """A field of a note, with its codes as `Code` and its years as `Year`, in nested messages too."""
    if isinstance(value, Msg):
        return Msg(value.id, **{k: _coded(k, v) for k, v in value.fields.items()})
    if isinstance(value, Note) or value is None or value == "":
        return value
    if name in YEAR_FIELDS and isinstance(value, str | int):
        return Year(value)
    if isinstance(value, str) and (name in CODE_FIELDS or (name in ("a", "b") and label_id(value))):
        return Code(value)
    return value


@dataclass(frozen=True)
class Year:
    """A year or date in a note: as written in English, as the plans write it in Chinese (2020, baseline)."""

    value: str | int

    def text(self, lang: str = "zh") -> str:
        """The year in ``lang`` (`lifecircle.geodata.bilingual.year_text`)."""
        return year_text(self.value, lang)


@dataclass(frozen=True)
class Words:
    """Codes joined with ``/`` (facility statuses): as they are in English, their labels in Chinese."""

    items: tuple[str, ...]

    def text(self, lang: str = "zh") -> str:
        """The codes in ``lang``."""
        if lang == "en":
            return "/".join(self.items)
        return "/".join(
            say(f"ui.{k}", lang) if has_message(f"ui.{k}") else label(k, lang) for k in self.items
        )


def text_in(value: Any, lang: str) -> str:
    """A note or source of the standards or the long table in ``lang`` ("" for none)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(in_lang(value, lang))


def unit_name(msg_id: str) -> str:
    """The name of a row that is no admin unit (the total, demand no unit claims).

    Unit names are data, in Chinese like the names of the admin-unit table.
    """
    return say(msg_id, "zh")


@cache
def no_list_prefix() -> str:
    """Start of the note on values of a service no facility source covers."""
    return note("ind.note.no_list", service="")


def no_list_note(service: str) -> str:
    """The note of a value that needs a facility list for ``service`` (none was given)."""
    return note("ind.note.no_list", service=service)


def no_group_note(group: str) -> str:
    """The note of a value that needs a population group the demand table leaves empty."""
    return note("ind.note.no_group", group=group)


@dataclass(frozen=True)
class Code:
    """A code of the table that English sentences name as it is and Chinese ones by its label.

    Parameters
    ----------
    key
        A service, group, area or scope key (``elderly``, ``pop_60``, ``rural``).
    """

    key: str

    def text(self, lang: str = "zh") -> str:
        """The key in English, its label in Chinese."""
        return self.key if lang == "en" else label(self.key, lang)


def joined(items: list[Any], how: str = "and") -> Any:
    """One or two items as a phrase: ``a``, ``a and b`` (``how="or"``: ``a or b``)."""
    if len(items) == 1:
        return items[0]
    first, second = items
    return Msg(f"ind.join.{how}", a=first, b=second)


def kind_word(kind: str) -> Msg | str:
    """A figure's kind (``census``, ``projection``, ``derived``, ``base``) as a word."""
    return Msg(f"ind.kind.{kind}") if kind and has_message(f"ind.kind.{kind}") else kind


def uom_word(service: str) -> Msg:
    """Beds (elderly care) or places (childcare), the unit of a service's capacity."""
    return Msg("ind.uom.beds" if service == "elderly" else "ind.uom.places")
