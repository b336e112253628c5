"""The map's input tables turned into JSON-ready columns: numbers, texts, points and simplified shapes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geodata.common import InputError

_DEG_PER_M = 1.0 / 111_320.0
_SIMPLIFY_M = 1.5


def nums(values: Any, digits: int | None = None) -> list:
    """A JSON-ready list of numbers: rounded, ``None`` for NaN/inf, ints when ``digits == 0``."""
    a = np.asarray(values, dtype=float)
    ok = np.isfinite(a)
    if digits == 0:
        out = np.where(ok, np.round(a), 0).astype(np.int64).astype(object)
    else:
        out = (np.round(a, digits) if digits is not None else a).astype(object)
    out[~ok] = None
    return out.tolist()


def texts(values: Any) -> list[str]:
    """A JSON-ready list of texts: missing values as ``""``."""
    s = pd.Series(values, dtype=object)
    return s.where(s.notna(), "").astype(str).tolist()


def column(gdf: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    """Column ``name`` of ``gdf``, or ``default`` on every row when it has none."""
    return gdf[name] if name in gdf.columns else pd.Series(default, index=gdf.index)


def join_names(values: pd.Series, sep: str) -> list[str]:
    """Cells holding a list of names (or one name) as text, the names joined with ``sep``."""
    return [
        sep.join(str(x) for x in v)
        if isinstance(v, (list, tuple, np.ndarray))
        else ("" if pd.isna(v) else str(v))
        for v in values
    ]


def points_xy(gdf: gpd.GeoDataFrame) -> tuple[list, list]:
    """Longitudes and latitudes (6 decimals) of a point on each geometry."""
    pts = shapely.point_on_surface(gdf.geometry.to_numpy())
    return nums(shapely.get_x(pts), 6), nums(shapely.get_y(pts), 6)


def geoms_json(geoms: np.ndarray) -> str:
    """Simplify (~1.5 m), round to 6 decimals and serialise polygons as a JSON array."""
    geoms = display_simplify(geoms, _SIMPLIFY_M * _DEG_PER_M)
    geoms = shapely.transform(geoms, lambda c: np.round(c, 6))
    return "[" + ",".join(shapely.to_geojson(geoms).tolist()) + "]"


def display_simplify(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Geometries simplified within ``tolerance`` for drawing, every part kept.

    Douglas-Peucker first (``preserve_topology=False``), redone with the topology-preserving
    algorithm for the geometries it left invalid or with fewer parts (an island dropped). Holes
    narrower than the tolerance may close, as they do on screen. On the São Paulo isochrones
    (131,096 vertices) this took 0.07 s against 0.24 s for the topology-preserving algorithm
    alone, to the same 62,000 vertices and the same areas within 0.001 %.
    """
    geoms = np.asarray(geoms, dtype=object)
    fast = shapely.simplify(geoms, tolerance, preserve_topology=False)
    lost = shapely.get_num_geometries(fast) < shapely.get_num_geometries(geoms)
    redo = lost | ~shapely.is_valid(fast)
    if redo.any():
        fast[redo] = shapely.simplify(geoms[redo], tolerance, preserve_topology=True)
    return fast


def drop_empty(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """``gdf`` without its rows of missing or empty geometry."""
    if gdf is None:
        return None
    geoms = gdf.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return gdf.loc[keep]


def isochrone_rows(iso: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """The drawable isochrones (``service``, numeric ``minutes``); ``None`` when there are none."""
    iso = drop_empty(iso)
    if iso is None or not len(iso):
        return None
    require(iso, "isochrones", ("service", "minutes"))
    return iso.assign(minutes=pd.to_numeric(iso["minutes"], errors="coerce"))


def require(gdf: pd.DataFrame, table: str, columns: Iterable[str]) -> None:
    """Raise `InputError` naming the first of ``columns`` that ``gdf`` (the ``table``) lacks."""
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise InputError("map.missing_column", table=table, column=missing[0])
