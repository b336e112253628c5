"""``--help`` in the planner's language: Chinese by default, English with ``--lang en``.

The help texts are catalogue messages (``help.*``) read in `HELP_LANG`, the language the command
line asks for (`help_lang`). In Chinese the page itself is written here from the catalogue
(``cli.help.*``: usage, sections, value kinds, defaults), since the command-line library words its
pages in English; in English the library's own page is shown. `HelpGroup` and `HelpCommand` are
the typer classes that do this.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from typer.core import TyperArgument, TyperCommand, TyperGroup

from ..geodata.common import has_message, say
from .cli_usage import argv_lang

#: Environment variable naming the language of ``--help`` (``zh`` or ``en``) when the command line
#: does not (``lifecircle --help`` has no ``--lang``).
LANG_VARIABLE = "LIFECIRCLE_LANG"


def help_lang(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> str:
    """The language of ``--help``: ``--lang`` on the command line, else `LANG_VARIABLE`, else ``zh``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a == "--lang" or a.startswith("--lang=") for a in args):
        return argv_lang(args)
    env = os.environ if environ is None else environ
    return "en" if env.get(LANG_VARIABLE, "").strip().lower() == "en" else "zh"


#: The language the help texts of this process are read in.
HELP_LANG = help_lang()


#: Click's names of the value types, as the catalogue's keys (``cli.help.type.<key>``) name them.
_TYPE_NAMES = {"text": "str", "integer": "int", "boolean": "bool"}


def _type_word(param: Any, lang: str) -> str:
    """The kind of value an option takes (path, text, number, …), or "" for a switch."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    kind = getattr(param.type, "name", "")
    kind = _TYPE_NAMES.get(kind, kind)
    many = bool(getattr(param, "multiple", False))
    key = f"cli.help.type.{kind}"
    word = say(key, lang) if has_message(key) else kind
    return say("cli.help.many", lang, kind=word) if many else say("cli.help.kind", lang, kind=word)


def _default(param: Any, lang: str) -> str:
    """The ``[default: …]`` of an option, "" when it has none worth showing."""
    value = param.default
    if value is None or value is False or value == [] or value == () or callable(value):
        return ""
    if value is True:
        value = say("cli.help.on", lang)
    elif isinstance(value, PurePath):
        value = str(value)
    return say("cli.help.default", lang, value=value)


def _param_rows(cmd: Any, ctx: Any, lang: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The arguments and the options of ``cmd``: (name with its kind of value, help) pairs."""
    arguments, options = [], []
    for param in cmd.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        help_text = inspect.cleandoc(param.help or "")
        if getattr(param, "required", False):
            help_text += say("cli.help.required", lang)
        if isinstance(param, TyperArgument):
            key = f"cli.help.arg.{param.name}"
            name = say(key, lang) if has_message(key) else param.name
            arguments.append(
                (name if param.required else say("cli.help.optional", lang, name=name), help_text)
            )
            continue
        if param.name == "help":
            help_text = say("cli.help.help", lang)
        names = ", ".join([*param.opts, *param.secondary_opts])
        kind = _type_word(param, lang)
        options.append((f"{names} {kind}".rstrip(), help_text + _default(param, lang)))
    return arguments, options


def _block(title: str, rows: list[tuple[str, str]]) -> list[str]:
    if not rows:
        return []
    lines = ["", title]
    for name, text in rows:
        lines.append(f"  {name}")
        if text:
            lines.append(f"      {text}")
    return lines


def help_page(cmd: Any, ctx: Any, lang: str) -> str:
    """The help page of a command or group, every word from the catalogue in ``lang``."""
    pieces = [say("cli.help.options_metavar", lang)]
    arguments, options = _param_rows(cmd, ctx, lang)
    pieces += [name for name, _ in arguments]
    if isinstance(cmd, TyperGroup):
        pieces.append(say("cli.help.command_metavar", lang))
    lines = [say("cli.help.usage", lang, command=ctx.command_path, pieces=" ".join(pieces)), ""]
    lines.append(inspect.cleandoc(cmd.help or ""))
    lines += _block(say("cli.help.arguments", lang), arguments)
    lines += _block(say("cli.help.options", lang), options)
    if isinstance(cmd, TyperGroup):
        commands = [
            (name, inspect.cleandoc(c.help or "")) for name, c in cmd.commands.items() if not c.hidden
        ]
        lines += _block(say("cli.help.commands", lang), commands)
    return "\n".join(lines) + "\n"


class HelpCommand(TyperCommand):
    """A command whose ``--help`` page is in `HELP_LANG` (Chinese: written from the catalogue)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Write the help page (see `help_page`)."""
        if HELP_LANG == "en":
            super().format_help(ctx, formatter)
            return
        formatter.write(help_page(self, ctx, HELP_LANG))


class HelpGroup(TyperGroup):
    """The command group whose ``--help`` page is in `HELP_LANG` (Chinese: written from the catalogue)."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Write the help page (see `help_page`)."""
        if HELP_LANG == "en":
            super().format_help(ctx, formatter)
            return
        formatter.write(help_page(self, ctx, HELP_LANG))
