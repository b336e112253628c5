"""Remarks for the planner (data quality, empty inputs), in Chinese and in English."""

from __future__ import annotations


class Note(str):
    """A remark: its value is the English sentence; ``zh`` holds the same sentence in Chinese.

    Being a `str`, a note goes wherever text goes (``run.json`` keeps the English); places a
    planner reads show `note_text` in the run's language.

    Parameters
    ----------
    en
        The English sentence.
    zh
        The Chinese sentence (``None``: the English one is shown in both languages).
    """

    zh: str | None

    def __new__(cls, en: str, zh: str | None = None) -> Note:
        """Make the note (a `str` holding ``en``)."""
        obj = super().__new__(cls, en)
        obj.zh = zh
        return obj

    def __reduce__(self):
        """Pickle both sentences (notes made on Dask workers reach the client whole)."""
        return (type(self), (str(self), self.zh))

    def text(self, lang: str = "zh") -> str:
        """The sentence in ``lang`` (``zh`` or ``en``), English when no Chinese one was given."""
        return self.zh if lang != "en" and self.zh else str(self)


def note_text(note: str, lang: str = "zh") -> str:
    """Any note (a `Note` or plain text) in ``lang``."""
    return note.text(lang) if isinstance(note, Note) else str(note)
