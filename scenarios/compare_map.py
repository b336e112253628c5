"""What a comparison draws and lists: homes newly within reach, facilities added or removed, units by gain.

`lifecircle.scenarios.compare` reads the two run folders; this module turns them into the map's
tables (`comparison_map_inputs`: run A's state and run B's, switchable, B's shown first with A's
circles dashed over it) and into the per-unit table sorted by gain the comparison page lists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from ..geodata.schema import GROUPS
from ..maps.inputs import AFTER
from ..maps.style import PRIMARY_GROUP
from ..maps.webmap import MapInputs

if TYPE_CHECKING:
    from .run_folder import RunFolder

#: Columns of the per-unit table of a comparison, in order.
UNIT_COLUMNS = (
    "service",
    "group",
    "level",
    "unit",
    "unit_name",
    "pop",
    "covered_a",
    "covered_b",
    "gain",
    "loss",
    "coverage_a",
    "coverage_b",
    "coverage_delta",
)


def matched(a: RunFolder, b: RunFolder) -> tuple[np.ndarray, np.ndarray]:
    """Row positions in A's and B's demand layers of the demand points both runs have (by ``id``)."""
    m = a.demand[["id"]].reset_index().merge(b.demand[["id"]].reset_index(), on="id", suffixes=("_a", "_b"))
    return m["index_a"].to_numpy(), m["index_b"].to_numpy()


def covered(d: pd.DataFrame, service: str) -> np.ndarray:
    """Whether each demand point is within its own threshold of ``service``."""
    t = pd.to_numeric(d[f"time_s_{service}"], errors="coerce").to_numpy(dtype=float)
    thr = pd.to_numeric(d[f"threshold_s_{service}"], errors="coerce").to_numpy(dtype=float)
    return np.nan_to_num(t, nan=np.inf) <= thr


def unit_names(a: RunFolder, b: RunFolder) -> dict[str, str]:
    """Unit code → name from both runs' unit layers (B's name wins)."""
    out: dict[str, str] = {}
    for units in (a.units, b.units):
        if units is not None and {"code", "name"} <= set(units.columns):
            out.update(zip(units["code"].astype(str), units["name"].astype(str), strict=True))
    return out


def unit_table(gains: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The per-unit deltas: names, coverage before and after and its change, largest gain first.

    Sorted within each service, group and level.
    """
    if not len(gains):
        return pd.DataFrame(columns=list(UNIT_COLUMNS))
    out = gains.copy()
    codes = out["unit"].astype(str)
    out["unit_name"] = codes.map(names).astype(object).fillna(codes.astype(object))
    out["coverage_delta"] = out["coverage_b"] - out["coverage_a"]
    out = out.sort_values(
        ["service", "group", "level", "gain", "coverage_b", "unit"],
        ascending=[True, True, True, False, True, True],
        na_position="last",
        kind="stable",
    )
    return out[[c for c in UNIT_COLUMNS if c in out.columns]].reset_index(drop=True)


def home_changes(a: RunFolder, b: RunFolder, services: list[str], names: dict[str, str]) -> gpd.GeoDataFrame:
    """Demand points newly within reach in B (``gained``) or no longer (``lost``), per service.

    A service without a facility list in either run has unknown coverage there: no change is
    claimed for it.
    """
    ia, ib = matched(a, b)
    base = b.demand.iloc[ib].reset_index(drop=True)
    unit = _unit_of(base, names)
    parts = []
    for svc in services:
        if svc in a.no_data or svc in b.no_data:
            continue
        before, after = covered(a.demand.iloc[ia], svc), covered(base, svc)
        change = np.where(after & ~before, "gained", np.where(before & ~after, "lost", ""))
        keep = change != ""
        cols = {g: base[g].to_numpy(dtype=float)[keep] for g in GROUPS if g in base}
        parts.append(
            gpd.GeoDataFrame(
                {"service": svc, "change": change[keep], "unit": unit[keep], **cols},
                geometry=base.geometry.to_numpy()[keep],
                crs=b.demand.crs,
            )
        )
    if not parts:
        return gpd.GeoDataFrame({"service": [], "change": []}, geometry=[], crs=4326)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=b.demand.crs)


def _unit_of(d: pd.DataFrame, names: dict[str, str]) -> np.ndarray:
    """The name of the finest unit each point lives in (community, else street), ``""`` unknown."""
    out = np.full(len(d), "", dtype=object)
    for level in ("street", "community"):
        if level in d.columns:
            codes = d[level].fillna("").astype(str)
            named = codes.map(names).astype(object).fillna(codes.astype(object)).to_numpy(dtype=object)
            out = np.where(codes.to_numpy() != "", named, out)
    return out


def facility_changes(a: RunFolder, b: RunFolder) -> gpd.GeoDataFrame | None:
    """Facilities in B and not in A (``added``) and in A and not in B (``removed``).

    Facilities are matched by service and id, or by service and position (1 m) when a table has
    no id.
    """
    fa, fb = a.facilities, b.facilities
    if (fa is None or not len(fa)) and (fb is None or not len(fb)):
        return None
    ka, kb = _keys(fa), _keys(fb)
    added = fb.loc[~np.isin(kb, ka)] if fb is not None else None
    removed = fa.loc[~np.isin(ka, kb)] if fa is not None else None
    pairs = ((added, "added"), (removed, "removed"))
    parts = [p.assign(change=c) for p, c in pairs if p is not None and len(p)]
    if not parts:
        return None
    cols = ["service", "change", "name", "tier", "geometry"]
    both = pd.concat([p[[c for c in cols if c in p.columns]] for p in parts], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs=4326)


def _keys(fac: gpd.GeoDataFrame | None) -> np.ndarray:
    """``service|id`` per facility, or ``service|lon|lat`` (to about 1 m) without ids."""
    if fac is None or not len(fac):
        return np.array([], dtype=object)
    svc = fac["service"].astype(str)
    if "id" in fac.columns and (fac["id"].astype(str) != "").all():
        return (svc + "|" + fac["id"].astype(str)).to_numpy(dtype=object)
    pts = fac.geometry.to_crs(4326).representative_point()
    return (svc + "|" + pts.x.round(5).astype(str) + "|" + pts.y.round(5).astype(str)).to_numpy(dtype=object)


def _two_states(a: RunFolder, b: RunFolder, services: list[str]) -> gpd.GeoDataFrame:
    """B's demand points (those A has too) with A's times as ``<service>`` and B's as ``<service>_after``."""
    ia, ib = matched(a, b)
    demand = b.demand.iloc[ib].reset_index(drop=True).copy()
    da = a.demand.iloc[ia].reset_index(drop=True)
    for svc in services:
        for col in (f"time_s_{svc}", f"threshold_s_{svc}"):
            demand[col.replace(svc, f"{svc}{AFTER}")] = demand[col].to_numpy()
            demand[col] = da[col].to_numpy()
    return demand


def _isochrones(a: RunFolder, b: RunFolder) -> gpd.GeoDataFrame | None:
    """A's circles as ``<service>``, B's as ``<service>_after``."""
    parts = []
    if a.isochrones is not None and len(a.isochrones):
        parts.append(a.isochrones)
    if b.isochrones is not None and len(b.isochrones):
        parts.append(b.isochrones.assign(service=b.isochrones["service"].astype(str) + AFTER))
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=4326) if parts else None


def _shares(units: gpd.GeoDataFrame | None, table: pd.DataFrame) -> gpd.GeoDataFrame | None:
    """The unit polygons with their coverage shares (0–1), before and after.

    Before as ``share_<svc>_<group>``, after as ``share_<svc>_after_<group>``.
    """
    if units is None or not len(units) or "code" not in units.columns:
        return None
    out = units.copy()
    code = out["code"].astype(str)
    for (svc, grp), sub in table.groupby(["service", "group"]):
        keyed = sub.set_index(sub["unit"].astype(str))
        for col, suffix in (("coverage_a", ""), ("coverage_b", AFTER)):
            out[f"share_{svc}{suffix}_{grp}"] = code.map(keyed[col] / 100.0)
    return out


def comparison_map_inputs(a: RunFolder, b: RunFolder, parts: dict) -> MapInputs:
    """The comparison's map: both states (B's first), A's circles dashed, changes on top.

    ``parts`` holds ``services``, ``units`` (the per-unit table), ``changes``,
    ``facility_changes``, ``title``, ``headlines`` and ``states`` (the two states' names).
    """
    services = parts["services"]
    units = parts["units"]
    main = units[units["group"] == units["service"].map(PRIMARY_GROUP).fillna("pop_total")]
    levels = [lv for lv in ("street", "community", "grid") if (main["level"] == lv).any()]
    finest = main[main["level"] == levels[0]] if levels else main
    keys = [s for svc in services for s in (svc, f"{svc}{AFTER}")]
    return MapInputs(
        demand=_two_states(a, b, services),
        isochrones=_isochrones(a, b),
        isochrones_before=a.isochrones,
        facilities=b.facilities,
        facility_changes=parts["facility_changes"],
        changes=parts["changes"],
        admin=_shares(b.units if b.units is not None else a.units, units),
        outline=b.outline if b.outline is not None else a.outline,
        unit_changes=finest.assign(unit=finest["unit_name"]) if len(finest) else None,
        services=tuple(keys),
        title=parts["title"],
        headlines=tuple(parts["headlines"]),
        no_data=(*a.no_data, *(f"{s}{AFTER}" for s in b.no_data)),
        states=parts["states"],
        start_view="after",
    )
