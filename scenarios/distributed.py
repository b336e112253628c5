"""Partitioned runs on Dask: each tile computed on its own worker, merged exactly, retried on failure.

A run is split into the tiles of a `~lifecircle.scenarios.partition.TileGrid`. Every tile is
computed in two Dask tasks that stay on the same worker: the first reads the tile's lines
(the tile plus the reach buffer, see `lifecircle.scenarios.partition` for why that is exact)
and labels its components; the client joins the compact component reports to find the global
giant component; the second task keeps that component, snaps the tile's own demand and the
facilities near it and runs the multi-source search. Only paths, bounds and compact arrays
travel: demand indices and seconds come back, sorted into the demand's own order.

A tile's search stops at the run's limit (its buffer is exact only that far), so a tile cannot
know a time beyond it. After merging, the homes no tile reached get their true time from one
unbounded multi-source search on the whole network, in one more task (`_true_times`): the same
numbers as the single run, beyond the threshold included, and ``inf`` only where there is no
walk at all.

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

from ..coverage.profiles import WalkProfile, edge_costs
from ..coverage.reach import reach_matrix, service_reach
from ..geodata.common import InputError
from .partition import (
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
    beyond_limit
        Per service: owned points on the network the tile's bounded search did not reach (their
        time lies beyond the limit, or there is no walk; the tile alone cannot tell).
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
    beyond_limit: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(eq=False)
class MergedReach:
    """The merged result of a partitioned run.

    Attributes
    ----------
    time_s, facility
        Per service, one value per demand point in the demand's own order: true times however
        long (``inf``: no walk at all), unless ``true_times=False`` left some ``beyond_limit``.
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
    beyond_limit
        Per service, points whose time is beyond the tiles' search limit and still unknown
        (``inf``, never "no path"); all false once the true times were computed.
    true_time_points
        Per service, points whose true time came from the whole-network search.
    true_time_seconds
        Wall time of that search (network read included).
    """

    time_s: dict[str, np.ndarray]
    facility: dict[str, np.ndarray]
    matrix: dict[str, sp.csr_matrix]
    grid: TileGrid
    margin_m: float
    tiles: list[dict]
    notes: list[str]
    seconds: float = 0.0
    components: dict = field(default_factory=dict)
    beyond_limit: dict[str, np.ndarray] = field(default_factory=dict)
    true_time_points: dict[str, int] = field(default_factory=dict)
    true_time_seconds: float = 0.0


# -- worker side -----------------------------------------------------------------------------------


def _load_task(source: LineSource, grid: TileGrid, tile: int, margin_m: float) -> LoadedPartition:
    return _clean_input_errors(load_partition, source, grid, tile, margin_m)


def _clean_input_errors(fn, *args):
    """Call ``fn``; an `InputError` is raised anew, without the chained error that may not pickle."""
    try:
        return fn(*args)
    except InputError as exc:
        msg = exc.msg
    raise InputError(msg.id, **msg.fields)


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
    return _clean_input_errors(
        _reach, part, keep_labels, grid, demand, facilities, services, margin_m, max_snap_m, dem
    )


def _reach(
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
        from ..coverage.slope import sample_dem

        elevation = sample_dem(dem, net)
    times: dict[str, np.ndarray] = {}
    facs: dict[str, np.ndarray] = {}
    mats: dict[str, tuple] = {}
    beyond: dict[str, np.ndarray] = {}
    notes: list[str] = []
    for spec in services:
        fpts = _zone_points(facilities[spec.name], grid.zone(tile, margin_m))
        if net.n_edges == 0 or len(dem_pts.idx) == 0:
            # no edge within the buffer: every owned point is off the whole network too
            times[spec.name] = np.full(len(dem_pts.idx), np.inf)
            facs[spec.name] = np.full(len(dem_pts.idx), -1, dtype=np.int64)
            beyond[spec.name] = np.zeros(len(dem_pts.idx), dtype=bool)
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
        beyond[spec.name] = r.beyond_limit
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
        beyond_limit=beyond,
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
                "check the address (e.g. tcp://host:8786) or leave --scheduler out to run locally.",
                zh=(
                    f"调度器 {scheduler}：该地址没有 Dask 调度器响应（{exc.__class__.__name__}）；"
                    "请检查地址（如 tcp://host:8786），或去掉 --scheduler 在本机运行。"
                ),
            ) from None
        except ValueError as exc:  # not an address: "missing port number", "unknown address scheme"
            raise InputError(
                f"scheduler {scheduler}: not a Dask scheduler address ({exc}); write it as tcp://host:8786.",
                zh=f"调度器 {scheduler}：不是有效的 Dask 调度器地址（{exc}）；请写成 tcp://host:8786 形式。",
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    from distributed.comm.core import CommClosedError

    n = n_workers or os.cpu_count() or 1
    try:
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        )
    except Exception as exc:  # e.g. "Nanny failed to start": a worker process died while starting
        raise _cluster_error(exc, started=False) from None
    with cluster:
        try:
            client = Client(cluster)
        except Exception as exc:
            raise _cluster_error(exc, started=False) from None
        with client:
            try:
                yield client
            except CommClosedError as exc:  # the cluster went away while the run talked to it
                raise _cluster_error(exc, started=True) from None


def _cluster_error(exc: BaseException, *, started: bool) -> InputError:
    """One sentence for a local Dask cluster that failed to start or went away, and the way round it."""
    reason = " ".join(f"{exc.__class__.__name__}: {exc}".split()).rstrip(".")
    if len(reason) > 160:
        reason = reason[:157] + "…"
    what = "went away during the run" if started else "could not start"
    what_zh = "在运行中断开" if started else "无法启动"
    return InputError(
        f"the local Dask cluster {what} ({reason}); run without --partitions (and without a "
        "distributed: block in the scenario) to compute in this process, or free memory and try again.",
        zh=f"本机 Dask 集群{what_zh}（{reason}）；请去掉 --partitions（以及情景文件中的 distributed: 段）"
        "在本进程中计算，或释放内存后重试。",
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
    merged = _merge(parts, services, n_dem, fac_n, grid, margin, time.perf_counter() - t0)
    merged.components = _component_report(summaries, giant, keep)
    if true_times and any(b.any() for b in merged.beyond_limit.values()):
        t1 = time.perf_counter()
        todo = {name: np.flatnonzero(b) for name, b in merged.beyond_limit.items() if b.any()}
        dpts = demand if isinstance(demand, GeneratedPoints) else (dx, dy)
        fpts_all = {s.name: fac_xy.get(s.name, facilities[s.name]) for s in services}
        want = [s for s in services if s.name in todo]
        fut = client.submit(
            _true_times_task, source, grid, keep, dem, dpts, fpts_all, want, todo, max_snap_m,
            key=f"true-times-{run}", retries=retries, pure=False,
        )  # fmt: skip
        _wait(client, [fut], grid, show_progress, "true times")
        got = _gather_one(fut, "the whole-network search of the true times")
        for name, (t, f) in got.items():
            merged.time_s[name][todo[name]] = t
            merged.facility[name][todo[name]] = f
            merged.beyond_limit[name][todo[name]] = False
            merged.true_time_points[name] = len(todo[name])
        merged.true_time_seconds = time.perf_counter() - t1
        merged.seconds = time.perf_counter() - t0
    return merged


def _true_times_task(
    source: LineSource,
    grid: TileGrid,
    keep: str,
    dem: str | None,
    demand: tuple[np.ndarray, np.ndarray] | GeneratedPoints,
    facilities: dict[str, tuple[np.ndarray, np.ndarray] | GeneratedPoints],
    services: list[ServiceSpec],
    todo: dict[str, np.ndarray],
    max_snap_m: float,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    return _clean_input_errors(
        _true_times, source, grid, keep, dem, demand, facilities, services, todo, max_snap_m
    )


def _true_times(
    source: LineSource,
    grid: TileGrid,
    keep: str,
    dem: str | None,
    demand: tuple[np.ndarray, np.ndarray] | GeneratedPoints,
    facilities: dict[str, tuple[np.ndarray, np.ndarray] | GeneratedPoints],
    services: list[ServiceSpec],
    todo: dict[str, np.ndarray],
    max_snap_m: float,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """True times of the points ``todo`` (per service): one unbounded search on the whole network.

    The whole network is read as one tile covering the grid's extent (so it is built, and its
    giant component chosen, exactly as every tile and the single run build theirs); all of the
    service's facilities are snapped to it. Returns per service the seconds (``inf``: no walk at
    all) and the nearest facility (``-1`` then) of each point of ``todo``, in its order.
    """
    whole = TileGrid((), (), grid.extent)
    part = load_partition(source, whole, 0, 0.0)
    keep_labels = giant_components([part.summary])[0] if keep == "giant" else None
    net = finish_partition(part, keep_labels)
    dx, dy = demand.xy() if isinstance(demand, GeneratedPoints) else demand
    elevation = None
    if dem is not None and net.n_edges:
        from ..coverage.slope import sample_dem

        elevation = sample_dem(dem, net)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for spec in services:
        idx = todo[spec.name]
        f = facilities[spec.name]
        fx, fy = f.xy() if isinstance(f, GeneratedPoints) else f
        if net.n_edges == 0:
            out[spec.name] = (np.full(len(idx), np.inf), np.full(len(idx), -1, dtype=np.int64))
            continue
        r = service_reach(
            net, (np.asarray(dx)[idx], np.asarray(dy)[idx]), (fx, fy), service=spec.name,
            costs=edge_costs(net, spec.profile, elevation), max_snap_m=max_snap_m,
        )  # fmt: skip
        out[spec.name] = (r.time_s, r.facility)
    return out


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


# -- the scenario pipeline, partitioned ------------------------------------------------------------


def run_scenario_distributed(
    scen,
    out_dir=None,
    *,
    partitions: tuple[int, int] | None = None,
    scheduler: str | None = None,
    client=None,
    lang: str | None = None,
    log=None,
    retries: int | None = None,
    show_progress: bool | None = None,
):
    """`~lifecircle.scenarios.pipeline.run_scenario` with the reach computed tile by tile on Dask.

    The same pipeline and the same outputs as the single run (siting included); only the reach
    step runs on the cluster (`~lifecircle.scenarios.executors.DaskExecutor`).

    Parameters
    ----------
    scen
        A validated `~lifecircle.scenarios.schema.Scenario`.
    out_dir
        Output folder (as `run_scenario`); ``None`` computes only.
    partitions
        Tile grid ``(columns, rows)``; default the scenario's ``distributed.tiles``, else 2 × 2.
    scheduler
        Address of a running Dask scheduler; default the scenario's ``distributed.scheduler``,
        else a local cluster sized to the machine.
    client
        A ready `distributed.Client` (tests); overrides ``scheduler``.
    lang, log
        As `run_scenario`.
    retries
        Retries per failed tile task (default the scenario's, else `DEFAULT_RETRIES`).
    show_progress
        Dask's progress bar on stderr (default: when stderr is a terminal).
    """
    from .executors import DaskExecutor
    from .pipeline import run_scenario

    settings = dask_settings(scen, partitions, scheduler, retries)
    executor = DaskExecutor(**settings, client=client, show_progress=show_progress)
    return run_scenario(scen, out_dir, lang=lang, log=log, executor=executor)


def dask_settings(
    scen, partitions: tuple[int, int] | None, scheduler: str | None, retries: int | None
) -> dict:
    """Tiles, scheduler and retries of a partitioned run: the options, else the scenario's, else defaults."""
    spec = getattr(scen, "distributed", None)
    tiles = partitions or (tuple(spec.tiles) if spec is not None and spec.tiles else (2, 2))
    scheduler = scheduler or (spec.scheduler if spec is not None else None)
    if retries is None:
        retries = spec.retries if spec is not None else DEFAULT_RETRIES
    return {"tiles": tiles, "scheduler": scheduler, "retries": retries}


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


def _siting_task(
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
        costs=costs, max_snap_m=max_snap_m,
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
            _load_task, source, grid, k, margin, key=f"load-{grid.tile_id(k)}-{run}", retries=retries
        )
        for k in range(grid.n_tiles)
    }
    sums = {
        k: client.submit(
            component_summary, loads[k], key=f"components-{grid.tile_id(k)}-{run}", retries=retries
        )
        for k in range(grid.n_tiles)
    }
    _wait(client, list(sums.values()), grid, show_progress, "components")
    summaries = _gather(client, sums, grid)
    giant = giant_components(list(summaries.values())) if keep == "giant" else dict.fromkeys(summaries)
    futs = {}
    for k in range(grid.n_tiles):
        di = np.flatnonzero(owner == k)
        ci = np.flatnonzero(c_owner == k)
        futs[k] = client.submit(
            _siting_task, loads[k], giant[k], grid, TilePoints(di, dx[di], dy[di]), w[di], thr[di], cov[di],
            TilePoints(ci, cx[ci], cy[ci]), spec, model, int(allot[k]), max_snap_m, time_limit,
            key=f"siting-{grid.tile_id(k)}-{run}", retries=retries,
        )  # fmt: skip
    _wait(client, list(futs.values()), grid, show_progress, "siting")
    got = _gather(client, futs, grid)
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
