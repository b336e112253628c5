"""Candidate sites from user layers, footprints and the network; siting on real Yuzhong data."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from lifecircle.coverage.siting.candidates import (
    MIN_SITE_AREA_M2,
    candidates_from_footprints,
    candidates_from_layer,
    candidates_on_network,
)
from lifecircle.geodata.common import InputError


def _square(lon, lat, side_m):
    d = side_m / 111_000.0
    return shapely.box(lon, lat, lon + d / np.cos(np.radians(lat)), lat + d)


def test_layer_points_and_polygons(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"code": ["a", "b", "c"], "cost": [80000, 300000, 50000], "beds": [20, 40, None]},
        geometry=[shapely.Point(106.55, 29.55), _square(106.56, 29.56, 20), _square(106.57, 29.57, 10)],
        crs=4326,
    )
    path = tmp_path / "sites.geojson"
    gdf.to_file(path)
    out = candidates_from_layer(path, id_col="code", cost_col="cost", capacity_col="beds")
    assert out["id"].tolist() == ["a", "b", "c"]
    assert out["cost"].tolist() == [80000, 300000, 50000]
    assert out["capacity"].iloc[1] == 40 and np.isnan(out["capacity"].iloc[2])
    assert np.isnan(out["area_m2"].iloc[0])
    assert out["area_m2"].iloc[1] == pytest.approx(400, rel=0.02)
    assert shapely.intersects(out.geometry.to_numpy()[1:], gdf.geometry.to_numpy()[1:]).all()
    assert out.geometry.iloc[0].equals(gdf.geometry.iloc[0])
    assert (out["status"] == "candidate").all()
    # polygons under 300 m² are dropped when asked; the point has no area and stays
    kept = candidates_from_layer(path, id_col="code", min_area_m2=MIN_SITE_AREA_M2)
    assert kept["id"].tolist() == ["a", "b"]


def test_layer_bad_input(tmp_path):
    gdf = gpd.GeoDataFrame({"cost": ["free"]}, geometry=[shapely.Point(106.5, 29.5)], crs=4326)
    with pytest.raises(InputError, match="'cost'"):
        candidates_from_layer(gdf, cost_col="cost")
    with pytest.raises(InputError, match="no column 'beds'"):
        candidates_from_layer(gdf, capacity_col="beds")
    with pytest.raises(InputError, match="no such file"):
        candidates_from_layer(tmp_path / "missing.geojson")


def test_gcj02_layer_is_shifted():
    pt = shapely.Point(106.55, 29.55)
    gdf = gpd.GeoDataFrame({"id": ["x"]}, geometry=[pt], crs=4326)
    out = candidates_from_layer(gdf, crs="gcj02", id_col="id")
    # GCJ-02 → WGS84 moves Chongqing points by a few hundred metres
    shift = gpd.GeoSeries([out.geometry.iloc[0], pt], crs=4326).to_crs(32648)
    assert 100 < shift.iloc[0].distance(shift.iloc[1]) < 800


def test_network_candidates_spacing(yuzhong_network):
    net = yuzhong_network
    out = candidates_on_network(net, 100.0)
    length = shapely.length(net.geometry)
    expected = np.maximum(1, np.round(length / 100.0)).sum()
    assert len(out) == expected
    # points lie on their edges, at the stated offsets
    pts = out.to_crs(net.crs).geometry.to_numpy()
    d = shapely.distance(pts, net.geometry[out["edge"].to_numpy()])
    assert d.max() < 1e-6
    back = shapely.line_locate_point(net.geometry[out["edge"].to_numpy()], pts)
    assert np.allclose(back, out["offset_m"].to_numpy(), atol=1e-6)
    with pytest.raises(InputError, match="spacing"):
        candidates_on_network(net, 0)


def test_yuzhong_buildings_over_300m2(yuzhong_buildings):
    out = candidates_from_footprints(yuzhong_buildings, min_area_m2=MIN_SITE_AREA_M2)
    all_ = candidates_from_footprints(yuzhong_buildings, min_area_m2=0)
    assert 0 < len(out) < len(all_)
    assert (out["area_m2"] >= MIN_SITE_AREA_M2).all()
    assert (all_["area_m2"] < MIN_SITE_AREA_M2).sum() == len(all_) - len(out)


@pytest.mark.realdata
def test_yuzhong_lscp_with_engine_reach(yuzhong_network, yuzhong_buildings, yuzhong_boundary):
    """Every elderly resident within 10 minutes (001 task 8): optimal count, proven, all covered."""
    from lifecircle.coverage.reach import reach_matrix
    from lifecircle.coverage.siting import LSCP, MCLP, siting_problem
    from lifecircle.geodata.demand import demand_from_buildings

    dem = demand_from_buildings(
        yuzhong_buildings,
        totals={"pop_total": 588_700, "pop_60": 116_300},
        clip=yuzhong_boundary,
        clip_crs="gcj02",
        min_area_m2=0.0,
        type_col=False,
    ).table
    cand = candidates_from_footprints(yuzhong_buildings, min_area_m2=MIN_SITE_AREA_M2)
    m = reach_matrix(yuzhong_network, dem, cand, limit_s=600.0, profile="elderly")
    w = dem["pop_60"].to_numpy(float)
    pb = siting_problem(m, w, threshold_s=600.0, demand=dem, candidate_ids=cand["id"].to_numpy())
    res = LSCP(pb).solve(time_limit=30)
    assert res.optimal and res.bound == res.objective
    cov = pb.coverable
    assert res.covered_after[cov].all()
    # removing any one chosen site leaves someone coverable uncovered (minimality)
    a = pb.cover_csc
    counts = np.asarray(a[:, res.sites].sum(axis=1)).ravel()
    for j in res.sites[:10]:
        rows = a.indices[a.indptr[j] : a.indptr[j + 1]]
        assert (counts[rows] == 1).any()
    # MCLP with as many sites reaches the same coverage, proven
    full = float(w[cov].sum())
    mc = MCLP(pb, int(res.objective)).solve(time_limit=30)
    assert mc.objective == pytest.approx(full) and mc.optimal
