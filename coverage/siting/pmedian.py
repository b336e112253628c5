r"""p-median: new sites that minimize the total population-weighted walking time."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...geodata.common import Assumption, InputError, Msg
from ._builder import ModelBuilder, entry_rows
from ._highs import HighsSettings, MilpSolution
from ._matrix import entry_mask, mask_entries
from ._reduce import group_identical_rows
from ._solve import Outcome, Picked, explained_result
from .problem import SitingProblem, siting_problem
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
        t0 = time.perf_counter()
        pb = self.problem
        _check(pb, self.p)
        inst = _instance(pb, self.unserved_factor)
        model = _model(pb, inst, self.p)
        start_open = _greedy_pmedian(inst.red, inst.gw, inst.fb, self.p, pb.fixed, pb.n_candidates)
        start = _start_vector(model, inst.red, inst.fb, start_open)
        settings = HighsSettings(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
        sol = model.mb.solve(
            maximize=False, offset=model.offset, start=start, settings=settings, fix=model.fix
        )
        x = sol.x if sol.x is not None else start
        opened = np.flatnonzero(x[model.x_cols] > 0.5)
        new = np.setdiff1d(opened, pb.fixed)
        sites, gains = _order_by_saving(inst.red, inst.gw, inst.fb, new, pb.fixed)
        # assignment: each demand point to its nearest open site (or existing)
        asg, served_t = _assign(pb, inst.tc, opened)
        before = np.isfinite(inst.t_ex)
        no_threshold = bool(np.isinf(pb.threshold_s).any())
        out = Outcome(
            objective=float(model.mb.cost @ x) + model.offset,
            bound=float(sol.bound),
            status=sol.status if sol.x is not None else "heuristic",
            solver="highs",
            heuristic=float(model.mb.cost @ start) + model.offset,
            stats=_stats(pb, inst, sol, served_t),
            solve_seconds=sol.seconds,
            assumptions=(_unserved_assumption(self.unserved_factor, no_threshold),),
        )
        picked = Picked(sites, gains, before, before | np.isfinite(served_t), asg)
        return explained_result(pb, "pmedian", picked, out, t0)


def _check(pb: SitingProblem, p: int) -> None:
    """Raise `InputError` for a coverage-only matrix, a negative ``p``, or demand with no time at all."""
    if not pb.has_times:
        raise InputError("siting.pmedian.no_times")
    if int(p) < 0:
        raise InputError("siting.pmedian.negative_p", p=p)
    lost = np.flatnonzero(np.isinf(pb.threshold_s) & (pb.weights > 0) & ~pb.coverable)
    if len(lost):
        more = Msg("siting.pmedian.more", n=len(lost) - 5) if len(lost) > 5 else ""
        raise InputError("siting.pmedian.no_stored_time", shown=[int(i) for i in lost[:5]], more=more)


def _nearest_existing(pb: SitingProblem) -> np.ndarray:
    """Seconds to the nearest existing site per demand point, ``inf`` where none is within reach."""
    t_ex = np.full(pb.n_demand, np.inf)
    if pb.existing_reach is not None and pb.existing_reach.dtype != np.bool_:
        ex = mask_entries(pb.existing_reach, entry_mask(pb.existing_reach, pb.threshold_s))
        has = np.diff(ex.indptr) > 0
        if ex.nnz:
            t_ex[has] = np.minimum.reduceat(ex.data, ex.indptr[:-1][has])
    elif pb.existing_reach is not None or pb.existing_covered.any():
        raise InputError("siting.pmedian.existing_matrix")
    return t_ex


@dataclass(frozen=True)
class _Instance:
    """The p-median over the pairs that matter, identical demand rows merged.

    Attributes
    ----------
    tc
        Candidate seconds within the thresholds and faster than the nearest existing site.
    t_ex
        Seconds to the nearest existing site per demand point (``inf``: none).
    active
        Demand points in the model (weight, and some faster candidate).
    red
        Merged rows × candidates, seconds.
    gw
        Weight of each merged row.
    fb
        Fallback seconds of each merged row: its nearest existing site, else the unserved price.
    """

    tc: sp.csr_matrix
    t_ex: np.ndarray
    active: np.ndarray
    red: sp.csr_matrix
    gw: np.ndarray
    fb: np.ndarray


def _instance(pb: SitingProblem, factor: float) -> _Instance:
    """Keep the pairs faster than the nearest existing site; merge rows with identical times and fallback."""
    t_ex = _nearest_existing(pb)
    t_cand = pb.times
    tc = mask_entries(t_cand, t_cand.data < t_ex[entry_rows(t_cand)])
    w = pb.weights
    active = (w > 0) & (np.diff(tc.indptr) > 0)
    rows = np.flatnonzero(active)
    sub = tc[rows].tocsr()
    price = _unserved_price(pb, factor)
    fallback = np.where(np.isfinite(t_ex[rows]), t_ex[rows], price[rows])
    rep = group_identical_rows(sub, fallback, values=True) if len(rows) > 1 else np.arange(len(rows))
    uniq, group = np.unique(rep, return_inverse=True)
    gw = np.bincount(group, weights=w[rows], minlength=len(uniq))
    return _Instance(tc, t_ex, active, sub[uniq].tocsr(), gw, fallback[uniq])


@dataclass(frozen=True)
class _Model:
    """The p-median MILP and where its columns are: sites ``x``, pairs from ``z0``, unserved from ``u0``."""

    mb: ModelBuilder
    x_cols: np.ndarray
    z0: int
    u0: int
    fix: dict[int, float]
    offset: float


def _model(pb: SitingProblem, inst: _Instance, p: int) -> _Model:
    """Assignment rows (each merged row served once or left unserved), ``z ≤ x``, the count row."""
    mb = ModelBuilder()
    x_cols = mb.add_cols(pb.n_candidates, integer=True) + np.arange(pb.n_candidates)
    red, gw, fb = inst.red, inst.gw, inst.fb
    n_r = red.shape[0]
    er, ec = entry_rows(red), red.indices
    z0 = mb.add_cols(len(er), cost=gw[er] * red.data)
    u0 = mb.add_cols(n_r, cost=gw * fb)
    k = np.arange(len(er))
    mb.add_rows(n_r, np.r_[er, np.arange(n_r)], np.r_[z0 + k, u0 + np.arange(n_r)], 1.0, lo=1.0, hi=1.0)
    ones = np.ones(len(er))
    mb.add_rows(len(er), np.r_[k, k], np.r_[z0 + k, x_cols[ec]], np.r_[ones, -ones], hi=0.0)
    free = np.ones(pb.n_candidates, bool)
    free[pb.fixed] = False
    mb.add_rows(1, np.zeros(int(free.sum()), np.int64), x_cols[free], 1.0, hi=float(p))
    fix = {int(x_cols[j]): 1.0 for j in pb.fixed}
    # constant part: demand with an existing site and no faster candidate
    w = pb.weights
    rest = (w > 0) & ~inst.active & np.isfinite(inst.t_ex)
    offset = float((w[rest] * inst.t_ex[rest]).sum())
    return _Model(mb, x_cols, z0, u0, fix, offset)


def _stats(pb: SitingProblem, inst: _Instance, sol: MilpSolution, served_t: np.ndarray) -> dict:
    """Model size, nodes, unserved points and the mean walk."""
    return {
        "demand": pb.n_demand,
        "candidates": pb.n_candidates,
        "rows_start": int(inst.active.sum()),
        "rows_reduced": inst.red.shape[0],
        "pairs": int(inst.red.indptr[-1]),
        "nodes": sol.nodes,
        "unserved": int((inst.active & ~np.isfinite(served_t)).sum()),
        "mean_walk_min": _mean_walk(pb.weights, served_t, inst.t_ex),
    }


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
            msg=Msg("siting.pmedian.unserved_no_threshold", factor=factor),
        )
    return Assumption(
        key="siting.pmedian.unserved",
        value=factor,
        unit="× threshold",
        msg=Msg("siting.pmedian.unserved", factor=factor),
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


def _start_vector(m: _Model, red: sp.csr_matrix, fb: np.ndarray, opened: np.ndarray) -> np.ndarray:
    """A full feasible start: every reduced row to its nearest open site, else unserved."""
    x = np.zeros(m.mb.n_col)
    x[m.x_cols] = opened
    rows = entry_rows(red)
    ok = opened[red.indices]
    t = np.where(ok, red.data, np.inf)
    best = np.full(red.shape[0], np.inf)
    np.minimum.at(best, rows, t)
    # first open pair reaching the row's best time
    hit = ok & (t == best[rows]) & (best[rows] < fb[rows])
    pos = np.flatnonzero(hit)
    first = np.unique(rows[pos], return_index=True)[1]
    x[m.z0 + pos[first]] = 1.0
    served = np.zeros(red.shape[0], bool)
    served[rows[pos[first]]] = True
    x[m.u0 + np.flatnonzero(~served)] = 1.0
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


def _assign(pb: SitingProblem, tc: sp.csr_matrix, opened: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
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
