"""Admin units (district, street or town, community or village): polygons, codes, urban flag, attribution."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .admin_codes import code_kind, header_words, name_kind, urban_cells
from .common import InputError, Msg, say
from .crs import to_wgs84
from .files import require_file
from .schema import ADMIN_COLUMNS, ADMIN_LEVELS

#: What the code columns, name columns and parent columns of a layer are called, besides the
#: Chinese headers of the catalogue's ``admin.columns.*`` entries.
_CODE_COLS = ("code", "adcode", "admin_code")
_PARENT_COLS = ("parent", "parent_code")


def _code_cols() -> tuple[str, ...]:
    return (*_CODE_COLS, *header_words("admin.columns.code"))


def _name_cols() -> tuple[str, ...]:
    return ("name", *header_words("admin.columns.name"), "name_zh")


def _parent_cols() -> tuple[str, ...]:
    return (*_PARENT_COLS, *header_words("admin.columns.parent"))


def level_msg(level: str) -> Msg:
    """The name of an admin level (``district``, ``street``, ``community``) as a message."""
    return {
        "district": Msg("admin.level.district"),
        "street": Msg("admin.level.street"),
        "community": Msg("admin.level.community"),
    }.get(level) or Msg("admin.level.other", level=level)


def column_names(names: list[str], limit: int | None = None) -> Msg:
    """Column names for a message: the first ``limit`` of them (and a "…"), or "none"."""
    if not names:
        return Msg("admin.columns.none")
    if limit is not None and len(names) > limit:
        return Msg("admin.columns.more", names=names[:limit])
    return Msg("admin.columns.list", names=names)


def rows_msg(mask: np.ndarray, limit: int = 5) -> Msg:
    """Up to ``limit`` 1-based row numbers where ``mask`` is true: ``rows 2, 4 (and 3 more)``.

    Like `lifecircle.geodata.common.Rows`, in the wording these messages always had ("rows 2"
    for a single row too).
    """
    numbers = [int(i) for i in np.flatnonzero(np.asarray(mask)) + 1]
    if len(numbers) > limit:
        return Msg("admin.rows.more", shown=numbers[:limit], more=len(numbers) - limit)
    return Msg("admin.rows", shown=numbers)


def urban_from_name(names: np.ndarray | pd.Series | list[str], *, where: str | Msg = "") -> np.ndarray:
    """Urban flag from admin-unit names (boolean array).

    Streets, communities and residents' committees are urban; towns, townships, villages and
    villagers' committees are rural (policy-digest §5, see `name_kind`). A name that tells
    neither is taken as urban, and a warning says how many were.

    Parameters
    ----------
    names
        Unit names as the code lists write them (a street, a community residents' committee, a
        villagers' committee, …).
    where
        File or table the names come from, for the warning.
    """
    kind = name_kind(names)
    _warn_unknown(int((kind == -1).sum()), len(kind), where)
    return kind != 0


@dataclass(frozen=True, kw_only=True, eq=False)
class UnitLayer:
    """How to read one layer of admin-unit polygons (the options of `read_admin_units`).

    Attributes
    ----------
    level
        ``"district"``, ``"street"`` or ``"community"``.
    code_col, name_col, parent_col
        Columns holding the unit code, name and enclosing unit's code; looked up by usual
        names (``code``/``adcode`` or the Chinese headers, ``name``, ``parent``) when not given.
    crs
        CRS of the layer when the file does not say it right: ``gcj02`` for Chinese sources
        (they label GCJ-02 as EPSG:4326), ``bd09``, ``wgs84`` or an EPSG code.
    code, name, parent
        Values for a single-polygon layer without attributes, such as the bare district outline
        ``boundaries/500103.gcj02.geojson`` (``code="500103"`` and the district's name).
    urban
        Set the urban flag of every unit; by default a column ``urban`` (or a Chinese header of
        ``admin.columns.urban``) sets it per unit (urban/rural in either language, true/false, 1/0), then
        the names decide (`name_kind`), then statistical codes (`code_kind`), and it is urban
        with a warning otherwise.
        Districts are urban by default without a warning: their flag classifies no demand
        (`attribute_admin` takes it from streets and communities).
    lookup
        Optional code table from `read_admin_codes` that supplies missing names, parents and
        urban flags by code.
    """

    level: str
    code_col: str | None = None
    name_col: str | None = None
    parent_col: str | None = None
    crs: str | int | None = None
    code: str | None = None
    name: str | None = None
    parent: str | None = None
    urban: bool | None = None
    lookup: pd.DataFrame | None = None


def read_admin_units(path: str | Path | gpd.GeoDataFrame, **options: Any) -> gpd.GeoDataFrame:
    """Read admin-unit polygons of one level into the normalized admin table.

    Parameters
    ----------
    path
        A polygon layer (GeoJSON, GeoPackage, Shapefile) or a GeoDataFrame.
    **options
        The fields of `UnitLayer`, as keywords: ``level`` (required), ``code_col``,
        ``name_col``, ``parent_col``, ``crs``, ``code``, ``name``, ``parent``, ``urban``,
        ``lookup``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code, name, level, parent, urban`` and polygon geometry in WGS84, one row per
        code (polygons sharing a code are merged).
    """
    opts = UnitLayer(**options)
    where = str(path) if not isinstance(path, gpd.GeoDataFrame) else Msg("admin.where.units")
    if opts.level not in ADMIN_LEVELS:
        raise InputError("admin.unknown_level", where=where, level=opts.level, levels=ADMIN_LEVELS)
    gdf = to_wgs84(_read_polygons(path, where), opts.crs, where=where)
    table = _unit_table(gdf, opts, where)
    if opts.lookup is not None:
        table = _fill_from_lookup(table, opts.lookup)
    table["level"] = opts.level
    urban = opts.urban
    if urban is None and opts.level == "district" and "urban" not in table.columns:
        urban = True
    table["urban"] = _urban_flags(table, urban, where)
    _check_shared_codes(table, where)
    geoms = shapely.make_valid(gdf.geometry.to_numpy())
    out = gpd.GeoDataFrame(table, geometry=geoms, crs=4326)
    if out["code"].duplicated().any():
        out = out.dissolve(by="code", as_index=False, sort=False, aggfunc="first")
    return out[[*ADMIN_COLUMNS, "geometry"]].reset_index(drop=True)


def _unit_table(gdf: gpd.GeoDataFrame, opts: UnitLayer, where: str | Msg) -> pd.DataFrame:
    """Codes, names and parents of the layer's features (one row each, in order)."""
    cols = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    codes = _column_or_value(gdf, cols, (opts.code_col, opts.code), _code_cols(), "code", where)
    if codes is None:
        if len(gdf) == 1:
            raise InputError("admin.no_code_single", where=where)
        names = [str(c) for c in cols.values()]
        raise InputError("admin.no_code_column", where=where, columns=column_names(names))
    names = _column_or_value(gdf, cols, (opts.name_col, opts.name), _name_cols(), "name", where)
    parents = _column_or_value(gdf, cols, (opts.parent_col, opts.parent), _parent_cols(), "parent", where)
    table = pd.DataFrame(
        {
            "code": _as_code(codes),
            "name": pd.Series(names, dtype=object).fillna("").astype(str).to_numpy()
            if names is not None
            else np.full(len(gdf), "", dtype=object),
            "parent": _as_code(parents) if parents is not None else _parent_from_code(_as_code(codes)),
        }
    )
    empty = (table["code"] == "").to_numpy()
    if empty.any():
        raise InputError("admin.empty_codes", where=where, rows=rows_msg(empty))
    urban = _column_or_value(
        gdf, cols, (None, None), ("urban", *header_words("admin.columns.urban")), "", where
    )
    if urban is not None:  # the layer's own class of each unit overrides its name's
        flags = urban_cells(urban)
        bad = pd.isna(flags) & ~pd.Series(urban, dtype=object).fillna("").astype(str).str.strip().eq("")
        if bad.any():
            raise InputError("admin.bad_urban", where=where, rows=rows_msg(bad.to_numpy()))
        table["urban"] = flags
    return table


def read_admin_codes(
    streets_csv: str | Path,
    communities_csv: str | Path | None = None,
    *,
    districts: str | list[str] | None = None,
) -> pd.DataFrame:
    """Read statistical division code lists into a tidy table of streets and communities.

    Reads the ``china-division`` CSVs of ``../shared/data/chongqing/admin_codes/``: streets
    (``code, name, areaCode``: 9-digit street, town and township codes) and communities
    (``code, name, streetCode``: 12-digit residents' and villagers' committee codes).

    Parameters
    ----------
    streets_csv, communities_csv
        The two CSV files; ``communities_csv`` may be omitted.
    districts
        Keep only these 6-digit district codes.

    Returns
    -------
    pandas.DataFrame
        Columns ``code, name, level, parent, urban`` (codes as strings): streets first, then
        communities. Streets and residents' committees are urban, towns, townships and
        villagers' committees rural (names first, statistical code rules where a name tells
        neither).
    """
    keep = [districts] if isinstance(districts, str) else districts
    parts = [_read_code_csv(streets_csv, "street", "areaCode", keep)]
    if communities_csv is not None:
        comm = _read_code_csv(communities_csv, "community", "streetCode", keep)
        parts.append(comm)
    table = pd.concat(parts, ignore_index=True)
    table["urban"] = _urban_flags(table, None, str(communities_csv or streets_csv))
    return table[list(ADMIN_COLUMNS)]


def attribute_admin(
    points: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray,
    units: gpd.GeoDataFrame,
    *,
    default_urban: bool | np.ndarray = True,
) -> pd.DataFrame:
    """District, street and community codes and the urban flag of each point, by spatial join.

    Each level's polygons go in an STR-tree and all points are queried at once; a point on a
    shared border goes to the unit listed first. A level without a polygon for a point is filled
    from the parent code of the finer unit it falls in, when the units table knows that parent.
    The urban flag is that of the finest street or community found (a district as a whole is
    neither); points outside every unit get ``""`` codes and keep their own flag.

    Parameters
    ----------
    points
        Points in WGS84 (a GeoDataFrame, GeoSeries or shapely array). A GeoDataFrame's
        ``urban`` column, when present, is the fallback flag.
    units
        Admin table from `read_admin_units` (one or several levels concatenated).
    default_urban
        Fallback flag (scalar or per point) when ``points`` carries none.

    Returns
    -------
    pandas.DataFrame
        Columns ``district, street, community, urban``, aligned with ``points``.
    """
    index, geoms, given = _points(points, default_urban)
    units = _check_units(units)
    n = len(geoms)
    codes = {lvl: np.full(n, "", dtype=object) for lvl in ADMIN_LEVELS}
    urban = np.asarray(given, dtype=bool).copy()
    parent_of = dict(zip(units["code"], units["parent"], strict=True))
    for lvl in ADMIN_LEVELS:  # coarse to fine, so the finest unit's flag wins
        sub = units.loc[units["level"] == lvl]
        if len(sub) == 0 or n == 0:
            continue
        hit, unit = first_hit(geoms, sub.geometry.to_numpy())
        codes[lvl][hit] = sub["code"].to_numpy()[unit]
        if lvl != "district":  # a district as a whole is neither urban nor rural
            urban[hit] = sub["urban"].to_numpy(dtype=bool)[unit]
    # fill coarser levels from the parent chain of finer units
    for finer, coarser in (("community", "street"), ("street", "district")):
        gap = (codes[coarser] == "") & (codes[finer] != "")
        if gap.any():
            codes[coarser][gap] = pd.Series(codes[finer][gap]).map(parent_of).fillna("").to_numpy()
    return pd.DataFrame({**codes, "urban": urban}, index=index)


def apply_urban_overrides(
    demand: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | str | Path,
    urban: bool,
    *,
    crs: str | int | None = None,
) -> gpd.GeoDataFrame:
    """Set the urban flag of every demand point inside ``polygons`` to ``urban``.

    For zones a policy draws by geography rather than by admin type, e.g. Jiulongpo's rural
    area west of the Zhongliang Mountains (policy 000 §5), or a town seat treated as urban.

    Parameters
    ----------
    demand
        Demand table (WGS84 points with an ``urban`` column).
    polygons
        The zone: WGS84 polygons, or a polygon file whose CRS is ``crs`` (``gcj02`` for Chinese
        sources).
    urban
        The flag to set inside the zone.
    crs
        CRS of a polygon file when it does not say it right.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``demand`` with the flag changed inside the zone.
    """
    zone = _zone(polygons, crs)
    pts = demand.geometry.to_numpy()
    inside = shapely.intersects(pts, zone) if len(pts) else np.zeros(0, dtype=bool)
    out = demand.copy()
    col = out["urban"].to_numpy(dtype=bool) if "urban" in out.columns else np.ones(len(out), bool)
    out["urban"] = np.where(inside, bool(urban), col)
    return out


# -- helpers -----------------------------------------------------------------------------------


def _warn_unknown(n_unknown: int, n: int, where: str | Msg) -> None:
    if not n_unknown:
        return
    if where:
        text = say("admin.unknown_kind.where", "en", where=where, n_unknown=n_unknown, n=n)
    else:
        text = say("admin.unknown_kind", "en", n_unknown=n_unknown, n=n)
    warnings.warn(text, stacklevel=3)


def _urban_flags(table: pd.DataFrame, urban: bool | None, where: str | Msg) -> np.ndarray:
    if urban is not None:
        return np.full(len(table), bool(urban))
    kind = name_kind(table["name"].to_numpy())
    kind = np.where(kind == -1, code_kind(table["code"].to_numpy()), kind)
    if "urban" in table.columns:  # flags a code list supplied
        known = table["urban"].notna().to_numpy()
        kind[known] = table["urban"].to_numpy()[known].astype(bool)
    _warn_unknown(int((kind == -1).sum()), len(kind), where)
    return kind != 0


def _check_shared_codes(table: pd.DataFrame, where: str | Msg) -> None:
    """Raise `InputError` when one code is given to units of different names.

    Polygons that share a code and a name are parts of one unit (they are merged); a code
    shared by two named units is a duplicate id.
    """
    named = table[table["code"].duplicated(keep=False) & (table["name"] != "")]
    clash = named.groupby("code")["name"].nunique()
    clash = clash[clash > 1]
    if clash.empty:
        return
    code = clash.index[0]
    rows = (table["code"] == code).to_numpy()
    names = list(named.loc[named["code"] == code, "name"].unique())
    raise InputError("admin.shared_code", where=where, code=code, names=names, rows=rows_msg(rows))


def _read_polygons(path: str | Path | gpd.GeoDataFrame, where: str | Msg) -> gpd.GeoDataFrame:
    if isinstance(path, gpd.GeoDataFrame):
        gdf = path.copy()
    else:
        p = require_file(path, Msg("what.admin_layer"))
        try:
            gdf = gpd.read_file(p)
        except Exception as exc:
            raise InputError("admin.unreadable_layer", path=p, error=exc.__class__.__name__) from None
    if len(gdf) == 0:
        raise InputError("admin.no_features", where=where)
    geoms = gdf.geometry.to_numpy()
    bad = shapely.is_missing(geoms) | ~np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    if bad.any():
        raise InputError("admin.not_polygon", where=where, rows=rows_msg(bad))
    return gdf


def _column_or_value(
    gdf: gpd.GeoDataFrame,
    cols: dict[str, str],
    given: tuple[str | None, str | None],
    candidates: tuple[str, ...],
    what: str,
    where: str | Msg,
) -> np.ndarray | None:
    """One attribute of the units: the column named, the single value given, or a usual column.

    ``given`` is the (column, value) pair the caller passed for it; ``what`` is ``code``,
    ``name`` or ``parent``.
    """
    col, value = given
    field = _field_msg(what)
    if col is not None:
        if col not in gdf.columns:
            names = column_names([str(c) for c in cols.values()])
            raise InputError("admin.no_column", where=where, col=col, field=field, columns=names)
        return gdf[col].to_numpy()
    if value is not None:
        if len(gdf) != 1:
            raise InputError(
                "admin.value_needs_single", where=where, key=what, value=value, n=len(gdf), field=field
            )
        return np.array([value], dtype=object)
    for cand in candidates:
        if cand.lower() in cols:
            return gdf[cols[cand.lower()]].to_numpy()
    return None


def _field_msg(what: str) -> Msg:
    """The word for a unit attribute (``code``, ``name``, ``parent``) in a message."""
    return {"code": Msg("admin.field.code"), "name": Msg("admin.field.name")}.get(what) or Msg(
        "admin.field.parent"
    )


def _as_code(values: np.ndarray) -> np.ndarray:
    """Codes as strings: integers without ``.0``, missing as ``""``."""
    s = pd.Series(values, dtype=object)
    num = pd.to_numeric(s, errors="coerce")
    whole = num.notna() & (num == np.floor(num.fillna(0)))
    out = s.where(s.notna(), "").astype(str).str.strip()
    out[whole] = num[whole].astype("int64").astype(str)
    return out.to_numpy(dtype=object)


def _parent_from_code(codes: np.ndarray) -> np.ndarray:
    """Parent code by the statistical code structure: 12 → 9 → 6 digits, else ``""``."""
    s = pd.Series(codes, dtype=object).astype(str)
    n = s.str.len()
    digits = s.str.fullmatch(r"\d+")
    out = np.full(len(s), "", dtype=object)
    out[(digits & (n == 12)).to_numpy()] = s[digits & (n == 12)].str[:9].to_numpy()
    out[(digits & (n == 9)).to_numpy()] = s[digits & (n == 9)].str[:6].to_numpy()
    return out


def _fill_from_lookup(table: pd.DataFrame, lookup: pd.DataFrame) -> pd.DataFrame:
    look = lookup.drop_duplicates("code").set_index("code")
    out = table.copy()
    for col in ("name", "parent"):
        missing = out[col] == ""
        out.loc[missing, col] = out.loc[missing, "code"].map(look[col]).fillna("").to_numpy()
    if "urban" in look.columns:
        listed = out["code"].map(look["urban"].astype(object)).to_numpy()
        out["urban"] = out["urban"].where(out["urban"].notna(), listed) if "urban" in out else listed
    return out


def _read_code_csv(path: str | Path, level: str, parent_col: str, keep: list[str] | None) -> pd.DataFrame:
    p = require_file(path, Msg("what.code_list", level=level_msg(level)))
    try:
        df = pd.read_csv(p, dtype=str, encoding="utf-8-sig")
    except UnicodeDecodeError:
        df = pd.read_csv(p, dtype=str, encoding="gb18030")
    except Exception as exc:
        raise InputError("admin.csv_unreadable", path=p, error=exc.__class__.__name__) from None
    missing = [repr(c) for c in ("code", "name", parent_col) if c not in df.columns]
    if missing:
        level_name = level_msg(level)
        raise InputError(
            "admin.csv_missing_columns", path=p, missing=missing, level=level_name, parent_col=parent_col
        )
    df = df.fillna("")
    if keep is not None:
        district = df[parent_col].str[:6] if level == "community" else df[parent_col]
        df = df.loc[district.isin(keep)]
    return pd.DataFrame(
        {
            "code": df["code"].str.strip().to_numpy(),
            "name": df["name"].str.strip().to_numpy(),
            "level": level,
            "parent": df[parent_col].str.strip().to_numpy(),
        }
    )


def _points(
    points: gpd.GeoDataFrame | gpd.GeoSeries | np.ndarray, default_urban: bool | np.ndarray
) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        if points.crs is not None and not points.crs.equals(4326):
            points = points.to_crs(4326)
        index = points.index
        geoms = points.geometry.to_numpy() if isinstance(points, gpd.GeoDataFrame) else points.to_numpy()
        if isinstance(points, gpd.GeoDataFrame) and "urban" in points.columns:
            return index, geoms, points["urban"].to_numpy(dtype=bool)
    else:
        geoms = np.asarray(points)
        index = pd.RangeIndex(len(geoms))
    given = np.broadcast_to(np.asarray(default_urban, dtype=bool), (len(geoms),))
    return index, geoms, given


def _check_units(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    missing = [repr(c) for c in ("code", "level", "parent", "urban") if c not in units.columns]
    if missing:
        raise InputError("admin.units_missing_columns", missing=missing)
    bad = ~units["level"].isin(ADMIN_LEVELS).to_numpy()
    if bad.any():
        raise InputError("admin.units_bad_level", value=units["level"][bad].iloc[0], rows=rows_msg(bad))
    if units.crs is not None and not units.crs.equals(4326):
        units = units.to_crs(4326)
    return units


def first_hit(points: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each point inside some polygon: the point index and the lowest polygon index."""
    tree = shapely.STRtree(polygons)
    pi, ui = tree.query(points, predicate="intersects")
    if len(pi) == 0:
        return pi, ui
    order = np.lexsort((ui, pi))
    pi, ui = pi[order], ui[order]
    _, first = np.unique(pi, return_index=True)
    return pi[first], ui[first]


def _zone(polygons: gpd.GeoDataFrame | gpd.GeoSeries | BaseGeometry | str | Path, crs) -> BaseGeometry:
    if isinstance(polygons, BaseGeometry):
        return polygons
    if isinstance(polygons, str | Path):
        p = require_file(polygons, Msg("what.override_zones"))
        polygons = to_wgs84(_read_polygons(p, str(p)), crs, where=str(p))
    elif polygons.crs is not None and not polygons.crs.equals(4326):
        polygons = polygons.to_crs(4326)
    geoms = polygons.geometry.to_numpy() if isinstance(polygons, gpd.GeoDataFrame) else polygons.to_numpy()
    return shapely.union_all(shapely.make_valid(geoms))
