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
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ...geodata.common import InputError
from ._lscp import solve_lscp
from ._mclp import CoverLimits, LargeSearch, solve_max_cover
from ._solve import SolveOptions
from .problem import SitingProblem, siting_problem
from .result import SitingResult

#: Above this many nonzeros in the reduced MCLP, ``method="auto"`` bounds by the LP relaxation
#: (interior point) and searches with MIP-based LNS instead of one branch-and-bound over all.
DIRECT_NNZ_LIMIT = 30_000

#: Up to this many nonzeros, the LNS answer is handed to HiGHS as a MIP start for the time left
#: (after at most `LNS_SHARE` of the time limit), so mid-sized instances still get a proof.
#: Beyond it (the 100,000 × 10,000 benchmark reduces to about 13,000 × 5,800 with 300,000
#: nonzeros) `LNS_SHARE` does not apply: the search takes all the time the bounds leave,
#: 37–38 s of 60 on seeds 1–3.
HANDOVER_NNZ_LIMIT = 150_000
LNS_SHARE = 0.3

#: Search settings for MCLPs beyond `HANDOVER_NNZ_LIMIT`: `parallel_lns` on the usable cores,
#: LP-guided windows of 10 sites growing to 24, each window solve capped at 1 s, pools first
#: over the candidates the LP gives at least 0.05 of a site, then 0.01, then all.
LARGE_LNS = {"k": 10, "k_max": 24, "window_seconds": 1.0, "pool_floors": (0.05, 0.01, 0.0)}

#: Share of the time limit the regional decomposition bound (`decomposition_bound`) may take
#: on MCLPs beyond `HANDOVER_NNZ_LIMIT`, before the search. On the benchmark (60 s, two
#: cores, seeds 1–3) one round of 33 regions took 13.3–13.4 s of the 21 s allowed, every
#: region optimal, and took 0.17, 0.16 and 0.08 points off the LP gap.
DECOMPOSITION_SHARE = 0.35

#: Settings of the regional decomposition bound (`DecompositionSettings` fields). One price
#: round: a second one (with the share at 0.6) took 0.04, 0.02 and 0.02 more points off the
#: bound on seeds 1–3 and its regional MIPs gave a better start on seed 2 (proved 0.95 %
#: instead of 1.12 %), but the 12–17 s it takes from the search left seed 3 at 1.14 %
#: instead of 1.10 % and seed 5 proved its 1 % at 57 s instead of 42 s; run beside another
#: process it left seed 2 at 1.40 % and needed 56 s and 60 s for seeds 4 and 5.
LARGE_DECOMPOSITION: dict = {"rounds": 1}


def _large_search() -> LargeSearch:
    """The settings above, read when a solve starts."""
    return LargeSearch(
        direct_nnz=DIRECT_NNZ_LIMIT,
        handover_nnz=HANDOVER_NNZ_LIMIT,
        lns_share=LNS_SHARE,
        lns=LARGE_LNS,
        decomposition_share=DECOMPOSITION_SHARE,
        decomposition=LARGE_DECOMPOSITION,
    )


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
        opts = SolveOptions(method, time_limit, mip_gap, threads, reduce)
        return solve_lscp(self.problem, self.cover_zero_weight, opts)


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
            raise InputError("siting.mclp.negative_p", p=self.p)
        opts = SolveOptions(method, time_limit, mip_gap, threads, reduce, swap)
        return solve_max_cover(self.problem, "mclp", CoverLimits(int(self.p), None), opts, _large_search())


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
            raise InputError("siting.budget.bad_budget", budget=self.budget)
        opts = SolveOptions(method, time_limit, mip_gap, threads, reduce, swap=True)
        limits = CoverLimits(self.p, float(self.budget))
        return solve_max_cover(self.problem, "budget", limits, opts, _large_search())
