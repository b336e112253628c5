r"""Covering models: set covering (LSCP), maximal covering (MCLP) and budgeted maximal covering.

All three work on the boolean coverage :math:`a_{ij}` of a `SitingProblem` (demand ``i`` within
its own threshold of candidate ``j``). Existing services and fixed (planned) sites always
count: demand they reach is covered before any new site is chosen. Each ``solve`` reduces the
instance exactly (`reduce_cover`), runs a greedy(+swap) heuristic, then proves optimality
with HiGHS warm-started by the heuristic, within a time limit, reporting bound and gap. Very
large MCLPs are bounded by their LP relaxation (interior point), tightened by a regional
Lagrangian decomposition (`decomposition_bound`), and searched by MIP-based
large-neighbourhood search (`mip_lns`) instead of one branch-and-bound over everything.

Each model can be built from a cost matrix directly (``LSCP.from_cost_matrix``,
``MCLP.from_cost_matrix``, ``BudgetCoverage.from_cost_matrix``): dense or scipy sparse (csr,
csc, coo), where a stored 0 is a zero cost (it covers) and a pair not stored, or ``inf``,
is not within reach (`lifecircle.coverage.siting.problem` has the full reading).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ...geodata.common import InputError
from ._highs import INF, MilpSolution, solve_milp
from ._maxcover import solve_max_cover_milp
from .decompose import decomposition_bound
from .explain import explain
from .greedy import (
    covered_weight,
    drop_redundant,
    greedy_max_cover,
    greedy_set_cover,
    marginal_order,
    swap_improve,
)
from .lagrange import mclp_lp, subgradient
from .lns import mip_lns, parallel_lns
from .problem import SitingProblem, siting_problem
from .reduce import Reduced, reduce_cover
from .result import SitingResult

#: Above this many nonzeros in the reduced MCLP, ``method="auto"`` bounds by the LP relaxation
#: (interior point) and searches with MIP-based LNS instead of one branch-and-bound over all.
DIRECT_NNZ_LIMIT = 30_000

#: Up to this many nonzeros, the LNS answer is handed to HiGHS as a MIP start for the time left
#: (after at most `LNS_SHARE` of the time limit), so mid-sized instances still get a proof.
HANDOVER_NNZ_LIMIT = 150_000
LNS_SHARE = 0.3

#: Search settings for MCLPs beyond `HANDOVER_NNZ_LIMIT`: `parallel_lns` on the usable cores,
#: LP-guided windows of 10 sites growing to 24, each window solve capped at 3 s.
LARGE_LNS = {"k": 10, "k_max": 24, "window_seconds": 3.0}

#: Share of the time limit the regional decomposition bound (`decomposition_bound`) may take
#: on MCLPs beyond `HANDOVER_NNZ_LIMIT`, before the search.
DECOMPOSITION_SHARE = 0.35

METHODS = ("auto", "exact", "greedy")


@dataclass
class LSCP:
    r"""Location set covering: the fewest (cheapest) new sites that cover every coverable demand point.

    .. math::

        \min \sum_{j \in J} c_j x_j
        \quad\text{s.t.}\quad \sum_{j \in J} a_{ij} x_j \ge 1 \;\; \forall i \in I_c, \qquad
        x_j = 1 \;\; \forall j \in F, \qquad x_j \in \{0, 1\}

    where :math:`I_c` is the demand that some candidate reaches and no existing or fixed site
    already covers, :math:`F` the fixed (planned) sites and :math:`c_j` the candidate cost (1
    by default: fewest sites). Demand no candidate reaches is reported in
    ``result.uncoverable``; it never makes the model infeasible. The objective counts new
    sites only (fixed sites are given).

    Parameters
    ----------
    problem
        The instance.
    cover_zero_weight
        Also cover demand points of weight zero (the classic model and spopt's); ``False``
        covers only demand with people.
    """

    problem: SitingProblem
    cover_zero_weight: bool = True

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: np.ndarray | sp.spmatrix | sp.sparray,
        threshold: float | np.ndarray,
        weights: np.ndarray | None = None,
        *,
        cover_zero_weight: bool = True,
        **problem_kw,
    ) -> LSCP:
        """A set-covering model over a demand × candidate cost matrix, dense or sparse.

        Parameters
        ----------
        cost_matrix
            Walking seconds (or another cost): a stored 0 covers, a pair not stored (or
            ``inf``/NaN) is not within reach (`lifecircle.coverage.siting.problem`).
        threshold
            Service radius in the matrix's units, one or one per demand point (``inf``:
            every stored pair covers).
        weights
            Demand weights (``None``: 1 each); used to order and explain the sites.
        cover_zero_weight
            As the class parameter.
        **problem_kw
            Further `siting_problem` arguments (``existing``, ``fixed``, ``cost``, …).
        """
        pb = siting_problem(cost_matrix, weights, threshold_s=threshold, **problem_kw)
        return cls(pb, cover_zero_weight)

    def solve(
        self,
        *,
        method: str = "auto",
        time_limit: float = 60.0,
        mip_gap: float = 0.0,
        threads: int = 1,
        reduce: bool = True,
    ) -> SitingResult:
        """Solve and explain.

        Parameters
        ----------
        method
            ``auto``/``exact`` (greedy warm start, then HiGHS) or ``greedy`` (heuristic only).
        time_limit
            Seconds for HiGHS.
        mip_gap
            Relative gap at which HiGHS may stop.
        threads
            HiGHS threads.
        reduce
            Apply the exact reductions first (``False``: the plain model, for comparison).
        """
        _check_method(method)
        t0 = time.perf_counter()
        pb = self.problem
        red = reduce_cover(pb, model="lscp", drop_zero_weight=not self.cover_zero_weight, merge=reduce)
        greedy = greedy_set_cover(red.a, red.cost) if red.a.shape[0] else np.zeros(0, dtype=np.int64)
        forced_cost = float(pb.cost[red.forced].sum())
        heur = forced_cost + float(red.cost[greedy].sum())
        stats = dict(red.stats)
        if red.a.shape[0] == 0 or method == "greedy":
            chosen = np.concatenate([red.forced, red.cols[greedy]])
            status = "optimal" if red.a.shape[0] == 0 else "heuristic"
            bound = heur if status == "optimal" else _lscp_lp_bound(red) + forced_cost
            return _finish(
                pb,
                "lscp",
                chosen,
                objective=heur,
                bound=bound,
                status=status,
                solver="reduction" if status == "optimal" else "greedy",
                t0=t0,
                solve_s=0.0,
                stats=stats,
                heur=heur,
            )
        n_row, n_col = red.a.shape
        lp = _lscp_lp(red)
        if lp is not None:
            stats["lp_bound"] = float(lp.objective)
            rounded = _round_lscp(red, lp.x)
            if red.cost[rounded].sum() < red.cost[greedy].sum():
                greedy = rounded
            lp_bound = lp.objective
            if np.all(red.cost == np.round(red.cost)):
                lp_bound = math.ceil(lp_bound - 1e-6)
            if red.cost[greedy].sum() <= lp_bound + 1e-9:
                # the rounded LP solution meets the LP bound: optimal without branching
                chosen = np.concatenate([red.forced, red.cols[greedy]])
                obj = forced_cost + float(red.cost[greedy].sum())
                return _finish(
                    pb,
                    "lscp",
                    chosen,
                    objective=obj,
                    bound=forced_cost + lp_bound,
                    status="optimal",
                    solver="highs-lp",
                    t0=t0,
                    solve_s=lp.seconds,
                    stats=stats,
                    heur=heur,
                )
        start = np.zeros(n_col)
        start[greedy] = 1.0
        sol = solve_milp(
            red.cost,
            red.a,
            np.ones(n_row),
            np.full(n_row, INF),
            np.zeros(n_col),
            np.ones(n_col),
            np.ones(n_col, dtype=bool),
            time_limit=time_limit,
            mip_gap=mip_gap,
            threads=threads,
            start=start,
        )
        stats["nodes"] = sol.nodes
        x = sol.x if sol.x is not None else start
        picked = np.flatnonzero(x > 0.5)
        chosen = np.concatenate([red.forced, red.cols[picked]])
        objective = forced_cost + float(red.cost[picked].sum())
        bound = forced_cost + (sol.bound if math.isfinite(sol.bound) else 0.0)
        # integer costs: the optimum is at least the rounded-up bound
        if np.all(red.cost == np.round(red.cost)):
            bound = math.ceil(bound - 1e-6)
        return _finish(
            pb,
            "lscp",
            chosen,
            objective=objective,
            bound=bound,
            status=_status(sol),
            solver="highs",
            t0=t0,
            solve_s=sol.seconds,
            stats=stats,
            heur=heur,
        )


@dataclass
class MCLP:
    r"""Maximal covering: ``p`` new sites that maximize the covered weight.

    .. math::

        \max \sum_{i} w_i y_i
        \quad\text{s.t.}\quad y_i \le e_i + \sum_{j} a_{ij} x_j \;\; \forall i, \qquad
        \sum_{j \notin F} x_j \le p, \qquad x_j = 1 \;\; \forall j \in F, \qquad
        x_j \in \{0,1\}, \;\; 0 \le y_i \le 1

    with :math:`w_i` the demand weight (group population × priority weight), :math:`e_i = 1`
    for demand an existing service already reaches and :math:`F` the fixed (planned) sites,
    which come on top of the ``p`` new ones. :math:`y` may be continuous: at an optimum with
    integral :math:`x` it is integral. The objective is the total covered weight, demand
    covered before included. When fewer than ``p`` sites already cover every coverable point,
    only those are returned.

    Parameters
    ----------
    problem
        The instance.
    p
        Number of new sites.
    """

    problem: SitingProblem
    p: int

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: np.ndarray | sp.spmatrix | sp.sparray,
        weights: np.ndarray | None,
        threshold: float | np.ndarray,
        p: int,
        **problem_kw,
    ) -> MCLP:
        """A maximal-covering model over a demand × candidate cost matrix, dense or sparse.

        Parameters
        ----------
        cost_matrix
            Walking seconds (or another cost): a stored 0 covers, a pair not stored (or
            ``inf``/NaN) is not within reach (`lifecircle.coverage.siting.problem`).
        weights
            Demand weights (``None``: 1 each).
        threshold
            Service radius in the matrix's units, one or one per demand point (``inf``:
            every stored pair covers).
        p
            Number of new sites.
        **problem_kw
            Further `siting_problem` arguments (``existing``, ``fixed``, ``candidate_ids``, …).
        """
        return cls(siting_problem(cost_matrix, weights, threshold_s=threshold, **problem_kw), p)

    def solve(
        self,
        *,
        method: str = "auto",
        time_limit: float = 60.0,
        mip_gap: float = 0.0,
        threads: int = 1,
        reduce: bool = True,
        swap: bool = True,
    ) -> SitingResult:
        """Solve and explain.

        Parameters
        ----------
        method
            ``exact``: greedy+swap warm start, then one HiGHS branch-and-bound. ``greedy``:
            greedy+swap only, with the LP bound. ``auto``: ``exact`` up to `DIRECT_NNZ_LIMIT`
            nonzeros after reduction; above it, the LP bound (interior point, read as a
            Lagrangian bound), an LP-rounded start and MIP-based LNS (`mip_lns`) until the
            proven gap is at most ``mip_gap`` or the time is up.
        time_limit
            Seconds for the whole solve.
        mip_gap
            Relative gap at which to stop.
        threads
            HiGHS threads.
        reduce
            Apply the exact reductions first.
        swap
            Improve the greedy solution by 1-swaps.
        """
        if int(self.p) < 0:
            raise InputError(
                f"MCLP: p = {self.p}; give the number of new sites as 0 or more.",
                zh=f"MCLP（最大覆盖模型）：p = {self.p}；新增设施数须为 0 或以上。",
            )
        return _max_cover(
            self.problem,
            "mclp",
            p=int(self.p),
            budget=None,
            method=method,
            time_limit=time_limit,
            mip_gap=mip_gap,
            threads=threads,
            reduce=reduce,
            swap=swap,
        )


@dataclass
class BudgetCoverage:
    r"""Budgeted maximal covering: new sites within a budget that maximize the covered weight.

    .. math::

        \max \sum_{i} w_i y_i
        \quad\text{s.t.}\quad y_i \le e_i + \sum_{j} a_{ij} x_j \;\; \forall i, \qquad
        \sum_{j \notin F} c_j x_j \le B, \qquad \Big[\sum_{j \notin F} x_j \le p\Big], \qquad
        x_j = 1 \;\; \forall j \in F, \qquad x \in \{0,1\}, \;\; 0 \le y \le 1

    :math:`c_j` is the candidate cost (for example a subsidy or construction cost from the
    funding formulas, policy-digest §3.4) and :math:`B` the budget for new sites; fixed sites
    are paid already. The optional cardinality row caps the number of new sites.

    Parameters
    ----------
    problem
        The instance (with ``cost``).
    budget
        Budget for new sites, in the units of ``cost``.
    p
        Optional cap on the number of new sites.
    """

    problem: SitingProblem
    budget: float
    p: int | None = None

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: np.ndarray | sp.spmatrix | sp.sparray,
        weights: np.ndarray | None,
        threshold: float | np.ndarray,
        budget: float,
        p: int | None = None,
        **problem_kw,
    ) -> BudgetCoverage:
        """A budgeted maximal-covering model over a demand × candidate cost matrix, dense or sparse.

        Parameters
        ----------
        cost_matrix
            Walking seconds (or another cost): a stored 0 covers, a pair not stored (or
            ``inf``/NaN) is not within reach (`lifecircle.coverage.siting.problem`).
        weights
            Demand weights (``None``: 1 each).
        threshold
            Service radius in the matrix's units, one or one per demand point.
        budget
            Budget for new sites, in the units of the candidates' ``cost``.
        p
            Optional cap on the number of new sites.
        **problem_kw
            Further `siting_problem` arguments; ``cost`` gives each candidate's price.
        """
        pb = siting_problem(cost_matrix, weights, threshold_s=threshold, **problem_kw)
        return cls(pb, budget, p)

    def solve(
        self,
        *,
        method: str = "auto",
        time_limit: float = 60.0,
        mip_gap: float = 0.0,
        threads: int = 1,
        reduce: bool = True,
    ) -> SitingResult:
        """Solve and explain (parameters as `MCLP.solve`)."""
        if not (self.budget >= 0 and math.isfinite(self.budget)):
            raise InputError(
                f"budget model: budget = {self.budget}; give a finite budget of 0 or more.",
                zh=f"预算模型：budget = {self.budget}；请给出 0 或以上的有限预算。",
            )
        return _max_cover(
            self.problem,
            "budget",
            p=self.p,
            budget=float(self.budget),
            method=method,
            time_limit=time_limit,
            mip_gap=mip_gap,
            threads=threads,
            reduce=reduce,
            swap=True,
        )


def _max_cover(
    pb: SitingProblem,
    model: str,
    *,
    p: int | None,
    budget: float | None,
    method: str,
    time_limit: float,
    mip_gap: float,
    threads: int,
    reduce: bool,
    swap: bool,
) -> SitingResult:
    """Shared solve of MCLP and the budget model."""
    _check_method(method)
    t0 = time.perf_counter()
    red = reduce_cover(pb, model="mclp", drop_zero_weight=True, merge=reduce)
    base_w = float(pb.weights[pb.base_covered].sum())
    total_w = base_w + float(red.weight.sum())
    stats = dict(red.stats)
    n_row, n_col = red.a.shape
    a_csr = red.a.tocsr()
    pk = n_col if p is None else min(p, n_col)
    if n_row == 0 or pk == 0:
        return _finish(
            pb,
            model,
            np.zeros(0, dtype=np.int64),
            objective=base_w,
            bound=base_w,
            status="optimal",
            solver="reduction",
            t0=t0,
            solve_s=0.0,
            stats=stats,
            heur=base_w,
        )
    if budget is None:
        g = greedy_max_cover(red.a, red.weight, pk, a_csr=a_csr)
    else:
        g = greedy_max_cover(red.a, red.weight, pk, cost=red.cost, budget=budget, a_csr=a_csr)
    if swap and len(g) and (budget is not None or len(g) == pk):
        g = swap_improve(red.a, red.weight, g, a_csr=a_csr, cost=red.cost, budget=budget)
    heur_val = covered_weight(red.a, red.weight, g)
    heur = base_w + heur_val
    if heur_val >= float(red.weight.sum()) * (1 - 1e-12):
        # everything coverable is covered: no better solution exists
        return _finish(
            pb,
            model,
            red.cols[g],
            objective=heur,
            bound=heur,
            status="optimal",
            solver="greedy+swap",
            t0=t0,
            solve_s=0.0,
            stats=stats,
            heur=heur,
        )
    large = budget is None and red.a.nnz > DIRECT_NNZ_LIMIT
    if method == "greedy" and budget is not None:
        return _finish(
            pb,
            model,
            red.cols[g],
            objective=heur,
            bound=math.nan,
            status="heuristic",
            solver="greedy+swap",
            t0=t0,
            solve_s=0.0,
            stats=stats,
            heur=heur,
        )
    if method == "greedy" or (method == "auto" and large):
        return _large_max_cover(
            pb,
            model,
            red,
            pk,
            g,
            base_w,
            heur,
            method=method,
            time_limit=time_limit,
            mip_gap=mip_gap,
            t0=t0,
            stats=stats,
            swap=swap,
        )
    remaining = max(time_limit - (time.perf_counter() - t0), 1.0)
    sol = solve_max_cover_milp(red, pk, budget, g, base_w, remaining, mip_gap, threads)
    stats["nodes"] = sol.nodes
    if sol.x is not None:
        picked = np.flatnonzero(sol.x[:n_col] > 0.5)
        obj = base_w + covered_weight(red.a, red.weight, picked)
    else:
        picked, obj = g, heur
    if obj < base_w + heur_val - 1e-9:
        picked, obj = g, base_w + heur_val
    bound = min(sol.bound if math.isfinite(sol.bound) else math.inf, total_w)
    status = _status(sol)
    if status != "optimal" and bound - obj <= 1e-9 * max(obj, 1.0):
        status = "optimal"
    return _finish(
        pb,
        model,
        red.cols[picked],
        objective=obj,
        bound=bound,
        status=status,
        solver="highs",
        t0=t0,
        solve_s=sol.seconds,
        stats=stats,
        heur=heur,
    )


def _large_max_cover(
    pb: SitingProblem,
    model: str,
    red: Reduced,
    p: int,
    g: np.ndarray,
    base_w: float,
    heur: float,
    *,
    method: str,
    time_limit: float,
    mip_gap: float,
    t0: float,
    stats: dict,
    swap: bool,
) -> SitingResult:
    """MCLP beyond the direct MILP: LP bound by interior point, LP-guided start, MIP-based LNS.

    The first bound is the Lagrangian value of the LP row duals (valid whatever the LP's
    accuracy). Up to `HANDOVER_NNZ_LIMIT` nonzeros the LNS (`mip_lns`) hands over to HiGHS;
    above it, HiGHS cannot improve the LP bound (reduced-cost fixing fixes nothing and its cuts
    barely move it), so the bound is tightened by the regional decomposition
    (`decomposition_bound`, at most `DECOMPOSITION_SHARE` of the time) and `parallel_lns`
    searches on the usable cores with windows guided by the LP solution (`LARGE_LNS`).
    The search stops once the proven gap is at most ``mip_gap`` or the time is up. With
    ``method="greedy"`` only the greedy(+swap) answer and the bound are returned.
    """
    a, w = red.a, red.weight
    a_csr = a.tocsr()
    val = covered_weight(a, w, g)
    lp = mclp_lp(a, w, p, time_limit=max(0.5 * time_limit, 1.0))
    if lp is None:
        lag = subgradient(a, w, p, lower=val, time_limit=max(0.2 * time_limit, 1.0))
        bound, lp_x, lam = lag.bound, None, lag.lam
        stats["subgradient_iterations"] = lag.iterations
    else:
        bound, lp_x, lam = lp.bound, lp.x, lp.lam
        stats["lp_seconds"] = round(lp.seconds, 3)
    stats["lp_bound"] = base_w + bound
    solver = "greedy+swap"
    if method != "greedy" and lp_x is not None:
        top = np.argsort(-lp_x, kind="stable")[:p]
        top = swap_improve(a, w, top, a_csr=a_csr) if swap else top
        v2 = covered_weight(a, w, top)
        if v2 > val:
            g, val = top, v2
            solver = "lp-rounding+swap"
    target_gap = max(mip_gap, 0.0)
    handover = method != "greedy" and a.nnz <= HANDOVER_NNZ_LIMIT
    if method != "greedy" and not handover and (bound - val) > target_gap * max(val, 1e-9):
        # the LP bound is too weak to prove the gap: take off each region's integrality gap
        dec = decomposition_bound(a, w, p, lam, lower=val, time_limit=DECOMPOSITION_SHARE * time_limit)
        stats.update(
            decomposition_bound=base_w + dec.bound,
            decomposition_regions=dec.regions,
            decomposition_regions_optimal=dec.optimal,
            decomposition_seconds=round(dec.seconds, 3),
        )
        bound = min(bound, dec.bound)
    target = bound / (1.0 + target_gap) if target_gap > 0 else bound
    if method != "greedy" and val < target - 1e-9 * max(val, 1.0):
        remaining = time_limit - (time.perf_counter() - t0)
        if handover:
            remaining = min(remaining, LNS_SHARE * time_limit)
        if remaining > 0.5:
            if handover:
                g2, v2, lns_stats = mip_lns(
                    a, w, g, time_limit=remaining - 0.3, target=target, stall_seconds=2.0
                )
            else:
                g2, v2, lns_stats = parallel_lns(
                    a, w, g, time_limit=remaining - 0.3, target=target, guide=lp_x, **LARGE_LNS
                )
            lns_stats.pop("lns_failed", None)
            stats.update(lns_stats)
            if v2 > val:
                g, val = g2, v2
                solver = "lns"
    obj = base_w + val
    ub = base_w + bound
    gap = (ub - obj) / max(obj, 1e-9)
    remaining = time_limit - (time.perf_counter() - t0)
    if handover and gap > max(target_gap, 1e-9) and remaining > 1.0:
        sol = solve_max_cover_milp(red, p, None, g, base_w, remaining, target_gap, 1)
        stats["nodes"] = sol.nodes
        if sol.x is not None:
            picked = np.flatnonzero(sol.x[: a.shape[1]] > 0.5)
            v2 = covered_weight(a, w, picked)
            if v2 > val:
                g, val, solver = picked, v2, "lns+highs"
        if math.isfinite(sol.bound):
            ub = min(ub, sol.bound)
        obj = base_w + val
        gap = max(ub - obj, 0.0) / max(obj, 1e-9)
        if sol.status == "optimal":
            gap = 0.0 if gap <= max(target_gap, 1e-6) else gap
    if method == "greedy":
        status = "heuristic"
    elif gap <= 1e-9:
        status = "optimal"
    elif gap <= target_gap:
        status = "gap_limit"
    else:
        status = "time_limit"
    return _finish(
        pb,
        model,
        red.cols[g],
        objective=obj,
        bound=ub,
        status=status,
        solver=solver,
        t0=t0,
        solve_s=time.perf_counter() - t0,
        stats=stats,
        heur=heur,
    )


def _lscp_lp(red: Reduced, time_limit: float = 30.0) -> MilpSolution | None:
    """LP relaxation of the reduced set-covering model (``None`` if HiGHS found no solution)."""
    n_row, n_col = red.a.shape
    sol = solve_milp(
        red.cost,
        red.a,
        np.ones(n_row),
        np.full(n_row, INF),
        np.zeros(n_col),
        np.ones(n_col),
        np.zeros(n_col, dtype=bool),
        time_limit=time_limit,
    )
    return sol if sol.x is not None else None


def _lscp_lp_bound(red: Reduced) -> float:
    """LP bound of the reduced set-covering model, rounded up for integer costs."""
    sol = _lscp_lp(red)
    if sol is None:
        return math.nan
    if np.all(red.cost == np.round(red.cost)):
        return math.ceil(sol.objective - 1e-6)
    return sol.objective


def _round_lscp(red: Reduced, x: np.ndarray) -> np.ndarray:
    """A cover from an LP solution: columns at ≥ 1/2, greedy completion, redundant ones dropped."""
    chosen = np.flatnonzero(x >= 0.5 - 1e-9)
    covered = (
        np.asarray(red.a[:, chosen].sum(axis=1)).ravel() > 0
        if len(chosen)
        else np.zeros(red.a.shape[0], bool)
    )
    if not covered.all():
        rest = red.a[~covered].tocsc()
        # prefer columns the LP likes: cost scaled down by the LP value
        extra = greedy_set_cover(rest, red.cost * (1.0 - 0.5 * np.clip(x, 0, 1)))
        chosen = np.union1d(chosen, extra)
    # drop redundant columns, lowest LP value first
    order = np.argsort(x[chosen], kind="stable")
    return np.sort(drop_redundant(red.a, chosen[order][::-1], red.cost))


def _finish(
    pb: SitingProblem,
    model: str,
    chosen: np.ndarray,
    *,
    objective: float,
    bound: float,
    status: str,
    solver: str,
    t0: float,
    solve_s: float,
    stats: dict,
    heur: float,
    assignment=None,
    order: tuple[np.ndarray, np.ndarray] | None = None,
) -> SitingResult:
    """Order the chosen sites by marginal gain, build the result and its explanation."""
    chosen = np.unique(np.asarray(chosen, dtype=np.int64))
    chosen = chosen[~np.isin(chosen, pb.fixed)]
    sites, gains = (
        order if order is not None else marginal_order(pb.cover_csc, pb.weights, chosen, pb.base_covered)
    )
    after = pb.base_covered.copy()
    if len(sites):
        after |= np.asarray(pb.cover_csc[:, sites].sum(axis=1)).ravel() > 0
    gap = abs(bound - objective) / max(abs(objective), 1e-9) if math.isfinite(bound) else math.nan
    res = SitingResult(
        model=model,
        sites=sites,
        site_ids=pb.candidate_label(sites),
        gains=gains,
        fixed=pb.fixed.copy(),
        objective=float(objective),
        bound=float(bound),
        gap=float(gap),
        status=status,
        solver=solver,
        solve_seconds=float(solve_s),
        stats=stats,
        heuristic_objective=float(heur),
        covered_before=pb.base_covered.copy(),
        covered_after=after,
        uncoverable=pb.uncoverable,
        assignment=assignment,
        assumptions=pb.assumptions,
    )
    explain(pb, res)
    res.seconds = time.perf_counter() - t0
    return res


def _status(sol: MilpSolution) -> str:
    """Result status from a HiGHS status."""
    if sol.status == "optimal":
        return "optimal"
    if sol.x is None:
        return "heuristic"
    return sol.status


def _check_method(method: str) -> None:
    """Raise `InputError` for an unknown solve method."""
    if method not in METHODS:
        raise InputError(
            f"siting: method {method!r} is unknown; use one of {', '.join(METHODS)}.",
            zh=f"选址：未知的求解方法 {method!r}；请使用 {', '.join(METHODS)} 之一。",
        )
