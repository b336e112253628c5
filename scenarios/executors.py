"""Where a run's reach is computed: in this process (the default) or tile by tile on Dask.

`~lifecircle.scenarios.pipeline.run_scenario` is written once; the reach step is supplied by an
executor with two methods:

- `prepare` — anything the jobs of a run can share (a partitioned run computes every service
  in one pass over the tiles here);
- `reach` — per service, each home's true walking time to the nearest facility (a
  `~lifecircle.coverage.reach.ServiceReach`) and, when asked, the home × facility matrix within
  the largest threshold (for the 2SFCA access score);
- `matrix` — the home × site matrix of walking seconds within a limit, for any set of sites
  (siting candidates, existing facilities).

`InProcess` runs every search here, on the whole network. `DaskExecutor` computes the same
numbers tile by tile on a Dask cluster (`~lifecircle.scenarios.distributed.partitioned_reach`:
each worker reads its buffered tile of the network file itself); they are equal bit for bit, so
a partitioned run writes the same tables as a single one. The client still holds the whole
network for what is drawn (the street layer and the isochrone polygons, from a search bounded at
the largest isochrone tier), exactly as the single run draws them.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..coverage.reach import reach_matrix, service_reach
from ..coverage.snapping import Layers, Snap, snap_points
from ..geodata.common import InputError

if TYPE_CHECKING:
    import geopandas as gpd
    import scipy.sparse as sp
    from shapely.geometry.base import BaseGeometry

    from ..coverage.profiles import EdgeCosts, WalkProfile
    from ..coverage.reach import ServiceReach
    from ..geodata.network import WalkNetwork


@dataclass(frozen=True, eq=False)
class ReachContext:
    """What every reach computation of a run shares.

    Attributes
    ----------
    net
        The walk network (read on the client in every mode).
    demand
        The homes (WGS84 points, in the run's order).
    max_snap_m
        Snapping limit, metres.
    source
        The network source as the scenario names it (a file path, ``embedded``, ``place:…``).
    lines_crs
        CRS of a line layer source, when declared.
    keep
        ``giant`` or ``all`` components.
    dem
        Elevation GeoTIFF path, when the scenario gives one.
    clip
        The area the network was clipped to (WGS84), if any.
    draw_limit_s
        The largest isochrone tier, seconds: how far a search must go for what is drawn.
    """

    net: WalkNetwork
    demand: gpd.GeoDataFrame
    max_snap_m: float
    source: str
    lines_crs: str | None = None
    keep: str = "giant"
    dem: str | None = None
    clip: BaseGeometry | None = None
    draw_limit_s: float = np.inf

    @cached_property
    def homes(self) -> Snap:
        """The homes attached to the network, once for every service's search of the run."""
        return snap_points(self.net, self.demand, max_snap_m=self.max_snap_m, what="demand")


@dataclass(frozen=True, eq=False)
class ReachJob:
    """One service's reach: its walking profile and edge times, its facilities, what to compute.

    Attributes
    ----------
    service
        Service name.
    profile
        Walking profile.
    costs
        Directed edge times of ``profile`` on the context's network.
    facilities
        The service's existing facilities (WGS84 points).
    matrix_limit_s
        With a value: also the home × facility matrix up to it (seconds).
    where
        Names of the demand and facility layers for the off-network check.
    """

    service: str
    profile: WalkProfile
    costs: EdgeCosts
    facilities: gpd.GeoDataFrame
    matrix_limit_s: float | None = None
    where: tuple[str, str] | None = None


@dataclass(frozen=True, eq=False)
class ReachOutcome:
    """One service's reach and, when asked, its home × facility matrix (CSR, seconds)."""

    reach: ServiceReach
    matrix: sp.csr_matrix | None = None


@dataclass(frozen=True, eq=False)
class Sites:
    """Sites for a home × site matrix.

    Attributes
    ----------
    points
        The sites (WGS84 points).
    limit_s
        Keep times up to this many seconds.
    homes
        The homes as the service's reach snapped them (`ServiceReach.demand`).
    where, what
        The sites' layer name and kind (``facilities``, ``candidates``) for the off-network check.
    at_homes
        Whether the sites are the homes, row for row: in this process they are then attached
        where the homes are (``homes``), not snapped again.
    """

    points: gpd.GeoDataFrame
    limit_s: float
    homes: Snap
    where: str | None = None
    what: str = "facilities"
    at_homes: bool = False


class Executor(Protocol):
    """The reach step of a run (see the module docstring)."""

    name: str
    report: dict[str, Any]

    def session(self) -> contextlib.AbstractContextManager[Executor]:
        """Hold whatever the executor needs (a Dask client) for the length of a run."""
        ...

    def prepare(self, ctx: ReachContext, jobs: list[ReachJob]) -> None:
        """Work the run's jobs share, before `reach` is asked for each."""
        ...

    def reach(self, ctx: ReachContext, job: ReachJob) -> ReachOutcome:
        """One service's reach."""
        ...

    def matrix(self, ctx: ReachContext, job: ReachJob, sites: Sites) -> sp.csr_matrix:
        """Home × site walking seconds up to ``sites.limit_s``."""
        ...


def _canonical(m: sp.csr_matrix) -> sp.csr_matrix:
    """The matrix with sorted column indices, so both executors hand the models the same arrays."""
    m = m.tocsr()
    m.sort_indices()
    return m


@dataclass
class InProcess:
    """Every search in this process, on the whole network (the default)."""

    name: str = "in-process"
    report: dict[str, Any] = field(default_factory=dict)

    @contextlib.contextmanager
    def session(self) -> Iterator[InProcess]:
        """Nothing to hold."""
        yield self

    def prepare(self, ctx: ReachContext, jobs: list[ReachJob]) -> None:
        """Nothing is shared: each service's search runs when asked."""

    def reach(self, ctx: ReachContext, job: ReachJob) -> ReachOutcome:
        """One unbounded multi-source search: every home's true time."""
        reach = _client_reach(ctx, job, np.inf)
        matrix = None
        if job.matrix_limit_s is not None:
            matrix = _canonical(
                reach_matrix(
                    ctx.net, reach.demand, reach.facilities, limit_s=job.matrix_limit_s,
                    costs=job.costs, graph=reach.graph,
                )
            )  # fmt: skip
        return ReachOutcome(reach, matrix)

    def matrix(self, ctx: ReachContext, job: ReachJob, sites: Sites) -> sp.csr_matrix:
        """Per-site searches on local subgraphs of the whole network."""
        points = sites.homes if sites.at_homes else sites.points
        return _canonical(
            reach_matrix(
                ctx.net, sites.homes, points, limit_s=sites.limit_s, costs=job.costs,
                layers=Layers(ctx.max_snap_m, facilities_where=sites.where, facilities_what=sites.what),
            )
        )  # fmt: skip


def _client_reach(ctx: ReachContext, job: ReachJob, limit_s: float) -> ServiceReach:
    return service_reach(
        ctx.net,
        ctx.homes,
        job.facilities,
        service=job.service,
        costs=job.costs,
        limit_s=limit_s,
        layers=Layers(
            ctx.max_snap_m,
            demand_where=job.where[0] if job.where else None,
            facilities_where=job.where[1] if job.where else None,
        ),
    )


@dataclass
class DaskExecutor:
    """Reach tile by tile on Dask: a local cluster, or a running scheduler.

    Attributes
    ----------
    tiles
        Tile grid ``(columns, rows)``.
    scheduler
        Address of a running scheduler; ``None`` starts a local cluster sized to the machine.
    client
        A ready `distributed.Client` (tests); overrides ``scheduler``.
    retries
        Retries of a failed tile task.
    show_progress
        Dask's progress bar on stderr (default: when stderr is a terminal).
    report
        Filled in by the run: one row per tile (``tiles``), points given their true time by the
        whole-network search.
    """

    tiles: tuple[int, int] = (2, 2)
    scheduler: str | None = None
    client: Any = None
    retries: int = 2
    show_progress: bool | None = None
    name: str = "dask"
    report: dict[str, Any] = field(default_factory=dict)
    _merged: Any = field(default=None, repr=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[DaskExecutor]:
        """Open a client (unless one was given) for the length of the run."""
        if self.client is not None:
            yield self
            return
        from .dask_cluster import dask_client

        with dask_client(self.scheduler) as client:
            self.client = client
            try:
                yield self
            finally:
                self.client = None

    def prepare(self, ctx: ReachContext, jobs: list[ReachJob]) -> None:
        """Every service in one partitioned pass: true times and access matrices from the tiles."""
        from .dask_tasks import ServiceSpec

        specs = [
            ServiceSpec(j.service, j.profile, ctx.draw_limit_s, matrix_limit_s=j.matrix_limit_s) for j in jobs
        ]
        self._merged = self._partitioned(ctx, {j.service: j.facilities for j in jobs}, specs, true_times=True)
        self.report["tiles"] = self._merged.tiles
        self.report["true_time_points"] = dict(self._merged.true_time_points)

    def reach(self, ctx: ReachContext, job: ReachJob) -> ReachOutcome:
        """The tiles' times; the client's search, bounded at the largest tier, only draws."""
        merged = self._merged
        drawn = _client_reach(ctx, job, ctx.draw_limit_s)
        reach = dataclasses.replace(
            drawn,
            time_s=merged.time_s[job.service],
            facility=merged.facility[job.service],
            beyond_limit=merged.beyond_limit[job.service],
            limit_s=np.inf,
        )
        return ReachOutcome(reach, merged.matrix.get(job.service))

    def matrix(self, ctx: ReachContext, job: ReachJob, sites: Sites) -> sp.csr_matrix:
        """The home × site matrix from the tiles (each tile its own homes' rows)."""
        from ..coverage.snapping import check_on_network, snap_points
        from .dask_tasks import ServiceSpec

        if sites.where is not None:  # the tiles snap without naming layers: the client checks the whole
            snap = snap_points(ctx.net, sites.points, max_snap_m=ctx.max_snap_m)
            check_on_network(ctx.net, snap, sites.where, sites.what)
        spec = ServiceSpec(job.service, job.profile, sites.limit_s, matrix_limit_s=sites.limit_s)
        merged = self._partitioned(ctx, {job.service: sites.points}, [spec], true_times=False)
        return _canonical(merged.matrix[job.service])

    def _partitioned(self, ctx: ReachContext, points: dict, specs: list, *, true_times: bool):
        from ..coverage.snapping import points_xy
        from .dask_reach import partitioned_reach

        crs = ctx.net.crs
        dxy = points_xy(ctx.demand, crs, "demand")
        empty = (np.zeros(0), np.zeros(0))
        fxy = {s: points_xy(g, crs, "facilities") if len(g) else empty for s, g in points.items()}
        return partitioned_reach(
            _line_source(ctx), dxy, fxy, specs, client=self.client, tiles=self.tiles,
            max_snap_m=ctx.max_snap_m, keep=ctx.keep, dem=ctx.dem, retries=self.retries,
            show_progress=self.show_progress, true_times=true_times,
        )  # fmt: skip


def _line_source(ctx: ReachContext):
    """Where the workers read the network: the scenario's file, clipped as the client's."""
    from ..geodata.sources import embedded_pbf
    from .partition import FileSource

    path = ctx.source
    if path == "embedded":
        path = str(embedded_pbf())
    if str(path).startswith("place:"):
        raise InputError("dask.overpass_source")
    return FileSource(str(path), crs=ctx.net.crs, clip=ctx.clip, lines_crs=ctx.lines_crs)
