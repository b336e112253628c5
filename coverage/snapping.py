"""Attach points (homes, facilities) to the nearest network edge at their projected position."""

from __future__ import annotations

import weakref
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from ..geodata.common import InputError, Msg

if TYPE_CHECKING:
    from ..geodata.network import WalkNetwork

#: Default largest distance from a point to the network for it to count as on the network.
MAX_SNAP_M = 250.0

_TREES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

Points = gpd.GeoDataFrame | gpd.GeoSeries | tuple[np.ndarray, np.ndarray] | np.ndarray

#: The layers ``what`` usually names; their names are in the catalogue (``snapping.what.*``).
LAYERS: tuple[str, ...] = ("points", "demand", "facilities", "candidates")


def layer_name(what: str | Msg, plural: bool = False) -> str | Msg:
    """The name of the layer ``what`` for a message: a catalogue message for the usual layers.

    ``plural`` asks for the name of its points (``demand points`` rather than ``demand``);
    another string is used as it is in both languages, and a `Msg` is its own name.
    """
    if isinstance(what, str) and what in LAYERS:
        return Msg(f"snapping.{'points_of' if plural else 'what'}.{what}")
    return what


@dataclass(frozen=True, eq=False)
class Snap:
    """Where each point meets the network.

    Attributes
    ----------
    edge
        Index of the nearest edge, ``-1`` for points off the network.
    along_m
        Distance along that edge from its ``u`` end to the snapped position, metres (NaN off
        the network).
    dist_m
        Straight-line distance from the point to the snapped position (the access leg),
        metres; ``inf`` for points off the network (nothing within ``max_snap_m``) and for
        points without a geometry.
    off_network
        True for points not attached (farther than ``max_snap_m`` from every edge, or
        without a geometry).
    x, y
        The points in the network's metric CRS (NaN without a geometry).
    max_snap_m
        The snapping limit used.
    """

    edge: np.ndarray
    along_m: np.ndarray
    dist_m: np.ndarray
    off_network: np.ndarray
    x: np.ndarray
    y: np.ndarray
    max_snap_m: float

    def __len__(self) -> int:
        return len(self.edge)

    @property
    def n_off_network(self) -> int:
        """Number of points not attached to the network."""
        return int(self.off_network.sum())

    def on_subnetwork(self, edge_map: np.ndarray) -> Snap:
        """The same snaps on a part of the network (see `routing.region_network`).

        ``edge_map`` gives each edge of the whole network its index in the part, ``-1`` where
        it was left out; points on left-out edges become off-network there.
        """
        edge = np.where(self.edge >= 0, edge_map[np.maximum(self.edge, 0)], -1)
        off = edge < 0
        return Snap(
            edge,
            np.where(off, np.nan, self.along_m),
            np.where(off, np.inf, self.dist_m),
            off,
            self.x,
            self.y,
            self.max_snap_m,
        )

    def subset(self, mask: np.ndarray) -> Snap:
        """The snaps of the points selected by a boolean mask or an index array."""
        return Snap(
            self.edge[mask],
            self.along_m[mask],
            self.dist_m[mask],
            self.off_network[mask],
            self.x[mask],
            self.y[mask],
            self.max_snap_m,
        )


@dataclass(frozen=True)
class Layers:
    """How two point layers (demand, facilities) meet the network, and their names in messages.

    Attributes
    ----------
    max_snap_m
        Points farther than this from every edge are off the network (points given as
        coordinates; ready `Snap` objects keep their own limit).
    demand_where, facilities_where
        Names of the demand and facility (or candidate) layers, usually their files, for
        `check_on_network`: a layer none of whose points lies within ``max_snap_m`` of the
        network is an `InputError` naming it. None: not checked (a note says so).
    facilities_what
        What the facility layer holds, for that message: ``facilities`` or ``candidates``.
    """

    max_snap_m: float = MAX_SNAP_M
    demand_where: str | None = None
    facilities_where: str | None = None
    facilities_what: str = "facilities"


def layers_from(layers: Layers | None, layer_fields: dict[str, Any]) -> Layers:
    """``layers``, or `Layers` built from the same fields given one by one as keywords.

    The reach functions take ``layers=Layers(...)`` or its fields (``max_snap_m``,
    ``demand_where``, ``facilities_where``, ``facilities_what``) as keywords, whichever reads
    better at the call. Any other keyword is a `TypeError`, as usual.
    """
    unknown = sorted(set(layer_fields) - {f.name for f in fields(Layers)})
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(unknown)}")
    if layers is not None and layer_fields:
        raise TypeError("give layers=Layers(...) or its fields as keywords, not both")
    return layers if layers is not None else Layers(**layer_fields)


def edge_tree(net: WalkNetwork) -> shapely.STRtree:
    """The spatial index of the network's edge geometries (built once per network)."""
    tree = _TREES.get(net)
    if tree is None:
        tree = shapely.STRtree(net.geometry)
        _TREES[net] = tree
    return tree


def points_xy(points: Points, crs: pyproj.CRS, what: str | Msg = "points") -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of ``points`` in the metric CRS ``crs``.

    Parameters
    ----------
    points
        A GeoDataFrame or GeoSeries of points in any CRS (projected here), a tuple of ``x``
        and ``y`` arrays already in ``crs``, or an ``(n, 2)`` array in ``crs``.
    crs
        The network's metric CRS.
    what
        Name of the table, for error messages (see `layer_name`).
    """
    if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries):
        if points.crs is None:
            raise InputError("snapping.no_crs", what=layer_name(what))
        geoms = points.to_crs(crs).geometry.to_numpy() if len(points) else np.array([], dtype=object)
        bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        kind = shapely.get_type_id(geoms)
        if np.any(~bad & (kind != 0)):
            # polygons and lines are represented by a point inside them
            geoms = geoms.copy()
            sel = ~bad & (kind != 0)
            geoms[sel] = shapely.point_on_surface(geoms[sel])
        x = np.full(len(geoms), np.nan)
        y = np.full(len(geoms), np.nan)
        x[~bad] = shapely.get_x(geoms[~bad])
        y[~bad] = shapely.get_y(geoms[~bad])
        return x, y
    if isinstance(points, tuple) and len(points) == 2:
        x, y = (np.asarray(a, dtype=np.float64).ravel() for a in points)
    else:
        arr = np.asarray(points, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != 2:
            raise InputError("snapping.bad_points", what=layer_name(what))
        x, y = arr[:, 0].copy(), arr[:, 1].copy()
    if len(x) != len(y):
        raise InputError("snapping.xy_lengths", what=layer_name(what))
    return x, y


def snap_points(
    net: WalkNetwork,
    points: Points | Snap,
    *,
    max_snap_m: float = MAX_SNAP_M,
    what: str | Msg = "points",
) -> Snap:
    """Attach each point to the nearest edge at its projected position.

    Parameters
    ----------
    net
        The walk network.
    points
        See `points_xy`; a `Snap` is returned unchanged.
    max_snap_m
        Points farther than this from every edge are flagged off-network and never attached.
    what
        Name of the table, for error messages (see `layer_name`).

    Returns
    -------
    Snap
    """
    if isinstance(points, Snap):
        return points
    if not np.isfinite(max_snap_m) or max_snap_m < 0:
        raise InputError("snapping.bad_max_snap", value=repr(max_snap_m))
    x, y = points_xy(points, net.crs, what)
    n = len(x)
    edge = np.full(n, -1, dtype=np.int64)
    along = np.full(n, np.nan)
    dist = np.full(n, np.inf)
    valid = np.isfinite(x) & np.isfinite(y)
    if valid.any() and net.n_edges:
        pts = shapely.points(x[valid], y[valid])
        # (an unbounded nearest search, then the limit, is faster than a bounded one in GEOS)
        (qi, ei), d = edge_tree(net).query_nearest(pts, return_distance=True, all_matches=True)
        qi, ei, d = _break_ties(net, qi, ei, d)
        near = d <= max_snap_m
        qi, ei, d = qi[near], ei[near], d[near]
        idx = np.flatnonzero(valid)[qi]
        edge[idx] = ei
        dist[idx] = d
        along[idx] = shapely.line_locate_point(net.geometry[ei], pts[qi])
    return Snap(
        edge=edge,
        along_m=along,
        dist_m=dist,
        off_network=edge < 0,
        x=x,
        y=y,
        max_snap_m=float(max_snap_m),
    )


def _break_ties(
    net: WalkNetwork, qi: np.ndarray, ei: np.ndarray, d: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep one nearest edge per point; among equally near edges, the one with the smallest ends.

    A point nearest to a node touches every edge at that node at the same distance. Choosing by
    the edges' end coordinates (not by their index or the spatial index's order) makes the
    choice the same on any network that holds the same edges, such as a partition's.
    """
    if len(qi) == len(np.unique(qi)):
        return qi, ei, d
    ux, uy, vx, vy = net.x[net.u[ei]], net.y[net.u[ei]], net.x[net.v[ei]], net.y[net.v[ei]]
    swap = (vx < ux) | ((vx == ux) & (vy < uy))
    ax, ay = np.where(swap, vx, ux), np.where(swap, vy, uy)
    bx, by = np.where(swap, ux, vx), np.where(swap, uy, vy)
    order = np.lexsort((net.length[ei], by, bx, ay, ax, qi))
    qi, ei, d = qi[order], ei[order], d[order]
    first = np.r_[True, qi[1:] != qi[:-1]]
    return qi[first], ei[first], d[first]


def check_on_network(
    net: WalkNetwork,
    snap: Snap,
    where: str | None,
    what: str | Msg = "points",
) -> None:
    """Raise `InputError` when every located point of a layer is beyond the snap distance.

    A layer none of whose points reaches the network (demand, the facilities of a service,
    candidate sites) almost always lies in another area or another CRS than the network, so
    its coverage of 0 would be a wrong answer, not a finding. Some points off the network is
    normal (the caller keeps its note).

    Parameters
    ----------
    net
        The walk network the points were snapped to.
    snap
        The layer's snaps (`snap_points`).
    where
        Name of the layer for the message (its file or source); ``None`` skips the check.
    what
        What the points are (``demand``, ``facilities``, ``candidates``; see `layer_name`).
    """
    located = np.isfinite(snap.x) & np.isfinite(snap.y)
    if where is None or not located.any() or net.n_edges == 0 or np.any(~snap.off_network & located):
        return
    pts = shapely.points(snap.x[located], snap.y[located])
    _, d = edge_tree(net).query_nearest(pts, return_distance=True, all_matches=False)
    d = d[np.isfinite(d)]
    med = np.median(d) / 1000.0 if len(d) else np.nan
    km = "?" if not np.isfinite(med) else f"{med:,.1f}" if med < 10 else f"{med:,.0f}"
    raise InputError(
        "snapping.layer_off_network",
        where=where,
        n=int(located.sum()),
        what=layer_name(what, plural=True),
        limit=snap.max_snap_m,
        km=km,
    )
