"""Assumptions: numbers no policy fixes, carried with every result that depends on them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Assumption:
    """One stated assumption, shown wherever its result appears.

    Attributes
    ----------
    key
        Stable identifier, e.g. ``"speed.elderly"`` or ``"childcare.threshold"``.
    value
        The number or setting assumed.
    unit
        Unit of ``value`` (``"m/s"``, ``"min"``, ``"m²/person"``, …) or ``""``.
    zh, en
        One sentence saying what is assumed and why, in Chinese and English.
    source
        Where the number comes from (a study, a standard outside the policy documents), or
        ``"assumption"`` when it is a tool default.
    """

    key: str
    value: float | str
    unit: str
    zh: str
    en: str
    source: str = "assumption"

    def text(self, lang: str = "zh") -> str:
        """The sentence in ``lang``."""
        return self.en if lang == "en" else self.zh
