"""Exact reductions of covering instances: drop covered and zero demand, merge twins, drop dominated sites."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .problem import SitingProblem

#: Skip a pairwise-overlap product (A·Aᵀ or Aᵀ·A) whose work estimate exceeds this many products.
MAX_OVERLAP_WORK = 60_000_000


@dataclass(frozen=True)
class Reduced:
    """A covering instance after exact reductions.

    Attributes
    ----------
    a
        Boolean CSC matrix, reduced rows × reduced columns.
    weight
        Weight of each reduced row (sum over the demand points merged into it).
    cols
        Original candidate index of each reduced column.
    cost
        Cost of each reduced column.
    row_of
        For each original demand point, its reduced row, or -1 when it was dropped.
    forced
        Original candidate indices every optimal cover must contain (LSCP: the only candidate
        reaching some demand point), opened by the reduction.
    stats
        Counts before and after each step.
    """

    a: sp.csc_matrix
    weight: np.ndarray
    cols: np.ndarray
    cost: np.ndarray
    row_of: np.ndarray
    forced: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    stats: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        """Reduced rows × columns."""
        return self.a.shape


def reduce_cover(
    problem: SitingProblem,
    *,
    model: str = "mclp",
    drop_zero_weight: bool = True,
    dominance: bool = True,
    merge: bool = True,
    max_rounds: int = 8,
) -> Reduced:
    """Shrink a covering instance without changing its optimum.

    Steps, repeated until nothing changes: drop demand already covered by existing or fixed
    sites, demand no candidate reaches and (optionally) zero-weight demand; merge demand points
    with the same candidate set (weights summed); drop candidates covering nothing and
    candidates dominated by another (covered set a subset, cost not lower; among identical
    candidates the first, cheapest one stays). For the set-covering model (``model="lscp"``)
    also drop demand points whose candidate set contains another point's set (covering the
    smaller set covers them), and open candidates that are the only ones reaching some point.

    Parameters
    ----------
    problem
        The instance.
    model
        ``"mclp"`` (maximal covering and budget models) or ``"lscp"`` (set covering).
    drop_zero_weight
        Drop demand of weight zero.
    dominance
        Run the pairwise dominance tests (skipped anyway above `MAX_OVERLAP_WORK`).
    merge
        Merge twins and run the steps above; ``False`` only drops covered, unreachable and
        zero-weight demand (the plain model, for comparisons).
    max_rounds
        Upper bound on reduction rounds.
    """
    cover = problem.cover
    n_dem, n_cand = cover.shape
    cand_reach = np.diff(cover.indptr) > 0
    keep_rows = cand_reach & ~problem.base_covered
    if drop_zero_weight:
        keep_rows &= problem.weights > 0
    free = np.ones(n_cand, dtype=bool)
    free[problem.fixed] = False
    cols = np.flatnonzero(free)
    rows = np.flatnonzero(keep_rows)
    a = cover[rows][:, cols].tocsr()
    w = problem.weights[rows].copy()
    row_of = np.full(n_dem, -1, dtype=np.int64)
    row_of[rows] = np.arange(len(rows))
    cost = problem.cost[cols].copy()
    forced: list[np.ndarray] = []
    stats = _start_stats(problem, cand_reach, len(rows), len(cols))
    for _ in range(max_rounds if merge else 0):
        before = a.shape
        a, w, row_of = merge_rows(a, w, row_of)
        if model == "lscp" and dominance:
            a, w, row_of = _drop_superset_rows(a, w, row_of)
        keep = np.diff(a.tocsc().indptr) > 0
        if dominance:
            keep &= ~dominated_columns(a, cost)
        a, cols, cost = a[:, keep].tocsr(), cols[keep], cost[keep]
        if model == "lscp":
            a, w, row_of, cols, cost, ess = _essential(a, w, row_of, cols, cost)
            if len(ess):
                forced.append(ess)
        if a.shape == before:
            break
    a_csc = a.tocsc()
    a_csc.sort_indices()
    stats.update(rows=a.shape[0], cols=a.shape[1], nnz_reduced=int(a.nnz))
    forced_idx = np.concatenate(forced) if forced else np.zeros(0, dtype=np.int64)
    stats["forced"] = len(forced_idx)
    return Reduced(a_csc, w, cols, cost, row_of, np.sort(forced_idx), stats)


def _start_stats(problem: SitingProblem, cand_reach: np.ndarray, n_rows: int, n_cols: int) -> dict:
    """Counts of the instance before the reductions."""
    n_dem, n_cand = problem.cover.shape
    return {
        "demand": n_dem,
        "candidates": n_cand,
        "nnz": int(problem.cover.nnz),
        "demand_base_covered": int(problem.base_covered.sum()),
        "demand_uncoverable": int((~cand_reach & ~problem.base_covered).sum()),
        "rows_start": n_rows,
        "cols_start": n_cols,
    }


def group_identical_rows(m: sp.csr_matrix, *extra: np.ndarray, values: bool = False) -> np.ndarray:
    """Representative row of each row: the first row with the same pattern (and values).

    Rows are hashed by two random projections of their pattern (and, with ``values=True``,
    of their stored values), grouped with ``extra`` per-row keys, and every merge is then
    verified exactly; a row that fails verification stays on its own.

    Returns
    -------
    numpy.ndarray
        ``rep[i]``: index of the representative of row ``i`` (``rep[i] == i`` for the first).
    """
    m = sp.csr_matrix(m)
    m.sort_indices()
    n_row, n_col = m.shape
    rng = np.random.default_rng(12345)
    pat = sp.csr_matrix((np.ones(m.nnz), m.indices, m.indptr), shape=m.shape)
    keys = [np.diff(m.indptr).astype(np.float64), pat @ rng.random(n_col), pat @ rng.random(n_col)]
    if values:
        vals = sp.csr_matrix((m.data.astype(np.float64) + 1.0, m.indices, m.indptr), shape=m.shape)
        keys.append(vals @ rng.random(n_col))
    keys.extend(np.asarray(e, dtype=np.float64) for e in extra)
    _, first, inverse = np.unique(np.column_stack(keys), axis=0, return_index=True, return_inverse=True)
    rep = first[inverse.ravel()]
    # exact check: each row equals its representative (pattern and, if asked, values)
    moved = np.flatnonzero(rep != np.arange(n_row))
    if len(moved):
        src = vals if values else pat
        diff = src[moved] - src[rep[moved]]
        diff.eliminate_zeros()
        bad = moved[np.diff(diff.indptr) > 0]
        rep[bad] = bad
    return rep


def merge_rows(
    a: sp.csr_matrix, w: np.ndarray, row_of: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Merge rows with identical candidate sets, summing weights."""
    if a.shape[0] < 2:
        return a, w, row_of
    rep = group_identical_rows(a)
    uniq, new_index = np.unique(rep, return_inverse=True)
    if len(uniq) == a.shape[0]:
        return a, w, row_of
    w2 = np.bincount(new_index, weights=w, minlength=len(uniq))
    return a[uniq].tocsr(), w2, _remap(row_of, new_index)


def _drop_superset_rows(
    a: sp.csr_matrix, w: np.ndarray, row_of: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Drop rows whose candidate set strictly contains another row's set (set covering only)."""
    col_nnz = np.diff(a.tocsc().indptr)
    if a.shape[0] < 2 or float((col_nnz.astype(np.float64) ** 2).sum()) > MAX_OVERLAP_WORK:
        return a, w, row_of
    ai = a.astype(np.int32)
    overlap = (ai @ ai.T).tocoo()
    nnz = np.diff(a.indptr)
    sub = (overlap.row != overlap.col) & (overlap.data == nnz[overlap.row])
    # rows are distinct after merging, so row ⊆ col here is a strict subset: col is implied
    drop = np.zeros(a.shape[0], dtype=bool)
    drop[overlap.col[sub]] = True
    if not drop.any():
        return a, w, row_of
    keep = ~drop
    new_index = np.where(keep, np.cumsum(keep) - 1, -1)
    return a[keep].tocsr(), w[keep], _remap(row_of, new_index)


def dominated_columns(a: sp.csr_matrix, cost: np.ndarray) -> np.ndarray:
    """Columns whose covered set is inside another's at no lower cost (ties: keep the first)."""
    n_col = a.shape[1]
    dominated = np.zeros(n_col, dtype=bool)
    row_nnz = np.diff(a.indptr)
    if n_col < 2 or float((row_nnz.astype(np.float64) ** 2).sum()) > MAX_OVERLAP_WORK:
        return dominated
    ai = a.astype(np.int32).tocsc()
    overlap = (ai.T @ ai).tocoo()
    nnz = np.diff(ai.indptr)
    j, k, o = overlap.row, overlap.col, overlap.data
    subset = (j != k) & (o == nnz[j]) & (nnz[j] > 0)
    cj, ck = cost[j], cost[k]
    better = (ck < cj) | ((ck == cj) & ((nnz[k] > nnz[j]) | ((nnz[k] == nnz[j]) & (k < j))))
    dominated[j[subset & better]] = True
    return dominated


def _essential(
    a: sp.csr_matrix, w: np.ndarray, row_of: np.ndarray, cols: np.ndarray, cost: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Open the only candidate of single-candidate rows and drop the rows it covers."""
    single = np.diff(a.indptr) == 1
    if not single.any():
        return a, w, row_of, cols, cost, np.zeros(0, dtype=np.int64)
    must = np.unique(a.indices[a.indptr[:-1][single]])
    a_csc = a.tocsc()
    hit = np.zeros(a.shape[0], dtype=bool)
    hit[a_csc[:, must].tocsr().nonzero()[0]] = True
    keep_r = ~hit
    keep_c = np.ones(a.shape[1], dtype=bool)
    keep_c[must] = False
    new_index = np.where(keep_r, np.cumsum(keep_r) - 1, -1)
    a2 = a[keep_r][:, keep_c].tocsr()
    return a2, w[keep_r], _remap(row_of, new_index), cols[keep_c], cost[keep_c], cols[must]


def _remap(row_of: np.ndarray, new_index: np.ndarray) -> np.ndarray:
    """Compose the original → reduced row map with a further re-indexing (-1 stays -1)."""
    out = np.full_like(row_of, -1)
    ok = row_of >= 0
    out[ok] = new_index[row_of[ok]]
    return out
