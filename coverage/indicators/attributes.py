"""Indicator rows from the facility list's own columns: nursing beds, puhui, operators, land, health sites.

A civil-affairs facility list may say more than where a facility is and how big: how many of its
beds are nursing beds, whether it is affordable (puhui), who runs it, how much land it has, and
(in the same list, or a list of clinics given as the service ``health``) where the health
facilities are. Each gives one indicator of the plans (policy-digest §3.1, §3.2, §7 items 6, 7 and
16), per unit and for the district:

- ``nursing_share``: nursing beds over beds (``nursing_beds`` ÷ ``capacity``), elderly care;
- ``puhui_share`` and ``puhui_supply``: affordable beds or childcare places and their share;
- ``social_share``, ``social_bed_share``, ``public_bed_share``: facilities and beds run by
  social operators (publicly built and privately run, or private) or by the government;
- ``land_per_capita``: elderly-care land (``land_m2``) per resident, m²;
- ``colocated_share``: elderly facilities with a health facility within the jurisdiction's
  co-location distance (straight line, `Standards.colocation_m`, an assumption: "integrated or
  adjacent").

The cell values that mean yes, no, a social operator or the government are catalogue entries
(``ind.values.*``), read in both languages.

A value is counted only where the list gives it: facilities whose cell is empty are left out of
both sides of a share. Without the column (or without any health facility) the district row is NaN
marked ``no_data`` with a note naming the column, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from ...geodata.common import Msg, say
from ..standards import Standards
from .inputs import Population, capacities
from .notes import note
from .rows import Cell, RowKey, Rows
from .units import Level, Paths, facility_units

#: Columns of the facility table the indicators read (English names; the reader maps headers).
ATTRIBUTE_COLUMNS: tuple[str, ...] = ("nursing_beds", "puhui", "operator", "land_m2")


@cache
def cell_values(kind: str) -> frozenset[str]:
    """The cell values (lower case) of the catalogue entry ``ind.values.<kind>``, in both languages.

    ``kind`` is ``yes``, ``no`` (flag columns), ``social`` or ``public`` (the ``operator`` column).
    """
    return frozenset(
        v.strip().lower()
        for lang in ("zh", "en")
        for v in say(f"ind.values.{kind}", lang).split(say("sep.list", lang))
    )


#: Services and tiers of the facility list that are health facilities (co-location).
HEALTH_SERVICES = frozenset({"health", "clinic"})


def flags(values: pd.Series) -> np.ndarray:
    """A yes/no column as 1.0, 0.0 and NaN (unknown or empty)."""
    return _two_kinds(values, "yes", "no")


def operators(values: pd.Series) -> np.ndarray:
    """The ``operator`` column as 1.0 (social operator), 0.0 (government) and NaN (unknown)."""
    return _two_kinds(values, "social", "public")


def _two_kinds(values: pd.Series, one: str, zero: str) -> np.ndarray:
    """Cells of the catalogue's ``one`` kind as 1.0, of its ``zero`` kind as 0.0, others NaN."""
    text = values.astype(str).str.strip().str.lower()
    out = np.full(len(values), np.nan)
    out[text.isin(cell_values(one)).to_numpy()] = 1.0
    out[text.isin(cell_values(zero)).to_numpy()] = 0.0
    return out


@dataclass(frozen=True)
class _Ratio:
    """A share or ratio to write: numerator and denominator per facility, unit, column it needs."""

    metric: str
    service: str
    top: np.ndarray
    bottom: np.ndarray
    uom: str = "%"
    column: str = ""


@dataclass(frozen=True)
class AttributeInputs:
    """What the attribute rows read: the facilities that count, their unit paths, people, standards."""

    facilities: pd.DataFrame
    fac_paths: Paths
    counted: np.ndarray
    people: Population
    standards: Standards | None


def attribute_rows(
    rows: Rows,
    levels: list[Level],
    inputs: AttributeInputs,
) -> None:
    """Rows of every attribute indicator, per unit where the list gives it, else one "no data" row."""
    for ratio in _ratios(inputs):
        if ratio.column and ratio.column not in inputs.facilities.columns:
            lack = Msg("ind.lack.column", column=Msg(f"ind.column.{ratio.column}"), service=ratio.service)
            _no_data(rows, levels, ratio, lack)
            continue
        for level in levels:
            _ratio_rows(rows, level, inputs, ratio)
    _colocation_rows(rows, levels, inputs)


def _ratios(inputs: AttributeInputs) -> list[_Ratio]:
    """The shares the facility columns give, each with the column it needs."""
    fac = inputs.facilities
    svc = fac["service"].astype(str).to_numpy()
    cap = capacities(fac)
    n = len(fac)

    def col(name: str, how=None) -> np.ndarray:
        if name not in fac.columns:
            return np.full(n, np.nan)
        return how(fac[name]) if how else pd.to_numeric(fac[name], errors="coerce").to_numpy(dtype=float)

    nursing, puhui, social, land = (
        col("nursing_beds"),
        col("puhui", flags),
        col("operator", operators),
        col("land_m2"),
    )
    out = [
        _Ratio(
            "nursing_share", "elderly", nursing * _known(cap), cap * _known(nursing), column="nursing_beds"
        )
    ]
    for service in ("elderly", "childcare"):
        out.append(_Ratio("puhui_share", service, cap * puhui, cap * _known(puhui), column="puhui"))
    out.append(_Ratio("puhui_supply", "elderly", cap * puhui, np.ones(n), uom="beds", column="puhui"))
    out.append(_Ratio("social_share", "elderly", social, _known(social), column="operator"))
    out.append(_Ratio("social_bed_share", "elderly", cap * social, cap * _known(social), column="operator"))
    public = np.where(np.isnan(social), np.nan, 1.0 - social)
    out.append(_Ratio("public_bed_share", "elderly", cap * public, cap * _known(public), column="operator"))
    out.append(_Ratio("land_per_capita", "elderly", land, np.zeros(n), uom="m2_per_capita", column="land_m2"))
    return [r for r in out if (svc == r.service).any() or r.column not in fac.columns]


def _known(values: np.ndarray) -> np.ndarray:
    """1.0 where ``values`` is known, NaN where not (so a product leaves the unknown out)."""
    return np.where(np.isnan(values), np.nan, 1.0)


def _sums(level: Level, inputs: AttributeInputs, chosen: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Σ ``values`` of the chosen facilities per unit of ``level`` (NaN values left out)."""
    fidx = facility_units(level, inputs.fac_paths, chosen)
    v = values[chosen]
    ok = (fidx >= 0) & ~np.isnan(v)
    return np.bincount(fidx[ok], v[ok], minlength=level.keys.size).astype(float)


def _ratio_rows(rows: Rows, level: Level, inputs: AttributeInputs, ratio: _Ratio) -> None:
    """One share (or supply, or land per resident) per unit of ``level``."""
    chosen = inputs.counted & (inputs.facilities["service"].astype(str).to_numpy() == ratio.service)
    top = _sums(level, inputs, chosen, ratio.top)
    g_n = level.keys.size
    if ratio.metric == "land_per_capita":
        pop = inputs.people.pops.get("pop_total")
        bottom = np.bincount(level.idx, pop, minlength=g_n) if pop is not None else np.full(g_n, np.nan)
        known = _sums(level, inputs, chosen, _known(ratio.top)) > 0
    else:
        bottom = _sums(level, inputs, chosen, ratio.bottom)
        known = bottom > 0
    if ratio.uom == "beds":
        value = np.where(known | (top > 0), top, np.nan)
    else:
        scale = 1.0 if ratio.uom == "m2_per_capita" else 100.0
        value = np.divide(scale * top, bottom, out=np.full(g_n, np.nan), where=known & (bottom > 0))
    why = note(
        "ind.note.attribute", column=Msg(f"ind.column.{ratio.column or 'coordinates'}"), service=ratio.service
    )
    basis = np.where(np.isnan(value), "no_data", "computed").astype(object)
    cell = Cell(ratio.metric, value, uom=ratio.uom, note=np.where(np.isnan(value), why, ""), basis=basis)
    rows.add(level, np.ones(g_n, dtype=bool), RowKey("all", ratio.service, ""), cell)


def _no_data(rows: Rows, levels: list[Level], ratio: _Ratio, lack: Msg) -> None:
    """The top unit's row of an indicator the facility list cannot give: NaN, "no data: needs …"."""
    if not levels:
        return
    top = levels[0]
    why = note("ind.note.no_data_needs", needs=lack)
    cell = Cell(ratio.metric, np.nan, uom=ratio.uom, note=why, basis="no_data")
    rows.add(top, np.ones(top.keys.size, dtype=bool), RowKey("all", ratio.service, ""), cell)


def _points(fac: pd.DataFrame) -> tuple[np.ndarray, np.ndarray] | None:
    """Longitudes and latitudes of the facilities (``lon``/``lat`` columns or a point geometry)."""
    if {"lon", "lat"} <= set(fac.columns):
        return (
            pd.to_numeric(fac["lon"], errors="coerce").to_numpy(dtype=float),
            pd.to_numeric(fac["lat"], errors="coerce").to_numpy(dtype=float),
        )
    geom = getattr(fac, "geometry", None) if "geometry" in fac.columns else None
    if geom is None:
        return None
    import shapely

    pts = shapely.point_on_surface(np.asarray(geom))
    return shapely.get_x(pts), shapely.get_y(pts)


def _colocation_rows(rows: Rows, levels: list[Level], inputs: AttributeInputs) -> None:
    """The share of elderly facilities with a health facility within `Standards.colocation_m`."""
    fac = inputs.facilities
    svc = fac["service"].astype(str).to_numpy()
    elderly = inputs.counted & (svc == "elderly")
    health = np.isin(svc, list(HEALTH_SERVICES))
    radius = inputs.standards.colocation_m if inputs.standards is not None else None
    ratio = _Ratio("colocated_share", "elderly", np.zeros(len(fac)), np.zeros(len(fac)))
    xy = _points(fac)
    if radius is None or not elderly.any() or not health.any() or xy is None:
        lack = Msg("ind.lack.health" if xy is not None else "ind.lack.coordinates")
        if elderly.any() or not health.any():
            _no_data(rows, levels, ratio, lack)
        return
    near = _near(xy, elderly, health, float(radius))
    top = np.where(elderly, near, np.nan)
    ratio = _Ratio("colocated_share", "elderly", top, _known(top))
    for level in levels:
        _ratio_rows(rows, level, inputs, ratio)


def _near(
    xy: tuple[np.ndarray, np.ndarray], which: np.ndarray, to: np.ndarray, radius_m: float
) -> np.ndarray:
    """1.0 for each facility of ``which`` with one of ``to`` within ``radius_m`` (straight line), else 0."""
    from scipy.spatial import cKDTree

    lon, lat = xy
    lat0 = np.nanmean(lat[which | to])
    x = lon * 111_320.0 * np.cos(np.radians(lat0))
    y = lat * 110_574.0
    ok_to = to & np.isfinite(x) & np.isfinite(y)
    out = np.zeros(len(lon))
    if not ok_to.any():
        return out
    tree = cKDTree(np.column_stack([x[ok_to], y[ok_to]]))
    ask = which & np.isfinite(x) & np.isfinite(y)
    dist, _ = tree.query(np.column_stack([x[ask], y[ask]]), k=1)
    out[ask] = (dist <= radius_m).astype(float)
    out[which & ~ask] = np.nan
    return out


def counted_facilities(facilities: pd.DataFrame, statuses: Sequence[str]) -> np.ndarray:
    """Facilities whose status counts (``existing``; ``planned`` too when a plan is tested)."""
    return np.isin(facilities["status"].astype(str).to_numpy(), list(statuses))
