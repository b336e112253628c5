"""Walking model, routing, isochrones, indicators and siting over a `WalkNetwork`.

The public API for notebooks and scripts: every name below is importable from
``lifecircle.coverage``. Inputs are plain typed tables and arrays (a
`lifecircle.geodata.WalkNetwork`, WGS84 GeoDataFrames, numpy arrays), never file paths. Inside,
everything is in seconds and metres; minutes appear only at the surface (indicators, maps).

Walking model
    get_profile, WalkProfile
        A named walking profile (``elderly`` 0.9 m/s, ``childcare`` 1.0 m/s with a stroller,
        ``adult``) with overrides; the profile type, with the assumptions behind its numbers.
    edge_costs, EdgeCosts
        Directed walking seconds of every edge for a profile, on flat or sloped ground.
    sample_dem
        Heights of a DEM window (`lifecircle.geodata.read_dem`) at the network's vertices, for
        sloped `edge_costs`: ``edge_costs(net, "elderly", sample_dem(read_dem(path, net), net))``.

Reach
    snap_points, Snap
        Attach points (homes, facilities) to the nearest edge at their projected position.
    service_reach, ServiceReach
        Each home's true walking time to the nearest facility, by one multi-source search.
    reach_matrix
        The sparse home × facility (or candidate) matrix of walking seconds up to a limit.
    demand_thresholds
        Each home's threshold in seconds from urban and rural minutes.
    two_step_fca, AccessResult
        Two-step floating catchment accessibility (supply per person within reach).

Isochrones
    service_isochrones
        One polygon per time tier for a whole service, exact by construction.
    facility_isochrones
        One polygon per facility and tier.

Indicators
    indicator_table
        The long indicator table of a run: coverage by group for the district, each street and
        community, urban and rural apart; one-per-unit rules; capacity gaps; walking times.
    coverage_wide
        Coverage by street or community, one row per unit (the plans' by-unit table).
    plan_table
        The plan-style table: each target of the plan with its baseline, value now and gap.
    missing_units
        The units that miss a one-per-unit rule.
    localize
        The long table with its codes labelled in ``"zh"`` or ``"en"``.
    Standards, standards_from_profile
        A jurisdiction's planning standards, read from its profile (the YAML presets).

Siting (one class per model; build with ``from_cost_matrix`` or from a `SitingProblem`, then
``.solve()`` returns an explained `SitingResult` with its bound and optimality gap)
    LSCP
        The fewest new sites that bring every coverable home within reach.
    MCLP
        ``p`` new sites that maximize the covered population.
    BudgetCoverage
        The best coverage within a budget of site costs.
    CapacitatedCoverage
        Coverage where each site serves at most its capacity (beds, childcare places).
    PMedian
        ``p`` sites that minimize the total weighted walking time.
    JointSiting
        Shared buildings for several services at once.
    siting_problem, SitingProblem
        Validate a demand × candidate matrix with weights, thresholds, existing and planned
        sites into one instance every model takes.
    SitingResult
        Chosen sites in order of marginal gain, objective, bound, gap and the explanation.
    coverage_need
        Need in beds or places from population and a standard per 1,000.
    candidates_on_network
        Candidate sites every ``spacing_m`` metres along the network (candidates from layers
        and footprints: `lifecircle.geodata.candidates_from_layer`,
        `lifecircle.geodata.candidates_from_footprints`).

The solver internals (reductions, Lagrangian and regional bounds, the large-neighbourhood
search, HiGHS) stay private to `lifecircle.coverage.siting`.

The package is lazy: importing it loads nothing heavy (numpy, scipy, geopandas, highspy), so
``lifecircle --help`` starts fast; each name's module is imported the first time the name is
used. Names not listed here stay importable from their modules (``lifecircle.coverage.reach``,
``lifecircle.coverage.indicators``, …), but they are not part of the curated API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..geodata.common import lazy_exports

if TYPE_CHECKING:  # the names for type checkers and editors; imported lazily below
    from .access import AccessResult, two_step_fca
    from .indicators import coverage_wide, indicator_table, localize, missing_units, plan_table
    from .isochrones import facility_isochrones, service_isochrones
    from .profiles import EdgeCosts, WalkProfile, edge_costs, get_profile
    from .reach import ServiceReach, demand_thresholds, reach_matrix, service_reach
    from .siting import (
        LSCP,
        MCLP,
        BudgetCoverage,
        CapacitatedCoverage,
        JointSiting,
        PMedian,
        SitingProblem,
        SitingResult,
        candidates_on_network,
        coverage_need,
        siting_problem,
    )
    from .slope import sample_dem
    from .snapping import Snap, snap_points
    from .standards import Standards, standards_from_profile

#: Each public name and the module (relative to this package) that defines it.
_LAZY: dict[str, str] = {
    # walking model
    "get_profile": "profiles",
    "WalkProfile": "profiles",
    "edge_costs": "profiles",
    "EdgeCosts": "profiles",
    "sample_dem": "slope",
    # reach
    "snap_points": "snapping",
    "Snap": "snapping",
    "service_reach": "reach",
    "ServiceReach": "reach",
    "reach_matrix": "reach",
    "demand_thresholds": "reach",
    "two_step_fca": "access",
    "AccessResult": "access",
    # isochrones
    "service_isochrones": "isochrones",
    "facility_isochrones": "isochrones",
    # indicators
    "indicator_table": "indicators",
    "coverage_wide": "indicators",
    "plan_table": "indicators",
    "missing_units": "indicators",
    "localize": "indicators",
    "Standards": "standards",
    "standards_from_profile": "standards",
    # siting
    "LSCP": "siting",
    "MCLP": "siting",
    "BudgetCoverage": "siting",
    "CapacitatedCoverage": "siting",
    "PMedian": "siting",
    "JointSiting": "siting",
    "siting_problem": "siting",
    "SitingProblem": "siting",
    "SitingResult": "siting",
    "coverage_need": "siting",
    "candidates_on_network": "siting",
}

__all__ = [
    "LSCP",
    "MCLP",
    "AccessResult",
    "BudgetCoverage",
    "CapacitatedCoverage",
    "EdgeCosts",
    "JointSiting",
    "PMedian",
    "ServiceReach",
    "SitingProblem",
    "SitingResult",
    "Snap",
    "Standards",
    "WalkProfile",
    "candidates_on_network",
    "coverage_need",
    "coverage_wide",
    "demand_thresholds",
    "edge_costs",
    "facility_isochrones",
    "get_profile",
    "indicator_table",
    "localize",
    "missing_units",
    "plan_table",
    "reach_matrix",
    "sample_dem",
    "service_isochrones",
    "service_reach",
    "siting_problem",
    "snap_points",
    "standards_from_profile",
    "two_step_fca",
]

#: Module attributes: each public name's module is imported the first time the name is used.
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
