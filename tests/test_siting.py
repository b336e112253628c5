"""Siting models on small instances with optima known by hand, and against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from lifecircle.coverage.siting import (
    LSCP,
    MCLP,
    BudgetCoverage,
    greedy_max_cover,
    greedy_set_cover,
    siting_problem,
)
from lifecircle.coverage.siting._reduce import reduce_cover
from lifecircle.coverage.siting.greedy import swap_improve
from lifecircle.geodata.common import InputError

INF = np.inf


def line_instance():
    """Five houses on a street, three candidate sites; seconds, threshold 300 s.

    house:      0    1    2    3    4
    site A:    100  200   -    -    -      covers 0, 1
    site B:     -   250  100  250   -      covers 1, 2, 3
    site C:     -    -    -   200  100     covers 3, 4
    """
    t = np.array(
        [
            [100, INF, INF],
            [200, 250, INF],
            [INF, 100, INF],
            [INF, 250, 200],
            [INF, INF, 100],
        ],
        dtype=float,
    )
    w = np.array([10.0, 20.0, 30.0, 25.0, 5.0])
    return t, w


def test_lscp_by_hand():
    t, w = line_instance()
    pb = siting_problem(t, w, threshold_s=300)
    res = LSCP(pb).solve()
    # house 0 needs A, house 4 needs C, house 2 needs B: all three
    assert res.objective == 3
    assert sorted(res.sites.tolist()) == [0, 1, 2]
    assert res.optimal and res.gap == 0
    assert res.covered_after.all()
    # the site bringing in the most weight comes first: B covers 20 + 30 + 25 = 75
    assert res.sites[0] == 1
    assert res.gains.tolist() == [75.0, 10.0, 5.0]


def test_lscp_two_sites_suffice_with_longer_threshold():
    t, w = line_instance()
    t[0, 1] = 280.0  # B now also reaches house 0
    t[4, 1] = 290.0  # and house 4
    pb = siting_problem(t, w, threshold_s=300)
    res = LSCP(pb).solve()
    assert res.objective == 1 and res.sites.tolist() == [1]


def test_per_demand_thresholds_honoured():
    t, w = line_instance()
    t[0, 1] = 280.0
    t[4, 1] = 290.0
    # house 0 is urban (15 min would be plenty) but here its threshold is 250 s: B (280 s) is too far
    thr = np.array([250.0, 300, 300, 300, 300])
    res = LSCP(siting_problem(t, w, threshold_s=thr)).solve()
    assert res.objective == 2
    assert sorted(res.sites.tolist()) == [0, 1]
    # MCLP p=1: B covers all but house 0 -> 80 of 90
    res = MCLP(siting_problem(t, w, threshold_s=thr), 1).solve()
    assert res.sites.tolist() == [1] and res.objective == pytest.approx(80.0)


def test_uncoverable_demand_reported_not_infeasible():
    t, w = line_instance()
    t = np.vstack([t, [INF, INF, 400.0]])  # a sixth house only C reaches, but in 400 s > 300 s
    w = np.r_[w, 7.0]
    pb = siting_problem(t, w, threshold_s=300)
    res = LSCP(pb).solve()
    assert res.objective == 3
    assert res.uncoverable.tolist() == [5]
    assert not res.covered_after[5]
    ind = res.indicators.set_index("group").loc["weight"]
    assert ind["uncoverable"] == 7.0
    assert ind["share_after"] == pytest.approx(90.0 / 97.0)


def test_mclp_by_hand():
    t, w = line_instance()
    pb = siting_problem(t, w, threshold_s=300)
    r1 = MCLP(pb, 1).solve()
    assert r1.sites.tolist() == [1] and r1.objective == 75.0
    r2 = MCLP(pb, 2).solve()
    # B+A = 85, B+C = 80, A+C = 10+20+25+5 = 60
    assert sorted(r2.sites.tolist()) == [0, 1] and r2.objective == 85.0
    assert r2.optimal and r2.bound == pytest.approx(85.0)
    # p=3 covers everything
    assert MCLP(pb, 3).solve().objective == 90.0


def test_existing_and_fixed_sites_respected():
    t, w = line_instance()
    # an existing station already reaches houses 1, 2 (mask form)
    existing = np.array([False, True, True, False, False])
    pb = siting_problem(t, w, threshold_s=300, existing=existing)
    res = MCLP(pb, 1).solve()
    # remaining: 0 (10, by A), 3 (25, by B or C), 4 (5, by C) -> C adds 30, A 10, B 25
    assert res.sites.tolist() == [2]
    assert res.objective == 50.0 + 30.0
    assert res.covered_before.tolist() == existing.tolist()
    # existing as a demand × site matrix of seconds, same thresholds
    ex = sp.csr_matrix(np.array([[INF], [120.0], [60.0], [INF], [INF]]))
    ex = sp.csr_matrix((np.array([120.0, 60.0]), ([1, 2], [0, 0])), shape=(5, 1))
    pb2 = siting_problem(t, w, threshold_s=300, existing=ex)
    assert MCLP(pb2, 1).solve().sites.tolist() == [2]
    # fixed planned site A; p = 1 new site on top: C (adds 25 + 5) beats B (adds 30 + 25 - ... )
    pb3 = siting_problem(t, w, threshold_s=300, fixed=[0])
    r3 = MCLP(pb3, 1).solve()
    assert r3.fixed.tolist() == [0]
    assert r3.sites.tolist() == [1]  # A covers 0,1; B adds 2,3 = 55 > C adds 3,4 = 30
    assert r3.objective == 85.0
    # LSCP with A fixed: B and C still needed (house 2 and 4), A not counted as new
    r4 = LSCP(pb3).solve()
    assert r4.objective == 2 and sorted(r4.sites.tolist()) == [1, 2]


def test_explicit_zero_seconds_counts_as_covered():
    # a house standing on the candidate (0 s stored explicitly) must count as covered
    m = sp.csr_matrix((np.array([0.0, 500.0]), np.array([0, 0]), np.array([0, 1, 2])), shape=(2, 1))
    pb = siting_problem(m, [3.0, 4.0], threshold_s=300)
    res = MCLP(pb, 1).solve()
    assert res.objective == 3.0
    assert res.covered_after.tolist() == [True, False]


def test_boolean_coverage_input():
    a = sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]], dtype=bool))
    res = LSCP(siting_problem(a)).solve()
    assert res.objective == 2
    res = MCLP(siting_problem(a, [5.0, 1.0, 6.0]), 1).solve()
    assert res.sites.tolist() == [1] and res.objective == 7.0


def test_budget_by_hand():
    t, w = line_instance()
    cost = np.array([1.0, 3.0, 1.0])
    pb = siting_problem(t, w, threshold_s=300, cost=cost)
    # budget 2: A + C = 60; B alone is too expensive
    r = BudgetCoverage(pb, 2.0).solve()
    assert sorted(r.sites.tolist()) == [0, 2] and r.objective == 60.0
    # budget 3: B alone = 75 beats A + C = 60
    r = BudgetCoverage(pb, 3.0).solve()
    assert r.sites.tolist() == [1] and r.objective == 75.0
    # budget 4: B + A = 85
    r = BudgetCoverage(pb, 4.0).solve()
    assert sorted(r.sites.tolist()) == [0, 1] and r.objective == 85.0
    # and with a cap of one site, budget 4: B
    assert BudgetCoverage(pb, 4.0, p=1).solve().sites.tolist() == [1]
    # the greedy answer stays within budget and never beats the optimum
    g = BudgetCoverage(pb, 2.0).solve(method="greedy")
    assert g.status == "heuristic" and g.objective <= 60.0
    assert cost[g.sites].sum() <= 2.0


def test_bad_input_is_one_sentence():
    t, w = line_instance()
    with pytest.raises(InputError, match="threshold_s"):
        siting_problem(t, w)
    with pytest.raises(InputError, match="weights"):
        siting_problem(t, -w, threshold_s=300)
    with pytest.raises(InputError, match="fixed"):
        siting_problem(t, w, threshold_s=300, fixed=[7])
    with pytest.raises(InputError, match="demand points"):
        siting_problem(t, w[:3], threshold_s=300)
    with pytest.raises(InputError, match="method"):
        MCLP(siting_problem(t, w, threshold_s=300), 1).solve(method="magic")


# -- random instances against brute force ----------------------------------------------------


def _random_instance(rng, n, m, density=0.35):
    t = rng.uniform(0, 100, (n, m))
    t[rng.random((n, m)) > density] = INF
    thr = rng.choice([40.0, 60.0, 80.0], n)
    w = rng.integers(0, 10, n).astype(float)
    return t, thr, w


def _brute_mclp(a, w, p):
    m = a.shape[1]
    return max(w[a[:, list(s)].any(axis=1)].sum() for s in itertools.combinations(range(m), min(p, m)))


def _brute_lscp(a):
    need = a.any(axis=1)
    m = a.shape[1]
    for k in range(m + 1):
        for s in itertools.combinations(range(m), k):
            if (a[:, list(s)].any(axis=1) if k else np.zeros(len(a), bool))[need].all():
                return k
    raise AssertionError


@pytest.mark.parametrize("seed", range(12))
def test_milp_equals_brute_force_and_reductions_keep_optimum(seed):
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(6, 30)), int(rng.integers(3, 9))
    t, thr, w = _random_instance(rng, n, m)
    a = t <= thr[:, None]
    pb = siting_problem(t, w, threshold_s=thr)
    p = int(rng.integers(1, 4))
    best = _brute_mclp(a, w, p)
    red, plain = MCLP(pb, p).solve(), MCLP(pb, p).solve(reduce=False)
    assert red.objective == pytest.approx(best) and plain.objective == pytest.approx(best)
    assert red.heuristic_objective <= best + 1e-9  # greedy never beats the optimum
    k = _brute_lscp(a)
    assert LSCP(pb).solve().objective == k == LSCP(pb).solve(reduce=False).objective


def test_reductions_preserve_optimum_on_larger_random_instances():
    rng = np.random.default_rng(99)
    for _ in range(6):
        n, m = 300, 60
        # clustered points so that twins and dominated candidates appear
        pts = rng.integers(0, 12, (n, 2)).astype(float)
        cand = np.r_[pts[rng.choice(n, m // 2)], rng.integers(0, 12, (m - m // 2, 2))].astype(float)
        d = np.abs(pts[:, None, :] - cand[None, :, :]).sum(axis=2) * 60.0
        d[d > 300] = INF
        w = rng.integers(0, 50, n).astype(float)
        pb = siting_problem(d, w, threshold_s=rng.choice([180.0, 240.0], n))
        r = reduce_cover(pb, model="mclp")
        assert r.shape[0] < n and r.shape[1] < m  # the reductions did something
        for p in (3, 8):
            a, b = MCLP(pb, p).solve(), MCLP(pb, p).solve(reduce=False)
            assert a.optimal and b.optimal
            assert a.objective == pytest.approx(b.objective)
        la, lb = LSCP(pb).solve(), LSCP(pb).solve(reduce=False)
        assert la.objective == lb.objective
        assert la.covered_after[pb.coverable].all()


def test_greedy_and_swap_bounded_by_optimum():
    rng = np.random.default_rng(5)
    t, thr, w = _random_instance(rng, 200, 40, density=0.15)
    pb = siting_problem(t, w, threshold_s=thr)
    a = pb.cover_csc
    exact = MCLP(pb, 5).solve()
    g = greedy_max_cover(a, pb.weights, 5)
    s = swap_improve(a, pb.weights, g)
    cov = lambda c: pb.weights[np.asarray(a[:, c].sum(axis=1)).ravel() > 0].sum()  # noqa: E731
    assert cov(g) <= cov(s) <= exact.objective + 1e-9
    # greedy set cover is a cover, and no smaller than the optimum
    gs = greedy_set_cover(a[np.diff(pb.cover.indptr) > 0].tocsc())
    assert len(gs) >= LSCP(pb).solve().objective


def test_explanation_table():
    import pandas as pd

    t, w = line_instance()
    demand = pd.DataFrame(
        {
            "pop_total": w * 5,
            "pop_60": w,
            "street": ["s1", "s1", "s2", "s2", "s2"],
            "community": ["c1", "c2", "c3", "c3", "c4"],
        }
    )
    pb = siting_problem(t, w, threshold_s=300, demand=demand, candidate_ids=["A", "B", "C"])
    res = MCLP(pb, 2).solve()
    tab = res.sites_table
    assert tab["site"].tolist() == ["B", "A"]
    assert tab["new_pop_60"].tolist() == [75.0, 10.0]
    assert tab["n_community"].tolist() == [2, 1]  # B: c2 (20), c3 (30 + 25)
    assert tab["top_community"].iloc[0].startswith("c3 (55)")
    # walking minutes of the people B brings in: 250 s (20), 100 s (30), 250 s (25), weighted
    assert tab["walk_median_min"].iloc[0] == pytest.approx(250 / 60)
    assert tab["walk_p90_min"].iloc[0] == pytest.approx(250 / 60)
    ind = res.indicators.set_index("group")
    assert ind.loc["pop_60", "share_before"] == 0
    assert ind.loc["pop_60", "share_after"] == pytest.approx(85 / 90)


def test_lagrangian_bound_is_valid_for_any_multipliers():
    from lifecircle.coverage.siting._lagrange import lagrangian_bound

    rng = np.random.default_rng(11)
    t, thr, w = _random_instance(rng, 25, 7)
    a = t <= thr[:, None]
    best = _brute_mclp(a, w, 2)
    ac = sp.csc_matrix(a)
    for _ in range(50):
        lam = rng.uniform(0, 1.5, len(w)) * w
        b, _ = lagrangian_bound(ac, w, 2, lam)
        assert b >= best - 1e-9
    # λ = 0 gives the trivial bound: all weight
    assert lagrangian_bound(ac, w, 2, np.zeros(len(w)))[0] == pytest.approx(w.sum())


def test_large_path_lp_bound_and_lns(monkeypatch):
    import lifecircle.coverage.siting.models as models

    rng = np.random.default_rng(21)
    n, m = 400, 60
    pts = rng.uniform(0, 20, (n, 2))
    cand = rng.uniform(0, 20, (m, 2))
    d = np.hypot(*(pts[:, None, :] - cand[None, :, :]).transpose(2, 0, 1)) * 60.0
    d[d > 240] = INF
    w = rng.integers(1, 30, n).astype(float)
    pb = siting_problem(d, w, threshold_s=240.0)
    exact = MCLP(pb, 6).solve(method="exact")
    assert exact.optimal
    monkeypatch.setattr(models, "DIRECT_NNZ_LIMIT", 0)
    big = MCLP(pb, 6).solve(method="auto", time_limit=20, mip_gap=0.0)
    # the LP (Lagrangian) bound is above the optimum, the LNS answer never above it
    assert big.bound >= exact.objective - 1e-6
    assert big.objective <= exact.objective + 1e-6
    assert big.objective >= big.heuristic_objective
    assert big.stats["lp_bound"] == pytest.approx(big.bound)
    assert big.objective == pytest.approx(exact.objective)  # small enough for LNS to find it
    greedy = MCLP(pb, 6).solve(method="greedy")
    assert greedy.status == "heuristic" and greedy.bound >= exact.objective - 1e-6


def _lns_case(seed: int):
    """A 40 × 12 MCLP with p = 3: matrix, weights, p, brute-force optimum, LP, the worst triple.

    The search starts from the worst triple, so it has to move every site.
    """
    from lifecircle.coverage.siting._lagrange import mclp_lp

    rng = np.random.default_rng(seed)
    t, thr, w = _random_instance(rng, 40, 12, density=0.25)
    a = t <= thr[:, None]
    p = 3
    ac = sp.csc_matrix(a)
    worst = min(itertools.combinations(range(12), p), key=lambda s: w[a[:, list(s)].any(axis=1)].sum())
    return ac, w, p, _brute_mclp(a, w, p), mclp_lp(ac, w, p), np.array(worst)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("workers", [1, 2])
def test_parallel_lp_guided_lns_reaches_brute_force_optimum(seed, workers):
    from lifecircle.coverage.siting._lns import parallel_lns
    from lifecircle.coverage.siting.greedy import covered_weight

    ac, w, p, best, lp, start = _lns_case(100 + seed)
    assert lp.bound >= best - 1e-6
    v0 = covered_weight(ac, w, start)
    assert v0 < best
    chosen, value, stats = parallel_lns(
        ac,
        w,
        start,
        time_limit=10.0,
        target=best,
        guide=lp.x,
        workers=workers,
        round_seconds=0.5,
        k=2,
        k_max=p,
    )
    assert len(np.unique(chosen)) == len(chosen) <= p
    assert value == pytest.approx(covered_weight(ac, w, chosen))
    assert value == pytest.approx(best)
    assert stats["lns_trace"][0][1] == pytest.approx(v0)
    # the trace only goes up
    assert all(b[1] > a_[1] for a_, b in itertools.pairwise(stats["lns_trace"]))


@pytest.mark.parametrize("seed", range(3))
def test_lns_with_pool_floors_reaches_brute_force_optimum(seed):
    """Pools first over the candidates the LP gives at least half a site, then over all."""
    from lifecircle.coverage.siting._lns import CoverInstance, LnsSettings, mip_lns

    ac, w, p, best, lp, worst = _lns_case(200 + seed)
    settings = LnsSettings(k=2, k_max=p, window_seconds=1.0, pool_floors=(0.5, 0.0))
    chosen, value, stats = mip_lns(
        CoverInstance.of(ac, w), np.array(worst), time_limit=10.0, target=best, guide=lp.x, settings=settings
    )
    assert len(np.unique(chosen)) == len(chosen) <= p
    assert value == pytest.approx(w[np.asarray(ac[:, chosen].sum(axis=1)).ravel() > 0].sum())
    assert value == pytest.approx(best)
    assert stats["lns_floor"] in (0.5, 0.0)
