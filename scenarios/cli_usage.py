"""Command-line usage errors and interruptions as one catalogue sentence in the run's language."""

from __future__ import annotations

import re

from ..geodata.common import Msg
from .cli_words import Worded

#: What a number option holds, for the sentence when it is given text: (catalogue id of what to
#: give, an example).
NUMBER_OPTIONS: dict[str, tuple[str, str]] = {
    "--minutes": ("cli.number.minutes", "15"),
    "--rural-minutes": ("cli.number.minutes", "20"),
    "--p": ("cli.number.p", "3"),
    "--budget": ("cli.number.budget", "50"),
    "--spacing": ("cli.number.spacing", "200"),
    "--min-area": ("cli.number.min_area", "300"),
    "--per-1000": ("cli.number.per_1000", "4.5"),
    "--time-limit": ("cli.number.time_limit", "60"),
    "--gap": ("cli.number.gap", "0.01"),
    "--total": ("cli.number.total", "588700"),
    "--persons-per-m2": ("cli.number.persons_per_m2", "0.025"),
    "--levels": ("cli.number.levels", "6"),
}


def argv_lang(argv: list[str]) -> str:
    """The ``--lang`` given on a command line (``zh`` when none or an unknown one)."""
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else arg.removeprefix("--lang=")
        if (arg == "--lang" or arg.startswith("--lang=")) and value in ("zh", "en"):
            return value
    return "zh"


def command_word(argv: list[str]) -> str | None:
    """The command a command line names: its first word that is neither an option nor ``--lang``'s value."""
    after_lang = False
    for arg in argv:
        if after_lang:
            after_lang = False
        elif arg == "--lang":
            after_lang = True
        elif not arg.startswith("-"):
            return arg
    return None


def click_exceptions():
    """The click exception classes typer uses (its bundled copy when it has one)."""
    try:
        from typer._click import exceptions
    except ImportError:  # a typer that uses the click package itself
        from click import exceptions
    return exceptions


def _given_value(option: str, argv: list[str]) -> str | None:
    """The last value given on the command line to ``option`` (``--opt v`` or ``--opt=v``)."""
    found = None
    for i, arg in enumerate(argv):
        if arg == option and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith(option + "="):
            found = arg.removeprefix(option + "=")
    return found


def usage_error_msg(exc: Exception, argv: list[str]) -> Msg:
    """One sentence for a click usage error (a catalogue message).

    Parameters
    ----------
    exc
        A click ``UsageError`` (bad option value, missing option or argument, unknown option or
        command, extra argument).
    argv
        The command line after the program name, to quote the value given.

    Returns
    -------
    Msg
        In English it keeps click's own detail; in Chinese it names the option and the fix.
    """
    ex = click_exceptions()
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "lifecircle"
    detail = exc.format_message().strip().rstrip(".")
    param = getattr(exc, "param", None)
    opts = list(getattr(param, "opts", None) or [])
    is_option = bool(opts) and opts[0].startswith("-")
    name = max(opts, key=len) if is_option else str(getattr(param, "name", None) or "?").upper()
    kind = "option" if is_option else "argument"
    if isinstance(exc, ex.MissingParameter):
        what = Worded(detail, Msg(f"cli.usage.missing_what.{kind}", name=name))
        return Msg(f"cli.usage.missing.{kind}", detail=what, command=command)
    if isinstance(exc, ex.BadParameter):
        value = next((v for v in (_given_value(o, argv) for o in opts) if v is not None), None)
        return _bad_value(exc, detail, Msg(f"cli.usage.kind.{kind}"), name, value, command)
    return Msg("cli.usage.see_help", detail=Worded(detail, _usage_zh(exc, detail)), command=command)


def _bad_value(exc: Exception, detail: str, kind: Msg, name: str, value: str | None, command: str) -> Msg:
    """The sentence for a value click refused (text for a number, or another bad value)."""
    shown = "" if value is None else f" {value!r}"
    reason = Worded(str(getattr(exc, "message", "") or detail).strip().rstrip("."))
    number = _number_kind(exc)
    if number is None:
        return Msg("cli.usage.bad_value", kind=kind, name=name, shown=shown, reason=reason, command=command)
    whole = number == "whole"
    what, example = NUMBER_OPTIONS.get(name, ("cli.number.whole", "3") if whole else ("cli.number.any", "15"))
    return Msg(
        "cli.usage.not_number",
        kind=kind,
        name=name,
        shown=shown,
        not_a=Msg("cli.number.whole" if whole else "cli.number.any"),
        reason=reason,
        what=Msg(what),
        example=example,
    )


def _number_kind(exc: Exception) -> str | None:
    """``whole`` or ``any`` when the refused value was given to a number parameter, else ``None``."""
    kind = type(getattr(getattr(exc, "param", None), "type", None)).__name__
    if kind in ("IntParamType", "IntRange"):
        return "whole"
    if kind in ("FloatParamType", "FloatRange"):
        return "any"
    return None


def _usage_zh(exc: Exception, detail: str) -> Msg:
    """What a Chinese reader is told for an unknown option or command, an option's bad use, extra words."""
    ex = click_exceptions()
    if isinstance(exc, ex.NoSuchOption):
        maybe = sorted(getattr(exc, "possibilities", None) or [])
        hint = Msg("cli.usage.did_you_mean", options=maybe) if maybe else ""
        return Msg("cli.usage.no_option", option=repr(exc.option_name), hint=hint)
    if isinstance(exc, ex.BadOptionUsage):
        if "requires an argument" in detail:
            problem = "needs_value"
        elif "does not take a value" in detail:
            problem = "takes_no_value"
        else:
            problem = "misused"
        return Msg(f"cli.usage.option.{problem}", option=exc.option_name)
    if m := re.fullmatch(r"No such command '(.*)'", detail):
        return Msg("cli.usage.no_command", name=repr(m.group(1)))
    if m := re.fullmatch(r"Got unexpected extra arguments?(?:\(s\))? \((.*)\)", detail):
        return Msg("cli.usage.extra", args=repr(m.group(1)))
    return Msg("cli.usage.other")


def interrupted_msg(late: bool = False) -> Msg:
    """What an interrupted command prints (``late``: the outputs were complete when the signal came)."""
    return Msg("cli.interrupted.late" if late else "cli.interrupted")
