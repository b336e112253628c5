"""2SFCA: a hand-computed 3×2 case, a dense brute force on a random instance, decays, bad input, real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from lifecircle.coverage.access import E2SFCA_WEIGHTS, decay_weights, two_step_fca
from lifecircle.geodata.common import InputError

# demand i0, i1, i2 (100, 200, 300 people); facilities j0 (10 beds), j1 (30 beds)
#          j0      j1
#   i0    300 s   900 s
#   i1    600 s     —
#   i2      —    1200 s
P = np.array([100.0, 200.0, 300.0])
S = np.array([10.0, 30.0])


def _m() -> sp.csr_matrix:
    return sp.csr_matrix(([300.0, 900.0, 600.0, 1200.0], ([0, 0, 1, 2], [0, 1, 0, 1])), shape=(3, 2))


def test_hand_example_step_with_catchment():
    r = two_step_fca(_m(), P, S, catchment=1000.0)
    # j0: i0 + i1 = 300 people -> 10/300; j1: only i0 (i2 is 1200 s > 1000 s) -> 30/100
    np.testing.assert_allclose(r.demand_in_reach, [300.0, 100.0])
    np.testing.assert_allclose(r.ratio, [10 / 300, 0.3])
    np.testing.assert_allclose(r.access, [10 / 300 + 0.3, 10 / 300, 0.0])


def test_hand_example_every_stored_entry():
    r = two_step_fca(_m(), P, S)
    np.testing.assert_allclose(r.ratio, [10 / 300, 30 / 400])
    np.testing.assert_allclose(r.access, [10 / 300 + 30 / 400, 10 / 300, 30 / 400])
    # the supply is shared out, not created
    assert (P * r.access).sum() == pytest.approx(S.sum())


def test_hand_example_linear_decay():
    r = two_step_fca(_m(), P, S, catchment=1200.0, decay="linear")
    # weights 1 - t/1200: i0j0 .75, i0j1 .25, i1j0 .5, i2j1 0
    r0, r1 = 10 / (100 * 0.75 + 200 * 0.5), 30 / (100 * 0.25)
    np.testing.assert_allclose(r.ratio, [r0, r1])
    np.testing.assert_allclose(r.access, [0.75 * r0 + 0.25 * r1, 0.5 * r0, 0.0])


def test_zero_time_entry_is_reachable():
    m = _m().tolil()
    m[1, 1] = 1.0
    m = m.tocsr()
    m.data[m.data == 1.0] = 0.0  # an explicit stored zero: the point sits on the facility
    r = two_step_fca(m, P, S, catchment=1000.0)
    np.testing.assert_allclose(r.demand_in_reach, [300.0, 300.0])
    assert r.access[1] == pytest.approx(10 / 300 + 30 / 300)


def test_unreached_facility_gets_nan_ratio():
    m = sp.csr_matrix(([100.0], ([0], [0])), shape=(2, 2))
    r = two_step_fca(m, np.array([5.0, 5.0]), np.array([1.0, 7.0]))
    assert r.ratio[0] == pytest.approx(0.2) and np.isnan(r.ratio[1])
    np.testing.assert_allclose(r.access, [0.2, 0.0])


def test_duplicate_entries_keep_the_shortest_time():
    coo = sp.coo_matrix(([300.0, 1500.0, 600.0], ([0, 0, 1], [0, 0, 0])), shape=(2, 1))
    r = two_step_fca(coo, np.array([1.0, 1.0]), np.array([4.0]), catchment=1000.0)
    np.testing.assert_allclose(r.access, [2.0, 2.0])  # not counted twice, not dropped


def _dense(m: sp.csr_matrix) -> np.ndarray:
    d = np.full(m.shape, np.inf)
    coo = m.tocoo()
    d[coo.row, coo.col] = coo.data
    return d


def _brute(t: np.ndarray, p: np.ndarray, s: np.ndarray, w_fn) -> tuple[np.ndarray, np.ndarray]:
    w = np.zeros_like(t)
    for i in range(t.shape[0]):
        for j in range(t.shape[1]):
            if np.isfinite(t[i, j]):
                w[i, j] = w_fn(t[i, j], i)
    dem = np.array([sum(p[i] * w[i, j] for i in range(t.shape[0])) for j in range(t.shape[1])])
    ratio = np.array([s[j] / dem[j] if dem[j] > 0 else 0.0 for j in range(t.shape[1])])
    access = np.array([sum(ratio[j] * w[i, j] for j in range(t.shape[1])) for i in range(t.shape[0])])
    return access, ratio


@pytest.fixture(scope="module")
def instance():
    rng = np.random.default_rng(42)
    n, k = 120, 15
    m = sp.random(
        n, k, density=0.25, random_state=rng, format="csr", data_rvs=lambda z: rng.uniform(0, 1800, z)
    )
    p = rng.integers(0, 500, n).astype(float)
    s = rng.integers(0, 80, k).astype(float)
    d0 = np.where(rng.random(n) < 0.7, 900.0, 1200.0)  # urban 15, rural 20 minutes
    return m, p, s, d0


def _gauss(t, d0):
    e = np.exp(-0.5)
    return (np.exp(-0.5 * (t / d0) ** 2) - e) / (1 - e) if t <= d0 else 0.0


@pytest.mark.parametrize(
    ("decay", "kw", "w_fn"),
    [
        ("step", {"catchment": 1000.0}, lambda t, i: 1.0 if t <= 1000 else 0.0),
        ("step", {}, lambda t, i: 1.0),
        ("linear", {"catchment": 1500.0}, lambda t, i: max(0.0, 1 - t / 1500)),
        ("gaussian", {"catchment": 1200.0}, lambda t, i: _gauss(t, 1200.0)),
        (
            "zones",
            {"zones": (600.0, 1200.0, 1800.0)},
            lambda t, i: 1.0 if t <= 600 else 0.68 if t <= 1200 else 0.22 if t <= 1800 else 0.0,
        ),
        ("step", "per-point", None),
    ],
)
def test_matches_dense_brute_force(instance, decay, kw, w_fn):
    m, p, s, d0 = instance
    if kw == "per-point":
        kw = {"catchment": d0}
        w_fn = lambda t, i: 1.0 if t <= d0[i] else 0.0  # noqa: E731
    r = two_step_fca(m, p, s, decay=decay, **kw)
    access, ratio = _brute(_dense(m), p, s, w_fn)
    np.testing.assert_allclose(r.access, access, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(np.nan_to_num(r.ratio), ratio, rtol=1e-10)
    assert r.assumptions[0].key == "access.decay"


def test_supply_is_conserved_with_step_decay(instance):
    m, p, s, d0 = instance
    r = two_step_fca(m, p, s, catchment=d0)
    reached = r.demand_in_reach > 0
    assert (p * r.access).sum() == pytest.approx(s[reached].sum())


def test_decay_weights_shapes():
    t = np.array([0.0, 300.0, 600.0, 900.0, 1000.0])
    np.testing.assert_allclose(decay_weights(t, 900.0, "step"), [1, 1, 1, 1, 0])
    np.testing.assert_allclose(decay_weights(t, 900.0, "linear"), [1, 2 / 3, 1 / 3, 0, 0])
    g = decay_weights(t, 900.0, "gaussian")
    assert g[0] == pytest.approx(1.0) and g[3] == pytest.approx(0.0) and g[4] == 0.0
    assert (np.diff(g[:4]) < 0).all()
    z = decay_weights(t, None, "zones", zones=(300.0, 600.0, 900.0), zone_weights=E2SFCA_WEIGHTS)
    np.testing.assert_allclose(z, [1.0, 1.0, 0.68, 0.22, 0.0])


def test_bad_input():
    with pytest.raises(InputError, match="NaN or negative"):
        two_step_fca(_m(), P, np.array([np.nan, 1.0]))
    with pytest.raises(InputError, match="2 values for a matrix side of 3"):
        two_step_fca(_m(), P[:2], S)
    with pytest.raises(InputError, match="needs a catchment"):
        two_step_fca(_m(), P, S, decay="linear")
    with pytest.raises(InputError, match="finite and ≥ 0"):
        two_step_fca(sp.csr_matrix(([-1.0], ([0], [0])), shape=(3, 2)), P, S)
    with pytest.raises(InputError, match="not one of"):
        two_step_fca(_m(), P, S, decay="cubic")
    with pytest.raises(InputError, match="zone"):
        two_step_fca(_m(), P, S, decay="zones", zones=(600.0, 300.0))
    with pytest.raises(InputError, match=r"scipy\.sparse"):
        two_step_fca(np.ones((3, 2)), P, S)


# -- real data: São Paulo hexagons, schools as the supply ---------------------------------------------


@pytest.mark.realdata
def test_saopaulo_access_agrees_with_reach(saopaulo_pbf, saopaulo_hexgrid):
    import geopandas as gpd

    from lifecircle.coverage.indicators import indicator_table, weighted_quantile
    from lifecircle.coverage.reach import reach_matrix, service_reach
    from lifecircle.geodata.sources import read_network

    net = read_network(saopaulo_pbf)
    hexes = pd.read_csv(saopaulo_hexgrid)
    pts = gpd.GeoDataFrame(hexes, geometry=gpd.points_from_xy(hexes["lon"], hexes["lat"]), crs=4326)
    schools = pts[pts["schools"] > 0]
    limit = 15 * 60.0
    sr = service_reach(net, pts, schools)  # true times (no search limit), as the indicators want
    m = reach_matrix(net, pts, schools, limit_s=limit, graph=sr.graph)
    pop = hexes["population"].to_numpy(dtype=float)
    r = two_step_fca(m, pop, schools["schools"].to_numpy(dtype=float), catchment=limit)
    covered = sr.time_s <= limit
    # two engines, one answer: a hexagon has supply within reach exactly when its nearest school is
    assert covered.sum() > 50
    np.testing.assert_array_equal(r.access > 0, covered)
    assert (pop * r.access).sum() == pytest.approx(schools["schools"].to_numpy()[r.demand_in_reach > 0].sum())

    demand = pd.DataFrame(
        {
            "id": hexes["id"],
            "pop_total": pop,
            "pop_60": np.nan,
            "pop_80": np.nan,
            "pop_0_3": np.nan,
            "district": "sp",
            "street": "",
            "community": "",
            "urban": True,
        }
    )
    t = indicator_table(
        demand, {"childcare": sr.time_s}, {"childcare": limit}, access={"childcare": r.access}
    )
    top = t[(t["scope"] == "district") & (t["area"] == "all") & (t["group"] == "pop_total")]
    val = dict(zip(top["metric"], top["value"], strict=True))
    assert val["coverage"] == pytest.approx(100 * pop[covered].sum() / pop.sum())
    assert val["time_median_min"] * 60 == pytest.approx(weighted_quantile(sr.time_s, pop, 0.5))
    assert val["access_per_1000"] == pytest.approx(1000 * (pop * r.access).sum() / pop.sum())
    assert 0 < val["gini_access"] < 1 and 0 < val["gini_time"] < 1
