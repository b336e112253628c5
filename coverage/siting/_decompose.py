r"""A bound stronger than the LP for large maximal covering problems: Lagrangian decomposition by region.

On city-scale MCLPs the LP relaxation is the weak side of the proof: it spreads fractions of
sites over every neighbourhood, and neither reduced-cost fixing nor cutting planes move it. The
integrality it misses is *local*, so the instance is cut into regions, each region's part is
solved as a small MIP, and the pieces are put back together with prices that make the sum a
valid upper bound.

Model. Partition the (reduced) demand rows into regions :math:`D_1, \dots, D_K` and let
:math:`N_k` be the candidates reaching some row of :math:`D_k`. Give every region its own copy
:math:`z^k_j` of the site variables :math:`x_j, j \in N_k`, and price the copies with
multipliers :math:`\mu_{kj}` for the relaxed links :math:`z^k_j = x_j`:

.. math::

    U(\mu) = \max_{x \in \{0,1\}^J,\ \sum_j x_j \le p} \ \sum_j x_j \sum_{k : j \in N_k} \mu_{kj}
             \;+\; \sum_{k=1}^{K} S_k(\mu),

    S_k(\mu) = \max_{z \in \{0,1\}^{N_k},\ 0 \le y \le 1}
               \Big\{ \sum_{i \in D_k} w_i y_i - \sum_{j \in N_k} \mu_{kj} z_j
               \;:\; y_i \le \sum_{j \in N_k} a_{ij} z_j \ \ \forall i \in D_k \Big\}.

For **any** :math:`\mu`, :math:`U(\mu)` is at least the MCLP optimum (put :math:`z^k = x` for an
optimal :math:`x`), and it stays valid when each :math:`S_k` is replaced by any upper bound on
it — a MIP dual bound at a time limit, or its Lagrangian value.

Prices. With LP row duals :math:`\lambda` (`mclp_lp`), column scores
:math:`s_j = \sum_i a_{ij}\lambda_i`, regional scores :math:`s_{kj} = \sum_{i \in D_k} a_{ij}
\lambda_i` and :math:`\tau` the ``p``-th largest score, each candidate's price :math:`\tau` is
split over the regions in proportion to the score it earns there,
:math:`\mu_{kj} = \tau\, s_{kj} / s_j` (all of it in the region holding most of its rows when
:math:`s_j = 0`). Then the master term is :math:`p\tau` and, with every :math:`S_k` at its LP
value, :math:`U(\mu)` equals the LP bound exactly; solving the :math:`S_k` as MIPs takes off
the integrality gap of every region. The regions come from METIS on the weighted overlap graph
:math:`A^\top \operatorname{diag}(w) A` (few candidates are shared between regions) and each row
goes to the region holding most of its candidates.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._highs import INF, HighsSettings, Milp, solve_milp
from ._procs import can_fork, default_workers

#: Reduced rows per region. On the 100,000 × 10,000 benchmark (two cores, 5 s per region),
#: seed 7: 400 rows per region took 15 s and 0.17 points off the LP gap (every region
#: optimal), 600 rows 29 s and 0.20 points (3 of 23 regions stopped at their limit), 800 rows
#: 34 s and 0.06 points (most stopped); seed 1: 250 rows 9 s and 0.07 points, 400 rows 16 s
#: and 0.17 points (all optimal), 600 rows 25 s and 0.11 points (7 of 22 regions not reached).
#: Regions of 600 rows and more are too hard on some seeds; a second price round of 400-row
#: regions gave nothing more.
ROWS_PER_REGION = 400

#: Step factor :math:`\theta` of the price rounds. Seed 1 of the 100,000 × 10,000 benchmark,
#: 400-row regions, lower = 2,877,045 (an LNS answer): the second round moved the bound by
#: +557 with 0.5, −922 with 0.08, −1,299 with 0.15. With lower = the greedy-level start the
#: large path passes (about 3 % under the LP bound), 0.06 moved it by −1,104, −694 and −667
#: on seeds 1, 2 and 3 (each round 13–30 s on two cores).
PRICE_STEP = 0.06

#: HiGHS settings for the regional MIPs: only the dual bound is wanted, so no primal
#: heuristics (they took two thirds of the time), and presolve is skipped (it costs more than
#: it saves on these small models).
REGION_OPTIONS = {
    "presolve": "off",
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
}


@dataclass(frozen=True)
class DecompositionBound:
    r"""A valid upper bound on the covered weight from the regional decomposition.

    Attributes
    ----------
    bound
        :math:`U(\mu)`, an upper bound on the MCLP optimum of the (reduced) instance.
    lp_bound
        :math:`U(\mu)` with every region at its Lagrangian (LP) value: the LP bound.
    regions
        Number of regions :math:`K`.
    solved
        Regions whose MIP ran (the others count at their LP value).
    optimal
        Regions solved to optimality.
    shared
        Candidates that reach rows in more than one region.
    rounds
        Price rounds made.
    seconds
        Wall time.
    opened
        Per candidate, the share of its price paid in the regions whose MIP (of the best round)
        opened it, :math:`\sum_k z^k_j \mu_{kj} / \sum_k \mu_{kj}` (0 where no region ran):
        where the regions, each solved with integrality, want sites — a start for the search
        (`lagrangian_start`).
    starts
        The opened shares of every round whose regions all ran, in order (each one a start for
        the search; the prices of later rounds make the regions agree more on shared sites).
    """

    bound: float
    lp_bound: float
    regions: int
    solved: int
    optimal: int
    shared: int
    rounds: int
    seconds: float
    opened: np.ndarray
    starts: tuple[np.ndarray, ...] = ()


def partition_rows(
    a: sp.csc_matrix, weight: np.ndarray, n_regions: int, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Split the rows into ``n_regions`` regions with few candidates shared between them.

    Parameters
    ----------
    a
        Boolean coverage matrix (rows × candidates).
    weight
        Row weights (the overlap graph's edge weights are overlapping weight).
    n_regions
        Number of regions wanted.
    seed
        METIS seed.

    Returns
    -------
    row_region, col_region
        Region of each row (the region holding most of its candidates) and of each candidate
        (METIS's part).
    """
    import pymetis

    n_row, n_col = a.shape
    if n_regions <= 1 or n_col < 2 * n_regions:
        return np.zeros(n_row, dtype=np.int64), np.zeros(n_col, dtype=np.int64)
    af = a.astype(np.float64).tocsc()
    ov = (af.T @ sp.diags(np.maximum(weight, 1e-9)) @ af).tocsr()
    ov.setdiag(0)
    ov.eliminate_zeros()
    # METIS wants positive integer edge weights
    ew = np.maximum(1, np.round(1000.0 * ov.data / max(float(ov.data.max(initial=0.0)), 1e-300)))
    opts = pymetis.Options(seed=int(seed))
    _, parts = pymetis.part_graph(
        int(n_regions),
        adjacency=pymetis.CSRAdjacency(ov.indptr.astype(np.int64), ov.indices.astype(np.int64)),
        eweights=ew.astype(np.int64),
        options=opts,
    )
    col_region = np.asarray(parts, dtype=np.int64)
    a_csr = af.tocsr()
    rows = np.repeat(np.arange(n_row), np.diff(a_csr.indptr))
    counts = sp.csr_matrix(
        (np.ones(len(rows)), (rows, col_region[a_csr.indices])), shape=(n_row, int(n_regions))
    )
    row_region = np.asarray(counts.argmax(axis=1)).ravel().astype(np.int64)
    return row_region, col_region


@dataclass(frozen=True)
class RegionPrices:
    r"""The region–candidate pairs :math:`(k, j), j \in N_k`, their scores and prices.

    Pairs are sorted by region, then candidate, so each region's pairs form one slice.

    Attributes
    ----------
    region, col
        Region and candidate of each pair.
    score
        :math:`s_{kj}`.
    price
        :math:`\mu_{kj}`.
    start
        ``start[k]:start[k + 1]`` is region ``k``'s slice.
    tau
        The cardinality price :math:`\tau`.
    """

    region: np.ndarray
    col: np.ndarray
    score: np.ndarray
    price: np.ndarray
    start: np.ndarray
    tau: float


def region_prices(
    a: sp.csc_matrix, lam: np.ndarray, p: int, row_region: np.ndarray, n_regions: int
) -> RegionPrices:
    r"""Split each candidate's price :math:`\tau` over its regions: :math:`\mu_{kj} = \tau s_{kj} / s_j`.

    A candidate without score (:math:`s_j = 0`) pays all of :math:`\tau` in the region holding
    most of its rows.
    """
    n_row, n_col = a.shape
    a_csr = a.tocsr()
    rows = np.repeat(np.arange(n_row), np.diff(a_csr.indptr))
    key = row_region[rows].astype(np.int64) * n_col + a_csr.indices
    pairs, inv = np.unique(key, return_inverse=True)
    region, col = pairs // n_col, pairs % n_col
    score = np.bincount(inv, weights=lam[rows], minlength=len(pairs))
    hits = np.bincount(inv, minlength=len(pairs))
    s_col = np.bincount(col, weights=score, minlength=n_col)
    p = min(int(p), n_col)
    tau = max(float(np.partition(s_col, n_col - p)[n_col - p]), 0.0) if p else 0.0
    price = tau * np.divide(score, s_col[col], out=np.zeros(len(pairs)), where=s_col[col] > 0)
    idle = s_col[col] <= 0
    if idle.any():
        # the pair with most rows of each idle candidate (first in region order on ties)
        order = np.lexsort((-hits[idle], col[idle]))
        first = np.r_[True, np.diff(col[idle][order]) != 0]
        home = np.flatnonzero(idle)[order[first]]
        price[home] = tau
    start = np.searchsorted(region, np.arange(n_regions + 1))
    return RegionPrices(region, col, score, price, start, tau)


@dataclass(frozen=True)
class DecompositionSettings:
    r"""How the regional bound runs.

    Attributes
    ----------
    time_limit
        Seconds for the whole bound.
    region_seconds
        HiGHS time limit per region (its dual bound counts when it stops early).
    rows_per_region
        Target rows per region (default `ROWS_PER_REGION`); the number of regions is
        ``ceil(rows / rows_per_region)``.
    rounds
        Price rounds at most (each solves every region once).
    step
        Step factor :math:`\theta` of the price rounds (default `PRICE_STEP`).
    workers
        Processes (default: up to 2 usable CPUs).
    seed
        METIS seed.
    """

    time_limit: float = 60.0
    region_seconds: float = 5.0
    rows_per_region: int | None = None
    rounds: int = 1
    step: float | None = None
    workers: int | None = None
    seed: int = 0


def decomposition_bound(
    a: sp.csc_matrix, weight: np.ndarray, p: int, lam: np.ndarray, *, lower: float = 0.0, **settings: Any
) -> DecompositionBound:
    r"""Upper bound :math:`U(\mu)` on the MCLP optimum from regional MIPs (see the module text).

    Regions are solved largest Lagrangian value first, on ``workers`` processes; a region whose
    MIP did not run before ``time_limit`` counts at its Lagrangian value, so the bound is valid
    whenever it is returned, and never above the LP bound of the same multipliers.

    Later rounds move price between the regions sharing a candidate (a projected subgradient
    step that keeps :math:`\sum_k \mu_{kj} = \tau`): a region that opens :math:`j` pays more of
    it, one that does not pays less,

    .. math::

        \mu_{kj} \leftarrow \mu_{kj} + t \big(z^k_j - \bar z_j\big), \qquad
        \bar z_j = \operatorname{mean}_{k : j \in N_k} z^k_j, \qquad
        t = \theta \, \frac{U(\mu) - \text{lower}}{\lVert z - \bar z \rVert^2},

    and the best bound of all rounds is returned.

    Parameters
    ----------
    a
        Boolean CSC coverage matrix of the reduced instance.
    weight
        Row weights.
    p
        Number of sites.
    lam
        Row multipliers, typically the LP duals from `mclp_lp` (clipped to ``[0, w]``).
    lower
        Covered weight of a known solution (the step target of later rounds).
    **settings
        `DecompositionSettings` fields: ``time_limit``, ``region_seconds``,
        ``rows_per_region``, ``rounds``, ``workers``, ``seed``.

    Returns
    -------
    DecompositionBound
    """
    t0 = time.perf_counter()
    s = DecompositionSettings(**settings)
    w = np.asarray(weight, dtype=np.float64)
    lam = np.clip(np.asarray(lam, dtype=np.float64), 0.0, w)
    n_row, n_col = a.shape
    p = min(int(p), n_col)
    per_region = ROWS_PER_REGION if s.rows_per_region is None else int(s.rows_per_region)
    n_regions = max(1, math.ceil(n_row / max(per_region, 1)))
    row_region, _ = partition_rows(a, w, n_regions, seed=s.seed)
    pr = region_prices(a, lam, p, row_region, n_regions)
    master = p * pr.tau
    # Lagrangian value of every region at the starting prices: the LP bound in pieces
    row_part = np.bincount(row_region, weights=np.maximum(w - lam, 0.0), minlength=n_regions)
    lp_bound = master + float((row_part + _price_part(pr, pr.price)).sum())
    job = _Regions(a.astype(np.float64).tocsr(), w, row_region, pr, row_part)
    best, solved, optimal, done, shares = _price_rounds(job, master, lower, s, t0 + s.time_limit)
    return DecompositionBound(
        bound=best,
        lp_bound=lp_bound,
        regions=n_regions,
        solved=solved,
        optimal=optimal,
        shared=int((np.bincount(pr.col, minlength=n_col) > 1).sum()),
        rounds=done,
        seconds=time.perf_counter() - t0,
        opened=shares[0],
        starts=tuple(shares[1:]),
    )


@dataclass(frozen=True)
class _Regions:
    """The regional problems: coverage (CSR floats), row weights, row regions, prices, row terms."""

    a_csr: sp.csr_matrix
    w: np.ndarray
    row_region: np.ndarray
    pr: RegionPrices
    row_part: np.ndarray

    def lagrangian(self, price: np.ndarray) -> np.ndarray:
        """Each region's Lagrangian value at ``price`` (an upper bound on it for any prices)."""
        return self.row_part + _price_part(self.pr, price)


def _price_part(pr: RegionPrices, price: np.ndarray) -> np.ndarray:
    """Per region: the candidates' scores above their prices, summed."""
    n_regions = len(pr.start) - 1
    return np.bincount(pr.region, weights=np.maximum(pr.score - price, 0.0), minlength=n_regions)


def _price_rounds(
    job: _Regions, master: float, lower: float, s: DecompositionSettings, deadline: float
) -> tuple[float, int, int, int, list[np.ndarray]]:
    """Solve every region, move the shared candidates' prices, again.

    Returns the best bound, the regions solved and optimal in its round, the rounds made, and
    the candidates' opened shares of that round followed by those of every round whose regions
    all ran (see `DecompositionBound`).
    """
    pr = job.pr
    n_col = job.a_csr.shape[1]
    workers = default_workers() if s.workers is None else s.workers
    price = pr.price.copy()
    lagr = job.lagrangian(price)
    best_bound, solved, optimal, done = master + float(lagr.sum()), 0, 0, 0
    share, starts = np.zeros(n_col), []
    for _ in range(max(int(s.rounds), 1)):
        if deadline - time.perf_counter() < 0.5:
            break
        values, opened, status = _solve_regions(job, price, lagr, deadline, s.region_seconds, workers)
        ran = np.isfinite(values)
        bound = master + float(np.where(ran, np.minimum(values, lagr), lagr).sum())
        paid = np.bincount(pr.col, weights=np.maximum(price, 0.0), minlength=n_col)
        got = np.bincount(pr.col, weights=opened * np.maximum(price, 0.0), minlength=n_col)
        round_share = np.divide(got, paid, out=np.zeros(n_col), where=paid > 0)
        if ran.all():
            starts.append(round_share)
        if bound < best_bound:
            best_bound, solved, optimal = bound, int(ran.sum()), int((status == "optimal").sum())
            share = round_share
        done += 1
        # projected subgradient step on the prices of shared candidates
        mean = np.bincount(pr.col, weights=opened, minlength=n_col) / np.bincount(pr.col, minlength=n_col)
        g = opened - mean[pr.col]
        norm = float(g @ g)
        if not ran.all() or norm <= 0 or bound <= lower:
            break
        theta = PRICE_STEP if s.step is None else float(s.step)
        price = price + theta * (bound - lower) / norm * g
        # the regions' Lagrangian values at the new prices (valid for any prices)
        lagr = job.lagrangian(price)
    return best_bound, solved, optimal, done, [share, *starts]


def _solve_regions(
    job: _Regions, price: np.ndarray, lagr: np.ndarray, deadline: float, region_seconds: float, workers: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve every region once: its bound (``inf`` if not run), the pairs opened, the statuses."""
    global _SHARED
    pr = job.pr
    n_regions = len(pr.start) - 1
    order = np.argsort(-np.where(np.isfinite(lagr), lagr, 0.0), kind="stable")
    jobs = [(int(k), deadline, float(region_seconds)) for k in order]
    _SHARED = (job, price)
    try:
        if workers >= 2 and can_fork() and n_regions > 1:
            with mp.get_context("fork").Pool(int(workers)) as pool:
                outs = pool.map(_region_worker, jobs, chunksize=1)
        else:
            outs = [_region_worker(j) for j in jobs]
    finally:
        _SHARED = None
    values = np.full(n_regions, np.inf)
    status = np.full(n_regions, "skipped", dtype=object)
    opened = np.zeros(len(price))
    for k, value, st, z in outs:
        if value is None:
            continue
        values[k], status[k] = value, st
        opened[pr.start[k] : pr.start[k + 1]] = z
    return values, opened, status


#: The regions and prices of the running `decomposition_bound`, for forked workers.
_SHARED: tuple | None = None


def region_bound(
    sub: sp.csr_matrix, w: np.ndarray, price: np.ndarray, *, time_limit: float
) -> tuple[float, str, np.ndarray]:
    r"""Upper bound on :math:`S_k`, the prize-collecting cover of the rows of ``sub`` at prices ``price``.

    Free columns (price ≤ 0) are opened first and the rows they cover counted; the rest is
    solved by HiGHS, whose dual bound is returned (the optimum when the status is ``optimal``).

    Parameters
    ----------
    sub
        The region's coverage matrix (its rows × the candidates reaching them).
    w
        Row weights.
    price
        Column prices :math:`\mu_{kj}`.
    time_limit
        HiGHS seconds.

    Returns
    -------
    bound, status, opened
        The bound, HiGHS' status and the columns of its best solution (0/1 per column; the free
        ones opened).
    """
    sub = sp.csr_matrix(sub, dtype=np.float64)
    free = price <= 0
    opened = free.astype(np.float64)
    done = np.asarray(sub[:, free].sum(axis=1)).ravel() > 0 if free.any() else np.zeros(sub.shape[0], bool)
    value = float(w[done].sum() - price[free].sum())
    rest = np.flatnonzero(~free)
    sub = sub[~done][:, rest].tocsc()
    w = w[~done]
    keep = np.diff(sub.indptr) > 0
    sub, rest = sub[:, keep], rest[keep]
    n_r, n_c = sub.shape
    if n_r == 0:
        return value, "optimal", opened
    m = sp.hstack([-sub, sp.identity(n_r, format="csc")], format="csc")
    model = Milp(
        np.r_[-price[rest], w],
        m,
        np.full(n_r, -INF),
        np.zeros(n_r),
        np.zeros(n_c + n_r),
        np.ones(n_c + n_r),
        np.r_[np.ones(n_c, bool), np.zeros(n_r, bool)],
        maximize=True,
    )
    sol = solve_milp(model, HighsSettings(time_limit=time_limit, options=REGION_OPTIONS))
    if sol.x is not None:
        opened[rest] = np.round(sol.x[:n_c])
    if not math.isfinite(sol.bound):
        return math.inf, sol.status, opened
    return value + sol.bound, sol.status, opened


def _region_worker(job: tuple) -> tuple[int, float | None, str, np.ndarray | None]:
    """Solve one region before the deadline (the instance comes from the forked parent)."""
    k, deadline, seconds = job
    left = min(seconds, deadline - time.perf_counter())
    if left < 0.1:
        return k, None, "skipped", None
    job, price = _SHARED
    pr = job.pr
    rows = np.flatnonzero(job.row_region == k)
    sl = slice(pr.start[k], pr.start[k + 1])
    sub = job.a_csr[rows][:, pr.col[sl]]
    value, status, opened = region_bound(sub, job.w[rows], price[sl], time_limit=left)
    return k, value, status, opened
