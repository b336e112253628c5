"""Explanations of a siting result: who each site brings into reach, where they live, how far they walk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...geodata.schema import GROUPS
from .problem import SitingProblem
from .result import SitingResult

#: Admin columns of the demand table used to say where the people live, finest last.
ADMIN = ("street", "community")


def explain(problem: SitingProblem, result: SitingResult, *, top: int = 3) -> SitingResult:
    """Fill ``result.sites_table`` and ``result.indicators`` (in place) and return ``result``.

    For every chosen site, in the result's marginal-gain order, the demand it newly brings
    into reach is the demand no existing or fixed site reaches and no earlier site in the
    order reaches. The table gives that demand by population group, the number of streets and
    communities it lives in with the ``top`` largest, the population-weighted median and 90th
    percentile of its walk to the site, and the load on the site (demand whose nearest open
    site it is, or the need assigned to it by a capacitated model) against its capacity.

    Parameters
    ----------
    problem
        The instance solved.
    result
        The result to explain.
    top
        How many communities to name per site.
    """
    sites = np.asarray(result.sites, dtype=np.int64)
    k = len(sites)
    table = _group_table(problem)
    n = problem.n_demand
    first = np.full(n, -1, dtype=np.int64)
    t_first = np.full(n, np.nan)
    if k:
        sub = problem.cover[:, sites].tocsr()
        sub.sort_indices()
        has = np.diff(sub.indptr) > 0
        rows = np.flatnonzero(has & ~problem.base_covered)
        first[rows] = sub.indices[sub.indptr[rows]]
        if problem.times is not None:
            tsub = problem.times[:, sites].tocsr()
            tsub.sort_indices()
            t_first[rows] = tsub.data[tsub.indptr[rows]]
    out = pd.DataFrame(
        {
            "rank": np.arange(1, k + 1),
            "site": result.site_ids[:k] if k else np.array([], dtype=object),
            "candidate": sites,
            "gain": result.gains[:k] if len(result.gains) >= k else np.full(k, np.nan),
        }
    )
    sel = first >= 0
    for col in table.columns:
        out[f"new_{col}"] = np.bincount(first[sel], weights=table[col].to_numpy()[sel], minlength=k)[:k]
    wsel = problem.weights[sel]
    q = _weighted_quantiles(first[sel], t_first[sel], wsel, (0.5, 0.9), k)
    out["walk_median_min"] = q[:, 0] / 60.0
    out["walk_p90_min"] = q[:, 1] / 60.0
    if problem.demand is not None:
        for level in ADMIN:
            if level in problem.demand.columns:
                names = problem.demand[level].astype(str).to_numpy()[sel]
                n_units, tops = _top_units(first[sel], names, wsel, k, top)
                out[f"n_{level}"] = n_units
                out[f"top_{level}"] = tops
    load = _load(problem, result, sites)
    out["load"] = load
    cap = problem.capacity[sites] if problem.capacity is not None and k else np.full(k, np.nan)
    out["capacity"] = cap
    with np.errstate(divide="ignore", invalid="ignore"):
        out["capacity_used"] = np.where(cap > 0, load / cap, np.nan)
    result.sites_table = out
    result.indicators = indicators(problem, result.covered_before, result.covered_after)
    return result


def indicators(problem: SitingProblem, before: np.ndarray, after: np.ndarray) -> pd.DataFrame:
    """Coverage share by population group before and after, plus the people newly reached."""
    table = _group_table(problem)
    rows = []
    for col in table.columns:
        v = table[col].to_numpy()
        total = float(v.sum())
        if total <= 0 and col != "weight":
            continue  # a group the demand table does not know
        b, a = float(v[before].sum()), float(v[after].sum())
        rows.append(
            {
                "group": col,
                "total": total,
                "covered_before": b,
                "covered_after": a,
                "share_before": b / total if total else np.nan,
                "share_after": a / total if total else np.nan,
                "newly_covered": a - b,
                "uncoverable": float(v[~problem.coverable].sum()),
            }
        )
    return pd.DataFrame(rows)


def _group_table(problem: SitingProblem) -> pd.DataFrame:
    """Per-demand population groups from the demand table, and the model weight."""
    cols = {}
    if problem.demand is not None:
        for g in GROUPS:
            if g in problem.demand.columns:
                cols[g] = pd.to_numeric(problem.demand[g], errors="coerce").fillna(0.0).to_numpy(float)
    cols["weight"] = problem.weights
    return pd.DataFrame(cols)


def _load(problem: SitingProblem, result: SitingResult, sites: np.ndarray) -> np.ndarray:
    """Demand served by each site: assigned need, or weight whose nearest open site it is."""
    k = len(sites)
    if k == 0:
        return np.zeros(0)
    if result.assignment is not None and len(result.assignment):
        asg = result.assignment
        pos = pd.Series(np.arange(k), index=sites)
        m = asg["candidate"].map(pos)
        ok = m.notna().to_numpy()
        return np.bincount(m[ok].astype(int), weights=asg["amount"].to_numpy()[ok], minlength=k)[:k]
    open_ = np.concatenate([sites, problem.fixed])
    src = problem.times if problem.times is not None else problem.cover
    sub = sp.csr_matrix(src[:, open_])
    if problem.times is None:
        sub.data = np.ones(len(sub.data))
    rows = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
    keep = ~problem.existing_covered[rows]
    order = np.lexsort((sub.data[keep], rows[keep]))
    r, c = rows[keep][order], sub.indices[keep][order]
    firsts = np.r_[True, r[1:] != r[:-1]] if len(r) else np.zeros(0, dtype=bool)
    nearest_r, nearest_c = r[firsts], c[firsts]
    ok = nearest_c < k
    return np.bincount(nearest_c[ok], weights=problem.weights[nearest_r[ok]], minlength=k)[:k]


def _weighted_quantiles(
    group: np.ndarray, values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...], n_groups: int
) -> np.ndarray:
    """Weighted quantiles of ``values`` per group (NaN for empty groups or missing values)."""
    out = np.full((n_groups, len(qs)), np.nan)
    ok = np.isfinite(values)
    group, values, weights = group[ok], values[ok], weights[ok]
    if len(group) == 0:
        return out
    w = np.where(weights > 0, weights, 0.0)
    if w.sum() == 0:
        w = np.ones_like(w)
    order = np.lexsort((values, group))
    g, v, w = group[order], values[order], w[order]
    cw = np.cumsum(w)
    starts = np.searchsorted(g, np.arange(n_groups), side="left")
    ends = np.searchsorted(g, np.arange(n_groups), side="right")
    base = np.where(starts > 0, cw[np.maximum(starts - 1, 0)], 0.0)
    total = np.where(ends > starts, cw[np.maximum(ends - 1, 0)] - base, 0.0)
    for qi, q in enumerate(qs):
        target = base + q * total
        pos = np.searchsorted(cw, target - 1e-12 * np.maximum(total, 1.0), side="left")
        pos = np.clip(pos, starts, np.maximum(ends - 1, starts))
        out[:, qi] = np.where(ends > starts, v[np.minimum(pos, len(v) - 1)], np.nan)
    return out


def _top_units(
    group: np.ndarray, names: np.ndarray, weights: np.ndarray, k: int, top: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per site: number of distinct admin units, and the ``top`` largest by weight as text."""
    if len(group) == 0:
        return np.zeros(k, dtype=np.int64), np.full(k, "", dtype=object)
    df = pd.DataFrame({"site": group, "unit": names, "w": weights})
    df = df[df["unit"].ne("") & df["unit"].ne("nan")]
    agg = df.groupby(["site", "unit"], sort=False)["w"].sum().reset_index()
    count = agg.groupby("site").size().reindex(range(k), fill_value=0).to_numpy()
    agg = agg.sort_values(["site", "w", "unit"], ascending=[True, False, True])
    agg["label"] = agg["unit"] + " (" + agg["w"].round(0).astype(int).astype(str) + ")"
    text = agg.groupby("site").head(top).groupby("site")["label"].agg("; ".join)
    return count, text.reindex(range(k), fill_value="").to_numpy(dtype=object)
