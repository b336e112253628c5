"""A seeded synthetic city that any worker builds tile by tile (benchmarks and tests of partitioned runs)."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from ..geodata.common import say

#: Stands for ±infinity (the whole synthetic city).
_FAR = 1e10


@dataclass(frozen=True, eq=False)
class SyntheticGridSource:
    """A seeded jittered grid city that any worker can build tile by tile.

    Every random number is a hash of (seed, stream, index), so a tile of the city is the same
    whether it is built alone or with the whole city. Column and row spacings are drawn
    between ``min_edge_m + 10`` and ``max_edge_m − 10``; nodes move by up to ±5 m;
    ``drop_share`` of the edges are missing and ``steps_share`` are ``steps``. Facilities and
    demand points fall uniformly over the extent (2 and 200 per 1,000 nodes by default).
    """

    side: int
    seed: int = 42
    n_facilities: int | None = None
    n_demand: int | None = None
    min_edge_m: float = 30.0
    max_edge_m: float = 120.0
    drop_share: float = 0.05
    steps_share: float = 0.03
    crs: pyproj.CRS = field(default_factory=lambda: pyproj.CRS.from_epsg(32648))
    origin: tuple[float, float] = (400000.0, 3200000.0)

    @classmethod
    def with_nodes(cls, n_nodes: int, seed: int = 42, **kw) -> SyntheticGridSource:
        """A city of about ``n_nodes`` nodes (a square grid)."""
        return cls(side=int(np.ceil(np.sqrt(n_nodes))), seed=seed, **kw)

    def describe(self) -> str:
        """Size and seed (in English, like every network's source in run records)."""
        return say("partition.synthetic_city", "en", side=self.side, seed=self.seed)

    @property
    def n_nodes(self) -> int:
        """Grid nodes before edges are dropped."""
        return self.side * self.side

    def _axes(self) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.min_edge_m + 10, self.max_edge_m - 10
        colx = self.origin[0] + np.cumsum(lo + (hi - lo) * _uniform(self.seed, 1, np.arange(self.side)))
        rowy = self.origin[1] + np.cumsum(lo + (hi - lo) * _uniform(self.seed, 2, np.arange(self.side)))
        return colx, rowy

    def bounds(self) -> tuple[float, float, float, float]:
        """Extent of the nodes (before jitter)."""
        colx, rowy = self._axes()
        return (float(colx[0]), float(rowy[0]), float(colx[-1]), float(rowy[-1]))

    def extent(self) -> tuple[float, float, float, float]:
        """Extent of the nodes, jitter included."""
        x0, y0, x1, y1 = self.bounds()
        return (x0 - 6.0, y0 - 6.0, x1 + 6.0, y1 + 6.0)

    def lines(self, bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
        """Every kept edge with an end node inside ``bbox`` grown by one grid step."""
        colx, rowy = self._axes()
        j0 = max(int(np.searchsorted(colx, bbox[0] - 6.0)) - 1, 0)
        j1 = min(int(np.searchsorted(colx, bbox[2] + 6.0, side="right")) + 1, self.side)
        i0 = max(int(np.searchsorted(rowy, bbox[1] - 6.0)) - 1, 0)
        i1 = min(int(np.searchsorted(rowy, bbox[3] + 6.0, side="right")) + 1, self.side)
        jj, ii = np.meshgrid(np.arange(j0, j1), np.arange(i0, i1))
        node = (ii * self.side + jj).ravel()
        ii, jj = ii.ravel(), jj.ravel()
        # edge 2·node is node → right neighbour, 2·node + 1 is node → upper neighbour
        right = jj < self.side - 1
        up = ii < self.side - 1
        a = np.concatenate([node[right], node[up]])
        b = np.concatenate([node[right] + 1, node[up] + self.side])
        eid = np.concatenate([2 * node[right], 2 * node[up] + 1])
        keep = _uniform(self.seed, 3, eid) >= self.drop_share
        a, b, eid = a[keep], b[keep], eid[keep]
        ax, ay = self._node_xy(a, colx, rowy)
        bx, by = self._node_xy(b, colx, rowy)
        coords = np.empty((2 * len(a), 2))
        coords[0::2, 0], coords[0::2, 1] = ax, ay
        coords[1::2, 0], coords[1::2, 1] = bx, by
        geom = shapely.linestrings(coords, indices=np.repeat(np.arange(len(a)), 2))
        steps = _uniform(self.seed, 4, eid) < self.steps_share
        highway = np.where(steps, "steps", "residential").astype(object)
        return gpd.GeoDataFrame(
            {"row": eid, "highway": highway, "way_id": eid.astype(str).astype(object)},
            geometry=geom,
            crs=self.crs,
        )

    def _node_xy(self, node: np.ndarray, colx: np.ndarray, rowy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i, j = node // self.side, node % self.side
        x = colx[j] + (_uniform(self.seed, 5, node) * 10.0 - 5.0)
        y = rowy[i] + (_uniform(self.seed, 6, node) * 10.0 - 5.0)
        return x, y

    def _points(self, n: int, stream: int) -> tuple[np.ndarray, np.ndarray]:
        x0, y0, x1, y1 = self.bounds()
        idx = np.arange(n)
        return (
            x0 + (x1 - x0) * _uniform(self.seed, stream, idx),
            y0 + (y1 - y0) * _uniform(self.seed, stream + 1, idx),
        )

    def demand(self) -> tuple[np.ndarray, np.ndarray]:
        """Demand point coordinates (200 per 1,000 nodes unless set)."""
        n = self.n_demand if self.n_demand is not None else self.n_nodes // 5
        return self._points(n, 10)

    def population(self) -> np.ndarray:
        """People at each demand point: a gamma(2, 60) draw, rounded."""
        n = self.n_demand if self.n_demand is not None else self.n_nodes // 5
        idx = np.arange(n)
        u1 = np.maximum(_uniform(self.seed, 12, idx), 1e-300)
        u2 = np.maximum(_uniform(self.seed, 13, idx), 1e-300)
        return np.round(-60.0 * np.log(u1 * u2))

    def facilities(self) -> tuple[np.ndarray, np.ndarray]:
        """Facility coordinates (2 per 1,000 nodes unless set)."""
        n = self.n_facilities if self.n_facilities is not None else max(self.n_nodes // 500, 1)
        return self._points(n, 20)

    def whole(self) -> gpd.GeoDataFrame:
        """Every line of the city (for the single-process reference)."""
        return self.lines((-_FAR, -_FAR, _FAR, _FAR))


def _uniform(seed: int, stream: int, idx: np.ndarray) -> np.ndarray:
    """Uniform numbers in [0, 1) from a splitmix64 hash of (seed, stream, index)."""
    with np.errstate(over="ignore"):
        z = np.asarray(idx, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z += np.uint64((seed * 0x632BE59BD9B4E019 + stream * 0xD1B54A32D192ED03) & 0xFFFFFFFFFFFFFFFF)
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)
