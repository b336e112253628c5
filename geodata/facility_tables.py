"""Facility lists read as text cells: CSV, XLSX and layer files, their header row and their columns.

`read_source` turns a facility file into a `FacilitySource` (a table of text cells with the file
row of each data row); `match_columns` finds the column of each field by its header. The header
names recognised, Chinese ones included, are the catalogue entries ``facilities.header.*``
(`HEADERS`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from .common import InputError, say

TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".txt", ".xlsx", ".xlsm")
LAYER_SUFFIXES: tuple[str, ...] = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb")

#: Fields of a facility list, in the order their columns are looked for.
FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "lon",
    "lat",
    "service",
    "tier",
    "status",
    "beds",
    "places",
    "capacity",
    "district",
    "street",
    "community",
    "admin_code",
    "nursing_beds",
    "puhui",
    "operator",
    "land_m2",
    "meal",
    "day_care",
)
#: Fields kept as plain text on the facility table when the list has them, with their column:
#: the district, street (or town) and community (or village) a civil-affairs list names, and the unit's
#: division code (12 digits a community, 9 a street). `lifecircle.geodata.admin_codes` matches them
#: to the official units.
LISTED: dict[str, str] = {
    "district": "listed_district",
    "street": "listed_street",
    "community": "listed_community",
    "admin_code": "listed_code",
}
#: Fields kept as the list gives them, under the field's name, for the plan indicators that read
#: them (`lifecircle.coverage.indicators.attributes`): nursing beds, affordable (puhui), operator,
#: land area, and the meal-service and day-care flags of community stations.
ATTRIBUTES: tuple[str, ...] = ("nursing_beds", "puhui", "operator", "land_m2", "meal", "day_care")

#: Brackets around a unit in a header, e.g. ``(GCJ-02)``, in ASCII, full-width or lenticular form.
_BRACKETS = re.compile(r"[\(\uff08\[\u3010].*?[\)\uff09\]\u3011]")
_HEADER_SCAN_ROWS = 10


def vocabulary(msg_id: str) -> tuple[str, ...]:
    """The words of the catalogue entry ``msg_id`` (``|``-separated): Chinese first, then English.

    Words keep their order; an English word already in the Chinese list is not repeated.
    """
    words: list[str] = []
    for lang in ("zh", "en"):
        for word in say(msg_id, lang).split("|"):
            word = word.strip()
            if word and word not in words:
                words.append(word)
    return tuple(words)


#: Header names recognised for each field, in order of preference (compared case-insensitively,
#: after dropping spaces and any bracketed unit); from the catalogue entries ``facilities.header.*``.
HEADERS: dict[str, tuple[str, ...]] = {f: vocabulary(f"facilities.header.{f}") for f in FIELDS}


@dataclass(frozen=True)
class RowNumbers:
    """File row (or layer feature) numbers in a message, e.g. ``rows 3, 4, 5, 6, 7 and 1 more``.

    Parameters
    ----------
    numbers
        The 1-based numbers.
    unit
        ``"row"`` or ``"feature"``.
    limit
        Numbers shown before the rest is counted.
    """

    numbers: np.ndarray
    unit: str = "row"
    limit: int = 5

    def text(self, lang: str = "zh") -> str:
        """The numbers in ``lang``."""
        numbers = [int(n) for n in self.numbers]
        shown = say("sep.list", lang).join(str(n) for n in numbers[: self.limit])
        more = len(numbers) - self.limit
        key = f"facilities.rows.{self.unit}" + (".more" if more > 0 else ".many" if len(numbers) > 1 else "")
        return say(key, lang, shown=shown, more=more)


@dataclass(frozen=True)
class FacilitySource:
    """A facility file read as a table of cells.

    Attributes
    ----------
    path
        The file.
    table
        One row per facility; text cells for CSV and XLSX, the attribute table for a layer.
    rows
        The file row (or feature) number of each table row, for messages.
    unit
        ``"row"`` (CSV, XLSX) or ``"feature"`` (layers).
    geoms
        The layer's geometry, or None for a table or a layer without any.
    crs
        The CRS the layer carries, or None.
    """

    path: Path
    table: pd.DataFrame
    rows: np.ndarray
    unit: str = "row"
    geoms: np.ndarray | None = None
    crs: pyproj.CRS | None = None

    @property
    def where(self) -> str:
        """The file, as messages name it."""
        return str(self.path)

    def numbers(self, mask: np.ndarray) -> RowNumbers:
        """The row (or feature) numbers of the table rows where ``mask`` holds, for a message."""
        return RowNumbers(self.rows[mask], self.unit)


def read_source(path: Path, sheet: str | int | None, columns: Mapping[str, str] | None) -> FacilitySource:
    """Read a facility file by its suffix; raise `InputError` for an unknown format or no rows.

    ``sheet`` is the worksheet (XLSX) or layer (GeoPackage); the column names of ``columns``
    also mark the header row of a table.
    """
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        table, rows = read_table(path, sheet, (columns or {}).values())
        source = FacilitySource(path, table, rows)
    elif suffix in LAYER_SUFFIXES:
        table, geoms, layer_crs = read_layer(path, sheet)
        source = FacilitySource(path, table, np.arange(1, len(table) + 1), "feature", geoms, layer_crs)
    elif suffix == ".xls":
        raise InputError("facilities.xls", path=path)
    else:
        raise InputError("facilities.unknown_format", path=path)
    if len(source.table) == 0:
        raise InputError("facilities.no_rows", path=path)
    return source


def read_table(
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
        raise InputError("facilities.csv_encoding", path=path)
    if "\x00" in text:
        raise InputError("facilities.csv_binary", path=path)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if not rows:
        raise InputError("facilities.csv_empty", path=path)
    width = max(len(r) for r in rows)
    return pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)


def _read_xlsx(path: Path, sheet: str | int | None) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError("facilities.xlsx_unreadable", path=path, error=exc.__class__.__name__) from None
    try:
        names = book.sheetnames
        if sheet is None:
            ws = book[names[0]]
        elif isinstance(sheet, int) or str(sheet).isdigit():
            idx = int(sheet)
            if not 0 <= idx < len(names):
                raise InputError("facilities.no_sheet_number", path=path, index=idx, sheets=names)
            ws = book[names[idx]]
        else:
            if sheet not in names:
                raise InputError("facilities.no_sheet_named", path=path, sheet=repr(sheet), sheets=names)
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


def read_layer(
    path: Path, layer: str | int | None
) -> tuple[pd.DataFrame, np.ndarray | None, pyproj.CRS | None]:
    """Read a layer file: its attribute table, its geometry (None when it has none) and its CRS."""
    try:
        gdf = gpd.read_file(path, layer=layer) if layer is not None else gpd.read_file(path)
    except Exception as exc:
        raise InputError("facilities.layer_unreadable", path=path, error=exc.__class__.__name__) from None
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)) if isinstance(gdf, gpd.GeoDataFrame) else gdf
    table.index = np.arange(len(table))
    geoms = gdf.geometry.to_numpy() if isinstance(gdf, gpd.GeoDataFrame) else None
    if geoms is not None and (shapely.is_missing(geoms) | shapely.is_empty(geoms)).all():
        geoms = None
    crs = pyproj.CRS.from_user_input(gdf.crs) if getattr(gdf, "crs", None) is not None else None
    return table, geoms, crs


def _norm_header(name: object) -> str:
    return re.sub(r"\s+", "", _BRACKETS.sub("", str(name))).lower()


def match_columns(
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
        # a capacity column the user names wins over the detected beds and places columns
        for field in ("beds", "places"):
            if field not in overrides:
                cols.pop(field, None)
    for field, column in (overrides or {}).items():
        if field not in FIELDS:
            raise InputError("facilities.unknown_field", where=where, field=repr(field), fields=FIELDS)
        if column in headers:
            cols[field] = column
        elif _norm_header(column) in by_norm:
            cols[field] = by_norm[_norm_header(column)]
        else:
            raise InputError(
                "facilities.no_such_column",
                where=where,
                column=repr(column),
                field=field,
                columns=[str(h) for h in headers],
            )
    return cols


def chinese_word(msg_id: str) -> str:
    """The first Chinese word of a catalogue entry: a column name or cell value a message suggests.

    Messages in both languages quote it as it is, since it is what the planner types into a
    Chinese table.
    """
    return say(msg_id, "zh").split("|")[0].strip()
