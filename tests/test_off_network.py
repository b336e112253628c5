"""Layers off the walk network are named; candidate spacings and ids are checked; site's before share.

A layer none of whose points lies within the snap distance of the network (all demand, all
facilities of a service, all candidates) is an input error naming the layer and the median
distance; a layer with only some points off keeps its note. Candidate ids must be unique and a
spacing that would make more than `MAX_SPACED_CANDIDATES` points is refused before any work.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import hand_network, hand_xy
from typer.testing import CliRunner

from lifecircle.coverage.reach import reach_matrix, service_reach
from lifecircle.coverage.siting.candidates import (
    MAX_SPACED_CANDIDATES,
    candidates_from_layer,
    candidates_on_network,
)
from lifecircle.coverage.snapping import check_on_network, snap_points
from lifecircle.geodata.common import InputError

pts = hand_xy


@pytest.fixture(scope="module")
def net():
    """The hand network: 750 m of edges within x 0–350 m, y 0–150 m."""
    return hand_network()


# -- the off-network check --------------------------------------------------------------------


def test_all_demand_off_network_names_the_layer_and_median_distance(net):
    far = pts((5000, 150), (6000, 150), (7000, 150))  # 4.65, 5.65 and 6.65 km from G–H's end
    with pytest.raises(InputError) as exc:
        service_reach(net, far, pts((30, 5)), demand_where="demand.csv")
    msg = str(exc.value)
    assert msg.startswith("demand.csv: all 3 demand points lie farther than 250 m")
    assert "(median 5.7 km away)" in msg and "crs: gcj02" in msg
    assert "全部 3 个需求点" in exc.value.zh and "中位距离 5.7 公里" in exc.value.zh


def test_some_demand_off_network_keeps_the_note(net):
    r = service_reach(net, pts((5000, 150), (60, 0)), pts((30, 5)), demand_where="demand.csv")
    assert r.off_network.tolist() == [True, False]
    assert any(n.startswith("1 of 2 demand points lie farther than 250 m") for n in r.notes)


def test_without_a_label_the_library_keeps_its_note(net):
    r = service_reach(net, pts((60, 0)), pts((5000, 150)))
    assert np.isinf(r.time_s).all()
    assert any("all 1 facilities lie farther than 250 m" in n for n in r.notes)


def test_all_facilities_off_network_is_an_error(net):
    with pytest.raises(InputError, match=r"^fac\.csv \(elderly\): all 2 facilities lie farther"):
        service_reach(net, pts((60, 0)), pts((5000, 150), (5000, 160)), facilities_where="fac.csv (elderly)")


def test_no_facilities_note_is_neutral(net):
    r = service_reach(net, pts((60, 0)), (np.zeros(0), np.zeros(0)), facilities_where="fac.csv")
    assert [str(n) for n in r.notes] == [
        "elderly: no facilities given, so no walking times to it were computed."
    ]
    assert r.notes[0].zh == "养老服务：未提供设施，未计算到达该服务的步行时间。"


def test_all_candidates_off_network_in_the_matrix(net):
    with pytest.raises(InputError) as exc:
        reach_matrix(
            net, pts((60, 0)), pts((9000, 150)), limit_s=900, facilities_where="cand.geojson",
            facilities_what="candidates",
        )  # fmt: skip
    assert str(exc.value).startswith("cand.geojson: all 1 candidate sites lie farther than 250 m")
    assert "(median 8.7 km away)" in str(exc.value)
    assert "全部 1 个候选点" in exc.value.zh


def test_the_snap_distance_decides(net):
    home = pts((60, 300))  # nearest network point: E (100, 100), 204 m away
    snap = snap_points(net, home, max_snap_m=200)
    with pytest.raises(InputError, match="all 1 demand points lie farther than 200 m"):
        check_on_network(net, snap, "homes.csv", "demand")
    check_on_network(net, snap_points(net, home, max_snap_m=210), "homes.csv", "demand")


def test_points_without_location_are_not_this_error(net):
    r = service_reach(net, (np.array([np.nan]), np.array([np.nan])), pts((30, 5)), demand_where="demand.csv")
    assert any("have no location" in n for n in r.notes)


# -- candidates -------------------------------------------------------------------------------


def test_tiny_network_spacing_is_refused_up_front(net):
    with pytest.raises(InputError) as exc:
        candidates_on_network(net, 1e-9)
    msg = str(exc.value)
    assert "a spacing of 1e-09 m would make about 750,000,000,000 candidate points" in msg
    assert f"more than the {MAX_SPACED_CANDIDATES:,}" in msg
    assert "at least 0.00038 m" in msg  # 750 m / 2,000,000 = 0.000375, rounded up
    assert len(candidates_on_network(net, 1.0)) == 750


def test_tiny_grid_spacing_is_refused(net):
    from lifecircle.scenarios.siting import grid_candidates

    with pytest.raises(
        InputError, match=r"^scenario: field 'siting.candidates.spacing_m': a spacing of 1e-09"
    ):
        grid_candidates(net, 1e-9)
    assert len(grid_candidates(net, 100.0)) > 0


def test_duplicate_candidate_ids_name_file_column_and_ids(tmp_path):
    layer = gpd.GeoDataFrame(
        {"id": ["s1", "s1", "s3", "s3", "s5"]},
        geometry=gpd.points_from_xy([106.55] * 5, [29.55 + 0.001 * i for i in range(5)]),
        crs=4326,
    )
    path = tmp_path / "cand.geojson"
    layer.to_file(path)
    with pytest.raises(InputError) as exc:
        candidates_from_layer(path)
    assert str(exc.value) == (
        f"{path}: column 'id' holds 2 duplicate id(s) ('s1', 's3'); give every candidate its own id."
    )
    ok = candidates_from_layer(layer.assign(id=["a", "b", "c", "d", "e"]))
    assert ok["id"].tolist() == ["a", "b", "c", "d", "e"]


# -- OSM clip ---------------------------------------------------------------------------------


def test_osm_clip_outside_the_extract_is_an_error():
    from lifecircle.geodata.facilities import facilities_from_osm

    with pytest.raises(InputError, match="do not overlap"):
        facilities_from_osm("embedded", clip=(10.0, 10.0, 10.1, 10.1))
    inside = facilities_from_osm("embedded", clip=(24.9400, 60.1690, 24.9401, 60.1691))
    assert len(inside) == 0  # inside the extract, nothing there: an empty table, no error


# -- lifecircle site: the before share without facilities -------------------------------------

GX, GY, DX, DY = 106.550, 29.550, 0.001, 0.0009


def _site_inputs(d: Path) -> None:
    from lifecircle.geodata.demand import demand_from_table, write_demand

    lines = []
    for i in range(6):
        for j in range(5):
            lines.append(shapely.LineString([(GX + j * DX, GY + i * DY), (GX + (j + 1) * DX, GY + i * DY)]))
            lines.append(shapely.LineString([(GX + i * DX, GY + j * DY), (GX + i * DX, GY + (j + 1) * DY)]))
    gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs=4326).to_file(
        d / "roads.geojson"
    )
    rows = ["id,lon,lat,population,pop_60"]
    rows += [
        f"D{n},{GX + 0.0005 + (n % 5) * DX:.6f},{GY + 0.0004 + (n // 5) * 2 * DY:.6f},100,20"
        for n in range(10)
    ]
    (d / "demand.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    dem = demand_from_table(d / "demand.csv", crs="wgs84", group_cols={"pop_60": "pop_60"})
    write_demand(dem, d / "demand.gpkg")
    fac = "编号,名称,经度,纬度,床位数,服务类型\nE1,甲站,106.5512,29.5512,30,养老\n"
    (d / "fac.csv").write_text(fac, encoding="utf-8")


@pytest.mark.parametrize("lang, word", [("en", "no data"), ("zh", "无数据")])
def test_site_before_share_without_facilities_is_no_data(tmp_path, monkeypatch, lang, word):
    from lifecircle.scenarios.cli import app

    _site_inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    base = ["site", "roads.geojson", "-d", "demand.gpkg", "--model", "mclp", "--p", "1", "--lang", lang]
    res = CliRunner().invoke(app, base)
    assert res.exit_code == 0, res.output
    assert word in res.output
    res = CliRunner().invoke(app, [*base, "-f", "fac.csv", "--facilities-crs", "wgs84"])
    assert res.exit_code == 0, res.output
    assert word not in res.output
