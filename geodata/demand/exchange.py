"""Demand tables going out and coming back: the summary, the file written, the check of a table read back."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ..admin import rows_msg
from ..common import InputError, Msg, atomic_path
from ..files import neutralize_formulas
from ..schema import ADMIN_LEVELS, DEMAND_COLUMNS, GROUPS
from ._checks import check_pop, check_some_population
from .base import Demand, Where


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
            {
                "key": a.key,
                "value": a.value,
                "unit": a.unit,
                "zh": a.text("zh"),
                "en": a.text("en"),
                "source": a.source,
            }
            for a in demand.assumptions
        ]
        out["notes"] = list(demand.notes)
    return out


def _num(value: float) -> float | None:
    return None if pd.isna(value) else float(value)


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
        raise InputError("demand.bad_suffix", path=path)
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


def check_demand(table: gpd.GeoDataFrame, *, where: Where | None = None) -> gpd.GeoDataFrame:
    """Check a demand table made elsewhere and return it in schema order, in WGS84.

    Raises `InputError` naming the table, the column and up to five rows (1-based) for: a
    missing column, a geometry that is not a point, empty or repeated ids, a ``pop_total`` that
    is NaN or negative, a negative group count, an empty ``urban`` flag. Group counts may be NaN
    (unknown). ``where`` names the table in messages ("demand table" by default).
    """
    where = Msg("demand.where.table") if where is None else where
    missing = [repr(c) for c in DEMAND_COLUMNS if c not in table.columns]
    if missing:
        raise InputError("demand.missing_columns", where=where, missing=missing, columns=DEMAND_COLUMNS)
    if not isinstance(table, gpd.GeoDataFrame):
        raise InputError("demand.no_geometry", where=where)
    if table.crs is None:
        raise InputError("demand.no_crs", where=where)
    out = table.to_crs(4326) if not table.crs.equals(4326) else table.copy()
    out = out.reset_index(drop=True)
    not_point = shapely.get_type_id(out.geometry.to_numpy()) != 0
    if not_point.any():
        raise InputError("demand.not_point", where=where, rows=rows_msg(not_point))
    ids = out["id"]
    empty = (ids.isna() | (ids.astype(str).str.strip() == "")).to_numpy()
    if empty.any():
        raise InputError("demand.id_empty", where=where, rows=rows_msg(empty))
    dup = ids.astype(str).duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError("demand.id_repeated", where=where, rows=rows_msg(dup))
    out["pop_total"] = check_pop(out["pop_total"], where, "pop_total")
    check_some_population(out["pop_total"].to_numpy(), where, "pop_total")
    for g in GROUPS[1:]:
        out[g] = check_pop(out[g], where, g, allow_nan=True)
    if out["urban"].isna().any():
        raise InputError("demand.urban_empty", where=where, rows=rows_msg(out["urban"].isna().to_numpy()))
    out["urban"] = out["urban"].astype(bool)
    for lvl in ADMIN_LEVELS:
        out[lvl] = out[lvl].fillna("").astype(str)
    out["id"] = ids.astype(str)
    return out[[*DEMAND_COLUMNS, out.geometry.name]]
