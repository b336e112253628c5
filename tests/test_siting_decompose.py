"""The regional decomposition bound: valid, never above the LP bound, tighter where regions are integral."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from lifecircle.coverage.siting import MCLP, siting_problem
from lifecircle.coverage.siting._decompose import (
    decomposition_bound,
    partition_rows,
    region_bound,
    region_prices,
)
from lifecircle.coverage.siting._lagrange import mclp_lp


def geometric_instance(seed: int, n: int = 400, m: int = 60, side: float = 20.0, reach: float = 4.0):
    """Demand and candidates uniform in a square; a candidate covers the demand within ``reach``."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, side, (n, 2))
    cand = rng.uniform(0, side, (m, 2))
    d = np.hypot(*(pts[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    a = sp.csc_matrix(d <= reach)
    keep = np.diff(a.tocsr().indptr) > 0
    a = a[keep].tocsc()
    w = rng.integers(1, 30, a.shape[0]).astype(float)
    return a, w


def exact_mclp(a: sp.csc_matrix, w: np.ndarray, p: int) -> float:
    """The MCLP optimum by HiGHS (proved optimal)."""
    t = np.where(a.toarray(), 1.0, np.inf)
    res = MCLP(siting_problem(t, w, threshold_s=1.0), p).solve(method="exact", reduce=False)
    assert res.optimal
    return res.objective


def test_prices_split_tau_over_the_regions_of_each_candidate():
    a, w = geometric_instance(3)
    p = 6
    lp = mclp_lp(a, w, p)
    row_region, col_region = partition_rows(a, w, 5)
    assert set(np.unique(row_region)) <= set(range(5)) and len(np.unique(col_region)) == 5
    pr = region_prices(a, lp.lam, p, row_region, 5)
    # every candidate pays exactly tau in total, split over the regions it reaches
    total = np.bincount(pr.col, weights=pr.price, minlength=a.shape[1])
    assert np.allclose(total[np.bincount(pr.col, minlength=a.shape[1]) > 0], pr.tau)
    assert pr.tau == pytest.approx(np.sort(a.T @ lp.lam)[-p])
    # a pair (k, j) exists exactly when candidate j reaches a row of region k
    reach = (sp.csr_matrix((np.ones(a.shape[0]), (row_region, np.arange(a.shape[0])))) @ a).toarray() > 0
    rk, cj = np.nonzero(reach)
    assert sorted(zip(pr.region.tolist(), pr.col.tolist(), strict=True)) == sorted(
        zip(rk.tolist(), cj.tolist(), strict=True)
    )
    # each region's pairs are one slice
    for k in range(5):
        assert (pr.region[pr.start[k] : pr.start[k + 1]] == k).all()


@pytest.mark.parametrize("seed", range(4))
def test_bound_is_between_the_optimum_and_the_lp_bound(seed):
    a, w = geometric_instance(seed)
    p = 6
    best = exact_mclp(a, w, p)
    lp = mclp_lp(a, w, p)
    for rows_per_region, rounds, step in (
        (60, 1, None),
        (60, 3, None),
        (60, 3, 0.5),
        (150, 1, None),
        (10_000, 1, None),
    ):
        dec = decomposition_bound(
            a,
            w,
            p,
            lp.lam,
            lower=0.9 * best,
            rows_per_region=rows_per_region,
            rounds=rounds,
            step=step,
            workers=1,
        )
        assert dec.lp_bound == pytest.approx(lp.bound, rel=1e-9)
        assert best - 1e-6 <= dec.bound <= dec.lp_bound + 1e-6
        assert dec.solved == dec.regions == max(1, -(-a.shape[0] // rows_per_region))
        # one start per round whose regions all ran, each a share per candidate
        assert len(dec.starts) == dec.rounds
        assert all(((o >= 0) & (o <= 1 + 1e-9)).all() for o in dec.starts)


def test_regional_mips_take_off_integrality_gap():
    # seed 1, p = 8: optimum 5,301, LP bound 5,339 (0.7 % above)
    a, w = geometric_instance(1)
    p = 8
    best = exact_mclp(a, w, p)
    lp = mclp_lp(a, w, p)
    assert best == 5301 and lp.bound == pytest.approx(5339.0, abs=0.5)
    # one region of everything: only the cardinality row is priced; most of the gap goes
    whole = decomposition_bound(a, w, p, lp.lam, rows_per_region=10_000, workers=1)
    assert whole.regions == 1
    assert best - 1e-6 <= whole.bound < lp.bound - 0.5 * (lp.bound - best)
    # five regions (on two processes) still take some of it off
    regions = decomposition_bound(a, w, p, lp.lam, rows_per_region=80, workers=2)
    assert regions.regions == 5 and regions.optimal == 5
    assert best - 1e-6 <= regions.bound < lp.bound - 5.0


def test_opened_share_of_one_region_is_its_mip_answer():
    """One region: every candidate pays all of tau there, so the bound is the region MIP's value.

    With the MIP's sites :math:`Z` (``opened`` = 1), :math:`U = p\tau + w(\text{covered by } Z) -
    \tau |Z|`, at least the optimum and at most the LP bound.
    """
    a, w = geometric_instance(1)
    p = 8
    best = exact_mclp(a, w, p)
    lp = mclp_lp(a, w, p)
    dec = decomposition_bound(a, w, p, lp.lam, rows_per_region=10_000, workers=1)
    assert dec.regions == dec.optimal == 1
    assert set(np.unique(dec.opened).tolist()) <= {0.0, 1.0}
    z = np.flatnonzero(dec.opened)
    tau = np.sort(a.T @ np.clip(lp.lam, 0, w))[-p]
    covered = float(w[np.asarray(a[:, z].sum(axis=1)).ravel() > 0].sum())
    assert dec.bound == pytest.approx(p * tau + covered - tau * len(z), rel=1e-6)
    assert best - 1e-6 <= dec.bound <= lp.bound + 1e-6
    # several regions: shares between 0 and 1, some candidate opened
    dec5 = decomposition_bound(a, w, p, lp.lam, rows_per_region=80, workers=1)
    assert ((dec5.opened >= 0) & (dec5.opened <= 1 + 1e-9)).all() and dec5.opened.max() > 0


def test_no_time_leaves_the_lp_bound():
    a, w = geometric_instance(2)
    lp = mclp_lp(a, w, 6)
    dec = decomposition_bound(a, w, 6, lp.lam, time_limit=0.0, rows_per_region=60, workers=1)
    assert dec.solved == 0
    assert dec.bound == pytest.approx(lp.bound, rel=1e-9)


def test_region_bound_by_hand():
    """Three houses (10, 20, 30) on a street, sites A (houses 0, 1), B (1, 2), C (2) at prices.

    A costs 25 and brings 30; B costs 40 and brings 50; C is free. Best: C (30 for free),
    then A (10 + 20 for 25): 30 + 30 − 25 = 35; B only adds house 1 once C is open.
    """
    sub = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]], dtype=float))
    w = np.array([10.0, 20.0, 30.0])
    value, status, opened = region_bound(sub, w, np.array([25.0, 40.0, 0.0]), time_limit=5.0)
    assert status == "optimal"
    assert value == pytest.approx(35.0)
    assert opened.tolist() == [1.0, 0.0, 1.0]
    # with A dearer than what it brings, nothing but C
    value, _, opened = region_bound(sub, w, np.array([31.0, 40.0, 0.0]), time_limit=5.0)
    assert value == pytest.approx(30.0) and opened.tolist() == [0.0, 0.0, 1.0]


def test_large_path_uses_the_decomposition_bound(monkeypatch):
    import lifecircle.coverage.siting.models as models

    a, w = geometric_instance(1)
    p = 8
    best = exact_mclp(a, w, p)
    monkeypatch.setattr(models, "DIRECT_NNZ_LIMIT", 0)
    monkeypatch.setattr(models, "HANDOVER_NNZ_LIMIT", 0)
    monkeypatch.setattr("lifecircle.coverage.siting._decompose.ROWS_PER_REGION", 80)
    t = np.where(a.toarray(), 1.0, np.inf)
    res = MCLP(siting_problem(t, w, threshold_s=1.0), p).solve(time_limit=20, mip_gap=0.005)
    assert res.stats["decomposition_regions"] > 1
    assert best - 1e-6 <= res.stats["decomposition_bound"] < res.stats["lp_bound"]
    assert res.bound == pytest.approx(res.stats["decomposition_bound"])
    assert res.objective <= best + 1e-6
    # the regional MIPs' sites, topped up and swapped, are a feasible start the search never loses
    assert res.stats["decomposition_start"] <= res.objective + 1e-6
    assert res.gap == pytest.approx((res.bound - res.objective) / res.objective)
    # proved within 0.5 % thanks to the regional bound (the LP bound alone proves 0.72 % at best)
    assert res.status == "gap_limit" and res.gap <= 0.005


def _bound_in_daemon(queue):
    a, w = geometric_instance(1)
    lp = mclp_lp(a, w, 8)
    queue.put(decomposition_bound(a, w, 8, lp.lam, rows_per_region=80, workers=2).bound)


def test_runs_inside_a_daemonic_worker():
    import multiprocessing as mp

    a, w = geometric_instance(1)
    lp = mclp_lp(a, w, 8)
    here = decomposition_bound(a, w, 8, lp.lam, rows_per_region=80, workers=2).bound
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_bound_in_daemon, args=(queue,), daemon=True)
    proc.start()
    there = queue.get(timeout=60)
    proc.join(timeout=10)
    assert there == pytest.approx(here)
