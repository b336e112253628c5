"""The inputs every siting model shares: reach matrix, thresholds, weights, existing and fixed sites.

What a cost matrix means
------------------------
Every siting entry point (`siting_problem` and the models' ``from_cost_matrix``) reads a
demand × site matrix of walking seconds (or any other cost) with one meaning, whatever its
form (dense ``numpy.ndarray``; scipy sparse ``csr``, ``csc`` or ``coo``, matrix or array):

- a stored finite value ``t >= 0`` is the cost of the pair; **a stored zero is a zero cost**
  (a home standing at the site), never "no entry";
- a pair a sparse matrix does not store, and a stored ``inf`` or NaN (the way a dense matrix
  says it), is **not within reach**: the pair can neither cover nor be assigned;
- a negative value, or a pair stored twice, is an error.

Demand point ``i`` is covered by (may be assigned to) site ``j`` when the pair is within
reach and ``t_ij <= threshold_s[i]``. ``threshold_s=numpy.inf`` means no threshold: every
pair within reach counts, as in the classic p-median on a complete distance matrix. A
boolean matrix is a coverage matrix: a stored true covers.

Beware that ``scipy.sparse.csr_matrix(dense)`` drops the zeros of ``dense`` before we see
them; give the dense array itself (or build the sparse matrix from row, column and value
arrays) to keep zero costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TypedDict, Unpack

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...geodata.common import Assumption, InputError, Msg
from ._matrix import cover_pattern, entry_mask, mask_entries, times_matrix

#: Names of the input a caller may give as plain English words, and their catalogue ids.
_WHERE_IDS = {"siting input": "siting.where.input", "siting": "siting.where.siting"}

#: What a vector holds one value per: the catalogue ids of the plural and the singular.
_ITEMS = {
    "demand": ("siting.items.demand", "siting.item.demand"),
    "candidate": ("siting.items.candidate", "siting.item.candidate"),
    "existing": ("siting.items.existing", "siting.item.existing"),
}


@dataclass(frozen=True, eq=False)
class SitingProblem:
    """A demand × candidate siting instance, validated and normalized.

    Build it with `siting_problem`. Demand point ``i`` is covered by candidate ``j`` iff the
    matrix stores a finite entry ``t_ij`` and ``t_ij <= threshold_s[i]`` (or, for a boolean
    matrix, the stored entry is true). Stored zeros are real zero-second walks and count as
    covered; a pair not stored is not within reach (see the module docstring).

    Attributes
    ----------
    reach
        CSR matrix, demand × candidate: walking seconds (float) or coverage (bool).
    threshold_s
        Per-demand threshold in seconds (``inf`` for a boolean matrix, or for no threshold:
        every stored pair within reach).
    weights
        Per-demand weight (population × priority weight, or need in beds or childcare places).
    existing_covered
        Per-demand flag: already within reach of an existing (or fixed planned) service.
    fixed
        Candidate indices that must be opened (planned sites).
    cost
        Per-candidate cost (ones when none is given).
    capacity
        Per-candidate capacity in the units of ``weights``, or ``None``.
    existing_reach
        Demand × existing-site matrix (seconds or bool) when existing sites were given as a
        matrix, else ``None``.
    existing_capacity
        Capacity of each existing site (``inf`` where unknown), or ``None``.
    demand
        Optional demand table (one row per demand point, same order) with population groups
        and admin columns, used to explain results.
    candidate_ids
        Label of each candidate (its index when none is given).
    assumptions
        Assumptions behind the inputs (walking speed, thresholds), carried to results.
    """

    reach: sp.csr_matrix
    threshold_s: np.ndarray
    weights: np.ndarray
    existing_covered: np.ndarray
    fixed: np.ndarray
    cost: np.ndarray
    capacity: np.ndarray | None = None
    existing_reach: sp.csr_matrix | None = None
    existing_capacity: np.ndarray | None = None
    demand: pd.DataFrame | None = None
    candidate_ids: np.ndarray = field(default_factory=lambda: np.array([]))
    assumptions: tuple[Assumption, ...] = ()

    @property
    def n_demand(self) -> int:
        """Number of demand points."""
        return self.reach.shape[0]

    @property
    def n_candidates(self) -> int:
        """Number of candidate sites."""
        return self.reach.shape[1]

    @property
    def has_times(self) -> bool:
        """Whether the reach matrix holds walking seconds (not only coverage)."""
        return self.reach.dtype != np.bool_

    @cached_property
    def cover(self) -> sp.csr_matrix:
        """Boolean CSR coverage matrix ``a_ij`` after applying the per-demand thresholds."""
        return cover_pattern(self.reach, self.threshold_s)

    @cached_property
    def cover_csc(self) -> sp.csc_matrix:
        """`cover` in CSC layout (column slices per candidate)."""
        m = self.cover.tocsc()
        m.sort_indices()
        return m

    @cached_property
    def times(self) -> sp.csr_matrix | None:
        """Walking seconds restricted to covering pairs (same pattern as `cover`), or ``None``."""
        if not self.has_times:
            return None
        keep = entry_mask(self.reach, self.threshold_s)
        return mask_entries(self.reach, keep)

    @cached_property
    def fixed_covered(self) -> np.ndarray:
        """Per-demand flag: covered by a fixed (planned) candidate."""
        out = np.zeros(self.n_demand, dtype=bool)
        if len(self.fixed):
            out = np.asarray(self.cover_csc[:, self.fixed].sum(axis=1)).ravel() > 0
        return out

    @cached_property
    def base_covered(self) -> np.ndarray:
        """Per-demand flag: covered before any new site (existing or fixed)."""
        return self.existing_covered | self.fixed_covered

    @cached_property
    def coverable(self) -> np.ndarray:
        """Per-demand flag: some candidate or existing site covers it."""
        return (np.diff(self.cover.indptr) > 0) | self.existing_covered

    @property
    def uncoverable(self) -> np.ndarray:
        """Indices of demand no candidate and no existing site reaches."""
        return np.flatnonzero(~self.coverable)

    def candidate_label(self, j: np.ndarray) -> np.ndarray:
        """Labels of candidates ``j``."""
        return self.candidate_ids[np.asarray(j, dtype=np.int64)]


class ProblemOptions(TypedDict, total=False):
    """Keyword options of `siting_problem` (each described there)."""

    threshold_s: float | np.ndarray | None
    existing: np.ndarray | sp.spmatrix | None
    existing_capacity: np.ndarray | None
    fixed: np.ndarray | list[int] | None
    cost: np.ndarray | None
    capacity: np.ndarray | None
    demand: pd.DataFrame | None
    candidate_ids: np.ndarray | list | None
    assumptions: tuple[Assumption, ...]
    where: str | Msg


def siting_problem(
    reach: sp.spmatrix | np.ndarray,
    weights: np.ndarray | pd.Series | None = None,
    **options: Unpack[ProblemOptions],
) -> SitingProblem:
    """Validate and normalize the inputs of a siting model.

    Parameters
    ----------
    reach
        Demand × candidate matrix of walking seconds, dense or scipy sparse (csr, csc, coo):
        a stored 0 is a zero-second walk, a pair not stored (or ``inf``/NaN) is not within
        reach (see the module docstring); or a boolean coverage matrix.
    weights
        Demand weights (default 1 each): group population × optional priority weights, or the
        need in beds or childcare places for the capacitated models.
    **options
        Any of:

        ``threshold_s``
            Seconds, one number or one per demand point (urban 15 min, rural 20 min, …).
            Required for a matrix of seconds; ``numpy.inf`` means no threshold (every pair
            within reach counts, e.g. a classic p-median). Ignored for a boolean matrix.
        ``existing``
            Existing services: a boolean per demand ("already covered"), or a demand ×
            existing site matrix (dense or sparse, read as ``reach``) in the same units as
            ``reach`` (the same thresholds apply).
        ``existing_capacity``
            Capacity per existing site (only with an ``existing`` matrix; ``inf`` where
            unknown).
        ``fixed``
            Indices of candidates that must be opened (planned sites), or a boolean mask.
        ``cost``
            Cost per candidate (default 1), e.g. a subsidy from policy-digest §3.4.
        ``capacity``
            Capacity per candidate, in the units of ``weights``.
        ``demand``
            Demand table in the same row order (population groups, admin columns).
        ``candidate_ids``
            Labels of the candidates.
        ``assumptions``
            Assumptions the inputs rest on, carried into every result.
        ``where``
            Name of the input (file or table) in error messages: a `Msg`, or text (a file
            name reads the same in every language); default "siting input".
    """
    unknown = sorted(set(options) - ProblemOptions.__optional_keys__)
    if unknown:
        raise TypeError(f"siting_problem() got an unexpected keyword argument {unknown[0]!r}")
    where = _where(options.get("where"))
    reach = times_matrix(reach, Msg("siting.what.reach"), where)
    n_dem, n_cand = reach.shape
    if n_dem == 0 or n_cand == 0:
        raise InputError("siting.reach_empty", where=where)
    thr = _thresholds(options.get("threshold_s"), n_dem, reach.dtype == np.bool_, where)
    w = _vector(weights, n_dem, 1.0, "weights", where, "demand")
    if (w < 0).any():
        raise InputError("siting.negative_weights", where=where)
    existing = _existing(options.get("existing"), options.get("existing_capacity"), thr, where)
    fixed, cost, capacity, ids = _candidate_inputs(options, n_cand, where)
    demand = options.get("demand")
    if demand is not None and len(demand) != n_dem:
        raise InputError("siting.demand_rows", where=where, rows=len(demand), n=n_dem)
    return SitingProblem(
        reach=reach,
        threshold_s=thr,
        weights=w,
        existing_covered=existing.covered,
        fixed=fixed,
        cost=cost,
        capacity=capacity,
        existing_reach=existing.reach,
        existing_capacity=existing.capacity,
        demand=None if demand is None else demand.reset_index(drop=True),
        candidate_ids=ids,
        assumptions=tuple(options.get("assumptions", ())),
    )


def coverage_need(population: np.ndarray, per_1000: float) -> np.ndarray:
    """Need in beds or childcare places from population and a standard per 1,000 (e.g. 4.5, 001/003)."""
    return np.asarray(population, dtype=np.float64) * (per_1000 / 1000.0)


def _where(where: str | Msg | None) -> str | Msg:
    """The input's name for messages, in every language."""
    if where is None:
        return Msg("siting.where.input")
    if isinstance(where, Msg):
        return where
    return Msg(_WHERE_IDS[where]) if where in _WHERE_IDS else where


@dataclass(frozen=True)
class _Existing:
    """Existing services as the model sees them: who they cover, their matrix and capacities."""

    covered: np.ndarray
    reach: sp.csr_matrix | None = None
    capacity: np.ndarray | None = None


def _existing(value, capacity, thr: np.ndarray, where: str | Msg) -> _Existing:
    """Existing services from per-demand flags or a demand × site matrix (with capacities)."""
    n_dem = len(thr)
    if value is None:
        return _Existing(np.zeros(n_dem, dtype=bool))
    if not (sp.issparse(value) or np.ndim(value) == 2):
        covered = np.asarray(value, dtype=bool).ravel()
        if covered.shape != (n_dem,):
            raise InputError("siting.existing_flags", where=where, flags=covered.size, n=n_dem)
        return _Existing(covered)
    reach = times_matrix(value, Msg("siting.what.existing_matrix"), where)
    if reach.shape[0] != n_dem:
        raise InputError("siting.existing_rows", where=where, rows=reach.shape[0], n=n_dem)
    if capacity is not None:
        cap = _vector(capacity, reach.shape[1], np.inf, "existing_capacity", where, "existing")
    else:
        cap = np.full(reach.shape[1], np.inf)
    return _Existing(np.diff(cover_pattern(reach, thr).indptr) > 0, reach, cap)


def _candidate_inputs(
    options: ProblemOptions, n_cand: int, where: str | Msg
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Fixed candidates, costs, capacities and labels, checked."""
    fixed = _indices(options.get("fixed"), n_cand, "fixed", where)
    cost = _vector(options.get("cost"), n_cand, 1.0, "cost", where, "candidate")
    if (cost < 0).any():
        raise InputError("siting.negative_cost", where=where)
    cap = None
    if options.get("capacity") is not None:
        cap = _vector(options["capacity"], n_cand, np.nan, "capacity", where, "candidate")
        if np.isnan(cap).any() or (cap < 0).any():
            raise InputError("siting.capacity_missing", where=where)
    given = options.get("candidate_ids")
    ids = np.arange(n_cand) if given is None else np.asarray(given)
    if len(ids) != n_cand:
        raise InputError("siting.candidate_ids_count", where=where, ids=len(ids), n=n_cand)
    return fixed, cost, cap, ids


def _thresholds(value, n: int, is_bool: bool, where: str | Msg) -> np.ndarray:
    """Per-demand thresholds in seconds."""
    if is_bool:
        if value is None:
            return np.full(n, np.inf)
        return _vector(value, n, np.inf, "threshold_s", where, "demand")
    if value is None:
        raise InputError("siting.threshold_missing", where=where)
    thr = _vector(value, n, np.nan, "threshold_s", where, "demand")
    if not (thr > 0).all():
        raise InputError("siting.threshold_not_positive", where=where)
    return thr


def _vector(value, n: int, default: float, name: str, where: str | Msg, items: str) -> np.ndarray:
    """A float vector of length ``n``, one per ``items`` (a key of `_ITEMS`), from a scalar or sequence."""
    if value is None:
        return np.full(n, default, dtype=np.float64)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    arr = arr.ravel()
    if arr.shape != (n,):
        plural, single = _ITEMS[items]
        raise InputError(
            "siting.vector_length",
            where=where,
            name=name,
            size=arr.size,
            n=n,
            items=Msg(plural),
            item=Msg(single),
        )
    if np.isnan(arr).any() and name not in {"capacity"}:
        raise InputError("siting.vector_missing", where=where, name=name)
    return arr.copy()


def _indices(value, n: int, name: str, where: str | Msg) -> np.ndarray:
    """Sorted unique candidate indices from a list of indices or a boolean mask."""
    if value is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(value)
    if arr.dtype == np.bool_:
        if arr.shape != (n,):
            raise InputError("siting.mask_length", where=where, name=name, size=arr.size, n=n)
        return np.flatnonzero(arr)
    arr = arr.astype(np.int64).ravel()
    if len(arr) and (arr.min() < 0 or arr.max() >= n):
        raise InputError("siting.index_range", where=where, name=name, last=n - 1)
    return np.unique(arr)
