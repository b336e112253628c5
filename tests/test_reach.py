"""Reach by one multi-source search: hand-checked times, the time matrix, bad input, thresholds."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import X0, Y0, hand_network, hand_xy

from lifecircle.coverage.profiles import edge_costs, get_profile
from lifecircle.coverage.reach import (
    TIERS_MIN,
    ZERO_TIME_S,
    demand_thresholds,
    reach_matrix,
    service_reach,
)
from lifecircle.geodata.common import InputError

V = 0.9  # elderly m/s
VS = 0.45  # elderly on steps
pts = hand_xy


@pytest.fixture(scope="module")
def net():
    """A(0,0)–B(100,0)–C(200,0); C–D(200,100) steps; B–E(100,100)–D; D–G(300,100); G–H bent 150 m."""
    return hand_network()


def test_hand_times(net):
    homes = pts(
        (150, 10),  # on B–C 10 m off: 10 access + 50 to B + 70 to the facility
        (210, 50),  # on the steps 10 m off: 50 m of steps down to C, then 100 + 70
        (60, 0),  # on the facility's own edge: 30 m straight along it
        (320, 160),  # 10 m off the bent edge, 130 m along it from G: then G–D 100, D–E–B 200, 70
        (5000, 5000),  # off the network
    )
    fac = pts((30, 5))  # mid-edge on A–B, 5 m off: the last 5 m from the street are walked too
    r = service_reach(net, homes, fac)
    want = [
        (10 + 50 + 70 + 5) / V,
        10 / V + 50 / VS + (170 + 5) / V,
        (30 + 5) / V,
        (10 + 130 + 100 + 200 + 70 + 5) / V,  # D–C by the steps: 100/0.45 + 175/0.9 = 416 s
    ]
    np.testing.assert_allclose(r.time_s[:4], want, atol=0.1)
    assert np.isinf(r.time_s[4]) and r.facility[4] == -1
    assert r.facility[:4].tolist() == [0, 0, 0, 0]
    assert r.off_network.tolist() == [False, False, False, False, True]
    np.testing.assert_allclose(r.access_s[:4], [10 / V, 10 / V, 0, 10 / V], atol=1e-9)
    assert any("1 of 5 demand points" in n for n in r.notes)
    # node times: A is 30 m from the facility, C is 170 m, D via E (200+70) or via steps (100/0.45+170)
    a = np.flatnonzero(np.isclose(net.x, X0) & np.isclose(net.y, Y0))[0]
    d = np.flatnonzero(np.isclose(net.x, X0 + 200) & np.isclose(net.y, Y0 + 100))[0]
    assert r.node_time_s[a] == pytest.approx((30 + 5) / V)
    assert r.node_time_s[d] == pytest.approx(min(270 / V, 100 / VS + 170 / V) + 5 / V)
    # covered shares under a threshold, weighted and not
    assert r.share(200.0) == pytest.approx(2 / 5)
    assert r.share(200.0, weights=np.array([1, 5, 3, 1, 10.0])) == pytest.approx(4 / 20)
    with pytest.raises(InputError, match=r"rows 1, 3"):
        r.share(200.0, weights=np.array([1, np.nan, 3, -1, 10.0]))


def test_two_facilities_on_one_edge_and_a_limit(net):
    homes = pts((150, 10), (60, 0), (10, -2))
    fac = pts((30, 0), (80, 0))  # on A–B itself: no walk from the street
    r = service_reach(net, homes, fac, limit_s=100.0)
    # (150,10): 10 + 50 + 20 to the second facility; (60,0): 20 m east; (10,-2): 2 + 20 west
    np.testing.assert_allclose(r.time_s, [80 / V, 20 / V, 22 / V], atol=0.1)
    assert r.facility.tolist() == [1, 1, 0]
    r2 = service_reach(net, homes, fac, limit_s=80 / V - 1)
    assert np.isinf(r2.time_s[0]) and r2.facility[0] == -1
    assert r2.time_s[1] == pytest.approx(20 / V)
    with pytest.raises(ValueError, match="exceeds the search limit"):
        r2.share(900.0)


def test_steps_and_profiles(net):
    # a home at D: the steps route (100 m at 0.45) ties with E (200 m at 0.9) for the elderly;
    # with the stroller (0.3 on steps) the steps are far slower, for adults (1.0) far faster
    home = pts((200, 100))
    fac = pts((200, 0))
    t = {p: service_reach(net, home, fac, profile=p).time_s[0] for p in ("elderly", "childcare", "adult")}
    assert t["elderly"] == pytest.approx(min(100 / 0.45, 300 / 0.9), abs=0.1)
    assert t["childcare"] == pytest.approx(min(100 / 0.3, 300 / 1.0), abs=0.1)
    assert t["adult"] == pytest.approx(100 / 1.2, abs=0.1)
    slow = get_profile("elderly", speed_mps=0.76)
    assert service_reach(net, home, fac, profile=slow).time_s[0] == pytest.approx(100 / 0.38, abs=0.1)


def test_reach_matrix_by_hand(net):
    homes = pts((150, 10), (60, 0), (30, 0), (5000, 5000))
    fac = pts((30, 0), (80, 0), (9000, 0))
    m = reach_matrix(net, homes, fac, limit_s=150.0)
    assert m.shape == (4, 3)
    dense = m.toarray()
    np.testing.assert_allclose(
        dense,
        [
            [130 / V, 80 / V, 0],  # 130/0.9 = 144 s ≤ 150
            [30 / V, 20 / V, 0],
            [ZERO_TIME_S, 50 / V, 0],  # standing on the first facility: an explicit zero
            [0, 0, 0],
        ],
        atol=1e-6,
    )
    assert m.nnz == 6
    assert m[2, 0] == ZERO_TIME_S
    m2 = reach_matrix(net, homes, fac, limit_s=100.0)
    assert m2.nnz == 5 and m2[0, 0] == 0  # 144 s is beyond the limit
    with pytest.raises(InputError, match="finite positive"):
        reach_matrix(net, homes, fac, limit_s=np.inf)


def test_reach_matrix_in_batches_is_the_same(net, monkeypatch):
    from lifecircle.coverage import routing

    homes = pts((150, 10), (60, 0), (30, 0), (210, 50), (320, 160))
    fac = pts((30, 5), (80, -3), (200, 100), (340, 120), (100, 50))
    whole = reach_matrix(net, homes, fac, limit_s=600.0)
    monkeypatch.setattr(routing, "_MAX_DIST_ENTRIES", 1)  # one facility per search
    batched = reach_matrix(net, homes, fac, limit_s=600.0)
    assert whole.nnz == batched.nnz > 15
    np.testing.assert_array_equal(whole.toarray(), batched.toarray())
    r = service_reach(net, homes, fac, limit_s=600.0)
    with pytest.raises(ValueError, match="other facilities"):
        reach_matrix(net, homes, pts((30, 5)), limit_s=600.0, graph=r.graph)


def test_no_facilities_is_coverage_zero(net):
    homes = pts((150, 10), (60, 0))
    r = service_reach(net, homes, (np.zeros(0), np.zeros(0)))
    assert np.isinf(r.time_s).all() and (r.facility == -1).all()
    assert r.share(600) == 0.0
    assert any("no facilities given" in n for n in r.notes)
    m = reach_matrix(net, homes, (np.zeros(0), np.zeros(0)), limit_s=600)
    assert m.shape == (2, 0) and m.nnz == 0
    # facilities that all lie off the network say so too
    r2 = service_reach(net, homes, pts((9000, 9000)))
    assert r2.share(600) == 0.0 and any("farther than 250 m" in n for n in r2.notes)


def test_no_demand_points(net):
    r = service_reach(net, (np.zeros(0), np.zeros(0)), pts((30, 5)))
    assert len(r.time_s) == 0 and r.share(600) == 0.0
    assert reach_matrix(net, (np.zeros(0), np.zeros(0)), pts((30, 5)), limit_s=600).shape == (0, 1)


def test_demand_without_location_is_reported(net):
    r = service_reach(net, (np.array([X0 + 60, np.nan]), np.array([Y0, np.nan])), pts((30, 5)))
    assert r.off_network.tolist() == [False, True] and np.isinf(r.time_s[1])
    assert any("1 of 2 demand points have no location" in n for n in r.notes)
    assert not any("farther than" in n for n in r.notes)


def test_all_demand_off_network(net):
    r = service_reach(net, pts((5000, 5000), (-4000, 0)), pts((30, 5)))
    assert r.off_network.all() and np.isinf(r.time_s).all()
    assert r.share(900) == 0.0
    assert any("all 2 demand points" in n for n in r.notes)


def test_sloped_costs_flow_through(net):
    z = 0.1 * (net.x - X0)  # node heights: every eastward edge climbs at 10%
    costs = edge_costs(net, "elderly", z)
    r = service_reach(net, pts((10, 0)), pts((30, 0)), costs=costs)
    assert r.time_s[0] == pytest.approx(20 / (V * np.exp(-0.35)), abs=0.1)


def test_thresholds():
    urban = np.array([True, False, True])
    # the policy minutes (15/20 elderly, 10 childcare) moved to tests/test_policy.py with the presets
    np.testing.assert_allclose(demand_thresholds(urban, urban_min=10, rural_min=10), [600] * 3)
    np.testing.assert_allclose(demand_thresholds(urban, urban_min=5, rural_min=5), [300] * 3)
    assert TIERS_MIN == (5, 10, 15, 20)
    with pytest.raises(InputError, match="urban"):
        demand_thresholds(np.array([True, None], dtype=object), urban_min=15, rural_min=20)
