r"""Capacitated coverage: need in beds or childcare places assigned within reach and capacity."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ...geodata.common import InputError, Msg
from ._builder import ModelBuilder
from ._capacity import (
    NO_CAPACITY,
    capacitated_block,
    check_capacities,
    complete_start,
    finish_capacitated,
    greedy_capacitated,
    site_limits,
)
from ._highs import HighsSettings
from ._solve import Outcome
from .problem import SitingProblem, siting_problem
from .result import SitingResult

__all__ = ["NO_CAPACITY", "CapacitatedCoverage"]


@dataclass
class CapacitatedCoverage:
    r"""Capacitated maximal coverage: open sites and assign need to them within reach and capacity.

    .. math::

        \max \sum_{(i,j) \in E} z_{ij} + \sum_{(i,k) \in E_0} z_{ik}
        \quad\text{s.t.}\quad
        \sum_{j} z_{ij} + \sum_k z_{ik} \le d_i \;\; \forall i, \qquad
        \sum_i z_{ij} \le Q_j x_j \;\; \forall j, \qquad
        \sum_i z_{ik} \le Q_k \;\; \forall k,

    .. math::

        z_{ij} \le d_i x_j \;\; \forall (i,j) \in E, \qquad
        \sum_{j \notin F} x_j \le p, \qquad \Big[\sum_{j \notin F} c_j x_j \le B\Big], \qquad
        x_j = 1 \;\; \forall j \in F, \qquad x \in \{0,1\}, \;\; z \ge 0

    :math:`d_i` is the need of demand point ``i`` (population × standard, e.g. 4.5 childcare places per
    1,000 residents, 001/003, see `coverage_need`), :math:`E` the pairs within the point's own
    threshold of candidate ``j`` with capacity :math:`Q_j`, :math:`E_0` the pairs with existing
    sites ``k`` of capacity :math:`Q_k` (given as an ``existing`` matrix with
    ``existing_capacity``). Demand flagged as already served by an ``existing`` mask counts as
    covered in full. The objective is the need covered. The rows :math:`z_{ij} \le d_i x_j`
    are implied but tighten the relaxation. Identical demand rows (same reachable sites) are
    merged, their need summed, and the assignment split back in proportion to need.

    Parameters
    ----------
    problem
        The instance, with ``weights`` = need and ``capacity`` per candidate.
    p
        Number of new sites (``None``: no cap, then ``budget`` is needed).
    budget
        Optional budget for new sites, in the units of ``cost``.
    """

    problem: SitingProblem
    p: int | None = None
    budget: float | None = None

    @classmethod
    def from_cost_matrix(
        cls,
        cost_matrix: np.ndarray | sp.spmatrix | sp.sparray,
        need: np.ndarray,
        threshold: float | np.ndarray,
        capacity: np.ndarray,
        p: int | None = None,
        budget: float | None = None,
        **problem_kw,
    ) -> CapacitatedCoverage:
        """A capacitated coverage model over a demand × candidate cost matrix, dense or sparse.

        Parameters
        ----------
        cost_matrix
            Walking seconds (or another cost): a stored 0 is a zero cost, a pair not stored
            (or ``inf``/NaN) is not within reach (`lifecircle.coverage.siting.problem`).
        need
            Need per demand point (beds or childcare places, e.g. from `coverage_need`).
        threshold
            Longest walk in the matrix's units, one or one per demand point (``inf``: every
            stored pair).
        capacity
            Capacity per candidate, in the units of ``need``.
        p, budget
            As the class parameters.
        **problem_kw
            Further `siting_problem` arguments (``existing``, ``existing_capacity``, ``cost``, …).
        """
        pb = siting_problem(cost_matrix, need, threshold_s=threshold, capacity=capacity, **problem_kw)
        return cls(pb, p, budget)

    def solve(self, *, time_limit: float = 60.0, mip_gap: float = 0.0, threads: int = 1) -> SitingResult:
        """Solve with HiGHS (warm-started by a capacity-aware greedy) and explain."""
        t0 = time.perf_counter()
        pb = self.problem
        if pb.capacity is None:
            raise InputError("siting.capacitated.no_capacity")
        if self.p is None and self.budget is None:
            raise InputError("siting.capacitated.no_limit")
        check_capacities(pb, Msg("siting.model.capacitated"))
        mb = ModelBuilder()
        x0 = mb.add_cols(pb.n_candidates, integer=True)
        x_cols = x0 + np.arange(pb.n_candidates)
        blk = capacitated_block(mb, pb, x_cols, scale=1.0)
        site_limits(mb, pb, x_cols, self.p, self.budget)
        fix = {int(x_cols[j]): 1.0 for j in pb.fixed}
        start_x = greedy_capacitated(pb, blk, self.p, self.budget)
        start = complete_start(mb, x_cols, start_x, fix, threads)
        settings = HighsSettings(time_limit=time_limit, mip_gap=mip_gap, threads=threads)
        sol = mb.solve(maximize=True, offset=blk.offset, start=start, settings=settings, fix=fix)
        x = sol.x if sol.x is not None else start
        if x is None:
            raise InputError("siting.capacitated.infeasible")
        opened = np.flatnonzero(x[x_cols] > 0.5)
        out = Outcome(
            objective=float(mb.cost @ x) + blk.offset,
            bound=sol.bound,
            status=sol.status if sol.x is not None else "heuristic",
            solver="highs",
            heuristic=float(mb.cost @ start) + blk.offset if start is not None else math.nan,
            stats={**blk.stats, "nodes": sol.nodes, "columns": mb.n_col, "rows": mb.n_row},
            solve_seconds=sol.seconds,
        )
        return finish_capacitated(pb, "capacitated", opened, x, blk, out, t0)
