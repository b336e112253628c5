"""The tiles of a partitioned run and the reach buffer that makes each tile's times exact.

Why the buffer is wide enough is told in `lifecircle.scenarios.partition` (points 1 and 2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ..coverage.profiles import WalkProfile
from ..geodata.common import InputError

#: Tobler's largest speed factor (downhill at a grade of −5 %): ``exp(3.5 · 0.05)``.
TOBLER_MAX_FACTOR = float(np.exp(3.5 * 0.05))
#: Extra metres on every reach buffer, against rounding at the edge of the disc.
SAFETY_M = 1.0
#: Most tiles a grid may have.
MAX_TILES = 10_000


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
            raise InputError("partition.grid_too_small", nx=nx, ny=ny)
        x0, y0, x1, y1 = (float(b) for b in bounds)
        if not all(np.isfinite([x0, y0, x1, y1])):
            raise InputError("partition.no_finite_extent")
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
    """``"4x4"``, ``"3"`` or ``(3, 3)`` → ``(nx, ny)``.

    Raises
    ------
    InputError
        When ``text`` is not a grid of one to `MAX_TILES` tiles.
    """
    if isinstance(text, tuple | list):
        vals = tuple(int(v) for v in text)
    else:
        m = re.fullmatch(r"\s*(\d+)\s*(?:[x×*,]\s*(\d+))?\s*", str(text))
        if m is None:
            raise InputError("partition.tiles_not_a_grid", text=repr(text))
        vals = (int(m.group(1)), int(m.group(2) or m.group(1)))
    if len(vals) != 2 or min(vals) < 1 or vals[0] * vals[1] > MAX_TILES:
        raise InputError("partition.tiles_bad_numbers", text=repr(text))
    return vals  # type: ignore[return-value]


def reach_margin_m(
    limit_s: float, profiles: list[WalkProfile] | tuple[WalkProfile, ...], max_snap_m: float, *, sloped: bool
) -> float:
    """Width of the buffer around a tile that makes its results exact.

    Why it is wide enough: `lifecircle.scenarios.partition`, points 1–2. It is
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
