"""Capacitated assignment blocks: need assigned within reach and capacity, decoded into a result.

Shared by `CapacitatedCoverage` and `JointSiting` (one block per service with capacities).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ...geodata.common import InputError, Msg
from ._builder import ModelBuilder, entry_rows
from ._highs import INF, HighsSettings
from ._matrix import cover_pattern
from ._reduce import group_identical_rows
from ._solve import Outcome, Picked, explained_result
from .problem import SitingProblem
from .result import SitingResult

#: Total capacity at or below this counts as none (units of need).
NO_CAPACITY = 1e-9


def check_capacities(pb: SitingProblem, what: Msg) -> None:
    """Raise `InputError` when no candidate, or no existing site, can take any need.

    A plan whose candidates all have capacity 0 can only ever be "optimal with 0 sites"; the
    same zeros on every existing site usually mean an empty capacity column read as 0.
    ``what`` names the model (and service) for the message.
    """
    if pb.capacity is not None and float(pb.capacity.sum()) <= NO_CAPACITY:
        raise InputError("siting.capacity.candidates_zero", what=what)
    ex = pb.existing_capacity
    if ex is not None and len(ex) and float(ex.sum()) <= NO_CAPACITY:
        raise InputError("siting.capacity.existing_zero", what=what)


@dataclass
class CapBlock:
    """Where one service's assignment variables sit in a `ModelBuilder`, for decoding."""

    rows: np.ndarray  # original demand index of each kept demand point
    group: np.ndarray  # reduced row of each kept demand point
    need: np.ndarray  # need of each kept demand point
    group_need: np.ndarray  # need of each reduced row
    z_cand: int  # first column of candidate pairs
    cand_row: np.ndarray  # reduced row of each candidate pair
    cand_col: np.ndarray  # candidate of each candidate pair
    z_exist: int  # first column of existing pairs
    ex_row: np.ndarray
    ex_col: np.ndarray
    offset: float  # need served by an existing mask (counted as covered)
    scale: float
    stats: dict


def capacitated_block(mb: ModelBuilder, pb: SitingProblem, x_cols: np.ndarray, *, scale: float) -> CapBlock:
    """Add one service's assignment columns and rows; objective weight ``scale`` per unit of need."""
    cover = pb.cover
    need = pb.weights
    ex = None
    if pb.existing_reach is not None:
        ex = cover_pattern(pb.existing_reach, pb.threshold_s)
        ok_cap = pb.existing_capacity > 0
        ex = ex[:, np.flatnonzero(ok_cap)].tocsr() if not ok_cap.all() else ex
        ex_cap = pb.existing_capacity[pb.existing_capacity > 0]
    served_by_mask = pb.existing_covered if pb.existing_reach is None else np.zeros(pb.n_demand, bool)
    cap_ok = np.zeros(pb.n_candidates, bool) if pb.capacity is None else pb.capacity > 0
    cand = cover[:, np.flatnonzero(cap_ok)] if not cap_ok.all() else cover
    reach_any = np.diff(cand.tocsr().indptr) > 0
    if ex is not None:
        reach_any |= np.diff(ex.indptr) > 0
    keep = (need > 0) & ~served_by_mask & reach_any
    rows = np.flatnonzero(keep)
    pat = cover[rows][:, np.flatnonzero(cap_ok)].tocsr() if not cap_ok.all() else cover[rows].tocsr()
    cand_ids = np.flatnonzero(cap_ok)
    full = pat if ex is None else sp.hstack([pat, ex[rows]], format="csr")
    rep = group_identical_rows(full) if len(rows) > 1 else np.arange(len(rows))
    uniq, group = np.unique(rep, return_inverse=True)
    group_need = np.bincount(group, weights=need[rows], minlength=len(uniq))
    red = pat[uniq].tocsr()
    n_r = len(uniq)
    cr, cc = entry_rows(red), cand_ids[red.indices]
    z_c = mb.add_cols(len(cr), cost=scale, hi=INF)
    # demand rows: Σ_j z_ij + Σ_k z_ik ≤ d_i
    dr = [cr]
    dc = [z_c + np.arange(len(cr))]
    er = ec = np.zeros(0, dtype=np.int64)
    z_e = mb.n_col
    if ex is not None:
        rex = ex[rows][uniq].tocsr()
        er, ec = entry_rows(rex), rex.indices
        z_e = mb.add_cols(len(er), cost=scale, hi=INF)
        dr.append(er)
        dc.append(z_e + np.arange(len(er)))
    mb.add_rows(n_r, np.concatenate(dr), np.concatenate(dc), 1.0, hi=group_need)
    # candidate capacity rows: Σ_i z_ij − Q_j x_j ≤ 0
    n_c = pb.n_candidates
    cap = np.zeros(n_c) if pb.capacity is None else pb.capacity
    mb.add_rows(
        n_c,
        np.r_[cc, np.arange(n_c)],
        np.r_[z_c + np.arange(len(cr)), x_cols],
        np.r_[np.ones(len(cr)), -cap],
        hi=0.0,
    )
    if ex is not None:
        mb.add_rows(ex.shape[1], ec, z_e + np.arange(len(er)), 1.0, hi=ex_cap)
    # strengthening: z_ij − d_i x_j ≤ 0
    k = np.arange(len(cr))
    mb.add_rows(
        len(cr), np.r_[k, k], np.r_[z_c + k, x_cols[cc]], np.r_[np.ones(len(cr)), -group_need[cr]], hi=0.0
    )
    stats = {
        "demand": pb.n_demand,
        "candidates": pb.n_candidates,
        "rows_start": len(rows),
        "rows_reduced": n_r,
        "pairs": len(cr),
        "existing_pairs": len(er),
    }
    return CapBlock(
        rows,
        group,
        need[rows],
        group_need,
        z_c,
        cr,
        cc,
        z_e,
        er,
        ec,
        float(need[served_by_mask].sum()) * scale,
        scale,
        stats,
    )


def decode_assignment(pb: SitingProblem, blk: CapBlock, x: np.ndarray) -> pd.DataFrame:
    """Assignment rows (demand, candidate or existing site, amount, seconds) from a solution."""
    zc = x[blk.z_cand : blk.z_cand + len(blk.cand_row)]
    ze = x[blk.z_exist : blk.z_exist + len(blk.ex_row)]
    parts = []
    for z, r, c, kind in (
        (zc, blk.cand_row, blk.cand_col, "candidate"),
        (ze, blk.ex_row, blk.ex_col, "existing"),
    ):
        ok = z > 1e-9
        if not ok.any():
            continue
        r, c, z = r[ok], c[ok], z[ok]
        # expand merged rows to their demand points, in proportion to need
        order = np.argsort(blk.group, kind="stable")
        g_sorted = blk.group[order]
        starts = np.searchsorted(g_sorted, r, side="left")
        ends = np.searchsorted(g_sorted, r, side="right")
        cnt = ends - starts
        idx = np.repeat(starts - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())
        mem = order[idx]
        share = blk.need[mem] / blk.group_need[blk.group[mem]]
        dem = blk.rows[mem]
        amount = np.repeat(z, cnt) * share
        site = np.repeat(c, cnt)
        parts.append(pd.DataFrame({"demand": dem, kind: site, "amount": amount}))
    if not parts:
        return pd.DataFrame({"demand": [], "candidate": [], "existing": [], "amount": [], "seconds": []})
    out = pd.concat(parts, ignore_index=True)
    for col in ("candidate", "existing"):
        if col not in out:
            out[col] = np.nan
    out["seconds"] = _pair_seconds(pb, out)
    return out[["demand", "candidate", "existing", "amount", "seconds"]]


def _pair_seconds(pb: SitingProblem, asg: pd.DataFrame) -> np.ndarray:
    """Walking seconds of each assignment row (NaN for a boolean matrix)."""
    out = np.full(len(asg), np.nan)
    for col, mat in (("candidate", pb.reach), ("existing", pb.existing_reach)):
        if mat is None or mat.dtype == np.bool_:
            continue
        ok = asg[col].notna().to_numpy()
        if ok.any():
            r = asg["demand"].to_numpy()[ok].astype(np.int64)
            c = asg[col].to_numpy()[ok].astype(np.int64)
            out[ok] = np.asarray(mat[r, c]).ravel()
    return out


def finish_capacitated(
    pb: SitingProblem, model: str, opened: np.ndarray, x: np.ndarray, blk: CapBlock, out: Outcome, t0: float
) -> SitingResult:
    """Build the result of a capacitated model: sites ordered by need assigned to them."""
    asg = decode_assignment(pb, blk, x)
    new = np.setdiff1d(opened, pb.fixed)
    load = (
        asg.loc[asg["candidate"].notna()].groupby("candidate")["amount"].sum()
        if len(asg)
        else pd.Series(dtype=float)
    )
    gains = load.reindex(new.astype(float)).fillna(0.0).to_numpy(dtype=float)
    order = np.lexsort((new, -gains))
    served = np.bincount(
        asg["demand"].to_numpy(np.int64), weights=asg["amount"].to_numpy(), minlength=pb.n_demand
    )
    full = served >= pb.weights * (1 - 1e-6)
    before = pb.existing_covered.copy() if pb.existing_reach is None else np.zeros(pb.n_demand, bool)
    if pb.existing_reach is not None and len(asg):
        ex_only = asg[asg["existing"].notna()]
        s_ex = np.bincount(
            ex_only["demand"].to_numpy(np.int64), weights=ex_only["amount"].to_numpy(), minlength=pb.n_demand
        )
        before = s_ex >= pb.weights * (1 - 1e-6)
    after = before | (full & (pb.weights > 0))
    picked = Picked(new[order], gains[order], before, after, asg)
    return explained_result(pb, model, picked, out, t0)


def site_limits(
    mb: ModelBuilder, pb: SitingProblem, x_cols: np.ndarray, p: int | None, budget: float | None
) -> None:
    """Add the count and budget rows over new (non-fixed) sites."""
    free = np.ones(pb.n_candidates, bool)
    free[pb.fixed] = False
    cols = x_cols[free]
    if p is not None:
        if int(p) < 0:
            raise InputError("siting.negative_p", p=p)
        mb.add_rows(1, np.zeros(len(cols), np.int64), cols, 1.0, hi=float(p))
    if budget is not None:
        if not (budget >= 0 and math.isfinite(budget)):
            raise InputError("siting.bad_budget", budget=budget)
        mb.add_rows(1, np.zeros(len(cols), np.int64), cols, pb.cost[free], hi=float(budget))


def greedy_capacitated(pb: SitingProblem, blk: CapBlock, p: int | None, budget: float | None) -> np.ndarray:
    """Open sites one by one by the need they can take: ``min(capacity, unmet need in reach)``."""
    n_r = len(blk.group_need)
    rem = blk.group_need.copy()
    a = sp.csc_matrix(
        (np.ones(len(blk.cand_row)), (blk.cand_row, blk.cand_col)), shape=(n_r, pb.n_candidates)
    )
    a.sum_duplicates()
    opened = np.zeros(pb.n_candidates, bool)
    opened[pb.fixed] = True
    cap = pb.capacity
    for j in pb.fixed:
        rem = _take(a, j, cap[j], rem)
    spent = 0.0
    limit = pb.n_candidates if p is None else int(p)
    for _ in range(limit):
        pot = np.minimum(cap, np.asarray(a.T @ rem).ravel())
        pot[opened] = -1.0
        if budget is not None:
            fits = pb.cost <= budget - spent + 1e-9
            pot = np.where(fits, pot / np.maximum(pb.cost, 1e-12), -1.0)
        j = int(np.argmax(pot))
        if pot[j] <= 1e-12:
            break
        opened[j] = True
        spent += float(pb.cost[j])
        rem = _take(a, j, cap[j], rem)
    return opened


def _take(a: sp.csc_matrix, j: int, cap: float, rem: np.ndarray) -> np.ndarray:
    """Serve unmet need in reach of ``j`` up to ``cap``, proportionally."""
    rows = a.indices[a.indptr[j] : a.indptr[j + 1]]
    tot = rem[rows].sum()
    if tot <= 0:
        return rem
    rem = rem.copy()
    rem[rows] *= max(0.0, 1.0 - cap / tot)
    return rem


def complete_start(
    mb: ModelBuilder, x_cols: np.ndarray, opened: np.ndarray, fix: dict[int, float], threads: int
) -> np.ndarray | None:
    """Best assignment for a fixed set of open sites (an LP), as a full MIP start."""
    pins = dict(fix)
    pins.update({int(c): float(o) for c, o in zip(x_cols, opened, strict=True)})
    sol = mb.solve(
        maximize=True, relax=True, fix=pins, settings=HighsSettings(time_limit=30.0, threads=threads)
    )
    if sol.x is None:
        return None
    x = sol.x.copy()
    x[x_cols] = opened.astype(float)
    return x
