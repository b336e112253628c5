"""Candidate sites: from a user layer, from building or landuse footprints, or along the network."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...geodata.common import InputError
from ...geodata.crs import to_wgs84
from ...geodata.files import require_file
from ...geodata.network import WalkNetwork, utm_crs_for

#: Smallest footprint for a community service site: a single facility of at least 300 m²
#: (003 保障要素二: "单处用房建筑面积不低于300平方米").
MIN_SITE_AREA_M2 = 300.0

#: Columns of every candidate table (besides geometry, WGS84 points).
CANDIDATE_COLUMNS = ("id", "name", "service", "tier", "capacity", "status", "cost", "area_m2")

#: Most candidate points a spacing may make (network or grid candidates): beyond this the
#: reach matrix and the model would not fit in memory, so such a spacing is refused up front.
MAX_SPACED_CANDIDATES = 2_000_000

#: Columns taken as candidate ids when no id column is named.
ID_COLUMNS = ("id", "编号")


def check_spacing(
    spacing_m: float,
    n_points: float,
    smallest_m: float,
    *,
    where: str = "network candidates",
    where_zh: str = "路网候选点",
) -> None:
    """Raise `InputError` when a spacing would make more than `MAX_SPACED_CANDIDATES` points.

    Parameters
    ----------
    spacing_m
        The spacing asked for, metres.
    n_points
        How many candidate points it would make (a float: it may be astronomically large).
    smallest_m
        The smallest spacing that stays within the limit on this network, metres.
    where, where_zh
        The option or field, for the message (English, Chinese).
    """
    if n_points <= MAX_SPACED_CANDIDATES:
        return
    digits = np.floor(np.log10(smallest_m)) - 1 if smallest_m > 0 else 0.0
    smallest = float(np.ceil(smallest_m / 10.0**digits) * 10.0**digits) if smallest_m > 0 else 1.0
    raise InputError(
        f"{where}: a spacing of {spacing_m:g} m would make about {n_points:,.0f} candidate points, more "
        f"than the {MAX_SPACED_CANDIDATES:,} siting can take; use a spacing of at least {smallest:g} m "
        "(200 m, the default, suits walking-distance siting).",
        zh=f"{where_zh}：间距 {spacing_m:g} 米将生成约 {n_points:,.0f} 个候选点，超过选址可处理的 "
        f"{MAX_SPACED_CANDIDATES:,} 个；请使用不小于 {smallest:g} 米的间距（默认 200 米适合步行可达选址）。",
    )


def candidates_from_layer(
    layer: str | Path | gpd.GeoDataFrame,
    *,
    crs: str | int | None = None,
    id_col: str | None = None,
    name_col: str | None = None,
    cost_col: str | None = None,
    capacity_col: str | None = None,
    service: str = "",
    tier: str = "",
    min_area_m2: float | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites from a user layer (idle schools, offices, 小区配套用房 …): points or polygons.

    Polygons become their representative point (always inside) and keep their footprint area.

    Parameters
    ----------
    layer
        A GeoDataFrame or a vector file (GeoJSON, GeoPackage, Shapefile).
    crs
        CRS of the file when it does not say it right (``gcj02``, ``bd09`` or an EPSG code).
    id_col, name_col
        Columns with ids and names (default: the layer's ``id`` or ``编号`` column, else row
        numbers; empty names). Ids must be unique.
    cost_col, capacity_col
        Optional cost (e.g. a subsidy, policy-digest §3.4) and capacity (beds or 托位) columns.
    service, tier
        Labels copied to every candidate.
    min_area_m2
        Drop polygons smaller than this (e.g. `MIN_SITE_AREA_M2`).

    Returns
    -------
    geopandas.GeoDataFrame
        WGS84 points with `CANDIDATE_COLUMNS`.
    """
    gdf, where, wz = _read(layer, crs, "candidate layer", what_zh="候选点图层")
    n = len(gdf)
    if id_col is None:
        id_col = next((c for c in ID_COLUMNS if c in gdf.columns), None)
    for col in (id_col, name_col, cost_col, capacity_col):
        if col is not None and col not in gdf.columns:
            raise InputError(
                f"{where}: no column {col!r}; the layer has {', '.join(map(str, gdf.columns[:12]))}.",
                zh=f"{wz}：没有字段 {col!r}；该图层的字段有 {'、'.join(map(str, gdf.columns[:12]))}。",
            )
    geoms = gdf.geometry.to_numpy()
    area = _area_m2(geoms)
    out = gpd.GeoDataFrame(
        {
            "id": gdf[id_col].astype(str).to_numpy() if id_col else np.arange(n).astype(str),
            "name": gdf[name_col].astype(str).to_numpy() if name_col else np.full(n, "", dtype=object),
            "service": service,
            "tier": tier,
            "capacity": _numeric(gdf, capacity_col, where, np.nan, where_zh=wz),
            "status": "candidate",
            "cost": _numeric(gdf, cost_col, where, 1.0, where_zh=wz),
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
        raise InputError(
            f"{where}: column {id_col!r} holds {int(dup.sum())} duplicate id(s) ({ids}); give every "
            "candidate its own id.",
            zh=f"{wz}：字段 {id_col!r} 中有 {int(dup.sum())} 个重复编号（{ids}）；"
            "请为每个候选点给出不同的编号。",
        )
    return out.reset_index(drop=True)


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
        Smallest footprint kept; default `MIN_SITE_AREA_M2` (003 保障要素二).
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
    src = str(footprints)
    if not isinstance(footprints, gpd.GeoDataFrame) and src.lower().endswith(".pbf"):
        from ...geodata.demand import buildings_from_osm

        footprints = buildings_from_osm(src)
    gdf, where, wz = _read(footprints, crs, "footprint layer", what_zh="建筑轮廓图层")
    poly = np.isin(shapely.get_type_id(gdf.geometry.to_numpy()), (3, 6))
    if not poly.any():
        raise InputError(
            f"{where}: no polygons; footprints must be building or landuse polygons.",
            zh=f"{wz}：没有面要素；建筑轮廓须为建筑物或用地的面要素。",
        )
    gdf = gdf.loc[poly]
    if types is not None:
        if type_col is None or type_col not in gdf.columns:
            raise InputError(
                f"{where}: filtering by type needs a 'type_col' that the layer has.",
                zh=f"{wz}：按类型筛选需要给出该图层中存在的 'type_col' 字段。",
            )
        gdf = gdf[gdf[type_col].astype(str).isin(types)]
    id_col = next((c for c in ("id", "osm_id") if c in gdf.columns), None)
    name_col = "name" if "name" in gdf.columns else None
    out = candidates_from_layer(
        gdf.reset_index(drop=True), id_col=id_col, name_col=name_col, service=service,
        tier="building", min_area_m2=min_area_m2,
    )  # fmt: skip
    if capacity_per_m2 is not None:
        out["capacity"] = np.floor(out["area_m2"].to_numpy() * capacity_per_m2)
    return out


def candidates_on_network(net: WalkNetwork, spacing_m: float, *, service: str = "") -> gpd.GeoDataFrame:
    """Candidate sites on the walk network every ``spacing_m`` metres along each edge.

    An edge of length ``L`` gets ``max(1, round(L / spacing_m))`` points at equal spacing, the
    first half a step from its start, so no two edges share a point at a junction.

    Returns
    -------
    geopandas.GeoDataFrame
        WGS84 points with `CANDIDATE_COLUMNS` plus ``edge`` and ``offset_m`` (position along
        the edge from ``u``).
    """
    if not np.isfinite(spacing_m) or spacing_m <= 0:
        raise InputError(
            f"network candidates: spacing {spacing_m!r} m; give a positive number of metres.",
            zh=f"路网候选点：间距为 {spacing_m!r} 米；请给出一个正的米数。",
        )
    length = shapely.length(net.geometry)
    n_float = np.maximum(1.0, np.round(length / spacing_m))
    check_spacing(spacing_m, float(n_float.sum()), float(length.sum()) / MAX_SPACED_CANDIDATES)
    per = n_float.astype(np.int64)
    edge = np.repeat(np.arange(net.n_edges), per)
    k = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    offset = (k + 0.5) * (length[edge] / per[edge])
    pts = shapely.line_interpolate_point(net.geometry[edge], offset)
    n = len(pts)
    out = gpd.GeoDataFrame(
        {
            "id": np.char.add("net-", np.arange(n).astype(str)),
            "name": "",
            "service": service,
            "tier": "network",
            "capacity": np.nan,
            "status": "candidate",
            "cost": 1.0,
            "area_m2": np.nan,
            "edge": edge,
            "offset_m": offset,
        },
        geometry=pts,
        crs=net.crs,
    )
    return out.to_crs(4326)


def _read(layer, crs, what: str, *, what_zh: str | None = None) -> tuple[gpd.GeoDataFrame, str, str]:
    """A WGS84 GeoDataFrame and a name for messages, in English and in Chinese."""
    wh = what if what_zh is None else what_zh
    if isinstance(layer, gpd.GeoDataFrame):
        gdf, where, wz = layer, f"{what} table", f"{wh}数据表"
        if gdf.crs is None and crs is None:
            raise InputError(
                f"{where}: it has no CRS; set one or give 'crs' (wgs84, gcj02, bd09, EPSG).",
                zh=f"{wz}：没有坐标系；请设置坐标系，或给出 'crs'（wgs84、gcj02、bd09 或 EPSG 代码）。",
            )
    else:
        path = require_file(layer, what, what_zh=wh)
        where = wz = str(path)
        try:
            gdf = gpd.read_file(path)
        except Exception as exc:
            raise InputError(
                f"{path}: cannot read it as a {what} ({exc.__class__.__name__}); use GeoJSON, GeoPackage "
                "or a Shapefile.",
                zh=(
                    f"{path}：无法作为{wh}读取（{exc.__class__.__name__}）；"
                    "请使用 GeoJSON、GeoPackage 或 Shapefile。"
                ),
            ) from None
    if len(gdf) == 0:
        raise InputError(
            f"{where}: the {what} is empty; give at least one site.",
            zh=f"{wz}：{wh}为空；请至少给出一个候选点。",
        )
    gdf = to_wgs84(gdf, crs, where=where)
    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise InputError(
            f"{where}: {int(empty.sum())} rows have no geometry; fix or drop them.",
            zh=f"{wz}：有 {int(empty.sum())} 行没有几何图形；请修正或删除这些行。",
        )
    return gdf.reset_index(drop=True), where, wz


def _area_m2(geoms: np.ndarray) -> np.ndarray:
    """Footprint area in m² in the local UTM zone (NaN for points and lines)."""
    area = np.full(len(geoms), np.nan)
    poly = np.isin(shapely.get_type_id(geoms), (3, 6))
    if poly.any():
        c = shapely.centroid(shapely.union_all(shapely.envelope(geoms[poly])))
        utm = utm_crs_for(c.x, c.y)
        area[poly] = gpd.GeoSeries(geoms[poly], crs=4326).to_crs(utm).area.to_numpy()
    return area


def _numeric(
    gdf: pd.DataFrame, col: str | None, where: str, default: float, *, where_zh: str | None = None
) -> np.ndarray:
    """A numeric column (``default`` when no column is named); bad values are an error."""
    wz = where if where_zh is None else where_zh
    if col is None:
        return np.full(len(gdf), default)
    vals = pd.to_numeric(gdf[col], errors="coerce")
    bad = vals.isna() & gdf[col].notna()
    if bad.any() or (vals < 0).any():
        row = int(np.argmax(bad | (vals < 0)))
        raise InputError(
            f"{where}: column {col!r} must hold numbers of zero or more; fix row {row}.",
            zh=f"{wz}：字段 {col!r} 须为零或以上的数值；请修正第 {row} 行。",
        )
    return vals.to_numpy(dtype=float)
