r"""Upper bounds for large maximal covering problems: the LP relaxation read as a Lagrangian bound.

Relaxing the coverage rows :math:`y_i \le \sum_j a_{ij} x_j` with multipliers
:math:`\lambda_i \ge 0` gives

.. math::

    L(\lambda) = \sum_i \max(0,\, w_i - \lambda_i)
                 + \max_{0 \le x \le 1,\ \sum_j x_j \le p} \sum_j x_j \sum_i a_{ij} \lambda_i ,

an upper bound on the MCLP optimum for **every** :math:`\lambda \ge 0` (the inner maximum takes
the ``p`` largest positive column scores). Its minimum equals the LP bound. `mclp_lp` solves
the LP relaxation with HiGHS' interior-point method and `lagrangian_bound` turns its row duals
into a bound that is valid whatever the solver's tolerances; `subgradient` improves any
:math:`\lambda` further when no LP solution is at hand.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._highs import INF, HighsSettings, Milp, solve_milp


@dataclass(frozen=True)
class LagrangianBound:
    r"""A valid upper bound and the multipliers that give it.

    Attributes
    ----------
    bound
        :math:`L(\lambda)`, an upper bound on the covered weight.
    lam
        The multipliers.
    scores
        Column scores :math:`\sum_i a_{ij} \lambda_i`.
    x
        LP column values when the bound came from an LP solve (else ``None``).
    iterations
        Subgradient iterations made (0 for a pure LP bound).
    seconds
        Wall time.
    """

    bound: float
    lam: np.ndarray
    scores: np.ndarray
    x: np.ndarray | None
    iterations: int
    seconds: float


def lagrangian_bound(
    a: sp.csc_matrix, weight: np.ndarray, p: int, lam: np.ndarray
) -> tuple[float, np.ndarray]:
    r"""Return :math:`L(\lambda)` and the column scores for multipliers ``lam`` (clipped at 0)."""
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 0.0)
    scores = np.asarray(a.T @ lam, dtype=np.float64).ravel()
    p = min(int(p), len(scores))
    top = np.sort(np.partition(scores, len(scores) - p)[len(scores) - p :]) if p else np.zeros(0)
    return float(np.maximum(weight - lam, 0.0).sum() + np.maximum(top, 0.0).sum()), scores


def mclp_lp(
    a: sp.csc_matrix, weight: np.ndarray, p: int, *, time_limit: float = 60.0
) -> LagrangianBound | None:
    """LP relaxation of the MCLP by interior point; its row duals give a rigorous bound.

    Returns ``None`` when HiGHS returns no usable duals within ``time_limit``.
    """
    t0 = time.perf_counter()
    n_row, n_col = a.shape
    m = sp.vstack(
        [
            sp.hstack([-a.astype(np.float64), sp.identity(n_row, format="csc")], format="csc"),
            sp.csc_matrix(np.r_[np.ones(n_col), np.zeros(n_row)][None, :]),
        ],
        format="csc",
    )
    model = Milp(
        np.r_[np.zeros(n_col), weight],
        m,
        np.full(n_row + 1, -INF),
        np.r_[np.zeros(n_row), float(p)],
        np.zeros(n_row + n_col),
        np.ones(n_row + n_col),
        np.zeros(n_row + n_col, bool),
        maximize=True,
    )
    sol = solve_milp(model, HighsSettings(time_limit=time_limit, solver="ipm", crossover=False))
    if sol.row_dual is None or sol.x is None:
        return None
    duals = sol.row_dual[:n_row]
    best = None
    for lam in (np.abs(duals), np.clip(duals, 0, None), np.clip(-duals, 0, None)):
        lam = np.minimum(lam, weight)
        b, scores = lagrangian_bound(a, weight, p, lam)
        if best is None or b < best[0]:
            best = (b, lam, scores)
    return LagrangianBound(best[0], best[1], best[2], sol.x[:n_col], 0, time.perf_counter() - t0)


def subgradient(
    a: sp.csc_matrix,
    weight: np.ndarray,
    p: int,
    *,
    lower: float,
    lam: np.ndarray | None = None,
    target_gap: float = 0.005,
    max_iter: int = 2000,
    time_limit: float = 30.0,
) -> LagrangianBound:
    r"""Subgradient descent on :math:`L(\lambda)` (Polyak steps towards the known value ``lower``).

    Parameters
    ----------
    a, weight, p
        The (reduced) MCLP.
    lower
        Covered weight of a known solution: the step target and the stopping reference.
    lam
        Starting multipliers (default: each row's weight spread over the columns reaching it).
    target_gap
        Stop once ``(bound − lower) / lower`` is at most this.
    max_iter, time_limit
        Caps.
    """
    t0 = time.perf_counter()
    w = np.asarray(weight, dtype=np.float64)
    a_csr = a.tocsr()
    af = a.astype(np.float64)
    p = min(int(p), a.shape[1])
    if lam is None:
        lam = w / np.maximum(np.diff(a_csr.indptr), 1)
    lam = np.clip(lam, 0.0, w)
    best_b, best_lam, best_s = np.inf, lam, None
    theta, stall, it = 1.0, 0, 0
    for it in range(1, max_iter + 1):  # noqa: B007 (count kept for the report)
        b, scores = lagrangian_bound(af, w, p, lam)
        if b < best_b - 1e-12 * abs(b):
            best_b, best_lam, best_s, stall = b, lam.copy(), scores, 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2.0, 0
        if (
            best_b - lower <= target_gap * max(lower, 1e-9)
            or theta < 1e-6
            or time.perf_counter() - t0 > time_limit
        ):
            break
        top = np.argpartition(-scores, p - 1)[:p] if p < len(scores) else np.arange(len(scores))
        top = top[scores[top] > 0]
        g = np.asarray(af[:, top].sum(axis=1)).ravel() - (lam < w)
        g[(lam <= 0) & (g > 0)] = 0.0
        g[(lam >= w) & (g < 0)] = 0.0
        norm = float(g @ g)
        if norm <= 0:
            break
        lam = np.clip(lam - theta * (b - lower) / norm * g, 0.0, w)
    return LagrangianBound(best_b, best_lam, best_s, None, it, time.perf_counter() - t0)
