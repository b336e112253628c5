"""Demand: population points by group (total, 60+, 80+, 0–3) from tables, rasters and buildings.

Four demand models, one module each, all returning a `Demand` (the table and the assumptions
its numbers rest on):

- (a) `demand_from_table` (`lifecircle.geodata.demand.table`): points or areas carrying their
  population (a CSV/Excel table with coordinates, a point or polygon layer);
- (b) `demand_from_raster` (`.raster`): a grid of residents per cell;
- (c) `demand_from_buildings` (`.buildings`): known totals spread over building footprints by
  floor area, per area or per admin unit (`.totals` reads and checks the totals);
- (d) `demand_from_floor_area` (`.buildings`): floor area × residents per m² where no totals are
  known.

The footprints of (c) and (d) are read and filtered in `.footprints`; the checks every model
shares (columns by name, population counts, ids, groups and shares, the clip) are in
`._checks`; `.base` holds `Demand`, the option bundles and the step that assembles the table;
`.exchange` summarizes, writes and checks tables that leave or come back.
"""

from __future__ import annotations

from .base import (
    CENSUS_2020_CHINA_SHARES,
    MAX_LEVELS,
    MIN_AREA_M2,
    PERSONS_PER_M2,
    Demand,
    DemandOptions,
    FloorAreaOptions,
    FootprintOptions,
    RasterOptions,
    TableOptions,
    TotalsOptions,
)
from .buildings import demand_from_buildings, demand_from_floor_area
from .exchange import check_demand, demand_summary, write_demand
from .footprints import NON_RESIDENTIAL, buildings_from_osm
from .raster import demand_from_raster
from .table import demand_from_table, read_table
from .totals import read_unit_totals

#: Former private name of `read_table` (``scenarios/site_command.py`` imports it); kept for now.
_read_table = read_table

__all__ = [
    "CENSUS_2020_CHINA_SHARES",
    "MAX_LEVELS",
    "MIN_AREA_M2",
    "NON_RESIDENTIAL",
    "PERSONS_PER_M2",
    "Demand",
    "DemandOptions",
    "FloorAreaOptions",
    "FootprintOptions",
    "RasterOptions",
    "TableOptions",
    "TotalsOptions",
    "buildings_from_osm",
    "check_demand",
    "demand_from_buildings",
    "demand_from_floor_area",
    "demand_from_raster",
    "demand_from_table",
    "demand_summary",
    "read_table",
    "read_unit_totals",
    "write_demand",
]
