"""The siting stage of a run: candidates, the reach matrix, the model, and indicators after."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from ..coverage import indicators as _ind
from ..coverage.isochrones import service_isochrones
from ..coverage.reach import service_reach
from ..coverage.siting import LSCP, MCLP, BudgetCoverage, siting_problem
from ..coverage.siting.candidates import MAX_SPACED_CANDIDATES, candidates_from_layer, check_spacing
from ..coverage.siting.capacitated import CapacitatedCoverage
from ..coverage.siting.pmedian import PMedian
from ..coverage.siting.problem import coverage_need
from ..coverage.siting.result import SitingResult
from ..coverage.snapping import Layers
from ..geodata.common import InputError, Msg, say
from ..geodata.files import require_file
from ..geodata.network import WalkNetwork
from ..geodata.settings import settings
from ..geodata.sites import id_columns
from .executors import Executor, ReachContext, ReachJob, Sites
from .result import RunResult, ServiceRun
from .site_names import site_names, site_places

#: The scenario field of the grid candidates' spacing, for messages.
_SPACING_FIELD = Msg("scenario.field", field="siting.candidates.spacing_m")


def _name_columns() -> tuple[str, ...]:
    """Columns taken as candidate names when none is named (``name``, then the Chinese headers)."""
    return ("name", *(w for w in say("scenario.columns.name", "zh").split("|") if w))


def _first_in(names: tuple[str, ...], header: set[str]) -> str | None:
    """The first of ``names`` that is a column of ``header``, or ``None``."""
    return next((c for c in names if c in header), None)


def candidates(result: RunResult) -> gpd.GeoDataFrame:
    """Candidate sites for the scenario's siting spec, in WGS84 with ``id``, ``cost``, ``capacity``."""
    scen = result.scenario
    spec = scen.siting.candidates
    if spec.kind == "file":
        if not spec.path:
            raise InputError("scenario.candidates_path")
        path = require_file(scen.resolve(spec.path), Msg("what.candidate_layer"))
        try:
            header = set(gpd.read_file(path, rows=0).columns)
        except Exception:  # not a readable layer: candidates_from_layer says so in one sentence
            header = set()
        out = candidates_from_layer(
            path,
            crs=spec.crs,
            id_col=_first_in(id_columns(), header),
            name_col=_first_in(_name_columns(), header),
            cost_col=spec.cost_col,
            capacity_col=spec.capacity_col,
            service=scen.siting.service,
        )[["id", "name", "capacity", "cost", "geometry"]]
    elif spec.kind in ("demand", "buildings"):
        pts = result.demand
        out = gpd.GeoDataFrame(
            {"id": pts["id"].astype(str).to_numpy(), "name": ""},  # an id is never a name (site_names)
            geometry=pts.geometry.to_numpy(),
            crs=4326,
        )
        out["cost"], out["capacity"] = 1.0, np.nan
    else:
        out = grid_candidates(result.network, spec.spacing_m)
    if spec.max_candidates and len(out) > spec.max_candidates:
        rng = np.random.default_rng(spec.seed)
        keep = np.sort(rng.choice(len(out), spec.max_candidates, replace=False))
        out = out.iloc[keep]
    return out.reset_index(drop=True)


def grid_candidates(net: WalkNetwork, spacing_m: float) -> gpd.GeoDataFrame:
    """One candidate per grid cell of ``spacing_m``: the network point nearest the cell centre."""
    if spacing_m <= 0:
        raise InputError("scenario.spacing_positive", where=_SPACING_FIELD)
    x0, x1, y0, y1 = net.x.min(), net.x.max(), net.y.min(), net.y.max()
    w, h = float(x1 - x0), float(y1 - y0)
    check_spacing(
        spacing_m,
        (w / spacing_m + 2.0) * (h / spacing_m + 2.0),
        float(np.sqrt(w * h / MAX_SPACED_CANDIDATES)) if w * h > 0 else max(w, h) / MAX_SPACED_CANDIDATES,
        where=_SPACING_FIELD,
    )
    gx, gy = np.meshgrid(np.arange(x0, x1 + spacing_m, spacing_m), np.arange(y0, y1 + spacing_m, spacing_m))
    centres = shapely.points(gx.ravel() + spacing_m / 2, gy.ravel() + spacing_m / 2)
    tree = shapely.STRtree(net.geometry)
    (ci, ei), dist = tree.query_nearest(centres, return_distance=True, all_matches=False)
    near = dist <= spacing_m / 2
    ci, ei = ci[near], ei[near]
    pts = shapely.shortest_line(net.geometry[ei], centres[ci])
    start = shapely.get_point(pts, 0)
    gdf = gpd.GeoDataFrame({"id": [f"grid-{i}" for i in ci]}, geometry=start, crs=net.crs).to_crs(4326)
    gdf["name"], gdf["cost"], gdf["capacity"] = "", 1.0, np.nan
    return gdf


@dataclass(frozen=True)
class SitingOptions:
    """The model and how to solve it.

    Attributes
    ----------
    model
        ``lscp``, ``mclp``, ``budget``, ``capacitated`` or ``pmedian``.
    p
        Number of new sites (mclp, pmedian; capacitated without a budget; budget: at most).
    budget
        Budget for new sites, in the candidates' cost unit (budget, capacitated).
    time_limit_s
        Solver time limit, seconds.
    gap
        Stop at this proven relative gap (0: optimal).
    where
        Where the options come from, for messages: ``scenario`` (fields ``siting.*``) or ``cli``
        (options ``--p``, ``--budget``).
    """

    model: str
    p: int | None = None
    budget: float | None = None
    time_limit_s: float | None = None
    gap: float = 0.0
    where: str = "scenario"


@dataclass(frozen=True, eq=False)
class SitingInputs:
    """What a siting model is built from, the same for a scenario and for ``lifecircle site``.

    Attributes
    ----------
    candidates
        Candidate sites (WGS84 points) with ``id`` and ``cost`` (and ``capacity``).
    candidates_where
        The candidates' layer name for the off-network check (``None``: generated on the network).
    weights
        Weight of each home (people of the group, or places needed for the capacitated model).
    threshold_s
        Each home's threshold, seconds.
    homes
        The homes as the service's reach snapped them.
    existing_covered
        Homes already within reach of an existing facility (from the service's reach), if known.
    existing_sites
        Existing facilities whose home × site matrix the model needs (p-median, capacitated; or
        whenever ``existing_covered`` is unknown).
    existing_where
        Their layer name for the off-network check.
    capacity
        Capacity per candidate (capacitated model).
    fixed
        Indices of candidates that must open.
    demand
        The homes' table (for the per-unit summary of the result).
    assumptions
        Assumptions carried with the result.
    candidates_at_homes
        Whether the candidates are the homes, row for row (candidates from the demand): they are
        then attached to the network where the homes are, not snapped again.
    """

    candidates: gpd.GeoDataFrame
    weights: np.ndarray
    threshold_s: np.ndarray
    homes: object
    candidates_where: str | None = None
    existing_covered: np.ndarray | None = None
    existing_sites: gpd.GeoDataFrame | None = None
    existing_where: str | None = None
    capacity: np.ndarray | None = None
    fixed: np.ndarray | None = None
    demand: pd.DataFrame | None = None
    assumptions: tuple = ()
    candidates_at_homes: bool = False


def solve_siting(
    ctx: ReachContext,
    job: ReachJob,
    ex: Executor,
    inputs: SitingInputs,
    opts: SitingOptions,
    on_matrix: Callable[[sp.csr_matrix], object] | None = None,
) -> SitingResult:
    """The siting step: the home × candidate matrix from the executor, the model, its solution.

    The matrix is kept up to the largest threshold and comes from the run's executor (in this
    process, or merged from the tiles of a partitioned run: the same numbers); ``on_matrix``
    is given it as soon as it is computed. Existing facilities count as already covering (lscp,
    mclp, budget) or enter the model with their own matrix (p-median: the walk to them;
    capacitated: their capacity).
    """
    limit = float(np.max(inputs.threshold_s))
    cand = inputs.candidates
    where, at_homes = inputs.candidates_where, inputs.candidates_at_homes
    sites = Sites(cand, limit, inputs.homes, where=where, what="candidates", at_homes=at_homes)
    matrix = ex.matrix(ctx, job, sites)
    if on_matrix is not None:
        on_matrix(matrix)
    existing: np.ndarray | sp.csr_matrix | None = inputs.existing_covered
    existing_capacity = None
    needs_matrix = opts.model in ("pmedian", "capacitated") or existing is None
    if inputs.existing_sites is not None and needs_matrix:
        existing = ex.matrix(
            ctx, job, Sites(inputs.existing_sites, limit, inputs.homes, where=inputs.existing_where)
        )
        cap = inputs.existing_sites["capacity"].to_numpy(dtype=float)
        existing_capacity = np.nan_to_num(cap, nan=np.inf)
    problem = siting_problem(
        matrix,
        inputs.weights,
        threshold_s=inputs.threshold_s,
        existing=existing,
        existing_capacity=existing_capacity,
        fixed=inputs.fixed,
        cost=cand["cost"].to_numpy(dtype=float),
        capacity=inputs.capacity,
        demand=inputs.demand,
        candidate_ids=cand["id"].to_numpy(dtype=object),
        assumptions=inputs.assumptions,
        where="lifecircle site" if opts.where == "cli" else Msg("siting.where.siting"),
    )
    return build_model(problem, opts).solve(time_limit=opts.time_limit_s, mip_gap=opts.gap)


def build_model(problem, opts: SitingOptions):
    """The siting model ``opts.model`` over ``problem``, its parameters checked."""
    need = {"mclp": "p", "pmedian": "p", "budget": "budget"}.get(opts.model)
    if opts.model == "capacitated" and opts.p is None and opts.budget is None:
        raise InputError("scenario.capacitated_needs_size")
    if need is not None and getattr(opts, need) is None:
        raise _missing(opts.model, need)
    if opts.model == "capacitated":
        return CapacitatedCoverage(problem, opts.p, opts.budget)
    if opts.model == "pmedian":
        return PMedian(problem, opts.p)
    if opts.model == "lscp":
        return LSCP(problem)
    if opts.model == "mclp":
        return MCLP(problem, opts.p)
    if opts.model == "budget":
        return BudgetCoverage(problem, opts.budget, opts.p)
    raise InputError("scenario.unknown_model", model=opts.model)  # the schema and the CLI admit no other


def _missing(model: str, field_: str) -> InputError:
    if field_ == "budget":
        return InputError("scenario.budget_needed")
    if model == "pmedian":
        return InputError("scenario.pmedian_p_needed")
    return InputError("scenario.mclp_p_needed")


def run_siting(
    result: RunResult,
    ctx: ReachContext,
    jobs: dict[str, ReachJob],
    ex: Executor,
    *,
    on_matrix: Callable[[sp.csr_matrix], object] | None = None,
    hand_over: Callable[[Callable[[], gpd.GeoDataFrame]], bool] | None = None,
) -> None:
    """Solve the scenario's siting model and fill ``result.siting``, ``sites``, ``indicators_after``.

    ``on_matrix`` is given the home × candidate matrix as soon as it is computed (the what-if
    shows the same walks). ``result.after`` gets the reach with the proposed sites open and its
    isochrones. With ``hand_over``, their drawing (`after_isochrones`) is offered to it first,
    before the indicators after are computed; when it takes it (returns true) they are left
    ``None`` here for the writing process to draw, as only the map and the layers show them.
    """
    scen = result.scenario
    spec = scen.siting
    svc = spec.service
    if svc not in result.services:
        raise InputError("scenario.siting_service", service=svc)
    run = result.services[svc]
    demand = result.demand
    if spec.group not in demand or not np.isfinite(demand[spec.group].to_numpy(dtype=float)).all():
        raise InputError("scenario.siting_group", group=spec.group)
    cand = candidates(result)
    inputs = SitingInputs(
        candidates=cand,
        candidates_where=Path(str(spec.candidates.path)).name if spec.candidates.kind == "file" else None,
        weights=demand[spec.group].to_numpy(dtype=float),
        threshold_s=run.threshold_s,
        homes=run.reach.demand,
        existing_covered=run.reach.time_s <= run.threshold_s,
        existing_sites=run.facilities,
        demand=demand,
        assumptions=tuple(result.assumptions),
        candidates_at_homes=spec.candidates.kind in ("demand", "buildings") and len(cand) == len(demand),
    )
    if spec.model == "capacitated":
        inputs = _capacitated(result, inputs)
    opts = SitingOptions(spec.model, spec.p, spec.budget, spec.time_limit_s)
    result.siting = solve_siting(ctx, jobs[svc], ex, inputs, opts, on_matrix)
    result.sites = _sites_table(result.siting, cand, svc, result.network)
    _after(result, run, jobs[svc], hand_over)


def _capacitated(result: RunResult, inputs: SitingInputs) -> SitingInputs:
    """Weights as places needed, candidate capacities (the scenario's default where a row has none)."""
    spec = result.scenario.siting
    per_1000 = spec.per_1000 or _standard_per_1000(result, spec.service)
    capacity = inputs.candidates["capacity"].to_numpy(dtype=float)
    if spec.capacity is not None:
        capacity = np.where(np.isfinite(capacity), capacity, spec.capacity)
    if not np.isfinite(capacity).all():
        raise InputError("scenario.candidate_capacity")
    if spec.p is None and spec.budget is None:  # said before the matrices are computed
        build_model(None, SitingOptions("capacitated"))
    return dataclasses.replace(inputs, weights=coverage_need(inputs.weights, per_1000), capacity=capacity)


def _sites_table(
    res: SitingResult, cand: gpd.GeoDataFrame, svc: str, network: WalkNetwork
) -> gpd.GeoDataFrame:
    """The proposed sites in rank order, named (`site_names`), with their gains, walks and top units."""
    chosen = cand.iloc[np.asarray(res.sites, dtype=np.int64)].reset_index(drop=True)
    sites = gpd.GeoDataFrame(chosen[["id"]].copy(), geometry=chosen.geometry.to_numpy(), crs=4326)
    sites["service"] = svc
    sites["rank"] = np.arange(1, len(sites) + 1)
    sites["candidate_name"] = chosen["name"].fillna("").astype(str).to_numpy()
    sites = sites.join(site_places(sites, network))
    sites.insert(1, "name", site_names(sites, settings.lang))
    tab = res.sites_table
    if tab is not None and len(tab) == len(sites):
        for col in tab.columns:
            if col.startswith("new_"):
                sites[f"gain_{col.removeprefix('new_')}"] = tab[col].to_numpy()
        for src, dst in (("walk_median_min", "time_median_s"), ("walk_p90_min", "time_p90_s")):
            if src in tab:
                sites[dst] = tab[src].to_numpy() * 60.0
        for level, dst in (("community", "communities"), ("street", "streets")):
            if f"top_{level}" in tab:
                sites[dst] = tab[f"top_{level}"].astype(str).to_numpy()
    return sites


def _after(
    result: RunResult,
    run: ServiceRun,
    job: ReachJob,
    hand_over: Callable[[Callable[[], gpd.GeoDataFrame]], bool] | None = None,
) -> None:
    """Reach, isochrones and indicators with the existing facilities plus the proposed sites."""
    scen, svc, sites = result.scenario, job.service, result.sites
    new = gpd.GeoDataFrame(
        {
            "id": sites["id"],
            "name": sites["name"],
            "service": svc,
            "tier": "proposed",
            "capacity": np.nan,
            "status": "existing",
        },
        geometry=sites.geometry.to_numpy(),
        crs=4326,
    )
    both = gpd.GeoDataFrame(pd.concat([run.facilities, new], ignore_index=True), crs=4326)
    after = service_reach(
        result.network,
        run.reach.demand,
        both,
        service=svc,
        costs=job.costs,
        layers=Layers(scen.outputs.max_snap_m),
    )  # no search limit: the true times after, however long
    result.after = ServiceRun(svc, both, after, run.threshold_s, isochrones=None)
    drawing = after_isochrones(result)
    if hand_over is None or not hand_over(drawing):
        result.after.isochrones = drawing()
    times = {s: r.reach.time_s for s, r in result.services.items()}
    times[svc] = after.time_s
    sources = None if result.facility_sources is None else dict(result.facility_sources)
    if sources is not None:  # the sited service is measured; others without a facility list stay "no data"
        sources[svc] = (*sources.get(svc, ()), "proposed sites")
    result.indicators_after = _ind.indicator_table(
        result.demand,
        times,
        {s: r.threshold_s for s, r in result.services.items()},
        units=None if result.units is None else pd.DataFrame(result.units.drop(columns="geometry")),
        standards=result.standards,
        facility_sources=sources,
    )


def after_isochrones(result: RunResult) -> Callable[[], gpd.GeoDataFrame]:
    """The drawing of ``result.after``'s isochrones, ready to call here or in the writing process.

    The tiers are those of the sited service's own isochrones (the scenario's when it has none),
    drawn as the scenario's outputs say. The callable holds only the reach and the network, so
    it is cheap to hand to another process (about 1 MB for Yuzhong).
    """
    after, scen = result.after, result.scenario
    base = result.services[after.service].isochrones
    minutes = sorted(set(base["minutes"].tolist())) if base is not None and len(base) else None
    return partial(
        service_isochrones,
        after.reach,
        result.network,
        minutes=minutes,
        width_m=scen.outputs.access_width_m,
        method=scen.outputs.isochrones,
    )


def _standard_per_1000(result: RunResult, service: str) -> float:
    """The jurisdiction's beds (elderly) or childcare places per 1,000 of the service's group."""
    std = result.standards
    value = std.beds_per_1000_elderly if service == "elderly" else std.places_per_1000
    if value is None:
        raise InputError("scenario.no_per_1000", jurisdiction=result.jurisdiction.id, service=service)
    return float(value)
