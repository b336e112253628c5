"""Exact partitions of a study area: tiles, buffered network reads and the global giant component.

Why a partition gives exactly the single-process result
-------------------------------------------------------
The single-process run builds one network ``N`` from every walkable line of the source (cut by
the study clip), keeps its giant component, snaps demand and facilities to their nearest edges
and runs one multi-source search limited to ``L`` seconds (the largest threshold or map tier).
A partition owns the demand points of one tile ``T`` (half-open rectangles of a grid whose outer
tiles reach to infinity, so every point has exactly one owner) and builds its own network
``N_T``. Its times equal those of ``N`` for every owned point when four things hold.

1. **Reach stays in a disc.** No walk of ``L`` seconds ends farther than ``r = L · v_max`` in a
   straight line from where it began, where ``v_max`` is the fastest speed any edge allows: the
   profile's flat speed times ``max(1, steps_factor)``, times Tobler's largest factor
   ``exp(3.5 · 0.05) ≈ 1.19`` (downhill at −5 %) when a DEM is used. The access leg is walked
   at the flat speed, which is not faster. So every network position an owned point can reach,
   and the snapped position of every facility it can reach, lies within ``r`` of ``T``.
2. **Snapping sees the same edges.** An owned point snaps to the nearest edge within
   ``max_snap_m``; a facility whose snapped position lies within ``r`` of ``T`` stands within
   ``r + max_snap_m`` of ``T`` and its nearest edge within ``r + 2·max_snap_m``. The zone
   ``Y = T ⊕ (r + 2·max_snap_m + 1 m)`` therefore holds every edge that any relevant snap can
   choose. Facilities farther out may snap differently in ``N_T``, but their snapped positions
   then lie beyond ``r`` (within ``max_snap_m`` of a point more than ``r + max_snap_m`` away)
   and are never reached in time, and a piece end beyond ``r`` never gives the smaller of the
   two times of a point on its edge.
3. **Edges inside the zone are the very same edges.** ``N`` splits lines into edges at every
   vertex shared with another line. ``N_T`` is built from the lines that meet ``Y`` (ring 1)
   plus every line sharing a vertex with a ring-1 line (ring 2), so each vertex of a ring-1
   line has the same node status as in ``N`` and every edge of ``N`` that meets ``Y`` appears
   in ``N_T`` with the same vertices, hence the same length and times (lines are never cut at
   the zone; the source's own clip is the single run's clip). Ring-2 lines do not meet ``Y``,
   so their possibly coarser edges lie beyond reach. The metric CRS is fixed for all
   partitions and the single run (projection is per vertex, so coordinates agree bit for bit).
   Dijkstra's values are the fixed point ``d(v) = min_u d(u) + w(u, v)`` over nodes reached
   within ``L``, which depends only on those nodes and arcs, so they agree to the last bit.
4. **The same component is kept.** Whether an edge belongs to the giant component of ``N`` is
   not a local question, so it is answered globally in two steps: each partition labels the
   components of ``N_T`` and reports (a) per component the number of network nodes lying in
   its own tile — every line through such a node meets ``T ⊂ Y`` and is read, so the node's
   status is exact and each node of ``N`` is counted by exactly one tile — and (b) the key
   (first vertex) of every line that meets its closed tile and leaves its interior. Two lines
   sharing a vertex ``X`` are linked inside the partition whose tile holds ``X`` (both meet it);
   a line linked in two partitions meets both closed tiles and is reported by both, which ties
   the two local components together. Union-find over these reports therefore rebuilds the
   components of ``N`` exactly; the largest by node count is the giant (an exact tie in size,
   where ``N``'s choice depends on vertex order, is reported as an error rather than guessed).

Ties between equally near edges (a home whose nearest network point is a node shared by several
edges) are broken by the edges' end coordinates (`lifecircle.coverage.snapping`), not by index
order, so ``N`` and ``N_T`` pick the same edge and the times agree bit for bit. The single run must
also use the same metric CRS (the UTM zone of the study area; ``read_network`` picks the zone of the
mean vertex, the same zone unless the area straddles a zone border).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from ..coverage.profiles import WalkProfile
from ..geodata.common import InputError
from ..geodata.network import WGS84, WalkNetwork, build_network

#: Tobler's largest speed factor (downhill at a grade of −5 %): ``exp(3.5 · 0.05)``.
TOBLER_MAX_FACTOR = float(np.exp(3.5 * 0.05))
#: Extra metres on every reach buffer, against rounding at the edge of the disc.
SAFETY_M = 1.0
#: Stands for ±infinity (the whole synthetic city).
_FAR = 1e10


# -- tiles -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TileGrid:
    """A grid of half-open rectangular tiles that covers the whole plane.

    Tile ``k`` is column ``k % nx`` and row ``k // nx``; column ``i`` spans
    ``xcuts[i-1] <= x < xcuts[i]`` with the outer columns and rows open to infinity, so every
    point belongs to exactly one tile. For reading, a tile is cut to ``extent`` (everything the
    run touches: the network source and the demand), so every network node lies in the
    finite box of its own tile.

    Attributes
    ----------
    xcuts, ycuts
        Inner cut lines in the metric CRS (``nx − 1`` and ``ny − 1`` values, increasing).
    extent
        ``(minx, miny, maxx, maxy)`` holding the network source and the demand.
    """

    xcuts: tuple[float, ...]
    ycuts: tuple[float, ...]
    extent: tuple[float, float, float, float]

    @classmethod
    def from_bounds(
        cls,
        bounds: tuple[float, float, float, float],
        nx: int,
        ny: int,
        extent: tuple[float, float, float, float] | None = None,
    ) -> TileGrid:
        """Equal tiles over ``bounds`` (the demand's extent); ``extent`` defaults to ``bounds``."""
        if nx < 1 or ny < 1:
            raise InputError(
                f"partitions: a grid needs at least 1×1 tiles, not {nx}×{ny}.",
                zh=f"分区：网格至少需要 1×1 块，而不是 {nx}×{ny}。",
            )
        x0, y0, x1, y1 = (float(b) for b in bounds)
        if not all(np.isfinite([x0, y0, x1, y1])):
            raise InputError(
                "partitions: the study area has no finite extent; check the demand points.",
                zh="分区：研究区域的范围不是有限值；请检查需求点。",
            )
        xs = tuple(float(v) for v in np.linspace(x0, x1, nx + 1)[1:-1])
        ys = tuple(float(v) for v in np.linspace(y0, y1, ny + 1)[1:-1])
        ext = (x0, y0, x1, y1) if extent is None else extent
        ext = (min(ext[0], x0), min(ext[1], y0), max(ext[2], x1), max(ext[3], y1))
        return cls(xs, ys, tuple(float(v) for v in ext))

    @property
    def nx(self) -> int:
        """Number of columns."""
        return len(self.xcuts) + 1

    @property
    def ny(self) -> int:
        """Number of rows."""
        return len(self.ycuts) + 1

    @property
    def n_tiles(self) -> int:
        """Number of tiles."""
        return self.nx * self.ny

    def tile_id(self, k: int) -> str:
        """Readable id of tile ``k``: ``c<column>r<row>``."""
        return f"c{k % self.nx}r{k // self.nx}"

    def owner(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Tile of each point (points without coordinates go to tile 0)."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        col = np.searchsorted(np.asarray(self.xcuts), x, side="right")
        row = np.searchsorted(np.asarray(self.ycuts), y, side="right")
        k = row * self.nx + col
        k[~(np.isfinite(x) & np.isfinite(y))] = 0
        return k.astype(np.int64)

    def box(self, k: int) -> tuple[float, float, float, float]:
        """Bounds of tile ``k`` cut to the extent (the outer tiles reach the extent's sides)."""
        e = self.extent
        xe = (min((e[0], *self.xcuts)), *self.xcuts, max((e[2], *self.xcuts)))
        ye = (min((e[1], *self.ycuts)), *self.ycuts, max((e[3], *self.ycuts)))
        i, j = k % self.nx, k // self.nx
        return (xe[i], ye[j], xe[i + 1], ye[j + 1])

    def zone(self, k: int, margin_m: float) -> BaseGeometry:
        """Tile ``k`` (cut to the extent) grown by ``margin_m`` metres on every side."""
        x0, y0, x1, y1 = self.box(k)
        return shapely.box(x0 - margin_m, y0 - margin_m, x1 + margin_m, y1 + margin_m)


def parse_tiles(text: str | tuple[int, int] | list[int]) -> tuple[int, int]:
    """``"4x4"``, ``"3"`` or ``(3, 3)`` → ``(nx, ny)``."""
    if isinstance(text, tuple | list):
        vals = tuple(int(v) for v in text)
    else:
        m = re.fullmatch(r"\s*(\d+)\s*(?:[x×*,]\s*(\d+))?\s*", str(text))
        if m is None:
            raise InputError(
                f"--partitions {text!r}: give a tile grid as COLUMNSxROWS, e.g. 4x4 or 3x2.",
                zh=f"--partitions {text!r}：请按“列数x行数”（COLUMNSxROWS）给出分区网格，例如 4x4 或 3x2。",
            )
        vals = (int(m.group(1)), int(m.group(2) or m.group(1)))
    if len(vals) != 2 or min(vals) < 1 or vals[0] * vals[1] > 10_000:
        raise InputError(
            f"partitions {text!r}: give two whole numbers ≥ 1 (columns, rows), e.g. 4x4.",
            zh=f"partitions {text!r}：请给出两个 ≥ 1 的整数（列数、行数），例如 4x4。",
        )
    return vals  # type: ignore[return-value]


def reach_margin_m(
    limit_s: float, profiles: list[WalkProfile] | tuple[WalkProfile, ...], max_snap_m: float, *, sloped: bool
) -> float:
    """Width of the buffer around a tile that makes its results exact (module docstring, 1–2).

    ``limit_s · v_max + 2 · max_snap_m + SAFETY_M``, with ``v_max`` the fastest speed any edge
    allows under ``profiles`` (steps factors above 1 and, with a DEM, Tobler's downhill factor
    included).
    """
    if not profiles:
        raise ValueError("reach_margin_m needs at least one walking profile")
    v = max(p.speed_mps * max(1.0, p.steps_factor) for p in profiles)
    if sloped:
        v *= TOBLER_MAX_FACTOR
    return float(limit_s) * v + 2.0 * float(max_snap_m) + SAFETY_M


# -- sources ---------------------------------------------------------------------------------------


class LineSource(Protocol):
    """Where a partition reads its lines from (a file, or a generator spec)."""

    crs: pyproj.CRS

    def lines(self, bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
        """Every walkable line whose envelope meets ``bbox`` (metric, in ``crs``), or more.

        Columns ``row`` (a unique, stable id of the source line), ``highway``, ``way_id``,
        ``name`` (optional) and geometry, in any CRS the frame names; lines already cut by the
        study clip exactly as the single-process reader cuts them.
        """
        ...

    def describe(self) -> str:
        """Short text for run records."""
        ...

    def extent(self) -> tuple[float, float, float, float]:
        """Bounds (metric, in ``crs``) holding every line, or more."""
        ...


@dataclass(frozen=True, eq=False)
class FileSource:
    """A road line layer or an OSM PBF, read and cut as `lifecircle.geodata.sources` does.

    Attributes
    ----------
    path
        The file (``.geojson``, ``.gpkg``, ``.shp``, ``.zip``, ``.osm.pbf``).
    crs
        Metric CRS of the networks built from it.
    clip
        The single run's clip (WGS84), or ``None``.
    lines_crs
        CRS of a line layer when the file does not say it right (``gcj02`` …).
    """

    path: str
    crs: pyproj.CRS
    clip: BaseGeometry | None = None
    lines_crs: str | None = None

    def describe(self) -> str:
        """The path."""
        return str(self.path)

    def extent(self) -> tuple[float, float, float, float]:
        """The clip's bounds, or the file's, in the metric CRS (padded for GCJ-02 shifts)."""
        if self.clip is not None:
            lo = self.clip.bounds
        elif str(self.path).lower().endswith(".pbf"):
            lo = tuple(_pbf_ways(self.path, None).total_bounds)
        else:
            import pyogrio

            info = pyogrio.read_info(self.path)
            lo = tuple(float(v) for v in info["total_bounds"])
            crs = info.get("crs")
            if crs and not pyproj.CRS.from_user_input(crs).is_geographic:
                tr0 = pyproj.Transformer.from_crs(crs, WGS84, always_xy=True)
                lo = tr0.transform_bounds(*lo, densify_pts=21)
        pad = 0.02
        tr = pyproj.Transformer.from_crs(WGS84, self.crs, always_xy=True)
        return tuple(
            float(v)
            for v in tr.transform_bounds(lo[0] - pad, lo[1] - pad, lo[2] + pad, lo[3] + pad, densify_pts=21)
        )

    def lines(self, bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
        """Walkable lines meeting ``bbox`` (WGS84 frame)."""
        name = str(self.path).lower()
        tr = pyproj.Transformer.from_crs(self.crs, WGS84, always_xy=True)
        lo = tr.transform_bounds(*bbox, densify_pts=21)
        # a GCJ-02 or BD-09 layer sits up to about 1 km off its label: pad the filter box
        pad = 0.02
        wbox = (lo[0] - pad, lo[1] - pad, lo[2] + pad, lo[3] + pad)
        if name.endswith(".pbf"):
            ways = _pbf_ways(self.path, self.clip)
        else:
            ways = _layer_ways(self.path, self.lines_crs, wbox)
        keep = shapely.intersects(ways.geometry.to_numpy(), shapely.box(*wbox))
        return ways.loc[keep]


_PBF_CACHE: dict[tuple, gpd.GeoDataFrame] = {}
_PBF_LOCK = threading.Lock()


def _pbf_ways(path: str, clip: BaseGeometry | None) -> gpd.GeoDataFrame:
    """A PBF's walkable ways for the single run's clip (pyrosm reads the whole file anyway).

    pyrosm keeps only the nodes inside its bounding box, so ways are read with the single
    run's own clip, never a tile's, and cached per worker process.
    """
    key = (str(path), None if clip is None else shapely.to_wkb(clip))
    with _PBF_LOCK:
        got = _PBF_CACHE.get(key)
        if got is None:
            from pyrosm import OSM

            try:
                ways = OSM(str(path), bounding_box=clip).get_network(
                    network_type="all", extra_attributes=["foot", "access"]
                )
            except Exception as exc:  # pyrosm raises bare exceptions on corrupt files
                raise InputError(
                    f"{path}: not a readable OSM PBF file ({exc.__class__.__name__}).",
                    zh=f"{path}：不是可读取的 OSM PBF 文件（{exc.__class__.__name__}）。",
                ) from None
            if ways is None or len(ways) == 0:
                raise InputError(
                    f"{path}: no highway ways found inside the clip area.",
                    zh=f"{path}：裁剪范围内未找到任何道路（highway）。",
                )
            ways = ways.rename(columns={"id": "way_id"})
            got = _walkable(ways, clip, str(path))
            _PBF_CACHE.clear()
            _PBF_CACHE[key] = got
    return got


def _layer_ways(path: str, lines_crs: str | None, wbox: tuple) -> gpd.GeoDataFrame:
    """A line layer's walkable lines near ``wbox`` (WGS84), prepared as `read_lines` does."""
    from ..geodata.crs import to_wgs84

    try:
        gdf = gpd.read_file(path, bbox=gpd.GeoSeries([shapely.box(*wbox)], crs=4326), fid_as_index=True)
    except Exception as exc:
        raise InputError(
            f"{path}: cannot read it as a road line layer ({exc.__class__.__name__}); use GeoJSON, "
            "GeoPackage or a Shapefile.",
            zh=(
                f"{path}：无法作为道路线图层读取（{exc.__class__.__name__}）；"
                "请使用 GeoJSON、GeoPackage 或 Shapefile。"
            ),
        ) from None
    cols = {c.lower(): c for c in gdf.columns}
    cls_col = cols.get("highway") or cols.get("fclass")
    if cls_col is None:
        raise InputError(
            f"{path}: no road class column; the layer needs 'fclass' (Geofabrik) or 'highway'.",
            zh=f"{path}：缺少道路等级字段；图层需要 'fclass'（Geofabrik）或 'highway' 字段。",
        )
    row = np.asarray(gdf.index, dtype=np.int64)
    gdf = to_wgs84(gdf, lines_crs, where=str(path))
    rename = {cls_col: "highway"}
    for key, new in (("osm_id", "way_id"), ("foot", "foot"), ("access", "access"), ("name", "name")):
        if key in cols and cols[key] != new:
            rename[cols[key]] = new
    gdf = gdf.rename(columns=rename)
    gdf["row"] = row
    return _walkable(gdf, None, str(path))


def _walkable(ways: gpd.GeoDataFrame, clip: BaseGeometry | None, source: str) -> gpd.GeoDataFrame:
    """The walkable, clipped lines, as `lifecircle.geodata.sources` prepares them for noding."""
    from ..geodata.sources import clip_ways, walkable_ways

    if "row" not in ways.columns:
        ways = ways.assign(row=np.arange(len(ways), dtype=np.int64))
    ways = walkable_ways(ways)
    if clip is not None:
        ways = clip_ways(ways, clip)
    cols = [c for c in ("row", "highway", "way_id", "name", "geometry") if c in ways.columns]
    return ways[cols]


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
        """Size and seed."""
        return f"synthetic grid city {self.side}×{self.side}, seed {self.seed}"

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


# -- one partition's network -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ComponentSummary:
    """What a partition tells the client about its components (compact).

    Attributes
    ----------
    tile
        Tile index.
    n_components
        Components of the partition's network.
    own_nodes
        Per component, nodes lying in the partition's own tile.
    link_comp, link_key
        Component and key (first vertex, as a complex number of source coordinates) of every
        line that meets the closed tile and leaves its interior.
    """

    tile: int
    n_components: int
    own_nodes: np.ndarray
    link_comp: np.ndarray
    link_key: np.ndarray


@dataclass(frozen=True, eq=False)
class LoadedPartition:
    """A partition's network before the giant component is chosen (stays on its worker)."""

    tile: int
    net: WalkNetwork
    labels: np.ndarray
    summary: ComponentSummary
    n_lines: int = 0


def load_partition(source: LineSource, grid: TileGrid, tile: int, margin_m: float) -> LoadedPartition:
    """Read and node the lines a tile needs (ring 1 and ring 2, module docstring 3–4).

    Parameters
    ----------
    source
        Where lines come from.
    grid
        The tile grid.
    tile
        Tile index.
    margin_m
        Reach buffer (`reach_margin_m`).
    """
    zone = grid.zone(tile, margin_m)
    parts = _parts(source.lines(zone.bounds))
    metric = _to_metric(parts, source.crs)
    ring1 = shapely.intersects(metric, zone)
    coords, which = shapely.get_coordinates(parts.geometry.to_numpy(), return_index=True)
    r1_vertex = ring1[which]
    keys = coords[:, 0] + 1j * coords[:, 1]
    # vertices of ring-1 lines outside what was read: lines through them may be missing
    mcoords = shapely.get_coordinates(metric)
    zb = zone.bounds
    outside = r1_vertex & ~(
        (mcoords[:, 0] >= zb[0])
        & (mcoords[:, 0] <= zb[2])
        & (mcoords[:, 1] >= zb[1])
        & (mcoords[:, 1] <= zb[3])
    )
    if outside.any():
        ob = (
            float(mcoords[outside, 0].min()) - 1.0,
            float(mcoords[outside, 1].min()) - 1.0,
            float(mcoords[outside, 0].max()) + 1.0,
            float(mcoords[outside, 1].max()) + 1.0,
        )
        more = _parts(source.lines(ob))
        more = more.loc[~more["_pid"].isin(parts["_pid"])]
        if len(more):
            parts = pd.concat([parts, more], ignore_index=True)
            coords, which = shapely.get_coordinates(parts.geometry.to_numpy(), return_index=True)
            keys = coords[:, 0] + 1j * coords[:, 1]
            ring1 = np.r_[ring1, np.zeros(len(more), dtype=bool)]
            r1_vertex = ring1[which]
    r1_keys = np.unique(keys[r1_vertex])
    shares = np.zeros(len(parts), dtype=bool)
    hit = np.isin(keys, r1_keys)
    shares[np.unique(which[hit])] = True
    sel = ring1 | shares
    parts = parts.loc[sel].reset_index(drop=True)
    first_key = _first_keys(parts)
    lines = gpd.GeoDataFrame(
        {
            "highway": parts["highway"].to_numpy(),
            "way_id": np.arange(len(parts)).astype(str).astype(object),
            **({"name": parts["name"].to_numpy()} if "name" in parts else {}),
        },
        geometry=parts.geometry.to_numpy(),
        crs=parts.crs,
    )
    if len(lines) == 0:
        net = _empty_network(source)
        summary = ComponentSummary(tile, 0, np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.complex128))
        return LoadedPartition(tile, net, np.zeros(0, np.int64), summary)
    net = build_network(lines, source=source.describe(), keep="all", crs=source.crs)
    n_comp, labels = connected_components(
        coo_matrix((np.ones(net.n_edges), (net.u, net.v)), shape=(net.n_nodes, net.n_nodes)), directed=False
    )
    part_of_edge = pd.to_numeric(pd.Series(net.way_id, dtype=object)).to_numpy(dtype=np.int64)
    # component of each line (lines reduced to nothing have no edge, hence no component)
    part_comp = np.full(len(parts), -1, dtype=np.int64)
    part_comp[part_of_edge] = labels[net.u]
    way_src = parts["way_id"].astype(str).to_numpy(dtype=object) if "way_id" in parts else None
    net = replace(net, way_id=way_src[part_of_edge] if way_src is not None else net.way_id)
    # nodes in the own tile (half-open, like demand ownership)
    own = grid.owner(net.x, net.y) == tile
    own_nodes = np.bincount(labels[own], minlength=n_comp).astype(np.float64)
    # lines meeting the closed tile and leaving its interior link this partition to others
    tb = shapely.box(*grid.box(tile))
    pmet = _to_metric(parts, source.crs)
    link = (part_comp >= 0) & shapely.intersects(pmet, tb) & ~shapely.contains_properly(tb, pmet)
    summary = ComponentSummary(
        tile=tile,
        n_components=int(n_comp),
        own_nodes=own_nodes,
        link_comp=part_comp[link],
        link_key=first_key[link],
    )
    return LoadedPartition(tile, net, labels, summary, n_lines=len(parts))


def component_summary(part: LoadedPartition) -> ComponentSummary:
    """The compact summary of a loaded partition (what travels to the client)."""
    return part.summary


def giant_components(summaries: list[ComponentSummary]) -> dict[int, np.ndarray]:
    """Local component labels that belong to the global giant component, per tile.

    Union-find (as connected components of a bipartite graph between local components and
    line keys) over every partition's reports; sizes are the nodes each tile owns.

    Raises
    ------
    RuntimeError
        When the two largest global components have exactly the same number of nodes.
    """
    offs = np.cumsum([0] + [s.n_components for s in summaries])
    n_pc = int(offs[-1])
    if n_pc == 0:
        return {s.tile: np.zeros(0, np.int64) for s in summaries}
    keys = np.concatenate([s.link_key for s in summaries]) if summaries else np.zeros(0, np.complex128)
    pcs = np.concatenate([s.link_comp + o for s, o in zip(summaries, offs[:-1], strict=True)])
    uk, kid = np.unique(keys, return_inverse=True)
    n = n_pc + len(uk)
    g = coo_matrix((np.ones(len(pcs)), (pcs, n_pc + kid.ravel())), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    sizes = np.bincount(lab[:n_pc], weights=np.concatenate([s.own_nodes for s in summaries]), minlength=n)
    order = np.argsort(sizes)[::-1]
    if len(order) > 1 and sizes[order[0]] == sizes[order[1]] and sizes[order[0]] > 0:
        raise RuntimeError(
            f"the two largest network components have the same size ({int(sizes[order[0]])} nodes), so "
            "which one a single run keeps depends on vertex order; run without partitions or keep all "
            "components (network.keep: all)."
        )
    giant = order[0]
    return {
        s.tile: np.flatnonzero(lab[o : o + s.n_components] == giant)
        for s, o in zip(summaries, offs[:-1], strict=True)
    }


def finish_partition(part: LoadedPartition, keep_labels: np.ndarray | None) -> WalkNetwork:
    """The partition's network restricted to the given components (``None`` keeps all)."""
    net = part.net
    if keep_labels is None or net.n_nodes == 0:
        return net
    keep_node = np.isin(part.labels, keep_labels)
    return subset_network(net, keep_node)


def subset_network(net: WalkNetwork, keep_node: np.ndarray) -> WalkNetwork:
    """The network on the nodes flagged in ``keep_node`` (edges between kept nodes)."""
    keep_edge = keep_node[net.u] & keep_node[net.v]
    new_id = np.cumsum(keep_node) - 1
    return replace(
        net,
        x=np.ascontiguousarray(net.x[keep_node]),
        y=np.ascontiguousarray(net.y[keep_node]),
        u=new_id[net.u[keep_edge]].astype(np.int64),
        v=new_id[net.v[keep_edge]].astype(np.int64),
        length=net.length[keep_edge],
        highway=net.highway[keep_edge],
        geometry=net.geometry[keep_edge],
        way_id=net.way_id[keep_edge],
        name=net.name[keep_edge] if len(net.name) == net.n_edges else net.name,
    )


def _parts(ways: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Single-part 2-D LineStrings of ``ways`` (areas by their outline), as `build_network` does.

    Adds ``_pid``: a stable id of each part (source row × 2¹⁶ + part number).
    """
    geoms = ways.geometry.to_numpy()
    kind = shapely.get_type_id(geoms)
    if np.all(kind == 1) and not shapely.has_z(geoms).any():
        # plain 2-D LineStrings already (generated cities, most line layers): nothing to split
        parts, src = geoms, np.arange(len(geoms))
    else:
        polys = np.isin(kind, (3, 6))
        if polys.any():
            geoms = geoms.copy()
            geoms[polys] = shapely.boundary(shapely.force_2d(geoms[polys]))
        parts, src = shapely.get_parts(geoms, return_index=True)
        parts = np.asarray(parts)
        is_line = shapely.get_type_id(parts) == 1
        parts, src = parts[is_line], src[is_line]
        parts = shapely.force_2d(parts)
    # part number within its source row
    first = np.r_[True, src[1:] != src[:-1]] if len(src) else np.zeros(0, bool)
    start = np.maximum.accumulate(np.where(first, np.arange(len(src)), 0)) if len(src) else src
    pno = np.arange(len(src)) - start
    rows = ways["row"].to_numpy(dtype=np.int64)[src]
    data = {"_pid": rows * 65536 + pno, "highway": ways["highway"].to_numpy()[src]}
    for c in ("way_id", "name"):
        if c in ways.columns:
            data[c] = ways[c].to_numpy()[src]
    return gpd.GeoDataFrame(data, geometry=parts, crs=ways.crs)


def _to_metric(parts: gpd.GeoDataFrame, crs: pyproj.CRS) -> np.ndarray:
    geoms = parts.geometry.to_numpy()
    if parts.crs is not None and pyproj.CRS.from_user_input(parts.crs).equals(crs):
        return geoms
    tr = pyproj.Transformer.from_crs(parts.crs, crs, always_xy=True)
    return shapely.transform(geoms, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))


def _first_keys(parts: gpd.GeoDataFrame) -> np.ndarray:
    """First vertex of each line (after dropping repeated vertices it stays first) as complex."""
    if len(parts) == 0:
        return np.zeros(0, np.complex128)
    p = shapely.get_point(parts.geometry.to_numpy(), 0)
    return shapely.get_x(p) + 1j * shapely.get_y(p)


def _empty_network(source: LineSource) -> WalkNetwork:
    from ..geodata.network import ComponentReport

    z = np.zeros(0)
    zi = np.zeros(0, dtype=np.int64)
    return WalkNetwork(
        x=z, y=z.copy(), u=zi, v=zi.copy(), length=z.copy(), highway=np.zeros(0, dtype=object),
        geometry=np.zeros(0, dtype=object), crs=source.crs, way_id=np.zeros(0, dtype=object),
        components=ComponentReport(0, 0, 0, 0.0, 0, 0, 0.0), source=source.describe(),
    )  # fmt: skip
