"""The whole long table of one run, and its parts: coverage, one-per-unit rules, capacity.

`indicator_table` checks the inputs, lays out the units of every scope, collects the rows of each
part (`coverage_rows`, `access_rows`, `rule_rows`, `capacity_rows`), attaches the plans' targets
and sorts the table; `coverage_indicators`, `unit_rule_indicators` and `capacity_indicators` build
one part alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...geodata.common import Msg
from ..standards import Standards, UnitRule
from .attributes import AttributeInputs, attribute_rows, counted_facilities, flags
from .capacity import Provenance, capacity_rows
from .coverage import access_rows, coverage_rows
from .inputs import check_demand, check_facilities, check_times, demand_stub, no_facilities
from .rows import Rows, no_unit_rows, sort_table
from .rules import rule_rows
from .units import Admin, Paths, build_levels, in_jurisdiction, unit_paths

#: Sources not stated: the demand table and the facility table.
_UNSTATED = Provenance()


@dataclass(frozen=True)
class TableInputs:
    """The inputs of the indicator table (see `indicator_table` for each field).

    ``parts`` names the parts built: ``coverage``, ``access``, ``rules``, ``capacity``.
    """

    demand: pd.DataFrame
    times: Mapping[str, np.ndarray] = field(default_factory=dict)
    thresholds: Mapping[str, np.ndarray | float] = field(default_factory=dict)
    facilities: pd.DataFrame | None = None
    standards: Standards | None = None
    units: pd.DataFrame | None = None
    access: Mapping[str, np.ndarray] | None = None
    groups: Mapping[str, Sequence[str]] | None = None
    statuses: Sequence[str] = ("existing",)
    provenance: Provenance = field(default_factory=Provenance)
    rules: Sequence[UnitRule] | None = None
    facility_sources: Mapping[str, Sequence[str]] | None = None
    parts: Sequence[str] = ("coverage", "access", "rules", "capacity")


def indicator_table(
    demand: pd.DataFrame,
    times: Mapping[str, np.ndarray],
    thresholds: Mapping[str, np.ndarray | float],
    **options: Any,
) -> pd.DataFrame:
    """The long indicator table (`COLUMNS`) of one run, in a fixed order.

    Parameters
    ----------
    demand
        DEMAND_COLUMNS: population by group, ``district``/``street``/``community`` (codes or names,
        "" unknown), ``urban``.
    times, thresholds
        Service → seconds per demand point to the nearest facility (inf = unreached), and the
        threshold per point (see `coverage_indicators`).
    **options
        The keyword fields of `TableInputs`:

        facilities
            ``id, name, service, tier, capacity, status, district, street, community``: for the
            one-per-unit rules and capacity rows. None: no facility list; with ``standards`` the
            rules are then "no data" and supply is the documented figure or "no data" (see
            `capacity_indicators`); without, those rows are skipped.
        standards
            The jurisdiction's `Standards`: ratio targets, unit rules and plan targets (the
            ``target`` column is filled from them).
        units
            Admin-unit table (``code, name, level, parent, urban``) so units without demand or
            facilities are listed.
        access
            Service → 2SFCA score per demand point (`lifecircle.coverage.access.two_step_fca`
            ``.access``), reported per 1,000 as ``access_per_1000`` and ``gini_access``.
        groups
            Service → groups to report (default `SERVICE_GROUPS`).
        statuses
            Facility statuses that count (``existing``; add ``planned`` to test a plan).
        provenance
            Population and supply sources and dates, written into the capacity rows.
        rules
            Unit rules to check (default: ``standards.one_per_unit``).
        facility_sources
            Service → names of the facility sources given for it (files, OpenStreetMap extracts).
            A service mapped to none has no facility list: its ``pop_covered``, ``coverage``,
            ``pop_beyond``, ``pop_unreached`` and walking times are NaN marked ``no_data`` ("no
            data: needs a facility list for <service>"), never 0; its ``pop`` rows stay. A service
            whose sources hold none of its facilities keeps its measured 0, and the note names the
            sources searched. None: every service of ``times`` has a facility list.
    """
    return build_table(TableInputs(demand, times, thresholds, **options))


def coverage_indicators(
    demand: pd.DataFrame,
    times: Mapping[str, np.ndarray],
    thresholds: Mapping[str, np.ndarray | float],
    *,
    units: pd.DataFrame | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    facility_sources: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Coverage and equity rows of the indicator table.

    Per scope, unit, area, service and population group: ``pop``, ``pop_covered`` (time ≤ the
    point's threshold), ``coverage`` (%), ``pop_beyond`` (a walk longer than the threshold),
    ``pop_unreached`` (no walking path at all, time inf), so that ``pop`` = ``pop_covered`` +
    ``pop_beyond`` + ``pop_unreached``; ``time_median_min`` and ``time_p90_min``
    (population-weighted, inverted-CDF quantiles of the true times of people with a path) and
    ``gini_time`` (weighted Gini of those times). People with no path are reported by
    ``pop_unreached`` only, never as a time; a unit where nobody has a path gets NaN times.

    Parameters
    ----------
    demand
        DEMAND_COLUMNS (`lifecircle.geodata.schema`). A group column that is entirely NaN is unknown:
        it is skipped and a row says so.
    times
        Service → true seconds to the nearest facility per demand point, however long (inf = no
        walking path: off the network or cut off from every facility).
    thresholds
        Service → seconds per demand point (or one number).
    units
        Optional admin-unit table (``code, name, level, parent, urban``) so that units with no
        demand still appear.
    groups
        Service → groups to report (default `SERVICE_GROUPS`).
    facility_sources
        Service → the facility sources given for it (see `indicator_table`); a service mapped to
        none has "no data" coverage. None: every service of ``times`` has a facility list.
    """
    people = check_demand(demand)
    tt = check_times(times, thresholds, len(demand))
    admin = Admin(units)
    levels = build_levels(unit_paths(admin, demand, Msg("ind.what.demand")), people.urban, admin)
    rows = Rows()
    no_unit_rows(rows, levels)
    coverage_rows(rows, levels, people, tt, groups, facility_sources)
    return sort_table(rows.frame())


def unit_rule_indicators(
    facilities: pd.DataFrame,
    rules: Sequence[UnitRule],
    *,
    demand: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
    statuses: Sequence[str] = ("existing",),
) -> pd.DataFrame:
    """One-per-unit rows: facilities per unit against each rule, and the share of units that comply.

    Rows: ``facility_count`` per unit at the rule's level (target = ``min_count``; note "missing"
    where short), and above it ``facilities``, ``units_total``, ``units_compliant`` and
    ``unit_share`` (target = the rule's ``share_target``). Units come from the admin table, the
    demand and the facilities, so a community with no station is listed. A rule with an ``area``
    applies to units of that class only (a village rule to villages, a station rule to
    communities).
    """
    demand = demand if demand is not None else demand_stub()
    inputs = TableInputs(
        demand, facilities=facilities, units=units, rules=rules, statuses=statuses, parts=("rules",)
    )
    return build_table(inputs)


def capacity_indicators(
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
    standards: Standards | None = None,
    *,
    units: pd.DataFrame | None = None,
    statuses: Sequence[str] = ("existing",),
    provenance: Provenance = _UNSTATED,
) -> pd.DataFrame:
    """Capacity rows: supply, beds (places) per 1,000 of the standard's base, need and gap per unit.

    need = standard × population / 1,000 and gap = need − supply, with population the standard's
    group (60+ for beds, all residents for childcare places) summed over the demand of the unit,
    and supply the capacities of facilities with a status in ``statuses``. Each row's note states
    the population base and its year and source, and the supply date (`Provenance`);
    ``base_value``, ``base_year`` and ``base_source`` give the base as data.

    Missing data is never a zero: where the facility list has no facility of a service, or a
    unit's facilities give no capacity, supply and gap are NaN marked ``no_data``. On the
    jurisdiction's own district row (its adcode; a district without a code is the jurisdiction)
    and when the study area holds the documented population (within `SAME_AREA_TOLERANCE`), the
    profile's documented supply stands in for a missing one, and need and gap use the population
    base the document applies the ratio to (001: 32 × 125,000 aged 60+ in 2025 = 4,000 beds),
    marked ``documented`` with the figure's source.
    """
    inputs = TableInputs(
        demand,
        facilities=facilities,
        standards=standards,
        units=units,
        statuses=statuses,
        provenance=provenance,
        parts=("capacity",),
    )
    return build_table(inputs)


def build_table(inputs: TableInputs) -> pd.DataFrame:
    """The parts ``inputs.parts`` of the long table, with the targets attached, in the fixed order."""
    parts, standards = inputs.parts, inputs.standards
    people = check_demand(inputs.demand)
    tt = check_times(inputs.times, inputs.thresholds, len(inputs.demand)) if "coverage" in parts else {}
    admin = Admin(inputs.units)
    d_paths = in_jurisdiction(admin, unit_paths(admin, inputs.demand, Msg("ind.what.demand")), standards)
    facilities, fac_paths = _facilities(inputs, admin)
    levels = build_levels(d_paths, people.urban, admin, [fac_paths] if fac_paths is not None else [])
    rows = Rows()
    no_unit_rows(rows, levels)
    if "coverage" in parts:
        counted = None
        if inputs.facilities is not None and "status" in inputs.facilities.columns:
            counted = inputs.facilities[inputs.facilities["status"].astype(str).isin(list(inputs.statuses))]
        coverage_rows(rows, levels, people, tt, inputs.groups, inputs.facility_sources, counted)
    if inputs.access and "access" in parts:
        access_rows(rows, levels, people, inputs.access, inputs.groups, standards)
    if facilities is not None and fac_paths is not None:
        if "rules" in parts:
            rules = inputs.rules
            use_rules = tuple(rules) if rules is not None else (standards.one_per_unit if standards else ())
            rule_rows(
                rows, levels, fac_paths, facilities, [r for r in use_rules if not r.feature], inputs.statuses
            )
            for rule in (r for r in use_rules if r.feature):
                rule_rows(
                    rows, levels, fac_paths, featured(facilities, rule.feature), [rule], inputs.statuses
                )
        if "capacity" in parts:
            capacity_rows(
                rows, levels, people, fac_paths, facilities, standards, inputs.statuses, inputs.provenance
            )
            counted = counted_facilities(facilities, inputs.statuses)
            attribute_rows(rows, levels, AttributeInputs(facilities, fac_paths, counted, people, standards))
    table = rows.frame()
    if standards is not None:
        table = attach_targets(table, standards)
    return sort_table(table)


def featured(facilities: pd.DataFrame, feature: str) -> pd.DataFrame:
    """The facility table as a rule with a ``feature`` (``meal``) sees it: others do not count.

    Without the column the list cannot say which facilities have the feature: its facilities are
    then not of the rule's service, so the rule is "no data", never "missing everywhere".
    """
    out = facilities.copy()
    if feature not in out.columns:
        out["service"] = ""
        return out
    has = flags(out[feature]) == 1.0
    out["status"] = np.where(has, out["status"].astype(str), "")
    return out


def _facilities(inputs: TableInputs, admin: Admin) -> tuple[pd.DataFrame | None, Paths | None]:
    """The facility table (an empty one when standards are given without a list) and its unit paths."""
    facilities = inputs.facilities
    if facilities is None and inputs.standards is not None:
        facilities = no_facilities()  # no facility list: supply and rules are "no data", never 0
    if facilities is None:
        return None, None
    facilities = check_facilities(facilities)
    paths = unit_paths(admin, facilities, Msg("ind.what.facilities"))
    return facilities, in_jurisdiction(admin, paths, inputs.standards)


def attach_targets(table: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Fill ``target`` (and cite it) for coverage rows from the standards' coverage targets."""
    if table.empty:
        return table
    table = table.copy()
    for t in standards.coverage_targets:
        if t.metric != "coverage":
            continue
        m = (table["metric"] == "coverage") & (table["service"] == t.service)
        if t.group:
            m &= table["group"] == t.group
        if t.area == "all":
            m &= table["area"] == "all"
        else:
            m &= (table["area"] == t.area) | ((table["area"] == "all") & (table["unit_class"] == t.area))
        table.loc[m, "target"] = t.value
        table.loc[m, "source"] = t.source
    return table
