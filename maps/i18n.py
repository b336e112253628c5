"""Labels for everything a planner reads, from the zh/en catalogue: Chinese first, English with ``--lang en``.

The labels of codes and headers (``elderly``, ``pop_60``, ``legend``, …) are the catalogue's
``ui.<key>`` entries (``geodata/messages/maps.yaml``); `t`, `has` and `check_lang` read them.
"""

from __future__ import annotations

from typing import Any

from ..geodata.common import LANGS, Msg, check_lang, has_message, say

__all__ = ["LANGS", "check_lang", "code_label", "has", "label_msg", "t"]


def t(key: str, lang: str = "zh") -> str:
    """Return the label for ``key`` in ``lang`` (``zh`` or ``en``); unknown keys come back as is."""
    return say(f"ui.{key}", lang) if has_message(f"ui.{key}") else key


def has(key: str) -> bool:
    """Whether ``key`` has a label (unknown keys are shown as they are)."""
    return has_message(f"ui.{key}")


def code_label(value: str, lang: str) -> str:
    """Translated label of a known code (service, tier, level), else the value itself."""
    return t(value, lang) if has(value) else value


def label_msg(value: str) -> Any:
    """The label of a known code as a `Msg` (in the language of the message it fills), else the value."""
    return Msg(f"ui.{value}") if has(value) else value
