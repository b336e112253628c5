"""Admin units (district 区, street 街道/镇, community 社区/村): polygons, codes, urban flag, attribution."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from .common import InputError
from .crs import to_wgs84
from .files import label_zh, require_file, rows_zh
from .schema import ADMIN_COLUMNS, ADMIN_LEVELS

#: Name endings that make a unit urban (policy-digest §5: 社区 under a 街道 → urban).
_URBAN_END = (
    "社区居民委员会",
    "居民委员会",
    "居委会",
    "社区工作站",
    "社区服务站",
    "社区",
    "街道办事处",
    "街道",
)
#: Name endings that make a unit rural (村 under a 镇 or 乡 → rural, policy-digest §5).
_RURAL_END = ("村民委员会", "村委会", "村", "镇人民政府", "乡人民政府", "镇", "乡", "苏木")
_URBAN_ANY = re.compile("社区|居委|居民委员会|街道")
_RURAL_ANY = re.compile("村|镇|乡")

_CODE_COLS = ("code", "adcode", "admin_code", "区划代码", "行政区划代码", "代码")
_NAME_COLS = ("name", "名称", "区划名称", "name_zh")
_PARENT_COLS = ("parent", "parent_code", "上级代码", "上级区划代码")
_LEVEL_ZH = {"district": "区县", "street": "街道", "community": "社区"}
_WHAT_ZH = {"code": "代码", "name": "名称", "parent": "上级代码"}


def name_kind(names: np.ndarray | pd.Series | list[str]) -> np.ndarray:
    """Classify admin-unit names: 1 urban, 0 rural, -1 unknown (``int8`` array).

    The ending decides (``新村社区`` is a 社区, so urban); names whose ending is none of the known
    unit types are classified by the words they contain, 社区/居委/街道 before 村/镇/乡.
    """
    s = pd.Series(np.asarray(names, dtype=object)).fillna("").astype(str).str.strip()
    out = np.full(len(s), -1, dtype=np.int8)
    urban_end = s.str.endswith(_URBAN_END).to_numpy()
    rural_end = s.str.endswith(_RURAL_END).to_numpy() & ~urban_end
    out[urban_end] = 1
    out[rural_end] = 0
    rest = out == -1
    urban_any = s.str.contains(_URBAN_ANY).to_numpy() & rest
    rural_any = s.str.contains(_RURAL_ANY).to_numpy() & rest & ~urban_any
    out[urban_any] = 1
    out[rural_any] = 0
    return out


def code_kind(codes: np.ndarray | pd.Series | list[str]) -> np.ndarray:
    """Classify statistical division codes: 1 urban, 0 rural, -1 unknown (``int8`` array).

    National Bureau of Statistics rules (《统计用区划代码编制规则》): in a 12-digit village-level
    code, digits 10–12 of 001–199 mark a residents' committee (居委会, urban) and 200–399 a
    villagers' committee (村委会, rural); in a 9-digit township code, digits 7–9 of 001–099 mark a
    街道 (urban), 100–199 a 镇 and 200–399 a 乡 (rural). Other codes are unknown.
    """
    s = pd.Series(np.asarray(codes, dtype=object)).fillna("").astype(str).str.strip()
    out = np.full(len(s), -1, dtype=np.int8)
    digits = s.str.fullmatch(r"\d+").to_numpy()
    n = s.str.len().to_numpy()
    tail = pd.to_numeric(s.str[-3:], errors="coerce").fillna(-1).to_numpy()
    v12 = digits & (n == 12)
    v9 = digits & (n == 9)
    out[v12 & (tail >= 1) & (tail <= 199)] = 1
    out[v12 & (tail >= 200) & (tail <= 399)] = 0
    out[v9 & (tail >= 1) & (tail <= 99)] = 1
    out[v9 & (tail >= 100) & (tail <= 399)] = 0
    return out


def urban_from_name(names: np.ndarray | pd.Series | list[str], *, where: str = "") -> np.ndarray:
    """Urban flag from admin-unit names (boolean array).

    街道/社区/居委会/居民委员会 → urban; 镇/乡/村/村委会/村民委员会 → rural (policy-digest §5).
    A name that tells neither is taken as urban, and a warning says how many were.

    Parameters
    ----------
    names
        Unit names, e.g. ``"七星岗街道"``, ``"华一坡社区居民委员会"``, ``"庙坝村民委员会"``.
    where
        File or table the names come from, for the warning.
    """
    kind = name_kind(names)
    _warn_unknown(int((kind == -1).sum()), len(kind), where)
    return kind != 0


def read_admin_units(
    path: str | Path | gpd.GeoDataFrame,
    *,
    level: str,
    code_col: str | None = None,
    name_col: str | None = None,
    parent_col: str | None = None,
    crs: str | int | None = None,
    code: str | None = None,
    name: str | None = None,
    parent: str | None = None,
    urban: bool | None = None,
    lookup: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Read admin-unit polygons of one level into the normalized admin table.

    Parameters
    ----------
    path
        A polygon layer (GeoJSON, GeoPackage, Shapefile) or a GeoDataFrame.
    level
        ``"district"``, ``"street"`` or ``"community"``.
    code_col, name_col, parent_col
        Columns holding the unit code, name and enclosing unit's code; looked up by usual
        names (``code``/``adcode``/``区划代码``, ``name``/``名称``, ``parent``) when not given.
    crs
        CRS of the layer when the file does not say it right: ``gcj02`` for Chinese sources
        (they label GCJ-02 as EPSG:4326), ``bd09``, ``wgs84`` or an EPSG code.
    code, name, parent
        Values for a single-polygon layer without attributes, such as the bare district outline
        ``boundaries/500103.gcj02.geojson`` (``code="500103", name="渝中区"``).
    urban
        Set the urban flag of every unit; by default it comes from the names (`name_kind`),
        then from statistical codes (`code_kind`), and is urban with a warning otherwise.
        Districts are urban by default without a warning: their flag classifies no demand
        (`attribute_admin` takes it from streets and communities).
    lookup
        Optional code table from `read_admin_codes` that supplies missing names, parents and
        urban flags by code.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code, name, level, parent, urban`` and polygon geometry in WGS84, one row per
        code (polygons sharing a code are merged).
    """
    where = str(path) if not isinstance(path, gpd.GeoDataFrame) else "admin units"
    if level not in ADMIN_LEVELS:
        raise InputError(
            f"{where}: unknown admin level {level!r}; use one of {', '.join(ADMIN_LEVELS)}.",
            zh=f"{label_zh(where)}：未知的行政层级 {level!r}；请使用 {'、'.join(ADMIN_LEVELS)} 之一。",
        )
    gdf = _read_polygons(path, where)
    gdf = to_wgs84(gdf, crs, where=where)
    cols = {str(c).lower(): c for c in gdf.columns if c != gdf.geometry.name}
    codes = _column_or_value(gdf, cols, code_col, _CODE_COLS, code, "code", where)
    if codes is None:
        if len(gdf) == 1:
            raise InputError(
                f"{where}: the layer carries no unit code; pass code= (e.g. code='500103') or code_col=.",
                zh=f"{label_zh(where)}：图层没有行政单元代码；"
                "请传入 code=（例如 code='500103'）或 code_col=。",
            )
        raise InputError(
            f"{where}: no code column among {', '.join(map(str, cols.values())) or 'none'}; "
            "name it with code_col=.",
            zh=f"{label_zh(where)}：在字段 {'、'.join(map(str, cols.values())) or '无'} 中未找到代码字段；"
            "请用 code_col= 指定。",
        )
    names = _column_or_value(gdf, cols, name_col, _NAME_COLS, name, "name", where)
    parents = _column_or_value(gdf, cols, parent_col, _PARENT_COLS, parent, "parent", where)
    table = pd.DataFrame(
        {
            "code": _as_code(codes),
            "name": pd.Series(names, dtype=object).fillna("").astype(str).to_numpy()
            if names is not None
            else np.full(len(gdf), "", dtype=object),
            "parent": _as_code(parents) if parents is not None else _parent_from_code(_as_code(codes)),
        }
    )
    empty = table["code"] == ""
    if empty.any():
        raise InputError(
            f"{where}: column of unit codes is empty in rows {_rows(empty.to_numpy())}; fill the codes.",
            zh=f"{label_zh(where)}：行政单元代码字段在{_rows_zh(empty.to_numpy())}为空；请填写代码。",
        )
    if lookup is not None:
        table = _fill_from_lookup(table, lookup)
    table["level"] = level
    if urban is None and level == "district" and "urban" not in table.columns:
        urban = True
    table["urban"] = _urban_flags(table, urban, where)
    _check_shared_codes(table, where)
    geoms = shapely.make_valid(gdf.geometry.to_numpy())
    out = gpd.GeoDataFrame(table, geometry=geoms, crs=4326)
    if out["code"].duplicated().any():
        out = out.dissolve(by="code", as_index=False, sort=False, aggfunc="first")
    return out[[*ADMIN_COLUMNS, "geometry"]].reset_index(drop=True)


def read_admin_codes(
    streets_csv: str | Path,
    communities_csv: str | Path | None = None,
    *,
    districts: str | list[str] | None = None,
) -> pd.DataFrame:
    """Read statistical division code lists into a tidy table of streets and communities.

    Reads the ``china-division`` CSVs of ``../shared/data/chongqing/admin_codes/``: streets
    (``code, name, areaCode``: 9-digit 街道/镇/乡 codes) and communities (``code, name,
    streetCode``: 12-digit 社区居委会/村委会 codes).

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
        communities. 街道 and 社区/居民委员会 are urban, 镇/乡 and 村民委员会 rural (names first,
        statistical code rules where a name tells neither).
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
        hit, unit = _first_hit(geoms, sub.geometry.to_numpy())
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
    area west of 中梁山 ("农村区域（中梁山以西区域）", policy 000 §5), or a 镇 seat treated as urban.

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


def _warn_unknown(n_unknown: int, n: int, where: str) -> None:
    if n_unknown:
        label = f"{where}: " if where else ""
        warnings.warn(
            f"{label}{n_unknown} of {n} unit names tell neither urban (街道/社区) nor rural "
            "(镇/乡/村); they are taken as urban.",
            stacklevel=3,
        )


def _urban_flags(table: pd.DataFrame, urban: bool | None, where: str) -> np.ndarray:
    if urban is not None:
        return np.full(len(table), bool(urban))
    kind = name_kind(table["name"].to_numpy())
    kind = np.where(kind == -1, code_kind(table["code"].to_numpy()), kind)
    if "urban" in table.columns:  # flags a code list supplied
        known = table["urban"].notna().to_numpy()
        kind[known] = table["urban"].to_numpy()[known].astype(bool)
    _warn_unknown(int((kind == -1).sum()), len(kind), where)
    return kind != 0


def _check_shared_codes(table: pd.DataFrame, where: str) -> None:
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
    names = named.loc[named["code"] == code, "name"].unique()
    raise InputError(
        f"{where}: code {code!r} is given to different units ({', '.join(names)}) in rows "
        f"{_rows(rows)}; give each unit its own code.",
        zh=f"{label_zh(where)}：代码 {code!r} 在{_rows_zh(rows)}分别属于不同的行政单元"
        f"（{'、'.join(names)}）；请为每个行政单元使用各自的代码。",
    )


def _read_polygons(path: str | Path | gpd.GeoDataFrame, where: str) -> gpd.GeoDataFrame:
    if isinstance(path, gpd.GeoDataFrame):
        gdf = path.copy()
    else:
        p = require_file(path, "admin-unit polygon layer", what_zh="行政单元面图层")
        try:
            gdf = gpd.read_file(p)
        except Exception as exc:
            raise InputError(
                f"{p}: cannot read it as a polygon layer ({exc.__class__.__name__}); use GeoJSON, "
                "GeoPackage or a Shapefile.",
                zh=f"{p}：无法作为面图层读取（{exc.__class__.__name__}）；请使用 GeoJSON、GeoPackage 或 "
                "Shapefile。",
            ) from None
    if len(gdf) == 0:
        raise InputError(
            f"{where}: the admin layer holds no features; give unit polygons.",
            zh=f"{label_zh(where)}：行政区划图层没有任何要素；请提供行政单元的面。",
        )
    geoms = gdf.geometry.to_numpy()
    bad = shapely.is_missing(geoms) | ~np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    if bad.any():
        raise InputError(
            f"{where}: geometry is not a polygon in rows {_rows(bad)}; admin units must be polygons.",
            zh=f"{label_zh(where)}：{_rows_zh(bad)}的几何不是面；行政单元必须是面。",
        )
    return gdf


def _column_or_value(
    gdf: gpd.GeoDataFrame,
    cols: dict[str, str],
    col: str | None,
    candidates: tuple[str, ...],
    value: str | None,
    what: str,
    where: str,
) -> np.ndarray | None:
    if col is not None:
        if col not in gdf.columns:
            raise InputError(
                f"{where}: no column {col!r} for the unit {what}; columns are "
                f"{', '.join(map(str, cols.values())) or 'none'}.",
                zh=f"{label_zh(where)}：没有用作行政单元{_WHAT_ZH.get(what, what)}的字段 {col!r}；"
                f"现有字段为 {'、'.join(map(str, cols.values())) or '无'}。",
            )
        return gdf[col].to_numpy()
    if value is not None:
        if len(gdf) != 1:
            raise InputError(
                f"{where}: {what}={value!r} fits a single polygon but the layer holds {len(gdf)}; "
                f"name the {what} column instead.",
                zh=f"{label_zh(where)}：{what}={value!r} 只适用于单个面，但图层有 {len(gdf)} 个面；"
                f"请改为指定{_WHAT_ZH.get(what, what)}字段。",
            )
        return np.array([value], dtype=object)
    for cand in candidates:
        if cand.lower() in cols:
            return gdf[cols[cand.lower()]].to_numpy()
    return None


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
        out["urban"] = out["code"].map(look["urban"].astype(object)).to_numpy()
    return out


def _read_code_csv(path: str | Path, level: str, parent_col: str, keep: list[str] | None) -> pd.DataFrame:
    p = require_file(path, f"{level} code list", what_zh=f"{_LEVEL_ZH.get(level, level)}代码表")
    try:
        df = pd.read_csv(p, dtype=str, encoding="utf-8-sig")
    except UnicodeDecodeError:
        df = pd.read_csv(p, dtype=str, encoding="gb18030")
    except Exception as exc:
        raise InputError(
            f"{p}: cannot read it as CSV ({exc.__class__.__name__}).",
            zh=f"{p}：无法作为 CSV 读取（{exc.__class__.__name__}）。",
        ) from None
    missing = [c for c in ("code", "name", parent_col) if c not in df.columns]
    if missing:
        raise InputError(
            f"{p}: missing column {', '.join(repr(m) for m in missing)}; a {level} code list "
            f"needs code, name and {parent_col}.",
            zh=f"{p}：缺少字段 {'、'.join(repr(m) for m in missing)}；{_LEVEL_ZH.get(level, level)}代码表"
            f"需要 code、name 和 {parent_col} 字段。",
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
    missing = [c for c in ("code", "level", "parent", "urban") if c not in units.columns]
    if missing:
        raise InputError(
            f"admin units table: missing column {', '.join(repr(m) for m in missing)}; "
            "read the units with read_admin_units.",
            zh=f"行政单元表：缺少字段 {'、'.join(repr(m) for m in missing)}；"
            "请用 read_admin_units 读取行政单元。",
        )
    bad = ~units["level"].isin(ADMIN_LEVELS).to_numpy()
    if bad.any():
        raise InputError(
            f"admin units table: column 'level' holds {units['level'][bad].iloc[0]!r} in rows "
            f"{_rows(bad)}; use district, street or community.",
            zh=f"行政单元表：{_rows_zh(bad)}的 'level' 字段为 {units['level'][bad].iloc[0]!r}；"
            "请使用 district、street 或 community。",
        )
    if units.crs is not None and not units.crs.equals(4326):
        units = units.to_crs(4326)
    return units


def _first_hit(points: np.ndarray, polygons: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        p = require_file(polygons, "override zone polygons", what_zh="城乡属性调整区域面图层")
        polygons = to_wgs84(_read_polygons(p, str(p)), crs, where=str(p))
    elif polygons.crs is not None and not polygons.crs.equals(4326):
        polygons = polygons.to_crs(4326)
    geoms = polygons.geometry.to_numpy() if isinstance(polygons, gpd.GeoDataFrame) else polygons.to_numpy()
    return shapely.union_all(shapely.make_valid(geoms))


def _rows(mask: np.ndarray, limit: int = 5) -> str:
    """Up to ``limit`` 1-based row numbers where ``mask`` is true, for error messages."""
    idx = np.flatnonzero(np.asarray(mask)) + 1
    shown = ", ".join(str(i) for i in idx[:limit])
    return f"{shown} (and {len(idx) - limit} more)" if len(idx) > limit else shown


def _rows_zh(mask: np.ndarray, limit: int = 5) -> str:
    """`_rows` in Chinese: ``"第 1、2、3 行"``, ``"第 1、2、3、4、5 行（另有 7 行）"``."""
    return rows_zh(np.flatnonzero(np.asarray(mask)) + 1, limit=limit)
