"""One partition's network: the lines its tile needs, noded, with a summary of its components.

What is read and why it gives the single run's edges: `lifecircle.scenarios.partition`,
points 3 and 4.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry.base import BaseGeometry

from ..geodata.network import ComponentReport, WalkNetwork, build_network
from .partition_grid import TileGrid
from .partition_sources import LineSource


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
    """Read and node the lines a tile needs (ring 1 and ring 2, `lifecircle.scenarios.partition` 3–4).

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
    parts = _tile_lines(source, grid.zone(tile, margin_m))
    if len(parts) == 0:
        summary = ComponentSummary(tile, 0, np.zeros(0), np.zeros(0, np.int64), np.zeros(0, np.complex128))
        return LoadedPartition(tile, _empty_network(source), np.zeros(0, np.int64), summary)
    lines = gpd.GeoDataFrame(
        {
            "highway": parts["highway"].to_numpy(),
            "way_id": np.arange(len(parts)).astype(str).astype(object),
            **({"name": parts["name"].to_numpy()} if "name" in parts else {}),
        },
        geometry=parts.geometry.to_numpy(),
        crs=parts.crs,
    )
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
        link_key=_first_keys(parts)[link],
    )
    return LoadedPartition(tile, net, labels, summary, n_lines=len(parts))


def _tile_lines(source: LineSource, zone: BaseGeometry) -> gpd.GeoDataFrame:
    """The lines meeting ``zone`` (ring 1) and those sharing a vertex with them (ring 2)."""
    parts = _parts(source.lines(zone.bounds))
    metric = _to_metric(parts, source.crs)
    ring1 = shapely.intersects(metric, zone)
    more = _lines_beyond(source, parts, metric, ring1, zone.bounds)
    if len(more):
        parts = pd.concat([parts, more], ignore_index=True)
        ring1 = np.r_[ring1, np.zeros(len(more), dtype=bool)]
    coords, which = shapely.get_coordinates(parts.geometry.to_numpy(), return_index=True)
    keys = coords[:, 0] + 1j * coords[:, 1]
    r1_keys = np.unique(keys[ring1[which]])
    shares = np.zeros(len(parts), dtype=bool)
    hit = np.isin(keys, r1_keys)
    shares[np.unique(which[hit])] = True
    return parts.loc[ring1 | shares].reset_index(drop=True)


def _lines_beyond(
    source: LineSource,
    parts: gpd.GeoDataFrame,
    metric: np.ndarray,
    ring1: np.ndarray,
    zb: tuple[float, float, float, float],
) -> gpd.GeoDataFrame:
    """Lines missing from ``parts`` through the vertices of ring-1 lines outside the box ``zb`` read.

    ``metric`` holds the geometries of ``parts`` in the metric CRS and ``ring1`` flags the
    ring-1 lines. The missing lines are read with a box around those vertices.
    """
    which = shapely.get_coordinates(parts.geometry.to_numpy(), return_index=True)[1]
    mcoords = shapely.get_coordinates(metric)
    inside = (
        (mcoords[:, 0] >= zb[0])
        & (mcoords[:, 0] <= zb[2])
        & (mcoords[:, 1] >= zb[1])
        & (mcoords[:, 1] <= zb[3])
    )
    outside = ring1[which] & ~inside
    if not outside.any():
        return parts.iloc[:0]
    ob = (
        float(mcoords[outside, 0].min()) - 1.0,
        float(mcoords[outside, 1].min()) - 1.0,
        float(mcoords[outside, 0].max()) + 1.0,
        float(mcoords[outside, 1].max()) + 1.0,
    )
    more = _parts(source.lines(ob))
    return more.loc[~more["_pid"].isin(parts["_pid"])]


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
    z = np.zeros(0)
    zi = np.zeros(0, dtype=np.int64)
    return WalkNetwork(
        x=z, y=z.copy(), u=zi, v=zi.copy(), length=z.copy(), highway=np.zeros(0, dtype=object),
        geometry=np.zeros(0, dtype=object), crs=source.crs, way_id=np.zeros(0, dtype=object),
        components=ComponentReport(0, 0, 0, 0.0, 0, 0, 0.0), source=source.describe(),
    )  # fmt: skip
