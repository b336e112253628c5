"""The demand table, the options every demand model takes, and the step that assembles the table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from ..admin import attribute_admin, code_kind, name_kind
from ..common import Assumption, Msg
from ..schema import ADMIN_LEVELS, DEMAND_COLUMNS, GROUPS

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

#: Group shares of the national population in China's 7th census (2020, National Bureau of
#: Statistics): 60+ 18.70%, 80+ 2.54%. For use when a district gives only its total; the 0–3
#: share is not published there.
CENSUS_2020_CHINA_SHARES: dict[str, float] = {"pop_60": 0.1870, "pop_80": 0.0254}

#: An area to keep: a polygon, a boundary file, a bbox (see `lifecircle.geodata.sources.read_clip`).
ClipArea = str | Path | BaseGeometry | tuple | None
#: What a message names an input by: its path, or a message such as "demand table".
Where = str | Msg


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


# -- options ----------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, eq=False)
class DemandOptions:
    """Options every demand model takes.

    Attributes
    ----------
    crs
        CRS of the input when it does not say it right: ``wgs84``, ``gcj02``, ``bd09`` or an
        EPSG code.
    clip, clip_crs
        Keep only what lies inside this area (see `lifecircle.geodata.sources.read_clip`).
    group_shares
        Shares of residents for groups without counts (``{"pop_60": 0.2}``); each becomes an
        `Assumption`.
    shares_source
        Where the shares come from, shown with the assumption (e.g. ``"7th census 2020"``).
    units
        Admin units (`lifecircle.geodata.admin.read_admin_units`) to attribute points to.
    urban
        Urban flag for points no admin unit classifies (default urban, stated).
    """

    crs: str | int | None = None
    clip: ClipArea = None
    clip_crs: str | None = None
    group_shares: Mapping[str, float] | None = None
    shares_source: str = "user input"
    units: gpd.GeoDataFrame | None = None
    urban: bool | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class TableOptions(DemandOptions):
    """Options of `demand_from_table` (besides `DemandOptions`): which columns hold what."""

    pop_col: str = "population"
    group_cols: Mapping[str, str] | None = None
    lon_col: str | None = None
    lat_col: str | None = None
    id_col: str | None = None
    admin_cols: Mapping[str, str] | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class RasterOptions(DemandOptions):
    """Options of `demand_from_raster` (besides `DemandOptions`): the band holding the counts."""

    band: int = 1


@dataclass(frozen=True, kw_only=True, eq=False)
class FootprintOptions(DemandOptions):
    """Options of the building models (besides `DemandOptions`): which footprints hold homes.

    Attributes
    ----------
    levels_col
        Column of levels (``building:levels``, ``levels`` and the Chinese headers are looked up
        otherwise).
    default_levels
        Levels where none is tagged; by default the median of the tagged buildings.
    min_area_m2
        Footprints below this area are not homes and are left out.
    type_col
        Column of the OSM building type used to leave out buildings that are clearly not homes;
        ``False`` keeps all.
    """

    levels_col: str | None = None
    default_levels: float | None = None
    min_area_m2: float = MIN_AREA_M2
    type_col: str | bool | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class TotalsOptions(FootprintOptions):
    """Options of `demand_from_buildings`: the known totals to spread, besides `FootprintOptions`."""

    totals: float | Mapping[str, float]
    group_totals: Mapping[str, float | Mapping[str, float]] | None = None


@dataclass(frozen=True, kw_only=True, eq=False)
class FloorAreaOptions(FootprintOptions):
    """Options of `demand_from_floor_area`: residents per m², besides `FootprintOptions`."""

    persons_per_m2: float = PERSONS_PER_M2


# -- assembling the table ---------------------------------------------------------------------------


@dataclass
class Trail:
    """What a demand model assumed and noted on the way."""

    assumptions: list[Assumption] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class DemandRows:
    """The columns of a demand table before admin codes and urban flags are settled.

    Attributes
    ----------
    geoms
        WGS84 points.
    ids
        Unique ids (text).
    pop
        Residents per point.
    groups
        Residents per group (``pop_60``, …), NaN where unknown.
    admin
        Admin codes or names a table carries, by level.
    """

    geoms: np.ndarray
    ids: np.ndarray
    pop: np.ndarray
    groups: dict[str, np.ndarray]
    admin: dict[str, np.ndarray] = field(default_factory=dict)


def assemble(rows: DemandRows, opts: DemandOptions, assumptions: list[Assumption]) -> gpd.GeoDataFrame:
    """The demand table in schema order; admin codes by polygon, urban flag by admin type."""
    n = len(rows.geoms)
    codes = {lvl: rows.admin.get(lvl, np.full(n, "", dtype=object)) for lvl in ADMIN_LEVELS}
    flag = np.full(n, True if opts.urban is None else bool(opts.urban))
    classified = _flags_from_table(rows.admin, codes, flag)
    if opts.units is not None and n:
        att = attribute_admin(rows.geoms, opts.units, default_urban=flag)
        inside = np.zeros(n, dtype=bool)
        for lvl in ADMIN_LEVELS:
            fill = codes[lvl] == ""
            codes[lvl] = np.where(fill, att[lvl].to_numpy(dtype=object), codes[lvl])
            if lvl != "district":  # districts tell no urban from rural
                inside |= att[lvl].to_numpy(dtype=object) != ""
        take = inside & ~classified
        flag[take] = att["urban"].to_numpy(dtype=bool)[take]
        classified |= inside
    if opts.urban is None and (~classified).any():
        k = int((~classified).sum())
        assumptions.append(
            Assumption("demand.urban_default", "urban", "", msg=Msg("demand.assumption.urban_default", n=k))
        )
    table = gpd.GeoDataFrame(
        {
            "id": pd.array(rows.ids, dtype=object),
            "pop_total": np.asarray(rows.pop, dtype=float),
            **{g: np.asarray(rows.groups[g], dtype=float) for g in GROUPS[1:]},
            **{lvl: pd.array(codes[lvl], dtype=object) for lvl in ADMIN_LEVELS},
            "urban": flag.astype(bool),
        },
        geometry=np.asarray(rows.geoms),
        crs=4326,
    )
    return table[[*DEMAND_COLUMNS, "geometry"]]


def _flags_from_table(
    admin: dict[str, np.ndarray], codes: dict[str, np.ndarray], flag: np.ndarray
) -> np.ndarray:
    """Set ``flag`` from the codes or names a table carries, finest level first; return what was set."""
    classified = np.zeros(len(flag), dtype=bool)
    for lvl in reversed(ADMIN_LEVELS):
        if lvl not in admin:
            continue
        kind = name_kind(codes[lvl])
        kind = np.where(kind == -1, code_kind(codes[lvl]), kind)
        set_now = (kind != -1) & ~classified
        flag[set_now] = kind[set_now] == 1
        classified |= set_now
    return classified
