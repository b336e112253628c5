"""Partitioned runs on Dask: each tile computed on its own worker, merged exactly, retried on failure.

A run is split into the tiles of a `~lifecircle.scenarios.partition.TileGrid`. Every tile is
computed in two Dask tasks that stay on the same worker: the first reads the tile's lines
(the tile plus the reach buffer, see `lifecircle.scenarios.partition` for why that is exact)
and labels its components; the client joins the compact component reports to find the global
giant component; the second task keeps that component, snaps the tile's own demand and the
facilities near it and runs the multi-source search. Only paths, bounds and compact arrays
travel: demand indices and seconds come back, sorted into the demand's own order.

Tasks are submitted with ``retries``; a worker lost in the middle of a run makes Dask recompute
what it held on another (or a restarted) worker. A tile that still fails is reported by its id.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from lifecircle.coverage.profiles import WalkProfile, edge_costs
from lifecircle.coverage.reach import reach_matrix, service_reach
from lifecircle.geodata.errors import InputError
from lifecircle.scenarios.partition import (
    LineSource,
    LoadedPartition,
    SyntheticGridSource,
    TileGrid,
    component_summary,
    finish_partition,
    giant_components,
    load_partition,
    reach_margin_m,
)

#: Retries of a failed partition task before the run stops.
DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class ServiceSpec:
    """One service to compute: its walking profile and search limit (seconds)."""

    name: str
    profile: WalkProfile
    limit_s: float
    matrix_limit_s: float | None = None


@dataclass(frozen=True, eq=False)
class GeneratedPoints:
    """Points a worker makes itself from a generator spec (``kind``: ``demand`` or ``facilities``)."""

    source: SyntheticGridSource
    kind: str

    def xy(self) -> tuple[np.ndarray, np.ndarray]:
        """All the points' metric coordinates."""
        return self.source.demand() if self.kind == "demand" else self.source.facilities()


@dataclass(frozen=True, eq=False)
class TilePoints:
    """The points one tile needs: indices into the whole table and metric coordinates."""

    idx: np.ndarray
    x: np.ndarray
    y: np.ndarray


Points = tuple[np.ndarray, np.ndarray] | GeneratedPoints


@dataclass(frozen=True, eq=False)
class PartitionReach:
    """What one tile sends back (compact arrays only).

    Attributes
    ----------
    tile
        Tile index.
    demand_idx
        Indices (into the whole demand) of the points the tile owns, increasing.
    time_s, facility
        Per service: seconds to the nearest facility and its index (into that service's whole
        facility table, ``-1`` where unreached).
    matrix
        Per service with ``matrix_limit_s``: ``(rows, cols, seconds)`` of the demand × facility
        reach matrix for the owned rows, in whole-table indices.
    nodes, edges
        Size of the tile's network after the giant component was kept.
    seconds
        Wall time of the reach task.
    notes
        Plain sentences from the engine.
    """

    tile: int
    demand_idx: np.ndarray
    time_s: dict[str, np.ndarray]
    facility: dict[str, np.ndarray]
    matrix: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    nodes: int = 0
    edges: int = 0
    seconds: float = 0.0
    notes: tuple[str, ...] = ()


@dataclass(eq=False)
class MergedReach:
    """The merged result of a partitioned run.

    Attributes
    ----------
    time_s, facility
        Per service, one value per demand point in the demand's own order.
    matrix
        Per service, the demand × facility reach matrix (CSR) when asked for.
    grid
        The tile grid used.
    margin_m
        The reach buffer around each tile.
    tiles
        One row per tile: id, owned demand points, nodes, edges, seconds.
    notes
        Engine notes, each once.
    seconds
        Wall time of the whole partitioned computation.
    """

    time_s: dict[str, np.ndarray]
    facility: dict[str, np.ndarray]
    matrix: dict[str, sp.csr_matrix]
    grid: TileGrid
    margin_m: float
    tiles: list[dict]
    notes: list[str]
    seconds: float = 0.0


# -- worker side -----------------------------------------------------------------------------------


def _load_task(source: LineSource, grid: TileGrid, tile: int, margin_m: float) -> LoadedPartition:
    return load_partition(source, grid, tile, margin_m)


def _reach_task(
    part: LoadedPartition,
    keep_labels: np.ndarray | None,
    grid: TileGrid,
    demand: TilePoints | GeneratedPoints,
    facilities: dict[str, TilePoints | GeneratedPoints],
    services: list[ServiceSpec],
    margin_m: float,
    max_snap_m: float,
    dem: str | None,
) -> PartitionReach:
    t0 = time.perf_counter()
    tile = part.tile
    net = finish_partition(part, keep_labels)
    dem_pts = _own_points(demand, grid, tile)
    elevation = None
    if dem is not None and net.n_edges:
        from lifecircle.coverage.slope import sample_dem

        elevation = sample_dem(dem, net)
    times: dict[str, np.ndarray] = {}
    facs: dict[str, np.ndarray] = {}
    mats: dict[str, tuple] = {}
    notes: list[str] = []
    for spec in services:
        fpts = _zone_points(facilities[spec.name], grid.zone(tile, margin_m))
        if net.n_edges == 0 or len(dem_pts.idx) == 0:
            times[spec.name] = np.full(len(dem_pts.idx), np.inf)
            facs[spec.name] = np.full(len(dem_pts.idx), -1, dtype=np.int64)
            continue
        costs = edge_costs(net, spec.profile, elevation)
        r = service_reach(
            net,
            (dem_pts.x, dem_pts.y),
            (fpts.x, fpts.y),
            service=spec.name,
            costs=costs,
            limit_s=spec.limit_s,
            max_snap_m=max_snap_m,
        )
        times[spec.name] = r.time_s
        fac = np.full(len(r.facility), -1, dtype=np.int64)
        hit = r.facility >= 0
        fac[hit] = fpts.idx[r.facility[hit]]
        facs[spec.name] = fac
        if spec.matrix_limit_s is not None and len(fpts.idx):
            m = reach_matrix(
                net, r.demand, r.facilities, limit_s=spec.matrix_limit_s, costs=costs, graph=r.graph
            ).tocoo()
            mats[spec.name] = (dem_pts.idx[m.row], fpts.idx[m.col], m.data)
        notes.extend(r.notes)
    return PartitionReach(
        tile=tile,
        demand_idx=dem_pts.idx,
        time_s=times,
        facility=facs,
        matrix=mats,
        nodes=net.n_nodes,
        edges=net.n_edges,
        seconds=time.perf_counter() - t0,
        notes=tuple(notes),
    )


def _own_points(points: TilePoints | GeneratedPoints, grid: TileGrid, tile: int) -> TilePoints:
    if isinstance(points, TilePoints):
        return points
    x, y = points.xy()
    idx = np.flatnonzero(grid.owner(x, y) == tile)
    return TilePoints(idx, x[idx], y[idx])


def _zone_points(points: TilePoints | GeneratedPoints, zone) -> TilePoints:
    if isinstance(points, TilePoints):
        return points
    x, y = points.xy()
    x0, y0, x1, y1 = zone.bounds
    idx = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    return TilePoints(idx, x[idx], y[idx])


# -- client side -----------------------------------------------------------------------------------


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, *, n_workers: int | None = None) -> Iterator:
    """A `distributed.Client`: on ``scheduler`` when given, else on a `LocalCluster`.

    The local cluster is sized to the machine: one single-threaded worker process per core
    (the engine's searches are single-threaded), listening on loopback only.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise InputError(
                f"scheduler {scheduler}: no Dask scheduler answers there ({exc.__class__.__name__}); "
                "check the address (e.g. tcp://host:8786) or leave --scheduler out to run locally."
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    n = n_workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


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
) -> MergedReach:
    """Walking time from every demand point to the nearest facility, computed tile by tile on Dask.

    Equal, point for point, to `lifecircle.coverage.reach.service_reach` on the whole network
    (`lifecircle.scenarios.partition` gives the argument).

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
        raise InputError(f"network.keep {keep!r}: use giant or all.")
    if not services:
        raise InputError("partitioned run: name at least one service.")
    dx, dy = (
        demand.xy() if isinstance(demand, GeneratedPoints) else (np.asarray(demand[0]), np.asarray(demand[1]))
    )
    n_dem = len(dx)
    if grid is None:
        ok = np.isfinite(dx) & np.isfinite(dy)
        if not ok.any():
            raise InputError("demand: no point has coordinates; the partitioned run has nothing to split.")
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
            _load_task,
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
    _wait(client, list(sums.values()), grid, show_progress, "components")
    summaries = _gather(client, sums, grid)
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
            fpts[s.name] = f if isinstance(f, GeneratedPoints) else _zone_subset(*fac_xy[s.name], zone)
        futures[k] = client.submit(
            _reach_task, loads[k], giant[k], grid, dpts, fpts, services, margin, max_snap_m, dem,
            key=f"reach-{grid.tile_id(k)}-{run}", retries=retries, pure=False,
        )  # fmt: skip
    _wait(client, list(futures.values()), grid, show_progress, "reach")
    parts = _gather(client, futures, grid)
    for f in loads.values():
        f.release()
    return _merge(parts, services, n_dem, fac_n, grid, margin, time.perf_counter() - t0)


def _zone_subset(x: np.ndarray, y: np.ndarray, zone) -> TilePoints:
    x0, y0, x1, y1 = zone.bounds
    idx = np.flatnonzero((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    return TilePoints(idx, x[idx], y[idx])


def _wait(client, futures: list, grid: TileGrid, show_progress: bool | None, what: str) -> None:
    from distributed import progress, wait

    if show_progress is None:
        show_progress = sys.stderr.isatty()
    if show_progress:
        with contextlib.redirect_stdout(sys.stderr):
            progress(futures, multi=False)
            print(file=sys.stderr)
    wait(futures)


def _gather(client, futures: dict, grid: TileGrid) -> dict:
    """Results per tile; the first failed tile is reported by its id."""
    out = {}
    for k, fut in futures.items():
        if fut.status == "error":
            exc = fut.exception()
            tid = grid.tile_id(k)
            if isinstance(exc, InputError):
                raise InputError(f"partition {tid}: {exc}") from None
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
    return MergedReach(times, facs, matrices, grid, margin, rows, notes, seconds)


# -- memory sampling (benchmarks) ------------------------------------------------------------------


class WorkerMemory:
    """Peak resident memory of every worker process, sampled in the background."""

    def __init__(self, client, interval_s: float = 0.25) -> None:
        self.client = client
        self.interval_s = interval_s
        self.peak: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> WorkerMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        with contextlib.suppress(Exception):
            got = self.client.run(_rss)
            for w, rss in got.items():
                self.peak[w] = max(self.peak.get(w, 0), int(rss))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval_s)


def _rss() -> int:
    """Peak resident memory of this process so far, bytes (Linux reports kilobytes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
