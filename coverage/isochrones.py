"""Isochrone polygons holding every reached part of every edge (cut at the reach point), buffered.

Two ways to draw the buffers' union: ``union`` dissolves the buffers with GEOS (the exact
buffer; district scale), ``contour`` traces it by marching squares on a distance grid
(`_contours`; city scale, within about a cell of the exact buffer). Both keep 100% of the reached
length inside, and report it.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geodata.common import InputError
from ._contours import CELLS_PER_WIDTH, contour_group, ranges
from ._threads import thread_map
from .reach import TIERS_MIN, ServiceReach
from .routing import SplitGraph, per_facility_searches

if TYPE_CHECKING:
    from ..geodata.network import WalkNetwork
    from .profiles import EdgeCosts

#: Default access width, metres: how far either side of a reached street a place counts as
#: reached on the map (the polygons are drawn, coverage numbers never come from them).
ACCESS_WIDTH_M = 50.0

_VERTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_MERGE_TILE_M = 5000.0
#: ``method="auto"`` traces contours once one polygon gathers this many reached pieces. Below it
#: the GEOS union takes a few tenths of a second and gives the exact buffer; above it the union
#: grows faster than linearly (Yuzhong's 3,049 pieces 0.56 s, São Paulo's 9,322 pieces 1.25 s)
#: while the contours take 0.1 s, about 2 % larger in area (within one grid cell of the buffer).
CONTOUR_FROM = 2_500

COLUMNS = (
    "service",
    "minutes",
    "threshold_s",
    "facility",
    "area_m2",
    "reached_length_m",
    "inside_share",
)


def reached_intervals(
    graph: SplitGraph,
    costs: EdgeCosts,
    time_from: np.ndarray,
    time_to: np.ndarray,
    threshold_s: float | np.ndarray,
    pieces: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The parts of pieces reached within a threshold, as intervals along network edges.

    A point at distance ``a`` on a piece ``p → q`` (ends ``a0``, ``a1`` on edge ``e``) is
    reached when ``Tb(a) − Tb(a0) + T[p] ≤ τ`` or ``Tf(a1) − Tf(a) + T[q] ≤ τ``: the reached
    set is ``[a0, x1] ∪ [x2, a1]`` with ``x1 = Tb⁻¹(Tb(a0) + τ − T[p])`` and
    ``x2 = Tf⁻¹(Tf(a1) − τ + T[q])``, merged into the whole piece when they meet.

    Parameters
    ----------
    graph
        The split search graph.
    costs
        The directed edge times the graph was built with.
    time_from, time_to
        Node times at each piece's ends (aligned with ``pieces``).
    threshold_s
        Scalar or one per piece.
    pieces
        Piece indices (default all).

    Returns
    -------
    row, edge, start, end
        For each reached interval: its position in ``pieces``, the network edge and the
        interval ``[start, end]`` in metres from the edge's ``u`` (``start < end``).
    """
    if pieces is None:
        pieces = np.arange(len(graph.p_edge))
    e = graph.p_edge[pieces]
    a0, a1 = graph.p_a0[pieces], graph.p_a1[pieces]
    tau = np.broadcast_to(np.asarray(threshold_s, dtype=np.float64), e.shape)
    rf = time_from <= tau
    rt = time_to <= tau
    any_r = rf | rt
    idx = np.flatnonzero(any_r)
    e, a0, a1, tau = e[idx], a0[idx], a1[idx], tau[idx]
    tf_, tt_ = time_from[idx], time_to[idx]
    rf, rt = rf[idx], rt[idx]
    _, tb0 = costs.along(e, a0)
    tf1, _ = costs.along(e, a1)
    with np.errstate(invalid="ignore"):
        x1 = np.where(rf, np.minimum(costs.distance_at_tb(e, tb0 + np.where(rf, tau - tf_, 0.0)), a1), a0)
        x2 = np.where(rt, np.maximum(costs.distance_at_tf(e, tf1 - np.where(rt, tau - tt_, 0.0)), a0), a1)
    whole = rf & rt & (x1 >= x2)
    first = rf & ~whole
    second = rt & ~whole
    row = np.concatenate([idx[whole], idx[first], idx[second]])
    edge = np.concatenate([e[whole], e[first], e[second]])
    start = np.concatenate([a0[whole], a0[first], x2[second]])
    end = np.concatenate([a1[whole], x1[first], a1[second]])
    pos = end > start
    return row[pos], edge[pos], start[pos], end[pos]


def _vertices(net: WalkNetwork) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Edge vertices with global positions (edge offset + distance along), built once per network."""
    got = _VERTS.get(net)
    if got is None:
        coords, edge = shapely.get_coordinates(net.geometry, return_index=True)
        d = np.zeros(len(coords))
        d[1:] = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
        first = np.r_[True, edge[1:] != edge[:-1]]
        d[first] = 0.0
        c = np.cumsum(d)
        fi = np.flatnonzero(first)
        along = c - np.repeat(c[fi], np.diff(np.r_[fi, len(edge)]))
        e_off = np.concatenate([[0.0], np.cumsum(net.length + 1.0)[:-1]])
        last_along = np.zeros(net.n_edges)
        li = np.r_[fi[1:] - 1, len(edge) - 1]
        last_along[edge[li]] = along[li]
        got = (coords, e_off[edge] + along, e_off, last_along)
        _VERTS[net] = got
    return got


def substrings(net: WalkNetwork, edge: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """The parts of edge geometries between ``start`` and ``end`` metres from ``u`` (vectorized).

    Each result runs through the edge's own vertices between the two cut points, so it lies
    exactly on the edge.
    """
    return _lines(*_substring_coords(net, edge, start, end))


def _substring_coords(
    net: WalkNetwork, edge: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of `substrings`, concatenated, and the number of vertices of each part."""
    if len(edge) == 0:
        return np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
    coords, gpos, e_off, last_along = _vertices(net)
    s = np.clip(start, 0.0, last_along[edge])
    t = np.clip(end, 0.0, last_along[edge])
    gs, gt = e_off[edge] + s, e_off[edge] + t
    i0 = np.searchsorted(gpos, gs, side="right")
    i1 = np.searchsorted(gpos, gt, side="left")
    inner = np.maximum(i1 - i0, 0)
    cnt = inner + 2
    offs = np.r_[0, np.cumsum(cnt)[:-1]]
    out = np.empty((int(cnt.sum()), 2))
    out[offs, 0] = np.interp(gs, gpos, coords[:, 0])
    out[offs, 1] = np.interp(gs, gpos, coords[:, 1])
    last = offs + cnt - 1
    out[last, 0] = np.interp(gt, gpos, coords[:, 0])
    out[last, 1] = np.interp(gt, gpos, coords[:, 1])
    if inner.sum():
        line = np.repeat(np.arange(len(edge)), inner)
        k = np.arange(int(inner.sum())) - np.repeat(np.r_[0, np.cumsum(inner)[:-1]], inner)
        out[offs[line] + 1 + k] = coords[i0[line] + k]
    return out, cnt


def _lines(xy: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Linestrings from concatenated vertices and vertices per line."""
    if len(count) == 0:
        return np.array([], dtype=object)
    return shapely.linestrings(xy, indices=np.repeat(np.arange(len(count)), count))


def _tiers(minutes: Sequence[float] | None, reach: ServiceReach) -> np.ndarray:
    mins = np.unique(np.asarray(TIERS_MIN if minutes is None else minutes, dtype=np.float64))
    if len(mins) == 0 or np.any(mins <= 0):
        raise InputError("isochrones.bad_tiers")
    if np.any(mins * 60.0 > reach.limit_s + 1e-9):
        raise InputError("isochrones.beyond_limit", minutes=mins.max(), limit=reach.limit_s / 60)
    return mins


@dataclass(frozen=True)
class _Pieces:
    """Reached pieces as concatenated vertices, vertices per piece and the group of each piece."""

    xy: np.ndarray
    count: np.ndarray
    group: np.ndarray

    @classmethod
    def join(cls, xy: list, count: list, group: list) -> _Pieces:
        if not count:
            return cls(np.zeros((0, 2)), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        return cls(np.concatenate(xy), np.concatenate(count), np.concatenate(group).astype(np.int64))


def _choose(method: str, pieces: _Pieces) -> str:
    """The polygon method: ``auto`` traces contours once one group has `CONTOUR_FROM` pieces."""
    if method not in ("auto", "union", "contour"):
        raise ValueError(f"method must be 'auto', 'union' or 'contour', not {method!r}")
    if method != "auto":
        return method
    largest = np.bincount(pieces.group).max() if len(pieces.group) else 0
    return "contour" if largest >= CONTOUR_FROM else "union"


def _polygons(pieces: _Pieces, n_groups: int, tiers: int, width_m: float, quad_segs: int, method: str):
    """Each group's polygon, reached length and length inside, by the chosen method.

    Groups run ``owner × tiers + tier``, tiers ascending.
    """
    if _choose(method, pieces) == "contour":
        return _contour_polygons(pieces, n_groups, width_m, tiers)
    return _union_polygons(_lines(pieces.xy, pieces.count), pieces.group, n_groups, width_m, quad_segs)


def _contour_polygons(pieces: _Pieces, n_groups: int, width_m: float, tiers: int):
    """Marching-squares polygons per group (`_contours.contour_group`), each tier holding the one below."""
    polys = np.full(n_groups, None, dtype=object)
    length = np.zeros(n_groups)
    inside = np.zeros(n_groups)
    if len(pieces.count) == 0:
        return polys, length, inside
    o = np.argsort(pieces.group, kind="stable")
    ends = np.r_[0, np.cumsum(pieces.count)]
    count, group = pieces.count[o], pieces.group[o]
    xy = pieces.xy[ranges(ends[o], ends[o + 1])]
    vend = np.r_[0, np.cumsum(count)]
    present, first = np.unique(group, return_index=True)
    last = np.r_[first[1:], len(group)]
    cell = width_m / CELLS_PER_WIDTH
    marked, prev = None, -1
    for gid, p0, p1 in zip(present, first, last, strict=True):
        inner = marked if gid % tiers and prev == gid - 1 else None
        poly, ln, ins, marked = contour_group(xy[vend[p0] : vend[p1]], count[p0:p1], width_m, cell, inner)
        polys[gid], length[gid], inside[gid], prev = poly, ln.sum(), ins.sum(), gid
    return polys, length, inside


def _union_polygons(lines: np.ndarray, group: np.ndarray, n_groups: int, width_m: float, quad_segs: int):
    """Dissolved buffers of the lines of each group, and each group's reached and inside length."""
    polys = np.full(n_groups, None, dtype=object)
    length = np.zeros(n_groups)
    inside = np.zeros(n_groups)
    if len(lines) == 0:
        return polys, length, inside
    o = np.argsort(group, kind="stable")
    lines, group = lines[o], group[o]
    chains, chain_group = _chains(lines, group)
    # buffering each chain and dissolving by cascaded union is far faster in GEOS than
    # buffering one MultiLineString, and gives the same polygon (buffer distributes over union)
    # GEOS runs outside the GIL: the buffers in two halves and the groups' unions on two threads
    halves = np.array_split(chains, 2)
    buffers = np.concatenate(thread_map(lambda c: shapely.buffer(c, width_m, quad_segs=quad_segs), halves))
    present, first = np.unique(chain_group, return_index=True)
    parts = np.split(buffers, first[1:])
    polys[present] = thread_map(shapely.union_all, parts, sizes=[len(p) for p in parts])
    length[:] = np.bincount(group, shapely.length(lines), minlength=n_groups)
    # the check runs on the chains: the same linework as the lines, in fewer pieces
    shapely.prepare(polys[present])
    chain_len = shapely.length(chains)
    cov = shapely.covers(polys[chain_group], chains)  # prepared geometry as the first argument
    ins = np.where(cov, chain_len, 0.0)
    if (~cov).any():
        nc = np.flatnonzero(~cov)
        ins[nc] = shapely.length(shapely.intersection(chains[nc], polys[chain_group[nc]]))
    inside[:] = np.bincount(chain_group, ins, minlength=n_groups)
    return polys, length, inside


def _chains(lines: np.ndarray, group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Join the lines of each group into longer chains wherever two meet end to end.

    Lines are split into mostly east–west and mostly north–south ones first, so at a street
    crossing the chains run straight through instead of stopping (a node where only two lines
    of a kind meet is joined by `shapely.line_merge`). Fewer, longer lines make the buffers
    and their union much cheaper; the union of the buffers is unchanged. Merging runs per
    5 km tile, which keeps each merge small (chains simply break at tile edges).
    """
    coords = shapely.get_coordinates(lines)
    last = np.cumsum(shapely.get_num_coordinates(lines)) - 1
    start = coords[np.r_[0, last[:-1] + 1]]
    d = coords[last] - start
    tx = np.floor((start[:, 0] - start[:, 0].min()) / _MERGE_TILE_M).astype(np.int64)
    ty = np.floor((start[:, 1] - start[:, 1].min()) / _MERGE_TILE_M).astype(np.int64)
    tile = tx * (int(ty.max()) + 1) + ty
    key = (group * (int(tile.max()) + 1) + tile) * 2 + (np.abs(d[:, 0]) >= np.abs(d[:, 1]))
    o = np.argsort(key, kind="stable")
    _, first, inv = np.unique(key[o], return_index=True, return_inverse=True)
    merged = shapely.line_merge(shapely.multilinestrings(lines[o], indices=inv))
    parts, idx = shapely.get_parts(merged, return_index=True)
    return parts, group[o][first][idx]


def service_isochrones(
    reach: ServiceReach,
    net: WalkNetwork,
    *,
    minutes: Sequence[float] | None = None,
    width_m: float = ACCESS_WIDTH_M,
    quad_segs: int = 8,
    method: str = "auto",
) -> gpd.GeoDataFrame:
    """One polygon per time tier for a whole service, from its single multi-source search.

    Every reached part of every edge (edges reached part-way are cut at the reach point) is
    buffered by ``width_m`` and dissolved; holes are kept. The work is proportional to the
    edges, not to facilities × edges.

    Parameters
    ----------
    reach
        A `ServiceReach` computed with ``limit_s`` at least the largest tier.
    net
        The network the reach was computed on.
    minutes
        Tiers in minutes (default `TIERS_MIN`, 5/10/15/20).
    width_m
        Access width either side of a reached street, metres.
    quad_segs
        Segments per quarter circle of the buffer (``union`` only).
    method
        ``union`` (the exact buffer, dissolved by GEOS), ``contour`` (marching squares on a
        grid of a quarter of the width: within about a cell of the buffer, linear in the city's
        extent) or ``auto`` (``contour`` once a polygon gathers `CONTOUR_FROM` pieces).

    Returns
    -------
    geopandas.GeoDataFrame
        In the network's metric CRS (``net.crs``), one row per tier: ``service``,
        ``minutes``, ``threshold_s``, ``facility`` (−1: all facilities), ``area_m2``,
        ``reached_length_m``, ``inside_share`` (share of the reached length inside the
        polygon, 1.0 by construction) and the geometry (empty when nothing is reached).
    """
    mins = _tiers(minutes, reach)
    g = reach.graph
    t = reach.split_time_s
    tf_, tt_ = t[g.p_from], t[g.p_to]
    xy_l, cnt_l, group_l = [], [], []
    for i, m in enumerate(mins):
        _, edge, s, e = reached_intervals(g, reach.costs, tf_, tt_, m * 60.0)
        xy, cnt = _substring_coords(net, edge, s, e)
        xy_l.append(xy)
        cnt_l.append(cnt)
        group_l.append(np.full(len(edge), i))
    pieces = _Pieces.join(xy_l, cnt_l, group_l)
    polys, length, inside = _polygons(pieces, len(mins), len(mins), width_m, quad_segs, method)
    return _frame(reach.service, mins, np.full(len(mins), -1), polys, length, inside, net)


def facility_isochrones(
    reach: ServiceReach,
    net: WalkNetwork,
    *,
    minutes: Sequence[float] | None = None,
    facilities: Sequence[int] | np.ndarray | None = None,
    width_m: float = ACCESS_WIDTH_M,
    quad_segs: int = 8,
    method: str = "auto",
) -> gpd.GeoDataFrame:
    """One polygon per facility and tier: what each facility alone reaches.

    Runs limited searches per facility on local subgraphs (`routing.per_facility_searches`).

    Parameters
    ----------
    reach
        A `ServiceReach` computed with ``limit_s`` at least the largest tier.
    net
        The network the reach was computed on.
    minutes
        Tiers in minutes (default `TIERS_MIN`).
    facilities
        Facility indices (into the facility input); default all on the network.
    width_m
        Access width either side of a reached street, metres.
    quad_segs
        Segments per quarter circle of the buffer (``union`` only).
    method
        As for `service_isochrones`; ``auto`` decides by the largest (facility, tier) polygon.

    Returns
    -------
    geopandas.GeoDataFrame
        As `service_isochrones`, one row per (facility, tier), in ``net.crs``.
    """
    mins = _tiers(minutes, reach)
    pieces = _facility_pieces(reach, net, mins, facilities)
    n_groups = len(reach.facilities) * len(mins)
    polys, length, inside = _polygons(pieces, n_groups, len(mins), width_m, quad_segs, method)
    wanted = (
        np.flatnonzero(reach.graph.fac_node >= 0)
        if facilities is None
        else np.asarray(facilities, dtype=np.int64)
    )
    sel = (wanted[:, None] * len(mins) + np.arange(len(mins))[None, :]).ravel()
    return _frame(
        reach.service,
        np.tile(mins, len(wanted)),
        np.repeat(wanted, len(mins)),
        polys[sel],
        length[sel],
        inside[sel],
        net,
    )


def _facility_pieces(reach: ServiceReach, net: WalkNetwork, mins: np.ndarray, facilities) -> _Pieces:
    """Reached pieces of each facility's own searches, grouped ``facility × len(mins) + tier``."""
    g = reach.graph
    # node → pieces incidence
    inc_node = np.concatenate([g.p_from, g.p_to])
    inc_piece = np.concatenate([np.arange(len(g.p_edge))] * 2)
    o = np.argsort(inc_node, kind="stable")
    inc_node, inc_piece = inc_node[o], inc_piece[o]
    ptr = np.zeros(g.n_total + 1, dtype=np.int64)
    np.cumsum(np.bincount(inc_node, minlength=g.n_total), out=ptr[1:])
    xy_l, cnt_l, group_l = [], [], []
    for fac, nodes, dist in per_facility_searches(g, net, reach.costs, mins.max() * 60.0, facilities):
        cnt = ptr[nodes + 1] - ptr[nodes]
        j = np.repeat(ptr[nodes] - np.r_[0, np.cumsum(cnt)[:-1]], cnt) + np.arange(int(cnt.sum()))
        pcs = np.unique(inc_piece[j])
        lf = np.searchsorted(nodes, g.p_from[pcs]).clip(max=len(nodes) - 1)
        lt = np.searchsorted(nodes, g.p_to[pcs]).clip(max=len(nodes) - 1)
        okf = nodes[lf] == g.p_from[pcs]
        okt = nodes[lt] == g.p_to[pcs]
        tfrom = np.where(okf, dist[:, lf], np.inf).ravel()  # (k, |pcs|) flattened
        tto = np.where(okt, dist[:, lt], np.inf).ravel()
        all_pcs = np.tile(pcs, len(fac))
        for i, m in enumerate(mins):
            row, edge, s, e = reached_intervals(g, reach.costs, tfrom, tto, m * 60.0, all_pcs)
            xy, n = _substring_coords(net, edge, s, e)
            xy_l.append(xy)
            cnt_l.append(n)
            group_l.append(fac[row // len(pcs)] * len(mins) + i)
    return _Pieces.join(xy_l, cnt_l, group_l)


def _frame(service, mins, facility, polys, length, inside, net) -> gpd.GeoDataFrame:
    polys = np.where(pd.isna(polys), shapely.Polygon(), polys)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(length > 0, inside / np.where(length > 0, length, 1.0), np.nan)
    return gpd.GeoDataFrame(
        {
            "service": service,
            "minutes": mins,
            "threshold_s": mins * 60.0,
            "facility": facility.astype(np.int64),
            "area_m2": shapely.area(polys),
            "reached_length_m": length,
            "inside_share": share,
        },
        geometry=polys,
        crs=net.crs,
    )
