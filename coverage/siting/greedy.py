"""Greedy and swap heuristics for covering models: warm starts, and answers beyond the exact solver."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def greedy_max_cover(
    a: sp.csc_matrix,
    weight: np.ndarray,
    p: int | None = None,
    *,
    cost: np.ndarray | None = None,
    budget: float | None = None,
    a_csr: sp.csr_matrix | None = None,
) -> np.ndarray:
    """Greedy maximal covering: add the site with the largest newly covered weight (per cost).

    With a ``budget`` the site with the largest gain per unit cost that still fits is added,
    and the result is compared with the best single affordable site (the classic
    ½(1 − 1/e) guarantee for budgeted coverage). Gains are updated incrementally: each demand
    row is touched once when it becomes covered, so the whole run is O(nnz).

    Parameters
    ----------
    a
        Boolean CSC coverage matrix, demand × candidate.
    weight
        Demand weights.
    p
        Number of sites (``None``: no limit, only the budget).
    cost, budget
        Per-candidate cost and the budget.
    a_csr
        The same matrix in CSR layout, if already at hand.

    Returns
    -------
    numpy.ndarray
        Chosen column indices in the order they were added.
    """
    n_row, n_col = a.shape
    a_csr = a.tocsr() if a_csr is None else a_csr
    w = np.asarray(weight, dtype=np.float64)
    gains = np.asarray(a.T @ w, dtype=np.float64).ravel()
    limit = n_col if p is None else min(int(p), n_col)
    covered = np.zeros(n_row, dtype=bool)
    chosen: list[int] = []
    spent = 0.0
    eps = 1e-12 * max(float(w.sum()), 1.0)
    open_ = np.ones(n_col, dtype=bool)
    while len(chosen) < limit:
        if budget is None:
            score = np.where(open_, gains, -np.inf)
        else:
            fits = open_ & (cost <= budget - spent + 1e-9)
            score = np.where(fits, gains / np.maximum(cost, 1e-12), -np.inf)
        j = int(np.argmax(score))
        if not np.isfinite(score[j]) or gains[j] <= eps:
            break
        chosen.append(j)
        open_[j] = False
        if budget is not None:
            spent += float(cost[j])
        _cover_rows(a, a_csr, w, j, covered, gains)
    out = np.asarray(chosen, dtype=np.int64)
    if budget is not None and len(out):
        fits = cost <= budget + 1e-9
        single = np.where(fits, np.asarray(a.T @ w).ravel(), -np.inf)
        best = int(np.argmax(single))
        if single[best] > covered_weight(a, w, out):
            out = np.asarray([best], dtype=np.int64)
    return out


def greedy_set_cover(a: sp.csc_matrix, cost: np.ndarray | None = None) -> np.ndarray:
    """Greedy set covering (Chvátal): cheapest cost per newly covered row, then drop redundant sites.

    Every row of ``a`` must have at least one entry.

    Returns
    -------
    numpy.ndarray
        Chosen column indices.
    """
    n_row, n_col = a.shape
    a_csr = a.tocsr()
    c = np.ones(n_col) if cost is None else np.asarray(cost, dtype=np.float64)
    ones = np.ones(n_row)
    gains = np.asarray(a.T @ ones, dtype=np.float64).ravel()
    covered = np.zeros(n_row, dtype=bool)
    chosen: list[int] = []
    while not covered.all():
        score = np.where(gains > 0.5, c / np.maximum(gains, 1e-12), np.inf)
        j = int(np.argmin(score))
        if not np.isfinite(score[j]):
            break
        chosen.append(j)
        _cover_rows(a, a_csr, ones, j, covered, gains)
        gains[j] = 0.0
    return drop_redundant(a, np.asarray(chosen, dtype=np.int64), c)


def drop_redundant(a: sp.csc_matrix, chosen: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Remove sites whose rows are all covered twice or more, most expensive (then latest) first."""
    if len(chosen) == 0:
        return chosen
    count = np.asarray(a[:, chosen].sum(axis=1)).ravel()
    keep = np.ones(len(chosen), dtype=bool)
    order = np.lexsort((-np.arange(len(chosen)), -cost[chosen]))
    for k in order:
        rows = a.indices[a.indptr[chosen[k]] : a.indptr[chosen[k] + 1]]
        if len(rows) == 0 or count[rows].min() >= 2:
            keep[k] = False
            count[rows] -= 1
    return chosen[keep]


def swap_improve(
    a: sp.csc_matrix,
    weight: np.ndarray,
    chosen: np.ndarray,
    *,
    a_csr: sp.csr_matrix | None = None,
    max_swaps: int = 10_000,
    cost: np.ndarray | None = None,
    budget: float | None = None,
) -> np.ndarray:
    """Best-improvement 1-swap local search for maximal covering (Teitz–Bart style, vectorized).

    Each round evaluates every (site out, candidate in) pair at once: the gain of adding
    candidate ``j`` (weight it covers that nothing covers yet), minus the loss of removing
    site ``s`` (weight only ``s`` covers), plus the weight only ``s`` covers that ``j`` also
    covers. The best positive swap is made; rounds stop when none is left. With a budget,
    only swaps that keep the total cost within it are considered.

    Returns
    -------
    numpy.ndarray
        The improved set of chosen columns (same size).
    """
    n_col = a.shape[1]
    chosen = np.asarray(chosen, dtype=np.int64).copy()
    k = len(chosen)
    if k == 0 or k >= n_col:
        return chosen
    a_csr = a.tocsr() if a_csr is None else a_csr
    w = np.asarray(weight, dtype=np.float64)
    eps = 1e-9 * max(float(w.sum()), 1.0)
    count = np.asarray(a[:, chosen].sum(axis=1)).ravel().astype(np.int64)
    for _ in range(max_swaps):
        uncovered_w = np.where(count == 0, w, 0.0)
        add_gain = np.asarray(a.T @ uncovered_w).ravel()
        add_gain[chosen] = -np.inf
        single = np.flatnonzero(count == 1)
        # owner of each singly covered row: the chosen site covering it
        sub = a_csr[single][:, chosen].tocoo()
        owner = np.full(len(single), -1, dtype=np.int64)
        owner[sub.row] = sub.col
        loss = np.bincount(owner, weights=w[single], minlength=k)
        # coupling: weight only s covers that j covers too
        rows_j = a_csr[single].tocoo()
        m = sp.csr_matrix((w[single][rows_j.row], (rows_j.col, owner[rows_j.row])), shape=(n_col, k))
        m.sum_duplicates()
        mc = m.tocoo()
        delta_pairs = add_gain[mc.row] - loss[mc.col] + mc.data
        if budget is not None:
            ok = cost[chosen].sum() - cost[chosen[mc.col]] + cost[mc.row] <= budget + 1e-9
            delta_pairs = np.where(ok, delta_pairs, -np.inf)
        best_delta, best_j, best_s = -np.inf, -1, -1
        if len(delta_pairs):
            t = int(np.argmax(delta_pairs))
            best_delta, best_j, best_s = float(delta_pairs[t]), int(mc.row[t]), int(mc.col[t])
        if budget is None:
            j_star = int(np.argmax(add_gain))
            s_star = int(np.argmin(loss))
            d = add_gain[j_star] - loss[s_star] + m[j_star, s_star]
            if d > best_delta:
                best_delta, best_j, best_s = float(d), j_star, s_star
        else:
            # any pair: (add_gain - loss) over budget-feasible pairs; m adds ≥ 0, so this is a lower bound
            room = budget - cost[chosen].sum() + cost[chosen]
            for s in np.argsort(loss)[: min(k, 8)]:
                cand = np.where(cost <= room[s] + 1e-9, add_gain, -np.inf)
                j = int(np.argmax(cand))
                d = cand[j] - loss[s] + m[j, s]
                if d > best_delta:
                    best_delta, best_j, best_s = float(d), j, int(s)
        if best_delta <= eps or best_j < 0:
            break
        out_col = chosen[best_s]
        count[a.indices[a.indptr[out_col] : a.indptr[out_col + 1]]] -= 1
        count[a.indices[a.indptr[best_j] : a.indptr[best_j + 1]]] += 1
        chosen[best_s] = best_j
    return chosen


def covered_weight(a: sp.csc_matrix, weight: np.ndarray, chosen: np.ndarray) -> float:
    """Weight of the rows covered by at least one chosen column."""
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(a[:, chosen].sum(axis=1)).ravel() > 0
    return float(np.asarray(weight)[hit].sum())


def marginal_order(
    a: sp.csc_matrix, weight: np.ndarray, chosen: np.ndarray, base: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Re-order a chosen set greedily by marginal covered weight.

    Parameters
    ----------
    a
        Boolean CSC coverage matrix, demand × candidate.
    weight
        Demand weights.
    chosen
        Chosen columns.
    base
        Per-row flag of demand already covered before any chosen site.

    Returns
    -------
    order, gains
        ``chosen`` in the order of decreasing marginal gain, and each site's marginal gain.
    """
    chosen = np.asarray(chosen, dtype=np.int64)
    if len(chosen) == 0:
        return chosen, np.zeros(0)
    sub = a[:, chosen].tocsc()
    w = np.where(base, 0.0, weight) if base is not None else np.asarray(weight, dtype=np.float64)
    gains = np.asarray(sub.T @ w, dtype=np.float64).ravel()
    sub_csr = sub.tocsr()
    covered = np.zeros(a.shape[0], dtype=bool) if base is None else base.copy()
    order: list[int] = []
    out_gain: list[float] = []
    open_ = np.ones(len(chosen), dtype=bool)
    for _ in range(len(chosen)):
        score = np.where(open_, gains, -np.inf)
        j = int(np.argmax(score))
        order.append(j)
        out_gain.append(max(float(gains[j]), 0.0))
        open_[j] = False
        _cover_rows(sub, sub_csr, w, j, covered, gains)
    return chosen[np.asarray(order)], np.asarray(out_gain)


def _cover_rows(
    a: sp.csc_matrix,
    a_csr: sp.csr_matrix,
    w: np.ndarray,
    j: int,
    covered: np.ndarray,
    gains: np.ndarray,
) -> None:
    """Mark rows of column ``j`` covered and subtract their weight from every column's gain."""
    rows = a.indices[a.indptr[j] : a.indptr[j + 1]]
    new = rows[~covered[rows]]
    if len(new) == 0:
        return
    covered[new] = True
    starts, ends = a_csr.indptr[new], a_csr.indptr[new + 1]
    lens = ends - starts
    idx = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
    cols = a_csr.indices[idx]
    gains -= np.bincount(cols, weights=np.repeat(w[new], lens), minlength=len(gains))
