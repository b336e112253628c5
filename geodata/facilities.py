"""Facility tables: elderly-care and childcare sites from OSM tags or from the bureau's own lists.

Every reader returns the normalized facility table of `lifecircle.geodata.schema`: a GeoDataFrame in
WGS84 (EPSG:4326) with Point geometry and the columns ``id`` (unique string), ``name``, ``service``
(``elderly`` or ``childcare``), ``tier``, ``capacity`` (beds or childcare places, NaN when unknown)
and ``status`` (``existing``, ``planned`` or ``candidate``).

OSM tags are read in `lifecircle.geodata.facility_osm`; a list is read as cells in
`lifecircle.geodata.facility_tables` and its fields are checked in
`lifecircle.geodata.facility_fields`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .common import InputError, Msg, atomic_path
from .crs import parse_crs, to_wgs84
from .facility_fields import (
    capacities,
    check_coordinates,
    coordinates,
    facility_counts_column,
    ids,
    repeat_counted,
    services,
    statuses,
    text_column,
)
from .facility_osm import (
    OSM_AMENITIES,
    OSM_CHILD_FOR,
    OSM_ELDERLY_FOR,
    OSM_ELDERLY_SOCIAL,
    OSM_TIERS,
    facilities_from_osm,
)
from .facility_tables import (
    ATTRIBUTES,
    FIELDS,
    HEADERS,
    LAYER_SUFFIXES,
    LISTED,
    TABLE_SUFFIXES,
    match_columns,
    read_source,
)
from .files import neutralize_formulas, require_file
from .schema import FACILITY_COLUMNS, SERVICES, STATUSES

OUT_SUFFIXES: tuple[str, ...] = (".gpkg", ".geojson", ".csv")


def read_facilities(
    path: str | Path,
    *,
    service: str | None = None,
    crs: str | int | pyproj.CRS | None = None,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    status: str = "existing",
    count_col: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a facility list (CSV, XLSX, GeoJSON, GeoPackage, Shapefile) into the normalized table.

    Columns are found by their header, case-insensitively, Chinese headers included (`HEADERS`);
    service and status cells are read in Chinese or English (catalogue ``facilities.value.*``).
    Title rows above the header are skipped. Layers use their (representative) points.

    Parameters
    ----------
    path
        The file.
    service
        ``elderly`` or ``childcare``. With a service column it keeps only that service's rows;
        without one it is the service of every row (and is then required unless only one of
        the beds and places columns is present).
    crs
        CRS of the coordinates: ``wgs84``, ``gcj02`` (Amap, Tencent), ``bd09`` (Baidu) or an EPSG
        code. It overrides whatever CRS a layer file carries. A table (CSV, XLSX) whose points
        lie in China must declare it; elsewhere WGS84 is taken.
    columns
        Header overrides, e.g. ``{"name": "Facility", "capacity": "Approved beds"}``; keys from
        `FIELDS`.
    sheet
        Worksheet name or 0-based index (XLSX), or layer name (GeoPackage).
    status
        Status of rows without a status column or with an empty status cell.
    count_col
        A column of whole numbers ≥ 0 saying how many facilities each row stands for (schools
        per population cell): n facilities at the row's point (ids ``<id>#k`` when n > 1).

    Returns
    -------
    geopandas.GeoDataFrame
        The normalized facility table in EPSG:4326, with the units a list names (`LISTED`) and
        the plan indicators' columns it has (`ATTRIBUTES`: nursing beds, puhui, operator…) as text.

    Raises
    ------
    InputError
        For a missing or unreadable file, no coordinate columns, swapped latitude and longitude, a
        GCJ-02/BD-09 layer outside China, non-numeric capacities or coordinates, duplicate ids, or
        unknown service or status values (the message names the file, the field and the fix).
    """
    path = require_file(path, Msg("what.facility_table"))
    where = str(path)
    if service is not None and service not in SERVICES:
        raise InputError("facilities.unknown_service", where=where, service=repr(service), choices=SERVICES)
    if status not in STATUSES:
        raise InputError(
            "facilities.unknown_default_status", where=where, status=repr(status), choices=STATUSES
        )
    declared = None if crs is None else parse_crs(crs, where=where)
    src = read_source(path, sheet, columns)
    cols = match_columns(src.table.columns, columns, where)
    lon, lat, geo_crs = coordinates(src, cols)
    check_coordinates(lon, lat, declared, src, cols)
    svc = services(src, cols, service)
    data = {"service": svc, "capacity": capacities(src, cols, svc)}  # checked in this order
    data["status"] = statuses(src, cols, status)
    data["id"] = ids(src, cols)
    data |= {f: text_column(src.table, cols.get(f)) for f in ("name", "tier")}
    kept = LISTED | dict(zip(ATTRIBUTES, ATTRIBUTES, strict=True))  # as the list gives them
    listed = {col: text_column(src.table, cols[field]) for field, col in kept.items() if field in cols}
    gdf = gpd.GeoDataFrame(
        {c: data[c] for c in FACILITY_COLUMNS} | listed, geometry=shapely.points(lon, lat), crs=None
    )
    gdf = _in_wgs84(gdf, declared, geo_crs, where)
    keep = np.ones(len(gdf), dtype=bool) if service is None else svc == service
    if count_col is not None:
        return repeat_counted(gdf, facility_counts_column(src, count_col), keep)
    return gdf.loc[keep].reset_index(drop=True)


def _in_wgs84(gdf: gpd.GeoDataFrame, declared: pyproj.CRS | None, layer_crs, where: str) -> gpd.GeoDataFrame:
    """The table in WGS84: from the declared CRS (GCJ-02 and BD-09 included), else the layer's own."""
    if declared is not None:
        return to_wgs84(gdf, declared, where=where)
    if layer_crs is not None:
        return gdf.set_crs(layer_crs).to_crs(4326)
    return gdf.set_crs(4326)


def write_facilities(facilities: gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write a facility table as GeoPackage, GeoJSON or CSV (with lon/lat), atomically.

    The file is written under a temporary name and renamed; a failure leaves nothing behind. CSV
    is written as UTF-8 with a byte-order mark so that Excel opens the Chinese names correctly, and
    a text cell a spreadsheet would evaluate as a formula (``=HYPERLINK(…)`` as a name) gets a
    leading ``'`` (`lifecircle.geodata.files.neutralize_formulas`); numbers stay numbers.
    """
    path = Path(path)
    check_out_path(path)
    gdf = facilities.to_crs(4326)
    with atomic_path(path) as tmp:
        suffix = path.suffix.lower()
        if suffix == ".gpkg":
            gdf.to_file(tmp, layer="facilities", driver="GPKG")
        elif suffix == ".geojson":
            gdf.to_file(tmp, driver="GeoJSON")
        else:
            table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
            table["lon"] = gdf.geometry.x.round(7)
            table["lat"] = gdf.geometry.y.round(7)
            neutralize_formulas(table).to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def check_out_path(path: str | Path) -> Path:
    """Return ``path`` if a facility table can be written there, else raise `InputError`."""
    path = Path(path)
    if path.suffix.lower() not in OUT_SUFFIXES:
        raise InputError("facilities.out_suffix", path=path)
    return path


def facility_counts(facilities: gpd.GeoDataFrame) -> pd.DataFrame:
    """Count facilities and sum known capacity by service, tier and status.

    Returns
    -------
    pandas.DataFrame
        Columns ``service``, ``tier``, ``status``, ``count``, ``capacity`` (sum of known values)
        and ``capacity_known`` (how many rows have a capacity), sorted by service, tier, status.
    """
    keys = ["service", "tier", "status"]
    if len(facilities) == 0:
        return pd.DataFrame(columns=[*keys, "count", "capacity", "capacity_known"])
    grouped = pd.DataFrame(facilities[[*keys, "capacity"]]).groupby(keys, sort=True, dropna=False)
    return grouped.agg(
        count=("capacity", "size"),
        capacity=("capacity", "sum"),
        capacity_known=("capacity", "count"),
    ).reset_index()


__all__ = [
    "FIELDS",
    "HEADERS",
    "LAYER_SUFFIXES",
    "LISTED",
    "OSM_AMENITIES",
    "OSM_CHILD_FOR",
    "OSM_ELDERLY_FOR",
    "OSM_ELDERLY_SOCIAL",
    "OSM_TIERS",
    "OUT_SUFFIXES",
    "TABLE_SUFFIXES",
    "check_out_path",
    "facilities_from_osm",
    "facility_counts",
    "read_facilities",
    "write_facilities",
]
