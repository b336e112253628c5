"""What the map, the figures and the report are given: the tables, their datum, sources and assumptions."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from ..geodata.common import Assumption, InputError
from ..geodata.schema import SERVICES

#: Datums the tables may be in: WGS84, or GCJ-02 for basemaps whose tiles are in GCJ-02.
DATUMS: tuple[str, ...] = ("wgs84", "gcj02")
#: The tables of `MapInputs` that hold geometries (moved together between datums).
TABLES: tuple[str, ...] = (
    "demand",
    "isochrones",
    "facilities",
    "sites",
    "admin",
    "streets",
    "outline",
    "isochrones_before",
    "changes",
    "facility_changes",
)
#: Suffix of a service key holding the second state of a service (with the proposed sites, or run B).
AFTER = "_after"
#: The two views of a map whose services have a second state: the first state, the second.
VIEWS: tuple[str, ...] = ("base", "after")
_WGS84 = pyproj.CRS.from_epsg(4326)


@dataclass(frozen=True)
class DataSource:
    """One input named with its licence, shown on the map and in the report.

    Attributes
    ----------
    name
        What the data is, e.g. ``"OpenStreetMap roads of Yuzhong (mid-2022)"``.
    licence
        Its licence, e.g. ``"ODbL © OpenStreetMap contributors"``.
    detail
        Where it came from (file name, package, URL) — shown as text, never loaded.
    """

    name: str
    licence: str = ""
    detail: str = ""


@dataclass
class MapInputs:
    """What the map draws, as it is given; any table may be ``None``.

    Every table is in longitude/latitude (EPSG:4326; a table in another CRS, a metric one say,
    is brought to EPSG:4326, and one without a CRS is taken to be in it), in the datum `datum`
    names. The map never shifts a table from one datum to another: a caller drawing on a basemap
    whose tiles are in GCJ-02 converts the tables first (`lifecircle.geodata.crs.from_wgs84`
    gives GCJ-02 tables labelled EPSG:4326) and says ``datum="gcj02"``.

    Attributes
    ----------
    demand
        Points (polygons are drawn at a point on their surface), one row per demand point, with
        ``time_s_<service>`` (walking seconds to the nearest facility; ``inf``/NaN = no walking
        route) and the point's threshold ``threshold_s_<service>`` (or one ``threshold_s`` for all
        services), in seconds. Optional: the groups ``pop_total, pop_60, pop_80, pop_0_3``,
        ``street``, ``community`` (codes or names; codes are shown by name when ``admin`` holds
        them), ``urban``.
    isochrones
        Polygons with ``service`` and ``minutes`` (the tier); optional ``area_m2`` and
        ``length_m`` (street length reached).
    facilities
        Points with ``id, name, service, tier, capacity, status`` (`geodata.schema`).
    sites
        Proposed sites, points with ``service`` and ``rank`` (1 = first chosen); optional
        ``name``, ``gain_<group>`` (people newly within reach), ``communities`` and ``streets``
        (names they live in: a string or a list), ``time_median_s``, ``time_p90_s``,
        ``capacity``, ``capacity_used``.
    admin
        Unit polygons with ``code, name, level`` and coverage shares ``share_<service>_<group>``
        in 0–1 (NaN where the unit has nobody of that group); optional ``pop_<group>``. Their
        outlines are drawn on top (hover: the unit's name); the shading is a layer to tick.
    streets
        The walk network as lines (e.g. `WalkNetwork.geometry` in WGS84), drawn grey for context
        — the only street picture an offline map has; optional ``highway`` (class) marks steps
        and footways.
    outline
        The district or study-area outline (polygons, optional ``name``), drawn as a line.
    isochrones_before
        Isochrones of an earlier state (a comparison's run A), with ``service`` and ``minutes``;
        drawn as dashed outlines over the second state's circles.
    changes
        Demand points whose coverage changed between two states: ``service``, ``change``
        (``"gained"``: newly within reach, ``"lost"``: no longer), optional population groups and
        ``unit`` (the name of the unit they live in).
    facility_changes
        Facilities added or removed between two states: ``service``, ``change`` (``"added"``,
        ``"removed"``), optional ``name`` and ``tier``.
    unit_changes
        People newly within reach by unit for the chart panel: ``service``, ``unit`` (name),
        ``gain`` (people), optional ``coverage_a``, ``coverage_b`` (percent).
    services
        Services to draw, in order; by default every service found in the tables. The first
        one with isochrones or facilities starts visible. A key ``<service>_after`` is that
        service's second state (with the proposed sites): the map opens on the first state and
        a switch in the page shows the second.
    states
        Names of the two states in the switch (default: the present state, with the proposed
        sites).
    start_view
        ``"base"`` (default) or ``"after"``: the state the map opens on.
    assumptions
        Shown in the legend beside the results that depend on them.
    sources
        Data sources with licences, listed in the legend.
    title, headlines
        Title of the map and a few ``(label, value)`` pairs shown under it (``after=True``
        ones, `headlines_after`, are shown in the second state).
    no_data
        Services whose walking times are unknown because no facility list was given: their
        demand points are drawn in one grey class (never as "no walking route") and the legend
        says so (catalogue ``ui.no_facility_list``).
    datum
        ``"wgs84"`` (default) or ``"gcj02"``: the datum the tables are in (see above).
    """

    demand: gpd.GeoDataFrame | None = None
    isochrones: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    sites: gpd.GeoDataFrame | None = None
    admin: gpd.GeoDataFrame | None = None
    streets: gpd.GeoDataFrame | None = None
    services: tuple[str, ...] | None = None
    assumptions: Sequence[Assumption] = ()
    sources: Sequence[DataSource] = ()
    title: str | None = None
    headlines: Sequence[tuple[str, str]] = field(default_factory=tuple)
    no_data: tuple[str, ...] = ()
    datum: str = "wgs84"
    outline: gpd.GeoDataFrame | None = None
    isochrones_before: gpd.GeoDataFrame | None = None
    changes: gpd.GeoDataFrame | None = None
    facility_changes: gpd.GeoDataFrame | None = None
    unit_changes: pd.DataFrame | None = None
    states: tuple[str, str] | None = None
    start_view: str = "base"


def lonlat(inputs: MapInputs) -> MapInputs:
    """``inputs`` with every table in EPSG:4326 (longitude/latitude); the datum stays as it is.

    Tables in another CRS (a metric one, say) are transformed; a table without a CRS is taken to
    be in EPSG:4326, as `MapInputs` asks.
    """
    if inputs.datum not in DATUMS:
        raise InputError("map.bad_datum", datum=inputs.datum, choices=DATUMS)
    out = {}
    for name in TABLES:
        gdf = getattr(inputs, name)
        if gdf is None:
            continue
        gdf = gdf.set_crs(4326) if gdf.crs is None else gdf
        out[name] = gdf if gdf.crs.equals(_WGS84) else gdf.to_crs(4326)
    return replace(inputs, **out)


def services_of(inputs: MapInputs) -> list[str]:
    """The services to draw: `MapInputs.services`, or every one found in the tables."""
    if inputs.services is not None:
        return list(inputs.services)
    found: set[str] = set()
    if inputs.demand is not None:
        found |= {c[len("time_s_") :] for c in inputs.demand.columns if c.startswith("time_s_")}
    for gdf in (inputs.isochrones, inputs.facilities, inputs.sites):
        if gdf is not None and "service" in gdf.columns:
            found |= set(gdf["service"].dropna().astype(str))
    return [s for s in SERVICES if s in found] + sorted(found - set(SERVICES))


def first_service(inputs: MapInputs, services: Sequence[str]) -> str | None:
    """The service shown when the map opens: the first that has isochrones or facilities.

    A second state (``<service>_after``) counts as its service: the map opens on the first state.
    """
    firsts = [s for s in services if view_of(s, services) != "after"]
    for service in firsts:
        keys = (service, f"{service}{AFTER}")
        for gdf in (inputs.isochrones, inputs.facilities):
            if gdf is not None and "service" in gdf.columns and gdf["service"].astype(str).isin(keys).any():
                return service
    return firsts[0] if firsts else None


def view_of(service: str, services: Sequence[str]) -> str | None:
    """The view a service key belongs to.

    ``"after"``: a second state; ``"base"``: the first state of a service that has a second;
    ``None``: shown in both.
    """
    if service.endswith(AFTER) and service.removesuffix(AFTER) in services:
        return "after"
    return "base" if f"{service}{AFTER}" in services else None


def has_views(services: Sequence[str]) -> bool:
    """Whether the map has two states to switch between."""
    return any(view_of(s, services) == "after" for s in services)


def admin_names(admin: gpd.GeoDataFrame | None) -> dict[str, str]:
    """Unit code → name, from the admin table (empty without one)."""
    if admin is None or not {"code", "name"} <= set(admin.columns):
        return {}
    codes = admin["code"].astype(str).to_numpy()
    return dict(zip(codes, admin["name"].astype(str).to_numpy(), strict=True))


def bounds(inputs: MapInputs) -> tuple[float, float, float, float]:
    """West, south, east, north of every table drawn; `InputError` when all are empty."""
    box = _box([getattr(inputs, name) for name in TABLES])
    if box is None:
        raise InputError("map.empty")
    return box


def focus_bounds(inputs: MapInputs) -> tuple[float, float, float, float]:
    """West, south, east, north of the study area the map opens on.

    The outline, the units, the residents, facilities and sites; not the walk network and the
    circles, which reach beyond the area. Every table drawn when none of those is given.
    """
    tables = (inputs.outline, inputs.admin, inputs.demand, inputs.facilities, inputs.sites)
    return _box(list(tables)) or bounds(inputs)


def _box(tables: list) -> tuple[float, float, float, float] | None:
    boxes = [
        gdf.total_bounds for gdf in tables if gdf is not None and len(gdf) and not gdf.geometry.is_empty.all()
    ]
    if not boxes:
        return None
    b = np.vstack(boxes)
    return (
        float(np.nanmin(b[:, 0])),
        float(np.nanmin(b[:, 1])),
        float(np.nanmax(b[:, 2])),
        float(np.nanmax(b[:, 3])),
    )


def assumption_rows(assumptions: Sequence[Assumption], lang: str) -> list[tuple[str, str, str]]:
    """``(sentence, value with unit, source)`` per assumption, worded in ``lang``.

    Units and code values with a catalogue label (``ui.uom.<unit>``, ``ui.assumption_value.<value>``)
    are written in ``lang``; a code value without one is left out (the sentence says it). The
    product's own sources are catalogue messages in ``lang``; a user's source is shown as written.
    """
    from .i18n import has, t

    out = []
    for a in assumptions:
        if isinstance(a.value, bool) or not isinstance(a.value, (int, float)):
            key = f"assumption_value_{_key(str(a.value))}"
            value = t(key, lang) if has(key) else ""
        else:
            unit_key = f"uom_{_key(a.unit)}"
            unit = t(unit_key, lang) if a.unit and has(unit_key) else a.unit
            value = f"{a.value:g} {unit}".strip()
        out.append((a.text(lang), value, a.source_text(lang)))
    return out


def _key(text: str) -> str:
    """A catalogue key part from a unit or value: lower case, runs of other characters as ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower().replace("²", "2")).strip("_")
