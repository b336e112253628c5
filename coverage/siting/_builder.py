"""Assemble a sparse MILP from blocks of vectorized triplets, then solve it with HiGHS."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._highs import INF, HighsSettings, Milp, MilpSolution, solve_milp


class ModelBuilder:
    """Columns and rows added in array blocks; no per-element Python.

    ``add_cols`` returns the index of the first new column; ``add_rows`` takes the new rows'
    local indices, global column indices and values as equal-length arrays.
    """

    def __init__(self) -> None:
        self._lo: list[np.ndarray] = []
        self._hi: list[np.ndarray] = []
        self._c: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self._r: list[np.ndarray] = []
        self._k: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self._rlo: list[np.ndarray] = []
        self._rhi: list[np.ndarray] = []
        self.n_col = 0
        self.n_row = 0

    def add_cols(
        self,
        n: int,
        *,
        cost: np.ndarray | float = 0.0,
        lo: np.ndarray | float = 0.0,
        hi: np.ndarray | float = 1.0,
        integer: bool = False,
    ) -> int:
        """Add ``n`` columns; return the index of the first."""
        start = self.n_col
        self._c.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (n,)).copy())
        self._lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,)).copy())
        self._hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,)).copy())
        self._int.append(np.full(n, integer))
        self.n_col += n
        return start

    def add_rows(
        self,
        n: int,
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray | float,
        lo: np.ndarray | float = -INF,
        hi: np.ndarray | float = INF,
    ) -> int:
        """Add ``n`` rows with entries ``(rows[k], cols[k]) = vals[k]`` (``rows`` local, 0..n-1)."""
        start = self.n_row
        rows = np.asarray(rows, dtype=np.int64)
        self._r.append(rows + start)
        self._k.append(np.asarray(cols, dtype=np.int64))
        self._v.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), rows.shape).copy())
        self._rlo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (n,)).copy())
        self._rhi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (n,)).copy())
        self.n_row += n
        return start

    @property
    def cost(self) -> np.ndarray:
        """Objective coefficients of all columns so far."""
        return np.concatenate(self._c) if self._c else np.zeros(0)

    def matrix(self) -> sp.csc_matrix:
        """The constraint matrix (duplicate entries summed)."""
        r = np.concatenate(self._r) if self._r else np.zeros(0, dtype=np.int64)
        k = np.concatenate(self._k) if self._k else np.zeros(0, dtype=np.int64)
        v = np.concatenate(self._v) if self._v else np.zeros(0)
        return sp.csc_matrix((v, (r, k)), shape=(self.n_row, self.n_col))

    def solve(
        self,
        *,
        maximize: bool,
        offset: float = 0.0,
        start: np.ndarray | None = None,
        settings: HighsSettings | None = None,
        relax: bool = False,
        fix: dict[int, float] | None = None,
    ) -> MilpSolution:
        """Solve with HiGHS. ``relax`` drops integrality; ``fix`` pins columns to values."""
        lo, hi = np.concatenate(self._lo), np.concatenate(self._hi)
        if fix:
            idx = np.fromiter(fix.keys(), dtype=np.int64)
            val = np.fromiter(fix.values(), dtype=np.float64)
            lo, hi = lo.copy(), hi.copy()
            lo[idx] = hi[idx] = val
        integer = np.zeros(self.n_col, bool) if relax else np.concatenate(self._int)
        model = Milp(
            self.cost,
            self.matrix(),
            np.concatenate(self._rlo) if self._rlo else np.zeros(0),
            np.concatenate(self._rhi) if self._rhi else np.zeros(0),
            lo,
            hi,
            integer,
            maximize=maximize,
            offset=offset,
        )
        return solve_milp(model, settings, start=None if relax else start)


def entry_rows(m: sp.csr_matrix) -> np.ndarray:
    """Row index of every stored entry of a CSR matrix."""
    return np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))
