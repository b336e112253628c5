"""True times, not "no path": within the threshold, beyond it (with the true time), and no path at all."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from conftest import UTM48, X0, Y0, hand_line, hand_xy

from lifecircle.coverage.indicators import coverage_indicators
from lifecircle.coverage.profiles import edge_costs
from lifecircle.coverage.reach import BEYOND, BEYOND_LIMIT, NO_PATH, WITHIN, service_reach
from lifecircle.geodata.network import build_network

V = 0.9  # elderly m/s
VS = 0.45  # elderly on steps

#: The hand network's seven edges (tests/conftest.py) and an island 1 km east of them.
_HAND = (
    ("footway", ((0, 0), (100, 0))),
    ("residential", ((100, 0), (200, 0))),
    ("steps", ((200, 0), (200, 100))),
    ("footway", ((100, 0), (100, 100))),
    ("residential", ((100, 100), (200, 100))),
    ("footway", ((200, 100), (300, 100))),
    ("footway", ((300, 100), (350, 100), (350, 150), (300, 150))),
    ("footway", ((1000, 0), (1100, 0))),  # the island: another component
)


def _hand_lines() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"highway": [h for h, _ in _HAND], "row": np.arange(len(_HAND))},
        geometry=[hand_line(*pts) for _, pts in _HAND],
        crs=UTM48,
    )


@pytest.fixture(scope="module")
def island_net():
    """The hand network with its island kept (``keep="all"``)."""
    return build_network(_hand_lines()[["highway", "geometry"]], source="hand", keep="all", crs=UTM48)


HOMES = hand_xy(
    (60, 0),  # on the facility's own edge: 30 m along it, then the facility's 5 m
    (320, 160),  # 10 m off the bent edge, 130 m along it, G–D 100, D–E–B 200, B to 30 m: 70
    (1050, 5),  # 5 m off the island: on the network, but no facility stands on its component
    (5000, 5000),  # farther than 250 m from every street
)
FAC = hand_xy((30, 5))  # mid-edge on A–B, 5 m off


def test_three_states_with_exact_times(island_net):
    r = service_reach(island_net, HOMES, FAC)
    assert r.time_s[0] == pytest.approx((30 + 5) / V, abs=1e-9)
    assert r.time_s[1] == pytest.approx((10 + 130 + 100 + 200 + 70 + 5) / V, abs=1e-9)  # 572.2 s
    assert np.isinf(r.time_s[2:]).all()
    assert r.facility.tolist() == [0, 0, -1, -1]
    # no path: one on another component, one beyond the snap distance; nothing beyond a limit
    assert r.no_path.tolist() == [False, False, True, True]
    assert r.cut_off.tolist() == [False, False, True, False]
    assert r.off_network.tolist() == [False, False, False, True]
    assert not r.beyond_limit.any() and np.isinf(r.limit_s)
    # 300 s: the second home is beyond it, with its true time; 600 s covers it
    assert r.state(300.0).tolist() == [WITHIN, BEYOND, NO_PATH, NO_PATH]
    assert r.state(600.0).tolist() == [WITHIN, WITHIN, NO_PATH, NO_PATH]
    assert r.share(600.0) == pytest.approx(2 / 4)


def test_a_bounded_search_says_beyond_the_limit_never_no_path(island_net):
    # what a partition tile runs: up to its limit only, so past it the time is unknown
    r = service_reach(island_net, HOMES, FAC, limit_s=300.0)
    assert r.time_s[0] == pytest.approx(35 / V) and np.isinf(r.time_s[1:]).all()
    assert r.beyond_limit.tolist() == [False, True, True, False]
    assert r.state(300.0).tolist() == [WITHIN, BEYOND_LIMIT, BEYOND_LIMIT, NO_PATH]
    with pytest.raises(ValueError, match="exceeds the search limit"):
        r.covered(600.0)


def test_indicators_count_three_states_and_time_only_who_has_a_path(island_net):
    r = service_reach(island_net, HOMES, FAC)
    demand = pd.DataFrame(
        {
            "pop_total": [100.0, 30.0, 20.0, 10.0],
            "pop_60": [10.0, 3.0, 2.0, 1.0],
            "pop_80": [1.0, 1.0, 1.0, 1.0],
            "pop_0_3": np.nan,
            "district": "D",
            "street": "S",
            "community": "C",
            "urban": True,
        }
    )
    tab = coverage_indicators(demand, {"elderly": r.time_s}, {"elderly": 300.0})
    top = tab[(tab["scope"] == "district") & (tab["area"] == "all") & (tab["group"] == "pop_total")]
    val = dict(zip(top["metric"], top["value"], strict=True))
    assert (val["pop"], val["pop_covered"], val["pop_beyond"], val["pop_unreached"]) == (160, 100, 30, 30)
    # over the 130 people with a path: median 38.9 s (100 of 130), p90 the home beyond: 572.2 s
    assert val["time_median_min"] * 60 == pytest.approx(35 / V)
    assert val["time_p90_min"] * 60 == pytest.approx(515 / V)
    # Gini of two values x1 < x2 with weights w1, w2: w1 w2 (x2 − x1) / (W (w1 x1 + w2 x2))
    x1, x2 = 35 / V, 515 / V
    assert val["gini_time"] == pytest.approx(100 * 30 * (x2 - x1) / (130 * (100 * x1 + 30 * x2)))
    note = top.loc[top["metric"] == "time_p90_min", "note"].iloc[0]
    assert note == "people with no walking path left out"


def test_nobody_with_a_path_has_no_time(island_net):
    r = service_reach(island_net, (HOMES[0][2:], HOMES[1][2:]), FAC)  # the island and the far home
    demand = pd.DataFrame(
        {"pop_total": [5.0, 7.0], "pop_60": 1.0, "pop_80": 1.0, "pop_0_3": np.nan, "district": "D",
         "street": "S", "community": "C", "urban": True}
    )  # fmt: skip
    tab = coverage_indicators(demand, {"elderly": r.time_s}, {"elderly": 900.0})
    top = tab[(tab["scope"] == "district") & (tab["area"] == "all") & (tab["group"] == "pop_total")]
    val = dict(zip(top["metric"], top["value"], strict=True))
    assert val["pop_unreached"] == 12 and val["pop_beyond"] == 0
    assert np.isnan(val["time_median_min"]) and np.isnan(val["time_p90_min"])
    assert set(top.loc[top["metric"].str.startswith("time_"), "note"]) == {"nobody has a walking path"}


@dataclass(frozen=True, eq=False)
class _Lines:
    """Lines held in memory (metric), as a partition's line source."""

    frame: gpd.GeoDataFrame
    crs: pyproj.CRS

    def lines(self, bbox):
        return self.frame.loc[shapely.intersects(self.frame.geometry.to_numpy(), shapely.box(*bbox))]

    def describe(self) -> str:
        return "hand"

    def extent(self):
        x0, y0, x1, y1 = self.frame.total_bounds
        return (x0 - 10, y0 - 10, x1 + 10, y1 + 10)


def test_partitioned_whole_network_search_gives_true_times_and_no_path(island_net):
    from lifecircle.coverage.profiles import get_profile
    from lifecircle.scenarios import distributed as dist
    from lifecircle.scenarios.partition import TileGrid

    spec = dist.ServiceSpec("elderly", get_profile("elderly"), 300.0)
    src = _Lines(_hand_lines(), UTM48)
    grid = TileGrid.from_bounds((X0, Y0, X0 + 1100, Y0 + 160), 2, 1, extent=src.extent())
    search = dist.TileSearch(max_snap_m=250.0, keep="all")
    got = dist.whole_network_times(
        src, grid, HOMES, {"elderly": FAC}, [spec], {"elderly": np.arange(4)}, search
    )
    t, f = got["elderly"]
    single = service_reach(island_net, HOMES, FAC)
    assert np.array_equal(t, single.time_s) and f.tolist() == [0, 0, -1, -1]
    assert t[1] == pytest.approx(515 / V)


# -- Yuzhong: 30 stations on building centroids, 15 minutes, against networkx -----------------------

SEED = 15  # numpy.random.default_rng(SEED) draws the 30 stations among the building centroids
THRESHOLD_S = 15 * 60.0


def _nx_times(net, costs, dsnap, fsnap, speed):
    """Each home's time to its nearest facility by networkx, every home and facility a node.

    Every edge is cut at the snapped positions of the homes and facilities on it; a piece takes
    its share of the edge's seconds each way (flat profile: linear in the distance). A home
    ``("h", i)`` reaches its position through its access leg, a facility's position reaches the
    facility ``("f", j)`` through its own; one search from a source joined to every facility,
    on the reversed graph, gives every home its time.
    """
    G = nx.DiGraph()

    def add(a, b, w):
        if a != b and (not G.has_edge(a, b) or G[a][b]["weight"] > w):
            G.add_edge(a, b, weight=w)

    cuts: dict[int, list] = {}
    for kind, snap in (("hp", dsnap), ("fp", fsnap)):
        for i in np.flatnonzero(~snap.off_network):
            e = int(snap.edge[i])
            a = min(max(float(snap.along_m[i]), 0.0), float(net.length[e]))
            cuts.setdefault(e, []).append((a, (kind, int(i))))
    for e in range(net.n_edges):
        length = float(net.length[e])
        chain = [(0.0, int(net.u[e])), *sorted(cuts.get(e, [])), (length, int(net.v[e]))]
        for (a0, n0), (a1, n1) in itertools.pairwise(chain):
            share = (a1 - a0) / length if length > 0 else 0.0
            add(n0, n1, float(costs.t_fwd[e]) * share)
            add(n1, n0, float(costs.t_back[e]) * share)
    for i in np.flatnonzero(~dsnap.off_network):
        G.add_edge(("h", int(i)), ("hp", int(i)), weight=float(dsnap.dist_m[i]) / speed)
    for j in np.flatnonzero(~fsnap.off_network):
        G.add_edge(("fp", int(j)), ("f", int(j)), weight=float(fsnap.dist_m[j]) / speed)
        G.add_edge(("f", int(j)), "S", weight=0.0)
    d = nx.single_source_dijkstra_path_length(G.reverse(copy=False), "S") if "S" in G else {}
    return np.array([d.get(("h", i), np.inf) for i in range(len(dsnap))])


def _quantile(t, w, q):
    """Inverted-CDF weighted quantile, by sorting (independent of the product's code)."""
    o = np.argsort(t, kind="stable")
    cw = np.cumsum(w[o])
    return float(t[o][np.flatnonzero(cw >= q * cw[-1] - 1e-9)[0]])


def _gini(t, w):
    """Weighted Gini by its definition: Σ Σ w_i w_j |x_i − x_j| / (2 W² x̄)."""
    mean = (w * t).sum() / w.sum()
    return float(
        (w[:, None] * w[None, :] * np.abs(t[:, None] - t[None, :])).sum() / (2 * w.sum() ** 2 * mean)
    )


@pytest.mark.realdata
def test_yuzhong_within_beyond_no_path_median_p90_gini_equal_networkx(yuzhong_roads, yuzhong_buildings):
    from lifecircle.geodata.sources import read_network

    # every component kept: homes that snap to a small island have no path to any station
    net = read_network(yuzhong_roads, keep="all")
    b = gpd.read_file(yuzhong_buildings)
    c = b.geometry.to_crs(net.crs).centroid
    hx, hy = c.x.to_numpy(), c.y.to_numpy()
    area = shapely.area(b.to_crs(net.crs).geometry.to_numpy())  # the weights: footprint m²
    pick = np.sort(np.random.default_rng(SEED).choice(len(hx), 30, replace=False))
    r = service_reach(net, (hx, hy), (hx[pick], hy[pick]), profile="elderly")
    costs = edge_costs(net, "elderly")
    ref = _nx_times(net, costs, r.demand, r.facilities, costs.speed_mps)

    within = ref <= THRESHOLD_S
    no_path = np.isinf(ref)
    beyond = ~within & ~no_path
    counts = (int(within.sum()), int(beyond.sum()), int(no_path.sum()))
    state = r.state(THRESHOLD_S)
    assert counts == tuple(int((state == s).sum()) for s in (WITHIN, BEYOND, NO_PATH))
    assert np.array_equal(no_path, r.no_path)
    np.testing.assert_allclose(r.time_s[~no_path], ref[~no_path], rtol=1e-9, atol=1e-6)
    assert min(counts) > 0  # all three states occur
    t, w, ones = ref[~no_path], area[~no_path], np.ones(int((~no_path).sum()))
    med, p90, gini = _quantile(t, w, 0.5), _quantile(t, w, 0.9), _gini(t, w)  # by footprint area
    med_h, p90_h, gini_h = _quantile(t, ones, 0.5), _quantile(t, ones, 0.9), _gini(t, ones)  # by home

    demand = pd.DataFrame(
        {"pop_total": 1.0, "pop_60": area, "pop_80": area, "pop_0_3": np.nan, "district": "500103",
         "street": "s", "community": "c", "urban": True},
        index=np.arange(len(hx)),
    )  # fmt: skip
    tab = coverage_indicators(demand, {"elderly": r.time_s}, {"elderly": THRESHOLD_S})
    top = tab[(tab["scope"] == "district") & (tab["area"] == "all")]
    homes = dict(zip(*top.loc[top["group"] == "pop_total", ["metric", "value"]].to_numpy().T, strict=True))
    weighted = dict(zip(*top.loc[top["group"] == "pop_60", ["metric", "value"]].to_numpy().T, strict=True))
    assert (homes["pop_covered"], homes["pop_beyond"], homes["pop_unreached"]) == counts
    assert homes["time_median_min"] * 60 == pytest.approx(med_h, abs=1e-6)
    assert homes["time_p90_min"] * 60 == pytest.approx(p90_h, abs=1e-6)
    assert homes["gini_time"] == pytest.approx(gini_h, abs=1e-6)
    assert weighted["time_median_min"] * 60 == pytest.approx(med, abs=1e-6)
    assert weighted["time_p90_min"] * 60 == pytest.approx(p90, abs=1e-6)
    assert weighted["gini_time"] == pytest.approx(gini, abs=1e-6)
    assert np.isfinite(p90) and p90 > THRESHOLD_S  # the p90 is a true time past the threshold
    print(
        f"\nYuzhong, 30 stations (seed {SEED}), {len(hx)} homes, 15 min elderly: within {counts[0]}, "
        f"beyond {counts[1]}, no path {counts[2]} ({int(r.cut_off.sum())} cut off, "
        f"{int(r.off_network.sum())} off the network); per home median {med_h / 60:.2f} min, p90 "
        f"{p90_h / 60:.2f} min, Gini {gini_h:.4f}; area-weighted median {med / 60:.2f} min, "
        f"p90 {p90 / 60:.2f} min, Gini {gini:.4f}; longest {t.max() / 60:.1f} min"
    )
