"""Siting at scale: a municipal budget split across tiles, each tile sited on its own worker."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..coverage.profiles import edge_costs
from ..coverage.reach import reach_matrix
from ..coverage.snapping import Layers
from ..geodata.common import InputError, Msg
from .dask_reach import TileRun, load_tiles
from .dask_tasks import DEFAULT_RETRIES, ServiceSpec, TilePoints, TileSearch
from .partition import LineSource, LoadedPartition, TileGrid, finish_partition, reach_margin_m

# -- siting at scale -------------------------------------------------------------------------------


def split_budget(total: int, need: np.ndarray) -> np.ndarray:
    """Split ``total`` new sites across districts in proportion to ``need``, by largest remainder.

    Each district gets ``floor(total · need_k / Σ need)``; the sites left over go one each to the
    districts with the largest remainders (ties to the lower district index). Districts without
    need get none; with no need anywhere nothing is allotted.

    Parameters
    ----------
    total
        Municipal number of new sites.
    need
        Per district, the weight to bring into reach (e.g. uncovered people aged 60+).
    """
    need = np.clip(np.asarray(need, dtype=np.float64), 0.0, None)
    if total < 0:
        raise InputError("dask.budget_negative", total=total)
    if need.sum() <= 0 or total == 0:
        return np.zeros(len(need), dtype=np.int64)
    quota = total * need / need.sum()
    base = np.floor(quota).astype(np.int64)
    rest = int(total - base.sum())
    order = np.lexsort((np.arange(len(need)), -(quota - base)))
    base[order[:rest]] += 1
    return base


@dataclass(eq=False)
class PartitionedSiting:
    """The combined proposal of independent district (tile) sitings.

    Attributes
    ----------
    model
        ``mclp`` (a split municipal budget) or ``lscp`` (each district covers all it can).
    sites
        One row per new site: ``candidate`` (index into the candidates), ``tile``, ``rank``
        within its tile, ``gain`` (weight it brings into reach first).
    budget
        Per tile: id, need (uncovered weight), sites allotted, sites chosen, objective, status.
    objective
        Covered weight after, summed over tiles (each district counts its own demand).
    covered_before, covered_after
        Per demand point: within reach before, and after its own district's new sites.
    """

    model: str
    sites: object
    budget: object
    objective: float
    covered_before: np.ndarray
    covered_after: np.ndarray

    def summary(self) -> dict:
        """Headline numbers as a plain dict."""
        return {
            "model": self.model,
            "n_sites": len(self.sites),
            "objective": self.objective,
            "statuses": sorted(set(self.budget["status"])),
            "covered_before": int(self.covered_before.sum()),
            "covered_after": int(self.covered_after.sum()),
        }


@dataclass(frozen=True, eq=False)
class TileDemand:
    """The homes one tile sites for (its own), with their weights, thresholds and current coverage."""

    points: TilePoints
    weights: np.ndarray
    threshold_s: np.ndarray
    covered: np.ndarray


@dataclass(frozen=True)
class TilePlan:
    """What one tile solves: the model, its number of new sites, the snapping and time limits."""

    model: str
    p: int
    max_snap_m: float
    time_limit: float


def siting_task(
    part: LoadedPartition,
    keep_labels: np.ndarray | None,
    grid: TileGrid,
    demand: TileDemand,
    candidates: TilePoints,
    spec: ServiceSpec,
    plan: TilePlan,
) -> dict:
    """Site one tile: its own homes and candidates, its budget of new sites (runs on a worker)."""
    from ..coverage.siting import LSCP, MCLP, siting_problem

    net = finish_partition(part, keep_labels)
    weights, covered = demand.weights, demand.covered
    out = {"tile": part.tile, "sites": np.zeros(0, np.int64), "gains": np.zeros(0), "objective": 0.0}
    out["status"] = "no candidates"
    out["covered_after"] = covered.copy()
    no_budget = plan.model == "mclp" and plan.p == 0
    if net.n_edges == 0 or len(candidates.idx) == 0 or len(demand.points.idx) == 0 or no_budget:
        out["objective"] = float(weights[covered].sum())
        out["status"] = "nothing to site"
        return out
    m = reach_matrix(
        net, (demand.points.x, demand.points.y), (candidates.x, candidates.y),
        limit_s=float(demand.threshold_s.max()), costs=edge_costs(net, spec.profile),
        layers=Layers(plan.max_snap_m),
    )  # fmt: skip
    pb = siting_problem(
        m, weights, threshold_s=demand.threshold_s, existing=covered, candidate_ids=candidates.idx,
        where=Msg("siting.where.tile", tile=grid.tile_id(part.tile)),
    )  # fmt: skip
    res = (MCLP(pb, plan.p) if plan.model == "mclp" else LSCP(pb)).solve(time_limit=plan.time_limit)
    out.update(
        sites=candidates.idx[np.asarray(res.sites, dtype=np.int64)],
        gains=np.asarray(res.gains, dtype=np.float64),
        objective=float(weights[res.covered_after].sum()) if res.covered_after is not None else res.objective,
        status=res.status,
        covered_after=np.asarray(res.covered_after, dtype=bool) if res.covered_after is not None else covered,
    )
    return out


@dataclass(frozen=True, eq=False)
class PartitionedSitingOptions:
    """How `partitioned_siting` plans and runs (its keyword options, with their defaults).

    Attributes
    ----------
    grid
        The tile grid (use the grid of the reach run, ``MergedReach.grid``).
    model
        ``mclp`` or ``lscp``.
    p
        Municipal number of new sites (``mclp``).
    max_snap_m, keep, retries, show_progress
        As in `partitioned_reach`.
    time_limit
        Solver time limit per tile, seconds.
    """

    grid: TileGrid
    model: str = "mclp"
    p: int | None = None
    max_snap_m: float = 250.0
    keep: str = "giant"
    time_limit: float = 60.0
    retries: int = DEFAULT_RETRIES
    show_progress: bool | None = None


def partitioned_siting(
    source: LineSource,
    demand: tuple[np.ndarray, np.ndarray],
    weights: np.ndarray,
    threshold_s: np.ndarray,
    covered: np.ndarray,
    candidates: tuple[np.ndarray, np.ndarray],
    spec: ServiceSpec,
    *,
    client,
    **options: Any,
) -> PartitionedSiting:
    """Independent siting per district (tile), in parallel, with a municipal budget split by need.

    Each tile plans its own stations: candidates standing in the tile, for the demand it owns
    (people across the border are left to their own district, as district plans do). For
    ``mclp`` the municipal number of new sites ``p`` is split with `split_budget` in proportion
    to each tile's uncovered weight; ``lscp`` lets every tile cover all it can with as few
    sites as possible.

    Parameters
    ----------
    source
        As in `partitioned_reach`.
    demand, weights, threshold_s, covered
        Metric coordinates, weights (e.g. people aged 60+), thresholds (seconds) and the
        flags "already within reach" from the reach run.
    candidates
        Metric coordinates of candidate sites.
    spec
        The service (walking profile) to site for.
    client
        A `distributed.Client`.
    **options
        The fields of `PartitionedSitingOptions`: ``grid`` (required), ``model``, ``p``, ``max_snap_m``,
        ``keep``, ``time_limit``, ``retries``, ``show_progress``.
    """
    opts = PartitionedSitingOptions(**options)
    if opts.model not in ("mclp", "lscp"):
        raise InputError("dask.siting_model", model=opts.model)
    if opts.model == "mclp" and (opts.p is None or opts.p < 0):
        raise InputError("dask.mclp_p")
    grid = opts.grid
    dx, dy = (np.asarray(v, dtype=np.float64) for v in demand)
    cx, cy = (np.asarray(v, dtype=np.float64) for v in candidates)
    w = np.asarray(weights, dtype=np.float64)
    thr = np.asarray(threshold_s, dtype=np.float64)
    cov = np.asarray(covered, dtype=bool)
    owner = grid.owner(dx, dy)
    c_owner = grid.owner(cx, cy)
    need = np.bincount(owner[~cov], weights=w[~cov], minlength=grid.n_tiles)
    allot = split_budget(int(opts.p or 0), need) if opts.model == "mclp" else np.zeros(grid.n_tiles, np.int64)
    margin = reach_margin_m(float(thr.max()), [spec.profile], opts.max_snap_m, sloped=False)
    tiles = TileRun(client, grid, opts.retries, opts.show_progress)
    loads, _, giant = load_tiles(tiles, source, TileSearch(margin, opts.max_snap_m, keep=opts.keep))
    futs = {}
    for k in range(grid.n_tiles):
        di = np.flatnonzero(owner == k)
        ci = np.flatnonzero(c_owner == k)
        tile_demand = TileDemand(TilePoints(di, dx[di], dy[di]), w[di], thr[di], cov[di])
        plan = TilePlan(opts.model, int(allot[k]), opts.max_snap_m, opts.time_limit)
        args = (loads[k], giant[k], grid, tile_demand, TilePoints(ci, cx[ci], cy[ci]), spec, plan)
        futs[k] = tiles.submit(siting_task, *args, name="siting", tile=k)
    got = tiles.finish(futs)
    after = cov.copy()
    for k in sorted(got):
        after[np.flatnonzero(owner == k)] = got[k]["covered_after"]
    sites, budget = _tables(got, grid, need, allot if opts.model == "mclp" else None)
    return PartitionedSiting(
        model=opts.model,
        sites=sites,
        budget=budget,
        objective=float(w[after].sum()),
        covered_before=cov,
        covered_after=after,
    )


def _tables(got: dict, grid: TileGrid, need: np.ndarray, allot: np.ndarray | None) -> tuple:
    """The new sites (by gain) and the per-tile budget rows of the tiles' results."""
    import pandas as pd

    rows, brows = [], []
    for k in sorted(got):
        g = got[k]
        for r, (site, gain) in enumerate(zip(g["sites"], g["gains"], strict=False), start=1):
            rows.append({"candidate": int(site), "tile": grid.tile_id(k), "rank": r, "gain": float(gain)})
        brows.append(
            {
                "tile": grid.tile_id(k),
                "need": float(need[k]),
                "allotted": int(allot[k]) if allot is not None else None,
                "chosen": len(g["sites"]),
                "objective": float(g["objective"]),
                "status": g["status"],
            }
        )
    sites = pd.DataFrame(rows, columns=["candidate", "tile", "rank", "gain"])
    sites = sites.sort_values(["gain", "candidate"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    return sites, pd.DataFrame(brows)
