"""Walking time from every home to the nearest service, the demand × facility time matrix, thresholds.

Facilities are snapped to their nearest edges and inserted as virtual nodes (their edges split),
each behind a door node one access leg away (its snap distance at the flat speed). A demand point
snapped at distance ``a`` along a piece from node ``p`` to node ``q`` (ends at ``a0``, ``a1``)
then takes

``t = d / s + min(Tb(a) − Tb(a0) + T[p],  Tf(a1) − Tf(a) + T[q])``

where ``d`` is its snap distance, ``s`` the profile's flat speed, ``Tf``/``Tb`` the cumulative
forward/backward times along the edge and ``T`` the node times to the facility (or facilities);
a facility on the same edge is a piece end, so the direct walk along the edge is included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from ..geodata.common import Assumption, InputError, Msg, Note
from ..geodata.network import WalkNetwork
from .profiles import EdgeCosts, WalkProfile, edge_costs, get_profile
from .routing import (
    SplitGraph,
    build_split_graph,
    nearest_facility,
    per_facility_searches,
)
from .snapping import Layers, Points, Snap, check_on_network, layers_from, snap_points

#: Services whose names are in the catalogue (``reach.service.*``); others are named as given.
_NAMED_SERVICES: tuple[str, ...] = ("elderly", "childcare")

#: Map tiers, minutes.
TIERS_MIN: tuple[int, ...] = (5, 10, 15, 20)

#: Entries of `reach_matrix` whose time is exactly zero are stored as this many seconds, so
#: they stay explicit (a sparse matrix drops zeros): a point that stands on its facility.
ZERO_TIME_S = 1e-9

#: States of a demand point against its threshold (`ServiceReach.state`): a walk within the
#: threshold; a walk longer than it (``time_s`` is its true length); no walk at all (off the
#: network, i.e. farther than the snap distance or without a location, or on a part of the
#: network no facility stands on); not reached within a finite search limit (a bounded search,
#: as a partition tile runs, cannot tell a longer walk from none).
WITHIN, BEYOND, NO_PATH, BEYOND_LIMIT = 0, 1, 2, 3
#: Catalogue ids of the states' labels (``say(STATE_LABELS[state], lang)``).
STATE_LABELS: dict[int, str] = {
    WITHIN: "reach.state.within",
    BEYOND: "reach.state.beyond",
    NO_PATH: "reach.state.no_path",
    BEYOND_LIMIT: "reach.state.beyond_limit",
}


@dataclass(frozen=True, eq=False)
class ServiceReach:
    """Walking time from every demand point to the nearest facility of one service.

    Attributes
    ----------
    service
        Service name (``elderly``, ``childcare``, …).
    profile
        The walking profile used.
    time_s
        Seconds from each demand point to its nearest facility, access leg included: the true
        time however long (no search limit by default); ``inf`` when there is no walk at all
        (off the network, on a part of the network without facilities, no facilities) and,
        with a finite ``limit_s`` only, beyond that limit (see ``beyond_limit``).
    facility
        Index (into the facility input) of that facility, ``-1`` where unreached.
    access_s
        Seconds of the access leg (point to its snapped position), ``inf`` off the network.
    node_time_s
        Seconds from every network node to its nearest facility (``inf``: no path, or beyond
        a finite limit).
    off_network
        Demand points not attached to the network (farther than the snap limit).
    facility_off_network
        Facilities not attached to the network (they serve nobody).
    beyond_limit
        Demand points on the network not reached within a finite ``limit_s``: their time is
        unknown (``inf``), not "no path". All false without a limit.
    limit_s
        Search limit in seconds (``inf``, the default, for none).
    demand, facilities
        The snaps used.
    graph
        The split search graph (for isochrones).
    split_time_s, split_facility
        Time and nearest facility of every node of ``graph`` (network and virtual nodes).
    costs
        The directed edge times used.
    notes
        Plain sentences about what the result could not cover (no facilities, points off
        the network).
    """

    service: str
    profile: WalkProfile
    time_s: np.ndarray
    facility: np.ndarray
    access_s: np.ndarray
    node_time_s: np.ndarray
    off_network: np.ndarray
    facility_off_network: np.ndarray
    beyond_limit: np.ndarray
    limit_s: float
    demand: Snap
    facilities: Snap
    graph: SplitGraph
    split_time_s: np.ndarray
    split_facility: np.ndarray
    costs: EdgeCosts
    notes: tuple[str, ...] = field(default=())

    @property
    def assumptions(self) -> tuple[Assumption, ...]:
        """Assumptions behind the times (walking speed, steps factor)."""
        return self.profile.assumptions

    @property
    def no_path(self) -> np.ndarray:
        """Demand points with no walk to any facility (off the network or cut off from every facility)."""
        return np.isinf(self.time_s) & ~self.beyond_limit

    @property
    def cut_off(self) -> np.ndarray:
        """Demand points on the network with no path: another component than every facility's."""
        return self.no_path & ~self.off_network

    def state(self, threshold_s: float | np.ndarray) -> np.ndarray:
        """State of each demand point against ``threshold_s`` seconds (scalar or one per point).

        Returns
        -------
        numpy.ndarray
            int8, one of `WITHIN`, `BEYOND` (a walk, longer than the threshold), `NO_PATH` and
            `BEYOND_LIMIT` (a bounded search did not reach it) per point.
        """
        thr = np.broadcast_to(np.asarray(threshold_s, dtype=np.float64), self.time_s.shape)
        out = np.where(self.time_s <= thr, WITHIN, BEYOND).astype(np.int8)
        out[self.no_path] = NO_PATH
        out[self.beyond_limit] = BEYOND_LIMIT
        return out

    def covered(self, threshold_s: float | np.ndarray) -> np.ndarray:
        """Demand points within ``threshold_s`` seconds (scalar or one per point)."""
        thr = np.asarray(threshold_s, dtype=np.float64)
        if np.any(thr > self.limit_s):
            raise ValueError(f"threshold {thr.max():g} s exceeds the search limit {self.limit_s:g} s")
        return self.time_s <= thr

    def share(self, threshold_s: float | np.ndarray, weights: np.ndarray | None = None) -> float:
        """Share (0–1) of demand, weighted by ``weights`` (e.g. people aged 60+), within reach."""
        cov = self.covered(threshold_s)
        w = np.ones(len(cov)) if weights is None else check_weights(weights, len(cov))
        total = w.sum()
        return float(w[cov].sum() / total) if total > 0 else 0.0


def check_weights(weights: np.ndarray, n: int, what: str | Msg | None = None) -> np.ndarray:
    """Return ``weights`` as floats, or raise `InputError` naming the rows that are NaN or negative.

    ``what`` names the weights in the message (default: the demand population).
    """
    what = Msg("reach.what.demand_population") if what is None else what
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n,):
        raise InputError("reach.weights_count", what=what, size=w.size, n=n)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if len(bad):
        rows = ", ".join(str(i) for i in bad[:10]) + (" …" if len(bad) > 10 else "")
        raise InputError("reach.weights_bad", what=what, n=len(bad), rows=rows)
    return w


def service_reach(
    net: WalkNetwork,
    demand: Points | Snap,
    facilities: Points | Snap,
    *,
    service: str = "elderly",
    profile: str | WalkProfile = "elderly",
    costs: EdgeCosts | None = None,
    limit_s: float = np.inf,
    layers: Layers | None = None,
    **layer_fields: Any,
) -> ServiceReach:
    """Walking time from every demand point to the nearest facility, by one multi-source search.

    One `scipy.sparse.csgraph.dijkstra` call with ``min_only=True`` from the facilities' doors on
    the reversed split graph gives every node its time to the nearest facility (the walk from the
    street to the facility included); each demand point adds its legs (see the module docstring).

    The search has no limit by default, so every point gets its true time to the nearest
    facility however long, and ``inf`` means there is no walk at all (`ServiceReach.no_path`).
    A finite ``limit_s`` stops the search there (what a partition tile needs: its times are
    exact for a region when the network given covers it plus a buffer of the largest reach);
    points on the network it does not reach are flagged `ServiceReach.beyond_limit`, never
    "no path".

    Parameters
    ----------
    net
        The walk network.
    demand, facilities
        Points (GeoDataFrame in any CRS, or metric ``(x, y)``) or ready `Snap` objects.
    service
        Service name carried on the result.
    profile
        Walking profile (ignored when ``costs`` is given).
    costs
        Precomputed `EdgeCosts` (e.g. with slope); default flat times for ``profile``.
    limit_s
        Search limit, seconds; default none (true times). With a finite limit, times beyond it
        are ``inf`` and those points are flagged ``beyond_limit``.
    layers
        The snapping limit and the layers' names for `check_on_network` (`Layers`; default:
        250 m, not checked, a note says so).
    **layer_fields
        The fields of `Layers` as separate keywords (instead of ``layers``).

    Returns
    -------
    ServiceReach
    """
    lay = layers_from(layers, layer_fields)
    if costs is None:
        costs = edge_costs(net, get_profile(profile))
    if not (limit_s > 0):
        raise InputError("reach.bad_limit", limit=repr(limit_s))
    dsnap, fsnap = _snap_layers(net, demand, facilities, lay)
    graph = build_split_graph(net, costs, fsnap)
    split_t, split_f = nearest_facility(graph, limit_s)
    time_s, fac, access = _demand_times(graph, costs, dsnap, split_t, split_f, limit_s)
    beyond_limit = np.isinf(time_s) & ~dsnap.off_network & bool(np.isfinite(limit_s))
    notes = (*_facility_notes(service, fsnap, graph), *_demand_notes(dsnap))
    return ServiceReach(
        service=service,
        profile=costs.profile,
        time_s=time_s,
        facility=fac,
        access_s=access,
        node_time_s=split_t[: net.n_nodes],
        off_network=dsnap.off_network,
        facility_off_network=fsnap.off_network,
        beyond_limit=beyond_limit,
        limit_s=float(limit_s),
        demand=dsnap,
        facilities=fsnap,
        graph=graph,
        split_time_s=split_t,
        split_facility=split_f,
        costs=costs,
        notes=notes,
    )


def _snap_layers(
    net: WalkNetwork, demand: Points | Snap, facilities: Points | Snap, lay: Layers
) -> tuple[Snap, Snap]:
    """Snap both layers and check that each reaches the network (when it is named)."""
    dsnap = snap_points(net, demand, max_snap_m=lay.max_snap_m, what="demand")
    fsnap = snap_points(net, facilities, max_snap_m=lay.max_snap_m, what=lay.facilities_what)
    check_on_network(net, dsnap, lay.demand_where, "demand")
    check_on_network(net, fsnap, lay.facilities_where, lay.facilities_what)
    return dsnap, fsnap


def _service_name(service: str) -> str | Msg:
    """The name of ``service`` for a message: a catalogue message for the usual services."""
    return Msg(f"reach.service.{service}") if service in _NAMED_SERVICES else service


def _facility_notes(service: str, fsnap: Snap, graph: SplitGraph) -> list[Note]:
    """What the result cannot cover for want of facilities on the network."""
    svc, n, limit = _service_name(service), len(fsnap), fsnap.max_snap_m
    if n == 0:
        return [Note("reach.no_facilities", service=svc)]
    if graph.n_facilities_on_network == 0:
        return [Note("reach.all_facilities_off_network", service=svc, n=n, limit=limit)]
    if k := fsnap.n_off_network:
        return [Note("reach.some_facilities_off_network", service=svc, k=k, n=n, limit=limit)]
    return []


def _demand_notes(dsnap: Snap) -> list[Note]:
    """What the result cannot cover for demand points off the network or without a location."""
    notes = []
    n, limit = len(dsnap), dsnap.max_snap_m
    no_geom = int((~(np.isfinite(dsnap.x) & np.isfinite(dsnap.y))).sum())
    far = dsnap.n_off_network - no_geom
    if n and far == n:
        notes.append(Note("reach.all_demand_off_network", n=n, limit=limit))
    elif far:
        notes.append(Note("reach.some_demand_off_network", k=far, n=n, limit=limit))
    if no_geom:
        notes.append(Note("reach.demand_without_location", k=no_geom, n=n))
    return notes


@dataclass(frozen=True, eq=False)
class _DemandLegs:
    """Each on-network demand point's piece and its times to the piece's two ends."""

    idx: np.ndarray  # demand indices on the network
    p_from: np.ndarray
    p_to: np.ndarray
    to_from: np.ndarray  # access + time to walk to p_from
    to_to: np.ndarray  # access + time to walk to p_to


def _demand_legs(graph: SplitGraph, costs: EdgeCosts, dsnap: Snap) -> _DemandLegs:
    idx = np.flatnonzero(~dsnap.off_network)
    e = dsnap.edge[idx]
    a = np.clip(dsnap.along_m[idx], 0.0, costs.length[e])
    piece = graph.locate(e, a)
    tf_a, tb_a = costs.along(e, a)
    _, tb_0 = costs.along(e, graph.p_a0[piece])
    tf_1, _ = costs.along(e, graph.p_a1[piece])
    access = dsnap.dist_m[idx] / costs.speed_mps
    return _DemandLegs(
        idx=idx,
        p_from=graph.p_from[piece],
        p_to=graph.p_to[piece],
        to_from=access + np.maximum(tb_a - tb_0, 0.0),
        to_to=access + np.maximum(tf_1 - tf_a, 0.0),
    )


def _demand_times(
    graph: SplitGraph,
    costs: EdgeCosts,
    dsnap: Snap,
    split_t: np.ndarray,
    split_f: np.ndarray,
    limit_s: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(dsnap)
    time_s = np.full(n, np.inf)
    fac = np.full(n, -1, dtype=np.int64)
    access = np.full(n, np.inf)
    legs = _demand_legs(graph, costs, dsnap)
    access[legs.idx] = dsnap.dist_m[legs.idx] / costs.speed_mps
    t1 = legs.to_from + split_t[legs.p_from]
    t2 = legs.to_to + split_t[legs.p_to]
    second = t2 < t1
    t = np.where(second, t2, t1)
    f = np.where(second, split_f[legs.p_to], split_f[legs.p_from])
    ok = np.isfinite(t) & (t <= limit_s)
    time_s[legs.idx[ok]] = t[ok]
    fac[legs.idx[ok]] = f[ok]
    return time_s, fac, access


def reach_matrix(
    net: WalkNetwork,
    demand: Points | Snap,
    facilities: Points | Snap,
    *,
    limit_s: float,
    profile: str | WalkProfile = "elderly",
    costs: EdgeCosts | None = None,
    graph: SplitGraph | None = None,
    layers: Layers | None = None,
    **layer_fields: Any,
) -> csr_matrix:
    """Sparse demand × facility matrix of walking seconds, kept up to ``limit_s``.

    Entry ``(i, j)`` is the time from demand point ``i`` to facility ``j`` (access leg
    included, computed as in `service_reach` but from facility ``j`` alone), present only
    when it is at most ``limit_s``. A time of exactly zero is stored as `ZERO_TIME_S` so it
    stays an explicit entry; compare times with ``<=`` against thresholds as usual.

    The searches run per facility on local subgraphs (`routing.per_facility_searches`), so
    the work follows the reached area.

    Parameters
    ----------
    net
        The walk network.
    demand, facilities
        Points or ready `Snap` objects, as in `service_reach`.
    limit_s
        The largest threshold in play, seconds (finite).
    profile
        Walking profile (ignored when ``costs`` is given).
    costs
        Precomputed `EdgeCosts`; default flat times for ``profile``.
    graph
        A split graph built for the same facilities and costs (e.g. `ServiceReach.graph`),
        to skip rebuilding it.
    layers
        The snapping limit and the layers' names for `check_on_network`, as in
        `service_reach`; ``facilities_what`` says what the columns are (``facilities`` or
        ``candidates``).
    **layer_fields
        The fields of `Layers` as keywords (``max_snap_m``, ``demand_where``,
        ``facilities_where``, ``facilities_what``), instead of ``layers``.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape ``(n_demand, n_facilities)``, float64 seconds.
    """
    lay = layers_from(layers, layer_fields)
    if not np.isfinite(limit_s) or limit_s <= 0:
        raise InputError("reach.matrix_limit", limit=repr(limit_s))
    if costs is None:
        costs = edge_costs(net, get_profile(profile))
    dsnap, fsnap = _snap_layers(net, demand, facilities, lay)
    if graph is None:
        graph = build_split_graph(net, costs, fsnap)
    elif len(graph.fac_node) != len(fsnap):
        raise ValueError("the split graph was built for other facilities; leave graph out to rebuild it")
    inc = _Incidence.of(_demand_legs(graph, costs, dsnap), graph.n_total)
    n_f = len(fsnap)
    blocks = [
        _block_entries(inc, fac, nodes, dist, limit_s, n_f)
        for fac, nodes, dist in per_facility_searches(graph, net, costs, limit_s)
    ]
    return _csr(blocks, len(dsnap), n_f)


@dataclass(frozen=True, eq=False)
class _Incidence:
    """Node → (demand point, leg time) pairs, both piece ends of every on-network demand point.

    The pairs of node ``g`` are ``dem[ptr[g]:ptr[g + 1]]`` and ``cost[ptr[g]:ptr[g + 1]]``.
    """

    ptr: np.ndarray
    dem: np.ndarray
    cost: np.ndarray

    @classmethod
    def of(cls, legs: _DemandLegs, n_total: int) -> _Incidence:
        node = np.concatenate([legs.p_from, legs.p_to])
        dem = np.concatenate([legs.idx, legs.idx])
        cost = np.concatenate([legs.to_from, legs.to_to])
        o = np.argsort(node, kind="stable")
        ptr = np.zeros(n_total + 1, dtype=np.int64)
        np.cumsum(np.bincount(node[o], minlength=n_total), out=ptr[1:])
        return cls(ptr=ptr, dem=dem[o], cost=cost[o])


def _block_entries(
    inc: _Incidence, fac: np.ndarray, nodes: np.ndarray, dist: np.ndarray, limit_s: float, n_f: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Matrix entries of one block of per-facility searches: (demand, facility, seconds).

    ``dist[r, c]`` is the time from facility ``fac[r]`` to node ``nodes[c]``; each reached node
    passes it on to the demand points whose piece ends there, plus their leg. Each pair keeps
    its shortest time within ``limit_s``; None when the block reaches nobody.
    """
    r, c = np.nonzero(np.isfinite(dist))
    g = nodes[c]
    cnt = inc.ptr[g + 1] - inc.ptr[g]
    has = cnt > 0
    r, g, cnt, d = r[has], g[has], cnt[has], dist[r[has], c[has]]
    if len(r) == 0:
        return None
    rep = np.repeat(np.arange(len(r)), cnt)
    start = np.repeat(inc.ptr[g] - np.cumsum(np.r_[0, cnt[:-1]]), cnt)
    j = start + np.arange(len(rep))
    t = d[rep] + inc.cost[j]
    ok = t <= limit_s
    t, dem, fi = t[ok], inc.dem[j][ok], fac[r[rep]][ok]
    if len(t) == 0:
        return None
    key = dem * n_f + fi
    o = np.lexsort((t, key))
    key, t = key[o], t[o]
    first = np.r_[True, key[1:] != key[:-1]]
    return key[first] // n_f, key[first] % n_f, t[first]


def _csr(blocks: list, n_d: int, n_f: int) -> csr_matrix:
    """The blocks' entries as one canonical CSR matrix; zero times stored as `ZERO_TIME_S`."""
    got = [b for b in blocks if b is not None]
    if got:
        rows, cols, vals = (np.concatenate(parts) for parts in zip(*got, strict=True))
    else:
        rows = cols = np.zeros(0, dtype=np.int64)
        vals = np.zeros(0)
    vals = np.where(vals == 0.0, ZERO_TIME_S, vals)
    o = np.lexsort((cols, rows))
    rows, cols, vals = rows[o], cols[o], vals[o]
    indptr = np.zeros(n_d + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_d), out=indptr[1:])
    return csr_matrix((vals, cols, indptr), shape=(n_d, n_f))


def demand_thresholds(urban: np.ndarray, *, urban_min: float, rural_min: float) -> np.ndarray:
    """Walking threshold in seconds for every demand point: urban or rural minutes.

    The minutes are policy and come from the presets (``presets/policy.yaml``: elderly care 15
    urban / 20 rural, 000 Table 1 no. 2; childcare one radius, an assumption; a jurisdiction's
    own, e.g. Yuzhong 10, 001 task 8); the engine only applies them.

    Parameters
    ----------
    urban
        True for urban demand points (streets and communities), False for rural ones (towns,
        townships and villages).
    urban_min, rural_min
        Minutes for urban and rural points (equal for a service with one radius).

    Returns
    -------
    numpy.ndarray
        Seconds, one per demand point.
    """
    urban = np.asarray(urban)
    if urban.dtype != bool:
        if urban.dtype == object and any(v is None or v != v for v in urban):
            raise InputError("reach.urban_missing")
        urban = urban.astype(bool)
    return np.where(urban, float(urban_min), float(rural_min)) * 60.0
