"""What the map, the figures and the report are given: the tables, their datum, sources and assumptions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pyproj

from ..geodata.common import Assumption, InputError
from ..geodata.schema import SERVICES

#: Datums the tables may be in: WGS84, or GCJ-02 for basemaps whose tiles are in GCJ-02.
DATUMS: tuple[str, ...] = ("wgs84", "gcj02")
#: The tables of `MapInputs`.
TABLES: tuple[str, ...] = ("demand", "isochrones", "facilities", "sites", "admin", "streets")
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
        in 0–1 (NaN where the unit has nobody of that group); optional ``pop_<group>``.
    streets
        The walk network as lines (e.g. `WalkNetwork.geometry` in WGS84), drawn grey for context
        — the only street picture an offline map has; optional ``highway`` (class) marks steps
        and footways.
    services
        Services to draw, in order; by default every service found in the tables. The first
        one with isochrones or facilities starts visible.
    assumptions
        Shown in the legend beside the results that depend on them.
    sources
        Data sources with licences, listed in the legend.
    title, headlines
        Title of the map and a few ``(label, value)`` pairs shown under it.
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
    """The service shown when the map opens: the first that has isochrones or facilities."""
    for service in services:
        for gdf in (inputs.isochrones, inputs.facilities):
            if gdf is not None and "service" in gdf.columns and (gdf["service"].astype(str) == service).any():
                return service
    return services[0] if services else None


def admin_names(admin: gpd.GeoDataFrame | None) -> dict[str, str]:
    """Unit code → name, from the admin table (empty without one)."""
    if admin is None or not {"code", "name"} <= set(admin.columns):
        return {}
    codes = admin["code"].astype(str).to_numpy()
    return dict(zip(codes, admin["name"].astype(str).to_numpy(), strict=True))


def bounds(inputs: MapInputs) -> tuple[float, float, float, float]:
    """West, south, east, north of every table drawn; `InputError` when all are empty."""
    boxes = [
        gdf.total_bounds
        for gdf in (
            inputs.admin,
            inputs.isochrones,
            inputs.demand,
            inputs.facilities,
            inputs.sites,
            inputs.streets,
        )
        if gdf is not None and len(gdf) and not gdf.geometry.is_empty.all()
    ]
    if not boxes:
        raise InputError("map.empty")
    b = np.vstack(boxes)
    return (
        float(np.nanmin(b[:, 0])),
        float(np.nanmin(b[:, 1])),
        float(np.nanmax(b[:, 2])),
        float(np.nanmax(b[:, 3])),
    )


def assumption_rows(assumptions: Sequence[Assumption], lang: str) -> list[tuple[str, str, str]]:
    """``(sentence, value with unit, source)`` per assumption, for the legend and the report."""

    def _value(a: Assumption) -> str:
        value = f"{a.value:g}" if isinstance(a.value, (int, float)) else str(a.value)
        return f"{value} {a.unit}".strip()

    return [
        (a.text(lang), _value(a), "" if a.source in ("", "assumption") else a.source) for a in assumptions
    ]
