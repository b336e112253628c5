r"""MIP-based large-neighbourhood search for maximal covering: re-solve small windows of sites exactly.

Sites interact only where their coverage overlaps. A window is a chosen site and the ``k − 1``
chosen sites closest to it in the weighted-overlap graph
:math:`O_{jl} = \sum_i w_i a_{ij} a_{il}`; its *pool* is every candidate overlapping a window
site. Holding all other sites fixed, the window's ``k`` sites are re-chosen from the pool by an
exact HiGHS solve of the small MCLP on the demand the fixed sites leave uncovered. A change
is kept only when it covers strictly more weight, so the search never gets worse. Windows that
failed are not retried until a nearby change; when every window has failed, ``k`` grows.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from lifecircle.coverage.siting.reduce import Reduced


def mip_lns(
    a: sp.csc_matrix,
    weight: np.ndarray,
    chosen: np.ndarray,
    *,
    time_limit: float,
    target: float = np.inf,
    k: int = 6,
    k_max: int = 16,
    window_seconds: float = 2.0,
    n_jumps: int = 40,
    stall_seconds: float = np.inf,
    seed: int = 0,
) -> tuple[np.ndarray, float, dict]:
    """Improve a maximal-covering solution by exact re-optimization of windows of ``k`` sites.

    Parameters
    ----------
    a
        Boolean CSC coverage matrix (reduced rows × columns).
    weight
        Row weights.
    chosen
        Starting set of columns.
    time_limit
        Seconds for the search.
    target
        Stop as soon as the covered weight reaches this (e.g. the value proving the wanted gap).
    k, k_max
        Starting and largest window size.
    window_seconds
        HiGHS time limit per window.
    n_jumps
        When every site window has failed, this many windows are built around the candidates
        covering the most uncovered weight, with the cheapest-to-remove sites added, so a
        site can move far.
    stall_seconds
        Stop after this long without an improvement.
    seed
        Seed of the window order.

    Returns
    -------
    chosen, value, stats
        The improved set, its covered weight and counters.
    """
    from lifecircle.coverage.siting.models import _solve_max_cover_milp

    t0 = time.perf_counter()
    w = np.asarray(weight, dtype=np.float64)
    chosen = np.asarray(chosen, dtype=np.int64).copy()
    p = len(chosen)
    af = a.astype(np.float64).tocsc()
    ov = (af.T @ sp.diags(w) @ af).tocsr()
    ov.setdiag(0)
    ov.eliminate_zeros()
    count = np.asarray(af[:, chosen].sum(axis=1)).ravel()
    value = float(w[count > 0].sum())
    rng = np.random.default_rng(seed)
    queue = list(rng.permutation(chosen))
    tried = windows = improved = 0
    trace: list[tuple[float, float]] = [(0.0, value)]
    k = min(k, p)
    k_jump = -1
    passes = 0
    jumps: list[int] = []
    last = t0
    while time.perf_counter() - t0 < time_limit and value < target and p:
        if time.perf_counter() - last > stall_seconds:
            break
        if not queue and not jumps:
            # every site window failed: try long jumps towards the heaviest uncovered demand
            if k_jump != k:
                k_jump = k
                jumps = _jump_seeds(af, w, count, chosen, n_jumps)
                continue
            passes += 1
            if passes > 2:
                if k >= min(k_max, p):
                    break
                k, passes = min(k + 2, k_max, p), 0
            queue = list(rng.permutation(chosen))
        if queue:
            s = int(queue.pop())
            if s not in set(chosen.tolist()):
                continue
            near = _near_sites(ov, s, chosen, k + k // 2)
            near = near[near[:, 1] > 0, 0].astype(np.int64)
            # the seed, then a random k − 1 of its nearest chosen sites (varied windows)
            rest = near[1:]
            win = (
                np.r_[near[:1], rng.permutation(rest)[: k - 1]] if len(rest) > k - 1 and passes else near[:k]
            )
            extra = np.zeros(0, dtype=np.int64)
        else:
            c = int(jumps.pop())
            near = _near_sites(ov, c, chosen, k - 2)
            win = near[near[:, 1] > 0, 0].astype(np.int64)
            win = win[win != c]
            # plus the sites whose removal loses least, wherever they are
            loss = _loss(af, w, count, chosen)
            cheap = chosen[np.argsort(loss, kind="stable")]
            cheap = cheap[~np.isin(cheap, win)][: max(k - len(win), 1)]
            win = np.r_[win, cheap]
            extra = np.r_[c, ov.indices[ov.indptr[c] : ov.indptr[c + 1]]]
        if len(win) == 0:
            continue
        pool = np.unique(
            np.concatenate([win, extra, *[ov.indices[ov.indptr[f] : ov.indptr[f + 1]] for f in win]])
        )
        cnt_other = count - np.asarray(af[:, win].sum(axis=1)).ravel()
        sub = a[:, pool].tocsr()
        rows = np.flatnonzero((np.diff(sub.indptr) > 0) & (cnt_other < 0.5))
        sub = sub[rows].tocsc()
        start = np.flatnonzero(np.isin(pool, win))
        cur = float(w[rows][np.asarray(sub[:, start].sum(axis=1)).ravel() > 0].sum())
        remaining = time_limit - (time.perf_counter() - t0)
        sub, wr, pool_r, start = _shrink(sub, w[rows], pool, start)
        red = Reduced(sub, wr, pool_r, np.ones(len(pool_r)), np.zeros(0, dtype=np.int64))
        sol = _solve_max_cover_milp(
            red, len(win), None, start, 0.0, min(window_seconds, max(remaining, 0.05)), 0.0, 1
        )
        windows += 1
        tried += 1
        if sol.x is None:
            continue
        pick = pool_r[sol.x[: len(pool_r)] > 0.5]
        new_val = float(sol.objective)
        if new_val > cur + 1e-9 * max(value, 1.0):
            chosen = np.r_[chosen[~np.isin(chosen, win)], pick]
            count = cnt_other + np.asarray(af[:, pick].sum(axis=1)).ravel()
            value = float(w[count > 0].sum())
            improved += 1
            last = time.perf_counter()
            trace.append((round(time.perf_counter() - t0, 2), value))
            # windows around the change may now improve: queue the new sites and their chosen neighbours
            near = np.unique(
                np.concatenate([pick, *[ov.indices[ov.indptr[f] : ov.indptr[f + 1]] for f in pick]])
            )
            near = near[np.isin(near, chosen)]
            queue.extend(x for x in rng.permutation(near).tolist() if x not in queue)
    stats = {
        "lns_windows": windows,
        "lns_improved": improved,
        "lns_k": k,
        "lns_seconds": round(time.perf_counter() - t0, 3),
        "lns_trace": trace,
    }
    return chosen, value, stats


def _near_sites(ov: sp.csr_matrix, s: int, chosen: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` chosen sites closest to column ``s`` (two steps in the overlap graph), with scores."""
    nb = ov.indices[ov.indptr[s] : ov.indptr[s + 1]]
    prox = np.asarray(ov[nb].sum(axis=0)).ravel() if len(nb) else np.zeros(ov.shape[1])
    prox[s] = np.inf
    order = np.argsort(-prox[chosen], kind="stable")[: max(k, 0)]
    return np.c_[chosen[order].astype(np.float64), prox[chosen[order]]]


def _jump_seeds(af: sp.csc_matrix, w: np.ndarray, count: np.ndarray, chosen: np.ndarray, n: int) -> list[int]:
    """Candidates covering the most uncovered weight (last one first when popped)."""
    gain = np.asarray(af.T @ np.where(count < 0.5, w, 0.0)).ravel()
    gain[chosen] = -np.inf
    top = np.argsort(-gain, kind="stable")[:n]
    return top[gain[top] > 0][::-1].tolist()


def _loss(af: sp.csc_matrix, w: np.ndarray, count: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Weight only each chosen site covers."""
    return np.asarray(af[:, chosen].T @ np.where(np.abs(count - 1) < 0.5, w, 0.0)).ravel()


def _shrink(
    sub: sp.csc_matrix, w: np.ndarray, pool: np.ndarray, start: np.ndarray
) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Merge twin rows and drop dominated pool columns of a window (the window's own sites stay)."""
    from lifecircle.coverage.siting.reduce import _dominated_columns, _merge_rows

    csr = sub.tocsr()
    csr, w2, _ = _merge_rows(csr, w, np.zeros(0, dtype=np.int64))
    dom = _dominated_columns(csr, np.ones(csr.shape[1]))
    keep = ~dom
    keep[start] = True
    idx = np.flatnonzero(keep)
    new_start = np.flatnonzero(np.isin(idx, start))
    out = csr[:, idx].tocsc()
    out.sort_indices()
    return out, w2, pool[idx], new_start
