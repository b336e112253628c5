"""Walking profiles, steps, and Tobler slope from a DEM, checked against hand computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import X0, Y0, hand_network

from lifecircle.coverage.profiles import PROFILES, WalkProfile, edge_costs, edge_times, get_profile
from lifecircle.coverage.reach import service_reach
from lifecircle.coverage.slope import sample_dem, tobler_factor, tobler_kmh
from lifecircle.geodata.common import InputError
from lifecircle.geodata.dem import read_dem


def write_dem(path, *, xmax=500.0, grade=0.1, nodata_block=False):
    """A plane z = grade · (x − X0) on 10 m pixels, EPSG:32648."""
    import rasterio
    from affine import Affine

    res = 10.0
    left, top = X0 - 100.0, Y0 + 300.0
    w = int((X0 + xmax - left) / res)
    h = int((top - (Y0 - 100.0)) / res)
    xc = left + res * (np.arange(w) + 0.5)
    z = np.tile(grade * (xc - X0), (h, 1)).astype("float32")
    if nodata_block:
        z[:, 43:47] = -9999.0  # x from X0 + 330 to X0 + 370: under the hairpin
    transform = Affine(res, 0.0, left, 0.0, -res, top)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs="EPSG:32648",
        transform=transform,
        nodata=-9999.0,
    ) as dst:
        dst.write(z, 1)
    return path


def test_named_profiles_are_assumptions():
    e, a, c = PROFILES["elderly"], PROFILES["adult"], PROFILES["childcare"]
    assert (e.speed_mps, e.steps_factor) == (0.9, 0.5)
    assert (a.speed_mps, a.steps_factor) == (1.2, 1.0)
    assert (c.speed_mps, c.steps_factor) == (1.0, 0.3)
    keys = {x.key for x in e.assumptions}
    assert keys == {"speed.elderly", "steps.elderly"}
    # 15 minutes at the elderly speed is the planners' ~800 m
    assert 15 * e.metres_per_minute == pytest.approx(810.0)


def test_override_replaces_assumption():
    p = get_profile("elderly", speed_mps=0.8)
    assert p.speed_mps == 0.8 and p.steps_factor == 0.5
    speed = [a for a in p.assumptions if a.key == "speed.elderly"]
    assert (
        len(speed) == 1 and speed[0].value == 0.8 and speed[0].source_text("en") == "this run's configuration"
    )
    assert any(a.key == "steps.elderly" and a.value == 0.5 for a in p.assumptions)
    with pytest.raises(InputError, match="speed_mps"):
        get_profile("elderly", speed_mps=-1)
    with pytest.raises(InputError, match="unknown"):
        get_profile("toddler")
    with pytest.raises(InputError, match="unknown field"):
        get_profile("adult", pace=3)


def test_flat_edge_times_with_steps():
    net = hand_network()
    tf, tb = edge_times(net, "elderly")
    steps = net.highway == "steps"
    assert steps.sum() == 1
    expected = np.where(steps, net.length / (0.9 * 0.5), net.length / 0.9)
    np.testing.assert_allclose(tf, expected, atol=0.1)
    np.testing.assert_allclose(tb, tf)
    # the stroller profile is slower still on steps: 100 m at 0.3 m/s
    tfc, _ = edge_times(net, "childcare")
    assert tfc[steps][0] == pytest.approx(100 / 0.3, abs=0.1)
    # custom profile
    tfa, _ = edge_times(net, WalkProfile("brisk", 1.5, 0.8))
    assert tfa[steps][0] == pytest.approx(100 / 1.2, abs=0.1)


def test_tobler_function_by_hand():
    assert tobler_kmh(0.0) == pytest.approx(6 * math.exp(-0.175))
    assert tobler_kmh(-0.05) == pytest.approx(6.0)
    assert tobler_factor(0.0) == pytest.approx(1.0)
    assert tobler_factor(0.1) == pytest.approx(math.exp(-3.5 * 0.15) / math.exp(-3.5 * 0.05))


def _edge(net, x0, y0, x1, y1):
    """Index of the edge from (x0, y0) to (x1, y1), and whether it runs that way (u→v)."""
    ux, uy, vx, vy = net.x[net.u], net.y[net.u], net.x[net.v], net.y[net.v]
    fwd = np.flatnonzero(
        np.isclose(ux, X0 + x0) & np.isclose(uy, Y0 + y0) & np.isclose(vx, X0 + x1) & np.isclose(vy, Y0 + y1)
    )
    if len(fwd):
        return int(fwd[0]), True
    back = np.flatnonzero(
        np.isclose(vx, X0 + x0) & np.isclose(vy, Y0 + y0) & np.isclose(ux, X0 + x1) & np.isclose(uy, Y0 + y1)
    )
    return int(back[0]), False


def _directed(tf, tb, net, a, b):
    e, fwd = _edge(net, *a, *b)
    return (tf[e], tb[e]) if fwd else (tb[e], tf[e])


def test_sloped_edges_match_tobler_by_hand(tmp_path):
    net = hand_network()
    dem = write_dem(tmp_path / "dem.tif")
    elev = sample_dem(read_dem(dem, net), net)
    assert elev.share_missing == 0.0
    costs = edge_costs(net, "elderly", elev)
    tf, tb = costs.t_fwd, costs.t_back
    v = 0.9
    uphill = 100 / (v * math.exp(-3.5 * (0.15 - 0.05)))  # grade +0.1
    downhill = 100 / (v * math.exp(-3.5 * (0.05 - 0.05)))  # grade −0.1 → |−0.05|
    assert uphill == pytest.approx(157.68, abs=0.01)
    assert downhill == pytest.approx(111.11, abs=0.01)
    east, west = _directed(tf, tb, net, (0, 0), (100, 0))
    assert east == pytest.approx(uphill, abs=0.1)
    assert west == pytest.approx(downhill, abs=0.1)
    assert east != pytest.approx(west, abs=1.0)
    # level edge unchanged, steps edge level too: 100 m at 0.45 m/s both ways
    up, down = _directed(tf, tb, net, (200, 0), (200, 100))
    assert up == pytest.approx(100 / 0.45, abs=0.1) and down == pytest.approx(100 / 0.45, abs=0.1)
    # hairpin: 50 m up, 50 m level, 50 m down — per segment, not end to end (which would be level)
    hp, back = _directed(tf, tb, net, (300, 100), (300, 150))
    by_hand = 50 / (v * math.exp(-0.35)) + 50 / v + 50 / v
    assert hp == pytest.approx(by_hand, abs=0.1)
    assert back == pytest.approx(by_hand, abs=0.1)
    assert hp > 150 / v + 20


def test_sloped_reach_walks_uphill_slower(tmp_path):
    net = hand_network()
    costs = edge_costs(net, "elderly", sample_dem(read_dem(write_dem(tmp_path / "dem.tif"), net), net))
    fac = (np.array([X0 + 30.0]), np.array([Y0 + 5.0]))
    homes = (np.array([X0 + 10.0, X0 + 60.0]), np.array([Y0 - 4.0, Y0]))
    r = service_reach(net, homes, fac, costs=costs)
    # home west of the facility walks 20 m uphill (east) after a 4 m level access leg; the
    # facility stands 5 m off the street, walked level at the flat speed
    assert r.time_s[0] == pytest.approx(4 / 0.9 + 20 / (0.9 * math.exp(-0.35)) + 5 / 0.9, abs=0.1)
    # home east of it walks 30 m downhill at grade −0.1: Tobler's peak, the flat speed
    assert r.time_s[1] == pytest.approx((30 + 5) / 0.9, abs=0.1)


def test_node_heights_give_constant_grade():
    net = hand_network()
    z = 0.1 * (net.x - X0)
    tf, tb = edge_times(net, "elderly", z)
    east, west = _directed(tf, tb, net, (100, 100), (200, 100))
    assert east == pytest.approx(100 / (0.9 * math.exp(-0.35)), abs=0.1)
    assert west == pytest.approx(100 / 0.9, abs=0.1)
    # node heights only see the hairpin's ends, both at the same height: level
    hp, _ = _directed(tf, tb, net, (300, 100), (300, 150))
    assert hp == pytest.approx(150 / 0.9, abs=0.1)


def test_dem_not_covering_network(tmp_path):
    net = hand_network()
    small = write_dem(tmp_path / "small.tif", xmax=150.0)
    with pytest.raises(InputError, match="does not cover"):
        sample_dem(read_dem(small, net), net)
    elev = sample_dem(read_dem(small, net), net, fallback="flat")
    assert 0 < elev.share_missing < 1
    tf, tb = edge_times(net, "elderly", elev)
    # covered: still sloped
    east, _ = _directed(tf, tb, net, (0, 0), (100, 0))
    assert east == pytest.approx(100 / (0.9 * math.exp(-0.35)), abs=0.1)
    # beyond the DEM: level, both ways
    east, west = _directed(tf, tb, net, (200, 100), (300, 100))
    assert east == pytest.approx(100 / 0.9, abs=0.1) and west == pytest.approx(100 / 0.9, abs=0.1)
    # nodata inside the raster counts as missing too
    with pytest.raises(InputError, match="does not cover"):
        sample_dem(read_dem(write_dem(tmp_path / "holes.tif", nodata_block=True), net), net)
    with pytest.raises(InputError, match="no such file"):
        read_dem(tmp_path / "absent.tif", net)


def test_slope_on_steps_can_be_left_to_the_steps_factor():
    net = hand_network()
    z = 0.1 * (net.y - Y0)  # northward edges climb at 10%: the steps C–D among them
    tf, tb = edge_times(net, "elderly", z)
    up, down = _directed(tf, tb, net, (200, 0), (200, 100))
    assert up == pytest.approx(100 / (0.45 * math.exp(-0.35)), abs=0.1)
    assert down == pytest.approx(100 / 0.45, abs=0.1)
    flat_steps = get_profile("elderly", slope_on_steps=False)
    tf2, tb2 = edge_times(net, flat_steps, z)
    up2, down2 = _directed(tf2, tb2, net, (200, 0), (200, 100))
    assert up2 == pytest.approx(100 / 0.45, abs=0.1) and down2 == pytest.approx(100 / 0.45, abs=0.1)
    # other edges keep their slope
    e_up, _ = _directed(tf2, tb2, net, (100, 0), (100, 100))
    assert e_up == pytest.approx(100 / (0.9 * math.exp(-0.35)), abs=0.1)
    with pytest.raises(InputError, match="one height per network node"):
        edge_times(net, "elderly", np.zeros(3))
