"""Two-step floating catchment (2SFCA): supply-to-demand ratio within walking reach, on a sparse matrix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..geodata.common import Assumption, InputError, Msg

DECAYS: tuple[str, ...] = ("step", "linear", "gaussian", "zones")

#: Enhanced-2SFCA zone weights of Luo & Qi (2009), for three equal travel-time zones: a literature
#: default, not a policy number, so it travels with results as an `Assumption`.
E2SFCA_WEIGHTS: tuple[float, float, float] = (1.0, 0.68, 0.22)


@dataclass(frozen=True)
class AccessResult:
    """Result of `two_step_fca`.

    Attributes
    ----------
    access
        A_i per demand point: supply reachable per person (multiply by 1,000 for "per 1,000").
    ratio
        R_j per facility: supply per person of weighted demand in its catchment; NaN where no
        demand reaches the facility (its supply then serves nobody and adds to no A_i).
    demand_in_reach
        Σ_i P_i·w(t_ij) per facility: the weighted population competing for it.
    decay
        The decay used (``step``, ``linear``, ``gaussian``, ``zones``).
    assumptions
        Assumptions the scores depend on (the decay and its parameters).
    """

    access: np.ndarray
    ratio: np.ndarray
    demand_in_reach: np.ndarray
    decay: str
    assumptions: tuple[Assumption, ...] = ()


def decay_weights(
    t: np.ndarray,
    catchment: np.ndarray | float | None,
    decay: str = "step",
    *,
    zones: Sequence[float] = (),
    zone_weights: Sequence[float] = (),
) -> np.ndarray:
    """Distance-decay weight w(t) for travel times ``t`` (seconds), vectorized.

    With d0 the catchment (scalar or one value per element of ``t``), and w = 0 for t > d0:

    - ``step``: w = 1 (classic 2SFCA; Luo & Wang 2003);
    - ``linear``: w = 1 − t/d0;
    - ``gaussian``: w = (exp(−½(t/d0)²) − exp(−½)) / (1 − exp(−½)) (Dai 2010), 1 at t = 0, 0 at d0;
    - ``zones`` (Enhanced 2SFCA; Luo & Qi 2009): w = W_k for b_{k−1} < t ≤ b_k with zone upper bounds
      ``zones`` = (b_1, …, b_K) in seconds and ``zone_weights`` = (W_1, …, W_K); 0 beyond b_K. The
      first zone includes t = 0.

    ``catchment=None`` means every given time is within reach (the matrix already holds only reachable
    pairs); the ``linear`` and ``gaussian`` decays need a catchment.
    """
    t = np.asarray(t, dtype=float)
    if decay not in DECAYS:
        raise InputError("access.unknown_decay", decay=repr(decay), decays=", ".join(DECAYS))
    if decay == "zones":
        b = np.asarray(zones, dtype=float)
        wz = np.asarray(zone_weights, dtype=float)
        if b.size == 0 or b.size != wz.size or np.any(np.diff(b) <= 0) or b[0] <= 0:
            raise InputError("access.bad_zones", bounds=len(b), weights=len(wz))
        k = np.searchsorted(b, t, side="left")  # t <= b_k  ->  zone k
        w = np.where(k < b.size, wz[np.minimum(k, b.size - 1)], 0.0)
    elif decay == "step":
        w = np.ones_like(t)
    else:
        if catchment is None:
            raise InputError("access.needs_catchment", decay=repr(decay))
        d0 = np.broadcast_to(np.asarray(catchment, dtype=float), t.shape)
        x = np.divide(t, d0, out=np.full_like(t, np.inf), where=d0 > 0)
        if decay == "linear":
            w = 1.0 - x
        else:
            e = np.exp(-0.5)
            w = (np.exp(-0.5 * x * x) - e) / (1.0 - e)
    if catchment is not None:
        w = np.where(t <= np.asarray(catchment, dtype=float), w, 0.0)
    return np.clip(w, 0.0, None)


def two_step_fca(
    matrix: sp.spmatrix | sp.sparray,
    demand: np.ndarray,
    supply: np.ndarray,
    *,
    catchment: np.ndarray | float | None = None,
    decay: str = "step",
    zones: Sequence[float] = (),
    zone_weights: Sequence[float] = (),
) -> AccessResult:
    r"""Two-step floating catchment accessibility on a sparse demand × facility time matrix.

    Step 1, for each facility j, the supply-to-demand ratio over the demand that reaches it:

    .. math:: R_j = \frac{S_j}{\sum_i P_i \, w(t_{ij})}

    Step 2, for each demand point i, the sum of the ratios it reaches:

    .. math:: A_i = \sum_j R_j \, w(t_{ij})

    where t_ij is the walking time in ``matrix`` (a stored entry means reachable, whatever its value,
    zero included), P_i the population of the group the supply serves, S_j the capacity (beds,
    childcare places) and w the decay of `decay_weights`, with w = 0 beyond the catchment d0. A
    per-point catchment (urban 15 min, rural 20 min) gives the variable-catchment variant: a pair
    counts when t_ij ≤ d0_i, in both steps. Facilities nobody reaches get R_j = NaN and add nothing.

    With the step decay, Σ_i P_i A_i = Σ_j S_j over facilities with reached demand: the supply is
    shared out, not created. A_i × 1,000 compares with a "per 1,000" standard (beds per 1,000
    elderly, childcare places per 1,000 residents).

    Parameters
    ----------
    matrix
        scipy.sparse (n_demand × n_facility) of walking seconds; explicit entries only where reachable.
    demand
        P_i, population per demand point (n_demand,), ≥ 0.
    supply
        S_j, capacity per facility (n_facility,), ≥ 0; NaN is an error (fill unknown capacity first).
    catchment
        d0 in seconds, scalar or per demand point; None accepts every stored entry.
    decay, zones, zone_weights
        See `decay_weights`. For ``zones`` without explicit weights, `E2SFCA_WEIGHTS` are used for
        three zones.

    Returns
    -------
    AccessResult
    """
    m = _canonical(matrix)
    n, k = m.shape
    p = _vector(demand, n, "demand")
    s = _vector(supply, k, "supply")
    if decay == "zones" and not zone_weights and len(zones) == len(E2SFCA_WEIGHTS):
        zone_weights = E2SFCA_WEIGHTS
    d0 = _catchment(catchment, n)
    rows = np.repeat(np.arange(n), np.diff(m.indptr))
    d0_entries = None if d0 is None else (d0[rows] if d0.ndim == 1 else float(d0))
    w = decay_weights(m.data, d0_entries, decay, zones=zones, zone_weights=zone_weights)
    wm = sp.csr_array((w, m.indices, m.indptr), shape=m.shape)
    reach = wm.T @ p  # Σ_i P_i w_ij
    ratio = np.divide(s, reach, out=np.full(k, np.nan), where=reach > 0)
    access = wm @ np.nan_to_num(ratio, nan=0.0)
    return AccessResult(
        access=access,
        ratio=ratio,
        demand_in_reach=reach,
        decay=decay,
        assumptions=(_decay_assumption(decay, zones, zone_weights),),
    )


def _catchment(catchment: np.ndarray | float | None, n: int) -> np.ndarray | None:
    """``catchment`` as an array of seconds (scalar or one per demand point), or None."""
    if catchment is None:
        return None
    d0 = np.asarray(catchment, dtype=float)
    if d0.ndim == 1 and d0.shape[0] != n:
        raise InputError("access.catchment_count", size=d0.shape[0], n=n)
    if np.any(~np.isfinite(d0)) or np.any(d0 <= 0):
        raise InputError("access.bad_catchment")
    return d0


def _canonical(matrix: sp.spmatrix | sp.sparray) -> sp.csr_array:
    """CSR with sorted indices and one entry per pair (the shortest time where pairs repeat)."""
    if not sp.issparse(matrix):
        raise InputError("access.not_sparse")
    if matrix.format == "csr":
        m = sp.csr_array(matrix)
        if m.has_canonical_format:
            _check_times(m.data)
            return m
    coo = sp.coo_array(matrix)  # keeps repeated pairs apart (converting COO to CSR would add them)
    _check_times(coo.data)
    order = np.lexsort((coo.data, coo.col, coo.row))
    r, c, d = coo.row[order], coo.col[order], coo.data[order]
    first = np.ones(r.size, dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    indptr = np.zeros(coo.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(r[first], minlength=coo.shape[0]), out=indptr[1:])
    out = sp.csr_array((d[first], c[first], indptr), shape=coo.shape)
    out.has_canonical_format = True
    return out


def _check_times(data: np.ndarray) -> None:
    if data.size and (np.any(~np.isfinite(data)) or data.min() < 0):
        raise InputError("access.bad_times")


def _vector(x: np.ndarray, size: int, what: str) -> np.ndarray:
    """``x`` as floats, one per row of a matrix side; ``what`` is ``demand`` or ``supply``."""
    name = Msg(f"access.what.{what}")
    v = np.asarray(x, dtype=float).reshape(-1)
    if v.size != size:
        raise InputError("access.vector_size", what=name, size=v.size, side=size)
    bad = np.flatnonzero(~np.isfinite(v) | (v < 0))
    if bad.size:
        raise InputError("access.vector_bad", what=name, rows=", ".join(map(str, bad[:5])))
    return v


def _decay_assumption(decay: str, zones: Sequence[float], zone_weights: Sequence[float]) -> Assumption:
    if decay == "zones":
        spec = ", ".join(f"≤{b / 60:g} min: {w:g}" for b, w in zip(zones, zone_weights, strict=False))
        return Assumption(
            "access.decay",
            f"zones ({spec})",
            "",
            msg=Msg("access.decay.zones", spec=spec),
            source="Luo & Qi 2009 (weights 1.00/0.68/0.22 by default)",
        )
    return Assumption("access.decay", decay, "", msg=Msg(f"access.decay.{decay}"))
