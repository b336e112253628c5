"""Partitioned reach on Dask, the client side: tiles on their own workers, merged exactly, retried.

A run is split into the tiles of a `~lifecircle.scenarios.partition.TileGrid`. Every tile is
computed in two Dask tasks that stay on the same worker: the first reads the tile's lines
(the tile plus the reach buffer, see `lifecircle.scenarios.partition` for why that is exact)
and labels its components; the client joins the compact component reports to find the global
giant component; the second task keeps that component, snaps the tile's own demand and the
facilities near it and runs the multi-source search. Only paths, bounds and compact arrays
travel: demand indices and seconds come back, sorted into the demand's own order.

A tile's search stops at the run's limit (its buffer is exact only that far), so a tile cannot
know a time beyond it. After merging, the homes no tile reached get their true time from one
unbounded multi-source search on the whole network, in one more task (`whole_network_times`): the same
numbers as the single run, beyond the threshold included, and ``inf`` only where there is no
walk at all.

Tasks are submitted with ``retries``; a worker lost in the middle of a run makes Dask recompute
what it held on another (or a restarted) worker. A tile that still fails is reported by its id.
"""

from __future__ import annotations

import contextlib
import sys
import time
import uuid

import numpy as np
import scipy.sparse as sp

from ..geodata.common import InputError
from .dask_tasks import (
    DEFAULT_RETRIES,
    GeneratedPoints,
    MergedReach,
    PartitionReach,
    Points,
    ServiceSpec,
    TilePoints,
    load_task,
    reach_task,
    true_times_task,
)
from .partition import (
    LineSource,
    TileGrid,
    component_summary,
    giant_components,
    reach_margin_m,
)


def partitioned_reach(
    source: LineSource,
    demand: Points,
    facilities: dict[str, Points],
    services: list[ServiceSpec],
    *,
    client,
    tiles: tuple[int, int] = (2, 2),
    grid: TileGrid | None = None,
    max_snap_m: float = 250.0,
    keep: str = "giant",
    dem: str | None = None,
    retries: int = DEFAULT_RETRIES,
    show_progress: bool | None = None,
    true_times: bool = True,
) -> MergedReach:
    """Walking time from every demand point to the nearest facility, computed tile by tile on Dask.

    Equal, point for point, to `lifecircle.coverage.reach.service_reach` on the whole network
    without a search limit (`lifecircle.scenarios.partition` gives the argument up to each
    service's ``limit_s``; beyond it, one unbounded search on the whole network gives the rest).

    Parameters
    ----------
    source
        Where workers read lines (`~lifecircle.scenarios.partition.FileSource` or
        `~lifecircle.scenarios.partition.SyntheticGridSource`).
    demand
        Metric ``(x, y)`` arrays (each tile gets only its own points) or `GeneratedPoints`.
    facilities
        Per service, metric ``(x, y)`` arrays or `GeneratedPoints`.
    services
        What to compute.
    client
        A `distributed.Client` (see `dask_client`).
    tiles
        Grid columns and rows over the demand's extent (ignored with ``grid``).
    grid
        A ready tile grid.
    max_snap_m
        Snapping limit, metres.
    keep
        ``giant`` (as the single run does by default) or ``all`` components.
    dem
        Optional elevation GeoTIFF, read by each worker for its tile.
    retries
        Retries of each failed task.
    show_progress
        Dask's progress bar on stderr (default: when stderr is a terminal).
    true_times
        Give the points no tile reached within the limit their true time by one unbounded
        multi-source search per service on the whole network, in one task that reads the whole
        network (default). ``False`` leaves them ``inf`` and flagged in
        ``MergedReach.beyond_limit`` ("beyond the search limit", never "no path").

    Returns
    -------
    MergedReach

    Raises
    ------
    InputError
        When a tile's input is bad (named by the tile's id).
    RuntimeError
        When a tile still fails after its retries (named by the tile's id).
    """
    t0 = time.perf_counter()
    if keep not in ("giant", "all"):
        raise InputError(
            f"network.keep {keep!r}: use giant or all.",
            zh=f"network.keep {keep!r}：请改为 giant 或 all。",
        )
    if not services:
        raise InputError(
            "partitioned run: name at least one service.",
            zh="分区运行：请至少指定一项服务。",
        )
    dx, dy = (
        demand.xy() if isinstance(demand, GeneratedPoints) else (np.asarray(demand[0]), np.asarray(demand[1]))
    )
    n_dem = len(dx)
    if grid is None:
        ok = np.isfinite(dx) & np.isfinite(dy)
        if not ok.any():
            raise InputError(
                "demand: no point has coordinates; the partitioned run has nothing to split.",
                zh="需求点：没有任何点带有坐标；分区运行无可划分的内容。",
            )
        grid = TileGrid.from_bounds(
            (dx[ok].min(), dy[ok].min(), dx[ok].max(), dy[ok].max()), *tiles, extent=source.extent()
        )
    limit = max(s.limit_s for s in services)
    margin = reach_margin_m(limit, [s.profile for s in services], max_snap_m, sloped=dem is not None)
    owner = grid.owner(dx, dy)
    fac_n = {}
    fac_xy = {}
    for s in services:
        f = facilities[s.name]
        if isinstance(f, GeneratedPoints):
            fac_n[s.name] = len(f.xy()[0])
        else:
            fac_xy[s.name] = (np.asarray(f[0], dtype=np.float64), np.asarray(f[1], dtype=np.float64))
            fac_n[s.name] = len(fac_xy[s.name][0])
    run = uuid.uuid4().hex[:8]
    k_all = range(grid.n_tiles)
    loads = {
        k: client.submit(
            load_task,
            source,
            grid,
            k,
            margin,
            key=f"load-{grid.tile_id(k)}-{run}",
            retries=retries,
            pure=False,
        )
        for k in k_all
    }
    sums = {
        k: client.submit(
            component_summary, loads[k], key=f"components-{grid.tile_id(k)}-{run}", retries=retries
        )
        for k in k_all
    }
    wait_for(client, list(sums.values()), grid, show_progress, "components")
    summaries = gather_tiles(client, sums, grid)
    giant = giant_components(list(summaries.values())) if keep == "giant" else dict.fromkeys(k_all)
    futures = {}
    for k in k_all:
        if isinstance(demand, GeneratedPoints):
            dpts: TilePoints | GeneratedPoints = demand
        else:
            idx = np.flatnonzero(owner == k)
            dpts = TilePoints(idx, dx[idx], dy[idx])
        zone = grid.zone(k, margin)
        fpts = {}
        for s in services:
            f = facilities[s.name]
            fpts[s.name] = f if isinstance(f, GeneratedPoints) else zone_subset(*fac_xy[s.name], zone)
        futures[k] = client.submit(
            reach_task, loads[k], giant[k], grid, dpts, fpts, services, margin, max_snap_m, dem,
            key=f"reach-{grid.tile_id(k)}-{run}", retries=retries, pure=False,
        )  # fmt: skip
    wait_for(client, list(futures.values()), grid, show_progress, "reach")
    parts = gather_tiles(client, futures, grid)
    for f in loads.values():
        f.release()
    merged = _merge(parts, services, n_dem, fac_n, grid, margin, time.perf_counter() - t0)
    merged.components = _component_report(summaries, giant, keep)
    if true_times and any(b.any() for b in merged.beyond_limit.values()):
        t1 = time.perf_counter()
        todo = {name: np.flatnonzero(b) for name, b in merged.beyond_limit.items() if b.any()}
        dpts = demand if isinstance(demand, GeneratedPoints) else (dx, dy)
        fpts_all = {s.name: fac_xy.get(s.name, facilities[s.name]) for s in services}
        want = [s for s in services if s.name in todo]
        fut = client.submit(
            true_times_task, source, grid, keep, dem, dpts, fpts_all, want, todo, max_snap_m,
            key=f"true-times-{run}", retries=retries, pure=False,
        )  # fmt: skip
        wait_for(client, [fut], grid, show_progress, "true times")
        got = _gather_one(fut, "the whole-network search of the true times")
        for name, (t, f) in got.items():
            merged.time_s[name][todo[name]] = t
            merged.facility[name][todo[name]] = f
            merged.beyond_limit[name][todo[name]] = False
            merged.true_time_points[name] = len(todo[name])
        merged.true_time_seconds = time.perf_counter() - t1
        merged.seconds = time.perf_counter() - t0
    return merged


def _gather_one(fut, what: str):
    """The result of one task; a failure is reported by what the task did."""
    if fut.status == "error":
        exc = fut.exception()
        if isinstance(exc, InputError):
            raise InputError(f"{what}: {exc}", zh=f"{what}：{exc.text('zh')}") from None
        raise RuntimeError(
            f"{what} failed after its retries ({exc.__class__.__name__}: {exc}); nothing was written."
        ) from None
    if fut.status == "cancelled":
        raise RuntimeError(f"{what} was cancelled (the cluster went away); nothing was written.")
    return fut.result()


def _component_report(summaries: dict, giant: dict, keep: str) -> dict:
    """Nodes of the whole network and of what was kept (each node counted by its own tile)."""
    total = sum(float(s.own_nodes.sum()) for s in summaries.values())
    kept = total
    if keep == "giant":
        kept = sum(float(s.own_nodes[giant[k]].sum()) for k, s in summaries.items())
    return {"nodes_total": int(total), "nodes_kept": int(kept)}


def zone_subset(x: np.ndarray, y: np.ndarray, zone) -> TilePoints:
    """The points inside ``zone``'s bounds, with their indices."""
    x0, y0, x1, y1 = zone.bounds
    idx = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    return TilePoints(idx, x[idx], y[idx])


def wait_for(client, futures: list, grid: TileGrid, show_progress: bool | None, what: str) -> None:
    """Wait for the tile tasks (Dask's progress bar when asked); a task that failed is named by its tile."""
    from distributed import progress, wait

    if show_progress is None:
        show_progress = sys.stderr.isatty()
    if show_progress:
        with contextlib.redirect_stdout(sys.stderr):
            progress(futures, multi=False)
            print(file=sys.stderr)
    wait(futures)


def gather_tiles(client, futures: dict, grid: TileGrid) -> dict:
    """Results per tile; the first failed tile is reported by its id."""
    out = {}
    for k, fut in futures.items():
        if fut.status == "error":
            exc = fut.exception()
            tid = grid.tile_id(k)
            if isinstance(exc, InputError):
                raise InputError(f"partition {tid}: {exc}", zh=f"分区 {tid}：{exc.text('zh')}") from None
            name = exc.__class__.__name__
            raise RuntimeError(
                f"partition {tid} failed after its retries ({name}: {exc}); nothing was written."
            ) from None
        if fut.status == "cancelled":
            raise RuntimeError(
                f"partition {grid.tile_id(k)} was cancelled (the cluster went away); nothing was written."
            )
    got = client.gather(list(futures.values()))
    for k, r in zip(futures, got, strict=True):
        out[k] = r
    return out


def _merge(
    parts: dict[int, PartitionReach],
    services: list[ServiceSpec],
    n_dem: int,
    fac_n: dict[str, int],
    grid: TileGrid,
    margin: float,
    seconds: float,
) -> MergedReach:
    """Scatter every tile's owned values into whole-demand arrays (each point has one owner)."""
    times = {s.name: np.full(n_dem, np.inf) for s in services}
    facs = {s.name: np.full(n_dem, -1, dtype=np.int64) for s in services}
    beyond = {s.name: np.zeros(n_dem, dtype=bool) for s in services}
    seen = np.zeros(n_dem, dtype=np.int64)
    notes: list[str] = []
    rows = []
    mats: dict[str, list] = {s.name: [] for s in services if s.matrix_limit_s is not None}
    for k in sorted(parts):
        p = parts[k]
        seen[p.demand_idx] += 1
        for s in services:
            times[s.name][p.demand_idx] = p.time_s[s.name]
            facs[s.name][p.demand_idx] = p.facility[s.name]
            if s.name in p.beyond_limit:
                beyond[s.name][p.demand_idx] = p.beyond_limit[s.name]
            if s.name in p.matrix:
                mats[s.name].append(p.matrix[s.name])
        for n in p.notes:
            if n not in notes:
                notes.append(n)
        rows.append(
            {
                "tile": grid.tile_id(k),
                "demand": len(p.demand_idx),
                "nodes": p.nodes,
                "edges": p.edges,
                "seconds": round(p.seconds, 3),
            }
        )
    if (seen != 1).any():
        bad = int(np.flatnonzero(seen != 1)[0])
        raise RuntimeError(
            f"partitioned run: demand point {bad} was computed {seen[bad]} times; expected once."
        )
    matrices = {}
    for name, chunks in mats.items():
        r = np.concatenate([c[0] for c in chunks]) if chunks else np.zeros(0, np.int64)
        c = np.concatenate([c[1] for c in chunks]) if chunks else np.zeros(0, np.int64)
        v = np.concatenate([c[2] for c in chunks]) if chunks else np.zeros(0)
        m = sp.csr_matrix((v, (r, c)), shape=(n_dem, fac_n[name]))
        m.sort_indices()
        matrices[name] = m
    return MergedReach(
        times, facs, matrices, grid, margin, rows, notes, seconds, beyond_limit=beyond
    )


