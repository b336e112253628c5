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

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...geodata.common import Assumption, InputError

# Chinese names for the default input names and item kinds in the messages.
_WHERE_ZH = {"siting input": "选址输入", "siting": "选址"}
_ITEMS_ZH = {
    "demand points": "需求点",
    "candidates": "候选点",
    "existing sites": "现有设施",
    "items": "项",
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
        Per-demand weight (population × priority weight, or need in beds/托位).
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
        return _cover(self.reach, self.threshold_s)

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
        keep = _entry_mask(self.reach, self.threshold_s)
        return _mask_entries(self.reach, keep)

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


def siting_problem(
    reach: sp.spmatrix | np.ndarray,
    weights: np.ndarray | pd.Series | None = None,
    *,
    threshold_s: float | np.ndarray | None = None,
    existing: np.ndarray | sp.spmatrix | None = None,
    existing_capacity: np.ndarray | None = None,
    fixed: np.ndarray | list[int] | None = None,
    cost: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    demand: pd.DataFrame | None = None,
    candidate_ids: np.ndarray | list | None = None,
    assumptions: tuple[Assumption, ...] = (),
    where: str = "siting input",
    where_zh: str | None = None,
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
        need in beds/托位 for the capacitated models.
    threshold_s
        Seconds, one number or one per demand point (urban 15 min, rural 20 min, …). Required
        for a matrix of seconds; ``numpy.inf`` means no threshold (every pair within reach
        counts, e.g. a classic p-median). Ignored for a boolean matrix.
    existing
        Existing services: a boolean per demand ("already covered"), or a demand × existing
        site matrix (dense or sparse, read as ``reach``) in the same units as ``reach`` (the
        same thresholds apply).
    existing_capacity
        Capacity per existing site (only with an ``existing`` matrix; ``inf`` where unknown).
    fixed
        Indices of candidates that must be opened (planned sites), or a boolean mask.
    cost
        Cost per candidate (default 1), e.g. a subsidy from policy-digest §3.4.
    capacity
        Capacity per candidate, in the units of ``weights``.
    demand
        Demand table in the same row order (population groups, admin columns).
    candidate_ids
        Labels of the candidates.
    assumptions
        Assumptions the inputs rest on, carried into every result.
    where
        Name of the input (file or table) used in error messages.
    where_zh
        The same name in Chinese (default: ``where``, or "选址输入" for the default name).
    """
    wz = where_zh if where_zh is not None else _WHERE_ZH.get(where, where)
    reach = _times_matrix(reach, "reach matrix", "可达矩阵", where, wz)
    n_dem, n_cand = reach.shape
    if n_dem == 0 or n_cand == 0:
        raise InputError(
            f"{where}: the reach matrix is empty; give at least one demand point and one candidate.",
            zh=f"{wz}：可达矩阵为空；请至少给出一个需求点和一个候选点。",
        )
    is_bool = reach.dtype == np.bool_
    thr = _thresholds(threshold_s, n_dem, is_bool, where, where_zh=wz)
    w = _vector(weights, n_dem, 1.0, "weights", where, "demand points", where_zh=wz)
    if (w < 0).any():
        raise InputError(
            f"{where}: weights must be zero or positive; fix the negative weights.",
            zh=f"{wz}：权重须为零或正数；请修正为负的权重。",
        )
    existing_covered = np.zeros(n_dem, dtype=bool)
    existing_reach = None
    ex_cap = None
    if existing is not None:
        if sp.issparse(existing) or np.ndim(existing) == 2:
            existing_reach = _times_matrix(existing, "existing-site matrix", "现有设施矩阵", where, wz)
            if existing_reach.shape[0] != n_dem:
                raise InputError(
                    f"{where}: the existing-site matrix has {existing_reach.shape[0]} rows but there "
                    f"are {n_dem} demand points; give one row per demand point.",
                    zh=(
                        f"{wz}：现有设施矩阵有 {existing_reach.shape[0]} 行，但需求点有 {n_dem} 个；"
                        "请每个需求点给一行。"
                    ),
                )
            existing_covered = np.diff(_cover(existing_reach, thr).indptr) > 0
            if existing_capacity is not None:
                ex_cap = _vector(
                    existing_capacity,
                    existing_reach.shape[1],
                    np.inf,
                    "existing_capacity",
                    where,
                    "existing sites",
                    where_zh=wz,
                )
            else:
                ex_cap = np.full(existing_reach.shape[1], np.inf)
        else:
            existing_covered = np.asarray(existing, dtype=bool).ravel()
            if existing_covered.shape != (n_dem,):
                raise InputError(
                    f"{where}: 'existing' has {existing_covered.size} flags for {n_dem} demand points; "
                    "give one flag per demand point or a demand × site matrix.",
                    zh=(
                        f"{wz}：'existing' 有 {existing_covered.size} 个标记，但需求点有 {n_dem} 个；"
                        "请每个需求点给一个标记，或给出需求点 × 设施矩阵。"
                    ),
                )
    fixed_idx = _indices(fixed, n_cand, "fixed", where, where_zh=wz)
    c = _vector(cost, n_cand, 1.0, "cost", where, "candidates", where_zh=wz)
    if (c < 0).any():
        raise InputError(
            f"{where}: candidate costs must be zero or positive; fix the 'cost' column.",
            zh=f"{wz}：候选点成本须为零或正数；请修正 'cost' 字段。",
        )
    cap = None
    if capacity is not None:
        cap = _vector(capacity, n_cand, np.nan, "capacity", where, "candidates", where_zh=wz)
        if np.isnan(cap).any() or (cap < 0).any():
            raise InputError(
                f"{where}: every candidate needs a capacity of zero or more; fill the 'capacity' column.",
                zh=f"{wz}：每个候选点都需要零或以上的容量；请填写 'capacity' 字段。",
            )
    if demand is not None and len(demand) != n_dem:
        raise InputError(
            f"{where}: the demand table has {len(demand)} rows but the reach matrix {n_dem}; "
            "give the table in the matrix's row order.",
            zh=(f"{wz}：需求点表有 {len(demand)} 行，但可达矩阵有 {n_dem} 行；请按矩阵的行顺序给出该表。"),
        )
    ids = np.arange(n_cand) if candidate_ids is None else np.asarray(candidate_ids)
    if len(ids) != n_cand:
        raise InputError(
            f"{where}: {len(ids)} candidate ids for {n_cand} candidates; give one id each.",
            zh=f"{wz}：{n_cand} 个候选点却有 {len(ids)} 个编号；请每个候选点给一个编号。",
        )
    return SitingProblem(
        reach=reach,
        threshold_s=thr,
        weights=w,
        existing_covered=existing_covered,
        fixed=fixed_idx,
        cost=c,
        capacity=cap,
        existing_reach=existing_reach,
        existing_capacity=ex_cap,
        demand=None if demand is None else demand.reset_index(drop=True),
        candidate_ids=ids,
        assumptions=tuple(assumptions),
    )


def coverage_need(population: np.ndarray, per_1000: float) -> np.ndarray:
    """Need in beds or 托位 from population and a standard per 1,000 (e.g. 4.5 托位, 001/003)."""
    return np.asarray(population, dtype=np.float64) * (per_1000 / 1000.0)


def _times_matrix(m, what: str, what_zh: str, where: str, wz: str) -> sp.csr_matrix:
    """Canonical CSR of a dense or sparse cost matrix, read as the module docstring says.

    Stored zeros stay; ``inf``/NaN entries are dropped (not within reach); booleans stay
    booleans; negative values and pairs stored twice are errors.
    """
    if not sp.issparse(m):
        arr = np.asarray(m)
        if arr.ndim != 2:
            raise InputError(
                f"{where}: the {what} must be 2-D (demand × site).",
                zh=f"{wz}：{what_zh}须为二维（需求点 × 设施点）。",
            )
        if arr.dtype == np.bool_:
            return sp.csr_matrix(arr)
        if not np.issubdtype(arr.dtype, np.number):
            raise InputError(
                f"{where}: the {what} must hold numbers (seconds) or booleans, not {arr.dtype}.",
                zh=f"{wz}：{what_zh}须为数值（秒）或布尔值，不能是 {arr.dtype}。",
            )
        out = _dense_times(arr)
    else:
        if m.ndim != 2:
            raise InputError(
                f"{where}: the {what} must be 2-D (demand × site).",
                zh=f"{wz}：{what_zh}须为二维（需求点 × 设施点）。",
            )
        if m.format not in {"csr", "csc"} or not m.has_canonical_format:
            coo = m.tocoo()
            key = coo.row.astype(np.int64) * m.shape[1] + coo.col
            key.sort()
            dup = np.flatnonzero(key[1:] == key[:-1])
            if len(dup):
                i, j = divmod(int(key[dup[0]]), m.shape[1])
                raise InputError(
                    f"{where}: the {what} stores pair ({i}, {j}) more than once; keep one value per "
                    "pair (scipy would add them up).",
                    zh=(
                        f"{wz}：{what_zh}中点对 ({i}, {j}) 存了不止一次；"
                        "请每个点对只保留一个值（scipy 会把它们相加）。"
                    ),
                )
        out = sp.csr_matrix(m)
        out.sort_indices()
        if out.dtype == np.bool_:
            return out
        out = out.astype(np.float64)
    if (out.data < 0).any():
        raise InputError(
            f"{where}: the {what} holds negative seconds; store each pair's walking time (0 or more), "
            "and leave unreachable pairs out (or inf).",
            zh=(
                f"{wz}：{what_zh}中有负的秒数；请为每个点对存放步行时间（0 或以上），"
                "不可达的点对不存或存为 inf。"
            ),
        )
    finite = np.isfinite(out.data)
    return out if finite.all() else _mask_entries(out, finite)


def _dense_times(arr: np.ndarray) -> sp.csr_matrix:
    """CSR of a dense seconds matrix; ``inf``/NaN mark unreachable pairs, zeros are kept."""
    arr = np.asarray(arr, dtype=np.float64)
    r, c = np.nonzero(np.isfinite(arr))
    return sp.csr_matrix((arr[r, c], (r, c)), shape=arr.shape)


def _row_of_entries(m: sp.csr_matrix) -> np.ndarray:
    """Row index of every stored entry of a CSR matrix."""
    return np.repeat(np.arange(m.shape[0]), np.diff(m.indptr))


def _entry_mask(m: sp.csr_matrix, thr: np.ndarray) -> np.ndarray:
    """Which stored entries cover: true entries of a boolean matrix, ``t <= threshold`` otherwise."""
    if m.dtype == np.bool_:
        return m.data.astype(bool)
    return m.data <= thr[_row_of_entries(m)]


def _mask_entries(m: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """Copy of CSR ``m`` keeping only the stored entries flagged in ``keep`` (explicit zeros stay)."""
    rows = _row_of_entries(m)[keep]
    indptr = np.zeros(m.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=m.shape[0]), out=indptr[1:])
    return sp.csr_matrix((m.data[keep], m.indices[keep], indptr), shape=m.shape)


def _cover(m: sp.csr_matrix, thr: np.ndarray) -> sp.csr_matrix:
    """Boolean coverage pattern of ``m`` under per-row thresholds."""
    keep = _entry_mask(m, thr)
    out = _mask_entries(m, keep)
    out.data = np.ones(len(out.data), dtype=bool)
    return out


def _thresholds(value, n: int, is_bool: bool, where: str, *, where_zh: str | None = None) -> np.ndarray:
    """Per-demand thresholds in seconds."""
    wz = where if where_zh is None else where_zh
    if is_bool:
        if value is None:
            return np.full(n, np.inf)
        return _vector(value, n, np.inf, "threshold_s", where, "demand points", where_zh=wz)
    if value is None:
        raise InputError(
            f"{where}: a reach matrix of seconds needs 'threshold_s' (one value or one per demand point; "
            "inf for no threshold).",
            zh=f"{wz}：以秒计的可达矩阵需要 'threshold_s'（一个值，或每个需求点一个值；不设阈值请给 inf）。",
        )
    thr = _vector(value, n, np.nan, "threshold_s", where, "demand points", where_zh=wz)
    if not (thr > 0).all():
        raise InputError(
            f"{where}: thresholds must be positive seconds (inf for no threshold); fix 'threshold_s'.",
            zh=f"{wz}：时间阈值须为正的秒数（不设阈值请给 inf）；请修正 'threshold_s'。",
        )
    return thr


def _vector(
    value,
    n: int,
    default: float,
    name: str,
    where: str,
    items: str = "items",
    *,
    where_zh: str | None = None,
    items_zh: str | None = None,
) -> np.ndarray:
    """A float vector of length ``n`` (one per ``items``) from a scalar, a sequence or ``None``."""
    wz = where if where_zh is None else where_zh
    iz = items_zh if items_zh is not None else _ITEMS_ZH.get(items, items)
    if value is None:
        return np.full(n, default, dtype=np.float64)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    arr = arr.ravel()
    if arr.shape != (n,):
        raise InputError(
            f"{where}: '{name}' has {arr.size} values for {n} {items}; give one value per {items[:-1]}.",
            zh=f"{wz}：'{name}' 有 {arr.size} 个值，但{iz}有 {n} 个；请每个{iz}给一个值。",
        )
    if np.isnan(arr).any() and name not in {"capacity"}:
        raise InputError(
            f"{where}: '{name}' has missing values; fill them in.",
            zh=f"{wz}：'{name}' 有缺失值；请补齐。",
        )
    return arr.copy()


def _indices(value, n: int, name: str, where: str, *, where_zh: str | None = None) -> np.ndarray:
    """Sorted unique candidate indices from a list of indices or a boolean mask."""
    wz = where if where_zh is None else where_zh
    if value is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(value)
    if arr.dtype == np.bool_:
        if arr.shape != (n,):
            raise InputError(
                f"{where}: the '{name}' mask has {arr.size} flags for {n} candidates.",
                zh=f"{wz}：'{name}' 掩码有 {arr.size} 个标记，而候选点有 {n} 个。",
            )
        return np.flatnonzero(arr)
    arr = arr.astype(np.int64).ravel()
    if len(arr) and (arr.min() < 0 or arr.max() >= n):
        raise InputError(
            f"{where}: '{name}' names a candidate index outside 0..{n - 1}; fix the index.",
            zh=f"{wz}：'{name}' 含有超出 0..{n - 1} 的候选点序号；请修正序号。",
        )
    return np.unique(arr)
