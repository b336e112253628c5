"""One-per-unit rows of the indicator table: facilities per unit against each rule, compliant shares.

A rule (`UnitRule`: one street centre per street, one station per community, …) is checked only
with a facility list of its service and units of its level; without them nothing is known, and
the rows say "no data: needs …" (a unit is never "missing" for want of data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...geodata.common import Msg
from ..standards import UnitRule, tier_mask
from .notes import joined, note
from .rows import Cell, RowKey, Rows
from .units import SCOPES, Level, Paths, facility_units, parent_index


@dataclass(frozen=True)
class _Check:
    """What one rule counts: its facilities, and what the run lacks to check it.

    Attributes
    ----------
    rule
        The rule.
    listed
        Whether the facility list holds facilities of the rule's service.
    counted
        The facilities that count (service, status and tier), as a mask.
    no_data
        The note "no data: needs …" ("" when the rule can be checked).
    unplaced
        Counted facilities without a code of the rule's level.
    """

    rule: UnitRule
    listed: bool
    counted: np.ndarray
    no_data: str
    unplaced: int

    @property
    def key(self) -> RowKey:
        return RowKey("all", self.rule.service, "", self.rule.key)

    @property
    def basis(self) -> str:
        return "computed" if self.listed else "no_data"


@dataclass(frozen=True)
class _UnitCounts:
    """The rule's units at its level: which it applies to and which comply."""

    level: Level
    applies: np.ndarray
    ok: np.ndarray


def _check(
    rule: UnitRule, facilities: pd.DataFrame, fac_paths: Paths, statuses: Sequence[str], *, has_level: bool
) -> _Check:
    """The facilities ``rule`` counts, and the note on what is missing to check it."""
    service = facilities["service"].astype(str).to_numpy()
    status = facilities["status"].astype(str).to_numpy()
    listed = bool((service == rule.service).any())
    lacks: list[Msg] = []
    if not listed:
        lacks.append(Msg("ind.lack.rule_facilities", service=rule.service))
    if not has_level:
        lacks.append(Msg("ind.lack.rule_units", level=rule.level))
    no_data = note("ind.note.no_data_needs", needs=joined(lacks)) if lacks else ""
    depth = 2 if rule.level == "community" else 1
    counted = (
        (service == rule.service)
        & np.isin(status, list(statuses))
        & tier_mask(facilities["tier"].to_numpy(), rule.tiers)
    )
    unplaced = int((fac_paths[depth][counted] == "").sum())
    return _Check(rule, listed, counted, no_data, unplaced)


def rule_rows(
    rows: Rows,
    levels: list[Level],
    fac_paths: Paths,
    facilities: pd.DataFrame,
    rules: Sequence[UnitRule],
    statuses: Sequence[str],
) -> None:
    """Rows of every rule: counts per unit at its level, and above it the compliant share."""
    by_scope = {lv.scope: lv for lv in levels}
    for rule in rules:
        level = by_scope.get(rule.level)
        check = _check(rule, facilities, fac_paths, statuses, has_level=level is not None)
        units = _unit_rows(rows, level, fac_paths, check) if level is not None else None
        for upper in levels:  # every scope above the rule's level
            if SCOPES.index(upper.scope) >= SCOPES.index(rule.level):
                break
            _upper_rows(rows, upper, fac_paths, check, units)


def _unit_rows(rows: Rows, level: Level, fac_paths: Paths, check: _Check) -> _UnitCounts:
    """``facility_count`` per unit of the rule's level (written when the list has the service)."""
    rule = check.rule
    fidx = facility_units(level, fac_paths, check.counted)
    count = np.bincount(fidx[fidx >= 0], minlength=level.keys.size).astype(float)
    applies = level.unit != ""
    if rule.area != "all":
        applies &= level.unit_class == rule.area
    ok = count >= rule.min_count
    if check.listed:
        missing = np.where(ok, "", note("ind.note.rule_missing"))
        cell = Cell(
            "facility_count",
            count,
            uom="facilities",
            target=float(rule.min_count),
            source=rule.source,
            note=missing,
        )
        rows.add(level, applies, check.key, cell)
    return _UnitCounts(level, applies, ok)


def _upper_rows(rows: Rows, upper: Level, fac_paths: Paths, check: _Check, units: _UnitCounts | None) -> None:
    """Facilities, units, compliant units and their share in each unit of a scope above the rule's."""
    rule, n = check.rule, upper.keys.size
    src = rule.source
    if not check.listed:
        nfac = np.full(n, np.nan)
    else:
        up_f = facility_units(upper, fac_paths, check.counted)
        nfac = np.bincount(up_f[up_f >= 0], minlength=n).astype(float)
    if units is None:  # no units of the rule's level: nothing to share out
        sel = np.ones(n, dtype=bool)
        fac_note = check.no_data if not check.listed else ""
        rows.add(
            upper,
            sel,
            check.key,
            Cell("facilities", nfac, uom="facilities", source=src, basis=check.basis, note=fac_note),
        )
        share = Cell(
            "unit_share",
            np.nan,
            uom="%",
            target=rule.share_target,
            source=src,
            basis="no_data",
            note=check.no_data,
        )
        rows.add(upper, sel, check.key, share)
        return
    up = parent_index(units.level, upper)
    placed = units.applies & (up >= 0)  # units whose parent unit is not known count nowhere above
    tot = np.bincount(up[placed], minlength=n).astype(float)
    good = np.bincount(up[placed & units.ok], minlength=n).astype(float)
    sel = tot > 0
    ratio = np.divide(100.0 * good, tot, out=np.full(n, np.nan), where=tot > 0)
    if not check.listed:
        good, ratio = np.full(n, np.nan), np.full(n, np.nan)
    unplaced = note("ind.note.rule_unplaced", n=check.unplaced, level=rule.level) if check.unplaced else ""
    basis, no_data = check.basis, check.no_data
    for cell in (
        Cell("facilities", nfac, uom="facilities", source=src, basis=basis, note=no_data or unplaced),
        Cell("units_total", tot, uom="units", source=src),
        Cell("units_compliant", good, uom="units", source=src, basis=basis, note=no_data),
        Cell("unit_share", ratio, uom="%", target=rule.share_target, source=src, basis=basis, note=no_data),
    ):
        rows.add(upper, sel, check.key, cell)


def missing_units(table: pd.DataFrame, rule: str | None = None) -> pd.DataFrame:
    """The units that miss a one-per-unit rule, from the long table (``facility_count`` < target).

    A rule the run could not check (no facility list of its service, or no units of its level)
    is not silently empty: it gets one row for the unit above (the district, or the total) with
    ``count`` NaN and the note saying what is missing ("no data: needs …").
    """
    m = (table["metric"] == "facility_count") & (table["value"] < table["target"])
    if rule is not None:
        m &= table["rule"] == rule
    cols = [
        "scope",
        "unit",
        "unit_name",
        "parent",
        "unit_class",
        "service",
        "rule",
        "value",
        "target",
        "source",
        "note",
    ]
    basis = table["value_basis"] if "value_basis" in table else pd.Series("computed", index=table.index)
    top = "total" if (table["scope"] == "total").any() else "district"
    unchecked = (
        (table["metric"] == "unit_share")
        & (table["scope"] == top)
        & (basis == "no_data")
        & (table["rule"] != "")
    )
    if rule is not None:
        unchecked &= table["rule"] == rule
    out = table.loc[m, cols]
    if unchecked.any():
        out = pd.concat([out, table.loc[unchecked, cols].assign(value=np.nan, target=np.nan)])
    return out.rename(columns={"value": "count", "target": "min_count"}).reset_index(drop=True)
