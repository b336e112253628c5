r"""MIP-based large-neighbourhood search for maximal covering: re-solve small windows of sites exactly.

Sites interact only where their coverage overlaps. A window is a chosen site and the ``k − 1``
chosen sites closest to it in the weighted-overlap graph
:math:`O_{jl} = \sum_i w_i a_{ij} a_{il}`; its *pool* is every candidate overlapping a window
site. Holding all other sites fixed, the window's ``k`` sites are re-chosen from the pool by an
exact HiGHS solve of the small MCLP on the demand the fixed sites leave uncovered. A change
is kept only when it covers strictly more weight, so the search never gets worse. Windows that
failed are not retried until a nearby change; when every window has failed, ``k`` grows.

With an LP solution :math:`\bar x` as guide, a pool first holds only the candidates with
:math:`\bar x_j` at least a floor (the window's own sites always): on city-scale instances
the LP support is a third of the candidates, and windows over it solve several times faster
and improve about as often. When every window has failed at a floor, the next (lower) floor of
``pool_floors`` is taken before the windows grow.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._highs import HighsSettings
from ._maxcover import solve_max_cover_milp
from ._procs import can_fork, default_workers
from ._reduce import Reduced, dominated_columns, merge_rows

_EMPTY = np.zeros(0, dtype=np.int64)

#: HiGHS options of the window MIPs: presolve costs more than it saves on these small models
#: (on the 100,000 × 10,000 benchmark a third more windows per second without it).
WINDOW_OPTIONS = {"presolve": "off"}


@dataclass(frozen=True)
class LnsSettings:
    """How the window search runs.

    Attributes
    ----------
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
        Seed of the window order (and of the splits of `parallel_lns`).
    pool_floors
        With a guide: the pools hold only candidates whose guide value is at least the current
        floor (plus the window's sites); floors are taken in order, the next one when every
        window failed, before the windows grow. ``(0.0,)``: every candidate.
    """

    k: int = 6
    k_max: int = 16
    window_seconds: float = 2.0
    n_jumps: int = 40
    stall_seconds: float = np.inf
    seed: int = 0
    pool_floors: tuple[float, ...] = (0.0,)


@dataclass(frozen=True)
class CoverInstance:
    r"""A maximal-covering instance prepared for the search.

    Attributes
    ----------
    a
        Boolean CSC coverage matrix (reduced rows × columns).
    af
        The same as floats.
    w
        Row weights.
    ov
        The weighted overlap matrix :math:`O` (zero diagonal, CSR).
    """

    a: sp.csc_matrix
    af: sp.csc_matrix
    w: np.ndarray
    ov: sp.csr_matrix

    @classmethod
    def of(cls, a: sp.csc_matrix, weight: np.ndarray) -> CoverInstance:
        """The instance of coverage ``a`` and row weights ``weight``."""
        w = np.asarray(weight, dtype=np.float64)
        af = a.astype(np.float64).tocsc()
        return cls(a, af, w, overlap_matrix(af, w))

    def covered_weight(self, chosen: np.ndarray) -> float:
        """Weight of the rows some column of ``chosen`` covers."""
        return float(self.w[np.asarray(self.af[:, chosen].sum(axis=1)).ravel() > 0].sum())


def mip_lns(
    inst: CoverInstance,
    chosen: np.ndarray,
    *,
    time_limit: float,
    target: float = np.inf,
    guide: np.ndarray | None = None,
    allowed: np.ndarray | None = None,
    settings: LnsSettings | None = None,
) -> tuple[np.ndarray, float, dict]:
    r"""Improve a maximal-covering solution by exact re-optimization of windows of ``k`` sites.

    Parameters
    ----------
    inst
        The instance (coverage, weights, overlap).
    chosen
        Starting set of columns.
    time_limit
        Seconds for the search.
    target
        Stop as soon as the covered weight reaches this (e.g. the value proving the wanted gap).
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
    settings
        Window sizes, time per window, jumps, stall time and seed (default `LnsSettings`).

    Returns
    -------
    chosen, value, stats
        The improved set, its covered weight and counters.
    """
    search = _Search(inst, chosen, guide, allowed, settings or LnsSettings())
    deadline = search.t0 + time_limit
    while time.perf_counter() < deadline and search.value < target and search.p:
        if time.perf_counter() - search.last > search.settings.stall_seconds:
            break
        step = search.refill()
        if step == "stop":
            break
        if step == "again":
            continue
        seed, win, extra = search.next_window()
        if len(win):
            search.try_window(seed, win, extra, deadline)
    return search.chosen, search.value, search.stats()


class _Search:
    """State of one window search: the incumbent, its coverage counts, the queues and counters."""

    def __init__(
        self,
        inst: CoverInstance,
        chosen: np.ndarray,
        guide: np.ndarray | None,
        allowed: np.ndarray | None,
        settings: LnsSettings,
    ) -> None:
        self.t0 = self.last = time.perf_counter()
        self.inst, self.allowed, self.settings = inst, allowed, settings
        self.chosen = np.asarray(chosen, dtype=np.int64).copy()
        self.p = len(self.chosen)
        self.count = np.asarray(inst.af[:, self.chosen].sum(axis=1)).ravel()
        self.value = float(inst.w[self.count > 0].sum())
        self.rng = np.random.default_rng(settings.seed)
        self.y_lp = self.nbr = None
        self.guide = None if guide is None else np.asarray(guide, dtype=np.float64)
        self.floor_at = 0
        if guide is not None:
            self.y_lp = np.minimum(np.asarray(inst.af @ np.asarray(guide, np.float64)).ravel(), 1.0)
            self.nbr = (inst.ov != 0).astype(np.float64) + sp.identity(inst.ov.shape[0], format="csr")
        self.queue = self.order(self.chosen)
        self.windows = self.improved = 0
        self.failed: list[int] = []  # seeds of site windows that gave nothing
        self.trace: list[tuple[float, float]] = [(0.0, self.value)]
        self.k = min(settings.k, self.p)
        self.k_jump = -1
        self.passes = 0
        self.jumps: list[int] = []

    def order(self, sites: np.ndarray) -> list:
        """Sites to try, the most promising last (popped first)."""
        if self.allowed is not None:
            sites = sites[self.allowed[sites]]
        if self.y_lp is None:
            return list(self.rng.permutation(sites))
        short = self.inst.w * np.maximum(self.y_lp - (self.count > 0), 0.0)
        prio = np.asarray(self.nbr[sites] @ np.asarray(self.inst.af.T @ short).ravel()).ravel()
        jitter = self.rng.random(len(sites)) * 1e-9
        return list(np.asarray(sites)[np.argsort(prio + jitter, kind="stable")])

    def refill(self) -> str:
        """Refill empty queues: ``go`` on, try the jumps ``again``, or ``stop`` at the largest windows.

        When every site window has failed, long jumps towards the heaviest uncovered demand are
        tried once per window size; after two more passes over the sites the windows grow.
        """
        if self.queue or self.jumps:
            return "go"
        if self.k_jump != self.k:
            self.k_jump = self.k
            self.jumps = _jump_seeds(self.inst, self.count, self.chosen, self.settings.n_jumps, self.allowed)
            return "again"
        self.passes += 1
        if self.passes > 2:
            if self.guide is not None and self.floor_at < len(self.settings.pool_floors) - 1:
                self.floor_at, self.passes, self.k_jump = self.floor_at + 1, 0, -1
            elif self.k >= min(self.settings.k_max, self.p):
                return "stop"
            else:
                self.k, self.passes = min(self.k + 2, self.settings.k_max, self.p), 0
        self.queue = self.order(self.chosen)
        return "go"

    def next_window(self) -> tuple[int, np.ndarray, np.ndarray]:
        """The next window: its seed site (-1 for a jump), its sites and extra pool candidates.

        The window is empty when its seed is no longer chosen or nothing is left to try.
        """
        if self.queue:
            s = int(self.queue.pop())
            if s not in set(self.chosen.tolist()):
                return s, _EMPTY, _EMPTY
            return s, self._site_window(s), _EMPTY
        if not self.jumps:
            return -1, _EMPTY, _EMPTY
        return -1, *self._jump_window(int(self.jumps.pop()))

    def _site_window(self, s: int) -> np.ndarray:
        """The seed, then its nearest chosen sites (a random ``k − 1`` of them after the first pass)."""
        k = self.k
        near = _near_sites(self.inst.ov, s, self.chosen, k + k // 2)
        near = near[near[:, 1] > 0, 0].astype(np.int64)
        rest = near[1:]
        if len(rest) > k - 1 and self.passes:
            return np.r_[near[:1], self.rng.permutation(rest)[: k - 1]]
        return near[:k]

    def _jump_window(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        """Chosen sites near candidate ``c`` plus those whose removal loses least; ``c``'s pool."""
        ov, k = self.inst.ov, self.k
        near = _near_sites(ov, c, self.chosen, k - 2)
        win = near[near[:, 1] > 0, 0].astype(np.int64)
        win = win[win != c]
        # plus the sites whose removal loses least, wherever they are
        loss = _loss(self.inst, self.count, self.chosen)
        cheap = self.chosen[np.argsort(loss, kind="stable")]
        cheap = cheap[~np.isin(cheap, win)][: max(k - len(win), 1)]
        return np.r_[win, cheap], np.r_[c, ov.indices[ov.indptr[c] : ov.indptr[c + 1]]]

    def try_window(self, seed: int, win: np.ndarray, extra: np.ndarray, deadline: float) -> None:
        """Re-choose the window's sites exactly from its pool; keep the change if it covers more."""
        inst = self.inst
        near = np.concatenate([extra[1:], *_neighbours(inst.ov, win)])
        if self.guide is not None:
            near = near[self.guide[near] >= self.settings.pool_floors[self.floor_at]]
        pool = np.unique(np.concatenate([win, extra[:1], near]))
        cnt_other = self.count - np.asarray(inst.af[:, win].sum(axis=1)).ravel()
        sub = inst.a[:, pool].tocsr()
        rows = np.flatnonzero((np.diff(sub.indptr) > 0) & (cnt_other < 0.5))
        sub = sub[rows].tocsc()
        start = np.flatnonzero(np.isin(pool, win))
        cur = float(inst.w[rows][np.asarray(sub[:, start].sum(axis=1)).ravel() > 0].sum())
        remaining = deadline - time.perf_counter()
        sub, wr, pool_r, start = _shrink(sub, inst.w[rows], pool, start)
        red = Reduced(sub, wr, pool_r, np.ones(len(pool_r)), np.zeros(0, dtype=np.int64))
        seconds = min(self.settings.window_seconds, max(remaining, 0.05))
        settings = HighsSettings(time_limit=seconds, options=WINDOW_OPTIONS)
        sol = solve_max_cover_milp(red, len(win), None, start, 0.0, settings)
        self.windows += 1
        if sol.x is None or not float(sol.objective) > cur + 1e-9 * max(self.value, 1.0):
            self.failed.append(seed)
            return
        self._accept(win, pool_r[sol.x[: len(pool_r)] > 0.5], cnt_other)

    def _accept(self, win: np.ndarray, pick: np.ndarray, cnt_other: np.ndarray) -> None:
        """Swap the window's sites for ``pick`` and queue the chosen sites around the change."""
        self.chosen = np.r_[self.chosen[~np.isin(self.chosen, win)], pick]
        self.count = cnt_other + np.asarray(self.inst.af[:, pick].sum(axis=1)).ravel()
        self.value = float(self.inst.w[self.count > 0].sum())
        self.improved += 1
        self.last = time.perf_counter()
        self.trace.append((round(time.perf_counter() - self.t0, 2), self.value))
        # windows around the change may now improve: queue the new sites and their chosen neighbours
        near = np.unique(np.concatenate([pick, *_neighbours(self.inst.ov, pick)]))
        near = near[np.isin(near, self.chosen)]
        self.queue.extend(x for x in self.rng.permutation(near).tolist() if x not in self.queue)

    def stats(self) -> dict:
        """Counters of the search."""
        return {
            "lns_windows": self.windows,
            "lns_improved": self.improved,
            "lns_k": self.k,
            "lns_floor": self.settings.pool_floors[self.floor_at] if self.guide is not None else 0.0,
            "lns_failed": sorted({int(f) for f in self.failed if f >= 0}),
            "lns_seconds": round(time.perf_counter() - self.t0, 3),
            "lns_trace": self.trace,
        }


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
    **lns_options: Any,
) -> tuple[np.ndarray, float, dict]:
    r"""`mip_lns` on several cores: each round, each worker searches its own part of the map.

    Each round splits the columns in two by hop distance in the overlap graph from a random
    pivot column (a disc around the pivot and the rest; the border moves every round).
    Worker ``h`` runs `mip_lns` from the same incumbent :math:`S` with window seeds in its part
    only, for ``round_seconds``, giving :math:`S_h`. The round ends with the best of
    :math:`S_0`, :math:`S_1` and the merge
    :math:`(S \setminus \bigcup_h (S \setminus S_h)) \cup \bigcup_h (S_h \setminus S)`
    (both workers' changes; they rarely interact, as they were made in different parts),
    topped up greedily if a site was dropped twice. The covered weight never decreases.
    Sites whose windows failed are not seeded again until a change nearby; once every site's
    window has failed, the pools widen (the next of ``pool_floors``), then windows grow
    (``k`` + 2, up to ``k_max``).

    Parameters
    ----------
    a, weight, chosen
        Boolean CSC coverage matrix, row weights and the starting set of columns.
    time_limit, target, guide
        As `mip_lns`.
    workers
        Processes (default: 2 when at least two CPUs are usable, else a plain `mip_lns`).
    round_seconds
        Length of one round.
    **lns_options
        `LnsSettings` fields (``k``, ``k_max``, ``window_seconds``, ``seed``, ...); the seed also
        seeds the splits and the workers.

    Returns
    -------
    chosen, value, stats
        As `mip_lns`.
    """
    t0 = time.perf_counter()
    settings = LnsSettings(**lns_options)
    workers = default_workers() if workers is None else workers
    inst = CoverInstance.of(a, weight)
    if workers < 2 or len(chosen) < 4 or not can_fork():
        return mip_lns(inst, chosen, time_limit=time_limit, target=target, guide=guide, settings=settings)
    import multiprocessing as mp

    global _SHARED
    _SHARED = (inst, guide, target, settings)
    rounds = _Rounds(inst, chosen, settings, workers)
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            while rounds.value < target:
                left = time_limit - (time.perf_counter() - t0)
                if left < 0.5:
                    break
                rounds.run(pool, min(round_seconds, left - 0.2), t0)
    finally:
        _SHARED = None
    return rounds.chosen, rounds.value, rounds.stats(t0)


#: The instance, guide, target and settings of the running `parallel_lns`, for forked workers.
_SHARED: tuple | None = None


class _Rounds:
    """State of `parallel_lns`: the incumbent, the sites whose windows failed, counters."""

    def __init__(self, inst: CoverInstance, chosen: np.ndarray, settings: LnsSettings, workers: int) -> None:
        self.inst, self.workers = inst, workers
        self.p = len(chosen)
        self.k, self.k_max = int(settings.k), int(settings.k_max)
        self.floors, self.floor_at = tuple(settings.pool_floors), 0
        self.chosen = np.asarray(chosen, dtype=np.int64).copy()
        self.value = inst.covered_weight(self.chosen)
        self.rng = np.random.default_rng(settings.seed)
        self.trace: list[tuple[float, float]] = [(0.0, self.value)]
        self.rounds = self.windows = self.merged = 0
        self.hop = (inst.ov != 0).astype(np.float64).tocsr()
        # sites whose windows failed since the last nearby change
        self.stale = np.zeros(inst.a.shape[1], dtype=bool)

    def run(self, pool, seconds: float, t0: float) -> None:
        """One round: split the map, search each part in a worker, keep the best (or the merge)."""
        part = self._split()
        if not (~self.stale[self.chosen]).any():
            # every window failed since the last change: wider pools, then larger windows
            self.stale[:] = False
            if self.floor_at < len(self.floors) - 1:
                self.floor_at += 1
            else:
                self.k = min(self.k + 2, self.k_max)
        floor = self.floors[self.floor_at]
        jobs = [
            (self.chosen, (part == h) & ~self.stale, seconds, int(self.rng.integers(2**31)), self.k, floor)
            for h in range(self.workers)
        ]
        outs = pool.map(_lns_worker, jobs)
        self.rounds += 1
        self.windows += sum(o[2]["lns_windows"] for o in outs)
        v_best, c_best = max(self._candidates(outs), key=lambda vc: vc[0])
        for o in outs:
            self.stale[np.asarray(o[2]["lns_failed"], dtype=np.int64)] = True
        if v_best > self.value + 1e-9 * max(self.value, 1.0):
            # windows near a change may improve again
            moved = np.setxor1d(self.chosen, c_best)
            self.stale[moved] = False
            self.stale[np.unique(self.hop[moved].indices)] = False
            self.merged += int(v_best > max(o[1] for o in outs))
            self.chosen, self.value = np.asarray(c_best, dtype=np.int64), v_best
            self.trace.append((round(time.perf_counter() - t0, 2), self.value))

    def _split(self) -> np.ndarray:
        """Part of each column: hop-distance bands around a random pivot, one per worker."""
        from scipy.sparse.csgraph import shortest_path

        n_col = self.inst.a.shape[1]
        d = shortest_path(self.hop, unweighted=True, indices=int(self.rng.integers(n_col)))
        finite = np.isfinite(d)
        cut = np.quantile(d[finite], np.linspace(0, 1, self.workers + 1)[1:-1]) if finite.any() else []
        return np.searchsorted(np.asarray(cut), d, side="right")

    def _candidates(self, outs: list) -> list[tuple[float, np.ndarray]]:
        """Each worker's answer, and with two workers the merge of both workers' changes."""
        cands = [(v, c) for c, v, _ in outs]
        if self.workers != 2:
            return cands
        removed = np.setdiff1d(self.chosen, np.intersect1d(outs[0][0], outs[1][0]))
        added = np.setdiff1d(np.union1d(outs[0][0], outs[1][0]), self.chosen)
        mix = np.union1d(np.setdiff1d(self.chosen, removed), added)
        mix = _top_up(self.inst, mix, self.p)
        if len(mix) <= self.p:
            cands.append((self.inst.covered_weight(mix), mix))
        return cands

    def stats(self, t0: float) -> dict:
        """Counters of the rounds."""
        return {
            "lns_windows": self.windows,
            "lns_rounds": self.rounds,
            "lns_merged": self.merged,
            "lns_workers": self.workers,
            "lns_k": self.k,
            "lns_floor": self.floors[self.floor_at],
            "lns_seconds": round(time.perf_counter() - t0, 3),
            "lns_trace": self.trace,
        }


def _lns_worker(job: tuple) -> tuple[np.ndarray, float, dict]:
    """One worker's round of `parallel_lns` (the instance comes from the forked parent)."""
    chosen, allowed, seconds, seed, k, floor = job
    inst, guide, target, settings = _SHARED
    return mip_lns(
        inst,
        chosen,
        time_limit=seconds,
        target=target,
        guide=guide,
        allowed=allowed,
        settings=dataclasses.replace(settings, seed=seed, k=k, k_max=k, pool_floors=(floor,)),
    )


def _neighbours(ov: sp.csr_matrix, cols: np.ndarray) -> list[np.ndarray]:
    """The overlap neighbours of each column of ``cols``."""
    return [ov.indices[ov.indptr[f] : ov.indptr[f + 1]] for f in cols]


def _top_up(inst: CoverInstance, chosen: np.ndarray, p: int) -> np.ndarray:
    """Add the best greedy candidates until ``p`` are chosen (at most ``p`` − ``len(chosen)`` steps)."""
    af, w = inst.af, inst.w
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
    inst: CoverInstance, count: np.ndarray, chosen: np.ndarray, n: int, allowed: np.ndarray | None
) -> list[int]:
    """Candidates covering the most uncovered weight (last one first when popped)."""
    gain = np.asarray(inst.af.T @ np.where(count < 0.5, inst.w, 0.0)).ravel()
    gain[chosen] = -np.inf
    if allowed is not None:
        gain[~allowed] = -np.inf
    top = np.argsort(-gain, kind="stable")[:n]
    return top[gain[top] > 0][::-1].tolist()


def _loss(inst: CoverInstance, count: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Weight only each chosen site covers."""
    return np.asarray(inst.af[:, chosen].T @ np.where(np.abs(count - 1) < 0.5, inst.w, 0.0)).ravel()


def _shrink(
    sub: sp.csc_matrix, w: np.ndarray, pool: np.ndarray, start: np.ndarray
) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Merge twin rows and drop dominated pool columns of a window (the window's own sites stay)."""
    csr = sub.tocsr()
    csr, w2, _ = merge_rows(csr, w, np.zeros(0, dtype=np.int64))
    dom = dominated_columns(csr, np.ones(csr.shape[1]))
    keep = ~dom
    keep[start] = True
    idx = np.flatnonzero(keep)
    new_start = np.flatnonzero(np.isin(idx, start))
    out = csr[:, idx].tocsc()
    out.sort_indices()
    return out, w2, pool[idx], new_start
