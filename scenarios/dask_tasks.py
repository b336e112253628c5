"""Partitioned reach, the worker side: what one tile computes, and the types that travel.

Every tile is computed in two Dask tasks that stay on the same worker: the first reads the tile's
lines (the tile plus the reach buffer; `lifecircle.scenarios.partition` says why that is exact)
and labels its components; the second keeps the global giant component, snaps the tile's own
homes and the facilities near it and runs the multi-source search. Only compact arrays travel
back. `true_times_task` gives the homes no tile reached within the limit their true time by one
unbounded search on the whole network.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..coverage.profiles import WalkProfile, edge_costs
from ..coverage.reach import reach_matrix, service_reach
from ..coverage.snapping import Layers
from ..geodata.common import InputError
from ..geodata.network import WalkNetwork
from .partition import (
    LineSource,
    LoadedPartition,
    SyntheticGridSource,
    TileGrid,
    finish_partition,
    giant_components,
    load_partition,
)

#: Retries of a failed partition task before the run stops.
DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class TileSearch:
    """How every tile of a run reads and searches its network (the same on every worker).

    Attributes
    ----------
    margin_m
        The reach buffer around each tile, metres.
    max_snap_m
        Snapping limit, metres.
    dem
        Elevation GeoTIFF, read by each worker for its tile, if any.
    keep
        ``giant`` (as the single run does by default) or ``all`` components.
    """

    margin_m: float = 0.0
    max_snap_m: float = 250.0
    dem: str | None = None
    keep: str = "giant"


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


def load_task(source: LineSource, grid: TileGrid, tile: int, margin_m: float) -> LoadedPartition:
    """Read one tile's buffered lines and label its components (runs on a worker)."""
    return _clean_input_errors(load_partition, source, grid, tile, margin_m)


def _clean_input_errors(fn, *args):
    """Call ``fn``; an `InputError` is raised anew, without the chained error that may not pickle."""
    try:
        return fn(*args)
    except InputError as exc:
        msg = exc.msg
    raise InputError(msg.id, **msg.fields)


def reach_task(
    part: LoadedPartition,
    keep_labels: np.ndarray | None,
    grid: TileGrid,
    demand: TilePoints | GeneratedPoints,
    facilities: dict[str, TilePoints | GeneratedPoints],
    services: list[ServiceSpec],
    search: TileSearch,
) -> PartitionReach:
    """One tile's reach for every service, its own homes only (runs on a worker)."""
    return _clean_input_errors(_reach, part, keep_labels, grid, demand, facilities, services, search)


def _elevation(dem: str | None, net: WalkNetwork):
    """Elevation at the network's nodes from the GeoTIFF ``dem`` (``None`` without one or without edges)."""
    if dem is None or not net.n_edges:
        return None
    from ..coverage.slope import sample_dem
    from ..geodata.dem import read_dem

    return sample_dem(read_dem(dem, net), net)


def _reach(
    part: LoadedPartition,
    keep_labels: np.ndarray | None,
    grid: TileGrid,
    demand: TilePoints | GeneratedPoints,
    facilities: dict[str, TilePoints | GeneratedPoints],
    services: list[ServiceSpec],
    search: TileSearch,
) -> PartitionReach:
    t0 = time.perf_counter()
    tile = part.tile
    net = finish_partition(part, keep_labels)
    dem_pts = _own_points(demand, grid, tile)
    elevation = _elevation(search.dem, net)
    times: dict[str, np.ndarray] = {}
    facs: dict[str, np.ndarray] = {}
    mats: dict[str, tuple] = {}
    beyond: dict[str, np.ndarray] = {}
    notes: list[str] = []
    for spec in services:
        fpts = _zone_points(facilities[spec.name], grid.zone(tile, search.margin_m))
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
            layers=Layers(search.max_snap_m),
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


def true_times_task(
    source: LineSource,
    grid: TileGrid,
    demand: tuple[np.ndarray, np.ndarray] | GeneratedPoints,
    facilities: dict[str, tuple[np.ndarray, np.ndarray] | GeneratedPoints],
    services: list[ServiceSpec],
    todo: dict[str, np.ndarray],
    search: TileSearch,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """True times of the homes no tile reached, by one unbounded search on the whole network (a worker)."""
    return _clean_input_errors(whole_network_times, source, grid, demand, facilities, services, todo, search)


def whole_network_times(
    source: LineSource,
    grid: TileGrid,
    demand: tuple[np.ndarray, np.ndarray] | GeneratedPoints,
    facilities: dict[str, tuple[np.ndarray, np.ndarray] | GeneratedPoints],
    services: list[ServiceSpec],
    todo: dict[str, np.ndarray],
    search: TileSearch,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """True times of the points ``todo`` (per service): one unbounded search on the whole network.

    The whole network is read as one tile covering the grid's extent (so it is built, and its
    giant component chosen, exactly as every tile and the single run build theirs); all of the
    service's facilities are snapped to it. Returns per service the seconds (``inf``: no walk at
    all) and the nearest facility (``-1`` then) of each point of ``todo``, in its order.
    ``search`` gives the components kept, the DEM and the snapping limit (its margin is unused:
    the whole network has no border).
    """
    whole = TileGrid((), (), grid.extent)
    part = load_partition(source, whole, 0, 0.0)
    keep_labels = giant_components([part.summary])[0] if search.keep == "giant" else None
    net = finish_partition(part, keep_labels)
    dx, dy = demand.xy() if isinstance(demand, GeneratedPoints) else demand
    elevation = _elevation(search.dem, net)
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
            costs=edge_costs(net, spec.profile, elevation), layers=Layers(search.max_snap_m),
        )  # fmt: skip
        out[spec.name] = (r.time_s, r.facility)
    return out
