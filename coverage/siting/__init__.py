"""Siting: propose new service stations over the sparse reach matrix."""

from .capacitated import CapacitatedCoverage
from .decompose import DecompositionBound, decomposition_bound
from .explain import explain, indicators
from .greedy import greedy_max_cover, greedy_set_cover, swap_improve
from .joint import JointSiting
from .lagrange import lagrangian_bound, mclp_lp, subgradient
from .lns import mip_lns, parallel_lns
from .models import LSCP, MCLP, BudgetCoverage
from .pmedian import PMedian
from .problem import SitingProblem, coverage_need, siting_problem
from .reduce import Reduced, reduce_cover
from .result import SitingResult

__all__ = [
    "LSCP",
    "MCLP",
    "BudgetCoverage",
    "CapacitatedCoverage",
    "DecompositionBound",
    "JointSiting",
    "PMedian",
    "Reduced",
    "SitingProblem",
    "SitingResult",
    "coverage_need",
    "decomposition_bound",
    "explain",
    "greedy_max_cover",
    "greedy_set_cover",
    "indicators",
    "lagrangian_bound",
    "mclp_lp",
    "mip_lns",
    "parallel_lns",
    "reduce_cover",
    "siting_problem",
    "subgradient",
    "swap_improve",
]
