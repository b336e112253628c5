"""Heights from a DEM window along the network, and directed walking times by Tobler's function."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyproj
import shapely

from ..geodata.common import InputError
from ..geodata.dem import DemWindow

if TYPE_CHECKING:
    from ..geodata.network import WalkNetwork

#: Tobler's hiking function at zero grade, km/h: 6·exp(−3.5·0.05).
TOBLER_FLAT_KMH = 6.0 * np.exp(-3.5 * 0.05)


@dataclass(frozen=True, eq=False)
class VertexElevation:
    """Heights at the vertices of every edge geometry, in edge order then along the edge.

    Attributes
    ----------
    x, y
        Vertex coordinates in the network's metric CRS.
    edge
        Edge index of each vertex (non-decreasing).
    z
        Height in metres (0 where missing).
    missing
        True where the DEM gave no height (outside it or nodata); segments touching such a
        vertex are taken as flat.
    source
        Where the heights came from.
    """

    x: np.ndarray
    y: np.ndarray
    edge: np.ndarray
    z: np.ndarray
    missing: np.ndarray
    source: str = ""

    @property
    def share_missing(self) -> float:
        """Share of vertices without a height, 0–1."""
        return float(self.missing.mean()) if len(self.missing) else 0.0


def tobler_kmh(grade: np.ndarray) -> np.ndarray:
    """Tobler's hiking function ``W = 6·exp(−3.5·|g + 0.05|)`` in km/h for grade ``g = dh/dx``."""
    return 6.0 * np.exp(-3.5 * np.abs(np.asarray(grade, dtype=np.float64) + 0.05))


def tobler_factor(grade: np.ndarray) -> np.ndarray:
    """Speed on grade ``g`` relative to flat ground: ``W(g) / W(0)``."""
    return tobler_kmh(grade) / TOBLER_FLAT_KMH


def sample_dem(
    dem: DemWindow,
    net: WalkNetwork,
    *,
    fallback: str | None = None,
    densify_m: float | None = 30.0,
) -> VertexElevation:
    """Heights of a DEM window at the vertices of every edge geometry (bilinear).

    Parameters
    ----------
    dem
        The DEM around the network, as read by `lifecircle.geodata.dem.read_dem`
        (``sample_dem(read_dem(path, net), net)``); coverage reads no file.
    net
        The walk network.
    fallback
        ``None`` (default): a DEM that does not cover every vertex raises `InputError`.
        ``"flat"``: vertices without a height are kept and the segments touching them are
        walked as flat ground.
    densify_m
        Add vertices so no segment is longer than this (metres), so long straight edges
        over a hill see the hill; ``None`` samples the existing vertices only.

    Returns
    -------
    VertexElevation
    """
    if fallback not in (None, "flat"):
        raise ValueError(f"fallback must be None or 'flat', not {fallback!r}")
    if not isinstance(dem, DemWindow):
        raise TypeError("sample_dem takes a DemWindow: read the file with lifecircle.geodata.dem.read_dem")
    geoms = net.geometry
    if densify_m is not None:
        geoms = shapely.segmentize(geoms, densify_m)
    coords, edge = shapely.get_coordinates(geoms, return_index=True)
    tr = pyproj.Transformer.from_crs(net.crs, dem.crs, always_xy=True)
    dx, dy = tr.transform(coords[:, 0], coords[:, 1])
    z, ok = _bilinear(dem, np.asarray(dx), np.asarray(dy))
    missing = ~ok
    if missing.any() and fallback is None:
        raise InputError("dem.not_covering", path=dem.source, share=float(missing.mean()))
    return VertexElevation(
        x=coords[:, 0].copy(),
        y=coords[:, 1].copy(),
        edge=edge.astype(np.int64),
        z=np.where(ok, z, 0.0),
        missing=missing,
        source=dem.source,
    )


def _bilinear(dem: DemWindow, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bilinear heights at ``x, y`` (the DEM's CRS) and a mask of points that got one."""
    vals = dem.array
    h, w = vals.shape
    inv = ~dem.transform
    colf = inv.a * x + inv.b * y + inv.c
    rowf = inv.d * x + inv.e * y + inv.f
    inside = (colf >= 0) & (colf < w) & (rowf >= 0) & (rowf < h)
    inside &= np.isfinite(colf) & np.isfinite(rowf)
    z = np.zeros(len(x))
    if not inside.any():
        return z, inside
    # pixel centres sit at integer + 0.5
    c = colf[inside] - 0.5
    r = rowf[inside] - 0.5
    ci = np.floor(c).astype(np.int64)
    ri = np.floor(r).astype(np.int64)
    fc, fr = c - ci, r - ri
    ci0, ci1 = np.clip(ci, 0, w - 1), np.clip(ci + 1, 0, w - 1)
    ri0, ri1 = np.clip(ri, 0, h - 1), np.clip(ri + 1, 0, h - 1)
    z00, z01 = vals[ri0, ci0], vals[ri0, ci1]
    z10, z11 = vals[ri1, ci0], vals[ri1, ci1]
    zb = (z00 * (1 - fc) + z01 * fc) * (1 - fr) + (z10 * (1 - fc) + z11 * fc) * fr
    # where a neighbour is nodata, fall back to the nearest pixel
    near = vals[
        np.clip(np.floor(rowf[inside]).astype(np.int64), 0, h - 1),
        np.clip(np.floor(colf[inside]).astype(np.int64), 0, w - 1),
    ]
    zb = np.where(np.isfinite(zb), zb, near)
    good = np.isfinite(zb)
    z[inside] = np.where(good, zb, 0.0)
    ok = inside.copy()
    ok[inside] = good
    return z, ok


def node_heights_to_vertices(net: WalkNetwork, z_nodes: np.ndarray) -> VertexElevation:
    """Heights at every geometry vertex from node heights, linear in distance along each edge."""
    z_nodes = np.asarray(z_nodes, dtype=np.float64)
    if not np.isfinite(z_nodes).all():
        raise InputError("slope.node_heights_nan")
    coords, edge = shapely.get_coordinates(net.geometry, return_index=True)
    cum = _cum_within(edge, _seg_lengths(coords, edge))
    total = np.zeros(net.n_edges)
    last = np.r_[edge[1:] != edge[:-1], True]
    total[edge[last]] = cum[last]
    frac = np.divide(cum, total[edge], out=np.zeros_like(cum), where=total[edge] > 0)
    z = z_nodes[net.u[edge]] * (1 - frac) + z_nodes[net.v[edge]] * frac
    return VertexElevation(
        x=coords[:, 0].copy(),
        y=coords[:, 1].copy(),
        edge=edge.astype(np.int64),
        z=z,
        missing=np.zeros(len(z), dtype=bool),
        source="node heights",
    )


def _seg_lengths(coords: np.ndarray, edge: np.ndarray) -> np.ndarray:
    """Length of the segment ending at each vertex (0 at the first vertex of each edge)."""
    d = np.zeros(len(coords))
    d[1:] = np.hypot(np.diff(coords[:, 0]), np.diff(coords[:, 1]))
    d[np.r_[True, edge[1:] != edge[:-1]]] = 0.0
    return d


def _cum_within(edge: np.ndarray, inc: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``inc`` restarting at the first vertex of each edge."""
    c = np.cumsum(inc)
    start = np.r_[True, edge[1:] != edge[:-1]]
    first_idx = np.flatnonzero(start)
    base = np.repeat(c[first_idx] - inc[first_idx], np.diff(np.r_[first_idx, len(edge)]))
    return c - base


def sloped_costs(
    net: WalkNetwork, edge_speed: np.ndarray, elev: VertexElevation, *, slope_on_steps: bool
) -> dict[str, np.ndarray]:
    """Directed edge times under Tobler's function, per geometry segment.

    Each segment of grade ``g = Δz / Δd`` (horizontal length ``Δd``) is walked forward at
    ``s_e · W(g) / W(0)`` and backward at ``s_e · W(−g) / W(0)``, where ``s_e`` is the edge's
    flat speed (profile speed times the steps factor). Segments touching a vertex without a
    height are flat. The times accrue along each edge as the piecewise-linear sequences kept
    in `lifecircle.coverage.profiles.EdgeCosts`, whose array fields this returns (``t_fwd``,
    ``t_back``, ``v_pos``, ``v_tf``, ``v_tb``, ``e_pos``, ``e_tf``, ``e_tb``); ``slope_on_steps``
    says whether the grade also slows a walker on steps.
    """
    edge = elev.edge
    if len(edge) == 0 or edge.max() >= net.n_edges or np.any(np.diff(edge) < 0):
        raise InputError("slope.heights_not_this_network")
    coords = np.column_stack([elev.x, elev.y])
    first = np.r_[True, edge[1:] != edge[:-1]]
    seg = _seg_lengths(coords, edge)  # segment ending at each vertex
    dz = np.zeros(len(edge))
    dz[1:] = np.diff(elev.z)
    flat = elev.missing.copy()
    flat[1:] |= elev.missing[:-1]
    if not slope_on_steps:
        flat |= (np.asarray(net.highway) == "steps")[edge]
    grade = np.divide(dz, seg, out=np.zeros_like(seg), where=(seg > 0) & ~flat & ~first)
    sp = edge_speed[edge]
    tf_seg = np.where(first, 0.0, seg / (sp * tobler_factor(grade)))
    tb_seg = np.where(first, 0.0, seg / (sp * tobler_factor(-grade)))
    gap = np.where(first, 1.0, 0.0)
    gap[0] = 0.0
    v_pos = np.cumsum(seg + gap)
    v_tf = np.cumsum(tf_seg + gap)
    v_tb = np.cumsum(tb_seg + gap)
    first_idx = np.flatnonzero(first)
    last_idx = np.r_[first_idx[1:] - 1, len(edge) - 1]
    e_of = edge[first_idx]
    n = net.n_edges
    if len(e_of) != n:
        raise InputError("slope.heights_not_every_edge")
    e_pos = np.empty(n)
    e_tf = np.empty(n)
    e_tb = np.empty(n)
    e_pos[e_of], e_tf[e_of], e_tb[e_of] = v_pos[first_idx], v_tf[first_idx], v_tb[first_idx]
    t_fwd = np.empty(n)
    t_back = np.empty(n)
    t_fwd[e_of] = v_tf[last_idx] - v_tf[first_idx]
    t_back[e_of] = v_tb[last_idx] - v_tb[first_idx]
    return {
        "t_fwd": t_fwd,
        "t_back": t_back,
        "v_pos": v_pos,
        "v_tf": v_tf,
        "v_tb": v_tb,
        "e_pos": e_pos,
        "e_tf": e_tf,
        "e_tb": e_tb,
    }
