"""The work of ``lifecircle network`` and ``lifecircle facilities``: read one input, save it, summarize it.

The command line (`lifecircle.scenarios.cli`) declares the options and prints; these functions
read, check and write. Output paths are checked before anything is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cli_checks import out_file, pairs

#: Suffixes a saved table may have.
TABLE_SUFFIXES = (".gpkg", ".geojson", ".csv")


@dataclass(frozen=True)
class NetworkOptions:
    """How ``lifecircle network`` reads its source (see `lifecircle.geodata.sources.read_network`)."""

    clip: str | None = None
    clip_crs: str | None = None
    lines_crs: str | None = None
    all_components: bool = False


def network_command(source: str, options: NetworkOptions, save: Path | None) -> dict:
    """Build the walk network, save it when asked (a GeoPackage), return its summary.

    Returns
    -------
    dict
        `lifecircle.geodata.sources.network_summary`, with ``saved`` when the network was saved.
    """
    from ..geodata.files import owned_file
    from ..geodata.sources import network_summary, read_network

    if save is not None:
        save = out_file(save, (".gpkg",))
    net = read_network(
        source,
        clip=options.clip,
        clip_crs=options.clip_crs,
        lines_crs=options.lines_crs,
        keep="all" if options.all_components else "giant",
    )
    summary = network_summary(net)
    if save is not None:
        with owned_file(save) as tmp:
            net.to_file(tmp)
        summary["saved"] = str(save)
    return summary


@dataclass(frozen=True)
class FacilityOptions:
    """How ``lifecircle facilities`` reads its source (a facility list, or the tags of an OSM extract).

    Attributes
    ----------
    service
        Keep only this service (OSM), or the service of rows without one (a list).
    crs, columns, sheet, status
        For a facility list: the coordinates' CRS, ``field=header`` pairs, the worksheet or
        layer, the status of rows without one.
    clip
        For an OSM extract: the area to keep.
    """

    service: str | None = None
    crs: str | None = None
    columns: tuple[str, ...] = ()
    sheet: str | None = None
    status: str = "existing"
    clip: str | None = None


def facilities_command(source: str, options: FacilityOptions, save: Path | None):
    """Read the facilities, save the table when asked; return it with its counts.

    Returns
    -------
    tuple
        The facility table and `lifecircle.geodata.facilities.facility_counts` of it.
    """
    from ..geodata.facilities import (
        check_out_path,
        facilities_from_osm,
        facility_counts,
        read_facilities,
        write_facilities,
    )

    if save is not None:
        check_out_path(save)
        save = out_file(save, TABLE_SUFFIXES)
    name = source.lower()
    if name == "embedded" or name.endswith((".pbf", ".osm", ".osm.bz2", ".osm.gz")):
        services = (options.service,) if options.service else ("elderly", "childcare")
        table = facilities_from_osm(source, clip=options.clip, services=services)
    else:
        table = read_facilities(
            source,
            service=options.service,
            crs=options.crs,
            columns=pairs(list(options.columns), source),
            sheet=options.sheet,
            status=options.status,
        )
    if save is not None:
        from ..geodata.files import owned_file

        with owned_file(save) as tmp:
            write_facilities(table, tmp)
    return table, facility_counts(table)
