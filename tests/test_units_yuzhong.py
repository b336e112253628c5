"""Per-unit coverage on unit polygons, urban and rural apart, end to end on the real Yuzhong data.

The street polygons here are SYNTHETIC: a Voronoi split of the real Yuzhong outline (GCJ-02, from
../shared) around 11 seeds (the mean positions of 11 equal slices of the OSM building centroids, west
to east), named in that order after the 11 streets of the official code list. They are not the real
street boundaries and are built inside the test (tmp_path), never shipped as data. Two of them are
marked rural through the layer's own urban/rural column, so that both thresholds are in play (15 min
urban, 20 min rural, the scenario's override). The facility list is the illustrative hand-made one
of `test_unit_codes`.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import shared_file, yuzhong_scenario_yaml
from test_unit_codes import write_list

from lifecircle.coverage.indicators import units_worst_first, weighted_quantile
from lifecircle.geodata.admin import read_admin_codes
from lifecircle.geodata.crs import wgs84_to_gcj02
from lifecircle.scenarios.pipeline import run_scenario
from lifecircle.scenarios.schema import load_scenario

#: The streets the synthetic layer marks rural (by position in the west-to-east order).
RURAL = (0, 1)


def synthetic_streets(path, outline_path, buildings_path, codes) -> gpd.GeoDataFrame:
    """Write the SYNTHETIC street layer (GCJ-02 coordinates, as Chinese sources give them)."""
    outline = shapely.union_all(gpd.read_file(outline_path).geometry.to_numpy())
    pts = gpd.read_file(buildings_path).to_crs(32648).centroid.to_crs(4326)
    lon, lat = wgs84_to_gcj02(pts.x.to_numpy(), pts.y.to_numpy())
    order = np.argsort(lon, kind="stable")
    slices = np.array_split(order, 11)
    seeds = shapely.points([(lon[s].mean(), lat[s].mean()) for s in slices])
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=outline)
    cells = np.asarray(shapely.get_parts(cells))
    # each seed's own cell, clipped to the outline, in seed order
    owner = [int(np.flatnonzero(shapely.contains(cells, s))[0]) for s in seeds]
    geoms = shapely.intersection(cells[owner], outline)
    streets = codes[codes["level"] == "street"].sort_values("code")
    layer = gpd.GeoDataFrame(
        {
            "code": streets["code"].to_numpy(),
            "name": streets["name"].to_numpy(),
            "urban": ["rural" if i in RURAL else "urban" for i in range(11)],
        },
        geometry=geoms,
        crs=4326,  # labelled WGS84 as Chinese sources do; the scenario declares gcj02
    )
    layer.to_file(path, driver="GeoJSON")
    return layer


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = shared_file("chongqing", "admin_codes")
    outline = shared_file("chongqing", "boundaries", "500103.gcj02.geojson")
    buildings = shared_file("chongqing", "osm_buildings_yuzhong.geojson")
    shared_file("chongqing", "osm_roads_yuzhong.geojson")
    tmp = tmp_path_factory.mktemp("units")
    codes = read_admin_codes(folder / "streets.csv", folder / "communities.csv", districts="500103")
    layer = synthetic_streets(tmp / "streets_synthetic.geojson", outline, buildings, codes)
    facility_list = write_list(tmp / "list.csv")
    extra = f"""thresholds: {{elderly: {{urban: 15, rural: 20}}}}
admin:
  - {{path: {tmp / "streets_synthetic.geojson"}, level: street, crs: gcj02}}
admin_codes:
  streets: chongqing/admin_codes/streets.csv
  communities: chongqing/admin_codes/communities.csv
"""
    text = yuzhong_scenario_yaml("渝中区 分街道覆盖（合成街道边界，示意）", facility_list, extra)
    scen_path = tmp / "scenario.yaml"
    scen_path.write_text(text, encoding="utf-8")
    return run_scenario(load_scenario(scen_path)), layer


def _rows(table, metric, scope="street", group="pop_60"):
    sel = (
        (table["scope"] == scope)
        & (table["metric"] == metric)
        & (table["group"] == group)
        & (table["area"] == "all")
        & (table["service"] == "elderly")
        & (table["rule"] == "")
    )
    return table.loc[sel].set_index("unit")["value"]


def test_every_home_gets_its_street_and_class(run):
    result, layer = run
    demand = result.demand
    assert set(demand["street"]) <= set(layer["code"]) | {""}
    rural = set(layer["code"].to_numpy()[list(RURAL)])
    in_rural = demand["street"].isin(rural).to_numpy()
    assert in_rural.any() and (~in_rural).any()
    assert (demand["urban"].to_numpy() == ~in_rural).all()
    thr = result.services["elderly"].threshold_s
    assert set(thr[in_rural]) == {1200.0} and set(thr[~in_rural]) == {900.0}


def test_unit_populations_add_up_to_the_district(run):
    result, _ = run
    tab = result.indicators
    streets = _rows(tab, "pop", group="pop_total")
    district = _rows(tab, "pop", scope="district", group="pop_total")
    assert district.iloc[0] == pytest.approx(588700, abs=0.5)
    assert streets.sum() == pytest.approx(district.iloc[0], rel=1e-9)
    named = streets.drop(index="", errors="ignore")
    assert len(named) == 11 and (named > 0).all()
    assert named.sum() >= 0.995 * district.iloc[0]  # the cells cover the outline


def test_unit_coverage_matches_the_home_times(run):
    result, layer = run
    tab = result.indicators
    demand = result.demand
    svc = result.services["elderly"]
    t, thr, w = svc.reach.time_s, svc.threshold_s, demand["pop_60"].to_numpy(dtype=float)
    cov, beyond, extra, limit = (
        _rows(tab, m) for m in ("coverage", "pop_beyond", "extra_median_min", "threshold_min")
    )
    for code, urban in zip(layer["code"], layer["urban"], strict=True):
        m = (demand["street"] == code).to_numpy()
        assert cov[code] == pytest.approx(100.0 * w[m & (t <= thr)].sum() / w[m].sum(), rel=1e-12)
        far = m & (t > thr) & np.isfinite(t)
        assert beyond[code] == pytest.approx(w[far].sum(), rel=1e-12)
        if far.any():
            want = weighted_quantile((t[far] - thr[far]) / 60.0, w[far], 0.5)
            assert extra[code] == pytest.approx(want, rel=1e-12)
            assert extra[code] > 0
        else:
            assert np.isnan(extra[code])
        assert limit[code] == (20.0 if urban == "rural" else 15.0)


def test_rural_units_use_the_rural_threshold(run):
    result, layer = run
    tab = result.indicators
    cls = tab.loc[(tab["scope"] == "street") & (tab["metric"] == "coverage")].set_index("unit")["unit_class"]
    rural = layer["code"].to_numpy()[list(RURAL)]
    assert set(cls[rural]) == {"rural"}
    assert set(cls.drop(index=[*rural, ""], errors="ignore")) == {"urban"}
    # the district's rural rows hold exactly the two rural streets' people
    pop = tab[
        (tab["scope"] == "district")
        & (tab["metric"] == "pop")
        & (tab["group"] == "pop_60")
        & (tab["rule"] == "")
    ].set_index("area")["value"]
    streets = _rows(tab, "pop")
    assert pop["rural"] == pytest.approx(streets[rural].sum(), rel=1e-9)
    thr_rows = tab[
        (tab["scope"] == "district") & (tab["metric"] == "threshold_min") & (tab["group"] == "pop_60")
    ]
    assert thr_rows.set_index("area")["value"].to_dict() == pytest.approx(
        {"all": np.nan, "urban": 15.0, "rural": 20.0}, nan_ok=True
    )


def test_worst_first_rows(run):
    result, layer = run
    rows = units_worst_first(result.indicators, scope="street", service="elderly")
    named = rows[rows["unit"] != ""]
    assert len(named) == 11
    cov = rows["coverage"].to_numpy()
    assert (np.diff(cov[~np.isnan(cov)]) >= 0).all()
    assert set(named["unit"]) == set(layer["code"])
    assert list(rows.columns[:4]) == ["unit", "unit_name", "parent", "unit_class"]


def test_one_per_unit_with_polygons_and_the_code_list(run):
    result, _ = run
    tab = result.indicators
    station = tab[(tab["metric"] == "facility_count") & (tab["rule"] == "community_station")]
    assert len(station) == 80 and (station["value"] >= 1).sum() == 10
    assert result.unit_matches is not None and (result.unit_matches["match"] == "ambiguous").sum() == 1
    # communities come from the code list only: no coverage rows for them (unknown, not zero)
    assert not ((tab["scope"] == "community") & (tab["metric"] == "coverage")).any()


def test_worst_first_on_a_hand_table():
    """Without data: units without population last, ties by code, NaN extra minutes kept."""
    import pandas as pd

    rows = []
    for unit, values in (
        ("c", {"pop": 0.0, "coverage": np.nan}),
        ("b", {"pop": 5.0, "coverage": 50.0, "extra_median_min": 2.5}),
        ("a", {"pop": 10.0, "coverage": 50.0, "extra_median_min": np.nan}),
        ("d", {"pop": 8.0, "coverage": 100.0, "threshold_min": 15.0}),
    ):
        for metric, value in values.items():
            keys = {"scope": "street", "unit": unit, "unit_name": unit.upper(), "parent": "p"}
            rest = {"area": "all", "service": "elderly", "group": "pop_60", "rule": ""}
            rows.append({**keys, "unit_class": "urban", **rest, "metric": metric, "value": value})
    got = units_worst_first(pd.DataFrame(rows), scope="street", service="elderly")
    assert got["unit"].tolist() == ["a", "b", "d", "c"]
    assert got.loc[1, "extra_median_min"] == 2.5 and np.isnan(got.loc[0, "extra_median_min"])
    assert got.loc[2, "threshold_min"] == 15.0
    assert units_worst_first(pd.DataFrame(rows), scope="community").empty
