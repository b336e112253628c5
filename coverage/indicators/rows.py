"""The long indicator table's shape: its columns, blocks of rows, and its fixed order.

Rows are collected as blocks of arrays (one block per unit level × area × service × group ×
metric: a `RowKey` and a `Cell`) and become one `pandas.DataFrame` at the end, sorted by
`sort_table` so that the same inputs give an identical table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...geodata.common import Msg
from ...geodata.labels import METRIC_LABELS
from ...geodata.schema import GROUPS, SERVICES
from .notes import joined, note
from .units import AREAS, SCOPES, Level

#: Columns of the long indicator table, in order.
COLUMNS: tuple[str, ...] = (
    "scope",
    "unit",
    "unit_name",
    "parent",
    "unit_class",
    "area",
    "service",
    "group",
    "rule",
    "metric",
    "value",
    "target",
    "unit_of_measure",
    "source",
    "note",
    "value_basis",
    "base_value",
    "base_year",
    "base_source",
)
#: ``value_basis`` values: from the run's inputs, from the jurisdiction profile, or unknown.
BASES: tuple[str, ...] = ("computed", "documented", "no_data")

_METRIC_ORDER = tuple(METRIC_LABELS)


@dataclass(frozen=True)
class RowKey:
    """What a block of rows is about: area, service, population group and one-per-unit rule."""

    area: str
    service: str
    group: str
    rule: str = ""


@dataclass(frozen=True)
class PopBase:
    """The population base of a value (capacity rows): count, year and source, per unit or one."""

    value: float | np.ndarray = np.nan
    year: str | np.ndarray = ""
    source: str | np.ndarray = ""


@dataclass(frozen=True)
class Cell:
    """One metric of a block of rows: its values (one per unit, or one for all) and what they mean.

    Attributes
    ----------
    metric
        Metric key (`METRIC_LABELS`).
    value, target
        The values and targets.
    uom
        Unit of measure (``persons``, ``%``, ``min``, …).
    source, note
        Citation and note.
    basis
        ``computed``, ``documented`` or ``no_data`` (`BASES`).
    base
        The population base (capacity rows).
    """

    metric: str
    value: float | np.ndarray
    uom: str = ""
    target: float | np.ndarray = np.nan
    source: str | np.ndarray = ""
    note: str | np.ndarray = ""
    basis: str | np.ndarray = "computed"
    base: PopBase = field(default_factory=PopBase)


class Rows:
    """Collects blocks of rows as arrays; `frame` builds the table once."""

    def __init__(self) -> None:
        self.blocks: list[dict[str, np.ndarray]] = []

    def add(self, level: Level, sel: np.ndarray, key: RowKey, cell: Cell) -> None:
        """Add the rows of the units ``sel`` of ``level`` (nothing when none is selected)."""
        k = int(sel.sum())
        if k == 0:
            return
        n = level.keys.size

        def text(x: object) -> np.ndarray:
            return np.broadcast_to(np.asarray(x, dtype=object), (n,))[sel]

        def num(x: object) -> np.ndarray:
            return np.broadcast_to(np.asarray(x, dtype=float), (n,))[sel]

        def same(x: str) -> np.ndarray:
            return np.full(k, x, dtype=object)

        self.blocks.append(
            {
                "scope": same(level.scope),
                "unit": level.unit[sel],
                "unit_name": level.unit_name[sel],
                "parent": level.parent[sel],
                "unit_class": level.unit_class[sel],
                "area": same(key.area),
                "service": same(key.service),
                "group": same(key.group),
                "rule": same(key.rule),
                "metric": same(cell.metric),
                "value": num(cell.value),
                "target": num(cell.target),
                "unit_of_measure": same(cell.uom),
                "source": text(cell.source),
                "note": text(cell.note),
                "value_basis": text(cell.basis),
                "base_value": num(cell.base.value),
                "base_year": text(cell.base.year).astype(str).astype(object),
                "base_source": text(cell.base.source),
            }
        )

    def frame(self) -> pd.DataFrame:
        """The rows collected, as a table (`COLUMNS`)."""
        if not self.blocks:
            return empty_table()
        cols = {c: np.concatenate([b[c] for b in self.blocks]) for c in COLUMNS}
        return pd.DataFrame(cols, columns=list(COLUMNS))


def empty_table() -> pd.DataFrame:
    """A table with the columns and no row."""
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    for c in ("value", "target", "base_value"):
        df[c] = df[c].astype(float)
    return df


def _rank_map(values: pd.Series, known: tuple[str, ...]) -> dict[str, str]:
    """Sort keys: known values in their given order, then the others alphabetically."""
    rank = {k: f"{i:04d}" for i, k in enumerate(known)}
    return {v: rank.get(v, f"9999{v}") for v in values.unique()}


def sort_table(df: pd.DataFrame) -> pd.DataFrame:
    """Fixed order: scope, parent, unit, area, service, group, rule, metric."""
    if df.empty:
        return df.reset_index(drop=True)
    keys = pd.DataFrame(
        {
            "s": df["scope"].map({s: i for i, s in enumerate(SCOPES)}),
            "p": df["parent"],
            "u": df["unit"],
            "a": df["area"].map({a: i for i, a in enumerate(AREAS)}),
            "v": df["service"].map(_rank_map(df["service"], SERVICES)),
            "g": df["group"].map(_rank_map(df["group"], GROUPS)),
            "r": df["rule"],
            "m": df["metric"].map(_rank_map(df["metric"], _METRIC_ORDER)),
        }
    )
    order = np.lexsort(
        [keys[c].astype(str).to_numpy() if c in "vgmpur" else keys[c].to_numpy() for c in "mrgvaups"]
    )
    return df.iloc[order].reset_index(drop=True)


def no_unit_rows(rows: Rows, levels: list[Level]) -> None:
    """One row saying that no street or community units were given (instead of rows for "unknown")."""
    have = {lv.scope for lv in levels}
    lack = [lv for lv in ("street", "community") if lv not in have]
    if not lack or not levels:
        return
    top = levels[0]
    why = note(
        "ind.note.no_units",
        needs=joined([Msg(f"ind.note.unit_word.{x}") for x in lack]),
        columns=joined(lack),
        levels=joined(lack, "or"),
    )
    cell = Cell("units_total", np.nan, uom="units", basis="no_data", note=why)
    rows.add(top, np.ones(top.keys.size, dtype=bool), RowKey("all", "", ""), cell)
