"""The work of ``lifecircle demand``: pick the demand model, read the source, attribute it, save it.

The command's options travel in three bundles: how the source is read (`DemandRead`), the known
figures spread over it (`DemandFigures`) and the admin units and rural zone it is attributed to
(`DemandUnits`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..geodata.common import InputError
from .cli_checks import number_pairs, out_file, pairs
from .commands_inputs import TABLE_SUFFIXES

#: The demand models ``--kind`` names (``auto`` picks one from the source).
KINDS = ("table", "raster", "buildings", "floor-area")


@dataclass(frozen=True)
class DemandRead:
    """How the source is read: its model, the residents' and groups' columns, its CRS, a clip area."""

    kind: str = "auto"
    pop_col: str = "population"
    group_cols: tuple[str, ...] = ()
    crs: str | None = None
    clip: str | None = None
    clip_crs: str | None = None


@dataclass(frozen=True)
class DemandFigures:
    """Known figures: totals spread over buildings, group totals and shares, floor-area numbers.

    ``group_totals`` and ``shares`` are ``group=number`` pairs as given on the command line.
    """

    total: float | None = None
    group_totals: tuple[str, ...] = ()
    totals: Path | None = None
    shares: tuple[str, ...] = ()
    persons_per_m2: float | None = None
    levels: float | None = None


@dataclass(frozen=True)
class DemandUnits:
    """The admin units demand is attributed to, and polygons whose demand is rural."""

    path: Path | None = None
    level: str = "district"
    crs: str | None = None
    code: str | None = None
    name: str | None = None
    rural_zone: Path | None = None
    zone_crs: str | None = None


def demand_command(
    source: str, read: DemandRead, figures: DemandFigures, units: DemandUnits, save: Path | None
) -> dict:
    """Build the demand table, save it when asked, return its summary.

    Returns
    -------
    dict
        `lifecircle.geodata.demand.demand_summary`, with ``saved`` when the table was saved.
    """
    from ..geodata.admin import apply_urban_overrides, read_admin_units
    from ..geodata.demand import Demand, demand_summary, write_demand

    if save is not None and save.suffix.lower() not in set(TABLE_SUFFIXES):
        raise InputError("cli.demand.out_suffix", save=save)
    if save is not None:
        save = out_file(save, TABLE_SUFFIXES)
    shares = number_pairs(list(figures.shares), "--share")
    gtotals = number_pairs(list(figures.group_totals), "--group-total")
    unit_table = None
    if units.path is not None:
        unit_table = read_admin_units(
            units.path, level=units.level, crs=units.crs, code=units.code, name=units.name
        )
    kind = _kind(source, read.kind, figures)
    result = _read_demand(source, kind, read, figures, unit_table, shares, gtotals)
    if units.rural_zone is not None:
        table = apply_urban_overrides(result.table, units.rural_zone, False, crs=units.zone_crs)
        result = Demand(table, result.assumptions, result.notes)
    summary = demand_summary(result)
    if save is not None:
        from ..geodata.files import owned_file

        with owned_file(save) as tmp:
            write_demand(result, tmp)
        summary["saved"] = str(save)
    return summary


def _kind(source: str, kind: str, figures: DemandFigures) -> str:
    """The demand model: as given, or for ``auto`` the one the source's name and the figures call for."""
    if kind != "auto":
        return kind
    name = source.lower()
    known = figures.total is not None or figures.totals is not None
    if name.endswith((".tif", ".tiff")):
        return "raster"
    if name == "embedded" or name.endswith(".pbf"):
        return "buildings" if known else "floor-area"
    return "buildings" if known else "table"


def _read_demand(
    source: str,
    kind: str,
    read: DemandRead,
    figures: DemandFigures,
    units,
    shares: dict[str, float],
    gtotals: dict[str, float],
):
    """Read ``source`` with the demand model ``kind``, attributed to ``units`` (admin units or None).

    ``shares`` and ``gtotals`` are the parsed ``--share`` and ``--group-total`` pairs.
    """
    from ..geodata.demand import (
        demand_from_buildings,
        demand_from_floor_area,
        demand_from_raster,
        demand_from_table,
    )

    common: dict[str, Any] = {
        "group_shares": shares, "crs": read.crs, "clip": read.clip, "clip_crs": read.clip_crs,
    }  # fmt: skip
    if kind == "table":
        group_cols = pairs(list(read.group_cols), "--group-col")
        return demand_from_table(source, pop_col=read.pop_col, group_cols=group_cols, units=units, **common)
    if kind == "raster":
        return demand_from_raster(source, units=units, **common)
    if kind == "buildings":
        total, group_totals = _building_totals(source, figures, units, gtotals)
        return demand_from_buildings(
            source, totals=total, units=units, default_levels=figures.levels, group_totals=group_totals,
            **common,
        )  # fmt: skip
    if kind == "floor-area":
        per_m2 = {} if figures.persons_per_m2 is None else {"persons_per_m2": figures.persons_per_m2}
        return demand_from_floor_area(source, default_levels=figures.levels, units=units, **common, **per_m2)
    raise InputError("cli.demand.bad_kind", kind=kind)


def _building_totals(source: str, figures: DemandFigures, units, gtotals: dict[str, float]) -> tuple:
    """The totals spread over buildings: per unit from ``--totals``, or ``--total`` for the area.

    A single admin unit given with ``--total`` gets that total as its own, so it is spread inside
    the unit.
    """
    from ..geodata.demand import read_unit_totals

    if figures.totals is not None:
        if units is None:
            raise InputError("cli.demand.totals_need_units", totals=figures.totals)
        per_unit, per_unit_groups = read_unit_totals(figures.totals)
        return per_unit, {**per_unit_groups}
    if figures.total is not None and units is not None and len(units) == 1:
        code = str(units["code"].iloc[0])
        return {code: figures.total}, {g: {code: v} for g, v in gtotals.items()}
    if figures.total is not None:
        return figures.total, gtotals
    raise InputError("cli.demand.need_total", source=source)
