"""Capacitated coverage, p-median and joint siting on small instances with optima worked out by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from lifecircle.coverage.siting import (
    CapacitatedCoverage,
    JointSiting,
    PMedian,
    coverage_need,
    siting_problem,
)
from lifecircle.geodata.common import InputError

INF = np.inf


def cap_instance():
    """Three compounds needing 30, 20, 40 托位; A reaches 0,1 (cap 40), B 1,2 (cap 50), C 2 (cap 100)."""
    t = np.array([[120, INF, INF], [200, 300, INF], [INF, 100, 60]], dtype=float)
    need = np.array([30.0, 20.0, 40.0])
    cap = np.array([40.0, 50.0, 100.0])
    return t, need, cap


def test_capacitated_by_hand():
    t, need, cap = cap_instance()
    pb = siting_problem(t, need, threshold_s=600, capacity=cap)
    r1 = CapacitatedCoverage(pb, p=1).solve()
    # uncapacitated B would cover 60, but its 50 places cap it; A gives 40, C 40
    assert r1.sites.tolist() == [1] and r1.objective == pytest.approx(50.0)
    assert r1.optimal
    r2 = CapacitatedCoverage(pb, p=2).solve()
    # A + B serve everything: A takes compound 0 (30) and 10 of compound 1, B the rest
    assert sorted(r2.sites.tolist()) == [0, 1] and r2.objective == pytest.approx(90.0)
    asg = r2.assignment
    by_site = asg.groupby("candidate")["amount"].sum()
    assert by_site.loc[0] <= 40 + 1e-6 and by_site.loc[1] <= 50 + 1e-6
    per_demand = asg.groupby("demand")["amount"].sum()
    assert per_demand.to_numpy() == pytest.approx(need)
    tab = r2.sites_table.set_index("candidate")
    assert tab.loc[0, "capacity"] == 40 and tab["load"].sum() == pytest.approx(90.0)
    assert r2.covered_after.all() and not r2.covered_before.any()


def test_capacitated_with_existing_capacity_and_budget():
    t, need, cap = cap_instance()
    # an existing nursery reaches compound 0 in 100 s and has 10 places
    ex = sp.csr_matrix((np.array([100.0]), ([0], [0])), shape=(3, 1))
    pb = siting_problem(t, need, threshold_s=600, capacity=cap, existing=ex, existing_capacity=[10.0])
    r = CapacitatedCoverage(pb, p=1).solve()
    # B: 50 + existing 10 = 60; A: existing 10 + A 40 = 50; C: 40 + 10 = 50
    assert r.sites.tolist() == [1] and r.objective == pytest.approx(60.0)
    assert r.assignment["existing"].notna().sum() >= 1
    # budget: A costs 1, B 5, C 1; budget 2 -> A + C = 30 + 10 (A full) + 40 = 80 (+0 from existing overlap)
    pb2 = siting_problem(t, need, threshold_s=600, capacity=cap, cost=[1.0, 5.0, 1.0])
    r2 = CapacitatedCoverage(pb2, budget=2.0).solve()
    assert sorted(r2.sites.tolist()) == [0, 2] and r2.objective == pytest.approx(80.0)


def test_capacitated_need_from_standard():
    # 4.5 托位 per 1,000 residents (001 task list; digest §3): 2,000 residents need 9
    assert coverage_need(np.array([2000.0]), 4.5).tolist() == [9.0]


def test_capacitated_matches_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(5):
        n, m = 12, 5
        t = rng.uniform(0, 100, (n, m))
        t[rng.random((n, m)) > 0.4] = INF
        need = rng.integers(1, 20, n).astype(float)
        cap = rng.integers(10, 60, m).astype(float)
        pb = siting_problem(t, need, threshold_s=70.0, capacity=cap)
        res = CapacitatedCoverage(pb, p=2).solve()
        best = max(_max_flow(t <= 70.0, need, cap, list(s)) for s in itertools.combinations(range(m), 2))
        assert res.objective == pytest.approx(best, abs=1e-6)


def _max_flow(a, need, cap, open_):
    """Transportation LP value for a fixed set of open sites (scipy linprog)."""
    from scipy.optimize import linprog

    pairs = [(i, j) for i in range(len(need)) for j in open_ if a[i, j]]
    if not pairs:
        return 0.0
    n = len(pairs)
    rows, b = [], []
    for i in range(len(need)):
        rows.append([1.0 if p[0] == i else 0.0 for p in pairs])
        b.append(need[i])
    for j in open_:
        rows.append([1.0 if p[1] == j else 0.0 for p in pairs])
        b.append(cap[j])
    res = linprog(-np.ones(n), A_ub=np.array(rows), b_ub=np.array(b), bounds=(0, None))
    return -res.fun


def pmed_instance():
    """Three homes (weights 1, 1, 2), two sites; all thresholds 500 s."""
    t = np.array([[100, 300], [200, 100], [400, 50]], dtype=float)
    return t, np.array([1.0, 1.0, 2.0])


def test_pmedian_by_hand():
    t, w = pmed_instance()
    pb = siting_problem(t, w, threshold_s=500)
    r1 = PMedian(pb, 1).solve()
    # A: 100 + 200 + 2*400 = 1100; B: 300 + 100 + 2*50 = 500
    assert r1.sites.tolist() == [1] and r1.objective == pytest.approx(500.0)
    assert r1.optimal
    r2 = PMedian(pb, 2).solve()
    assert r2.objective == pytest.approx(100 + 100 + 100)
    assert r2.stats["mean_walk_min"] == pytest.approx(300 / 4 / 60)


def test_pmedian_serves_first_and_reports_unreachable():
    t, w = pmed_instance()
    # a fourth home only A reaches (100 s), and a fifth no site reaches
    t = np.vstack([t, [100.0, INF], [INF, INF]])
    w = np.r_[w, 1.0, 3.0]
    pb = siting_problem(t, w, threshold_s=500)
    r = PMedian(pb, 1).solve()
    # B would leave home 3 unserved (priced 10 × 500 s): A wins with 1100 + 100 = 1200
    assert r.sites.tolist() == [0] and r.objective == pytest.approx(1200.0)
    assert r.uncoverable.tolist() == [4]
    assert any(a.key == "siting.pmedian.unserved" for a in r.assumptions)


def test_pmedian_existing_site_counts():
    t, w = pmed_instance()
    # an existing station 60 s from home 0 and 150 s from home 1
    ex = sp.csr_matrix((np.array([60.0, 150.0]), ([0, 1], [0, 0])), shape=(3, 1))
    pb = siting_problem(t, w, threshold_s=500, existing=ex)
    r = PMedian(pb, 1).solve()
    # with B: 60 + 100 + 100 = 260; with A: 60 + 150 + 2*400 = 1010
    assert r.sites.tolist() == [1] and r.objective == pytest.approx(260.0)
    assert r.covered_before.tolist() == [True, True, False]


def test_pmedian_fixed_site():
    t, w = pmed_instance()
    pb = siting_problem(t, w, threshold_s=500, fixed=[1])
    r = PMedian(pb, 1).solve()
    # B is fixed; adding A only helps home 0: 100 + 100 + 100 = 300
    assert r.sites.tolist() == [0] and r.fixed.tolist() == [1]
    assert r.objective == pytest.approx(300.0)


def test_pmedian_needs_seconds():
    a = sp.csr_matrix(np.array([[True]]))
    with pytest.raises(InputError, match="seconds"):
        PMedian(siting_problem(a), 1).solve()


def joint_instance(child_capacity=None):
    """Three buildings; elderly homes e0, e1 (10 each); child homes c0, c1 (6 each).

    elderly:   b0 reaches e0, e1    b1 reaches e0      b2 reaches e1
    childcare: b0 reaches none      b1 reaches c0, c1  b2 reaches c0
    """
    te = np.array([[100, 200, INF], [150, INF, 90]], dtype=float)
    tc = np.array([[INF, 100, 200], [INF, 120, INF]], dtype=float)
    eld = siting_problem(te, [10.0, 10.0], threshold_s=300)
    kid = siting_problem(tc, [6.0, 6.0], threshold_s=300, capacity=child_capacity)
    return {"elderly": eld, "childcare": kid}


def test_joint_by_hand():
    sv = joint_instance()
    r = JointSiting(sv, p_sites=1).solve()
    # b0: 20; b1: 10 + 12 = 22; b2: 10 + 6 = 16 -> b1, hosting both services
    assert r.sites.tolist() == [1] and r.objective == pytest.approx(22.0)
    row = r.sites_table.iloc[0]
    assert bool(row["elderly"]) and bool(row["childcare"])
    assert r.by_service["childcare"].objective == pytest.approx(12.0)
    r2 = JointSiting(sv, p_sites=2).solve()
    # two optima of 32 (b0 + b1 and b1 + b2 both reach everyone), so assert what is unique:
    # the value, that everyone is reached, and b1 (the only building reaching c1) in both
    assert r2.objective == pytest.approx(32.0) and r2.optimal
    assert len(r2.sites) == 2 and 1 in r2.sites.tolist()
    assert r2.by_service["elderly"].objective == pytest.approx(20.0)
    assert r2.by_service["childcare"].objective == pytest.approx(12.0)
    # no childcare placements allowed: b0
    r3 = JointSiting(sv, p_sites=1, p={"childcare": 0}).solve()
    assert r3.sites.tolist() == [0] and r3.objective == pytest.approx(20.0)
    # a child place weighs half an elderly resident: b0 (20) beats b1 (10 + 6)
    r4 = JointSiting(sv, p_sites=1, service_weight={"childcare": 0.5}).solve()
    assert r4.sites.tolist() == [0]


def test_joint_with_childcare_capacity():
    # childcare capacities: b1 holds 8, b2 holds 6 (b0 none)
    sv = joint_instance(child_capacity=np.array([0.0, 8.0, 6.0]))
    r = JointSiting(sv, p_sites=1).solve()
    # b1: 10 + 8 = 18 < b0: 20
    assert r.sites.tolist() == [0] and r.objective == pytest.approx(20.0)
    r2 = JointSiting(sv, p_sites=2).solve()
    # b0 + b1: 20 + 8 = 28; b1 + b2: 20 + 12 = 32 (b1's 8 places + b2's 4 for c0)
    assert sorted(r2.sites.tolist()) == [1, 2] and r2.objective == pytest.approx(32.0)


def test_joint_fixed_and_budget():
    sv = joint_instance()
    sv["elderly"] = siting_problem(
        np.array([[100, 200, INF], [150, INF, 90]], dtype=float), [10.0, 10.0], threshold_s=300, fixed=[2]
    )
    # b2 hosts an elderly station already; one more building: b1 adds e0 (10) and both children (12)
    r = JointSiting(sv, p_sites=1).solve()
    assert r.sites.tolist() == [1] and r.objective == pytest.approx(32.0)
    assert r.fixed.tolist() == [2]
    # budget 4: opening b1 costs 3, b0 and b2 cost 1; each placement costs 1
    cost = np.array([1.0, 3.0, 1.0])
    r2 = JointSiting(
        joint_instance(),
        budget=4.0,
        site_cost=cost,
        service_cost={"elderly": np.ones(3), "childcare": np.ones(3)},
    ).solve()
    # b0 (1 + 1 elderly = 2) + b2 (1 + 1 childcare = 2): 20 + 6 = 26; b1 both (3 + 2 = 5) is over budget
    assert sorted(r2.sites.tolist()) == [0, 2] and r2.objective == pytest.approx(26.0)


def test_joint_candidates_must_match():
    sv = joint_instance()
    sv["childcare"] = siting_problem(np.array([[1.0, 2.0]]), [1.0], threshold_s=10)
    with pytest.raises(InputError, match="same candidate"):
        JointSiting(sv, p_sites=1).solve()
