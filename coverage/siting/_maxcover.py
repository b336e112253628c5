"""The maximal-covering MILP over a reduced instance, shared by the exact solve and the LNS."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._highs import INF, HighsSettings, Milp, MilpSolution, solve_milp
from ._reduce import Reduced


def solve_max_cover_milp(
    red: Reduced,
    p: int | None,
    budget: float | None,
    start_cols: np.ndarray,
    base_w: float,
    settings: HighsSettings,
) -> MilpSolution:
    """Build ``[x | y]`` with rows ``y_i − Σ a_ij x_j ≤ 0``, count and budget rows; solve with HiGHS.

    Parameters
    ----------
    red
        The reduced instance (coverage, row weights, column costs).
    p
        Cap on the number of columns chosen, or ``None``.
    budget
        Cap on the cost of the columns chosen, or ``None``.
    start_cols
        Columns of a feasible solution, the MIP start.
    base_w
        Weight covered before (added to the objective).
    settings
        HiGHS limits.
    """
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
    model = Milp(
        c,
        a,
        np.r_[np.full(n_row, -INF), lo],
        np.r_[np.zeros(n_row), hi],
        np.zeros(n_col + n_row),
        np.ones(n_col + n_row),
        np.r_[np.ones(n_col, bool), np.zeros(n_row, bool)],
        maximize=True,
        offset=base_w,
    )
    return solve_milp(model, settings, start=start)
