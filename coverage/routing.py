"""The directed search graph: edges split at facility snap points, reversed, as a scipy CSR matrix."""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra

if TYPE_CHECKING:
    from ..geodata.network import WalkNetwork
    from .profiles import EdgeCosts
    from .snapping import Snap


_BASE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
#: Largest facilities × nodes block of times one batched search returns (8 bytes each).
_MAX_DIST_ENTRIES = 5_000_000


@dataclass(frozen=True, eq=False)
class SplitGraph:
    """The network with every facility's snap point inserted as a virtual node.

    An edge carrying ``k`` facilities becomes ``k + 1`` pieces; other edges are one piece each.
    Nodes ``0 … n_nodes − 1`` are the network's; node ``n_nodes + i`` is the ``i``-th facility
    in order of (edge, distance along it).

    Attributes
    ----------
    n_nodes
        Nodes of the network.
    n_total
        Nodes including the virtual ones.
    p_edge, p_a0, p_a1
        Each piece's network edge and its start and end, metres along the edge from ``u``.
    p_from, p_to
        Each piece's end nodes (at ``p_a0`` and ``p_a1``).
    p_tf, p_tb
        Seconds to walk each piece from ``p_from`` to ``p_to`` and back.
    rev
        CSR adjacency of the reversed directed graph: entry ``(b, a)`` is the time to walk
        from ``a`` to ``b``, so a search from facilities gives every node its time *to* them.
        Parallel arcs keep their minimum. Split edges keep their whole-edge arcs beside
        their pieces (same time as the chain of pieces, so shortest paths are unchanged).
        Node ``n_total + i`` is the door of the ``i``-th facility: its one arc leads to the
        facility's virtual node and takes `fac_access_s` (the walk from the street to the
        facility), so searches start at the doors.
    fac_access_s
        Seconds from each facility's snapped street position to the facility itself (its
        snap distance at the profile's flat speed), in virtual-node order.
    fac_node
        Virtual node of each facility of the input (``-1`` for facilities off the network).
    node_fac
        Facility index (into the input) of each virtual node.
    edge_piece
        Piece of each network edge that has no facility on it, ``-1`` for split edges.
    split_key
        For pieces of split edges, sorted global keys ``e_off[edge] + a0`` used to find the
        piece holding a point.
    split_piece
        Piece index behind each ``split_key``.
    e_off
        Global offset of each edge (cumulative length plus a gap), for the keys above.
    vx, vy
        Coordinates of the virtual nodes.
    """

    n_nodes: int
    n_total: int
    p_edge: np.ndarray
    p_a0: np.ndarray
    p_a1: np.ndarray
    p_from: np.ndarray
    p_to: np.ndarray
    p_tf: np.ndarray
    p_tb: np.ndarray
    rev: csr_matrix
    fac_node: np.ndarray
    node_fac: np.ndarray
    edge_piece: np.ndarray
    split_key: np.ndarray
    split_piece: np.ndarray
    e_off: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    fac_access_s: np.ndarray

    @property
    def n_facilities_on_network(self) -> int:
        """Number of facilities inserted."""
        return len(self.node_fac)

    def locate(self, edge: np.ndarray, along: np.ndarray) -> np.ndarray:
        """Piece holding each point ``along`` metres on network ``edge`` (``edge >= 0``)."""
        edge = np.asarray(edge, dtype=np.int64)
        piece = self.edge_piece[edge]
        split = piece < 0
        if split.any():
            key = self.e_off[edge[split]] + along[split]
            j = np.searchsorted(self.split_key, key, side="right") - 1
            piece[split] = self.split_piece[np.clip(j, 0, len(self.split_piece) - 1)]
        return piece


def build_split_graph(net: WalkNetwork, costs: EdgeCosts, facilities: Snap) -> SplitGraph:
    """Split the edges at the facilities' snap points and build the reversed search graph.

    Parameters
    ----------
    net
        The walk network.
    costs
        Directed edge times (`lifecircle.coverage.profiles.edge_costs`).
    facilities
        Facility snaps (`lifecircle.coverage.snapping.snap_points`); off-network ones are left out.

    Returns
    -------
    SplitGraph
    """
    n, m = net.n_nodes, net.n_edges
    on = np.flatnonzero(~facilities.off_network)
    fe = facilities.edge[on]
    fa = np.clip(facilities.along_m[on], 0.0, net.length[fe])
    order = np.lexsort((fa, fe))
    on, fe, fa = on[order], fe[order], fa[order]
    k = len(on)
    fac_node = np.full(len(facilities), -1, dtype=np.int64)
    fac_node[on] = n + np.arange(k)
    has_fac = np.zeros(m, dtype=bool)
    has_fac[fe] = True
    plain = np.flatnonzero(~has_fac)
    edge_piece = np.full(m, -1, dtype=np.int64)
    edge_piece[plain] = np.arange(len(plain))
    split = _split_pieces(net, costs, fe, fa, np.flatnonzero(has_fac))
    e_off = np.concatenate([[0.0], np.cumsum(net.length + 1.0)[:-1]])
    # the walk from the street to each facility, at the flat speed (like a home's access leg)
    access = facilities.dist_m[on] / costs.speed_mps
    if k:
        vpts = shapely.line_interpolate_point(net.geometry[fe], fa)
        vx, vy = shapely.get_x(vpts), shapely.get_y(vpts)
    else:
        vx = vy = np.zeros(0)
    return SplitGraph(
        n_nodes=n,
        n_total=n + k,
        p_edge=np.concatenate([plain, split.edge]),
        p_a0=np.concatenate([np.zeros(len(plain)), split.a0]),
        p_a1=np.concatenate([net.length[plain], split.a1]),
        p_from=np.concatenate([net.u[plain], split.p_from]),
        p_to=np.concatenate([net.v[plain], split.p_to]),
        p_tf=np.concatenate([costs.t_fwd[plain], split.tf]),
        p_tb=np.concatenate([costs.t_back[plain], split.tb]),
        rev=_search_graph(net, costs, split, access),
        fac_node=fac_node,
        node_fac=on,
        edge_piece=edge_piece,
        split_key=e_off[split.edge] + split.a0,
        split_piece=len(plain) + np.arange(len(split.edge)),
        e_off=e_off,
        vx=np.asarray(vx),
        vy=np.asarray(vy),
        fac_access_s=np.asarray(access, dtype=np.float64),
    )


@dataclass(frozen=True, eq=False)
class _Pieces:
    """The pieces of the edges that carry facilities: edge, ends along it, end nodes, times."""

    edge: np.ndarray
    a0: np.ndarray
    a1: np.ndarray
    p_from: np.ndarray
    p_to: np.ndarray
    tf: np.ndarray
    tb: np.ndarray


def _split_pieces(
    net: WalkNetwork, costs: EdgeCosts, fe: np.ndarray, fa: np.ndarray, split_edges: np.ndarray
) -> _Pieces:
    """Cut each edge of ``split_edges`` at its facilities (edge ``fe``, ``fa`` metres along, sorted).

    The breakpoints of an edge are ``u``, its facilities (virtual nodes ``n_nodes + i`` in
    order) and ``v``; consecutive breakpoints bound a piece.
    """
    n, k = net.n_nodes, len(fe)
    bp_edge = np.concatenate([split_edges, fe, split_edges])
    bp_a = np.concatenate([np.zeros(len(split_edges)), fa, net.length[split_edges]])
    bp_kind = np.concatenate([np.zeros(len(split_edges)), np.ones(k), np.full(len(split_edges), 2.0)])
    bp_node = np.concatenate([net.u[split_edges], n + np.arange(k), net.v[split_edges]])
    o = np.lexsort((bp_kind, bp_a, bp_edge))
    bp_edge, bp_a, bp_kind, bp_node = bp_edge[o], bp_a[o], bp_kind[o], bp_node[o]
    starts = np.flatnonzero(bp_kind != 2)
    edge, a0, a1 = bp_edge[starts], bp_a[starts], bp_a[starts + 1]
    tf0, tb0 = costs.along(edge, a0)
    tf1, tb1 = costs.along(edge, a1)
    return _Pieces(
        edge=edge,
        a0=a0,
        a1=a1,
        p_from=bp_node[starts],
        p_to=bp_node[starts + 1],
        tf=np.maximum(tf1 - tf0, 0.0),
        tb=np.maximum(tb1 - tb0, 0.0),
    )


def _search_graph(net: WalkNetwork, costs: EdgeCosts, split: _Pieces, access: np.ndarray) -> csr_matrix:
    """The reversed search graph: the network's arcs, the split pieces' arcs and the doors' arcs.

    The network's own arcs are cached per costs; a split edge keeps its whole-edge arcs too,
    which is harmless: they take exactly as long as the chain of pieces they stand for. Then
    one arc from each facility's door (node ``n_total + i``) to its virtual node, taking its
    ``access`` seconds.
    """
    n, k = net.n_nodes, len(access)
    n_total = n + k
    doors = n_total + np.arange(k)
    extra = _csr_min(
        rows=np.concatenate([split.p_to, split.p_from, doors]),
        cols=np.concatenate([split.p_from, split.p_to, n + np.arange(k)]),
        w=np.concatenate([split.tf, split.tb, access]),
        n=n_total + k,
    )
    return _splice(base_graph(net, costs), extra)


def base_graph(net: WalkNetwork, costs: EdgeCosts) -> csr_matrix:
    """The reversed directed graph of the network's own edges (built once per `EdgeCosts`).

    Entry ``(v, u)`` is the time to walk edge ``u → v``; parallel edges keep their minimum,
    self-loops are dropped.
    """
    got = _BASE.get(costs)
    if got is None:
        got = _csr_min(
            rows=np.concatenate([net.v, net.u]),
            cols=np.concatenate([net.u, net.v]),
            w=np.concatenate([costs.t_fwd, costs.t_back]),
            n=net.n_nodes,
        )
        _BASE[costs] = got
    return got


def _csr_min(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, n: int) -> csr_matrix:
    """Canonical CSR matrix of arcs keeping the minimum over parallel arcs, without self-loops.

    Building CSR from COO *sums* parallel arcs, so where any were summed their entries are
    replaced by the minimum. Zero weights stay explicit entries, which
    scipy.sparse.csgraph treats as arcs of length zero.
    """
    keep = rows != cols
    rows, cols, w = rows[keep].astype(np.int64), cols[keep].astype(np.int64), w[keep].astype(np.float64)
    # placeholder weights of 1 so that zero-time arcs survive the conversion as entries
    m = coo_matrix((np.ones(len(w)), (rows, cols)), shape=(n, n)).tocsr()
    m.sort_indices()
    row_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(m.indptr))
    key_m = row_of * n + m.indices
    key = rows * n + cols
    pos = np.searchsorted(key_m, key)
    data = np.full(m.nnz, np.inf)
    if m.nnz < len(w):
        np.minimum.at(data, pos, w)  # parallel arcs: keep the quickest
    else:
        data[pos] = w
    idx_dtype = np.int32 if n < 2**31 - 1 and m.nnz < 2**31 - 1 else np.int64
    return csr_matrix((data, m.indices.astype(idx_dtype), m.indptr.astype(idx_dtype)), shape=(n, n))


def _splice(base: csr_matrix, extra: csr_matrix) -> csr_matrix:
    """Sum of two CSR graphs with no arc in common; ``base`` is padded to ``extra``'s size."""
    n_total = extra.shape[0]
    nb = base.shape[0]
    cb = np.zeros(n_total, dtype=np.int64)
    cb[:nb] = np.diff(base.indptr)
    ce = np.diff(extra.indptr).astype(np.int64)
    indptr = np.zeros(n_total + 1, dtype=np.int64)
    np.cumsum(cb + ce, out=indptr[1:])
    nnz = int(indptr[-1])
    idx_dtype = np.int32 if n_total < 2**31 - 1 and nnz < 2**31 - 1 else np.int64
    indices = np.empty(nnz, dtype=idx_dtype)
    data = np.empty(nnz)
    shift_b = np.repeat(indptr[:nb] - base.indptr[:nb], cb[:nb])
    pos_b = np.arange(base.nnz) + shift_b
    indices[pos_b] = base.indices
    data[pos_b] = base.data
    shift_e = np.repeat(indptr[:-1] + cb - extra.indptr[:-1], ce)
    pos_e = np.arange(extra.nnz) + shift_e
    indices[pos_e] = extra.indices
    data[pos_e] = extra.data
    return csr_matrix((data, indices, indptr.astype(idx_dtype)), shape=(n_total, n_total))


def region_network(
    net: WalkNetwork, bounds: tuple[float, float, float, float], buffer_m: float
) -> tuple[WalkNetwork, np.ndarray]:
    """The part of the network needed for exact reach inside a region (partitioned runs).

    Keeps every edge with an end within ``buffer_m`` of the box ``bounds``
    ``(minx, miny, maxx, maxy)`` (network CRS). With ``buffer_m ≥ limit_s · max_speed`` and
    points snapped on the whole network first (then moved with `Snap.on_subnetwork`), times up
    to ``limit_s`` for demand points inside the box equal those on the whole network: no
    walk of ``limit_s`` seconds leaves a disc of radius ``limit_s · max_speed``.

    Returns
    -------
    part
        The sub-network (nodes renumbered, edges in their original order and orientation).
    edge_map
        Index in ``part`` of every edge of ``net``, ``-1`` for edges left out.
    """
    from dataclasses import replace

    minx, miny, maxx, maxy = bounds
    inside = (
        (net.x >= minx - buffer_m)
        & (net.x <= maxx + buffer_m)
        & (net.y >= miny - buffer_m)
        & (net.y <= maxy + buffer_m)
    )
    keep_e = inside[net.u] | inside[net.v]
    keep_n = np.zeros(net.n_nodes, dtype=bool)
    keep_n[net.u[keep_e]] = True
    keep_n[net.v[keep_e]] = True
    new_node = np.cumsum(keep_n) - 1
    edge_map = np.where(keep_e, np.cumsum(keep_e) - 1, -1)
    part = replace(
        net,
        x=net.x[keep_n],
        y=net.y[keep_n],
        u=new_node[net.u[keep_e]],
        v=new_node[net.v[keep_e]],
        length=net.length[keep_e],
        highway=net.highway[keep_e],
        geometry=net.geometry[keep_e],
        way_id=net.way_id[keep_e],
        name=net.name[keep_e] if len(net.name) == net.n_edges else net.name,
        source=f"{net.source} (region {bounds}, buffer {buffer_m:g} m)",
    )
    return part, edge_map


def nearest_facility(graph: SplitGraph, limit_s: float = np.inf) -> tuple[np.ndarray, np.ndarray]:
    """One multi-source search: every node's time to its nearest facility, and which.

    Returns
    -------
    time_s
        Seconds from each node (network and virtual) to the nearest facility, ``inf`` beyond
        ``limit_s`` or unreachable.
    facility
        Index (into the facility input) of that facility, ``-1`` where unreached.
    """
    if graph.n_facilities_on_network == 0:
        return np.full(graph.n_total, np.inf), np.full(graph.n_total, -1, dtype=np.int64)
    sources = graph.n_total + np.arange(graph.n_facilities_on_network)  # the facilities' doors
    dist, _, src = dijkstra(
        graph.rev, directed=True, indices=sources, limit=limit_s, min_only=True, return_predecessors=True
    )
    dist, src = dist[: graph.n_total], src[: graph.n_total]
    fac = np.full(graph.n_total, -1, dtype=np.int64)
    ok = src >= 0
    fac[ok] = graph.node_fac[src[ok] - graph.n_total]
    return dist, fac


def node_xy(graph: SplitGraph, net: WalkNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of all nodes of the split graph (network nodes, then virtual ones)."""
    return np.concatenate([net.x, graph.vx]), np.concatenate([net.y, graph.vy])


def max_speed(graph: SplitGraph, costs: EdgeCosts) -> float:
    """Largest average speed over any piece in either direction (m/s).

    No walk of ``t`` seconds along the network ends farther than ``t · max_speed`` in a
    straight line from where it began, which bounds every limited search to a disc.
    """
    length = graph.p_a1 - graph.p_a0
    t = np.minimum(graph.p_tf, graph.p_tb)
    pos = length > 0
    if not pos.any():
        return costs.speed_mps
    with np.errstate(divide="ignore"):
        v = np.where(t[pos] > 0, length[pos] / t[pos], np.inf)
    return float(max(v.max(), costs.speed_mps))


def per_facility_searches(
    graph: SplitGraph,
    net: WalkNetwork,
    costs: EdgeCosts,
    limit_s: float,
    facilities: np.ndarray | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Limited searches from each facility separately, on local subgraphs, tile by tile.

    Facilities are grouped into square tiles of side ``S ≥ R``, where ``R = limit_s ·
    max_speed`` bounds how far a limited search can go. For each tile only the nodes within
    ``R`` of the tile are kept and one batched `scipy.sparse.csgraph.dijkstra` call runs from
    the tile's facilities, so the work follows the reached area, not facilities × network.
    The results are exact: every node a search reaches lies within ``R`` of its source.

    Parameters
    ----------
    graph
        The split search graph.
    net
        The network (node coordinates).
    costs
        The directed edge times the graph was built with.
    limit_s
        Search limit, seconds (finite).
    facilities
        Indices (into the facility input) to search from; default all on the network.

    Yields
    ------
    fac
        Facility indices of the tile (rows of ``dist``).
    nodes
        Global node ids (split graph) of the subgraph (columns of ``dist``).
    dist
        Seconds from each node to each facility, ``inf`` beyond ``limit_s``.
    """
    if not np.isfinite(limit_s):
        raise ValueError("per-facility searches need a finite limit")
    if facilities is None:
        fac = graph.node_fac
    else:
        fac = np.asarray(facilities, dtype=np.int64)
        fac = fac[graph.fac_node[fac] >= 0]
    if len(fac) == 0:
        return
    radius = limit_s * max_speed(graph, costs) + 1e-6
    local = np.full(graph.n_total, -1, dtype=np.int64)
    for tile_fac, fnode, nodes in _tiles(graph, net, fac, radius):
        subg = _subgraph(graph.rev, nodes, local)
        src = np.searchsorted(nodes, fnode)  # each facility's node is among the tile's nodes
        # many facilities in one tile (candidate sites) are searched in batches to bound memory
        step = max(1, _MAX_DIST_ENTRIES // max(len(nodes), 1))
        tile_access = graph.fac_access_s[fnode - graph.n_nodes]
        for s0 in range(0, len(src), step):
            dist = dijkstra(subg, directed=True, indices=src[s0 : s0 + step], limit=limit_s)
            # add the walk from the street to the facility; what it pushes past the limit drops
            dist = np.atleast_2d(dist) + tile_access[s0 : s0 + step, None]
            dist[dist > limit_s] = np.inf
            yield tile_fac[s0 : s0 + step], nodes, dist


def _tiles(
    graph: SplitGraph, net: WalkNetwork, fac: np.ndarray, radius: float
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Facilities grouped by square tiles of side ``2·radius``, with the nodes a search can reach.

    Yields, per tile, its facilities (indices into the facility input), their virtual nodes
    and the sorted nodes within ``radius`` of the box around them (taken from the tile and
    its eight neighbours).
    """
    cell = max(radius, 2.0 * radius)
    xs, ys = node_xy(graph, net)
    x0, y0 = float(xs.min()), float(ys.min())
    cx = np.floor((xs - x0) / cell).astype(np.int64)
    cy = np.floor((ys - y0) / cell).astype(np.int64)
    ny = int(cy.max()) + 3
    cid = (cx + 1) * ny + (cy + 1)
    node_order = np.argsort(cid, kind="stable")
    cid_sorted = cid[node_order]
    fnode = graph.fac_node[fac]
    fcid = cid[fnode]
    forder = np.argsort(fcid, kind="stable")
    fac, fnode, fcid = fac[forder], fnode[forder], fcid[forder]
    bounds = np.flatnonzero(np.r_[True, fcid[1:] != fcid[:-1], True])
    offsets = np.array([dx * ny + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1)])
    for b0, b1 in itertools.pairwise(bounds):
        want = fcid[b0] + offsets
        lo = np.searchsorted(cid_sorted, want, side="left")
        hi = np.searchsorted(cid_sorted, want, side="right")
        nodes = np.concatenate([node_order[a:z] for a, z in zip(lo, hi, strict=False)])
        fx, fy = xs[fnode[b0:b1]], ys[fnode[b0:b1]]
        near = (
            (xs[nodes] >= fx.min() - radius)
            & (xs[nodes] <= fx.max() + radius)
            & (ys[nodes] >= fy.min() - radius)
            & (ys[nodes] <= fy.max() + radius)
        )
        yield fac[b0:b1], fnode[b0:b1], np.sort(nodes[near])


def _subgraph(rev: csr_matrix, nodes: np.ndarray, local: np.ndarray) -> csr_matrix:
    """The arcs of ``rev`` among ``nodes`` (sorted), renumbered ``0 … len(nodes) − 1``.

    ``local`` is a scratch array of ``-1`` over all nodes, left as it was found.
    """
    local[nodes] = np.arange(len(nodes))
    sub = rev[nodes]
    cols = local[sub.indices]
    local[nodes] = -1
    keep = cols >= 0
    row_of = np.repeat(np.arange(len(nodes)), np.diff(sub.indptr))
    rr, cc, ww = row_of[keep], cols[keep], sub.data[keep]
    indptr = np.zeros(len(nodes) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rr, minlength=len(nodes)), out=indptr[1:])
    return csr_matrix((ww, cc, indptr), shape=(len(nodes), len(nodes)))
