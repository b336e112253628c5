r"""p-median: new sites that minimize the total population-weighted walking time."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...geodata.common import Assumption, InputError
from ._builder import ModelBuilder, entry_rows
from .problem import SitingProblem, _entry_mask, _mask_entries, siting_problem
from .reduce import group_identical_rows
from .result import SitingResult

#: An unserved demand point counts as this many times its own threshold (see `PMedian`).
UNSERVED_FACTOR = 10.0


@dataclass
class PMedian:
    r"""p-median over the sparse reach matrix: minimize total weighted walking seconds.

    .. math::

        \min \sum_{(i,j) \in E} w_i t_{ij} z_{ij} + \sum_i w_i\, \pi_i u_i
        \quad\text{s.t.}\quad
        \sum_{j:(i,j) \in E} z_{ij} + u_i = 1 \;\; \forall i \in I_r, \qquad
        z_{ij} \le x_j \;\; \forall (i,j) \in E,

    .. math::

        \sum_{j \notin F} x_j \le p, \qquad x_j = 1 \;\; \forall j \in F, \qquad
        x \in \{0,1\}, \;\; z, u \ge 0

    :math:`E` holds only the pairs within the demand point's threshold (unreachable pairs are
    excluded, never given a large cost); existing sites are always open, so a pair is kept
    only when faster than the point's nearest existing site. :math:`I_r` is the demand some
    site reaches; the rest is reported in ``result.uncoverable``. When ``p`` sites cannot
    reach everyone, :math:`u_i = 1` marks a point left unserved at a cost of
    :math:`\pi_i` = ``unserved_factor`` × its threshold (an assumption, see
    ``result.assumptions``): serving a point first, then its walking time. The objective is
    the total weighted walking seconds, unserved points priced at :math:`\pi_i`.

    Without a threshold (``threshold_s=inf``, the default of `from_cost_matrix`) this is the
    classic p-median: every stored pair is an allowed assignment (a dense matrix: every
    finite entry; a stored 0 is a zero cost, a pair not stored is impossible, see
    `lifecircle.coverage.siting.problem`). A demand point then stays unserved only when no
    open site has a stored pair with it, priced at ``unserved_factor`` × the longest stored
    time of the whole matrix; a demand point with weight and no stored pair at all is an
    error.

    Parameters
    ----------
    problem
        The instance (a matrix of seconds).
    p
        Number of new sites.
    unserved_factor
        Cost of leaving a reachable point unserved, in multiples of its threshold.
    """

    problem: SitingProblem
    p: int
    unserved_factor: float = UNSERVED_FACTOR

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: np.ndarray | sp.spmatrix | sp.sparray,
        weights: np.ndarray | None,
        p: int,
        threshold: float | np.ndarray = np.inf,
        *,
        unserved_factor: float = UNSERVED_FACTOR,
        **problem_kw,
    ) -> PMedian:
        """A p-median over a demand × candidate cost matrix, dense or sparse.

        Parameters
        ----------
        cost_matrix
            Walking seconds (or another cost), read as `lifecircle.coverage.siting.problem`
            says: a stored 0 is a zero cost, a pair not stored (or ``inf``/NaN) is impossible.
        weights
            Demand weights (``None``: 1 each).
        p
            Number of new sites.
        threshold
            Longest allowed assignment, seconds (one or one per demand point); ``inf``
            (default): none, every stored pair is allowed.
        unserved_factor
            Price of an unserved point, see the class docstring.
        **problem_kw
            Further `siting_problem` arguments (``existing``, ``fixed``, ``candidate_ids``, …).
        """
        pb = siting_problem(cost_matrix, weights, threshold_s=threshold, **problem_kw)
        return cls(pb, p, unserved_factor)

    def solve(self, *, time_limit: float = 60.0, mip_gap: float = 0.0, threads: int = 1) -> SitingResult:
        """Solve with HiGHS (warm-started by greedy additions) and explain."""
        from .explain import explain

        t0 = time.perf_counter()
        pb = self.problem
        if not pb.has_times:
            raise InputError(
                "p-median: the reach matrix must hold walking seconds, not only coverage.",
                zh="p-中位模型：可达矩阵须存放步行秒数，而不只是是否覆盖。",
            )
        if int(self.p) < 0:
            raise InputError(
                f"p-median: p = {self.p}; give the number of new sites as 0 or more.",
                zh=f"p-中位模型：p = {self.p}；新增设施数须为 0 或以上。",
            )
        no_thr = np.isinf(pb.threshold_s)
        lost = np.flatnonzero(no_thr & (pb.weights > 0) & ~pb.coverable)
        if len(lost):
            more = f" (and {len(lost) - 5} more)" if len(lost) > 5 else ""
            more_zh = f"（另有 {len(lost) - 5} 个）" if len(lost) > 5 else ""
            shown = ", ".join(str(i) for i in lost[:5])
            raise InputError(
                f"p-median: demand point {shown}{more} has no stored time to any site and no threshold; "
                "store its times, give it weight 0, or set 'threshold_s' to report it as unreachable.",
                zh=(
                    f"p-中位模型：需求点 {shown.replace(', ', '、')}{more_zh}没有到任何设施的时间，"
                    "且未设阈值；"
                    "请补上其时间、把权重设为 0，或设定 'threshold_s' 以便将其报告为不可达。"
                ),
            )
        t_cand = pb.times
        # nearest existing site per demand point (seconds), inf where none
        t_ex = np.full(pb.n_demand, np.inf)
        if pb.existing_reach is not None and pb.existing_reach.dtype != np.bool_:
            ex = _mask_entries(pb.existing_reach, _entry_mask(pb.existing_reach, pb.threshold_s))
            has = np.diff(ex.indptr) > 0
            mins = np.full(pb.n_demand, np.inf)
            if ex.nnz:
                mins[has] = np.minimum.reduceat(ex.data, ex.indptr[:-1][has])
            t_ex = mins
        elif pb.existing_reach is not None or pb.existing_covered.any():
            raise InputError(
                "p-median: give existing sites as a demand × site matrix of seconds, so their walking "
                "times count.",
                zh="p-中位模型：请以秒数的需求点 × 设施矩阵给出现有设施，以便计入其步行时间。",
            )
        # keep pairs faster than the nearest existing site
        rows_e = entry_rows(t_cand)
        keep = t_cand.data < t_ex[rows_e]
        tc = _mask_entries(t_cand, keep)
        reach = (np.diff(tc.indptr) > 0) | np.isfinite(t_ex)
        w = pb.weights
        active = reach & (w > 0) & (np.diff(tc.indptr) > 0)
        rows = np.flatnonzero(active)
        sub = tc[rows].tocsr()
        # merge points with identical times to every candidate and the same fallback
        price = _unserved_price(pb, self.unserved_factor)
        fallback = np.where(np.isfinite(t_ex[rows]), t_ex[rows], price[rows])
        rep = group_identical_rows(sub, fallback, values=True) if len(rows) > 1 else np.arange(len(rows))
        uniq, group = np.unique(rep, return_inverse=True)
        gw = np.bincount(group, weights=w[rows], minlength=len(uniq))
        red = sub[uniq].tocsr()
        fb = fallback[uniq]
        n_r = len(uniq)
        mb = ModelBuilder()
        x0 = mb.add_cols(pb.n_candidates, integer=True)
        x_cols = x0 + np.arange(pb.n_candidates)
        er = entry_rows(red)
        ec = red.indices
        z0 = mb.add_cols(len(er), cost=gw[er] * red.data)
        u0 = mb.add_cols(n_r, cost=gw * fb)
        k = np.arange(len(er))
        mb.add_rows(n_r, np.r_[er, np.arange(n_r)], np.r_[z0 + k, u0 + np.arange(n_r)], 1.0, lo=1.0, hi=1.0)
        mb.add_rows(
            len(er),
            np.r_[k, k],
            np.r_[z0 + k, x_cols[ec]],
            np.r_[np.ones(len(er)), -np.ones(len(er))],
            hi=0.0,
        )
        free = np.ones(pb.n_candidates, bool)
        free[pb.fixed] = False
        mb.add_rows(1, np.zeros(int(free.sum()), np.int64), x_cols[free], 1.0, hi=float(self.p))
        fix = {int(x_cols[j]): 1.0 for j in pb.fixed}
        # constant part: demand with an existing site and no faster candidate, and unserved fixed cost
        rest = reach & (w > 0) & ~active & np.isfinite(t_ex)
        offset = float((w[rest] * t_ex[rest]).sum())
        start_open = _greedy_pmedian(red, gw, fb, self.p, pb.fixed, pb.n_candidates)
        start = _start_vector(mb, red, gw, fb, x_cols, z0, u0, start_open)
        sol = mb.solve(
            maximize=False,
            offset=offset,
            start=start,
            time_limit=time_limit,
            mip_gap=mip_gap,
            threads=threads,
            fix=fix,
        )
        x = sol.x if sol.x is not None else start
        opened = np.flatnonzero(x[x_cols] > 0.5)
        new = np.setdiff1d(opened, pb.fixed)
        heur = float(mb.cost @ start) + offset
        objective = float(mb.cost @ x) + offset
        sites, gains = _order_by_saving(red, gw, fb, new, pb.fixed)
        # assignment: each demand point to its nearest open site (or existing)
        asg, served_t = _assign(pb, tc, t_ex, opened)
        before = np.isfinite(t_ex)
        after = before | np.isfinite(served_t)
        gap = abs(sol.bound - objective) / max(abs(objective), 1e-9) if math.isfinite(sol.bound) else math.nan
        unserved = int((active & ~np.isfinite(served_t)).sum())
        res = SitingResult(
            model="pmedian",
            sites=sites,
            site_ids=pb.candidate_label(sites),
            gains=gains,
            fixed=pb.fixed.copy(),
            objective=objective,
            bound=float(sol.bound),
            gap=gap,
            status=sol.status if sol.x is not None else "heuristic",
            solver="highs",
            solve_seconds=sol.seconds,
            stats={
                "demand": pb.n_demand,
                "candidates": pb.n_candidates,
                "rows_start": len(rows),
                "rows_reduced": n_r,
                "pairs": len(er),
                "nodes": sol.nodes,
                "unserved": unserved,
                "mean_walk_min": _mean_walk(w, served_t, t_ex),
            },
            heuristic_objective=heur,
            covered_before=before,
            covered_after=after,
            uncoverable=pb.uncoverable,
            assignment=asg,
            assumptions=(*pb.assumptions, _unserved_assumption(self.unserved_factor, no_thr.any())),
        )
        explain(pb, res)
        res.seconds = time.perf_counter() - t0
        return res


def _unserved_price(pb: SitingProblem, factor: float) -> np.ndarray:
    """Seconds charged per unit of unserved weight: ``factor`` × the threshold (or the longest time)."""
    longest = 1.0
    for m in (pb.reach, pb.existing_reach):
        if m is not None and m.dtype != np.bool_ and m.nnz:
            longest = max(longest, float(m.data.max()))
    return factor * np.where(np.isfinite(pb.threshold_s), pb.threshold_s, longest)


def _unserved_assumption(factor: float, no_threshold: bool = False) -> Assumption:
    """The unserved-point price as a stated assumption."""
    if no_threshold:
        return Assumption(
            key="siting.pmedian.unserved",
            value=factor,
            unit="× longest time",
            zh=f"p-中位模型（不设阈值）中，没有已开放站点可到达的居民按矩阵中最长时间的 {factor:g} 倍"
            "计入总时间（先服务，再缩短步行）。",
            en=f"In the p-median model without a threshold a resident no open site can serve counts as "
            f"{factor:g} × the longest time in the matrix (serve first, then shorten walks).",
        )
    return Assumption(
        key="siting.pmedian.unserved",
        value=factor,
        unit="× threshold",
        zh=f"p-中位模型中，未被任何站点覆盖的居民按其步行标准时间的 {factor:g} 倍计入总时间"
        "（先覆盖，再缩短步行）。",
        en=f"In the p-median model a resident no site reaches counts as {factor:g} × their walking "
        "threshold (serve first, then shorten walks).",
    )


def _greedy_pmedian(
    red: sp.csr_matrix, gw: np.ndarray, fb: np.ndarray, p: int, fixed: np.ndarray, n_cand: int
) -> np.ndarray:
    """Add sites one at a time by the largest drop in weighted seconds (vectorized over pairs)."""
    cur = fb.copy()
    rows = entry_rows(red)
    opened = np.zeros(n_cand, bool)
    for j in fixed:
        sel = red.indices == j
        np.minimum.at(cur, rows[sel], red.data[sel])
        opened[j] = True
    for _ in range(int(p)):
        save = np.bincount(
            red.indices, weights=gw[rows] * np.maximum(cur[rows] - red.data, 0.0), minlength=n_cand
        )
        save[opened] = -1.0
        j = int(np.argmax(save))
        if save[j] <= 0:
            break
        opened[j] = True
        sel = red.indices == j
        np.minimum.at(cur, rows[sel], red.data[sel])
    return opened


def _start_vector(
    mb: ModelBuilder,
    red: sp.csr_matrix,
    gw: np.ndarray,
    fb: np.ndarray,
    x_cols: np.ndarray,
    z0: int,
    u0: int,
    opened: np.ndarray,
) -> np.ndarray:
    """A full feasible start: every reduced row to its nearest open site, else unserved."""
    x = np.zeros(mb.n_col)
    x[x_cols] = opened
    rows = entry_rows(red)
    ok = opened[red.indices]
    t = np.where(ok, red.data, np.inf)
    best = np.full(red.shape[0], np.inf)
    np.minimum.at(best, rows, t)
    # first open pair reaching the row's best time
    hit = ok & (t == best[rows]) & (best[rows] < fb[rows])
    pos = np.flatnonzero(hit)
    first = np.unique(rows[pos], return_index=True)[1]
    x[z0 + pos[first]] = 1.0
    served = np.zeros(red.shape[0], bool)
    served[rows[pos[first]]] = True
    x[u0 + np.flatnonzero(~served)] = 1.0
    return x


def _order_by_saving(
    red: sp.csr_matrix, gw: np.ndarray, fb: np.ndarray, new: np.ndarray, fixed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Chosen sites re-ordered greedily by the weighted seconds each one saves."""
    cur = fb.copy()
    rows = entry_rows(red)
    for j in fixed:
        sel = red.indices == j
        np.minimum.at(cur, rows[sel], red.data[sel])
    order, gains = [], []
    lookup = np.full(red.shape[1], -1, dtype=np.int64)
    lookup[new] = np.arange(len(new))
    in_new = lookup[red.indices] >= 0
    r, t = rows[in_new], red.data[in_new]
    idx = lookup[red.indices[in_new]]
    taken = np.zeros(len(new), bool)
    for _ in range(len(new)):
        save = np.bincount(idx, weights=gw[r] * np.maximum(cur[r] - t, 0.0), minlength=len(new))
        save[taken] = -np.inf
        k = int(np.argmax(save))
        taken[k] = True
        order.append(int(new[k]))
        gains.append(max(float(save[k]), 0.0))
        sel = idx == k
        np.minimum.at(cur, r[sel], t[sel])
    return np.asarray(order, dtype=np.int64), np.asarray(gains)


def _assign(
    pb: SitingProblem, tc: sp.csr_matrix, t_ex: np.ndarray, opened: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """Each demand point to its nearest open candidate when faster than its nearest existing site."""
    is_open = np.zeros(pb.n_candidates, bool)
    is_open[opened] = True
    rows = entry_rows(tc)
    ok = is_open[tc.indices]
    r, c, t = rows[ok], tc.indices[ok], tc.data[ok]
    o = np.lexsort((t, r))
    r, c, t = r[o], c[o], t[o]
    first = np.r_[True, r[1:] != r[:-1]] if len(r) else np.zeros(0, bool)
    r, c, t = r[first], c[first], t[first]
    served = np.full(pb.n_demand, np.inf)
    served[r] = t
    asg = pd.DataFrame(
        {"demand": r, "candidate": c, "existing": np.nan, "amount": pb.weights[r], "seconds": t}
    )
    return asg, served


def _mean_walk(w: np.ndarray, served_t: np.ndarray, t_ex: np.ndarray) -> float:
    """Population-weighted mean walk (minutes) to the nearest open or existing site, over served demand."""
    t = np.minimum(served_t, t_ex)
    ok = np.isfinite(t) & (w > 0)
    return float((w[ok] * t[ok]).sum() / w[ok].sum() / 60.0) if ok.any() else math.nan
