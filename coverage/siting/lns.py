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

from ._maxcover import solve_max_cover_milp
from .reduce import Reduced


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
    guide: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
    overlap: sp.csr_matrix | None = None,
) -> tuple[np.ndarray, float, dict]:
    r"""Improve a maximal-covering solution by exact re-optimization of windows of ``k`` sites.

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
    guide
        Optional LP column values :math:`\bar x`. Windows are then tried where the LP covers
        most weight the current set leaves uncovered: with the LP row cover
        :math:`\bar y_i = \min(1, \sum_j a_{ij} \bar x_j)` and the row shortfall
        :math:`g_i = w_i \max(\bar y_i - [i \text{ covered}], 0)`, site ``s`` is ranked by
        :math:`\sum_{l \in N(s) \cup \{s\}} \sum_i a_{il} g_i` over its overlap neighbours
        :math:`N(s)` (default: random order).
    allowed
        Optional boolean mask over columns: only windows seeded at these sites (and jumps to
        these candidates) are tried; the windows themselves may reach beyond it.
    overlap
        The overlap matrix :math:`O` if already computed (zero diagonal, CSR).

    Returns
    -------
    chosen, value, stats
        The improved set, its covered weight and counters.
    """
    t0 = time.perf_counter()
    w = np.asarray(weight, dtype=np.float64)
    chosen = np.asarray(chosen, dtype=np.int64).copy()
    p = len(chosen)
    af = a.astype(np.float64).tocsc()
    ov = overlap_matrix(af, w) if overlap is None else overlap
    count = np.asarray(af[:, chosen].sum(axis=1)).ravel()
    value = float(w[count > 0].sum())
    rng = np.random.default_rng(seed)
    y_lp = None if guide is None else np.minimum(np.asarray(af @ np.asarray(guide, np.float64)).ravel(), 1.0)
    nbr = None if guide is None else (ov != 0).astype(np.float64) + sp.identity(ov.shape[0], format="csr")

    def _order(sites: np.ndarray) -> list:
        """Sites to try, the most promising last (popped first)."""
        if allowed is not None:
            sites = sites[allowed[sites]]
        if y_lp is None:
            return list(rng.permutation(sites))
        short = w * np.maximum(y_lp - (count > 0), 0.0)
        prio = np.asarray(nbr[sites] @ np.asarray(af.T @ short).ravel()).ravel()
        return list(np.asarray(sites)[np.argsort(prio + rng.random(len(sites)) * 1e-9, kind="stable")])

    queue = _order(chosen)
    tried = windows = improved = 0
    failed: list[int] = []  # seeds of site windows that gave nothing
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
                jumps = _jump_seeds(af, w, count, chosen, n_jumps, allowed)
                continue
            passes += 1
            if passes > 2:
                if k >= min(k_max, p):
                    break
                k, passes = min(k + 2, k_max, p), 0
            queue = _order(chosen)
        s = -1
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
        sol = solve_max_cover_milp(
            red, len(win), None, start, 0.0, min(window_seconds, max(remaining, 0.05)), 0.0, 1
        )
        windows += 1
        tried += 1
        if sol.x is None:
            failed.append(s)
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
        else:
            failed.append(s)
    stats = {
        "lns_windows": windows,
        "lns_improved": improved,
        "lns_k": k,
        "lns_failed": sorted({int(f) for f in failed if f >= 0}),
        "lns_seconds": round(time.perf_counter() - t0, 3),
        "lns_trace": trace,
    }
    return chosen, value, stats


def overlap_matrix(af: sp.csc_matrix, w: np.ndarray) -> sp.csr_matrix:
    r"""Weighted overlap :math:`O = A^\top \operatorname{diag}(w) A` with a zero diagonal (CSR)."""
    ov = (af.T @ sp.diags(w) @ af).tocsr()
    ov.setdiag(0)
    ov.eliminate_zeros()
    return ov


def parallel_lns(
    a: sp.csc_matrix,
    weight: np.ndarray,
    chosen: np.ndarray,
    *,
    time_limit: float,
    target: float = np.inf,
    guide: np.ndarray | None = None,
    workers: int | None = None,
    round_seconds: float = 10.0,
    seed: int = 0,
    **lns_options,
) -> tuple[np.ndarray, float, dict]:
    r"""`mip_lns` on several cores: each round, each worker searches its own part of the map.

    Each round splits the columns in two by hop distance in the overlap graph from a random
    pivot column (a disc around the pivot and the rest; the border moves every round).
    Worker ``h`` runs `mip_lns` from the same incumbent :math:`S` with window seeds in its part
    only, for ``round_seconds``, giving :math:`S_h`. The round ends with the best of
    :math:`S_0`, :math:`S_1` and the merge
    :math:`(S \setminus igcup_h (S \setminus S_h)) \cup igcup_h (S_h \setminus S)`
    (both workers' changes; they rarely interact, as they were made in different parts),
    topped up greedily if a site was dropped twice. The covered weight never decreases.
    Sites whose windows failed are not seeded again until a change nearby; once every site's
    window has failed, windows grow (``k`` + 2, up to ``k_max``).

    Parameters
    ----------
    a, weight, chosen, time_limit, target, guide
        As `mip_lns`.
    workers
        Processes (default: 2 when at least two CPUs are usable, else a plain `mip_lns`).
    round_seconds
        Length of one round.
    seed
        Seed of the splits and of the workers.
    **lns_options
        Passed to `mip_lns` (``k``, ``k_max``, ``window_seconds``, ...).

    Returns
    -------
    chosen, value, stats
        As `mip_lns`.
    """
    import multiprocessing as mp
    import os

    from scipy.sparse.csgraph import shortest_path

    t0 = time.perf_counter()
    if workers is None:
        workers = min(
            2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        )
    p = len(chosen)
    # a daemonic process (a Dask or pool worker) may not start processes of its own
    forkable = "fork" in mp.get_all_start_methods() and not mp.current_process().daemon
    if workers < 2 or p < 4 or not forkable:
        return mip_lns(
            a, weight, chosen, time_limit=time_limit, target=target, guide=guide, seed=seed, **lns_options
        )
    global _SHARED
    w = np.asarray(weight, dtype=np.float64)
    af = a.astype(np.float64).tocsc()
    ov = overlap_matrix(af, w)
    options = dict(lns_options)
    k = int(options.pop("k", 6))
    k_max = int(options.pop("k_max", 16))
    _SHARED = (a, w, ov, guide, target, options)
    chosen = np.asarray(chosen, dtype=np.int64).copy()
    value = float(w[np.asarray(af[:, chosen].sum(axis=1)).ravel() > 0].sum())
    rng = np.random.default_rng(seed)
    trace: list[tuple[float, float]] = [(0.0, value)]
    rounds = windows = merged = 0
    hop = (ov != 0).astype(np.float64).tocsr()
    stale = np.zeros(a.shape[1], dtype=bool)  # sites whose windows failed since the last nearby change
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            while value < target:
                left = time_limit - (time.perf_counter() - t0)
                if left < 0.5:
                    break
                d = shortest_path(hop, unweighted=True, indices=int(rng.integers(a.shape[1])))
                cut = (
                    np.quantile(d[np.isfinite(d)], np.linspace(0, 1, workers + 1)[1:-1])
                    if np.isfinite(d).any()
                    else []
                )
                part = np.searchsorted(np.asarray(cut), d, side="right")
                if not (~stale[chosen]).any():
                    # every window of this size failed since the last change: larger windows
                    stale[:] = False
                    k = min(k + 2, k_max)
                jobs = [
                    (
                        chosen,
                        (part == h) & ~stale,
                        min(round_seconds, left - 0.2),
                        int(rng.integers(2**31)),
                        k,
                    )
                    for h in range(workers)
                ]
                outs = pool.map(_lns_worker, jobs)
                rounds += 1
                windows += sum(o[2]["lns_windows"] for o in outs)
                cands = [(v, c) for c, v, _ in outs]
                removed = (
                    np.setdiff1d(chosen, np.intersect1d(*[c for c, _, _ in outs])) if workers == 2 else None
                )
                if removed is not None:
                    added = np.setdiff1d(np.union1d(outs[0][0], outs[1][0]), chosen)
                    mix = np.union1d(np.setdiff1d(chosen, removed), added)
                    mix = _top_up(af, w, mix, p)
                    if len(mix) <= p:
                        cands.append((float(w[np.asarray(af[:, mix].sum(axis=1)).ravel() > 0].sum()), mix))
                v_best, c_best = max(cands, key=lambda vc: vc[0])
                for o in outs:
                    stale[np.asarray(o[2]["lns_failed"], dtype=np.int64)] = True
                if v_best > value + 1e-9 * max(value, 1.0):
                    # windows near a change may improve again
                    moved = np.setxor1d(chosen, c_best)
                    stale[moved] = False
                    stale[np.unique(hop[moved].indices)] = False
                    merged += int(v_best > max(o[1] for o in outs))
                    chosen, value = np.asarray(c_best, dtype=np.int64), v_best
                    trace.append((round(time.perf_counter() - t0, 2), value))
    finally:
        _SHARED = None
    stats = {
        "lns_windows": windows,
        "lns_rounds": rounds,
        "lns_merged": merged,
        "lns_workers": workers,
        "lns_k": k,
        "lns_seconds": round(time.perf_counter() - t0, 3),
        "lns_trace": trace,
    }
    return chosen, value, stats


_SHARED: tuple | None = None


def _lns_worker(job: tuple) -> tuple[np.ndarray, float, dict]:
    """One worker's round of `parallel_lns` (the instance comes from the forked parent)."""
    chosen, allowed, seconds, seed, k = job
    a, w, ov, guide, target, options = _SHARED
    return mip_lns(
        a,
        w,
        chosen,
        time_limit=seconds,
        target=target,
        guide=guide,
        allowed=allowed,
        overlap=ov,
        seed=seed,
        k=k,
        k_max=k,
        **options,
    )


def _top_up(af: sp.csc_matrix, w: np.ndarray, chosen: np.ndarray, p: int) -> np.ndarray:
    """Add the best greedy candidates until ``p`` are chosen (at most ``p`` − ``len(chosen)`` steps)."""
    chosen = np.asarray(chosen, dtype=np.int64)
    count = np.asarray(af[:, chosen].sum(axis=1)).ravel()
    while len(chosen) < p:
        gain = np.asarray(af.T @ np.where(count < 0.5, w, 0.0)).ravel()
        gain[chosen] = -np.inf
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        chosen = np.r_[chosen, j]
        count += af[:, j].toarray().ravel()
    return chosen


def _near_sites(ov: sp.csr_matrix, s: int, chosen: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` chosen sites closest to column ``s`` (two steps in the overlap graph), with scores."""
    nb = ov.indices[ov.indptr[s] : ov.indptr[s + 1]]
    prox = np.asarray(ov[nb].sum(axis=0)).ravel() if len(nb) else np.zeros(ov.shape[1])
    prox[s] = np.inf
    order = np.argsort(-prox[chosen], kind="stable")[: max(k, 0)]
    return np.c_[chosen[order].astype(np.float64), prox[chosen[order]]]


def _jump_seeds(
    af: sp.csc_matrix,
    w: np.ndarray,
    count: np.ndarray,
    chosen: np.ndarray,
    n: int,
    allowed: np.ndarray | None = None,
) -> list[int]:
    """Candidates covering the most uncovered weight (last one first when popped)."""
    gain = np.asarray(af.T @ np.where(count < 0.5, w, 0.0)).ravel()
    gain[chosen] = -np.inf
    if allowed is not None:
        gain[~allowed] = -np.inf
    top = np.argsort(-gain, kind="stable")[:n]
    return top[gain[top] > 0][::-1].tolist()


def _loss(af: sp.csc_matrix, w: np.ndarray, count: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Weight only each chosen site covers."""
    return np.asarray(af[:, chosen].T @ np.where(np.abs(count - 1) < 0.5, w, 0.0)).ravel()


def _shrink(
    sub: sp.csc_matrix, w: np.ndarray, pool: np.ndarray, start: np.ndarray
) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Merge twin rows and drop dominated pool columns of a window (the window's own sites stay)."""
    from .reduce import _dominated_columns, _merge_rows

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
