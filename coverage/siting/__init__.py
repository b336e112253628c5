"""Siting: propose new service stations over the sparse reach matrix."""

from lifecircle.coverage.siting.capacitated import CapacitatedCoverage
from lifecircle.coverage.siting.decompose import DecompositionBound, decomposition_bound
from lifecircle.coverage.siting.explain import explain, indicators
from lifecircle.coverage.siting.greedy import greedy_max_cover, greedy_set_cover, swap_improve
from lifecircle.coverage.siting.joint import JointSiting
from lifecircle.coverage.siting.lagrange import lagrangian_bound, mclp_lp, subgradient
from lifecircle.coverage.siting.lns import mip_lns, parallel_lns
from lifecircle.coverage.siting.models import LSCP, MCLP, BudgetCoverage
from lifecircle.coverage.siting.pmedian import PMedian
from lifecircle.coverage.siting.problem import SitingProblem, coverage_need, siting_problem
from lifecircle.coverage.siting.reduce import Reduced, reduce_cover
from lifecircle.coverage.siting.result import SitingResult

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
