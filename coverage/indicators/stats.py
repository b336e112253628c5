"""Population-weighted statistics of walking times and access: quantiles and the Gini coefficient.

Vectorized over segments (one segment per unit): the values are sorted once within each segment,
and every unit's quantiles and Gini come from cumulative sums.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...geodata.common import InputError


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Weighted quantile by the inverted CDF: the smallest value v with Σ_{x ≤ v} w ≥ q · Σ w.

    Non-finite values (no walking path) are left out, as in `weighted_gini`; NaN if the weights
    of the rest sum to zero.
    """
    v, w = _checked_pair(values, weights)
    ok = np.isfinite(v)
    v, w = v[ok], w[ok]
    order = np.argsort(v, kind="stable")
    starts, ends = np.array([0]), np.array([v.size])
    return float(seg_quantiles(v[order], w[order], starts, ends, (q,))[0, 0]) if v.size else float("nan")


def weighted_gini(values: np.ndarray, weights: np.ndarray) -> float:
    r"""Weighted Gini coefficient of non-negative ``values``.

    .. math:: G = \frac{\sum_i \sum_j w_i w_j |x_i - x_j|}{2 W^2 \bar{x}}, \quad W = \sum_i w_i,
              \ \bar{x} = \frac{1}{W}\sum_i w_i x_i

    computed in O(n log n) from the sorted values as Σ_k w_k x_k (2 C_k − w_k − W) / (W Σ_k w_k x_k),
    C_k the cumulative weight up to and including k. Non-finite values are left out. 0 when every
    value is equal; NaN when the weights sum to zero.
    """
    v, w = _checked_pair(values, weights)
    ok = np.isfinite(v)
    v, w = v[ok], w[ok]
    order = np.argsort(v, kind="stable")
    idx = np.zeros(v.size, dtype=np.int64)
    return float(seg_gini(v[order], w[order], idx, np.array([0]), np.array([v.size]))[0])


def _checked_pair(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, dtype=float).reshape(-1)
    w = np.asarray(weights, dtype=float).reshape(-1)
    if v.shape != w.shape:
        raise InputError("ind.stat.lengths", values=v.size, weights=w.size)
    if np.any(np.isnan(v)) or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise InputError("ind.stat.values")
    return v, w


def seg_quantiles(
    v: np.ndarray, w: np.ndarray, starts: np.ndarray, ends: np.ndarray, qs: Sequence[float]
) -> np.ndarray:
    """Weighted quantiles per segment [starts, ends) of values sorted within each segment."""
    cw = np.cumsum(w)
    cw0 = np.concatenate(([0.0], cw))
    off = cw0[starts]
    tot = cw0[ends] - off
    tol = np.minimum(1e-10 * np.abs(cw0[ends]), 1e-6 * tot)
    out = np.full((len(qs), starts.size), np.nan)
    has = tot > 0
    for k, q in enumerate(qs):
        pos = np.searchsorted(cw, off + q * tot - tol, side="left")
        pos = np.clip(pos, starts, np.maximum(ends - 1, starts))
        out[k, has] = v[pos[has]]
    return out


def seg_gini(
    v: np.ndarray, w: np.ndarray, idx: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Weighted Gini per segment of values sorted within each segment (``idx`` = segment of each value)."""
    g = starts.size
    cw0 = np.concatenate(([0.0], np.cumsum(w)))
    off = cw0[starts]
    tot = cw0[ends] - off
    c = cw0[1:] - off[idx]
    wx = w * v
    num = np.bincount(idx, wx * (2.0 * c - w - tot[idx]), minlength=g)
    sx = np.bincount(idx, wx, minlength=g)
    out = np.full(g, np.nan)
    pos = (tot > 0) & (sx > 0)
    out[pos] = num[pos] / (tot[pos] * sx[pos])
    out[(tot > 0) & (sx <= 0)] = 0.0
    return np.clip(out, 0.0, 1.0)
