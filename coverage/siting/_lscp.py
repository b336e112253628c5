"""The set-covering solve: reductions, greedy and LP rounding, then HiGHS when the LP bound is not met."""

from __future__ import annotations

import math
import time

import numpy as np

from ._highs import INF, HighsSettings, Milp, MilpSolution, solve_milp
from ._reduce import Reduced, reduce_cover
from ._solve import Outcome, SolveOptions, check_method, finish_cover, status_of
from .greedy import drop_redundant, greedy_set_cover
from .problem import SitingProblem
from .result import SitingResult


def solve_lscp(pb: SitingProblem, cover_zero_weight: bool, opts: SolveOptions) -> SitingResult:
    """Solve `LSCP` and explain (see `LSCP.solve`)."""
    check_method(opts.method)
    t0 = time.perf_counter()
    red = reduce_cover(pb, model="lscp", drop_zero_weight=not cover_zero_weight, merge=opts.reduce)
    greedy = greedy_set_cover(red.a, red.cost) if red.a.shape[0] else np.zeros(0, dtype=np.int64)
    forced_cost = float(pb.cost[red.forced].sum())
    heur = forced_cost + float(red.cost[greedy].sum())
    stats = dict(red.stats)
    if red.a.shape[0] == 0 or opts.method == "greedy":
        optimal = red.a.shape[0] == 0
        bound = heur if optimal else _lscp_lp_bound(red) + forced_cost
        status, solver = ("optimal", "reduction") if optimal else ("heuristic", "greedy")
        out = Outcome(heur, bound, status, solver, heur, stats)
        return finish_cover(pb, "lscp", np.concatenate([red.forced, red.cols[greedy]]), out, t0)
    lp = _lscp_lp(red)
    if lp is not None:
        stats["lp_bound"] = float(lp.objective)
        rounded = _round_lscp(red, lp.x)
        if red.cost[rounded].sum() < red.cost[greedy].sum():
            greedy = rounded
        lp_bound = _ceil_integer_costs(red, lp.objective)
        if red.cost[greedy].sum() <= lp_bound + 1e-9:
            # the rounded LP solution meets the LP bound: optimal without branching
            obj = forced_cost + float(red.cost[greedy].sum())
            out = Outcome(obj, forced_cost + lp_bound, "optimal", "highs-lp", heur, stats, lp.seconds)
            return finish_cover(pb, "lscp", np.concatenate([red.forced, red.cols[greedy]]), out, t0)
    picked, out = _lscp_milp(red, greedy, forced_cost, heur, stats, opts)
    return finish_cover(pb, "lscp", np.concatenate([red.forced, red.cols[picked]]), out, t0)


def _lscp_milp(
    red: Reduced, start_cols: np.ndarray, forced_cost: float, heur: float, stats: dict, opts: SolveOptions
) -> tuple[np.ndarray, Outcome]:
    """Branch and bound on the reduced model from ``start_cols``: the columns picked, and the outcome.

    ``forced_cost`` is the cost of the sites the reduction opened, ``heur`` the heuristic
    objective and ``stats`` the counters so far (the node count is added).
    """
    n_row, n_col = red.a.shape
    start = np.zeros(n_col)
    start[start_cols] = 1.0
    model = Milp(
        red.cost,
        red.a,
        np.ones(n_row),
        np.full(n_row, INF),
        np.zeros(n_col),
        np.ones(n_col),
        np.ones(n_col, dtype=bool),
    )
    sol = solve_milp(model, opts.highs(), start=start)
    x = sol.x if sol.x is not None else start
    picked = np.flatnonzero(x > 0.5)
    objective = forced_cost + float(red.cost[picked].sum())
    bound = forced_cost + (sol.bound if math.isfinite(sol.bound) else 0.0)
    # integer costs: the optimum is at least the rounded-up bound
    bound = _ceil_integer_costs(red, bound)
    stats["nodes"] = sol.nodes
    return picked, Outcome(objective, bound, status_of(sol), "highs", heur, stats, sol.seconds)


def _ceil_integer_costs(red: Reduced, bound: float) -> float:
    """``bound`` rounded up when every cost is an integer (the optimum is then an integer)."""
    if np.all(red.cost == np.round(red.cost)):
        return math.ceil(bound - 1e-6)
    return bound


def _lscp_lp(red: Reduced, time_limit: float = 30.0) -> MilpSolution | None:
    """LP relaxation of the reduced set-covering model (``None`` if HiGHS found no solution)."""
    n_row, n_col = red.a.shape
    model = Milp(
        red.cost,
        red.a,
        np.ones(n_row),
        np.full(n_row, INF),
        np.zeros(n_col),
        np.ones(n_col),
        np.zeros(n_col, dtype=bool),
    )
    sol = solve_milp(model, HighsSettings(time_limit=time_limit))
    return sol if sol.x is not None else None


def _lscp_lp_bound(red: Reduced) -> float:
    """LP bound of the reduced set-covering model, rounded up for integer costs."""
    sol = _lscp_lp(red)
    if sol is None:
        return math.nan
    return _ceil_integer_costs(red, sol.objective)


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
