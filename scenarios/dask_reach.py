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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..geodata.common import InputError, Msg
from .dask_tasks import (
    DEFAULT_RETRIES,
    GeneratedPoints,
    MergedReach,
    PartitionReach,
    Points,
    ServiceSpec,
    TilePoints,
    TileSearch,
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


@dataclass(frozen=True)
class ReachOptions:
    """How `partitioned_reach` splits and runs (its keyword options, with their defaults).

    Attributes
    ----------
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
        multi-source search per service on the whole network (default).
    """

    tiles: tuple[int, int] = (2, 2)
    grid: TileGrid | None = None
    max_snap_m: float = 250.0
    keep: str = "giant"
    dem: str | None = None
    retries: int = DEFAULT_RETRIES
    show_progress: bool | None = None
    true_times: bool = True


@dataclass(frozen=True, eq=False)
class TileRun:
    """The cluster side of one partitioned computation: where its tasks go and how they are named.

    Attributes
    ----------
    client
        A `distributed.Client`.
    grid
        The tile grid.
    retries
        Retries of each failed task.
    show_progress
        Dask's progress bar on stderr (default: when stderr is a terminal).
    run
        Suffix of every task key of the computation (unique per call).
    """

    client: Any
    grid: TileGrid
    retries: int = DEFAULT_RETRIES
    show_progress: bool | None = None
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    def submit(self, fn, *args: Any, name: str, tile: int | None = None):
        """Submit ``fn(*args)`` under the key ``<name>-<tile id>-<run>`` (``<name>-<run>`` without a tile)."""
        key = f"{name}-{self.run}" if tile is None else f"{name}-{self.grid.tile_id(tile)}-{self.run}"
        return self.client.submit(fn, *args, key=key, retries=self.retries, pure=False)

    def finish(self, futures: dict) -> dict:
        """Wait for one task per tile and gather their results (a failed tile is named by its id)."""
        wait_for(list(futures.values()), self.show_progress)
        return gather_tiles(self.client, futures, self.grid)


def load_tiles(tiles: TileRun, source: LineSource, search: TileSearch) -> tuple[dict, dict, dict]:
    """Read every tile's buffered lines on the workers and choose the components to keep.

    Returns
    -------
    loads, summaries, keep
        Per tile: the future of its loaded lines (it stays on its worker), its component
        summary, and the labels of the components it keeps (``None``: all, with ``keep="all"``).
    """
    grid, k_all = tiles.grid, range(tiles.grid.n_tiles)
    loads = {k: tiles.submit(load_task, source, grid, k, search.margin_m, name="load", tile=k) for k in k_all}
    sums = {k: tiles.submit(component_summary, loads[k], name="components", tile=k) for k in k_all}
    summaries = tiles.finish(sums)
    giant = giant_components(list(summaries.values())) if search.keep == "giant" else dict.fromkeys(k_all)
    return loads, summaries, giant


def partitioned_reach(
    source: LineSource,
    demand: Points,
    facilities: dict[str, Points],
    services: list[ServiceSpec],
    *,
    client,
    **options: Any,
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
    **options
        The fields of `ReachOptions`: ``tiles``, ``grid``, ``max_snap_m``, ``keep``, ``dem``,
        ``retries``, ``show_progress`` and ``true_times`` (``False`` leaves the points beyond
        the tiles' limit ``inf`` and flagged in ``MergedReach.beyond_limit``: "beyond the search
        limit", never "no path").

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
    opts = ReachOptions(**options)
    if opts.keep not in ("giant", "all"):
        raise InputError("dask.bad_keep", keep=opts.keep)
    if not services:
        raise InputError("dask.no_services")
    job = _ReachJob.make(source, demand, facilities, services, opts)
    limit = max(s.limit_s for s in services)
    profiles = [s.profile for s in services]
    margin = reach_margin_m(limit, profiles, opts.max_snap_m, sloped=opts.dem is not None)
    search = TileSearch(margin, opts.max_snap_m, opts.dem, opts.keep)
    tiles = TileRun(client, job.grid, opts.retries, opts.show_progress)
    loads, summaries, giant = load_tiles(tiles, source, search)
    futures = {}
    for k in range(job.grid.n_tiles):
        dpts, fpts = job.tile_points(k, margin)
        args = (loads[k], giant[k], job.grid, dpts, fpts, services, search)
        futures[k] = tiles.submit(reach_task, *args, name="reach", tile=k)
    parts = tiles.finish(futures)
    for f in loads.values():
        f.release()
    seconds = time.perf_counter() - t0
    merged = _merge(parts, services, len(job.dx), job.facility_counts(), job.grid, margin, seconds)
    merged.components = _component_report(summaries, giant, opts.keep)
    if opts.true_times and any(b.any() for b in merged.beyond_limit.values()):
        job.true_times(tiles, search, merged)
        merged.seconds = time.perf_counter() - t0
    return merged


@dataclass(frozen=True, eq=False)
class _ReachJob:
    """The points of a partitioned reach and its tile grid, as the client hands them to the tiles.

    Attributes
    ----------
    source, demand, facilities, services
        As given to `partitioned_reach`.
    dx, dy
        The demand's metric coordinates.
    grid
        The tile grid.
    owner
        The tile owning each demand point.
    fac_xy
        Per service given by arrays (not generated), its facilities' coordinates.
    """

    source: LineSource
    demand: Points
    facilities: dict[str, Points]
    services: list[ServiceSpec]
    dx: np.ndarray
    dy: np.ndarray
    grid: TileGrid
    owner: np.ndarray
    fac_xy: dict[str, tuple[np.ndarray, np.ndarray]]

    @classmethod
    def make(
        cls,
        source: LineSource,
        demand: Points,
        facilities: dict[str, Points],
        services: list[ServiceSpec],
        opts: ReachOptions,
    ) -> _ReachJob:
        """The job: coordinates as arrays, and the grid (``opts.grid``, else over the demand's extent)."""
        if isinstance(demand, GeneratedPoints):
            dx, dy = demand.xy()
        else:
            dx, dy = np.asarray(demand[0]), np.asarray(demand[1])
        grid = opts.grid
        if grid is None:
            ok = np.isfinite(dx) & np.isfinite(dy)
            if not ok.any():
                raise InputError("dask.no_coordinates")
            bounds = (dx[ok].min(), dy[ok].min(), dx[ok].max(), dy[ok].max())
            grid = TileGrid.from_bounds(bounds, *opts.tiles, extent=source.extent())
        fac_xy = {}
        for s in services:
            f = facilities[s.name]
            if not isinstance(f, GeneratedPoints):
                fac_xy[s.name] = (np.asarray(f[0], dtype=np.float64), np.asarray(f[1], dtype=np.float64))
        return cls(source, demand, facilities, services, dx, dy, grid, grid.owner(dx, dy), fac_xy)

    def facility_counts(self) -> dict[str, int]:
        """Per service, the number of facilities."""
        out = {}
        for s in self.services:
            xy = self.fac_xy.get(s.name)
            out[s.name] = len(xy[0]) if xy is not None else len(self.facilities[s.name].xy()[0])
        return out

    def tile_points(self, k: int, margin: float) -> tuple:
        """Tile ``k``'s own homes and, per service, the facilities within its buffered zone."""
        if isinstance(self.demand, GeneratedPoints):
            dpts: TilePoints | GeneratedPoints = self.demand
        else:
            idx = np.flatnonzero(self.owner == k)
            dpts = TilePoints(idx, self.dx[idx], self.dy[idx])
        zone = self.grid.zone(k, margin)
        fpts = {}
        for s in self.services:
            xy = self.fac_xy.get(s.name)
            fpts[s.name] = self.facilities[s.name] if xy is None else zone_subset(*xy, zone)
        return dpts, fpts

    def true_times(self, tiles: TileRun, search: TileSearch, merged: MergedReach) -> None:
        """Give the points beyond the tiles' limit their true time (one whole-network task)."""
        t1 = time.perf_counter()
        todo = {name: np.flatnonzero(b) for name, b in merged.beyond_limit.items() if b.any()}
        dpts = self.demand if isinstance(self.demand, GeneratedPoints) else (self.dx, self.dy)
        fpts_all = {s.name: self.fac_xy.get(s.name, self.facilities[s.name]) for s in self.services}
        want = [s for s in self.services if s.name in todo]
        fut = tiles.submit(
            true_times_task, self.source, self.grid, dpts, fpts_all, want, todo, search, name="true-times"
        )
        wait_for([fut], tiles.show_progress)
        got = _gather_one(fut, Msg("dask.what.true_times"))
        for name, (t, f) in got.items():
            merged.time_s[name][todo[name]] = t
            merged.facility[name][todo[name]] = f
            merged.beyond_limit[name][todo[name]] = False
            merged.true_time_points[name] = len(todo[name])
        merged.true_time_seconds = time.perf_counter() - t1


def _gather_one(fut, what: Msg):
    """The result of one task; a failure is reported by what the task did."""
    if fut.status == "error":
        exc = fut.exception()
        if isinstance(exc, InputError):
            raise InputError("dask.task_input", what=what, error=exc.msg) from None
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


def wait_for(futures: list, show_progress: bool | None) -> None:
    """Wait for the tasks (Dask's progress bar when asked); `gather_tiles` names a failed one by its tile."""
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
                raise InputError("dask.tile_input", tile=tid, error=exc.msg) from None
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
    return MergedReach(times, facs, matrices, grid, margin, rows, notes, seconds, beyond_limit=beyond)
