"""A thin, quiet HiGHS driver: pass a sparse MILP as arrays, solve with limits, read bound and gap."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

INF = highspy.kHighsInf

_STATUS = {
    highspy.HighsModelStatus.kOptimal: "optimal",
    highspy.HighsModelStatus.kTimeLimit: "time_limit",
    highspy.HighsModelStatus.kInfeasible: "infeasible",
    highspy.HighsModelStatus.kUnbounded: "unbounded",
    highspy.HighsModelStatus.kUnboundedOrInfeasible: "infeasible",
    highspy.HighsModelStatus.kInterrupt: "interrupted",
    highspy.HighsModelStatus.kIterationLimit: "iteration_limit",
    highspy.HighsModelStatus.kSolutionLimit: "solution_limit",
    highspy.HighsModelStatus.kMemoryLimit: "memory_limit",
    highspy.HighsModelStatus.kModelEmpty: "optimal",
}


class _QuietHighs(highspy.Highs):
    """`highspy.Highs` that never writes to the console.

    highspy 1.16 prints its "Running HiGHS … Copyright" banner when the constructor installs
    its callbacks, before any option can be set on the instance; turning the output off in
    that step keeps the banner out of the CLI summary and the notebooks.
    """

    def enableCallbacks(self) -> None:  # noqa: N802 (highspy's name)
        """Turn console output off, then install highspy's callbacks."""
        self.setOptionValue("output_flag", False)
        self.setOptionValue("log_to_console", False)
        super().enableCallbacks()


def quiet_highs() -> highspy.Highs:
    """A new HiGHS instance with all console output off (banner included)."""
    h = _QuietHighs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    return h


@dataclass(frozen=True)
class MilpSolution:
    """What HiGHS returned.

    Attributes
    ----------
    x
        Column values, or ``None`` when no feasible solution was found.
    objective
        Objective of ``x`` (NaN without a solution).
    bound
        Best proven bound on the optimum (dual bound; equals ``objective`` when optimal).
    gap
        Relative gap ``|bound - objective| / max(|objective|, 1e-9)``; 0 when optimal.
    status
        ``optimal``, ``time_limit``, ``infeasible``, … (HiGHS model status, lower case).
    seconds
        Wall time of the HiGHS run (passing the model included).
    nodes
        Branch-and-bound nodes explored.
    row_dual
        Row duals of an LP (``None`` for a MIP or without a solution).
    """

    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    status: str
    seconds: float
    nodes: int
    row_dual: np.ndarray | None = None


@dataclass(frozen=True)
class Milp:
    """``opt c·x + offset`` s.t. ``row_lower <= a x <= row_upper``, column bounds and integrality.

    Attributes
    ----------
    c, a, row_lower, row_upper, col_lower, col_upper
        Objective, constraint matrix (any scipy sparse format) and bounds; use ``INF``.
    integer
        Boolean mask of integer columns.
    maximize
        Maximize instead of minimize.
    offset
        Constant added to the objective.
    """

    c: np.ndarray
    a: sp.spmatrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    maximize: bool = False
    offset: float = 0.0


@dataclass(frozen=True)
class HighsSettings:
    """How HiGHS runs: limits, threads, seed and LP solver.

    Attributes
    ----------
    time_limit
        Seconds before HiGHS stops and returns its best solution and bound.
    mip_gap
        Relative gap at which HiGHS may stop (0: prove optimality).
    threads
        HiGHS worker threads.
    seed
        HiGHS random seed.
    solver
        HiGHS LP solver (``choose``, ``simplex``, ``ipm``) for an LP or the MIP root.
    crossover
        With ``solver="ipm"``: run crossover to a basic solution.
    options
        Further HiGHS options by name (for example ``{"presolve": "off"}``).
    """

    time_limit: float = 60.0
    mip_gap: float = 0.0
    threads: int = 1
    seed: int = 0
    solver: str = "choose"
    crossover: bool = True
    options: Mapping[str, object] | None = None


def solve_milp(
    model: Milp, settings: HighsSettings | None = None, *, start: np.ndarray | None = None
) -> MilpSolution:
    """Solve ``model`` with HiGHS within ``settings``, warm-started by ``start``.

    The model is passed to HiGHS as column-wise arrays in one call (no per-element building).
    HiGHS runs quietly, single-threaded by default, with a fixed random seed so that the same
    inputs give the same answer.

    Parameters
    ----------
    model
        The MILP (an LP when no column is integer).
    settings
        Limits and solver options (default `HighsSettings`).
    start
        A feasible solution (all columns) given to HiGHS as the MIP start.
    """
    t0 = time.perf_counter()
    h = _configured(settings or HighsSettings())
    a = sp.csc_matrix(model.a, dtype=np.float64)
    a.sort_indices()
    integer = np.asarray(model.integer, dtype=bool)
    is_mip = bool(integer.any())
    h.passModel(_highs_lp(model, a, integer))
    if start is not None and is_mip:
        start = np.asarray(start, dtype=np.float64)
        nz = np.flatnonzero(start).astype(np.int32)
        h.setSolution(len(nz), nz, start[nz])
    h.run()
    return _read_solution(h, a.shape[0], is_mip, t0)


def _configured(s: HighsSettings) -> highspy.Highs:
    """A quiet HiGHS instance with the settings applied."""
    h = quiet_highs()
    h.setOptionValue("threads", int(s.threads))
    h.setOptionValue("random_seed", int(s.seed))
    h.setOptionValue("time_limit", float(max(s.time_limit, 0.01)))
    h.setOptionValue("mip_rel_gap", float(s.mip_gap))
    h.setOptionValue("mip_abs_gap", 1e-9)
    if s.solver != "choose":
        h.setOptionValue("solver", s.solver)
        if s.solver == "ipm":
            h.setOptionValue("run_crossover", "off" if not s.crossover else "on")
    for name, value in (s.options or {}).items():
        h.setOptionValue(name, value)
    return h


def _highs_lp(model: Milp, a: sp.csc_matrix, integer: np.ndarray) -> highspy.HighsLp:
    """The model as a column-wise `highspy.HighsLp`."""
    n_row, n_col = a.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = np.ascontiguousarray(model.c, dtype=np.float64)
    lp.col_lower_ = np.ascontiguousarray(model.col_lower, dtype=np.float64)
    lp.col_upper_ = np.ascontiguousarray(model.col_upper, dtype=np.float64)
    lp.row_lower_ = np.ascontiguousarray(model.row_lower, dtype=np.float64)
    lp.row_upper_ = np.ascontiguousarray(model.row_upper, dtype=np.float64)
    lp.offset_ = float(model.offset)
    lp.sense_ = highspy.ObjSense.kMaximize if model.maximize else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    if integer.any():
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in integer.tolist()
        ]
    return lp


def _read_solution(h: highspy.Highs, n_row: int, is_mip: bool, t0: float) -> MilpSolution:
    """What HiGHS found after ``run``: solution, bound, gap, status, nodes and LP duals."""
    status = _STATUS.get(h.getModelStatus(), h.modelStatusToString(h.getModelStatus()).lower())
    info = h.getInfo()
    has_x = info.primal_solution_status == 2  # kSolutionStatusFeasible
    solution = h.getSolution()
    x = np.asarray(solution.col_value, dtype=np.float64) if has_x else None
    duals = None
    obj = float(info.objective_function_value) if has_x else math.nan
    if is_mip:
        bound = float(info.mip_dual_bound)
        gap = _gap(obj, bound)
        nodes = int(info.mip_node_count)
    else:
        bound = obj
        gap = 0.0 if status == "optimal" else math.inf
        nodes = 0
        # any duals are useful: callers turn them into a valid Lagrangian bound themselves
        if len(solution.row_dual) == n_row:
            duals = np.asarray(solution.row_dual, dtype=np.float64)
    return MilpSolution(x, obj, bound, gap, status, time.perf_counter() - t0, nodes, duals)


def _gap(objective: float, bound: float) -> float:
    """Relative gap between a solution value and a bound."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return math.inf
    return abs(bound - objective) / max(abs(objective), 1e-9)
