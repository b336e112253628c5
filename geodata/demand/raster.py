"""Demand model (b): a raster of residents per cell (WorldPop, GHSL, LandScan, a bureau's grid)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from ..common import Assumption, InputError, Msg, Note
from ..crs import parse_crs, to_wgs84
from ..files import require_file
from ._checks import geom_to, groups_from_shares, read_clip
from .base import Demand, DemandRows, RasterOptions, assemble


@dataclass
class _Cells:
    """The counts read from the raster's window, and where that window lies."""

    values: np.ndarray  # float64, NaN for nodata
    transform: Any  # affine transform of the window
    row_off: int
    col_off: int
    crs: str | pyproj.CRS  # the raster's CRS (``gcj02``/``bd09`` as a name)
    area: BaseGeometry | None  # the clip area in the raster's CRS


def demand_from_raster(tif: str | Path, **options: Any) -> Demand:
    """Demand from a GeoTIFF of residents per cell: one point per populated cell centre.

    Cell values are taken as counts of residents (not densities) and kept unchanged; nodata,
    NaN and zero cells give no point. With ``clip`` only the window around the area is read
    and only cells whose centre lies inside it are kept.

    Parameters
    ----------
    tif
        The raster (WorldPop, GHSL, LandScan, a bureau's grid).
    **options
        The fields of `RasterOptions`, as keywords: ``band`` (the band holding the counts,
        default 1), ``crs`` (the raster's CRS when the file carries none, or a wrong one),
        ``clip``/``clip_crs`` (area to keep), and ``group_shares``, ``shares_source``,
        ``units``, ``urban`` as in `demand_from_table`.
    """
    opts = RasterOptions(**options)
    p = require_file(tif, Msg("what.population_raster"))
    cells = _read_cells(p, opts)
    vals = cells.values
    neg = np.isfinite(vals) & (vals < 0)
    if neg.any():
        r, c = np.nonzero(neg)
        shown = zip(r[:5], c[:5], strict=True)
        where_neg = ", ".join(f"({ri + cells.row_off + 1}, {ci + cells.col_off + 1})" for ri, ci in shown)
        raise InputError("demand.raster_negative", path=p, cells=where_neg)
    rows, cols = np.nonzero(np.isfinite(vals) & (vals > 0))
    a, b, c, d, e, f = cells.transform[:6]  # cell centre = affine map of (col + ½, row + ½)
    xs = a * (cols + 0.5) + b * (rows + 0.5) + c
    ys = d * (cols + 0.5) + e * (rows + 0.5) + f
    if cells.area is not None:
        inside = shapely.intersects_xy(cells.area, xs, ys)
        rows, cols, xs, ys = rows[inside], cols[inside], xs[inside], ys[inside]
    if len(rows) == 0:
        if cells.area is not None:
            raise InputError("demand.raster_empty.clip", path=p)
        raise InputError("demand.raster_empty", path=p)
    pop = vals[rows, cols]
    ids = np.char.add(
        np.char.add("r", (rows + cells.row_off).astype(str)),
        np.char.add("c", (cols + cells.col_off).astype(str)),
    )
    named = isinstance(cells.crs, str)
    pts = gpd.GeoDataFrame(geometry=shapely.points(xs, ys), crs=None if named else cells.crs)
    geoms = to_wgs84(pts, cells.crs if named else None, where=str(p)).geometry.to_numpy()
    assumptions: list[Assumption] = []
    groups = groups_from_shares(pop, {}, opts, str(p), assumptions)
    table = assemble(DemandRows(geoms, ids.astype(object), pop, groups), opts, assumptions)
    return Demand(table, assumptions, [Note("demand.cells", where=str(p), n=len(table))])


def _read_cells(p: Path, opts: RasterOptions) -> _Cells:
    """Read the band's window around the clip area (the whole raster without one)."""
    import rasterio
    from rasterio.windows import Window, from_bounds

    try:
        src = rasterio.open(p)
    except Exception as exc:
        raise InputError("demand.raster_unreadable", path=p, error=exc.__class__.__name__) from None
    with src:
        if opts.band < 1 or opts.band > src.count:
            raise InputError("demand.raster_no_band", path=p, band=opts.band, count=src.count)
        declared = parse_crs(opts.crs, where=str(p)) if opts.crs is not None else None
        if declared is None and src.crs is None:
            raise InputError("demand.raster_no_crs", path=p)
        raster_crs = declared if declared is not None else pyproj.CRS.from_user_input(src.crs)
        area = read_clip(opts.clip, opts.clip_crs)
        full = Window(0, 0, src.width, src.height)
        window, area_local = full, None
        if area is not None:
            area_local = geom_to(area, raster_crs)
            win = from_bounds(*area_local.bounds, transform=src.transform)
            win = win.round_offsets(op="floor").round_lengths(op="ceil")
            try:
                window = win.intersection(full)
            except Exception:  # rasterio.errors.WindowError: no overlap
                raise InputError("demand.raster_clip_outside", path=p) from None
        data = src.read(opts.band, window=window, masked=True)
        transform = src.window_transform(window)
    values = np.ma.filled(data.astype("float64"), np.nan)
    return _Cells(values, transform, int(window.row_off), int(window.col_off), raster_crs, area_local)
