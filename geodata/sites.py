"""Candidate sites from a user layer or from building footprints, read and normalized into one table.

A candidate table holds WGS84 points with `CANDIDATE_COLUMNS`: polygons become their
representative point (always inside) and keep their footprint area. The siting models
(`lifecircle.coverage.siting`) take these tables, never files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .common import InputError, Msg, say
from .crs import to_wgs84
from .files import require_file
from .network import utm_crs_for

#: Smallest footprint for a community service site: a single facility of at least 300 m²
#: (003, guarantee element 2: one building of at least 300 m²).
MIN_SITE_AREA_M2 = 300.0

#: Columns of every candidate table (besides geometry, WGS84 points).
CANDIDATE_COLUMNS = ("id", "name", "service", "tier", "capacity", "status", "cost", "area_m2")


def id_columns() -> tuple[str, ...]:
    """Columns taken as candidate ids when no id column is named (``id``, then the Chinese headers)."""
    return ("id", *(w for w in say("siting.columns.id", "zh").split("|") if w))


@dataclass(frozen=True)
class SiteColumns:
    """Which columns of a site layer hold ids, names, costs and capacities (``None``: none given)."""

    id: str | None = None
    name: str | None = None
    cost: str | None = None
    capacity: str | None = None


def candidates_from_layer(
    layer: str | Path | gpd.GeoDataFrame,
    *,
    crs: str | int | None = None,
    id_col: str | None = None,
    name_col: str | None = None,
    cost_col: str | None = None,
    capacity_col: str | None = None,
    service: str = "",
    min_area_m2: float | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites from a user layer (idle schools, offices, service rooms …): points or polygons.

    Parameters
    ----------
    layer
        A vector file (GeoJSON, GeoPackage, Shapefile) or a GeoDataFrame.
    crs
        CRS of the layer when it does not say it right (``gcj02``, ``bd09`` or an EPSG code).
    id_col, name_col
        Columns with ids and names (default: the layer's ``id`` column or its Chinese header,
        else row numbers; empty names). Ids must be unique.
    cost_col, capacity_col
        Optional cost (e.g. a subsidy, policy-digest §3.4) and capacity (beds or childcare
        places) columns.
    service
        Label copied to every candidate.
    min_area_m2
        Drop polygons smaller than this (e.g. `MIN_SITE_AREA_M2`).

    Returns
    -------
    geopandas.GeoDataFrame
        WGS84 points with `CANDIDATE_COLUMNS`.
    """
    gdf, where = read_site_layer(layer, crs, Msg("what.candidate_layer"))
    cols = SiteColumns(id_col, name_col, cost_col, capacity_col)
    return candidate_table(gdf, where, cols, service=service, min_area_m2=min_area_m2)


def candidates_from_footprints(
    footprints: str | Path | gpd.GeoDataFrame,
    *,
    min_area_m2: float = MIN_SITE_AREA_M2,
    crs: str | int | None = None,
    type_col: str | None = None,
    types: tuple[str, ...] | None = None,
    capacity_per_m2: float | None = None,
    service: str = "",
) -> gpd.GeoDataFrame:
    """Candidate sites from OSM buildings or landuse polygons, filtered by footprint area.

    Parameters
    ----------
    footprints
        Building or landuse polygons: a GeoDataFrame, a vector file, or an ``.osm.pbf``
        (buildings read through `lifecircle.geodata.demand.buildings_from_osm`).
    min_area_m2
        Smallest footprint kept; default `MIN_SITE_AREA_M2` (003, guarantee element 2).
    crs
        CRS of the file when it does not say it right.
    type_col, types
        Keep only rows whose ``type_col`` is in ``types`` (e.g. ``building`` in
        ``("school", "office", "commercial")``).
    capacity_per_m2
        Capacity per m² of footprint (an assumption the caller states), or ``None``.
    service
        Service label.
    """
    if not isinstance(footprints, gpd.GeoDataFrame) and str(footprints).lower().endswith(".pbf"):
        from .demand import buildings_from_osm

        footprints = buildings_from_osm(str(footprints))
    what = Msg("siting.what.footprint_layer")
    gdf, where = read_site_layer(footprints, crs, what)
    poly = np.isin(shapely.get_type_id(gdf.geometry.to_numpy()), (3, 6))
    if not poly.any():
        raise InputError("siting.footprints.no_polygons", where=where)
    gdf = gdf.loc[poly]
    if types is not None:
        if type_col is None or type_col not in gdf.columns:
            raise InputError("siting.footprints.no_type_column", where=where)
        gdf = gdf[gdf[type_col].astype(str).isin(types)]
        if len(gdf) == 0:
            raise InputError("siting.layer.empty", where=where, what=what)
    id_col = next((c for c in ("id", "osm_id") if c in gdf.columns), None)
    cols = SiteColumns(id=id_col, name="name" if "name" in gdf.columns else None)
    out = candidate_table(
        gdf.reset_index(drop=True), where, cols, service=service, tier="building", min_area_m2=min_area_m2
    )
    if capacity_per_m2 is not None:
        out["capacity"] = np.floor(out["area_m2"].to_numpy() * capacity_per_m2)
    return out


def read_site_layer(
    layer: str | Path | gpd.GeoDataFrame, crs: str | int | None, what: Msg
) -> tuple[gpd.GeoDataFrame, str | Msg]:
    """A site layer in WGS84, every row with a geometry, and its name for messages.

    Parameters
    ----------
    layer
        A vector file or a GeoDataFrame.
    crs
        CRS declared by the user (overrides the layer's own, see `to_wgs84`).
    what
        What the layer holds, for messages (e.g. ``Msg("what.candidate_layer")``).

    Returns
    -------
    gdf, where
        The layer, and the file's path (or "… table" for a GeoDataFrame).
    """
    if isinstance(layer, gpd.GeoDataFrame):
        gdf, where = layer, Msg("siting.what.table", what=what)
        if gdf.crs is None and crs is None:
            raise InputError("siting.layer.no_crs", where=where)
    else:
        path = require_file(layer, what)
        where = str(path)
        try:
            gdf = gpd.read_file(path)
        except Exception as exc:
            raise InputError(
                "siting.layer.unreadable", path=path, what=what, error=exc.__class__.__name__
            ) from None
    if len(gdf) == 0:
        raise InputError("siting.layer.empty", where=where, what=what)
    gdf = to_wgs84(gdf, crs, where=where)
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise InputError("siting.layer.no_geometry", where=where, n=int(empty.sum()))
    return gdf.reset_index(drop=True), where


def candidate_table(
    gdf: gpd.GeoDataFrame,
    where: str | Msg,
    cols: SiteColumns,
    *,
    service: str = "",
    tier: str = "",
    min_area_m2: float | None = None,
) -> gpd.GeoDataFrame:
    """The candidate table of a WGS84 site layer (see `candidates_from_layer`).

    Parameters
    ----------
    gdf
        The layer, WGS84.
    where
        Its name, for messages.
    cols
        Its id, name, cost and capacity columns.
    service, tier
        Labels copied to every candidate.
    min_area_m2
        Drop polygons smaller than this.
    """
    n = len(gdf)
    id_col = cols.id if cols.id is not None else next((c for c in id_columns() if c in gdf.columns), None)
    for col in (id_col, cols.name, cols.cost, cols.capacity):
        if col is not None and col not in gdf.columns:
            names = [str(c) for c in gdf.columns[:12]]
            raise InputError("siting.layer.no_column", where=where, column=col, columns=names)
    geoms = gdf.geometry.to_numpy()
    area = _area_m2(geoms)
    out = gpd.GeoDataFrame(
        {
            "id": gdf[id_col].astype(str).to_numpy() if id_col else np.arange(n).astype(str),
            "name": gdf[cols.name].astype(str).to_numpy() if cols.name else np.full(n, "", dtype=object),
            "service": service,
            "tier": tier,
            "capacity": _numeric(gdf, cols.capacity, where, np.nan),
            "status": "candidate",
            "cost": _numeric(gdf, cols.cost, where, 1.0),
            "area_m2": area,
        },
        geometry=shapely.point_on_surface(geoms),
        crs=4326,
    )
    if min_area_m2 is not None:
        out = out[~(area < min_area_m2)]
    dup = out["id"].duplicated()
    if dup.any():
        first = list(dict.fromkeys(out.loc[dup, "id"].astype(str)))
        ids = ", ".join(repr(i) for i in first[:5]) + (" …" if len(first) > 5 else "")
        raise InputError("siting.layer.duplicate_ids", where=where, column=id_col, n=int(dup.sum()), ids=ids)
    return out.reset_index(drop=True)


def _area_m2(geoms: np.ndarray) -> np.ndarray:
    """Footprint area in m² in the local UTM zone (NaN for points and lines)."""
    area = np.full(len(geoms), np.nan)
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    if poly.any():
        c = shapely.centroid(shapely.union_all(shapely.envelope(geoms[poly])))
        utm = utm_crs_for(c.x, c.y)
        area[poly] = gpd.GeoSeries(geoms[poly], crs=4326).to_crs(utm).area.to_numpy()
    return area


def _numeric(gdf: pd.DataFrame, col: str | None, where: str | Msg, default: float) -> np.ndarray:
    """A numeric column (``default`` when no column is named); bad values are an error."""
    if col is None:
        return np.full(len(gdf), default)
    vals = pd.to_numeric(gdf[col], errors="coerce")
    bad = vals.isna() & gdf[col].notna()
    if bad.any() or (vals < 0).any():
        row = int(np.argmax(bad | (vals < 0)))
        raise InputError("siting.layer.bad_number", where=where, column=col, row=row)
    return vals.to_numpy(dtype=float)
