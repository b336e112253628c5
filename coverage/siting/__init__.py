"""Siting: propose new service stations over the sparse reach matrix.

The models (`LSCP`, `MCLP`, `BudgetCoverage`, `CapacitatedCoverage`, `PMedian`, `JointSiting`)
take a `SitingProblem` (from `siting_problem`, or their ``from_cost_matrix`` constructors) and
return an explained `SitingResult`. The solver internals (reductions, Lagrangian and regional
bounds, the large-neighbourhood search) live in the private modules of this package.
"""

from .candidates import (
    MAX_SPACED_CANDIDATES,
    MIN_SITE_AREA_M2,
    candidates_from_footprints,
    candidates_from_layer,
    candidates_on_network,
    check_spacing,
)
from .capacitated import CapacitatedCoverage
from .explain import explain, indicators
from .greedy import greedy_max_cover, greedy_set_cover
from .joint import JointSiting
from .models import LSCP, MCLP, BudgetCoverage
from .pmedian import PMedian
from .problem import SitingProblem, coverage_need, siting_problem
from .result import SitingResult

__all__ = [
    "LSCP",
    "MAX_SPACED_CANDIDATES",
    "MCLP",
    "MIN_SITE_AREA_M2",
    "BudgetCoverage",
    "CapacitatedCoverage",
    "JointSiting",
    "PMedian",
    "SitingProblem",
    "SitingResult",
    "candidates_from_footprints",
    "candidates_from_layer",
    "candidates_on_network",
    "check_spacing",
    "coverage_need",
    "explain",
    "greedy_max_cover",
    "greedy_set_cover",
    "indicators",
    "siting_problem",
]
