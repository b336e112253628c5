"""The siting stage of a run: candidates, the reach matrix, the model, and indicators after."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..coverage import indicators as _ind
from ..coverage.isochrones import service_isochrones
from ..coverage.profiles import edge_costs
from ..coverage.reach import reach_matrix, service_reach
from ..coverage.siting import LSCP, MCLP, BudgetCoverage, siting_problem
from ..coverage.siting.candidates import MAX_SPACED_CANDIDATES, candidates_from_layer, check_spacing
from ..coverage.siting.capacitated import CapacitatedCoverage
from ..coverage.siting.pmedian import PMedian
from ..coverage.siting.problem import coverage_need
from ..geodata.common import InputError
from ..geodata.files import require_file
from ..geodata.network import WalkNetwork
from .result import RunResult, ServiceRun


def candidates(result: RunResult) -> gpd.GeoDataFrame:
    """Candidate sites for the scenario's siting spec, in WGS84 with ``id``, ``cost``, ``capacity``."""
    scen = result.scenario
    spec = scen.siting.candidates
    if spec.kind == "file":
        if not spec.path:
            raise InputError(
                "scenario: field 'siting.candidates.path' is needed for candidates of kind file.",
                zh="情景文件：候选点类型为 file 时需要字段 'siting.candidates.path'。",
            )
        path = require_file(scen.resolve(spec.path), "candidate layer", what_zh="候选点图层")
        try:
            header = set(gpd.read_file(path, rows=0).columns)
        except Exception:  # not a readable layer: candidates_from_layer says so in one sentence
            header = set()
        pick = lambda *names: next((c for c in names if c in header), None)  # noqa: E731
        out = candidates_from_layer(
            path,
            crs=spec.crs,
            id_col=pick("id", "编号"),
            name_col=pick("name", "名称"),
            cost_col=spec.cost_col,
            capacity_col=spec.capacity_col,
            service=scen.siting.service,
        )[["id", "name", "capacity", "cost", "geometry"]]
    elif spec.kind in ("demand", "buildings"):
        pts = result.demand
        out = gpd.GeoDataFrame(
            {"id": pts["id"].astype(str).to_numpy(), "name": pts["id"].astype(str).to_numpy()},
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
        raise InputError(
            "scenario: field 'siting.candidates.spacing_m' must be a positive number of metres.",
            zh="情景文件：字段 'siting.candidates.spacing_m' 须为正的米数。",
        )
    x0, x1, y0, y1 = net.x.min(), net.x.max(), net.y.min(), net.y.max()
    w, h = float(x1 - x0), float(y1 - y0)
    check_spacing(
        spacing_m,
        (w / spacing_m + 2.0) * (h / spacing_m + 2.0),
        float(np.sqrt(w * h / MAX_SPACED_CANDIDATES)) if w * h > 0 else max(w, h) / MAX_SPACED_CANDIDATES,
        where="scenario: field 'siting.candidates.spacing_m'",
        where_zh="情景文件：字段 'siting.candidates.spacing_m'",
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
    gdf["name"], gdf["cost"], gdf["capacity"] = gdf["id"], 1.0, np.nan
    return gdf


def run_siting(result: RunResult, profiles: dict, limits: dict) -> None:
    """Solve the scenario's siting model and fill ``result.siting``, ``sites``, ``indicators_after``."""
    scen = result.scenario
    spec = scen.siting
    svc = spec.service
    if svc not in result.services:
        raise InputError(
            f"scenario: field 'siting.service' is {svc!r}, which is not among services.",
            zh=f"情景文件：字段 'siting.service' 为 {svc!r}，不在 services 所列的服务之中。",
        )
    run = result.services[svc]
    demand = result.demand
    if spec.group not in demand or not np.isfinite(demand[spec.group].to_numpy(dtype=float)).all():
        raise InputError(
            f"scenario: field 'siting.group' is {spec.group!r}, but the demand does not know that group; "
            "give its totals or shares under demand.",
            zh=(
                f"情景文件：字段 'siting.group' 为 {spec.group!r}，但需求点数据中没有该人群；"
                "请在 demand 下给出其总数或占比。"
            ),
        )
    cand = candidates(result)
    costs = edge_costs(result.network, profiles[svc], result.elevation)
    limit = float(run.threshold_s.max())
    label = Path(str(spec.candidates.path)).name if spec.candidates.kind == "file" else None
    matrix = reach_matrix(
        result.network,
        run.reach.demand,
        cand,
        limit_s=limit,
        costs=costs,
        facilities_where=label,
        facilities_what="candidates",
    )
    weights = demand[spec.group].to_numpy(dtype=float)
    existing: np.ndarray | object = run.reach.time_s <= run.threshold_s
    existing_capacity = capacity = None
    if spec.model == "pmedian":  # the p-median weighs the walk to an existing site, not only its reach
        existing = reach_matrix(result.network, run.reach.demand, run.facilities, limit_s=limit, costs=costs)
    if spec.model == "capacitated":
        per_1000 = spec.per_1000 or _standard_per_1000(result, svc)
        weights = coverage_need(weights, per_1000)
        capacity = cand["capacity"].to_numpy(dtype=float)
        if spec.capacity is not None:
            capacity = np.where(np.isfinite(capacity), capacity, spec.capacity)
        if not np.isfinite(capacity).all():
            raise InputError(
                "scenario: the capacitated model needs a capacity for every candidate; give "
                "siting.candidates.capacity_col or siting.capacity.",
                zh=(
                    "情景文件：容量约束模型需要每个候选点的容量；"
                    "请给出 siting.candidates.capacity_col 或 siting.capacity。"
                ),
            )
        fac = run.facilities
        existing = reach_matrix(result.network, run.reach.demand, fac, limit_s=limit, costs=costs)
        existing_capacity = np.nan_to_num(fac["capacity"].to_numpy(dtype=float), nan=np.inf)
    problem = siting_problem(
        matrix,
        weights,
        threshold_s=run.threshold_s,
        existing=existing,
        existing_capacity=existing_capacity,
        cost=cand["cost"].to_numpy(dtype=float),
        capacity=capacity,
        demand=demand,
        candidate_ids=cand["id"].to_numpy(dtype=object),
        assumptions=tuple(result.assumptions),
        where="siting",
        where_zh="选址",
    )
    if spec.model == "capacitated":
        if spec.p is None and spec.budget is None:
            raise InputError(
                "scenario: the capacitated model needs siting.p or siting.budget.",
                zh="情景文件：容量约束模型需要 siting.p 或 siting.budget。",
            )
        model = CapacitatedCoverage(problem, spec.p, spec.budget)
    elif spec.model == "pmedian":
        if spec.p is None:
            raise InputError(
                "scenario: field 'siting.p' is needed for the pmedian model.",
                zh="情景文件：pmedian 模型需要字段 'siting.p'。",
            )
        model = PMedian(problem, spec.p)
    elif spec.model == "lscp":
        model = LSCP(problem)
    elif spec.model == "mclp":
        if spec.p is None:
            raise InputError(
                "scenario: field 'siting.p' is needed for the mclp model (number of new sites).",
                zh="情景文件：mclp 模型需要字段 'siting.p'（新增设施数）。",
            )
        model = MCLP(problem, spec.p)
    elif spec.model == "budget":
        if spec.budget is None:
            raise InputError(
                "scenario: field 'siting.budget' is needed for the budget model.",
                zh="情景文件：budget 模型需要字段 'siting.budget'。",
            )
        model = BudgetCoverage(problem, spec.budget, spec.p)
    else:  # pragma: no cover - the schema admits no other model
        raise InputError(
            f"scenario: unknown siting model {spec.model!r}.",
            zh=f"情景文件：未知的选址模型 {spec.model!r}。",
        )

    res = model.solve(time_limit=spec.time_limit_s)
    result.siting = res
    chosen = cand.iloc[np.asarray(res.sites, dtype=np.int64)].reset_index(drop=True)
    sites = gpd.GeoDataFrame(chosen[["id", "name"]].copy(), geometry=chosen.geometry.to_numpy(), crs=4326)
    sites["service"] = svc
    sites["rank"] = np.arange(1, len(sites) + 1)
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
    result.sites = sites
    # indicators after: existing facilities plus the new sites
    fac = run.facilities
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
    both = gpd.GeoDataFrame(pd.concat([fac, new], ignore_index=True), crs=4326)
    after = service_reach(
        result.network,
        run.reach.demand,
        both,
        service=svc,
        costs=costs,
        max_snap_m=scen.outputs.max_snap_m,
    )  # no search limit: the true times after, however long
    times = {s: r.reach.time_s for s, r in result.services.items()}
    times[svc] = after.time_s
    sources = None if result.facility_sources is None else dict(result.facility_sources)
    if sources is not None:  # the sited service is measured; others without a facility list stay "no data"
        sources[svc] = (*sources.get(svc, ()), "proposed sites")
    result.indicators_after = _ind.indicator_table(
        demand,
        times,
        {s: r.threshold_s for s, r in result.services.items()},
        units=None if result.units is None else pd.DataFrame(result.units.drop(columns="geometry")),
        standards=result.standards,
        facility_sources=sources,
    )
    minutes = sorted(set(run.isochrones["minutes"].tolist())) if len(run.isochrones) else None
    result.after = ServiceRun(
        service=svc,
        facilities=both,
        reach=after,
        threshold_s=run.threshold_s,
        isochrones=service_isochrones(
            after, result.network, minutes=minutes, width_m=scen.outputs.access_width_m
        ),
    )


def _standard_per_1000(result: RunResult, service: str) -> float:
    """The jurisdiction's beds (elderly) or 托位 (childcare) per 1,000 of the service's group."""
    std = result.standards
    value = std.beds_per_1000_elderly if service == "elderly" else std.places_per_1000
    if value is None:
        raise InputError(
            f"jurisdiction {result.jurisdiction.id}: sets no per-1,000 standard for {service}; give "
            "siting.per_1000 for the capacitated model.",
            zh=(
                f"行政区 {result.jurisdiction.id}：未设定 {service} 的千人指标；"
                "容量约束模型请给出 siting.per_1000。"
            ),
        )
    return float(value)
