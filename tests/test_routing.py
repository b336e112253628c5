"""Snapping to edges, the split search graph, and exactness against networkx on Yuzhong."""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely

from lifecircle.coverage.profiles import edge_costs
from lifecircle.coverage.reach import reach_matrix, service_reach
from lifecircle.coverage.routing import build_split_graph
from lifecircle.coverage.snapping import snap_points
from lifecircle.geodata.common import InputError
from lifecircle.geodata.network import build_network

X0, Y0 = 500000.0, 3300000.0
UTM48 = pyproj.CRS.from_epsg(32648)


def _line(*pts):
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in pts])


def small_network():
    lines = gpd.GeoDataFrame(
        {"highway": ["footway", "residential", "footway"]},
        geometry=[
            _line((0, 0), (100, 0)),
            _line((100, 0), (200, 0)),
            _line((100, 0), (100, 100)),
        ],
        crs=UTM48,
    )
    return build_network(lines, source="small", crs=UTM48)


def test_snap_to_edge_not_node():
    net = small_network()
    pts = (np.array([X0 + 150, X0 + 40, X0 + 5000, np.nan]), np.array([Y0 + 10, Y0 - 7, Y0, Y0]))
    s = snap_points(net, pts, max_snap_m=250)
    assert s.off_network.tolist() == [False, False, True, True]
    assert s.n_off_network == 2
    np.testing.assert_allclose(s.dist_m[:2], [10.0, 7.0])
    assert np.isinf(s.dist_m[2:]).all() and (s.edge[2:] == -1).all()
    e0 = s.edge[0]
    assert net.length[e0] == 100.0
    # along is measured from u; the edge B-C runs from x=100 to x=200
    assert s.along_m[0] == pytest.approx(50.0)
    assert s.along_m[1] == pytest.approx(40.0)
    # a smaller limit flags the 10 m point off-network, never attaching it
    s2 = snap_points(net, pts, max_snap_m=8)
    assert s2.off_network.tolist() == [True, False, True, True]


def test_snap_geodataframe_in_wgs84():
    net = small_network()
    to_ll = pyproj.Transformer.from_crs(UTM48, 4326, always_xy=True)
    lon, lat = to_ll.transform([X0 + 150.0], [Y0 + 10.0])
    gdf = gpd.GeoDataFrame(geometry=[shapely.Point(lon[0], lat[0]), None], crs=4326)
    s = snap_points(net, gdf)
    assert s.dist_m[0] == pytest.approx(10.0, abs=1e-6)
    assert s.off_network.tolist() == [False, True]
    with pytest.raises(InputError, match="coordinate reference system"):
        snap_points(net, gpd.GeoDataFrame(geometry=[shapely.Point(1, 2)]))


def test_parallel_edges_keep_the_shorter():
    lines = gpd.GeoDataFrame(
        {"highway": ["footway", "footway"]},
        geometry=[_line((0, 0), (100, 0)), _line((0, 0), (50, 70), (100, 0))],
        crs=UTM48,
    )
    net = build_network(lines, source="parallel", crs=UTM48)
    assert net.n_edges == 2 and net.n_nodes == 2
    fac = (np.array([X0 - 3.0]), np.array([Y0]))
    home = (np.array([X0 + 103.0]), np.array([Y0]))
    r = service_reach(net, home, fac)
    # the home's 3 m access leg, 100 m, and the facility's 3 m from the street; summed parallel
    # arcs would give (3 + 100 + 172 + 3) / 0.9
    assert r.time_s[0] == pytest.approx((3 + 100 + 3) / 0.9, abs=1e-6)


def test_split_graph_pieces():
    net = small_network()
    costs = edge_costs(net, "elderly")
    fac = snap_points(net, (np.array([X0 + 20, X0 + 70, X0 + 20]), np.array([Y0 + 1, Y0 - 1, Y0 + 500])))
    g = build_split_graph(net, costs, fac)
    assert g.n_facilities_on_network == 2
    assert g.fac_node.tolist() == [net.n_nodes, net.n_nodes + 1, -1]
    # the first edge became three pieces, lengths 20, 50, 30; total length is unchanged
    on_first = g.p_edge == fac.edge[0]
    np.testing.assert_allclose(np.sort(g.p_a1[on_first] - g.p_a0[on_first]), [20, 30, 50])
    assert (g.p_a1 - g.p_a0).sum() == pytest.approx(net.length.sum())
    np.testing.assert_allclose(g.p_tf, (g.p_a1 - g.p_a0) / 0.9)


def _reference(net, tf, tb, dsnap, fsnap, along=None, speed=0.9):
    """networkx graph with every snap point inserted as a node.

    ``along(e, a)`` gives the times (u→a, a→u) on edge ``e``; default linear in ``a``. Each
    facility ``("f", i)`` on its street leads to its door ``("door", i)`` through its access
    leg (snap distance at ``speed``); searches to facilities end at the doors.
    """
    G = nx.DiGraph()
    for i in np.flatnonzero(~fsnap.off_network):
        G.add_edge(("f", int(i)), ("door", int(i)), weight=float(fsnap.dist_m[i]) / speed)
    if along is None:

        def along(e, a):
            frac = a / float(net.length[e])
            return tf[e] * frac, tb[e] * frac

    def add(a, b, w):
        if a != b and (not G.has_edge(a, b) or G[a][b]["weight"] > w):
            G.add_edge(a, b, weight=w)

    extra = {}
    for kind, snap in (("d", dsnap), ("f", fsnap)):
        for i in np.flatnonzero(~snap.off_network):
            extra.setdefault(int(snap.edge[i]), []).append((float(snap.along_m[i]), (kind, int(i))))
    for e in range(net.n_edges):
        u, v, L = int(net.u[e]), int(net.v[e]), float(net.length[e])
        pts = sorted(extra.get(e, []))
        chain = [(0.0, u), *pts, (L, v)]
        for (a0, n0), (a1, n1) in itertools.pairwise(chain):
            f0, b0 = along(e, a0)
            f1, b1 = along(e, a1)
            add(n0, n1, f1 - f0)
            add(n1, n0, b1 - b0)
    return G


@pytest.mark.realdata
def test_yuzhong_times_equal_networkx(yuzhong_network):
    net = yuzhong_network
    rng = np.random.default_rng(20260301)
    costs = edge_costs(net, "elderly")
    assert (net.highway == "steps").any()
    # 200 homes scattered around random nodes, 15 facilities around others
    i = rng.choice(net.n_nodes, 200, replace=False)
    homes = (net.x[i] + rng.uniform(-120, 120, 200), net.y[i] + rng.uniform(-120, 120, 200))
    nf = 30
    j = rng.choice(net.n_nodes, nf, replace=False)
    facs = (net.x[j] + rng.uniform(-60, 60, nf), net.y[j] + rng.uniform(-60, 60, nf))
    dsnap = snap_points(net, homes)
    fsnap = snap_points(net, facs)
    assert dsnap.n_off_network == 0 and fsnap.n_off_network == 0
    r = service_reach(net, dsnap, fsnap, costs=costs)

    G = _reference(net, costs.t_fwd, costs.t_back, dsnap, fsnap)
    to_fac = nx.multi_source_dijkstra_path_length(G.reverse(copy=False), [("door", k) for k in range(nf)])
    ref = np.array([dsnap.dist_m[k] / 0.9 + to_fac.get(("d", k), np.inf) for k in range(200)])
    assert np.isfinite(ref).all()
    np.testing.assert_allclose(r.time_s, ref, rtol=1e-9, atol=1e-6)
    # node times too
    nt = np.array([to_fac.get(n, np.inf) for n in range(net.n_nodes)])
    np.testing.assert_allclose(r.node_time_s, nt, rtol=1e-9, atol=1e-6)

    # the matrix, facility by facility, up to 15 minutes
    limit = 900.0
    m = reach_matrix(net, dsnap, fsnap, limit_s=limit, costs=costs, graph=r.graph).toarray()
    Grev = G.reverse(copy=False)
    want = np.zeros((200, nf))
    for k in range(nf):
        d = nx.single_source_dijkstra_path_length(Grev, ("door", k), cutoff=limit)
        for h in range(200):
            t = dsnap.dist_m[h] / 0.9 + d.get(("d", h), np.inf)
            if t <= limit:
                want[h, k] = t
    np.testing.assert_allclose(m, want, rtol=1e-9, atol=1e-6)
    assert (want > 0).sum() > 200  # the check is not vacuous
    # nearest facility agrees with the matrix row minimum where reached within the limit
    reached = r.time_s <= limit
    row_min = np.where(m > 0, m, np.inf).min(axis=1)
    np.testing.assert_allclose(row_min[reached], r.time_s[reached], rtol=1e-9)
    assert m[np.flatnonzero(reached), r.facility[reached]] == pytest.approx(r.time_s[reached])


@pytest.mark.realdata
def test_region_plus_buffer_is_exact(yuzhong_network):
    from lifecircle.coverage.routing import region_network

    net = yuzhong_network
    rng = np.random.default_rng(7)
    costs = edge_costs(net, "elderly")
    limit = 600.0
    x0, x1 = np.quantile(net.x, [0.35, 0.6])
    y0, y1 = np.quantile(net.y, [0.35, 0.6])
    homes = (rng.uniform(x0, x1, 300), rng.uniform(y0, y1, 300))
    j = rng.choice(net.n_nodes, 60, replace=False)
    facs = (net.x[j] + rng.uniform(-40, 40, 60), net.y[j] + rng.uniform(-40, 40, 60))
    dsnap, fsnap = snap_points(net, homes), snap_points(net, facs)
    whole = service_reach(net, dsnap, fsnap, costs=costs, limit_s=limit)

    buffer = limit * costs.max_speed_mps
    assert buffer == pytest.approx(540.0)  # 0.9 m/s is the fastest: steps only slow down
    part, edge_map = region_network(net, (x0, y0, x1, y1), buffer)
    assert part.n_edges < 0.8 * net.n_edges  # the part is really a part
    np.testing.assert_array_equal(part.length, net.length[edge_map >= 0])
    costs_p = edge_costs(part, "elderly")
    r = service_reach(
        part, dsnap.on_subnetwork(edge_map), fsnap.on_subnetwork(edge_map), costs=costs_p, limit_s=limit
    )
    np.testing.assert_allclose(r.time_s, whole.time_s, rtol=1e-12)
    assert np.isfinite(whole.time_s).sum() > 50
    # a buffer too small loses reach somewhere
    small, m2 = region_network(net, (x0, y0, x1, y1), 50.0)
    r2 = service_reach(
        small,
        dsnap.on_subnetwork(m2),
        fsnap.on_subnetwork(m2),
        costs=edge_costs(small, "elderly"),
        limit_s=limit,
    )
    assert (r2.time_s > whole.time_s + 1e-6).any()


@pytest.mark.realdata
def test_yuzhong_sloped_times_equal_networkx(yuzhong_network, tmp_path):
    """Under a tilted-plane DEM, per-segment Tobler times (computed here independently) match."""
    import math

    import rasterio
    from affine import Affine

    from lifecircle.coverage.slope import sample_dem
    from lifecircle.geodata.dem import read_dem

    net = yuzhong_network
    x0, y0 = float(net.x.min()) - 500, float(net.y.max()) + 500
    res = 20.0
    w = int((net.x.max() + 500 - x0) / res) + 1
    h = int((y0 - (net.y.min() - 500)) / res) + 1

    def plane(x, y):
        return 0.08 * (x - x0) - 0.05 * (y - y0)

    xc = x0 + res * (np.arange(w) + 0.5)
    yc = y0 - res * (np.arange(h) + 0.5)
    z = plane(xc[None, :], yc[:, None]).astype("float64")
    dem = tmp_path / "plane.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float64",
        crs=net.crs.to_wkt(),
        transform=Affine(res, 0, x0, 0, -res, y0),
    ) as dst:
        dst.write(z, 1)
    costs = edge_costs(net, "elderly", sample_dem(read_dem(dem, net), net))

    # independent per-segment times along every edge
    segs = {}
    for e in range(net.n_edges):
        c = np.asarray(net.geometry[e].coords)
        d = np.hypot(*np.diff(c, axis=0).T)
        g = np.diff(plane(c[:, 0], c[:, 1])) / d
        v = 0.9 * (0.5 if net.highway[e] == "steps" else 1.0)
        f = lambda s: math.exp(-3.5 * abs(s + 0.05)) / math.exp(-3.5 * 0.05)  # noqa: E731
        segs[e] = (
            np.r_[0, np.cumsum(d)],
            d / np.array([v * f(s) for s in g]),
            d / np.array([v * f(-s) for s in g]),
        )

    def along(e, a):
        cum, sf, sb = segs[e]
        k = min(int(np.searchsorted(cum, a, side="right")) - 1, len(sf) - 1)
        part = (a - cum[k]) / (cum[k + 1] - cum[k])
        return sf[:k].sum() + part * sf[k], sb[:k].sum() + part * sb[k]

    rng = np.random.default_rng(11)
    i = rng.choice(net.n_nodes, 200, replace=False)
    homes = (net.x[i] + rng.uniform(-100, 100, 200), net.y[i] + rng.uniform(-100, 100, 200))
    j = rng.choice(net.n_nodes, 20, replace=False)
    facs = (net.x[j] + rng.uniform(-50, 50, 20), net.y[j] + rng.uniform(-50, 50, 20))
    dsnap, fsnap = snap_points(net, homes), snap_points(net, facs)
    r = service_reach(net, dsnap, fsnap, costs=costs)
    G = _reference(net, None, None, dsnap, fsnap, along=along)
    to_fac = nx.multi_source_dijkstra_path_length(G.reverse(copy=False), [("door", k) for k in range(20)])
    ok = ~dsnap.off_network
    ref = np.array([dsnap.dist_m[k] / 0.9 + to_fac.get(("d", k), np.inf) for k in range(200)])
    np.testing.assert_allclose(r.time_s[ok], ref[ok], rtol=1e-9, atol=1e-6)
    # uphill and downhill really differ on this DEM
    assert np.abs(costs.t_fwd - costs.t_back).max() > 10.0


def test_facility_on_a_loop_edge():
    # a loop B→(150,0)→(150,50)→(100,50)→B of 200 m hangs off A–B; the facility sits 75 m into it
    lines = gpd.GeoDataFrame(
        {"highway": ["footway", "footway"]},
        geometry=[_line((0, 0), (100, 0)), _line((100, 0), (150, 0), (150, 50), (100, 50), (100, 0))],
        crs=UTM48,
    )
    net = build_network(lines, source="loop", crs=UTM48)
    loop = int(np.flatnonzero(net.u == net.v)[0])
    assert net.length[loop] == pytest.approx(200.0)
    fac = (np.array([X0 + 153.0]), np.array([Y0 + 25.0]))
    homes = (np.array([X0, X0 + 110, X0 + 104]), np.array([Y0 - 2, Y0 + 50, Y0 + 40]))
    r = service_reach(net, homes, fac)
    # A: 2 m access, 100 m to B, then the shorter way round (75 m, not 125 m), then the
    # facility's 3 m from the street (it stands 3 m east of the loop)
    # (110, 50): 140 m along the loop: 65 m back to the facility (on through B: 60 + 75)
    # (104, 40): 4 m access, 160 m along: 85 m back (on through B: 40 + 75 = 115)
    np.testing.assert_allclose(r.time_s, [(2 + 175 + 3) / 0.9, (65 + 3) / 0.9, (4 + 85 + 3) / 0.9], atol=1e-6)
    # a facility 40 m past B on the loop's far side (2 m off it) is reached from A through B
    r2 = service_reach(net, homes, (np.array([X0 + 98.0]), np.array([Y0 + 40.0])))
    assert r2.time_s[0] == pytest.approx((2 + 140 + 2) / 0.9)
