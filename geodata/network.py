"""The walk network as arrays, built from way geometries noded at shared vertices."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .common import InputError, atomic_path
from .files import rows_zh

WGS84 = pyproj.CRS.from_epsg(4326)


@dataclass(frozen=True)
class ComponentReport:
    """How the network fell apart into connected components, and what was kept.

    Attributes
    ----------
    n_components
        Number of connected components before any were dropped.
    nodes_total, edges_total, length_total_m
        Size of the whole noded network before dropping.
    nodes_kept, edges_kept, length_kept_m
        Size of what was kept.
    largest
        Node counts of the largest components, biggest first (at most ten).
    """

    n_components: int
    nodes_total: int
    edges_total: int
    length_total_m: float
    nodes_kept: int
    edges_kept: int
    length_kept_m: float
    largest: tuple[int, ...] = ()

    @property
    def nodes_dropped(self) -> int:
        """Nodes outside the kept components."""
        return self.nodes_total - self.nodes_kept

    @property
    def length_dropped_m(self) -> float:
        """Edge length outside the kept components, in metres."""
        return self.length_total_m - self.length_kept_m

    @property
    def share_nodes_kept(self) -> float:
        """Share of nodes kept, 0–1."""
        return self.nodes_kept / self.nodes_total if self.nodes_total else 0.0


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """An undirected walk network held as arrays in a metric CRS (the local UTM zone).

    Every edge is walkable in both directions; its geometry runs from node ``u`` to node ``v``.
    Per-profile traversal times live in `lifecircle.coverage`, not here.

    Attributes
    ----------
    x, y
        Node coordinates in metres, ``float64`` of length ``n_nodes``.
    u, v
        Edge end nodes, ``int64`` of length ``n_edges``.
    length
        Edge length in metres (planar length of the projected geometry).
    highway
        Normalized class of each edge (``footway``, ``steps``, ``residential``, …).
    geometry
        Shapely ``LineString`` array, one per edge, oriented from ``u`` to ``v``.
    crs
        The metric CRS of ``x``, ``y`` and ``geometry``.
    way_id
        Source way identifier of each edge (OSM id where known), as strings.
    components
        What component analysis found and what was dropped.
    source
        A short description of where the network came from.
    """

    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length: np.ndarray
    highway: np.ndarray
    geometry: np.ndarray
    crs: pyproj.CRS
    way_id: np.ndarray
    components: ComponentReport
    source: str = ""
    name: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.x)

    @property
    def n_edges(self) -> int:
        """Number of (undirected) edges."""
        return len(self.u)

    def length_by_class(self) -> pd.Series:
        """Total edge length in kilometres per class, longest first."""
        s = pd.Series(self.length / 1000.0).groupby(self.highway).sum()
        return s.sort_values(ascending=False)

    def bounds_wgs84(self) -> tuple[float, float, float, float]:
        """Bounding box ``(minlon, minlat, maxlon, maxlat)`` of the nodes in WGS84."""
        t = pyproj.Transformer.from_crs(self.crs, WGS84, always_xy=True)
        lon, lat = t.transform(
            [self.x.min(), self.x.max(), self.x.min(), self.x.max()],
            [self.y.min(), self.y.min(), self.y.max(), self.y.max()],
        )
        return (min(lon), min(lat), max(lon), max(lat))

    def edges_gdf(self) -> gpd.GeoDataFrame:
        """The edges as a GeoDataFrame in the network's metric CRS."""
        data = {
            "u": self.u,
            "v": self.v,
            "length_m": self.length,
            "highway": self.highway,
            "way_id": self.way_id,
        }
        if len(self.name) == self.n_edges:
            data["name"] = self.name
        return gpd.GeoDataFrame(data, geometry=self.geometry, crs=self.crs)

    def nodes_gdf(self) -> gpd.GeoDataFrame:
        """The nodes as a GeoDataFrame in the network's metric CRS."""
        return gpd.GeoDataFrame(
            {"node": np.arange(self.n_nodes)},
            geometry=shapely.points(self.x, self.y),
            crs=self.crs,
        )

    def to_file(self, path: str | Path) -> Path:
        """Save the network as a GeoPackage with layers ``edges`` and ``nodes``.

        The file is written under a temporary name and renamed, so a failure leaves nothing.
        `read_network_file` reads it back without noding again.
        """
        path = Path(path)
        if path.suffix.lower() != ".gpkg":
            raise InputError(
                f"{path}: a network is saved as a GeoPackage; use a .gpkg name.",
                zh=f"{path}：步行路网只能保存为 GeoPackage；请使用 .gpkg 文件名。",
            )
        with atomic_path(path) as tmp:
            self.edges_gdf().to_file(tmp, layer="edges", driver="GPKG")
            self.nodes_gdf().to_file(tmp, layer="nodes", driver="GPKG")
        return path


def _features(rows: np.ndarray, lines: gpd.GeoDataFrame, limit: int = 5) -> tuple[str, str]:
    """1-based feature numbers of ``lines`` at positions ``rows``, in English and in Chinese."""
    pos = np.unique(rows)
    index = lines.index.to_numpy()
    nums = index[pos] + 1 if np.issubdtype(index.dtype, np.integer) else pos + 1
    shown = ", ".join(str(int(n)) for n in nums[:limit])
    more = f" (and {len(nums) - limit} more)" if len(nums) > limit else ""
    return shown + more, rows_zh(nums, unit="个要素", limit=limit)


def _check_coordinates(coords: np.ndarray, rows: np.ndarray, lines: gpd.GeoDataFrame, source: str) -> None:
    """Raise `InputError` for vertices that are not numbers, or off the globe in a lon/lat layer.

    ``rows`` gives each vertex's position in ``lines``. Latitudes beyond ±90° with every
    longitude within ±90° are told as swapped coordinates; other values beyond ±180°/±90° as
    a layer whose CRS is not what it says (projected metres labelled as degrees).
    """
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        feats, feats_zh = _features(rows[bad], lines)
        raise InputError(
            f"{source}: coordinates that are not numbers (NaN or infinite) in features {feats}; "
            "fix or drop those lines.",
            zh=f"{source}：{feats_zh}的坐标不是数字（NaN 或无穷大）；请修正或删除这些线。",
        )
    if not lines.crs.is_geographic:
        return
    lon, lat = np.abs(coords[:, 0]), np.abs(coords[:, 1])
    lat_out = lat > 90
    if lat_out.any() and (lon <= 90).all() and (lat <= 180).all():
        feats, feats_zh = _features(rows[lat_out], lines)
        raise InputError(
            f"{source}: latitude and longitude look swapped (latitudes beyond ±90° in features "
            f"{feats}, every longitude within ±90°); write each vertex as longitude, latitude.",
            zh=f"{source}：经纬度似乎写反了（{feats_zh}的纬度超出 ±90°，而所有经度都在 ±90° 以内）；"
            "请按 经度, 纬度 的顺序书写坐标。",
        )
    out = lat_out | (lon > 180)
    if out.any():
        feats, feats_zh = _features(rows[out], lines)
        raise InputError(
            f"{source}: coordinates out of range in features {feats}: longitudes are −180…180 and "
            "latitudes −90…90 degrees; if they are metres, declare the layer's CRS (--lines-crs, or "
            "network.crs in a scenario).",
            zh=f"{source}：{feats_zh}的坐标超出范围：经度应在 −180…180、纬度应在 −90…90 度之间；"
            "若坐标单位为米，请声明图层的坐标系（--lines-crs，或情景文件中的 network.crs）。",
        )


def utm_crs_for(lon: float, lat: float) -> pyproj.CRS:
    """Return the WGS84 UTM zone CRS that contains the point ``(lon, lat)``."""
    zone = int(np.floor((lon + 180.0) / 6.0)) % 60 + 1
    epsg = (32600 if lat >= 0 else 32700) + zone
    return pyproj.CRS.from_epsg(epsg)


def build_network(
    lines: gpd.GeoDataFrame,
    *,
    source: str,
    keep: str = "giant",
    crs: pyproj.CRS | None = None,
) -> WalkNetwork:
    """Node walkable way geometries at shared vertices and return a `WalkNetwork`.

    A node is made at every line end and wherever a vertex is shared by two lines (or twice by
    one line). Lines that merely cross, with no shared vertex (a bridge over a road, a tunnel
    under it), stay apart. Lines are projected to ``crs`` (default: the UTM zone of their
    centre) and split at nodes, so the summed edge length equals the projected length of
    the input.

    Parameters
    ----------
    lines
        Walkable ways only, with a ``highway`` column of normalized classes, optionally
        ``way_id`` and ``name``, and a CRS. LineStrings and MultiLineStrings; polygons
        (closed areas such as pedestrian squares) are used by their outline.
    source
        Description kept on the network.
    keep
        ``"giant"`` keeps the largest connected component; ``"all"`` keeps everything.
    crs
        Metric CRS to project to.

    Returns
    -------
    WalkNetwork
    """
    if lines.crs is None:
        raise InputError(
            f"{source}: the layer has no coordinate reference system; set one.",
            zh=f"{source}：图层没有坐标系；请为其设置坐标系。",
        )
    if keep not in {"giant", "all"}:
        raise ValueError(f"keep must be 'giant' or 'all', not {keep!r}")
    geoms = lines.geometry.to_numpy()
    polys = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    if polys.any():
        geoms = geoms.copy()
        geoms[polys] = shapely.boundary(shapely.force_2d(geoms[polys]))
    parts, src_idx = shapely.get_parts(geoms, return_index=True)
    parts = np.asarray(parts)
    is_line = shapely.get_type_id(parts) == 1  # LineString
    parts, src_idx = parts[is_line], src_idx[is_line]
    parts = shapely.force_2d(parts)
    if len(parts) == 0:
        raise InputError(
            f"{source}: no walkable line geometries were found.",
            zh=f"{source}：未找到可步行的线要素。",
        )
    coords, line_of = shapely.get_coordinates(parts, return_index=True)
    _check_coordinates(coords, src_idx[line_of], lines, source)

    # drop consecutive repeated vertices (zero-length steps inside one line)
    rep = np.zeros(len(coords), dtype=bool)
    rep[1:] = (line_of[1:] == line_of[:-1]) & np.all(coords[1:] == coords[:-1], axis=1)
    coords, line_of = coords[~rep], line_of[~rep]
    counts = np.bincount(line_of, minlength=len(parts))
    # lines reduced to a single vertex vanish
    single = counts[line_of] < 2
    coords, line_of = coords[~single], line_of[~single]
    if len(coords) == 0:
        raise InputError(
            f"{source}: every walkable line has zero length.",
            zh=f"{source}：所有可步行线段的长度均为零。",
        )

    # shared-vertex detection on the source coordinates (exact equality)
    _, vid = np.unique(coords, axis=0, return_inverse=True)
    vid = vid.ravel()
    occurrences = np.bincount(vid)
    first = np.ones(len(coords), dtype=bool)
    first[1:] = line_of[1:] != line_of[:-1]
    last = np.ones(len(coords), dtype=bool)
    last[:-1] = line_of[:-1] != line_of[1:]
    is_node = first | last | (occurrences[vid] >= 2)

    # project every vertex once
    if crs is None:
        centre = shapely.points(coords.mean(axis=0))
        centre_ll = gpd.GeoSeries([centre], crs=lines.crs).to_crs(WGS84).iloc[0]
        crs = utm_crs_for(centre_ll.x, centre_ll.y)
    tr = pyproj.Transformer.from_crs(lines.crs, crs, always_xy=True)
    px, py = tr.transform(coords[:, 0], coords[:, 1])
    pxy = np.column_stack([px, py])
    if not np.isfinite(pxy).all():
        feats, feats_zh = _features(src_idx[line_of[~np.isfinite(pxy).all(axis=1)]], lines)
        raise InputError(
            f"{source}: coordinates out of range in features {feats}: they cannot be projected to "
            f"{crs.name}; declare the layer's CRS (--lines-crs, or network.crs in a scenario).",
            zh=f"{source}：{feats_zh}的坐标超出范围，无法投影到 {crs.name}；"
            "请声明图层的坐标系（--lines-crs，或情景文件中的 network.crs）。",
        )

    # split each line at its interior nodes: interior node vertices are used twice
    interior_node = is_node & ~first & ~last
    reps = 1 + interior_node.astype(np.int64)
    exp_idx = np.repeat(np.arange(len(coords)), reps)
    # the second copy of an interior node, and every line start, opens a new segment
    second_copy = np.zeros(len(exp_idx), dtype=bool)
    dup_pos = np.cumsum(reps) - 1  # position of the last copy of each vertex
    second_copy[dup_pos[interior_node]] = True
    opens = second_copy | first[exp_idx]
    seg_id = np.cumsum(opens) - 1
    seg_lines = shapely.linestrings(pxy[exp_idx], indices=seg_id)
    seg_start = np.flatnonzero(opens)
    seg_end = np.r_[seg_start[1:], len(exp_idx)] - 1
    v_start = vid[exp_idx[seg_start]]
    v_end = vid[exp_idx[seg_end]]
    seg_line = line_of[exp_idx[seg_start]]
    seg_len = shapely.length(seg_lines)

    # compact node ids over the vertices that are nodes
    node_vids = np.unique(np.r_[v_start, v_end])
    u = np.searchsorted(node_vids, v_start)
    v = np.searchsorted(node_vids, v_end)
    # coordinates of node vertices (first occurrence of each)
    first_occ = np.full(occurrences.size, -1, dtype=np.int64)
    order = np.arange(len(vid))[::-1]
    first_occ[vid[order]] = order
    node_xy = pxy[first_occ[node_vids]]

    src_rows = src_idx[seg_line]
    highway = lines["highway"].to_numpy(dtype=object)[src_rows]
    way_id = (
        lines["way_id"].astype(str).to_numpy(dtype=object)[src_rows]
        if "way_id" in lines.columns
        else np.asarray(lines.index.astype(str), dtype=object)[src_rows]
    )
    name = (
        lines["name"].to_numpy(dtype=object)[src_rows]
        if "name" in lines.columns
        else np.array([], dtype=object)
    )

    n_nodes = len(node_vids)
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n_nodes, n_nodes))
    n_comp, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    total_len = float(seg_len.sum())
    if keep == "giant" and n_comp > 1:
        giant = int(np.argmax(sizes))
        keep_node = labels == giant
        keep_edge = keep_node[u]
        new_id = np.cumsum(keep_node) - 1
        u, v = new_id[u[keep_edge]], new_id[v[keep_edge]]
        node_xy = node_xy[keep_node]
        seg_lines, seg_len = seg_lines[keep_edge], seg_len[keep_edge]
        highway, way_id = highway[keep_edge], way_id[keep_edge]
        if len(name):
            name = name[keep_edge]
    report = ComponentReport(
        n_components=int(n_comp),
        nodes_total=int(n_nodes),
        edges_total=len(seg_start),
        length_total_m=total_len,
        nodes_kept=len(node_xy),
        edges_kept=len(u),
        length_kept_m=float(seg_len.sum()),
        largest=tuple(int(s) for s in np.sort(sizes)[::-1][:10]),
    )
    return WalkNetwork(
        x=np.ascontiguousarray(node_xy[:, 0]),
        y=np.ascontiguousarray(node_xy[:, 1]),
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        length=seg_len.astype(np.float64),
        highway=highway,
        geometry=seg_lines,
        crs=crs,
        way_id=way_id,
        components=report,
        source=source,
        name=name,
    )


def network_from_saved(edges: gpd.GeoDataFrame, nodes: gpd.GeoDataFrame, source: str) -> WalkNetwork:
    """Rebuild a `WalkNetwork` from the layers `WalkNetwork.to_file` wrote."""
    nodes = nodes.sort_values("node")
    xy = shapely.get_coordinates(nodes.geometry.to_numpy())
    length = edges["length_m"].to_numpy(dtype=np.float64)
    report = ComponentReport(
        n_components=1,
        nodes_total=len(xy),
        edges_total=len(edges),
        length_total_m=float(length.sum()),
        nodes_kept=len(xy),
        edges_kept=len(edges),
        length_kept_m=float(length.sum()),
        largest=(len(xy),),
    )
    return WalkNetwork(
        x=xy[:, 0].copy(),
        y=xy[:, 1].copy(),
        u=edges["u"].to_numpy(dtype=np.int64),
        v=edges["v"].to_numpy(dtype=np.int64),
        length=length,
        highway=edges["highway"].to_numpy(dtype=object),
        geometry=edges.geometry.to_numpy(),
        crs=pyproj.CRS.from_user_input(edges.crs),
        way_id=edges["way_id"].astype(str).to_numpy(dtype=object),
        components=report,
        source=source,
        name=edges["name"].to_numpy(dtype=object) if "name" in edges else np.array([], dtype=object),
    )
