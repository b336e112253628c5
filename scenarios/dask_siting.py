"""Siting at scale: a municipal budget split across tiles, each tile sited on its own worker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np

from ..coverage.profiles import edge_costs
from ..coverage.reach import reach_matrix
from ..coverage.snapping import Layers
from ..geodata.common import InputError
from .dask_reach import gather_tiles, wait_for
from .dask_tasks import DEFAULT_RETRIES, ServiceSpec, TilePoints, load_task
from .partition import (
    LineSource,
    LoadedPartition,
    TileGrid,
    component_summary,
    finish_partition,
    giant_components,
    reach_margin_m,
)

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
        raise InputError(
            f"siting budget {total}: give a whole number of sites ≥ 0.",
            zh=f"选址数量 {total}：请给出 ≥ 0 的整数个设施。",
        )
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


def siting_task(
    part: LoadedPartition,
    keep_labels: np.ndarray | None,
    grid: TileGrid,
    demand: TilePoints,
    weights: np.ndarray,
    threshold_s: np.ndarray,
    covered: np.ndarray,
    candidates: TilePoints,
    spec: ServiceSpec,
    model: str,
    p: int,
    max_snap_m: float,
    time_limit: float,
) -> dict:
    """Site one tile: its own homes and candidates, its budget of new sites (runs on a worker)."""
    from ..coverage.siting import LSCP, MCLP, siting_problem

    net = finish_partition(part, keep_labels)
    out = {"tile": part.tile, "sites": np.zeros(0, np.int64), "gains": np.zeros(0), "objective": 0.0}
    out["status"] = "no candidates"
    out["covered_after"] = covered.copy()
    if net.n_edges == 0 or len(candidates.idx) == 0 or len(demand.idx) == 0 or (model == "mclp" and p == 0):
        out["objective"] = float(weights[covered].sum())
        out["status"] = "nothing to site"
        return out
    costs = edge_costs(net, spec.profile)
    m = reach_matrix(
        net, (demand.x, demand.y), (candidates.x, candidates.y), limit_s=float(threshold_s.max()),
        costs=costs, layers=Layers(max_snap_m),
    )  # fmt: skip
    pb = siting_problem(
        m, weights, threshold_s=threshold_s, existing=covered, candidate_ids=candidates.idx,
        where=f"siting in tile {grid.tile_id(part.tile)}", where_zh=f"分区 {grid.tile_id(part.tile)} 的选址",
    )  # fmt: skip
    res = (MCLP(pb, p) if model == "mclp" else LSCP(pb)).solve(time_limit=time_limit)
    out.update(
        sites=candidates.idx[np.asarray(res.sites, dtype=np.int64)],
        gains=np.asarray(res.gains, dtype=np.float64),
        objective=float(weights[res.covered_after].sum()) if res.covered_after is not None else res.objective,
        status=res.status,
        covered_after=np.asarray(res.covered_after, dtype=bool) if res.covered_after is not None else covered,
    )
    return out


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
    grid: TileGrid,
    model: str = "mclp",
    p: int | None = None,
    max_snap_m: float = 250.0,
    keep: str = "giant",
    time_limit: float = 60.0,
    retries: int = DEFAULT_RETRIES,
    show_progress: bool | None = None,
) -> PartitionedSiting:
    """Independent siting per district (tile), in parallel, with a municipal budget split by need.

    Each tile plans its own stations: candidates standing in the tile, for the demand it owns
    (people across the border are left to their own district, as district plans do). For
    ``mclp`` the municipal number of new sites ``p`` is split with `split_budget` in proportion
    to each tile's uncovered weight; ``lscp`` lets every tile cover all it can with as few
    sites as possible.

    Parameters
    ----------
    source, grid
        As in `partitioned_reach` (use the grid of the reach run, ``MergedReach.grid``).
    demand, weights, threshold_s, covered
        Metric coordinates, weights (e.g. people aged 60+), thresholds (seconds) and the
        flags "already within reach" from the reach run.
    candidates
        Metric coordinates of candidate sites.
    spec
        The service (walking profile) to site for.
    model
        ``mclp`` or ``lscp``.
    client
        A `distributed.Client`.
    p
        Municipal number of new sites (``mclp``).
    max_snap_m, keep, time_limit, retries, show_progress
        As in `partitioned_reach`; ``time_limit`` per tile.
    """
    import pandas as pd

    if model not in ("mclp", "lscp"):
        raise InputError(
            f"siting model {model!r}: partitioned siting supports mclp and lscp.",
            zh=f"选址模型 {model!r}：分区选址只支持 mclp 和 lscp。",
        )
    if model == "mclp" and (p is None or p < 0):
        raise InputError(
            "siting: the mclp model needs the municipal number of new sites p (≥ 0).",
            zh="选址：mclp 模型需要全市新增设施数 p（≥ 0）。",
        )
    dx, dy = (np.asarray(v, dtype=np.float64) for v in demand)
    cx, cy = (np.asarray(v, dtype=np.float64) for v in candidates)
    w = np.asarray(weights, dtype=np.float64)
    thr = np.asarray(threshold_s, dtype=np.float64)
    cov = np.asarray(covered, dtype=bool)
    owner = grid.owner(dx, dy)
    c_owner = grid.owner(cx, cy)
    need = np.bincount(owner[~cov], weights=w[~cov], minlength=grid.n_tiles)
    allot = split_budget(int(p or 0), need) if model == "mclp" else np.zeros(grid.n_tiles, np.int64)
    margin = reach_margin_m(float(thr.max()), [spec.profile], max_snap_m, sloped=False)
    run = uuid.uuid4().hex[:8]
    loads = {
        k: client.submit(
            load_task, source, grid, k, margin, key=f"load-{grid.tile_id(k)}-{run}", retries=retries
        )
        for k in range(grid.n_tiles)
    }
    sums = {
        k: client.submit(
            component_summary, loads[k], key=f"components-{grid.tile_id(k)}-{run}", retries=retries
        )
        for k in range(grid.n_tiles)
    }
    wait_for(client, list(sums.values()), grid, show_progress, "components")
    summaries = gather_tiles(client, sums, grid)
    giant = giant_components(list(summaries.values())) if keep == "giant" else dict.fromkeys(summaries)
    futs = {}
    for k in range(grid.n_tiles):
        di = np.flatnonzero(owner == k)
        ci = np.flatnonzero(c_owner == k)
        futs[k] = client.submit(
            siting_task, loads[k], giant[k], grid, TilePoints(di, dx[di], dy[di]), w[di], thr[di], cov[di],
            TilePoints(ci, cx[ci], cy[ci]), spec, model, int(allot[k]), max_snap_m, time_limit,
            key=f"siting-{grid.tile_id(k)}-{run}", retries=retries,
        )  # fmt: skip
    wait_for(client, list(futs.values()), grid, show_progress, "siting")
    got = gather_tiles(client, futs, grid)
    after = cov.copy()
    rows, brows = [], []
    for k in sorted(got):
        g = got[k]
        after[np.flatnonzero(owner == k)] = g["covered_after"]
        for r, (site, gain) in enumerate(zip(g["sites"], g["gains"], strict=False), start=1):
            rows.append({"candidate": int(site), "tile": grid.tile_id(k), "rank": r, "gain": float(gain)})
        brows.append(
            {
                "tile": grid.tile_id(k),
                "need": float(need[k]),
                "allotted": int(allot[k]) if model == "mclp" else None,
                "chosen": len(g["sites"]),
                "objective": float(g["objective"]),
                "status": g["status"],
            }
        )
    sites = pd.DataFrame(rows, columns=["candidate", "tile", "rank", "gain"])
    sites = sites.sort_values(["gain", "candidate"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
    return PartitionedSiting(
        model=model,
        sites=sites,
        budget=pd.DataFrame(brows),
        objective=float(w[after].sum()),
        covered_before=cov,
        covered_after=after,
    )

