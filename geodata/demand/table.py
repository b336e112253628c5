"""Demand model (a): a table or layer of points or areas that carry their population."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..admin import header_words, level_msg, rows_msg
from ..common import Assumption, InputError, Msg, Note
from ..crs import in_china, parse_crs, to_wgs84
from ..files import require_file
from ..schema import ADMIN_LEVELS
from ._checks import (
    check_pop,
    check_some_population,
    clip_mask,
    columns_of,
    find_col,
    groups_from_shares,
    norm_groups,
    pop_column,
    table_ids,
)
from .base import Demand, DemandRows, TableOptions, Where, assemble

_TABLE_SUFFIXES = {".csv", ".txt", ".tsv"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}


def demand_from_table(path: str | Path | pd.DataFrame, **options: Any) -> Demand:
    """Demand from a point or polygon layer, or a CSV/Excel table with coordinates.

    Each row becomes one demand point carrying its population unchanged, so totals are kept
    exactly. Polygons (hexagons, blocks, census tracts) are represented by a point guaranteed
    to lie inside them (`shapely.point_on_surface`).

    Parameters
    ----------
    path
        CSV/TSV/Excel with longitude and latitude columns, a GeoJSON/GeoPackage/Shapefile
        (zipped too) of points or polygons, or a (Geo)DataFrame.
    **options
        The fields of `TableOptions`, as keywords:

        - ``pop_col``: column of total residents; when the default ``population`` is absent,
          ``pop`` and the usual Chinese headers are tried.
        - ``group_cols``: columns holding group counts, keyed by group:
          ``{"pop_60": "elderly", ...}``. Empty cells mean unknown (NaN).
        - ``group_shares``, ``shares_source``: shares of residents for groups without a column
          (``{"pop_60": 0.2}``), each an `Assumption` citing the source.
        - ``crs``: CRS of the coordinates (``wgs84``, ``gcj02``, ``bd09`` or an EPSG code). A
          CSV without it is taken as WGS84 and says so as an assumption; a geo file without it
          uses its own.
        - ``lon_col``, ``lat_col``: coordinate columns; found by name (``lon``/``lng``/
          ``longitude``/``x``, the Chinese headers, …) when not given.
        - ``id_col``: column of unique ids (``id`` when present, else row numbers from 1).
        - ``admin_cols``: columns with admin codes or names, keyed ``district``/``street``/
          ``community``.
        - ``units``, ``urban``: admin units to attribute points to by polygon, and the urban
          flag for points no unit classifies (default urban, stated).
        - ``clip``, ``clip_crs``: keep only points inside this area.
    """
    opts = TableOptions(**options)
    df, where = read_table(path)
    assumptions: list[Assumption] = []
    geoms = _table_points(df, where, opts, assumptions)
    pcol = pop_column(df, opts.pop_col, where)
    pop = check_pop(df[pcol], where, pcol)
    groups: dict[str, np.ndarray] = {}
    for g, col in norm_groups(opts.group_cols or {}, where, "group_cols").items():
        if col not in df.columns:
            raise InputError("demand.no_group_column", where=where, col=col, group=g, columns=columns_of(df))
        groups[g] = check_pop(df[col], where, col, allow_nan=True)
    ids = table_ids(df, opts.id_col, where)
    rows = DemandRows(geoms, ids, pop, groups, _admin_columns(df, opts, where))
    keep = clip_mask(rows.geoms, opts, where)
    if keep is not None:
        rows = DemandRows(
            rows.geoms[keep],
            rows.ids[keep],
            rows.pop[keep],
            {g: v[keep] for g, v in rows.groups.items()},
            {k: v[keep] for k, v in rows.admin.items()},
        )
    check_some_population(rows.pop, where, pcol, clipped=keep is not None)
    rows.groups = groups_from_shares(rows.pop, rows.groups, opts, where, assumptions)
    table = assemble(rows, opts, assumptions)
    return Demand(table, assumptions, [Note("demand.points", where=where, n=len(table))])


def _admin_columns(df: pd.DataFrame, opts: TableOptions, where: Where) -> dict[str, np.ndarray]:
    """The admin codes or names the table carries, by level (``admin_cols``)."""
    admin = {}
    for lvl, col in (opts.admin_cols or {}).items():
        if lvl not in ADMIN_LEVELS:
            raise InputError("demand.admin_cols_key", where=where, key=lvl)
        if col not in df.columns:
            raise InputError(
                "demand.no_admin_column", where=where, col=col, level=level_msg(lvl), columns=columns_of(df)
            )
        admin[lvl] = df[col].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    return admin


def read_table(path: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, Where]:
    """Read a population table: CSV/TSV (UTF-8 or GB 18030), Excel, or any vector layer.

    Returns
    -------
    tuple
        ``(table, where)``: the rows (a GeoDataFrame for a vector layer) and what messages call
        the input (its path, or "demand table" for a DataFrame).
    """
    if isinstance(path, pd.DataFrame):
        return path.reset_index(drop=True), Msg("demand.where.table")
    p = require_file(path, Msg("what.population_table"))
    suffix = p.suffix.lower()
    try:
        if suffix in _TABLE_SUFFIXES:
            sep = "\t" if suffix == ".tsv" else None
            try:
                df = pd.read_csv(p, sep=sep, engine="python", encoding="utf-8-sig")
            except UnicodeDecodeError:
                df = pd.read_csv(p, sep=sep, engine="python", encoding="gb18030")
        elif suffix in _EXCEL_SUFFIXES:
            df = pd.read_excel(p)
        else:
            df = gpd.read_file(p)
    except Exception as exc:
        raise InputError("demand.table_unreadable", path=p, error=exc.__class__.__name__) from None
    if len(df) == 0:
        raise InputError("demand.table_no_rows", path=p)
    return df.reset_index(drop=True), str(p)


def _table_points(
    df: pd.DataFrame, where: Where, opts: TableOptions, assumptions: list[Assumption]
) -> np.ndarray:
    """WGS84 points of the table's rows: geometry (points or polygons) or lon/lat columns."""
    if isinstance(df, gpd.GeoDataFrame) and df.geometry.notna().any() and opts.lon_col is None:
        return _layer_points(df, where, opts.crs)
    lon_name = find_col(
        df, opts.lon_col, ("lon", "lng", "long", "longitude", "x", *header_words("demand.columns.lon"))
    )
    lat_name = find_col(df, opts.lat_col, ("lat", "latitude", "y", *header_words("demand.columns.lat")))
    if lon_name is None or lat_name is None:
        named = opts.lon_col or opts.lat_col
        if named:
            raise InputError("demand.no_coordinates.named", where=where, col=named)
        raise InputError("demand.no_coordinates", where=where)
    lon = pd.to_numeric(df[lon_name], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(df[lat_name], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise InputError(
            "demand.coordinates_not_numbers", where=where, lon=lon_name, lat=lat_name, rows=rows_msg(bad)
        )
    crs = opts.crs
    if crs is None:
        crs = "wgs84"
        china = bool(in_china(lon, lat).any())
        msg = Msg("demand.assumption.crs.china") if china else Msg("demand.assumption.crs")
        assumptions.append(Assumption("demand.crs", "wgs84", "", msg=msg))
    parsed = parse_crs(crs, where=where)
    if not (isinstance(parsed, pyproj.CRS) and not parsed.is_geographic):
        _check_degrees(lon, lat, (lon_name, lat_name), parsed, where)
    pts = gpd.GeoDataFrame(geometry=shapely.points(lon, lat), crs=None)
    return to_wgs84(pts, crs, where=where).geometry.to_numpy()


def _layer_points(df: gpd.GeoDataFrame, where: Where, crs: str | int | None) -> np.ndarray:
    """WGS84 points of a layer's points or polygons (a point inside each polygon)."""
    geoms = df.geometry.to_numpy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise InputError("demand.no_geometry_rows", where=where, rows=rows_msg(missing))
    lines = np.isin(shapely.get_type_id(geoms), (1, 2, 5))
    if lines.any():
        raise InputError("demand.line_geometry", where=where, rows=rows_msg(lines))
    gdf = to_wgs84(gpd.GeoDataFrame(geometry=geoms, crs=df.crs), crs, where=where)
    geoms = gdf.geometry.to_numpy().copy()
    poly = np.isin(shapely.get_type_id(geoms), (3, 6, 7))
    geoms[poly] = shapely.point_on_surface(geoms[poly])
    return geoms


def _check_degrees(
    lon: np.ndarray, lat: np.ndarray, names: tuple[str, str], parsed: str | pyproj.CRS, where: Where
) -> None:
    """Raise `InputError` for swapped or out-of-range degrees, and for GCJ-02/BD-09 outside China."""
    lon_name, lat_name = names
    swapped = (np.abs(lat) > 90) & (np.abs(lon) <= 90)
    if swapped.any():
        raise InputError(
            "demand.lonlat_swapped", where=where, lon=lon_name, lat=lat_name, rows=rows_msg(swapped)
        )
    out = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if out.any():
        raise InputError("demand.coordinates_out_of_range", where=where, rows=rows_msg(out))
    if isinstance(parsed, str):  # gcj02 / bd09 only exist inside China
        outside = ~in_china(lon, lat)
        if outside.any():
            raise InputError(
                "demand.outside_china",
                where=where,
                rows=rows_msg(outside),
                crs=parsed,
                lon=lon_name,
                lat=lat_name,
            )
