"""Isochrone polygons traced by marching squares on a distance grid, reached lines inside by construction.

The reached lines are sampled at most one cell apart and every sample marks its nearest grid
node. A separable transform gives each node its distance (in cells) to the nearest mark, capped a
little beyond the access width, and `contourpy` traces the filled contour below the width, strip
by strip. The polygon approximates the union of the buffers at a cost linear in the grid, where
the GEOS union of city-scale buffers is not: on Yuzhong's roads with 12.5 m cells every
difference lies within 1.5 cells of the exact buffer's boundary, on average about 2 m outside it
(marks rounded to nodes sit up to half a cell off the line), the area 1.4–2.2% larger.

The guarantee is checked, not assumed. A grid cell whose four corners lie below the level is
filled whole by marching squares. Every point of a reached line is within half a cell of a sample,
so it lies in the 3 × 3 cells around that sample's cell; when all sixteen corners of those cells
are below the level the line is inside. Each of those corners is at most 2√2 cells from the
sample, whose mark is at most ½√2 cells from it: 3.54 cells, below the level of 4 cells when the
cell is a quarter of the width. So the fallback (the exact `shapely.intersection` length of any
piece not proven inside) does not run at the default cell, and the reported inside share is
measured either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

#: Grid cells per access width (the cell is ``width / CELLS_PER_WIDTH``).
CELLS_PER_WIDTH = 4.0
#: Segments sampled per batch (bounds the temporary arrays).
_BATCH = 250_000
#: Grid nodes per strip traced at once (bounds the distance and contour arrays).
_STRIP_NODES = 4_000_000


@dataclass(frozen=True)
class Grid:
    """A node grid in a metric CRS: node ``(i, j)`` sits at ``(x0 + j·cell, y0 + i·cell)``."""

    x0: float
    y0: float
    cell: float
    nx: int
    ny: int


@dataclass(frozen=True)
class Segments:
    """Straight segments ``a → b`` of the reached pieces, with the piece each belongs to."""

    a: np.ndarray
    b: np.ndarray
    piece: np.ndarray


def segments(xy: np.ndarray, count: np.ndarray) -> Segments:
    """The consecutive vertex pairs of pieces given as concatenated coordinates.

    Parameters
    ----------
    xy
        Vertex coordinates of all pieces, shape ``(n, 2)``, piece after piece.
    count
        Vertices per piece (each at least 2).

    Returns
    -------
    Segments
    """
    piece = np.repeat(np.arange(len(count)), count)
    keep = np.ones(len(xy), dtype=bool)
    keep[np.cumsum(count) - 1] = False  # a piece's last vertex starts no segment
    k = np.flatnonzero(keep)
    return Segments(xy[k], xy[k + 1], piece[k])


def grid_for(seg: Segments, width_m: float, cell_m: float) -> tuple[Grid, int]:
    """The grid over the segments, padded beyond the capped distance; and the cap reach in cells.

    Origins are whole multiples of the cell, so grids of nested line sets share their nodes
    (the polygons of nested tiers then nest too).
    """
    reach = int(np.ceil(width_m / cell_m)) + 1
    pad = (reach + 2) * cell_m
    lo = np.minimum(seg.a.min(axis=0), seg.b.min(axis=0)) - pad
    hi = np.maximum(seg.a.max(axis=0), seg.b.max(axis=0)) + pad
    x0, y0 = np.floor(lo / cell_m) * cell_m
    nx, ny = (np.ceil((hi - (x0, y0)) / cell_m)).astype(np.int64) + 1
    return Grid(float(x0), float(y0), cell_m, int(nx), int(ny)), reach


def _samples(grid: Grid, seg: Segments, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along segments ``lo:hi`` at most one cell apart (both ends included), in cells."""
    a = (seg.a[lo:hi] - (grid.x0, grid.y0)) / grid.cell
    d = (seg.b[lo:hi] - (grid.x0, grid.y0)) / grid.cell - a
    n = np.maximum(np.ceil(np.hypot(d[:, 0], d[:, 1])).astype(np.int64), 1)
    rep = np.repeat(np.arange(len(a)), n + 1)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)
    t = k / n[rep]
    return a[rep, 0] + d[rep, 0] * t, a[rep, 1] + d[rep, 1] * t, rep + lo


def marks(grid: Grid, seg: Segments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid nodes nearest to the samples of the segments; and each sample's cell and segment.

    Returns
    -------
    mark
        Boolean ``(ny, nx)``.
    cell
        Flat index ``i·nx + j`` of the cell holding each sample (lower-left node).
    owner
        Segment of each sample.
    """
    mark = np.zeros(grid.ny * grid.nx, dtype=bool)
    cells, owners = [], []
    for lo in range(0, len(seg.a), _BATCH):
        x, y, owner = _samples(grid, seg, lo, lo + _BATCH)
        mark[np.rint(y).astype(np.int64) * grid.nx + np.rint(x).astype(np.int64)] = True
        cells.append(np.floor(y).astype(np.int64) * grid.nx + np.floor(x).astype(np.int64))
        owners.append(owner.astype(np.int32))
    return mark.reshape(grid.ny, grid.nx), np.concatenate(cells), np.concatenate(owners)


def distance2(mark: np.ndarray, reach: int) -> np.ndarray:
    """Squared distance in cells from each node to the nearest mark, exact up to ``reach`` cells.

    Rows first (min-plus doubling: offsets 1, 2, 4, … cost their length, so after each step a
    node holds its nearest mark within twice the span), then columns (``g(i+k)² + k²`` for
    ``|k| ≤ reach``). Values are capped at ``(reach + 1)²``.
    """
    cap = reach + 1
    g = np.where(mark, 0, cap).astype(np.uint8)
    s = 1
    while s <= reach:
        np.minimum(g[:, s:], g[:, :-s] + np.uint8(s), out=g[:, s:])
        s *= 2
    s = 1
    while s <= reach:
        np.minimum(g[:, :-s], g[:, s:] + np.uint8(s), out=g[:, :-s])
        s *= 2
    np.minimum(g, cap, out=g)
    dt = np.uint8 if cap * cap + reach * reach <= 255 else np.uint16
    g2 = g.astype(dt)
    g2 *= g2
    d2 = g2.copy()
    for k in range(1, reach + 1):
        kk = dt(k * k)
        np.minimum(d2[k:], g2[:-k] + kk, out=d2[k:])
        np.minimum(d2[:-k], g2[k:] + kk, out=d2[:-k])
    np.minimum(d2, dt(cap * cap), out=d2)
    return d2


def level(width_m: float, cell_m: float) -> float:
    """The contour level in cells: the width, moved off any node value √k (no contour through a node).

    A node exactly one width from a mark stays inside (the buffer is closed): the level moves up.
    """
    lv = width_m / cell_m
    k = np.rint(lv * lv)
    if abs(np.sqrt(k) - lv) < 1e-3:
        lv = float(np.sqrt(k)) + 1e-2
    return float(lv)


def trace(grid: Grid, mark: np.ndarray, reach: int, lv: float):
    """The filled contour ``distance < lv`` over the grid, strip by strip; and the nodes below it.

    Each strip of rows gets its distances from the marks of its rows and ``reach`` rows either
    side (exact there), and its own marching squares. Neighbouring strips share their boundary
    row, so the pieces cut there meet vertex for vertex and `shapely.coverage_union_all` joins
    them (only those reaching a cut row) into the polygon one pass over the whole grid would
    give, with a fraction of its memory.

    Returns
    -------
    polygon, ok
        The (multi)polygon in the grid's CRS; boolean ``(ny, nx)``, node distance below ``lv``.
    """
    ok = np.zeros((grid.ny, grid.nx), dtype=bool)
    rows = max(16, _STRIP_NODES // grid.nx)
    parts = []
    for r0 in range(0, grid.ny - 1, rows):
        r1 = min(r0 + rows, grid.ny - 1)
        a0, a1 = max(r0 - reach, 0), min(r1 + reach + 1, grid.ny)
        d2 = distance2(mark[a0:a1], reach)[r0 - a0 : r1 + 1 - a0]
        np.less(d2, lv * lv, out=ok[r0 : r1 + 1])
        if ok[r0 : r1 + 1].any():
            parts.append(_filled(grid, d2, r0, lv))
    if not parts:
        return shapely.Polygon(), ok
    polys = np.concatenate(parts)
    if len(polys) == 1:
        return polys[0], ok
    # only the pieces reaching a cut row have a neighbour to join
    cut = grid.y0 + grid.cell * np.arange(rows, grid.ny - 1, rows)
    b = shapely.bounds(polys)
    joined = np.isin(b[:, 1], cut) | np.isin(b[:, 3], cut)
    if joined.any():
        whole = shapely.get_parts(shapely.coverage_union_all(polys[joined]))
        polys = np.concatenate([polys[~joined], whole])
    return (polys[0] if len(polys) == 1 else shapely.multipolygons(polys)), ok


def _filled(grid: Grid, d2: np.ndarray, r0: int, lv: float) -> np.ndarray:
    """Polygons of the filled contour ``sqrt(d2) < lv`` of rows ``r0 …`` of the grid."""
    import contourpy

    z = np.sqrt(np.arange(int(d2.max()) + 1, dtype=np.float64))[d2]
    gen = contourpy.contour_generator(
        x=np.arange(grid.nx, dtype=np.float64),
        y=np.arange(r0, r0 + len(d2), dtype=np.float64),
        z=z,
        fill_type="ChunkCombinedOffsetOffset",
        name="serial",
    )
    pts, offs, outer = (part[0] for part in gen.filled(-1.0, lv))
    if pts is None or len(pts) == 0:
        return np.array([], dtype=object)
    _same_crossings(pts, z, r0, lv)
    xy = pts * grid.cell + (grid.x0, grid.y0)
    rings = shapely.linearrings(xy, indices=np.repeat(np.arange(len(offs) - 1), np.diff(offs)))
    return shapely.polygons(rings, indices=np.repeat(np.arange(len(outer) - 1), np.diff(outer)))


def _same_crossings(pts: np.ndarray, z: np.ndarray, r0: int, lv: float) -> None:
    """Recompute, in place, the crossings on the strip's first and last rows by one formula.

    The strips on either side of a shared row trace its crossings in opposite directions, which
    may differ in the last bit; computed from the row's values alone they are the same numbers,
    so the cut edges match exactly.
    """
    for row in (0, len(z) - 1):
        k = np.flatnonzero(np.abs(pts[:, 1] - (r0 + row)) < 1e-9)  # interpolated y may be off by a bit
        pts[k, 1] = r0 + row
        j = np.floor(pts[k, 0])
        k, j = k[pts[k, 0] != j], j[pts[k, 0] != j].astype(np.int64)
        z0, z1 = z[row, j], z[row, j + 1]
        pts[k, 0] = j + (lv - z0) / (z1 - z0)


def proven_inside(ok: np.ndarray, cell: np.ndarray) -> np.ndarray:
    """Whether all 16 nodes of the 3 × 3 cells around each sample's cell (flat ``cell``) are ``ok``."""
    w = ok.copy()
    w[:, 1:] &= ok[:, :-1]
    w[:, :-1] &= ok[:, 1:]
    w[:, :-2] &= ok[:, 2:]  # w[i, j]: nodes j-1 … j+2 of row i
    v = w.copy()
    v[1:] &= w[:-1]
    v[:-1] &= w[1:]
    v[:-2] &= w[2:]  # v[i, j]: rows i-1 … i+2
    v[:, 0] = v[:, -3:] = v[0] = v[-3:] = False
    return v.ravel()[cell]


def ranges(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """The concatenated index ranges ``start[k]:stop[k]``."""
    n = stop - start
    return np.repeat(start - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(int(n.sum()))


@dataclass(frozen=True)
class Marked:
    """A group's grid and its marked nodes, kept to mark the next tier (so tiers nest)."""

    grid: Grid
    mark: np.ndarray


def _add_marks(grid: Grid, mark: np.ndarray, inner: Marked | None) -> None:
    """Add, in place, an inner tier's marks to this grid's (both grids share their nodes).

    The inner tier's lines are part of this tier's, so its marks are marks of these lines too;
    with them this tier's distances are nowhere larger and its polygon holds the inner one.
    """
    if inner is None:
        return
    oi = round((inner.grid.y0 - grid.y0) / grid.cell)
    oj = round((inner.grid.x0 - grid.x0) / grid.cell)
    i0, j0 = max(oi, 0), max(oj, 0)
    i1, j1 = min(oi + inner.grid.ny, grid.ny), min(oj + inner.grid.nx, grid.nx)
    if i1 > i0 and j1 > j0:
        mark[i0:i1, j0:j1] |= inner.mark[i0 - oi : i1 - oi, j0 - oj : j1 - oj]


def contour_group(
    xy: np.ndarray, count: np.ndarray, width_m: float, cell_m: float, inner: Marked | None = None
):
    """One group's polygon, its pieces' lengths and the lengths proven or measured inside.

    Parameters
    ----------
    xy, count
        The group's pieces as concatenated vertices and vertices per piece (metric CRS).
    width_m
        Access width either side of a line, metres.
    cell_m
        Grid cell, metres.
    inner
        The marks of the next smaller tier of the same facilities (its lines are part of these),
        added so the polygons nest.

    Returns
    -------
    polygon, length, inside, marked
        The (multi)polygon; each piece's length and its length inside the polygon; the marks
        (for the next tier).
    """
    seg = segments(xy, count)
    seg_len = np.hypot(*(seg.b - seg.a).T)
    length = np.bincount(seg.piece, seg_len, minlength=len(count))
    grid, reach = grid_for(seg, width_m, cell_m)
    mark, cell, owner = marks(grid, seg)
    _add_marks(grid, mark, inner)
    poly, ok = trace(grid, mark, reach, level(width_m, cell_m))
    bad_seg = np.unique(owner[~proven_inside(ok, cell)])
    inside = length.copy()
    if len(bad_seg):
        bad = np.unique(seg.piece[bad_seg])
        ends = np.r_[0, np.cumsum(count)]
        take = ranges(ends[bad], ends[bad + 1])
        lines = shapely.linestrings(xy[take], indices=np.repeat(np.arange(len(bad)), count[bad]))
        inside[bad] = shapely.length(shapely.intersection(lines, poly))
    return poly, length, inside, Marked(grid, mark)
