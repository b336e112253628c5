"""Read the part of a DEM GeoTIFF (heights in metres) that a walk network needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyproj
import shapely

from .common import InputError, Msg
from .files import require_file

if TYPE_CHECKING:
    from .network import WalkNetwork

#: Pixels of margin read around the network's extent (the bilinear interpolation needs one).
MARGIN_PX = 2


@dataclass(frozen=True, eq=False)
class DemWindow:
    """A window of a DEM: heights on a pixel grid, where the grid lies, and where it came from.

    Attributes
    ----------
    array
        Heights in metres, float64, shape ``(rows, columns)``; NaN where the raster has no
        height (its nodata value or mask). Empty when the network lies outside the raster.
    transform
        Affine transform from (column, row) of ``array`` to coordinates in ``crs``.
    nodata
        The raster's declared nodata value (already turned into NaN in ``array``), or None.
    crs
        The raster's coordinate reference system.
    source
        The file the heights were read from.
    """

    array: np.ndarray
    transform: Any
    nodata: float | None
    crs: pyproj.CRS
    source: str = ""


def read_dem(path: str | Path, net: WalkNetwork) -> DemWindow:
    """Read the window of a single-band DEM GeoTIFF that covers ``net`` (plus `MARGIN_PX` pixels).

    Parameters
    ----------
    path
        Path of a single-band elevation raster (metres) with a CRS.
    net
        The walk network whose edge geometries will be sampled.

    Returns
    -------
    DemWindow
        Sample it with `lifecircle.coverage.slope.sample_dem`.

    Raises
    ------
    InputError
        When the file is missing, unreadable as a raster, or has no CRS.
    """
    import rasterio

    path = require_file(path, Msg("what.dem"))
    try:
        src = rasterio.open(path)
    except Exception as exc:
        raise InputError("dem.unreadable", path=path, error=exc.__class__.__name__) from None
    with src:
        if src.crs is None:
            raise InputError("dem.no_crs", path=path)
        crs = pyproj.CRS.from_user_input(src.crs)
        window = _window(src, net, crs)
        if window is None:
            array = np.zeros((0, 0))
        else:
            band = src.read(1, window=window, masked=True)
            array = np.asarray(band.astype(np.float64).filled(np.nan), dtype=np.float64)
        return DemWindow(
            array=array,
            transform=src.transform if window is None else _shifted(src.transform, window),
            nodata=None if src.nodata is None else float(src.nodata),
            crs=crs,
            source=str(path),
        )


def _shifted(transform: Any, window: Any) -> Any:
    """The transform of ``window``: ``transform`` moved to the window's first column and row."""
    from affine import Affine

    return transform @ Affine.translation(window.col_off, window.row_off)


def _window(src, net: WalkNetwork, crs: pyproj.CRS):
    """The raster window around every vertex of ``net``, or None when it misses the raster.

    The window is the vertices' extent (in pixels, `MARGIN_PX` wider on each side) clipped to
    the raster, so every point along an edge that falls on the raster falls in the window.
    """
    from rasterio.windows import Window

    coords = shapely.get_coordinates(net.geometry)
    tr = pyproj.Transformer.from_crs(net.crs, crs, always_xy=True)
    x, y = (np.asarray(a, dtype=np.float64) for a in tr.transform(coords[:, 0], coords[:, 1]))
    inv = ~src.transform
    col = inv.a * x + inv.b * y + inv.c
    row = inv.d * x + inv.e * y + inv.f
    ok = np.isfinite(col) & np.isfinite(row)
    if not ok.any():
        return None
    c0 = max(int(np.floor(col[ok].min())) - MARGIN_PX, 0)
    r0 = max(int(np.floor(row[ok].min())) - MARGIN_PX, 0)
    c1 = min(int(np.floor(col[ok].max())) + MARGIN_PX + 1, src.width)
    r1 = min(int(np.floor(row[ok].max())) + MARGIN_PX + 1, src.height)
    if c1 <= c0 or r1 <= r0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)
