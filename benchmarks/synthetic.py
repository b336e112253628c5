"""A seeded synthetic grid city: a jittered street grid, facilities and demand points, for benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from lifecircle.geodata.network import ComponentReport, WalkNetwork

#: Metric CRS of the synthetic city (UTM 48N, the zone of Chongqing).
CRS = pyproj.CRS.from_epsg(32648)
ORIGIN = (400000.0, 3200000.0)


@dataclass(frozen=True, eq=False)
class SyntheticCity:
    """A synthetic city: network, facility and demand coordinates (metric), demand weights.

    Attributes
    ----------
    net
        The walk network.
    fx, fy
        Facility coordinates.
    dx, dy
        Demand point coordinates.
    population
        People at each demand point.
    unit
        Admin-unit code of each demand point (blocks of about 1 km²), for aggregation.
    """

    net: WalkNetwork
    fx: np.ndarray
    fy: np.ndarray
    dx: np.ndarray
    dy: np.ndarray
    population: np.ndarray
    unit: np.ndarray


def grid_city(
    n_nodes: int = 1_000_000,
    n_facilities: int = 2_000,
    n_demand: int = 200_000,
    *,
    seed: int = 42,
    min_edge_m: float = 30.0,
    max_edge_m: float = 120.0,
    drop_share: float = 0.05,
    steps_share: float = 0.03,
) -> SyntheticCity:
    """Build a jittered grid city of about ``n_nodes`` nodes.

    Column and row spacings are drawn uniformly between ``min_edge_m + 10`` and
    ``max_edge_m − 10`` metres and every node is moved by up to ±5 m, so edges run about
    ``min_edge_m``–``max_edge_m`` metres; ``drop_share`` of the edges are removed (blocks of
    irregular size), ``steps_share`` are ``steps``, and the largest connected component is
    kept. Facilities and demand points fall uniformly over the city's extent, off the streets.

    Parameters
    ----------
    n_nodes
        Approximate number of nodes (a square grid of ``ceil(sqrt(n_nodes))`` per side).
    n_facilities, n_demand
        Numbers of facilities and demand points.
    seed
        Random seed; the same arguments give the same city.

    Returns
    -------
    SyntheticCity
    """
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_nodes)))
    colx = np.cumsum(rng.uniform(min_edge_m + 10, max_edge_m - 10, side))
    rowy = np.cumsum(rng.uniform(min_edge_m + 10, max_edge_m - 10, side))
    x = ORIGIN[0] + np.tile(colx, side) + rng.uniform(-5, 5, side * side)
    y = ORIGIN[1] + np.repeat(rowy, side) + rng.uniform(-5, 5, side * side)
    ids = np.arange(side * side).reshape(side, side)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    keep = rng.random(len(u)) >= drop_share
    u, v = u[keep], v[keep]
    n_all = side * side
    n_comp, labels = connected_components(
        coo_matrix((np.ones(len(u)), (u, v)), shape=(n_all, n_all)), directed=False
    )
    sizes = np.bincount(labels)
    giant = labels == int(np.argmax(sizes))
    new_id = np.cumsum(giant) - 1
    ke = giant[u]
    total_len = float(np.hypot(x[u] - x[v], y[u] - y[v]).sum())
    u, v = new_id[u[ke]], new_id[v[ke]]
    x, y = x[giant], y[giant]
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    coords = np.empty((2 * len(u), 2))
    coords[0::2, 0], coords[0::2, 1] = x[u], y[u]
    coords[1::2, 0], coords[1::2, 1] = x[v], y[v]
    geometry = shapely.linestrings(coords, indices=np.repeat(np.arange(len(u)), 2))
    highway = np.where(rng.random(len(u)) < steps_share, "steps", "residential").astype(object)
    report = ComponentReport(
        n_components=int(n_comp),
        nodes_total=n_all,
        edges_total=int(keep.sum()),
        length_total_m=total_len,
        nodes_kept=len(x),
        edges_kept=len(u),
        length_kept_m=float(length.sum()),
        largest=tuple(int(s) for s in np.sort(sizes)[::-1][:10]),
    )
    net = WalkNetwork(
        x=x,
        y=y,
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        length=length,
        highway=highway,
        geometry=geometry,
        crs=CRS,
        way_id=np.arange(len(u)).astype(str).astype(object),
        components=report,
        source=f"synthetic grid city ({side}×{side}, seed {seed})",
    )
    x0, x1, y0, y1 = x.min(), x.max(), y.min(), y.max()
    fx, fy = rng.uniform(x0, x1, n_facilities), rng.uniform(y0, y1, n_facilities)
    dx, dy = rng.uniform(x0, x1, n_demand), rng.uniform(y0, y1, n_demand)
    population = rng.gamma(2.0, 60.0, n_demand).round()
    unit = (np.floor((dx - x0) / 1000.0) * 1000 + np.floor((dy - y0) / 1000.0)).astype(np.int64)
    return SyntheticCity(net, fx, fy, dx, dy, population, unit)
