"""Where a partition reads its lines from: the `LineSource` protocol and the file source.

Files are read by `lifecircle.geodata.sources` (`pbf_ways`, `layer_ways`, `network_lines`), the
same functions the single-process reader uses, so a partition nodes exactly the lines a single
run nodes (`lifecircle.scenarios.partition`, point 3).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from ..geodata.network import WGS84
from ..geodata.sources import layer_bounds, layer_ways, network_lines, pbf_ways

#: Degrees added around every WGS84 box: a GCJ-02 or BD-09 layer sits up to about 1 km off its label.
SHIFT_PAD_DEG = 0.02


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

    @property
    def is_pbf(self) -> bool:
        """Whether the file is an OSM PBF (read whole) rather than a line layer (read by box)."""
        return str(self.path).lower().endswith(".pbf")

    def extent(self) -> tuple[float, float, float, float]:
        """The clip's bounds, or the file's, in the metric CRS (padded for GCJ-02 shifts)."""
        if self.clip is not None:
            lo = self.clip.bounds
        elif self.is_pbf:
            lo = tuple(_pbf_lines(self.path, None).total_bounds)
        else:
            lo = layer_bounds(self.path)
        pad = SHIFT_PAD_DEG
        tr = pyproj.Transformer.from_crs(WGS84, self.crs, always_xy=True)
        return tuple(
            float(v)
            for v in tr.transform_bounds(lo[0] - pad, lo[1] - pad, lo[2] + pad, lo[3] + pad, densify_pts=21)
        )

    def lines(self, bbox: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
        """Walkable lines meeting ``bbox`` (WGS84 frame)."""
        tr = pyproj.Transformer.from_crs(self.crs, WGS84, always_xy=True)
        lo = tr.transform_bounds(*bbox, densify_pts=21)
        pad = SHIFT_PAD_DEG
        wbox = (lo[0] - pad, lo[1] - pad, lo[2] + pad, lo[3] + pad)
        if self.is_pbf:
            ways = _pbf_lines(self.path, self.clip)
        else:
            ways = network_lines(layer_ways(self.path, self.lines_crs, wbox))
        keep = shapely.intersects(ways.geometry.to_numpy(), shapely.box(*wbox))
        return ways.loc[keep]


_PBF_CACHE: dict[tuple, gpd.GeoDataFrame] = {}
_PBF_LOCK = threading.Lock()


def _pbf_lines(path: str, clip: BaseGeometry | None) -> gpd.GeoDataFrame:
    """A PBF's walkable lines for the single run's clip (pyrosm reads the whole file anyway).

    pyrosm keeps only the nodes inside its bounding box, so ways are read with the single
    run's own clip, never a tile's, and cached per worker process (the last file only).
    ``row`` numbers the ways as pyrosm gives them.
    """
    key = (str(path), None if clip is None else shapely.to_wkb(clip))
    with _PBF_LOCK:
        got = _PBF_CACHE.get(key)
        if got is None:
            ways = pbf_ways(path, clip)
            ways = ways.assign(row=np.arange(len(ways), dtype=np.int64))
            got = network_lines(ways, clip)
            _PBF_CACHE.clear()
            _PBF_CACHE[key] = got
    return got
