"""Demand models (c) and (d): residents spread over building footprints, from known totals or floor area."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from ..common import Assumption, InputError, Msg, Note
from ._checks import groups_from_shares
from .base import PERSONS_PER_M2, Demand, DemandRows, FloorAreaOptions, TotalsOptions, Trail, Where, assemble
from .footprints import Buildings, load_buildings, prepare
from .totals import check_group_totals, split_totals, units_for_totals


def demand_from_buildings(buildings: str | Path | gpd.GeoDataFrame, **options: Any) -> Demand:
    r"""Spread known population totals over building footprints by floor area (dasymetry).

    Each kept building :math:`i` in unit :math:`u` gets

    .. math:: p_i = T_u \, \frac{a_i \, l_i}{\sum_{j \in u} a_j \, l_j}

    with :math:`a_i` its footprint area in the local UTM zone, :math:`l_i` its levels
    (``building:levels`` where tagged, ``default_levels`` elsewhere) and :math:`T_u` the unit's
    total, so every unit's total is kept (to rounding). Groups given as totals are spread the
    same way; groups given as shares are that share of :math:`p_i`.

    Parameters
    ----------
    buildings
        Footprint polygons: a GeoDataFrame, a vector file, an ``.osm.pbf`` or ``"embedded"``
        (read through `buildings_from_osm`).
    **options
        The fields of `TotalsOptions`, as keywords:

        - ``totals`` (required): residents of the one area covered (a number), or per admin
          unit ``{code: residents}`` with ``units`` holding those codes' polygons (one level).
          A mapping keyed by groups (``{"pop_total": 588700, "pop_60": 116300}``) is the one
          area's totals by group.
        - ``units``: admin units (`read_admin_units`): polygons for per-unit totals and for
          attributing every building to its district, street and community.
        - ``group_totals``: known group counts, ``{"pop_60": 116300}`` for the one area or
          ``{"pop_60": {code: count}}`` per unit.
        - ``levels_col``: column of levels (``building:levels``, ``levels`` and the Chinese
          headers are looked up otherwise).
        - ``default_levels``: levels where none is tagged; by default the median of the tagged
          buildings (stated). Where no building is tagged, totals follow footprint area alone.
        - ``group_shares``, ``shares_source``: shares for groups without totals, as in
          `demand_from_table`.
        - ``min_area_m2``: footprints below this area are not homes and are left out.
        - ``type_col``: column of the OSM building type (``building``, or ``type`` in Geofabrik
          layers) used to leave out buildings that are clearly not homes (`NON_RESIDENTIAL`);
          ``False`` keeps all.
        - ``crs``: CRS of a footprint file that does not say it right (``gcj02`` for Chinese
          sources).
        - ``clip``, ``clip_crs``: keep buildings whose representative point lies in this area,
          e.g. the district outline ``boundaries/500103.gcj02.geojson`` with
          ``clip_crs="gcj02"``.
        - ``urban``: urban flag where no admin unit classifies a building (default urban,
          stated).
    """
    opts = TotalsOptions(**options)
    bld, where = load_buildings(buildings, opts.crs)
    trail = Trail()
    b = prepare(bld, where, opts, trail, need_levels=False)
    b, unit_of, codes, tot, gtot = _unit_totals(b, opts, where, trail)
    check_group_totals(tot, gtot, codes, where)
    if not tot.sum() > 0:
        raise InputError("demand.total_zero", where=where)
    weight = b.area * b.levels
    wsum = np.bincount(unit_of, weights=weight, minlength=len(codes))
    empty = wsum <= 0
    if empty.any():
        names = [str(c) or Msg("demand.unit.area") for c in codes[empty][:5]]
        raise InputError("demand.unit_without_homes", where=where, units=names)
    share = weight / wsum[unit_of]
    pop = tot[unit_of] * share
    groups = {g: v[unit_of] * share for g, v in gtot.items()}
    groups = groups_from_shares(pop, groups, opts, where, trail.assumptions)
    table = assemble(DemandRows(b.points, b.ids, pop, groups), opts, trail.assumptions)
    trail.notes.append(Note("demand.buildings_spread", where=where, n=len(table), pop=float(pop.sum())))
    return Demand(table, trail.assumptions, trail.notes)


def _unit_totals(
    b: Buildings, opts: TotalsOptions, where: Where, trail: Trail
) -> tuple[Buildings, np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The buildings inside units with totals, each one's unit, the units' codes and totals."""
    area_totals, unit_group_totals = split_totals(opts.totals, opts.group_totals, where)
    if area_totals is None:  # one total for everything kept
        unit_of = np.zeros(len(b.ids), dtype=np.int64)
        codes = np.array([""], dtype=object)
        tot = np.array([unit_group_totals.pop("pop_total")], dtype=float)
        gtot = {g: np.array([v], dtype=float) for g, v in unit_group_totals.items()}
        return b, unit_of, codes, tot, gtot
    codes, unit_of, keep = units_for_totals(b.points, opts.units, area_totals, where)
    if not keep.all():
        trail.notes.append(Note("demand.outside_units", where=where, n=int((~keep).sum())))
        b = b.subset(keep)
    tot = np.array([area_totals[c] for c in codes], dtype=float)
    gtot = {g: np.array([m.get(c, np.nan) for c in codes], dtype=float) for g, m in unit_group_totals.items()}
    return b, unit_of, codes, tot, gtot


def demand_from_floor_area(buildings: str | Path | gpd.GeoDataFrame, **options: Any) -> Demand:
    r"""Demand where no totals are known: residential floor area × residents per m².

    .. math:: p_i = a_i \, l_i \, \rho

    with :math:`a_i` the footprint area (local UTM zone), :math:`l_i` the levels and
    :math:`\rho` = ``persons_per_m2`` (default `PERSONS_PER_M2`, one resident per 40 m²),
    each stated as an assumption. Buildings tagged as clearly not homes are left out; untagged
    ones count as homes.

    Parameters
    ----------
    buildings
        Footprints: GeoDataFrame, vector file, ``.osm.pbf`` or ``"embedded"`` (central Helsinki).
    **options
        The fields of `FloorAreaOptions`, as keywords: ``persons_per_m2`` (residents per m² of
        floor area); ``default_levels`` (levels where none is tagged; by default the median of
        the tagged buildings, required when no building is tagged); ``group_shares``,
        ``shares_source``, ``levels_col``, ``min_area_m2``, ``type_col``, ``crs``, ``clip``,
        ``clip_crs``, ``units``, ``urban`` as in `demand_from_buildings`.
    """
    opts = FloorAreaOptions(**options)
    bld, where = load_buildings(buildings, opts.crs)
    rho = opts.persons_per_m2
    if not np.isfinite(rho) or rho <= 0:
        raise InputError("demand.bad_persons_per_m2", value=rho)
    msg = Msg("demand.assumption.persons_per_m2", m2_per_person=1 / rho)
    source = "China 7th census 2020; Statistics Finland" if rho == PERSONS_PER_M2 else "user input"
    trail = Trail([Assumption("demand.persons_per_m2", float(rho), "persons/m²", msg=msg, source=source)])
    b = prepare(bld, where, opts, trail, need_levels=True)
    pop = b.area * b.levels * float(rho)
    groups = groups_from_shares(pop, {}, opts, where, trail.assumptions)
    table = assemble(DemandRows(b.points, b.ids, pop, groups), opts, trail.assumptions)
    trail.notes.append(Note("demand.floor_area", where=where, n=len(table), pop=float(pop.sum())))
    return Demand(table, trail.assumptions, trail.notes)
