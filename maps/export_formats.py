"""Numbers a person reads in the exported tables: rounding in the CSV, number formats in the XLSX.

The long indicator table carries its unit in ``unit_of_measure`` (``persons``, ``%``, ``min`` …),
and that unit decides how a number is shown:

* **CSV** (read by programs and by people). ``value`` stays the measured number, so a program (or
  ``lifecircle compare``) reads it back unchanged, except that people are whole persons: a
  population summed from building shares (``588700.0000000014``) is written ``588700``; the same
  holds for ``base_value``. A second column ``value_shown``, right after ``value``, holds the
  number as the plan states it: people as integers, shares in percent with one decimal (the unit
  column says ``%``: ``93.4`` means 93.4 %), minutes with one decimal, ratios per 1,000 with one
  decimal, other counts as integers, unitless numbers (the Gini index) with two decimals.
* **XLSX** (read by people). Cells stay numbers with a number format: people and counts
  ``#,##0`` (written as integers), shares ``0.0%`` (the long table's percent values are divided
  by 100 so that Excel shows ``93.4%``), minutes and ratios per 1,000 ``0.0``.

The plan sheet (`plan_sheet`) is the plan's own table: indicator | baseline year and value |
2025 target | binding or expected | now | gap | source (headers from the catalogue, ids
``ind.head.plan.*`` and ``xlsx.head.*``, in the run's language), then the columns that explain a
row (unit, basis and date of the current value, population base, need, lead unit, one note).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from ..geodata.bilingual import in_lang, year_text
from ..geodata.common import has_message, say
from ..geodata.files import formula_like
from .i18n import has

#: Number formats of the XLSX cells.
INTEGER = "#,##0"
PERCENT = "0.0%"
ONE_DECIMAL = "0.0"
TWO_DECIMALS = "0.00"
DEGREES = "0.000000"
#: Formats of date cells (pandas' Excel writer's).
DATE = "yyyy-mm-dd"
DATE_TIME = "yyyy-mm-dd h:mm:ss"
#: Fill of the header row.
HEADER_FILL = "#F3EDE6"

#: Units of the long table (``unit_of_measure``) and of the plan table.
PEOPLE = "persons"
PERCENT_UNIT = "%"
MINUTES = "min"
PER_MILLE = "‰"
LAND = "m2_per_capita"

#: Columns of any sheet that hold people (``pop_60``, ``gain_pop_total``, ``base_value`` …) or other
#: whole counts (the people a site brings in, its load).
_PEOPLE_PREFIXES = ("pop", "gain_pop", "new_pop", "covered_pop", "lost_pop", "n_")
_PEOPLE_COLUMNS = frozenset({"population", "base_value", "need", "gain", "new_weight", "load", "capacity"})

#: The plan table's columns (`coverage.indicators.plan_table`) that make the plan's seven.
_PLAN_NEED = ("indicator", "unit_of_measure", "baseline", "baseline_year", "target", "target_year")
_PLAN_MORE = ("attribute", "now", "gap", "source")
#: Columns that explain a row, kept after the seven when the table has them.
_PLAN_EXPLAIN = ("unit_of_measure", "now_basis", "now_date", "base_group", "base_value", "base_year", "need")
_PLAN_LAST = ("lead_unit",)
#: Columns merged into the sheet's last column, the note: ``{key: catalogue id of its label}``.
_PLAN_NOTES = {"note": "", "now_source": "xlsx.note.now_source", "base_source": "xlsx.note.base_source"}

#: A target that is a plain number (``+300``, an increase, and ``≤5`` stay text).
_PLAIN_NUMBER = re.compile(r"\d+(\.\d+)?")

#: ``{column position: one number format (or None) per row}``.
Formats = dict[int, list[str | None]]


#: Columns of the long table holding notes and citations the outputs show in the reader's language.
TEXT_COLUMNS: frozenset[str] = frozenset(
    {"note", "source", "base_source", "standard_source", "supply_source"}
)
#: Columns holding a year or a date (``2020``, ``2022-10``, ``baseline``).
YEAR_COLUMNS: frozenset[str] = frozenset({"base_year", "year", "supply_date"})


def uom_label(unit: object, lang: str) -> object:
    """A unit of measure of the long table (``persons``, ``beds per 1,000``) in ``lang``."""
    key = f"xlsx.uom.{str(unit).replace('per 1,000', 'per_1000').replace(' ', '_')}"
    return say(key, lang) if isinstance(unit, str) and has_message(key) else unit


def localise_texts(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Notes and citations (`TEXT_COLUMNS`), years (`YEAR_COLUMNS`) and units of measure in ``lang``."""
    out = df.copy()
    for col in out.columns:
        name = str(col)
        if name in TEXT_COLUMNS:
            out[col] = out[col].map(lambda v: in_lang(v, lang))
        elif name in YEAR_COLUMNS:
            out[col] = out[col].map(lambda v: year_text(v, lang) if isinstance(v, str | int) else v)
        elif name == "unit_of_measure":
            out[col] = out[col].map(lambda v: uom_label(v, lang))
    return out


# -- CSV -------------------------------------------------------------------------------------------


def readable_csv(df: pd.DataFrame) -> pd.DataFrame:
    """People as whole persons in ``value`` and ``base_value``, and the ``value_shown`` column.

    A table without ``value`` and ``unit_of_measure`` columns is returned as it is.
    """
    if not {"value", "unit_of_measure"} <= set(df.columns):
        return df
    out = df.copy()
    units = out["unit_of_measure"]
    values = pd.to_numeric(out["value"], errors="coerce").to_numpy(dtype=float)
    people = units.astype(str).eq(PEOPLE).to_numpy()
    out["value"] = _whole(values, people)
    if "base_value" in out:
        base = pd.to_numeric(out["base_value"], errors="coerce").to_numpy(dtype=float)
        out["base_value"] = _whole(base, np.ones(len(base), dtype=bool))
    shown = [_shown(v, u) for v, u in zip(values, units, strict=True)]
    out.insert(
        out.columns.get_loc("value") + 1, "value_shown", pd.Series(shown, index=out.index, dtype=object)
    )
    return out


def _whole(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values`` as objects, with the finite ones under ``mask`` rounded to Python integers."""
    out = values.astype(object)
    for i in np.flatnonzero(mask & np.isfinite(values)):
        out[i] = int(np.rint(values[i]))
    return out


def _shown(value: float, unit: object) -> object:
    """One value as the plan states it (see the module docstring); NaN stays NaN."""
    if not np.isfinite(value):
        return value
    digits = _digits(unit)
    return int(np.rint(value)) if digits == 0 else round(float(value), digits)


def _digits(unit: object) -> int:
    """Decimals shown for a unit of the long table."""
    if not isinstance(unit, str) or not unit:
        return 2
    if unit in (PERCENT_UNIT, MINUTES, PER_MILLE) or "per 1,000" in unit:
        return 1
    if unit == LAND:
        return 2
    return 0


# -- XLSX ------------------------------------------------------------------------------------------


def long_table_sheet(df: pd.DataFrame) -> tuple[pd.DataFrame, Formats]:
    """The long indicator table for a sheet: percent rows as fractions, a format per cell.

    A table without ``metric``, ``value`` and ``unit_of_measure`` columns is returned as it is,
    with the column formats of `column_formats` only.
    """
    if not {"metric", "value", "unit_of_measure"} <= set(df.columns):
        return df, column_formats(df)
    out = df.copy()
    units = out["unit_of_measure"]
    row_formats = [_row_format(u) for u in units]
    percent = units.astype(str).eq(PERCENT_UNIT).to_numpy()
    formats = column_formats(out)
    for col in ("value", "target"):
        if col in out and pd.api.types.is_numeric_dtype(out[col]):
            out[col] = np.where(percent, out[col].astype(float) / 100.0, out[col].astype(float))
            formats[out.columns.get_loc(col)] = row_formats
    return out, formats


def _row_format(unit: object) -> str | None:
    if unit == PERCENT_UNIT:
        return PERCENT
    digits = _digits(unit)
    return {0: INTEGER, 1: ONE_DECIMAL, 2: TWO_DECIMALS}[digits]


def column_formats(df: pd.DataFrame) -> Formats:
    """Formats by column name: shares ``0.0%``, people ``#,##0``, times in minutes ``0.0``.

    Times are the ``<name>_s`` columns with a label, which the XLSX writer turns into minutes.
    """
    formats: Formats = {}
    for j, col in enumerate(df.columns):
        fmt = column_format(str(col)) if pd.api.types.is_numeric_dtype(df.iloc[:, j]) else None
        if fmt is not None:
            formats[j] = [fmt] * len(df)
    return formats


def column_format(name: str) -> str | None:
    """The number format of a column by its name (None: shown as it is).

    Shares (``share_*``, ``*_share``, ``capacity_used``) ``0.0%``; people and counts ``#,##0``;
    minutes (``*_min``, labelled ``*_s`` times, which the writers turn into minutes) ``0.0``.
    """
    if name.startswith("share") or name.endswith("_share") or name == "capacity_used":
        return PERCENT
    if name.startswith(("lon", "lat")):
        return DEGREES
    if name.startswith(_PEOPLE_PREFIXES) or name in _PEOPLE_COLUMNS or name.endswith("_m"):
        return INTEGER
    if name.endswith("_min") or (name.endswith("_s") and has(name[:-2])):
        return ONE_DECIMAL
    return None


def shown(value: object, fmt: str | None) -> str:
    """A number as text in the look of its XLSX format: ``1,915``, ``37.4%``, ``9.6``; "—" for none."""
    if value is None or isinstance(value, str):
        return "—" if value is None else value
    number = float(value)  # type: ignore[arg-type]
    if not np.isfinite(number):
        return "—" if np.isnan(number) else ("∞" if number > 0 else "−∞")
    if fmt == PERCENT:
        return f"{number:.1%}"
    if fmt == INTEGER:
        return f"{number:,.0f}"
    if fmt == ONE_DECIMAL:
        return f"{number:,.1f}"
    if fmt == TWO_DECIMALS:
        return f"{number:,.2f}"
    if fmt == DEGREES:
        return f"{number:.6f}"
    return _number_text(number, False)


def plan_sheet(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, Formats] | None:
    """The plan table (`coverage.indicators.plan_table`) in the plan's own shape, with its formats.

    Columns: indicator | baseline year and value | 2025 target | binding or expected | now | gap |
    source, then the unit, the basis and date of the current value, the population base (group,
    count, year), the need at the standard, the lead unit and one note (the row's remarks and the
    sources of its current value and base). Where the current value is missing, the "now" cell
    says why ("not computed: needs …"). None when ``df`` does not have the plan table's columns
    (headers in ``lang``).
    """
    heads = {k: say(f"ind.head.plan.{k}", lang) for k in _plan_keys()}
    if not {heads[k] for k in (*_PLAN_NEED, *_PLAN_MORE)} <= set(df.columns):
        return None
    df = df.reset_index(drop=True)

    def col(key: str) -> pd.Series:
        return df[heads[key]] if heads[key] in df.columns else pd.Series("", index=df.index, dtype=object)

    units = col("unit_of_measure").astype(str).to_numpy()
    percent = units == PERCENT_UNIT
    years = col("target_year").astype(str)
    year = _one_year(years)
    targets = [_target_cell(v, p) for v, p in zip(col("target"), percent, strict=True)]
    if not year:
        targets = [_in_year(v, y, p, lang) for v, y, p in zip(targets, years, percent, strict=True)]
    plan = {
        heads["indicator"]: col("indicator"),
        say("xlsx.head.baseline", lang): [
            _baseline_text(v, y, p, lang)
            for v, y, p in zip(col("baseline"), col("baseline_year"), percent, strict=True)
        ],
        _target_head(year, lang): pd.Series(targets, dtype=object),
        say("xlsx.head.attribute", lang): col("attribute"),
        heads["now"]: _now_cells(_scaled(col("now"), percent), col("now_status")),
        heads["gap"]: _scaled(col("gap"), percent),
        say("xlsx.head.source", lang): col("source"),
    }
    plan |= {heads[k]: col(k) for k in (*_PLAN_EXPLAIN, *_PLAN_LAST) if heads[k] in df.columns}
    plan[heads["note"]] = _plan_notes(df, heads, lang)
    out = pd.DataFrame(plan)
    return out, _plan_formats(out, units, lang)


def _plan_keys() -> tuple[str, ...]:
    return (*_PLAN_NEED, *_PLAN_MORE, *_PLAN_EXPLAIN, *_PLAN_LAST, "now_status", *_PLAN_NOTES)


def _one_year(years: pd.Series) -> str:
    """The target year shared by every row (its digits, ``2025``), or "" when they differ."""
    found = years.str.extract(r"(\d{4})", expand=False).fillna("")
    if not len(found) or not found.iloc[0] or not found.eq(found.iloc[0]).all():
        return ""
    return str(found.iloc[0])


def _now_cells(now: pd.Series, status: pd.Series) -> pd.Series:
    """The current values, and where one is missing the reason ("not computed: needs …") in its place."""
    cells = now.astype(object)
    why = status.fillna("").astype(str)
    missing = now.isna().to_numpy() & (why != "").to_numpy()
    cells[missing] = why[missing]
    return cells


def _plan_notes(df: pd.DataFrame, heads: dict[str, str], lang: str) -> list[str]:
    """One note per row: its remarks, then the sources of its current value and population base."""
    sep = say("sep.clauses", lang)
    out = []
    for i in range(len(df)):
        parts = []
        for key, label in _PLAN_NOTES.items():
            text = df[heads[key]].iloc[i] if heads[key] in df.columns else ""
            text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
            if text:
                parts.append(say(label, lang, text=text) if label else text)
        out.append(sep.join(parts))
    return out


def _target_head(year: str, lang: str) -> str:
    """``2025 target`` when every target has the same year, else ``Target`` (the cells then name it)."""
    return say("xlsx.head.target_year", lang, year=year) if year else say("xlsx.head.target", lang)


def _plan_formats(out: pd.DataFrame, units: np.ndarray, lang: str) -> Formats:
    """Row formats of the target, now and gap columns; people formats of the base and need."""
    land = say("ind.plan.uom.land_per_capita", lang)
    rows: list[str | None] = [
        PERCENT
        if u == PERCENT_UNIT
        else ONE_DECIMAL
        if u == PER_MILLE
        else TWO_DECIMALS
        if u == land
        else INTEGER
        for u in units
    ]
    formats: Formats = dict.fromkeys((2, 4, 5), rows)
    for key in ("base_value", "need"):
        head = say(f"ind.head.plan.{key}", lang)
        if head in out.columns:
            formats[out.columns.get_loc(head)] = [INTEGER] * len(out)
    return formats


def _scaled(values: pd.Series, percent: np.ndarray) -> pd.Series:
    """Percent values as fractions (a cell formatted ``0.0%``); other values as they are."""
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return numbers.where(~percent, numbers / 100.0)


def _target_cell(text: object, percent: bool) -> object:
    """A plain-number target as a number (a fraction for percent rows); ``≤5``, ``+3`` stay text."""
    if not _PLAIN_NUMBER.fullmatch(str(text)):
        return text
    value = float(str(text))
    return value / 100.0 if percent else value


def _in_year(target: object, year: str, percent: bool, lang: str) -> str:
    """A target with its year, as text (the targets of the sheet have different years)."""
    shown = _number_text(target, percent) if isinstance(target, float) else str(target)
    return say("xlsx.target_in_year", lang, target=shown, year=year_text(year, lang)) if year else shown


def _baseline_text(value: object, year: object, percent: bool, lang: str) -> str:
    """The baseline cell: ``2020: 1,915`` (message ``xlsx.baseline``); ``—`` without a baseline."""
    number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
    if pd.isna(number):
        return "—"
    shown = _number_text(float(number) / 100.0 if percent else float(number), percent)
    year = year_text(year, lang)
    return say("xlsx.baseline", lang, year=year, value=shown) if year else shown


def _number_text(value: float, percent: bool) -> str:
    """A stated number as text: ``37.4%``, a whole share ``100%``, ``1,915``, ``16.5``."""
    if percent:
        text = f"{value:.1%}"
        return text[:-3] + "%" if text.endswith(".0%") else text
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


@dataclass
class CellStyles:
    """The workbook's cell formats, each made once: a number format, the quote prefix, the header.

    ``styles(fmt, quote=..., head=...)`` is the format of a cell (None: the default one). The
    header is bold on `HEADER_FILL`, centred and wrapped; a quote-prefixed cell shows its text
    as typed and is not evaluated, even after an edit.
    """

    book: Any  # an ``xlsxwriter.Workbook``
    made: dict[tuple[str | None, bool, bool], Any] = field(default_factory=dict)

    def __call__(self, fmt: str | None, *, quote: bool = False, head: bool = False) -> Any:
        """The format of a cell with number format ``fmt`` (or None), quote-prefixed, in the header."""
        key = (fmt, quote, head)
        if key not in self.made:
            props: dict[str, object] = {"num_format": fmt} if fmt else {}
            if quote:
                props["quote_prefix"] = True
            if head:
                props |= {"bold": True, "pattern": 1, "fg_color": HEADER_FILL}
                props |= {"align": "center", "valign": "vcenter", "text_wrap": True}
            self.made[key] = self.book.add_format(props) if props else None
        return self.made[key]


def write_rows(ws: Any, df: pd.DataFrame, formats: Formats, styles: CellStyles) -> None:
    """Write the data rows of ``df`` below the header, each row once and in order (streaming).

    Numbers stay numbers with their format from ``formats`` (``#,##0`` cells holding a float are
    written as integers); ``inf`` is the text ``∞``; NaN, None and "" are blank cells; text that looks
    like a formula (`formula_like`) is quote-prefixed text, other text plain text, never a formula.
    """
    columns = [_column_cells(ws, df.iloc[:, j], formats.get(j), styles) for j in range(df.shape[1])]
    for i, row in enumerate(zip(*columns, strict=True), start=1):
        for j, cell in enumerate(row):
            if cell is not None:
                write, value, style = cell
                write(i, j, value, style)


def _column_cells(ws: Any, values: pd.Series, per_row: list[str | None] | None, styles: CellStyles) -> list:
    """``(write method, value, format)`` of each cell of one column; None for a blank cell."""
    guard = formula_like(values).tolist()
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:  # text or missing only
        write, quoted = ws.write_string, styles(None, quote=True)
        return [
            (write, v, quoted if q else None) if isinstance(v, str) and v else None
            for v, q in zip(values.tolist(), guard, strict=True)
        ]
    fmts = per_row if per_row is not None else [None] * len(values)
    return [_cell(ws, v, f, q, styles) for v, f, q in zip(values.tolist(), fmts, guard, strict=True)]


def _cell(ws: Any, value: object, fmt: str | None, quote: bool, styles: CellStyles) -> tuple | None:
    """One cell as pandas' Excel writer had it: numbers, booleans, dates, else text."""
    if isinstance(value, str):  # "" is a blank cell, as pandas' writer left it
        return (ws.write_string, value, styles(None, quote=True) if quote else None) if value else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return ws.write_boolean, bool(value), styles(fmt)
    if isinstance(value, int | np.integer):
        return ws.write_number, int(value), styles(fmt)
    if isinstance(value, float | np.floating):
        number = float(value)
        if np.isnan(number):
            return None
        if np.isinf(number):
            return ws.write_string, "∞" if number > 0 else "-∞", None
        return ws.write_number, round(number) if fmt == INTEGER else number, styles(fmt)
    if isinstance(value, date):
        return ws.write_datetime, value, styles(DATE_TIME if isinstance(value, datetime) else DATE)
    text = str(value)
    return ws.write_string, text, styles(None, quote=True) if formula_like([text])[0] else None


def plan_first(keys: Iterable[str], plan_keys: Iterable[str]) -> list[str]:
    """``keys`` with the plan sheet(s) first, the others in their order."""
    first = set(plan_keys)
    keys = list(keys)
    return [k for k in keys if k in first] + [k for k in keys if k not in first]
