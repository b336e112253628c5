"""Words of the command line that are not one catalogue message: a library's English, lists joined by "or".

Click words its own errors in English; a `Worded` keeps those words for English readers and gives
Chinese readers the catalogue's sentence instead. An `OrList` joins choices the way each language
lists alternatives (``.gpkg or .csv`` in English).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..geodata.common import Msg, say


@dataclass(frozen=True)
class Worded:
    """A library's own English words, and what a Chinese reader sees in their place.

    Rendered like a `Msg` when it is a field value of a message (it has ``text(lang)``).

    Parameters
    ----------
    en
        The library's English (click's usage error), shown as it is.
    zh
        The catalogue message shown in Chinese (``""``: nothing).
    """

    en: str
    zh: Msg | str = ""

    def text(self, lang: str = "zh") -> str:
        """The words in ``lang``."""
        if lang == "en":
            return self.en
        return self.zh.text(lang) if isinstance(self.zh, Msg) else self.zh


@dataclass(frozen=True)
class OrList:
    """Alternatives joined as each language lists them (``cli.sep.or``)."""

    items: Sequence[str]

    def text(self, lang: str = "zh") -> str:
        """The alternatives in ``lang``."""
        return say("cli.sep.or", lang).join(self.items)


@dataclass(frozen=True)
class ZhTerm:
    """A Chinese word quoted as it is in either language: a header or place name as a Chinese table has it.

    The catalogue entry ``id`` holds the word (``zh``) and its English gloss (``en``, for the
    catalogue's reader); a message shows the Chinese word in both languages, since that is what
    the planner's file says.
    """

    id: str

    def text(self, _lang: str = "zh") -> str:  # the `text(lang)` protocol of message fields
        """The Chinese word, whatever the language."""
        return say(self.id, "zh")
