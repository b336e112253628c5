"""The walk network as arrays, built from way geometries noded at shared vertices."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .common import InputError, Rows, atomic_path

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
            raise InputError("network.save_not_gpkg", path=path)
        with atomic_path(path) as tmp:
            self.edges_gdf().to_file(tmp, layer="edges", driver="GPKG")
            self.nodes_gdf().to_file(tmp, layer="nodes", driver="GPKG")
        return path


def _features(rows: np.ndarray, lines: gpd.GeoDataFrame) -> Rows:
    """1-based feature numbers of ``lines`` at positions ``rows``, for a message."""
    pos = np.unique(rows)
    index = lines.index.to_numpy()
    nums = index[pos] + 1 if np.issubdtype(index.dtype, np.integer) else pos + 1
    return Rows(nums, unit="feature")


def _check_coordinates(coords: np.ndarray, rows: np.ndarray, lines: gpd.GeoDataFrame, source: str) -> None:
    """Raise `InputError` for vertices that are not numbers, or off the globe in a lon/lat layer.

    ``rows`` gives each vertex's position in ``lines``. Latitudes beyond ±90° with every
    longitude within ±90° are told as swapped coordinates; other values beyond ±180°/±90° as
    a layer whose CRS is not what it says (projected metres labelled as degrees).
    """
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        raise InputError("network.not_numbers", source=source, features=_features(rows[bad], lines))
    if not lines.crs.is_geographic:
        return
    lon, lat = np.abs(coords[:, 0]), np.abs(coords[:, 1])
    lat_out = lat > 90
    if lat_out.any() and (lon <= 90).all() and (lat <= 180).all():
        raise InputError("network.swapped", source=source, features=_features(rows[lat_out], lines))
    out = lat_out | (lon > 180)
    if out.any():
        raise InputError("network.out_of_range", source=source, features=_features(rows[out], lines))


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
        raise InputError("network.no_crs", source=source)
    if keep not in {"giant", "all"}:
        raise ValueError(f"keep must be 'giant' or 'all', not {keep!r}")
    parts, src_idx = _line_parts(lines, source)
    coords, line_of = _vertices(parts, src_idx, lines, source)
    crs = crs if crs is not None else _centre_utm(coords, lines.crs)
    tr = pyproj.Transformer.from_crs(lines.crs, crs, always_xy=True)
    px, py = tr.transform(coords[:, 0], coords[:, 1])
    pxy = np.column_stack([px, py])
    if not np.isfinite(pxy).all():
        feats = _features(src_idx[line_of[~np.isfinite(pxy).all(axis=1)]], lines)
        raise InputError("network.not_projectable", source=source, features=feats, crs=crs.name)
    edges, node_xy = _split_at_nodes(coords, line_of, pxy)
    edges = _with_attributes(edges, lines, src_idx)
    edges, node_xy, report = _components(edges, node_xy, keep)
    return WalkNetwork(
        x=np.ascontiguousarray(node_xy[:, 0]),
        y=np.ascontiguousarray(node_xy[:, 1]),
        u=edges.u.astype(np.int64),
        v=edges.v.astype(np.int64),
        length=edges.length.astype(np.float64),
        highway=edges.highway,
        geometry=edges.geometry,
        crs=crs,
        way_id=edges.way_id,
        components=report,
        source=source,
        name=edges.name,
    )


@dataclass(frozen=True)
class _Edges:
    """Edge arrays while a network is built: end nodes, geometry, length and source attributes.

    ``line`` is the index of each edge's line part (see `_line_parts`); ``highway``, ``way_id``
    and ``name`` are filled in by `_with_attributes` (``name`` is empty when the source has none).
    """

    u: np.ndarray
    v: np.ndarray
    geometry: np.ndarray
    length: np.ndarray
    line: np.ndarray
    highway: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    way_id: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    name: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))

    def take(self, mask: np.ndarray, u: np.ndarray, v: np.ndarray) -> _Edges:
        """The edges where ``mask`` holds, with new end nodes ``u`` and ``v``."""
        return _Edges(
            u=u,
            v=v,
            geometry=self.geometry[mask],
            length=self.length[mask],
            line=self.line[mask],
            highway=self.highway[mask],
            way_id=self.way_id[mask],
            name=self.name[mask] if len(self.name) else self.name,
        )


def _line_parts(lines: gpd.GeoDataFrame, source: str) -> tuple[np.ndarray, np.ndarray]:
    """The 2-D LineString parts of ``lines`` (polygons by their outline) and the row of each."""
    geoms = lines.geometry.to_numpy()
    polys = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    if polys.any():
        geoms = geoms.copy()
        geoms[polys] = shapely.boundary(shapely.force_2d(geoms[polys]))
    parts, src_idx = shapely.get_parts(geoms, return_index=True)
    parts = np.asarray(parts)
    is_line = shapely.get_type_id(parts) == 1  # LineString
    parts, src_idx = parts[is_line], src_idx[is_line]
    if len(parts) == 0:
        raise InputError("network.no_lines", source=source)
    return shapely.force_2d(parts), src_idx


def _vertices(
    parts: np.ndarray, src_idx: np.ndarray, lines: gpd.GeoDataFrame, source: str
) -> tuple[np.ndarray, np.ndarray]:
    """Checked vertex coordinates of the line parts and the part of each vertex.

    Consecutive repeated vertices (zero-length steps inside one line) are dropped, and lines
    reduced to a single vertex vanish.
    """
    coords, line_of = shapely.get_coordinates(parts, return_index=True)
    _check_coordinates(coords, src_idx[line_of], lines, source)
    rep = np.zeros(len(coords), dtype=bool)
    rep[1:] = (line_of[1:] == line_of[:-1]) & np.all(coords[1:] == coords[:-1], axis=1)
    coords, line_of = coords[~rep], line_of[~rep]
    counts = np.bincount(line_of, minlength=len(parts))
    single = counts[line_of] < 2
    coords, line_of = coords[~single], line_of[~single]
    if len(coords) == 0:
        raise InputError("network.zero_length", source=source)
    return coords, line_of


def _centre_utm(coords: np.ndarray, crs: pyproj.CRS) -> pyproj.CRS:
    """The UTM zone of the mean of ``coords`` (given in ``crs``)."""
    centre = shapely.points(coords.mean(axis=0))
    centre_ll = gpd.GeoSeries([centre], crs=crs).to_crs(WGS84).iloc[0]
    return utm_crs_for(centre_ll.x, centre_ll.y)


def _split_at_nodes(coords: np.ndarray, line_of: np.ndarray, pxy: np.ndarray) -> tuple[_Edges, np.ndarray]:
    """Split each line at its nodes; return the edges and the projected node coordinates.

    Nodes are line ends and vertices shared by two lines (or twice by one), found on the
    source coordinates by exact equality; ``pxy`` holds the projected vertices.
    """
    _, vid = np.unique(coords, axis=0, return_inverse=True)
    vid = vid.ravel()
    occurrences = np.bincount(vid)
    first = np.ones(len(coords), dtype=bool)
    first[1:] = line_of[1:] != line_of[:-1]
    last = np.ones(len(coords), dtype=bool)
    last[:-1] = line_of[:-1] != line_of[1:]
    is_node = first | last | (occurrences[vid] >= 2)

    # interior node vertices are used twice: as the end of one segment and the start of the next
    interior_node = is_node & ~first & ~last
    reps = 1 + interior_node.astype(np.int64)
    exp_idx = np.repeat(np.arange(len(coords)), reps)
    # the second copy of an interior node, and every line start, opens a new segment
    second_copy = np.zeros(len(exp_idx), dtype=bool)
    dup_pos = np.cumsum(reps) - 1  # position of the last copy of each vertex
    second_copy[dup_pos[interior_node]] = True
    opens = second_copy | first[exp_idx]
    seg_lines = shapely.linestrings(pxy[exp_idx], indices=np.cumsum(opens) - 1)
    seg_start = np.flatnonzero(opens)
    seg_end = np.r_[seg_start[1:], len(exp_idx)] - 1
    v_start = vid[exp_idx[seg_start]]
    v_end = vid[exp_idx[seg_end]]

    # compact node ids over the vertices that are nodes, placed at their first occurrence
    node_vids = np.unique(np.r_[v_start, v_end])
    first_occ = np.full(occurrences.size, -1, dtype=np.int64)
    order = np.arange(len(vid))[::-1]
    first_occ[vid[order]] = order
    edges = _Edges(
        u=np.searchsorted(node_vids, v_start),
        v=np.searchsorted(node_vids, v_end),
        geometry=seg_lines,
        length=shapely.length(seg_lines),
        line=line_of[exp_idx[seg_start]],
    )
    return edges, pxy[first_occ[node_vids]]


def _with_attributes(edges: _Edges, lines: gpd.GeoDataFrame, src_idx: np.ndarray) -> _Edges:
    """The edges with the class, way id and name of the row each comes from."""
    src_rows = src_idx[edges.line]
    way_id = (
        lines["way_id"].astype(str).to_numpy(dtype=object)
        if "way_id" in lines.columns
        else np.asarray(lines.index.astype(str), dtype=object)
    )
    name = lines["name"].to_numpy(dtype=object)[src_rows] if "name" in lines.columns else edges.name
    return replace(
        edges,
        highway=lines["highway"].to_numpy(dtype=object)[src_rows],
        way_id=way_id[src_rows],
        name=name,
    )


def _components(edges: _Edges, node_xy: np.ndarray, keep: str) -> tuple[_Edges, np.ndarray, ComponentReport]:
    """Find the connected components; keep the largest one when ``keep`` is ``"giant"``."""
    n_nodes = len(node_xy)
    graph = coo_matrix((np.ones(len(edges.u)), (edges.u, edges.v)), shape=(n_nodes, n_nodes))
    n_comp, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    total_len = float(edges.length.sum())
    n_edges = len(edges.u)
    if keep == "giant" and n_comp > 1:
        keep_node = labels == int(np.argmax(sizes))
        keep_edge = keep_node[edges.u]
        new_id = np.cumsum(keep_node) - 1
        edges = edges.take(keep_edge, new_id[edges.u[keep_edge]], new_id[edges.v[keep_edge]])
        node_xy = node_xy[keep_node]
    report = ComponentReport(
        n_components=int(n_comp),
        nodes_total=int(n_nodes),
        edges_total=n_edges,
        length_total_m=total_len,
        nodes_kept=len(node_xy),
        edges_kept=len(edges.u),
        length_kept_m=float(edges.length.sum()),
        largest=tuple(int(s) for s in np.sort(sizes)[::-1][:10]),
    )
    return edges, node_xy, report


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
