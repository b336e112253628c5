"""The fields of a facility list, checked and normalized: coordinates, service, capacity, status, id.

Each function reads one field of a `FacilitySource` through the column `match_columns` found
for it and raises `InputError` naming the file, the column, the rows and the fix. The cell
values recognised (Chinese ones included) are the catalogue entries ``facilities.value.*``,
``facilities.unknown_words`` and ``facilities.capacity_units``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyproj
import shapely

from .common import InputError, Msg, render, say
from .crs import in_china
from .facility_tables import FacilitySource, chinese_word, vocabulary
from .schema import SERVICES, STATUSES

if TYPE_CHECKING:
    import geopandas as gpd

#: Cell text meaning "unknown" in a capacity column, besides the words of ``facilities.unknown_words``.
_UNKNOWN_MARKS = ("", "-", "--", "—", "–", "/")


@cache
def _unknown() -> frozenset[str]:
    return frozenset(_UNKNOWN_MARKS) | {w.lower() for w in vocabulary("facilities.unknown_words")}


@cache
def _number() -> re.Pattern[str]:
    """A number, optionally with thousands separators and a trailing unit (``facilities.capacity_units``)."""
    units = "|".join(re.escape(u) for u in vocabulary("facilities.capacity_units"))
    return re.compile(rf"^\s*([+-]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d*)?|[+-]?\.\d+)\s*(?:{units})?\s*$")


@cache
def _values(kinds: tuple[str, ...]) -> dict[str, str]:
    """Lower-cased cell text → kind, from the catalogue entries ``facilities.value.<kind>``."""
    return {w.lower(): kind for kind in kinds for w in vocabulary(f"facilities.value.{kind}")}


@cache
def _hint(service: str) -> str:
    """A regular expression for the words that mark a service cell as ``service``."""
    return "|".join(re.escape(w.lower()) for w in vocabulary(f"facilities.hint.{service}"))


@dataclass(frozen=True)
class _Joined:
    """Message pieces joined by the separator ``sep`` (a catalogue id) of the message's language."""

    items: list[Msg]
    sep: str

    def text(self, lang: str = "zh") -> str:
        """The pieces in ``lang``."""
        return say(self.sep, lang).join(str(render(i, lang)) for i in self.items)


def numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse cells as numbers; return the values (NaN for unknown cells) and a mask of bad cells."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(values), dtype=bool)
    text = values.astype("string").fillna("").str.strip()
    unknown = text.str.lower().isin(_unknown()).to_numpy(dtype=bool)
    match = text.str.extract(_number(), expand=False)
    parsed = pd.to_numeric(match.str.replace(",", "", regex=False), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    bad = ~unknown & np.isnan(parsed)
    parsed[unknown] = np.nan
    return parsed, bad


def text_column(table: pd.DataFrame, column: str | None) -> np.ndarray:
    """A column's cells as stripped text ("" everywhere when there is no such column)."""
    if column is None:
        return np.full(len(table), "", dtype=object)
    return table[column].astype("string").fillna("").str.strip().to_numpy(dtype=object)


def coordinates(
    src: FacilitySource, cols: dict[str, str]
) -> tuple[np.ndarray, np.ndarray, pyproj.CRS | None]:
    """Longitude and latitude (or x and y) of every row, from geometry or coordinate columns."""
    where = src.where
    if src.geoms is not None:
        missing = shapely.is_missing(src.geoms) | shapely.is_empty(src.geoms)
        if missing.any():
            raise InputError("facilities.empty_geometry", where=where, rows=src.numbers(missing))
        points = src.geoms.copy()
        not_point = shapely.get_type_id(points) != 0
        if not_point.any():
            points[not_point] = shapely.point_on_surface(points[not_point])
        return shapely.get_x(points), shapely.get_y(points), src.crs
    if "lon" not in cols or "lat" not in cols:
        raise InputError(
            "facilities.no_coordinates",
            where=where,
            lon=chinese_word("facilities.column.lon"),
            lat=chinese_word("facilities.column.lat"),
        )
    out = []
    for field in ("lon", "lat"):
        vals, bad = numbers(src.table[cols[field]])
        bad |= np.isnan(vals)
        if bad.any():
            raise InputError(
                "facilities.bad_coordinate",
                where=where,
                column=repr(cols[field]),
                axis=Msg(f"facilities.axis.{field}"),
                rows=src.numbers(bad),
            )
        out.append(vals)
    return out[0], out[1], None


def check_coordinates(
    lon: np.ndarray,
    lat: np.ndarray,
    declared: str | pyproj.CRS | None,
    src: FacilitySource,
    cols: dict[str, str],
) -> None:
    """Range, swap and China checks on geographic coordinates.

    ``declared`` is the CRS the user gave (None: the layer's own, `FacilitySource.crs`).
    """
    effective = declared if declared is not None else src.crs
    geographic = effective is None or isinstance(effective, str) or effective.is_geographic
    if not geographic:
        return
    where = src.where
    lon_name = repr(cols["lon"]) if "lon" in cols else "x"
    lat_name = repr(cols["lat"]) if "lat" in cols else "y"
    here = in_china(lon, lat)
    swapped = in_china(lat, lon)
    if swapped.all() and not here.all():
        raise InputError("facilities.swapped", where=where, lon=lon_name, lat=lat_name)
    off = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if off.any():
        raise InputError(
            "facilities.out_of_range", where=where, rows=src.numbers(off), lon=lon_name, lat=lat_name
        )
    if isinstance(declared, str) and not here.all():
        raise InputError("facilities.outside_china", where=where, rows=src.numbers(~here), crs=declared)
    if declared is None and src.crs is None and here.any():
        raise InputError("facilities.undeclared_crs", where=where)


def services(src: FacilitySource, cols: dict[str, str], service: str | None) -> np.ndarray:
    """The service of every row: from the service column, else ``service``, else the capacity columns."""
    table = src.table
    col = cols.get("service")
    suggest = {s: chinese_word(f"facilities.value.{s}") for s in SERVICES}
    if col is None:
        if service is not None:
            return np.full(len(table), service, dtype=object)
        has_beds, has_places = "beds" in cols, "places" in cols
        if has_beds != has_places:
            return np.full(len(table), "elderly" if has_beds else "childcare", dtype=object)
        column = chinese_word("facilities.column.service")
        raise InputError("facilities.no_service_column", where=src.where, column=column, **suggest)
    raw = text_column(table, col)
    key = pd.Series(raw, dtype="string").str.lower().str.replace(r"\s+", " ", regex=True)
    mapped = key.map(_values(SERVICES)).to_numpy(dtype=object, na_value=None)
    contains_elderly = key.str.contains(_hint("elderly"), regex=True).to_numpy(dtype=bool)
    contains_child = key.str.contains(_hint("childcare"), regex=True).to_numpy(dtype=bool)
    unmapped = pd.isna(mapped)
    mapped[unmapped & contains_elderly & ~contains_child] = "elderly"
    mapped[unmapped & contains_child & ~contains_elderly] = "childcare"
    if service is not None:
        mapped[raw == ""] = service
    bad = pd.isna(mapped)
    if bad.any():
        raise InputError(
            "facilities.unknown_service_values",
            where=src.where,
            values=", ".join(repr(v) for v in pd.unique(raw[bad])[:5]),
            column=repr(col),
            rows=src.numbers(bad),
            **suggest,
        )
    return mapped.astype(object)


def capacities(src: FacilitySource, cols: dict[str, str], svc: np.ndarray) -> np.ndarray:
    """Capacity of every row: beds for elderly care, places for childcare, else the capacity column."""
    table = src.table
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
        vals, bad = numbers(table[col])
        bad &= use
        if bad.any():
            examples = ", ".join(repr(v) for v in table[col].astype(str).to_numpy()[bad][:3])
            raise InputError(
                "facilities.capacity_not_number",
                where=src.where,
                column=repr(col),
                rows=src.numbers(bad),
                examples=examples,
            )
        neg = use & (vals < 0)
        if neg.any():
            raise InputError(
                "facilities.capacity_negative", where=src.where, column=repr(col), rows=src.numbers(neg)
            )
        capacity[use] = vals[use]
        assigned |= use
    return capacity


def statuses(src: FacilitySource, cols: dict[str, str], default: str) -> np.ndarray:
    """Status of every row: from the status column (``default`` where it is empty or absent)."""
    col = cols.get("status")
    if col is None:
        return np.full(len(src.table), default, dtype=object)
    raw = text_column(src.table, col)
    key = pd.Series(raw, dtype="string").str.lower().str.replace(r"\s+", " ", regex=True)
    mapped = key.map(_values(STATUSES)).to_numpy(dtype=object, na_value=None)
    mapped[raw == ""] = default
    bad = pd.isna(mapped)
    if bad.any():
        raise InputError(
            "facilities.unknown_status_values",
            where=src.where,
            values=", ".join(repr(v) for v in pd.unique(raw[bad])[:5]),
            column=repr(col),
            rows=src.numbers(bad),
            **{s: chinese_word(f"facilities.status_examples.{s}") for s in STATUSES},
        )
    return mapped.astype(object)


def ids(src: FacilitySource, cols: dict[str, str]) -> np.ndarray:
    """Id of every row: the id column's text, else ``<file stem>:<row>``; duplicates are refused."""
    generated = np.char.add(f"{src.path.stem}:", src.rows.astype(str)).astype(object)
    col = cols.get("id")
    if col is None:
        return generated
    raw = src.table[col]
    if pd.api.types.is_float_dtype(raw.dtype) and np.all(np.isnan(raw) | (raw == np.round(raw))):
        raw = raw.astype("Int64")
    out = raw.astype("string").fillna("").str.strip().to_numpy(dtype=object)
    out = np.where(out == "", generated, out)
    dup = pd.Series(out).duplicated(keep=False).to_numpy()
    if dup.any():
        values = pd.unique(out[dup])
        items = [
            Msg("facilities.duplicate_id", value=repr(v), rows=src.numbers(out == v)) for v in values[:5]
        ]
        more = len(values) - 5
        raise InputError(
            "facilities.duplicate_ids.more" if more > 0 else "facilities.duplicate_ids",
            where=src.where,
            column=repr(col),
            shown=_Joined(items, "facilities.sep.items"),
            more=more,
        )
    return out


def facility_counts_column(src: FacilitySource, column: str) -> np.ndarray:
    """How many facilities each row stands for: the whole numbers ≥ 0 of ``column``."""
    if column not in src.table.columns:
        raise InputError("facilities.no_count_column", where=src.where, column=repr(column))
    vals, bad = numbers(src.table[column])
    bad |= ~bad & ((vals < 0) | (np.mod(np.nan_to_num(vals), 1) != 0) | np.isnan(vals))
    if bad.any():
        raise InputError("facilities.bad_count", where=src.where, column=repr(column), rows=src.numbers(bad))
    return vals.astype(np.int64)


def repeat_counted(gdf: gpd.GeoDataFrame, counts: np.ndarray, keep: np.ndarray) -> gpd.GeoDataFrame:
    """Each kept row ``counts`` times, ids ``<id>#k`` where a row stands for more than one facility."""
    n = np.where(keep, counts, 0)
    idx = np.repeat(np.arange(len(gdf)), n)
    out = gdf.iloc[idx].reset_index(drop=True)
    k = np.arange(len(idx)) - np.repeat(np.cumsum(n) - n, n) + 1
    many = np.repeat(n > 1, n)
    base = out["id"].astype(str)
    out["id"] = np.where(many, base + "#" + k.astype(str), base).astype(object)
    return out
