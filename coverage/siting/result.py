"""The siting result: chosen sites in order of marginal gain, objective, bound, gap and explanation."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...geodata.common import Assumption


@dataclass(eq=False)
class SitingResult:
    """What a siting model returns.

    Attributes
    ----------
    model
        ``lscp``, ``mclp``, ``budget``, ``capacitated``, ``pmedian`` or ``joint``.
    sites
        Chosen new candidate indices, in order of marginal gain (largest first).
    site_ids
        Candidate labels of ``sites``.
    gains
        Marginal gain of each site in that order, in objective units (covered weight, covered
        need, or seconds × weight saved).
    fixed
        Fixed (planned) candidate indices, always open.
    objective
        Objective value of the solution (covered weight including demand already covered;
        number or cost of new sites for LSCP; total weighted seconds for p-median).
    bound
        Best proven bound on the optimum (equal to ``objective`` when optimal).
    gap
        Relative optimality gap ``|bound − objective| / |objective|``.
    status
        ``optimal``, ``gap_limit`` (stopped with the proven gap within the requested one),
        ``time_limit`` (stopped by time, with its proven gap), ``heuristic`` (greedy answer;
        ``bound`` still holds) or ``infeasible``.
    solver
        Which solver produced the answer (``highs``, ``greedy+swap``, ``lagrangian``, …).
    seconds
        Wall time of the whole solve: reductions, model building, solving, explaining.
    solve_seconds
        Seconds inside the exact solver.
    stats
        Model size before and after reductions, nodes, etc.
    heuristic_objective
        Objective of the greedy(+swap) solution, for the greedy's gap.
    covered_before, covered_after
        Per-demand flags: within reach of a service before (existing and fixed sites) and
        after (with the new sites).
    uncoverable
        Demand indices no candidate and no existing site reaches (reported, never an error).
    sites_table
        One row per chosen site: people by group newly brought into reach, their communities,
        walking-time median and p90, capacity used.
    indicators
        Coverage share by group before and after.
    assignment
        For capacitated and p-median models: demand, site, amount, seconds.
    assumptions
        Assumptions the result rests on.
    by_service
        For the joint model: each service's own result (its sites, explanation, indicators).
    """

    model: str
    sites: np.ndarray
    site_ids: np.ndarray
    gains: np.ndarray
    fixed: np.ndarray
    objective: float
    bound: float
    gap: float
    status: str
    solver: str
    seconds: float = 0.0
    solve_seconds: float = 0.0
    stats: dict = field(default_factory=dict)
    heuristic_objective: float = math.nan
    covered_before: np.ndarray | None = None
    covered_after: np.ndarray | None = None
    uncoverable: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sites_table: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None
    assignment: pd.DataFrame | None = None
    assumptions: tuple[Assumption, ...] = ()
    by_service: dict[str, SitingResult] = field(default_factory=dict)

    @property
    def n_sites(self) -> int:
        """Number of new sites."""
        return len(self.sites)

    @property
    def optimal(self) -> bool:
        """Whether optimality was proven (within the solver's tolerance)."""
        return self.status == "optimal"

    @property
    def heuristic_gap(self) -> float:
        """Relative gap of the greedy(+swap) solution to the best bound."""
        if not (math.isfinite(self.heuristic_objective) and math.isfinite(self.bound)):
            return math.nan
        return abs(self.bound - self.heuristic_objective) / max(abs(self.bound), 1e-9)

    def summary(self) -> dict:
        """Headline numbers as a plain dict (JSON-friendly)."""
        return {
            "model": self.model,
            "n_sites": self.n_sites,
            "sites": [_plain(s) for s in self.site_ids],
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "status": self.status,
            "solver": self.solver,
            "seconds": round(self.seconds, 4),
            "solve_seconds": round(self.solve_seconds, 4),
            "heuristic_objective": self.heuristic_objective,
            "heuristic_gap": self.heuristic_gap,
            "uncoverable": len(self.uncoverable),
            "stats": self.stats,
        }


def _plain(x):
    """Python scalar for numpy scalars (for JSON)."""
    return x.item() if isinstance(x, np.generic) else x
