"""Checks of command-line options before anything is read: ranges, choices, pairs, output paths.

Each check raises `InputError` with one sentence naming the option, the value and the fix.
"""

from __future__ import annotations

import math
from pathlib import Path

from ..geodata.common import InputError, Msg
from .cli_words import OrList, ZhTerm


def check_option(option: str, value: float | None, ok: bool, give: str) -> None:
    """Raise `InputError` naming ``option`` unless ``value`` is None, finite and ``ok``.

    ``give`` is the catalogue id of what to give instead, e.g. ``cli.give.minutes`` ("a walking
    time in minutes greater than 0 and at most 120, e.g. 15").
    """
    if value is not None and not (math.isfinite(value) and ok):
        raise InputError("cli.option_range", option=option, value=value, what=Msg(give))


def check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    """Raise `InputError` naming ``option`` unless ``value`` is one of ``choices`` (with a suggestion)."""
    from .schema import did_you_mean

    if value not in choices:
        raise InputError(
            "cli.choice",
            option=option,
            value=value,
            hint=did_you_mean(value, choices),
            choices=choices[:-1],
            last=choices[-1],
        )


def check_minutes(option: str, minutes: float | None) -> None:
    """A walking time in minutes, above 0 and at most 120 (``None``: not given)."""
    check_option(option, minutes, minutes is not None and 0 < minutes <= 120, "cli.give.minutes")


def pairs(items: list[str], source: str) -> dict[str, str]:
    """Parse ``key=value`` pairs given with an option (``--column``, ``--share``, …).

    ``source`` names where they were given (the file of ``--column``, or the option itself).
    """
    parsed = {}
    for pair in items:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError("cli.pair", source=source, pair=pair, example=ZhTerm("cli.term.column_example"))
        parsed[key.strip()] = value.strip()
    return parsed


def number_pairs(items: list[str], option: str) -> dict[str, float]:
    """Parse ``key=number`` pairs given with ``option`` (``--share pop_60=0.187``)."""
    return {key: float_value(value, option, key) for key, value in pairs(items, option).items()}


def float_value(text: str, option: str, key: str) -> float:
    """``text`` as a number, or `InputError` naming ``option key=text``."""
    try:
        return float(text)
    except ValueError:
        raise InputError("cli.not_a_number", option=option, key=key, text=text) from None


def out_file(path: Path, suffixes: tuple[str, ...], *, option: str = "--out") -> Path:
    """Check a single-file output before any computation: its suffix, then `preflight_output`."""
    from ..geodata.files import preflight_output

    if path.suffix.lower() not in suffixes:
        raise InputError("cli.out_suffix", path=path, option=option, suffixes=OrList(suffixes))
    return preflight_output(path, "file", option=option)


def out_folder(path: Path, kind: str) -> Path:
    """Check a folder output (``run``, ``demo``, ``compare``) before any computation."""
    from ..geodata.files import preflight_output

    return preflight_output(path, kind)
