"""The house's shape: modules a person can hold in their head, and every word in the catalogue.

- No product module over 600 lines, no function over 80 lines (ruff checks the rest: unused
  arguments, at most 8 arguments, 50 statements, complexity 12; see ``pyproject.toml``).
- Every sentence a planner reads lives in the zh/en catalogue (``geodata/messages/*.yaml``): no
  Chinese character appears in product code, and every message id the code names
  (``InputError("…")``, ``Note("…")``, ``Msg("…")``, ``say("…")``) is in the catalogue.
- The catalogue is consistent: each entry has the same placeholders in both languages.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from lifecircle.geodata.common import catalogue

ROOT = Path(__file__).resolve().parents[1]
ROOMS = ("geodata", "coverage", "maps", "scenarios")
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
#: Calls whose first argument is a catalogue id.
MESSAGE_CALLS = {"InputError", "Note", "Msg", "say"}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _product_files() -> list[Path]:
    return sorted(p for room in ROOMS for p in (ROOT / room).rglob("*.py"))


def _rel(p: Path) -> str:
    return str(p.relative_to(ROOT))


def test_no_module_over_600_lines():
    long = {_rel(p): n for p in _product_files() if (n := len(p.read_text("utf-8").splitlines())) > 600}
    assert not long, long


def test_no_function_over_80_lines():
    long = {}
    for p in _product_files():
        for node in ast.walk(ast.parse(p.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long[f"{_rel(p)}:{node.lineno} {node.name}"] = n
    assert not long, long


def test_no_chinese_in_product_code():
    """Chinese text lives in the catalogue only (docstrings and comments included)."""
    found = {}
    for p in _product_files():
        lines = [i for i, line in enumerate(p.read_text("utf-8").splitlines(), 1) if CJK.search(line)]
        if lines:
            found[_rel(p)] = lines[:10]
    assert not found, found


def _message_ids(path: Path) -> list[tuple[int, str]]:
    ids = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        name = fn.id if isinstance(fn, ast.Name) else fn.attr if isinstance(fn, ast.Attribute) else None
        first = node.args[0] if node.args else None
        if name in MESSAGE_CALLS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            ids.append((node.lineno, first.value))
    return ids


def test_every_message_id_is_in_the_catalogue():
    known = catalogue()
    missing = {
        f"{_rel(p)}:{line}": mid
        for p in _product_files()
        for line, mid in _message_ids(p)
        if mid not in known
    }
    assert not missing, missing


def _fields(template: str) -> set[str]:
    return {f[1].split(".")[0].split("[")[0] for f in string.Formatter().parse(template) if f[1]}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_catalogue_entries_are_filled_in(lang):
    empty = [k for k, v in catalogue().items() if not v[lang].strip()]
    assert not empty, empty


def test_catalogue_languages_have_the_same_placeholders():
    differ = {
        k: (_fields(v["zh"]), _fields(v["en"]))
        for k, v in catalogue().items()
        if _fields(v["zh"]) != _fields(v["en"])
    }
    assert not differ, differ


def test_english_entries_have_no_chinese():
    leaks = [k for k, v in catalogue().items() if CJK.search(v["en"])]
    assert not leaks, leaks
