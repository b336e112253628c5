"""The maximal-covering MILP over a reduced instance, shared by the exact solve and the LNS."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._highs import INF, MilpSolution, solve_milp
from .reduce import Reduced


def solve_max_cover_milp(
    red: Reduced,
    p: int | None,
    budget: float | None,
    start_cols: np.ndarray,
    base_w: float,
    time_limit: float,
    mip_gap: float,
    threads: int,
) -> MilpSolution:
    """Build ``[x | y]`` with rows ``y_i − Σ a_ij x_j ≤ 0``, count and budget rows; solve with HiGHS."""
    n_row, n_col = red.a.shape
    top = sp.hstack([-red.a.astype(np.float64), sp.identity(n_row, format="csc")], format="csc")
    extra, lo, hi = [], [], []
    if p is not None:
        extra.append(sp.csc_matrix(np.r_[np.ones(n_col), np.zeros(n_row)][None, :]))
        lo.append(-INF)
        hi.append(float(p))
    if budget is not None:
        extra.append(sp.csc_matrix(np.r_[red.cost, np.zeros(n_row)][None, :]))
        lo.append(-INF)
        hi.append(float(budget))
    a = sp.vstack([top, *extra], format="csc")
    c = np.r_[np.zeros(n_col), red.weight]
    start = np.zeros(n_col + n_row)
    start[start_cols] = 1.0
    hit = np.asarray(red.a[:, start_cols].sum(axis=1)).ravel() > 0
    start[n_col:] = hit
    return solve_milp(
        c,
        a,
        np.r_[np.full(n_row, -INF), lo],
        np.r_[np.zeros(n_row), hi],
        np.zeros(n_col + n_row),
        np.ones(n_col + n_row),
        np.r_[np.ones(n_col, bool), np.zeros(n_row, bool)],
        maximize=True,
        offset=base_w,
        time_limit=time_limit,
        mip_gap=mip_gap,
        threads=threads,
        start=start,
    )
