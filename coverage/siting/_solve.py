"""What the covering solves share: their options, how a solve ended, and the explained result."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...geodata.common import Assumption, InputError
from ._highs import HighsSettings, MilpSolution
from .explain import explain
from .greedy import marginal_order
from .problem import SitingProblem
from .result import SitingResult

#: Solve methods of the covering models.
METHODS = ("auto", "exact", "greedy")


@dataclass(frozen=True)
class SolveOptions:
    """How a covering model is solved (the keywords of ``solve``).

    Attributes
    ----------
    method
        ``auto``, ``exact`` or ``greedy`` (see `MCLP.solve`).
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

    method: str = "auto"
    time_limit: float = 60.0
    mip_gap: float = 0.0
    threads: int = 1
    reduce: bool = True
    swap: bool = True

    def highs(self, time_limit: float | None = None) -> HighsSettings:
        """HiGHS settings with these gap and threads, for ``time_limit`` (default: the whole limit)."""
        seconds = self.time_limit if time_limit is None else time_limit
        return HighsSettings(time_limit=seconds, mip_gap=self.mip_gap, threads=self.threads)


@dataclass
class Outcome:
    """How a solve ended.

    Attributes
    ----------
    objective
        Objective of the answer.
    bound
        Best proven bound on the optimum (NaN when none).
    status
        ``optimal``, ``gap_limit``, ``time_limit``, ``heuristic``, ...
    solver
        Which solver produced the answer.
    heuristic
        Objective of the heuristic start.
    stats
        Counters of the solve.
    solve_seconds
        Seconds inside the exact solver.
    assumptions
        Assumptions the model adds to the problem's.
    """

    objective: float
    bound: float
    status: str
    solver: str
    heuristic: float
    stats: dict
    solve_seconds: float = 0.0
    assumptions: tuple[Assumption, ...] = ()


@dataclass(frozen=True)
class Picked:
    """The new sites in order, their gains, and who is within reach before and after.

    Attributes
    ----------
    sites
        New candidate indices, in order.
    gains
        Gain of each site in that order.
    before, after
        Per-demand flags: within reach before and after the new sites.
    assignment
        Demand assigned to sites, for the models that assign.
    """

    sites: np.ndarray
    gains: np.ndarray
    before: np.ndarray
    after: np.ndarray
    assignment: pd.DataFrame | None = None


def relative_gap(bound: float, objective: float) -> float:
    """``|bound − objective| / |objective|`` (NaN without a finite bound)."""
    return abs(bound - objective) / max(abs(objective), 1e-9) if math.isfinite(bound) else math.nan


def explained_result(pb: SitingProblem, model: str, picked: Picked, out: Outcome, t0: float) -> SitingResult:
    """The result of a solve started at ``t0``, with its explanation (sites table, indicators)."""
    res = SitingResult(
        model=model,
        sites=picked.sites,
        site_ids=pb.candidate_label(picked.sites),
        gains=picked.gains,
        fixed=pb.fixed.copy(),
        objective=float(out.objective),
        bound=float(out.bound),
        gap=float(relative_gap(out.bound, out.objective)),
        status=out.status,
        solver=out.solver,
        solve_seconds=float(out.solve_seconds),
        stats=out.stats,
        heuristic_objective=float(out.heuristic),
        covered_before=picked.before,
        covered_after=picked.after,
        uncoverable=pb.uncoverable,
        assignment=picked.assignment,
        assumptions=(*pb.assumptions, *out.assumptions),
    )
    explain(pb, res)
    res.seconds = time.perf_counter() - t0
    return res


def finish_cover(pb: SitingProblem, model: str, chosen: np.ndarray, out: Outcome, t0: float) -> SitingResult:
    """Order the chosen sites by marginal gain, build the result and its explanation."""
    chosen = np.unique(np.asarray(chosen, dtype=np.int64))
    chosen = chosen[~np.isin(chosen, pb.fixed)]
    sites, gains = marginal_order(pb.cover_csc, pb.weights, chosen, pb.base_covered)
    after = pb.base_covered.copy()
    if len(sites):
        after |= np.asarray(pb.cover_csc[:, sites].sum(axis=1)).ravel() > 0
    return explained_result(pb, model, Picked(sites, gains, pb.base_covered.copy(), after), out, t0)


def status_of(sol: MilpSolution) -> str:
    """Result status from a HiGHS status."""
    if sol.status == "optimal":
        return "optimal"
    if sol.x is None:
        return "heuristic"
    return sol.status


def check_method(method: str) -> None:
    """Raise `InputError` for an unknown solve method."""
    if method not in METHODS:
        raise InputError("siting.unknown_method", method=method, methods=", ".join(METHODS))
