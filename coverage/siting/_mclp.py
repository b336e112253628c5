"""The maximal-covering solve (MCLP and the budget model): exact MILP, or bound and search when large."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ._decompose import DecompositionBound, decomposition_bound
from ._highs import HighsSettings
from ._lagrange import mclp_lp, subgradient
from ._lns import CoverInstance, LnsSettings, mip_lns, parallel_lns
from ._maxcover import solve_max_cover_milp
from ._reduce import Reduced, reduce_cover
from ._solve import Outcome, SolveOptions, check_method, finish_cover, status_of
from .greedy import covered_weight, greedy_max_cover, swap_improve
from .problem import SitingProblem
from .result import SitingResult


@dataclass(frozen=True)
class CoverLimits:
    """What limits the new sites: their number ``p`` and their cost ``budget`` (``None``: no limit)."""

    p: int | None
    budget: float | None


@dataclass(frozen=True)
class LargeSearch:
    """When ``method="auto"`` leaves the direct MILP, and how the large path searches.

    Attributes
    ----------
    direct_nnz
        Above this many nonzeros in the reduced MCLP: LP bound and MIP-based LNS.
    handover_nnz
        Up to this many nonzeros the LNS answer is handed to HiGHS as a MIP start.
    lns_share
        Share of the time limit the LNS takes before the handover.
    lns
        `LnsSettings` fields for `parallel_lns` beyond ``handover_nnz``.
    decomposition_share
        Share of the time limit the regional decomposition bound may take beyond ``handover_nnz``.
    decomposition
        `DecompositionSettings` fields for `decomposition_bound` (``rounds``, ``step``, ...).
    """

    direct_nnz: int
    handover_nnz: int
    lns_share: float
    lns: Mapping[str, float]
    decomposition_share: float
    decomposition: Mapping[str, float] = field(default_factory=dict)


@dataclass
class _Start:
    """The reduced instance and its greedy answer, handed to the exact or the large path."""

    red: Reduced
    p: int
    base_w: float
    heur: float
    stats: dict
    t0: float


@dataclass
class _Best:
    """The best answer so far: columns, covered weight (of the reduced rows), which solver found it."""

    g: np.ndarray
    val: float
    solver: str

    def offer(self, g: np.ndarray, val: float, solver: str) -> None:
        """Take ``g`` when it covers more."""
        if val > self.val:
            self.g, self.val, self.solver = g, val, solver


def solve_max_cover(
    pb: SitingProblem, model: str, limits: CoverLimits, opts: SolveOptions, large: LargeSearch
) -> SitingResult:
    """Shared solve of MCLP and the budget model (see `MCLP.solve`)."""
    check_method(opts.method)
    t0 = time.perf_counter()
    red = reduce_cover(pb, model="mclp", drop_zero_weight=True, merge=opts.reduce)
    base_w = float(pb.weights[pb.base_covered].sum())
    stats = dict(red.stats)
    n_row, n_col = red.a.shape
    pk = n_col if limits.p is None else min(limits.p, n_col)
    if n_row == 0 or pk == 0:
        out = Outcome(base_w, base_w, "optimal", "reduction", base_w, stats)
        return finish_cover(pb, model, np.zeros(0, dtype=np.int64), out, t0)
    g = _greedy(red, pk, limits.budget, opts.swap)
    heur_val = covered_weight(red.a, red.weight, g)
    heur = base_w + heur_val
    if heur_val >= float(red.weight.sum()) * (1 - 1e-12):
        # everything coverable is covered: no better solution exists
        return finish_cover(
            pb, model, red.cols[g], Outcome(heur, heur, "optimal", "greedy+swap", heur, stats), t0
        )
    large_path = limits.budget is None and red.a.nnz > large.direct_nnz
    if opts.method == "greedy" and limits.budget is not None:
        out = Outcome(heur, math.nan, "heuristic", "greedy+swap", heur, stats)
        return finish_cover(pb, model, red.cols[g], out, t0)
    start = _Start(red, pk, base_w, heur, stats, t0)
    best = _Best(g, heur_val, "greedy+swap")
    if opts.method == "greedy" or (opts.method == "auto" and large_path):
        return _large_max_cover(pb, model, start, best, opts, large)
    return _exact_max_cover(pb, model, start, best, limits.budget, opts)


def _greedy(red: Reduced, p: int, budget: float | None, swap: bool) -> np.ndarray:
    """Greedy columns within ``p`` (and the budget), improved by 1-swaps."""
    a_csr = red.a.tocsr()
    if budget is None:
        g = greedy_max_cover(red.a, red.weight, p, a_csr=a_csr)
    else:
        g = greedy_max_cover(red.a, red.weight, p, cost=red.cost, budget=budget, a_csr=a_csr)
    if swap and len(g) and (budget is not None or len(g) == p):
        g = swap_improve(red.a, red.weight, g, a_csr=a_csr, cost=red.cost, budget=budget)
    return g


def _exact_max_cover(
    pb: SitingProblem, model: str, start: _Start, best: _Best, budget: float | None, opts: SolveOptions
) -> SitingResult:
    """One HiGHS branch-and-bound over the reduced instance, warm-started by the greedy answer."""
    red = start.red
    remaining = max(opts.time_limit - (time.perf_counter() - start.t0), 1.0)
    sol = solve_max_cover_milp(red, start.p, budget, best.g, start.base_w, opts.highs(remaining))
    start.stats["nodes"] = sol.nodes
    if sol.x is not None:
        picked = np.flatnonzero(sol.x[: red.a.shape[1]] > 0.5)
        obj = start.base_w + covered_weight(red.a, red.weight, picked)
    else:
        picked, obj = best.g, start.heur
    if obj < start.heur - 1e-9:
        picked, obj = best.g, start.heur
    total_w = start.base_w + float(red.weight.sum())
    bound = min(sol.bound if math.isfinite(sol.bound) else math.inf, total_w)
    status = status_of(sol)
    if status != "optimal" and bound - obj <= 1e-9 * max(obj, 1.0):
        status = "optimal"
    out = Outcome(obj, bound, status, "highs", start.heur, start.stats, sol.seconds)
    return finish_cover(pb, model, red.cols[picked], out, start.t0)


def _large_max_cover(
    pb: SitingProblem, model: str, start: _Start, best: _Best, opts: SolveOptions, large: LargeSearch
) -> SitingResult:
    """MCLP beyond the direct MILP: LP bound by interior point, LP-guided start, MIP-based LNS.

    The first bound is the Lagrangian value of the LP row duals (valid whatever the LP's
    accuracy). Up to ``large.handover_nnz`` nonzeros the LNS (`mip_lns`) hands over to HiGHS;
    above it, HiGHS cannot improve the LP bound (reduced-cost fixing fixes nothing and its cuts
    barely move it), so the bound is tightened by the regional decomposition
    (`decomposition_bound`, at most ``large.decomposition_share`` of the time), whose regional
    MIP answers give one more start (`_lagrangian_start`), and `parallel_lns` searches on the
    usable cores from the best start with windows guided by the LP solution (``large.lns``;
    pools first over the LP support). The search stops once the proven gap is at most
    ``mip_gap`` or the time is up. With ``method="greedy"`` only the greedy(+swap) answer and
    the bound are returned.
    """
    greedy_only = opts.method == "greedy"
    bound, lp_x, lam = _lp_bound(start, best.val, opts.time_limit)
    if not greedy_only and lp_x is not None:
        _lp_rounding(start, best, lp_x, opts.swap)
    target_gap = max(opts.mip_gap, 0.0)
    handover = not greedy_only and start.red.a.nnz <= large.handover_nnz
    if not greedy_only and not handover and (bound - best.val) > target_gap * max(best.val, 1e-9):
        # the LP bound is too weak to prove the gap: take off each region's integrality gap
        seconds = large.decomposition_share * opts.time_limit
        dec = _decomposition(start, lam, best.val, seconds, large.decomposition)
        bound = min(bound, dec.bound)
        for opened in dec.starts or (dec.opened,):
            _lagrangian_start(start, best, opened, lp_x, opts.swap)
    target = bound / (1.0 + target_gap) if target_gap > 0 else bound
    if not greedy_only and best.val < target - 1e-9 * max(best.val, 1.0):
        _search(start, best, target, lp_x, handover, opts.time_limit, large)
    obj = start.base_w + best.val
    ub = start.base_w + bound
    gap = (ub - obj) / max(obj, 1e-9)
    remaining = opts.time_limit - (time.perf_counter() - start.t0)
    if handover and gap > max(target_gap, 1e-9) and remaining > 1.0:
        ub, gap = _handover(start, best, ub, HighsSettings(time_limit=remaining, mip_gap=target_gap))
    status = "heuristic" if greedy_only else _gap_status(gap, target_gap)
    elapsed = time.perf_counter() - start.t0
    out = Outcome(start.base_w + best.val, ub, status, best.solver, start.heur, start.stats, elapsed)
    return finish_cover(pb, model, start.red.cols[best.g], out, start.t0)


def _lp_bound(start: _Start, lower: float, time_limit: float) -> tuple[float, np.ndarray | None, np.ndarray]:
    """The LP bound by interior point (else by subgradient): bound, LP columns and row multipliers."""
    a, w = start.red.a, start.red.weight
    lp = mclp_lp(a, w, start.p, time_limit=max(0.5 * time_limit, 1.0))
    if lp is None:
        lag = subgradient(a, w, start.p, lower=lower, time_limit=max(0.2 * time_limit, 1.0))
        bound, lp_x, lam = lag.bound, None, lag.lam
        start.stats["subgradient_iterations"] = lag.iterations
    else:
        bound, lp_x, lam = lp.bound, lp.x, lp.lam
        start.stats["lp_seconds"] = round(lp.seconds, 3)
    start.stats["lp_bound"] = start.base_w + bound
    return bound, lp_x, lam


def _lp_rounding(start: _Start, best: _Best, lp_x: np.ndarray, swap: bool) -> None:
    """The ``p`` columns the LP likes most (improved by 1-swaps), if they cover more."""
    a, w = start.red.a, start.red.weight
    top = np.argsort(-lp_x, kind="stable")[: start.p]
    top = swap_improve(a, w, top, a_csr=a.tocsr()) if swap else top
    best.offer(top, covered_weight(a, w, top), "lp-rounding+swap")


def _decomposition(
    start: _Start, lam: np.ndarray, lower: float, seconds: float, settings: Mapping[str, float]
) -> DecompositionBound:
    """The regional decomposition bound (reduced rows), its counters recorded in the stats."""
    a, w = start.red.a, start.red.weight
    dec = decomposition_bound(a, w, start.p, lam, lower=lower, time_limit=seconds, **settings)
    start.stats.update(
        decomposition_rounds=dec.rounds,
        decomposition_bound=start.base_w + dec.bound,
        decomposition_regions=dec.regions,
        decomposition_regions_optimal=dec.optimal,
        decomposition_seconds=round(dec.seconds, 3),
    )
    return dec


def _lagrangian_start(
    start: _Start, best: _Best, opened: np.ndarray, lp_x: np.ndarray | None, swap: bool
) -> None:
    """The sites the regional MIPs open (largest opened share first), topped up greedily and swapped.

    Each region of the decomposition is solved with integrality, so where its MIP opens sites is
    a better start for the search than the LP's fractions; at most ``p`` of them are kept, the
    rest of the ``p`` sites are added greedily on the demand they leave uncovered.
    """
    a, w = start.red.a, start.red.weight
    tie = np.zeros(len(opened)) if lp_x is None else 1e-6 * lp_x
    order = np.argsort(-(opened + tie), kind="stable")
    picked = order[opened[order] > 0][: start.p]
    if not len(picked):
        return
    left = np.where(np.asarray(a[:, picked].sum(axis=1)).ravel() > 0, 0.0, w)
    more = greedy_max_cover(a, left, start.p - len(picked)) if len(picked) < start.p else picked[:0]
    g = np.r_[picked, more[~np.isin(more, picked)]].astype(np.int64)
    g = swap_improve(a, w, g, a_csr=a.tocsr()) if swap and len(g) == start.p else g
    val = covered_weight(a, w, g)
    best_start = max(start.base_w + val, start.stats.get("decomposition_start", -math.inf))
    start.stats["decomposition_start"] = best_start
    best.offer(g, val, "decomposition+swap")


def _search(
    start: _Start,
    best: _Best,
    target: float,
    guide: np.ndarray | None,
    handover: bool,
    time_limit: float,
    large: LargeSearch,
) -> None:
    """MIP-based LNS towards ``target``: `mip_lns` before a ``handover``, else `parallel_lns` by ``guide``."""
    remaining = time_limit - (time.perf_counter() - start.t0)
    if handover:
        remaining = min(remaining, large.lns_share * time_limit)
    if remaining <= 0.5:
        return
    a, w = start.red.a, start.red.weight
    if handover:
        settings = LnsSettings(stall_seconds=2.0)
        inst = CoverInstance.of(a, w)
        g2, v2, lns_stats = mip_lns(
            inst, best.g, time_limit=remaining - 0.3, target=target, settings=settings
        )
    else:
        g2, v2, lns_stats = parallel_lns(
            a, w, best.g, time_limit=remaining - 0.3, target=target, guide=guide, **large.lns
        )
    lns_stats.pop("lns_failed", None)
    start.stats.update(lns_stats)
    best.offer(g2, v2, "lns")


def _handover(start: _Start, best: _Best, ub: float, settings: HighsSettings) -> tuple[float, float]:
    """HiGHS from the LNS answer for the time left: the bound and gap after it."""
    red = start.red
    sol = solve_max_cover_milp(red, start.p, None, best.g, start.base_w, settings)
    start.stats["nodes"] = sol.nodes
    if sol.x is not None:
        picked = np.flatnonzero(sol.x[: red.a.shape[1]] > 0.5)
        best.offer(picked, covered_weight(red.a, red.weight, picked), "lns+highs")
    if math.isfinite(sol.bound):
        ub = min(ub, sol.bound)
    obj = start.base_w + best.val
    gap = max(ub - obj, 0.0) / max(obj, 1e-9)
    if sol.status == "optimal":
        gap = 0.0 if gap <= max(settings.mip_gap, 1e-6) else gap
    return ub, gap


def _gap_status(gap: float, target_gap: float) -> str:
    """``optimal``, ``gap_limit`` (within the gap asked for) or ``time_limit``."""
    if gap <= 1e-9:
        return "optimal"
    if gap <= target_gap:
        return "gap_limit"
    return "time_limit"
