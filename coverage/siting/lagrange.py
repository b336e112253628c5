r"""Lagrangian relaxation of the maximal covering problem: a valid upper bound for very large instances.

Relaxing the coverage rows :math:`y_i \le \sum_j a_{ij} x_j` with multipliers
:math:`0 \le \lambda_i \le w_i` gives

.. math::

    L(\lambda) = \sum_i (w_i - \lambda_i) + \max_{|S| \le p} \sum_{j \in S} \sum_i a_{ij}\lambda_i ,

an upper bound on the MCLP optimum for every such :math:`\lambda` (the inner maximum takes the
p largest column scores). Subgradient steps drive :math:`L` down to the LP bound; the sites
picked by each relaxed solution are scored and the best ones improved by swaps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from lifecircle.coverage.siting.greedy import covered_weight


@dataclass(frozen=True)
class LagrangianBound:
    """Outcome of the subgradient run.

    Attributes
    ----------
    bound
        Best (lowest) valid upper bound found.
    chosen
        Best set of columns found while iterating (primal heuristic).
    value
        Covered weight of ``chosen``.
    iterations
        Subgradient iterations made.
    seconds
        Wall time.
    """

    bound: float
    chosen: np.ndarray
    value: float
    iterations: int
    seconds: float

    @property
    def gap(self) -> float:
        """Relative gap between ``value`` and ``bound``."""
        return (self.bound - self.value) / max(abs(self.value), 1e-9)


def lagrangian_mclp(
    a: sp.csc_matrix,
    weight: np.ndarray,
    p: int,
    *,
    chosen: np.ndarray,
    value: float,
    target_gap: float = 0.005,
    max_iter: int = 3000,
    time_limit: float = 60.0,
    a_csr: sp.csr_matrix | None = None,
) -> LagrangianBound:
    """Subgradient optimization of the MCLP Lagrangian dual, started from a known solution.

    Parameters
    ----------
    a
        Boolean CSC coverage matrix (reduced rows × columns).
    weight
        Row weights.
    p
        Number of sites.
    chosen, value
        A feasible solution and its covered weight (lower bound; the Polyak step target).
    target_gap
        Stop once ``(bound − value) / value`` is at most this.
    max_iter, time_limit
        Iteration and wall-time caps.
    a_csr
        The same matrix in CSR layout, if at hand.
    """
    t0 = time.perf_counter()
    a_csr = a.tocsr() if a_csr is None else a_csr
    w = np.asarray(weight, dtype=np.float64)
    n_row, n_col = a.shape
    p = min(int(p), n_col)
    deg = np.maximum(np.diff(a_csr.indptr), 1)
    # start: each row spreads its weight over the candidates reaching it
    lam = w / deg
    best_bound = np.inf
    best_chosen, best_value = np.asarray(chosen, dtype=np.int64), float(value)
    theta, stall = 1.0, 0
    af = a.astype(np.float64)
    it = 0
    for it in range(1, max_iter + 1):
        score = np.asarray(af.T @ lam).ravel()
        top = np.argpartition(-score, p - 1)[:p] if p < n_col else np.arange(n_col)
        bound = float((w - lam).sum() + score[top].sum())
        if bound < best_bound - 1e-9 * abs(bound):
            best_bound, stall = bound, 0
        else:
            stall += 1
            if stall >= 20:
                theta, stall = theta / 2.0, 0
        cover_count = np.asarray(af[:, top].sum(axis=1)).ravel()
        val = float(w[cover_count > 0].sum())
        if val > best_value:
            best_value, best_chosen = val, top.copy()
        if (best_bound - best_value) <= target_gap * best_value or theta < 1e-6:
            break
        if time.perf_counter() - t0 > time_limit:
            break
        # subgradient of L at lam: (A x)_i - y_i with y_i = 1 where lam_i < w_i
        y = (lam < w).astype(np.float64)
        g = cover_count - y
        # at the bounds the projected direction is zero
        g[(lam <= 0) & (g > 0)] = 0.0
        g[(lam >= w) & (g < 0)] = 0.0
        norm = float(g @ g)
        if norm <= 0:
            break
        step = theta * (bound - best_value) / norm
        lam = np.clip(lam - step * g, 0.0, w)
    return LagrangianBound(
        best_bound,
        best_chosen,
        covered_weight(a, w, best_chosen),
        it,
        time.perf_counter() - t0,
    )
