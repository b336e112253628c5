"""Known population totals for the building model: per area or per admin unit, by group, and their checks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np

from ..admin import first_hit, header_words, rows_msg
from ..common import InputError, Msg
from ..schema import GROUPS
from ._checks import check_pop, find_col, is_group_key, norm_groups, pop_cols
from .base import Where


def read_unit_totals(path: str | Path) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Read per-unit population totals from a CSV/Excel table (census figures per street, …).

    The table has a ``code`` column (the Chinese header for a division code is accepted too)
    and ``pop_total`` (or ``population`` and the usual Chinese headers), and optionally
    ``pop_60``, ``pop_80``, ``pop_0_3``; empty group cells mean unknown.

    Returns
    -------
    tuple
        ``(totals, group_totals)`` as `demand_from_buildings` takes them.
    """
    from .table import read_table

    df, where = read_table(path)
    code_col = find_col(df, None, ("code", *header_words("demand.columns.code"), "adcode", "unit"))
    if code_col is None:
        raise InputError("demand.no_code_column", where=where)
    codes = df[code_col].astype(str).str.strip()
    dup = codes.duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError("demand.repeated_codes", where=where, col=code_col, rows=rows_msg(dup))
    pcol = find_col(df, None, ("pop_total", *pop_cols()))
    if pcol is None:
        raise InputError("demand.no_population_column.totals", where=where)
    totals = dict(zip(codes, check_pop(df[pcol], where, pcol), strict=True))
    groups: dict[str, dict[str, float]] = {}
    for g in GROUPS[1:]:
        if g in df.columns:
            vals = check_pop(df[g], where, g, allow_nan=True)
            known = ~np.isnan(vals)
            groups[g] = dict(zip(codes[known], vals[known], strict=True))
    return totals, groups


def split_totals(
    totals: float | Mapping[str, float],
    group_totals: Mapping[str, float | Mapping[str, float]] | None,
    where: Where,
) -> tuple[dict[str, float] | None, dict]:
    """``(per-unit totals or None, group totals)``: group totals are scalars when per-unit is None."""
    gt = norm_groups(group_totals or {}, where, "group_totals")
    if isinstance(totals, Mapping) and totals and all(is_group_key(k) for k in totals):
        by_group = norm_groups(totals, where, "totals")
        if "pop_total" not in by_group:
            raise InputError("demand.totals_need_total", where=where)
        for g, v in by_group.items():
            if g != "pop_total" and g in gt:
                raise InputError("demand.group_given_twice", where=where, group=g)
            gt[g] = v
        totals = by_group.pop("pop_total")  # type: ignore[assignment]
    if not isinstance(totals, Mapping):
        scalars = {"pop_total": _total_value(totals, where, "totals")}
        for g, v in gt.items():
            if isinstance(v, Mapping):
                raise InputError("demand.group_totals_per_unit", where=where, group=g)
            scalars[g] = _total_value(v, where, f"group_totals[{g!r}]")
        return None, scalars
    per_unit = {str(k): _total_value(v, where, f"totals[{k!r}]") for k, v in totals.items()}
    groups: dict[str, dict[str, float]] = {}
    for g, v in gt.items():
        if not isinstance(v, Mapping):
            raise InputError("demand.group_totals_not_per_unit", where=where, group=g)
        unknown = [str(k) for k in v if str(k) not in per_unit]
        if unknown:
            raise InputError("demand.group_totals_unknown_units", where=where, group=g, units=unknown[:5])
        groups[g] = {str(k): _total_value(x, where, f"group_totals[{g!r}][{k!r}]") for k, x in v.items()}
    return per_unit, groups


def _total_value(value: object, where: Where, what: str) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        v = np.nan
    if not np.isfinite(v) or v < 0:
        raise InputError("demand.not_a_count", where=where, what=what, value=value)
    return v


def check_group_totals(tot: np.ndarray, gtot: dict[str, np.ndarray], codes: np.ndarray, where: Where) -> None:
    """Raise `InputError` when a group's total exceeds the residents (or 80+ the 60+) of a unit."""
    residents = Msg("demand.label.residents")
    pairs = [("pop_60", tot, residents), ("pop_80", tot, residents), ("pop_0_3", tot, residents)]
    if "pop_60" in gtot:
        pairs.append(("pop_80", gtot["pop_60"], Msg("demand.label.residents_60")))
    for g, upper, label in pairs:
        if g not in gtot:
            continue
        over = gtot[g] > upper * (1 + 1e-12)
        if over.any():
            code = codes[over][0]
            unit = Msg("demand.unit.code", code=code) if code else Msg("demand.unit.area")
            raise InputError("demand.group_over_total", where=where, group=g, label=label, unit=unit)


def units_for_totals(
    points: np.ndarray, units: gpd.GeoDataFrame | None, totals: dict[str, float], where: Where
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit codes, each building's unit index and the mask of buildings in some unit."""
    if units is None:
        raise InputError("demand.totals_without_units", where=where)
    if units.crs is not None and not units.crs.equals(4326):
        units = units.to_crs(4326)
    sub = units.loc[units["code"].astype(str).isin(totals.keys())]
    missing = sorted(set(totals) - set(sub["code"].astype(str)))
    if missing:
        raise InputError("demand.totals_unknown_units", where=where, units=missing[:5])
    if len(set(sub["level"])) > 1:
        raise InputError("demand.totals_mixed_levels", where=where, levels=sorted(sub["level"].unique()))
    sub = sub.drop_duplicates("code")
    codes = sub["code"].astype(str).to_numpy(dtype=object)
    hit, unit = first_hit(points, sub.geometry.to_numpy())
    unit_of = np.full(len(points), -1, dtype=np.int64)
    unit_of[hit] = unit
    keep = unit_of >= 0
    return codes, unit_of[keep], keep
