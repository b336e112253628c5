"""Isochrone polygons: partial edges cut at the reach point, holes kept, 100% of reached length inside.

Both ways of drawing them (the exact GEOS union and the traced contours) are checked.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import X0, Y0, hand_network, hand_xy

from lifecircle.coverage import _contours, isochrones
from lifecircle.coverage.isochrones import (
    facility_isochrones,
    reached_intervals,
    service_isochrones,
    substrings,
)
from lifecircle.coverage.profiles import edge_costs
from lifecircle.coverage.reach import reach_matrix, service_reach
from lifecircle.coverage.snapping import snap_points
from lifecircle.geodata.common import InputError

V = 0.9
xy = hand_xy


@pytest.fixture(scope="module")
def net():
    return hand_network()


def test_substrings_follow_the_edge(net):
    e = int(np.flatnonzero(net.length == 150.0)[0])  # the bent edge, 3 segments
    lines = substrings(net, np.array([e, e]), np.array([20.0, 0.0]), np.array([120.0, 150.0]))
    assert shapely.length(lines).tolist() == pytest.approx([100.0, 150.0])
    c = shapely.get_coordinates(lines[0]) - [X0, Y0]
    np.testing.assert_allclose(c, [[320, 100], [350, 100], [350, 150], [330, 150]])
    assert shapely.equals(lines[1], net.geometry[e])


def test_service_tiers_by_hand(net):
    fac = xy((30, 0), (80, 0))  # on A–B itself: no walk from the street
    r = service_reach(net, xy((150, 10)), fac, limit_s=1200)
    gdf = service_isochrones(r, net, minutes=[1, 2, 20], width_m=10)
    assert gdf.crs == net.crs
    assert gdf["minutes"].tolist() == [1, 2, 20]
    # 1 min = 54 m: all of A–B (the facilities at 30 and 80 cover it), 34 m up B–C and B–E
    # 2 min = 108 m: A–B, 88 m of B–C and of B–E; 20 min: the whole network (750 m)
    np.testing.assert_allclose(gdf["reached_length_m"], [168.0, 276.0, 750.0], atol=1e-6)
    np.testing.assert_allclose(gdf["inside_share"], 1.0)
    # the polygon is exactly the buffer of the hand-cut lines
    want = shapely.buffer(
        shapely.MultiLineString(
            [
                [(X0, Y0), (X0 + 134, Y0)],
                [(X0 + 100, Y0), (X0 + 100, Y0 + 34)],
            ]
        ),
        10,
        quad_segs=8,
    )
    g1 = gdf.geometry.iloc[0]
    assert shapely.symmetric_difference(g1, want).area < 1e-6 * want.area
    assert gdf["area_m2"].iloc[0] == pytest.approx(want.area)
    # tiers nest
    assert gdf.geometry.iloc[1].contains(g1) and gdf.geometry.iloc[2].contains(gdf.geometry.iloc[1])


def test_holes_are_kept(net):
    r = service_reach(net, xy((150, 10)), xy((100, 0)), limit_s=1200)
    gdf = service_isochrones(r, net, minutes=[20], width_m=20)
    poly = gdf.geometry.iloc[0]
    assert poly.geom_type == "Polygon"
    assert len(poly.interiors) == 1
    assert shapely.Polygon(poly.interiors[0]).area == pytest.approx(60 * 60, rel=1e-6)


def test_partial_edge_cut_uphill(net, tmp_path):
    z = 0.1 * (net.x - X0)  # eastward edges climb at 10%
    costs = edge_costs(net, "elderly", z)
    # facility at C(200,0): who reaches it in 60 s? Walking west→east up B–C is slow (factor e^−0.35),
    # walking down the steps C–D is level (north–south) at 0.45 m/s.
    r = service_reach(net, xy((150, 0)), xy((200, 0)), costs=costs, limit_s=600)
    gdf = service_isochrones(r, net, minutes=[1], width_m=5)
    up = 60 * V * np.exp(-0.35)  # metres of B–C from which C is reached in 60 s walking uphill
    steps = 60 * 0.45
    assert gdf["reached_length_m"].iloc[0] == pytest.approx(up + steps, abs=1e-6)
    assert gdf["inside_share"].iloc[0] == pytest.approx(1.0)


def test_facility_isochrones(net, monkeypatch):
    fac = xy((30, 0), (80, 0), (9000, 9000))
    r = service_reach(net, xy((150, 10)), fac, limit_s=600)
    gdf = facility_isochrones(r, net, minutes=[1, 2], width_m=10)
    assert gdf["facility"].tolist() == [0, 0, 1, 1]  # the off-network one is left out
    # facility 0 at 30: 30 m west to A (dead end) and 54 m east; facility 1 at 80: 54 west,
    # 20 east to B, then 34 m on both B–C and B–E
    np.testing.assert_allclose(gdf["reached_length_m"], [84, 176, 142, 276], atol=1e-6)
    np.testing.assert_allclose(gdf["inside_share"], 1.0)
    one = facility_isochrones(r, net, minutes=[2], facilities=[1], width_m=10)
    assert one["facility"].tolist() == [1] and one["reached_length_m"].iloc[0] == pytest.approx(276)
    # searched one facility at a time (as for many candidate sites in one tile): the same
    from lifecircle.coverage import routing

    monkeypatch.setattr(routing, "_MAX_DIST_ENTRIES", 1)
    again = facility_isochrones(r, net, minutes=[1, 2], width_m=10)
    np.testing.assert_allclose(again["reached_length_m"], gdf["reached_length_m"])
    assert again["facility"].tolist() == gdf["facility"].tolist()


def test_tiers_beyond_the_limit(net):
    r = service_reach(net, xy((150, 10)), xy((30, 5)), limit_s=600)
    with pytest.raises(InputError, match="exceeds the search limit"):
        service_isochrones(r, net, minutes=[5, 20])


def test_no_facilities_gives_empty_polygons(net):
    r = service_reach(net, xy((150, 10)), (np.zeros(0), np.zeros(0)), limit_s=1200)
    gdf = service_isochrones(r, net)
    assert gdf["minutes"].tolist() == [5, 10, 15, 20]
    assert gdf.geometry.is_empty.all() and (gdf["area_m2"] == 0).all()
    assert (gdf["reached_length_m"] == 0).all()


@pytest.mark.realdata
def test_yuzhong_elderly_ten_minutes(yuzhong_network, yuzhong_buildings):
    net = yuzhong_network
    b = gpd.read_file(yuzhong_buildings).to_crs(net.crs)
    b = b.loc[b.geometry.notna() & ~b.geometry.is_empty].reset_index(drop=True)
    area = b.geometry.area.to_numpy()
    elderly = 116_300 * area / area.sum()  # 7th census, Yuzhong aged 60+, spread by footprint
    homes = b.geometry.representative_point()
    rng = np.random.default_rng(68)
    sites = b.geometry.centroid.iloc[rng.choice(len(b), 68, replace=False)]
    r = service_reach(net, homes, sites, limit_s=1200)
    assert r.facility_off_network.sum() == 0
    share = r.share(600, weights=elderly)
    assert 0.3 < share < 1.0
    # the per-facility matrix agrees with the single multi-source search
    m = reach_matrix(net, r.demand, r.facilities, limit_s=600, costs=r.costs, graph=r.graph)
    covered_m = np.asarray(m.getnnz(axis=1) > 0).ravel()
    assert np.array_equal(covered_m, r.time_s <= 600)
    assert elderly[covered_m].sum() / elderly.sum() == pytest.approx(share)
    # polygons: 100% of reached length inside, and every covered home's street position inside
    gdf = service_isochrones(r, net, minutes=[5, 10, 15, 20], method="union")  # the exact buffer
    np.testing.assert_allclose(gdf["inside_share"], 1.0, atol=1e-9)
    assert (np.diff(gdf["reached_length_m"]) > 0).all()
    ten = gdf.loc[gdf["minutes"] == 10].geometry.iloc[0]
    cov = np.flatnonzero(r.time_s <= 600)
    snap = snap_points(net, homes.iloc[cov])
    on = shapely.line_interpolate_point(net.geometry[snap.edge], snap.along_m)
    assert shapely.covered_by(on, ten.buffer(1e-6)).all()
    fac_polys = facility_isochrones(r, net, minutes=[10], facilities=np.arange(5))
    np.testing.assert_allclose(fac_polys["inside_share"], 1.0, atol=1e-9)
    # (buffers of different line sets approximate their arcs differently, by well under 0.5 m)
    assert (fac_polys.geometry.apply(lambda g: ten.buffer(0.5).covers(g))).all()


# -- contours: marching squares on a distance grid (city scale) ------------------------------------


def _measured_inside(net, r, gdf) -> np.ndarray:
    """Per tier, the share of the reached length inside its polygon, measured here with shapely."""
    g, t = r.graph, r.split_time_s
    out = []
    for m, poly in zip(gdf["minutes"], gdf.geometry, strict=True):
        _, edge, s, e = reached_intervals(g, r.costs, t[g.p_from], t[g.p_to], m * 60.0)
        lines = substrings(net, edge, s, e)
        out.append(shapely.length(shapely.intersection(lines, poly)).sum() / shapely.length(lines).sum())
    return np.array(out)


def _within_cells(exact, traced, cells: float, cell_m: float) -> bool:
    """Every difference between the two polygons lies within ``cells`` grid cells of the exact boundary."""
    diff = shapely.symmetric_difference(exact, traced)
    return bool(shapely.buffer(exact.boundary, cells * cell_m).covers(diff))


def test_contour_keeps_every_reached_metre_inside(net):
    r = service_reach(net, xy((150, 10)), xy((30, 0), (80, 0)), limit_s=1200)
    exact = service_isochrones(r, net, minutes=[1, 2, 20], width_m=10, method="union")
    gdf = service_isochrones(r, net, minutes=[1, 2, 20], width_m=10, method="contour")
    assert gdf.columns.tolist() == exact.columns.tolist() and gdf.crs == net.crs
    np.testing.assert_allclose(gdf["reached_length_m"], [168.0, 276.0, 750.0], atol=1e-6)
    assert (gdf["inside_share"] == 1.0).all()
    np.testing.assert_allclose(_measured_inside(net, r, gdf), 1.0, rtol=0, atol=1e-9)
    assert gdf.geometry.is_valid.all()
    cell = 10 / _contours.CELLS_PER_WIDTH
    for a, b in zip(exact.geometry, gdf.geometry, strict=True):
        assert _within_cells(a, b, 1.5, cell)
    # the grids of nested tiers share their nodes, so the polygons nest
    g0, g1, g2 = gdf.geometry
    assert g1.covers(g0) and g2.covers(g1)


def test_contour_keeps_holes(net):
    r = service_reach(net, xy((150, 10)), xy((100, 0)), limit_s=1200)
    poly = service_isochrones(r, net, minutes=[20], width_m=20, method="contour").geometry.iloc[0]
    assert poly.geom_type == "Polygon" and len(poly.interiors) == 1
    # the 60 m × 60 m hole of the exact buffer, drawn within a 5 m cell
    assert shapely.Polygon(poly.interiors[0]).area == pytest.approx(60 * 60, rel=0.1)


def test_contour_strips_join_into_one_polygon(net, monkeypatch):
    r = service_reach(net, xy((150, 10)), xy((100, 0)), limit_s=1200)
    whole = service_isochrones(r, net, minutes=[2, 20], width_m=20, method="contour")
    monkeypatch.setattr(_contours, "_STRIP_NODES", 300)  # strips of 16 rows, cut through the polygons
    strips = service_isochrones(r, net, minutes=[2, 20], width_m=20, method="contour")
    assert strips.geometry.is_valid.all()
    assert shapely.equals(strips.geometry.values, whole.geometry.values).all()
    np.testing.assert_allclose(strips["area_m2"], whole["area_m2"], rtol=1e-12)


def test_contour_measures_what_it_cannot_prove(net):
    # cells as wide as the access width: the 16-corner proof fails for some pieces, whose
    # length inside is then measured exactly
    r = service_reach(net, xy((150, 10)), xy((30, 0), (80, 0)), limit_s=1200)
    g, t = r.graph, r.split_time_s
    _, edge, s, e = reached_intervals(g, r.costs, t[g.p_from], t[g.p_to], 120.0)
    lines = substrings(net, edge, s, e)
    xy_, idx = shapely.get_coordinates(lines, return_index=True)
    poly, length, inside, _ = _contours.contour_group(xy_, np.bincount(idx), 10.0, 10.0)
    np.testing.assert_allclose(length, shapely.length(lines))
    np.testing.assert_allclose(inside, shapely.length(shapely.intersection(lines, poly)), atol=1e-9)


def test_facility_contours(net):
    r = service_reach(net, xy((150, 10)), xy((30, 0), (80, 0), (9000, 9000)), limit_s=600)
    gdf = facility_isochrones(r, net, minutes=[1, 2], width_m=10, method="contour")
    assert gdf["facility"].tolist() == [0, 0, 1, 1]
    np.testing.assert_allclose(gdf["reached_length_m"], [84, 176, 142, 276], atol=1e-6)
    np.testing.assert_allclose(gdf["inside_share"], 1.0)


def test_auto_traces_contours_from_a_size(net, monkeypatch):
    r = service_reach(net, xy((150, 10)), xy((30, 0), (80, 0)), limit_s=1200)
    kw = {"minutes": [2, 20], "width_m": 10}
    exact = service_isochrones(r, net, method="union", **kw)
    traced = service_isochrones(r, net, method="contour", **kw)
    assert shapely.equals(service_isochrones(r, net, **kw).geometry.values, exact.geometry.values).all()
    monkeypatch.setattr(isochrones, "CONTOUR_FROM", 3)  # the 20-minute tier has 7 pieces
    auto = service_isochrones(r, net, **kw)
    assert shapely.equals(auto.geometry.values, traced.geometry.values).all()
    with pytest.raises(ValueError, match="method"):
        service_isochrones(r, net, method="raster", **kw)


@pytest.fixture(scope="module")
def yuzhong_reach(yuzhong_network, yuzhong_buildings):
    b = gpd.read_file(yuzhong_buildings).to_crs(yuzhong_network.crs)
    b = b.loc[b.geometry.notna() & ~b.geometry.is_empty].reset_index(drop=True)
    rng = np.random.default_rng(68)
    sites = b.geometry.centroid.iloc[rng.choice(len(b), 68, replace=False)]
    return service_reach(yuzhong_network, b.geometry.representative_point(), sites, limit_s=1200)


@pytest.mark.realdata
def test_yuzhong_contours_agree_with_the_exact_buffers(yuzhong_network, yuzhong_reach, monkeypatch):
    net, r = yuzhong_network, yuzhong_reach
    exact = service_isochrones(r, net, method="union")
    gdf = service_isochrones(r, net, method="contour")
    # the 20-minute polygon gathers more than CONTOUR_FROM reached pieces: auto traces contours
    auto = service_isochrones(r, net)
    assert shapely.equals(auto.geometry.values, gdf.geometry.values).all()
    monkeypatch.setattr(isochrones, "CONTOUR_FROM", 10**9)  # ... and below it, the exact buffer
    assert shapely.equals(service_isochrones(r, net).geometry.values, exact.geometry.values).all()
    monkeypatch.undo()
    np.testing.assert_allclose(gdf["reached_length_m"], exact["reached_length_m"], rtol=1e-12)
    np.testing.assert_allclose(gdf["inside_share"], 1.0, rtol=0, atol=1e-9)
    np.testing.assert_allclose(_measured_inside(net, r, gdf), 1.0, rtol=0, atol=1e-9)
    assert gdf.geometry.is_valid.all()
    # stated tolerance: the contour lies on average about 2 m outside the exact 50 m buffer
    # (marks rounded to 12.5 m nodes), so its area is 0–3% larger and the two differ by under
    # 5% of the area, every difference within 1.5 cells (18.75 m) of the exact boundary
    ratio = gdf["area_m2"].to_numpy() / exact["area_m2"].to_numpy()
    assert ((ratio > 1.0) & (ratio < 1.03)).all()
    cell = 50.0 / _contours.CELLS_PER_WIDTH
    for a, b in zip(exact.geometry, gdf.geometry, strict=True):
        assert shapely.symmetric_difference(a, b).area < 0.05 * a.area
        assert _within_cells(a, b, 1.5, cell)
    polys = gdf.geometry.to_numpy()
    assert shapely.covers(polys[1:], polys[:-1]).all()  # tiers nest
    # cut into strips of a few rows, the same polygons
    monkeypatch.setattr(_contours, "_STRIP_NODES", 5000)
    strips = service_isochrones(r, net, method="contour")
    assert strips.geometry.is_valid.all()
    assert shapely.equals(strips.geometry.values, gdf.geometry.values).all()
