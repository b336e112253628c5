"""Demand: tables, rasters, building dasymetry, floor area, validation and the demand command."""

from __future__ import annotations

import csv
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lifecircle.geodata.admin import read_admin_units
from lifecircle.geodata.common import InputError
from lifecircle.geodata.crs import gcj02_to_wgs84
from lifecircle.geodata.demand import (
    PERSONS_PER_M2,
    buildings_from_osm,
    demand_from_buildings,
    demand_from_floor_area,
    demand_from_raster,
    demand_from_table,
    demand_summary,
    read_unit_totals,
    write_demand,
)
from lifecircle.geodata.schema import DEMAND_COLUMNS
from lifecircle.geodata.sources import read_clip
from tests.conftest import shared_file

UTM48 = 32648  # Chongqing's UTM zone
X0, Y0 = 620_000.0, 3_265_000.0


def _sq(x, y, w, h):
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


def _write_csv(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# -- (a) tables --------------------------------------------------------------------------------


def test_hexgrid_csv_total_exact(saopaulo_hexgrid):
    with open(saopaulo_hexgrid, newline="") as f:
        expected = sum(float(r["population"]) for r in csv.DictReader(f))
    demand = demand_from_table(saopaulo_hexgrid)
    table = demand.table
    assert list(table.columns) == [*DEMAND_COLUMNS, "geometry"]
    assert len(table) == 323
    assert table["pop_total"].sum() == expected
    assert table["id"].is_unique
    assert table[["pop_60", "pop_80", "pop_0_3"]].isna().all().all()  # unknown, not 0
    assert (table[["district", "street", "community"]] == "").all().all()
    assert {a.key for a in demand.assumptions} >= {"demand.crs", "demand.urban_default"}


def test_hexgrid_gpkg_zip_matches_csv(saopaulo_hexgrid):
    zipped = shared_file("saopaulo", "spo_hexgrid_EPSG32723.gpkg.zip")
    from_csv = demand_from_table(saopaulo_hexgrid).table.set_index("id")
    from_gpkg = demand_from_table(zipped).table.set_index("id")
    assert from_gpkg["pop_total"].sum() == from_csv["pop_total"].sum()
    assert set(from_gpkg.index) == set(from_csv.index)
    assert (from_gpkg["pop_total"] == from_csv.loc[from_gpkg.index, "pop_total"]).all()
    # the CSV's point of each cell lies inside that cell's polygon once converted to WGS84
    hexes = gpd.read_file(zipped).to_crs(4326).set_index("id")
    assert shapely.within(from_csv.loc[hexes.index].geometry.to_numpy(), hexes.geometry.to_numpy()).all()
    assert shapely.within(from_gpkg.loc[hexes.index].geometry.to_numpy(), hexes.geometry.to_numpy()).all()


def test_table_chinese_headers_gcj02_and_groups(tmp_path):
    path = _write_csv(
        tmp_path / "社区人口.csv",
        "编号,经度,纬度,人口,老年人口,社区代码\n"
        "a,106.5712,29.5573,1200,300,500103001003\n"
        "b,106.5801,29.5602,800,,500106104201\n",
    )
    demand = demand_from_table(
        path,
        crs="gcj02",
        id_col="编号",
        group_cols={"pop_60": "老年人口"},
        group_shares={"pop_80": 0.05},
        admin_cols={"community": "社区代码"},
    )
    t = demand.table
    lon, lat = gcj02_to_wgs84(np.array([106.5712, 106.5801]), np.array([29.5573, 29.5602]))
    assert np.allclose(shapely.get_x(t.geometry.to_numpy()), lon, atol=1e-12)
    assert np.allclose(shapely.get_y(t.geometry.to_numpy()), lat, atol=1e-12)
    assert t["pop_total"].tolist() == [1200.0, 800.0]
    assert t["pop_60"].iloc[0] == 300.0 and np.isnan(t["pop_60"].iloc[1])
    assert t["pop_80"].tolist() == pytest.approx([60.0, 40.0])
    assert t["urban"].tolist() == [True, False]  # 居委会 code vs 村委会 code
    assert t["id"].tolist() == ["a", "b"]
    share = [a for a in demand.assumptions if a.key == "demand.share.pop_80"]
    assert share and share[0].value == 0.05
    assert "demand.crs" not in {a.key for a in demand.assumptions}  # declared, not assumed


def test_table_polygons_give_points_inside_and_units(tmp_path):
    polys = [_sq(0, 0, 100, 50), _sq(100, 0, 40, 200)]
    gdf = gpd.GeoDataFrame({"population": [10, 20]}, geometry=polys, crs=UTM48)
    path = tmp_path / "blocks.gpkg"
    gdf.to_file(path)
    units = read_admin_units(
        gpd.GeoDataFrame(
            {"code": ["500107102200"], "name": ["大石村民委员会"]},
            geometry=[_sq(90, -10, 100, 300)],
            crs=UTM48,
        ),
        level="community",
    )
    t = demand_from_table(path, units=units).table
    wgs = gdf.to_crs(4326).geometry.to_numpy()
    assert shapely.within(t.geometry.to_numpy(), wgs).all()
    assert t["community"].tolist() == ["", "500107102200"]
    assert t["street"].tolist() == ["", "500107102"]  # from the community's parent code
    assert t["urban"].tolist() == [True, False]


def test_demand_unpacks_as_pair(saopaulo_hexgrid):
    table, assumptions = demand_from_table(saopaulo_hexgrid)
    assert isinstance(table, gpd.GeoDataFrame) and all(hasattr(a, "key") for a in assumptions)


# -- (c) building dasymetry --------------------------------------------------------------------


@pytest.fixture()
def two_units() -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {"code": ["500107001", "500107102"], "name": ["杨家坪街道", "华岩镇"]},
        geometry=[_sq(0, 0, 100, 100), _sq(100, 0, 100, 100)],
        crs=UTM48,
    )
    return read_admin_units(gdf, level="street")


@pytest.fixture()
def hand_buildings() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "osm_id": ["b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"],
            "building": ["yes", "residential", None, "apartments", "yes", "school", "yes", "yes"],
            "building:levels": [None, None, None, "3", None, "4", None, None],
        },
        geometry=[
            _sq(10, 10, 10, 10),  # b1 100 m² in the street
            _sq(40, 10, 20, 10),  # b2 200 m²
            _sq(10, 50, 10, 30),  # b3 300 m²
            _sq(110, 10, 10, 10),  # b4 100 m² × 3 levels in the town
            _sq(140, 10, 10, 10),  # b5 100 m², levels unknown
            _sq(170, 10, 10, 10),  # b6 a school: no residents
            _sq(150, 60, 4, 4),  # b7 16 m²: below the minimum
            _sq(300, 300, 10, 10),  # b8 outside both units
        ],
        crs=UTM48,
    )


def test_dasymetry_per_unit_exact_by_hand(hand_buildings, two_units):
    demand = demand_from_buildings(
        hand_buildings,
        totals={"500107001": 600, "500107102": 800},
        units=two_units,
        default_levels=1,
        group_totals={"pop_60": {"500107001": 120, "500107102": 80}},
        group_shares={"pop_80": 0.1},
    )
    t = demand.table.set_index("id")
    assert list(t.index) == ["b1", "b2", "b3", "b4", "b5"]
    # street: areas 100, 200, 300 share 600; town: weights 100×3 and 100×1 share 800
    assert t["pop_total"].to_numpy() == pytest.approx([100, 200, 300, 600, 200], rel=1e-9)
    assert t["pop_60"].to_numpy() == pytest.approx([20, 40, 60, 60, 20], rel=1e-9)
    assert t["pop_80"].to_numpy() == pytest.approx(0.1 * t["pop_total"].to_numpy(), rel=1e-12)
    assert t["pop_0_3"].isna().all()
    sums = t.groupby("street")["pop_total"].sum()
    assert sums["500107001"] == pytest.approx(600, rel=1e-12)
    assert sums["500107102"] == pytest.approx(800, rel=1e-12)
    assert t["urban"].tolist() == [True, True, True, False, False]  # 街道 vs 镇
    assert (t["district"] == "500107").all()  # from the streets' parent code
    keys = {a.key for a in demand.assumptions}
    assert {
        "demand.non_residential",
        "demand.min_area_m2",
        "demand.default_levels",
        "demand.share.pop_80",
    } <= keys
    assert any("outside the units" in n for n in demand.notes)


def test_levels_weighting_with_median_default():
    gdf = gpd.GeoDataFrame(
        {"building:levels": ["2", "4", "5;6", None, "0"]},
        geometry=[_sq(20 * i, 0, 10, 10) for i in range(5)],
        crs=UTM48,
    )
    demand = demand_from_buildings(gdf, totals=1900)
    # tagged 2, 4, 5 (first of "5;6"); untagged and "0" take the median, 4
    assert demand.table["pop_total"].to_numpy() == pytest.approx([200, 400, 500, 400, 400], rel=1e-9)
    lv = next(a for a in demand.assumptions if a.key == "demand.default_levels")
    assert lv.value == 4.0 and "median" in lv.en


def test_group_totals_and_shares_for_one_area(hand_buildings):
    demand = demand_from_buildings(
        hand_buildings.iloc[:3],
        totals={"pop_total": 6000, "pop_60": 1200, "pop_0_3": 180},
        group_shares={"pop_80": 0.02},
    )
    t = demand.table
    assert t["pop_total"].sum() == pytest.approx(6000, rel=1e-12)
    assert t["pop_60"].to_numpy() == pytest.approx([200, 400, 600], rel=1e-9)
    assert t["pop_0_3"].to_numpy() == pytest.approx([30, 60, 90], rel=1e-9)
    assert t["pop_80"].sum() == pytest.approx(120, rel=1e-9)
    lv = [a for a in demand.assumptions if a.key == "demand.levels"]
    assert lv and lv[0].value == "footprint area"  # no levels anywhere: area alone


def test_yuzhong_buildings_dasymetry(yuzhong_buildings, yuzhong_boundary):
    # policy 001 baseline (7th census 2020): 588,700 residents, 116,300 aged 60+, 17,420 aged 0–3
    demand = demand_from_buildings(
        yuzhong_buildings,
        totals={"pop_total": 588_700, "pop_60": 116_300, "pop_0_3": 17_420},
        clip=yuzhong_boundary,
        clip_crs="gcj02",
    )
    t = demand.table
    assert t["pop_total"].sum() == pytest.approx(588_700, rel=1e-9)
    assert t["pop_60"].sum() == pytest.approx(116_300, rel=1e-9)
    assert t["pop_0_3"].sum() == pytest.approx(17_420, rel=1e-9)
    assert t["pop_80"].isna().all()
    boundary = read_clip(yuzhong_boundary, "gcj02")
    assert shapely.intersects(t.geometry.to_numpy(), boundary).all()
    assert len(t) > 1800 and t["id"].is_unique
    # the same district as an admin unit with its total gives the same spread
    unit = read_admin_units(yuzhong_boundary, level="district", code="500103", name="渝中区", crs="gcj02")
    by_unit = demand_from_buildings(
        yuzhong_buildings,
        totals={"500103": 588_700},
        units=unit,
        group_totals={"pop_60": {"500103": 116_300}},
    ).table
    assert by_unit["id"].tolist() == t["id"].tolist()
    assert np.allclose(by_unit["pop_60"], t["pop_60"], rtol=1e-12)
    assert (by_unit["district"] == "500103").all()


# -- (d) floor area ----------------------------------------------------------------------------


def test_floor_area_by_hand():
    gdf = gpd.GeoDataFrame(
        {"building": ["apartments", "yes", "retail"], "building:levels": ["4", None, "2"]},
        geometry=[_sq(0, 0, 10, 10), _sq(50, 0, 20, 10), _sq(100, 0, 10, 10)],
        crs=UTM48,
    )
    d = demand_from_floor_area(gdf, default_levels=2, group_shares={"pop_60": 0.25})
    # 100 m² × 4 / 40 m² = 10; 200 m² × 2 (stated default) / 40 = 10; the shop holds no one
    assert d.table["pop_total"].to_numpy() == pytest.approx([10, 10], rel=1e-9)
    assert d.table["pop_60"].to_numpy() == pytest.approx([2.5, 2.5], rel=1e-9)
    rho = next(a for a in d.assumptions if a.key == "demand.persons_per_m2")
    assert rho.value == PERSONS_PER_M2 and rho.unit == "persons/m²"
    d2 = demand_from_floor_area(gdf, default_levels=2, persons_per_m2=0.05)
    assert d2.table["pop_total"].to_numpy() == pytest.approx([20, 20], rel=1e-9)


def test_floor_area_needs_levels_somewhere():
    gdf = gpd.GeoDataFrame(geometry=[_sq(0, 0, 10, 10)], crs=UTM48)
    with pytest.raises(InputError, match="default_levels"):
        demand_from_floor_area(gdf)


def test_helsinki_embedded_buildings_and_floor_area():
    bld = buildings_from_osm("embedded")
    assert len(bld) > 400 and bld["id"].is_unique
    assert bld["id"].str.match(r"^(way|relation)/\d+$").all()
    assert pd.to_numeric(bld["building:levels"], errors="coerce").notna().sum() > 100
    d = demand_from_floor_area(bld, group_shares={"pop_60": 0.2})
    t = d.table
    assert t["pop_total"].sum() > 0
    assert (t["pop_60"] == 0.2 * t["pop_total"]).all()
    # every demand point lies in its own footprint
    fp = bld.set_index("id").loc[t["id"]].geometry.to_numpy()
    assert shapely.intersects(t.geometry.to_numpy(), fp).all()
    lv = next(a for a in d.assumptions if a.key == "demand.default_levels")
    known = pd.to_numeric(bld["building:levels"], errors="coerce")
    assert known.min() <= lv.value <= known.max()
    doubled = demand_from_floor_area(bld, persons_per_m2=2 * PERSONS_PER_M2).table
    assert doubled["pop_total"].sum() == pytest.approx(2 * t["pop_total"].sum(), rel=1e-12)


# -- (b) raster --------------------------------------------------------------------------------


def _write_tif(path, data, crs=UTM48, nodata=-9999.0):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[0],
        width=data.shape[1],
        count=1,
        dtype="float32",
        crs=None if crs is None else f"EPSG:{crs}",
        transform=from_origin(X0, Y0, 100, 100),
        nodata=nodata,
    ) as dst:
        dst.write(data.astype("float32"), 1)
    return path


RASTER = np.array(
    [
        [1, 2, 0, -9999, 5],
        [np.nan, 3, 4, 0, 0],
        [0, 0, 0, 7.5, 0],
        [1, 1, 1, 1, -9999],
    ]
)


def test_raster_sum_and_cell_centres(tmp_path):
    tif = _write_tif(tmp_path / "pop.tif", RASTER)
    t = demand_from_raster(tif).table
    assert len(t) == 10
    assert t["pop_total"].sum() == pytest.approx(26.5, abs=1e-9)
    back = t.to_crs(UTM48).set_index("id")
    cell = back.loc["r2c3"]
    assert cell["pop_total"] == 7.5
    assert cell.geometry.x == pytest.approx(X0 + 350, abs=1e-6)
    assert cell.geometry.y == pytest.approx(Y0 - 250, abs=1e-6)
    assert back.loc["r0c4"].geometry.x == pytest.approx(X0 + 450, abs=1e-6)


def test_raster_clip_reads_the_window(tmp_path):
    tif = _write_tif(tmp_path / "pop.tif", RASTER)
    box = gpd.GeoSeries([shapely.box(X0, Y0 - 200, X0 + 200, Y0)], crs=UTM48).to_crs(4326).iloc[0]
    t = demand_from_raster(tif, clip=box, group_shares={"pop_60": 0.5}).table
    assert sorted(t["id"]) == ["r0c0", "r0c1", "r1c1"]
    assert t["pop_total"].sum() == pytest.approx(6.0)
    assert t["pop_60"].sum() == pytest.approx(3.0)
    far = shapely.box(0, 0, 1, 1)
    with pytest.raises(InputError, match="clip"):
        demand_from_raster(tif, clip=far)


def test_raster_errors(tmp_path):
    bad = RASTER.copy()
    bad[1, 2] = -3
    tif = _write_tif(tmp_path / "neg.tif", bad)
    with pytest.raises(InputError, match=r"neg\.tif.*negative population in cells.*\(2, 3\)"):
        demand_from_raster(tif)
    nocrs = _write_tif(tmp_path / "nocrs.tif", RASTER, crs=None)
    with pytest.raises(InputError, match="no CRS"):
        demand_from_raster(nocrs)
    assert len(demand_from_raster(nocrs, crs=UTM48).table) == 10


# -- validation --------------------------------------------------------------------------------


def test_missing_population_column(tmp_path):
    path = _write_csv(tmp_path / "p.csv", "lon,lat,jobs\n106.5,29.5,3\n")
    with pytest.raises(InputError, match=r"p\.csv: no population column 'population'"):
        demand_from_table(path)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (["10", "", "5", ""], r"empty \(NaN\) in rows 2, 4"),
        (["10", "3", "-5", "1"], "negative or infinite in rows 3"),
        (["abc", "3", "5", "1"], "not a number in rows 1"),
    ],
)
def test_bad_population_values_name_rows(tmp_path, values, message):
    rows = "".join(f"{106.5 + i / 100},29.5,{v}\n" for i, v in enumerate(values))
    path = _write_csv(tmp_path / "p.csv", "lon,lat,population\n" + rows)
    with pytest.raises(InputError, match=rf"p\.csv: column 'population' .*{message}"):
        demand_from_table(path, crs="wgs84")


def test_row_list_is_capped(tmp_path):
    rows = "".join(f"{106.5 + i / 100},29.5,\n" for i in range(8))
    path = _write_csv(tmp_path / "p.csv", "lon,lat,population\n" + rows)
    with pytest.raises(InputError, match=r"rows 1, 2, 3, 4, 5 \(and 3 more\)"):
        demand_from_table(path)


def test_no_coordinates(tmp_path):
    path = _write_csv(tmp_path / "p.csv", "name,population\nA,10\n")
    with pytest.raises(InputError, match=r"p\.csv: no coordinates"):
        demand_from_table(path)


def test_swapped_coordinates_and_outside_china(tmp_path):
    path = _write_csv(tmp_path / "p.csv", "lon,lat,population\n29.5,106.5,10\n")
    with pytest.raises(InputError, match="look swapped"):
        demand_from_table(path)
    path = _write_csv(tmp_path / "q.csv", "lon,lat,population\n24.94,60.17,10\n")
    with pytest.raises(InputError, match="outside China"):
        demand_from_table(path, crs="gcj02")


def test_duplicate_ids(tmp_path):
    path = _write_csv(tmp_path / "p.csv", "id,lon,lat,population\n7,106.5,29.5,1\n7,106.6,29.5,2\n")
    with pytest.raises(InputError, match="repeats ids in rows 1, 2"):
        demand_from_table(path)


def test_empty_after_clipping(tmp_path, hand_buildings):
    path = _write_csv(tmp_path / "p.csv", "lon,lat,population\n106.5,29.5,1\n")
    with pytest.raises(InputError, match="no demand point lies inside the clip"):
        demand_from_table(path, clip=(0, 0, 1, 1))
    with pytest.raises(InputError, match="no building lies inside the clip"):
        demand_from_buildings(hand_buildings, totals=100, clip=(0, 0, 1, 1))


def test_bad_totals(hand_buildings, two_units):
    with pytest.raises(InputError, match="lacks: 999"):
        demand_from_buildings(hand_buildings, totals={"999": 5}, units=two_units)
    empty_unit = read_admin_units(
        gpd.GeoDataFrame(
            {"code": ["500107103"], "name": ["含谷镇"]}, geometry=[_sq(500, 500, 50, 50)], crs=UTM48
        ),
        level="street",
    )
    units = pd.concat([two_units, empty_unit], ignore_index=True)
    with pytest.raises(InputError, match="no home footprint lies in unit 500107103"):
        demand_from_buildings(hand_buildings, totals={"500107001": 1, "500107103": 5}, units=units)
    with pytest.raises(InputError, match="not a population count"):
        demand_from_buildings(hand_buildings, totals=-5)
    with pytest.raises(InputError, match="pop_60 exceeds the residents"):
        demand_from_buildings(hand_buildings, totals={"pop_total": 100, "pop_60": 150})
    with pytest.raises(InputError, match=r"share pop_60=1\.5"):
        demand_from_buildings(hand_buildings, totals=100, group_shares={"pop_60": 1.5})
    with pytest.raises(InputError, match="no units"):
        demand_from_buildings(hand_buildings, totals={"500107001": 100})


def test_unit_totals_table(tmp_path, hand_buildings, two_units):
    path = _write_csv(tmp_path / "t.csv", "code,pop_total,pop_60\n500107001,600,120\n500107102,800,\n")
    totals, groups = read_unit_totals(path)
    assert totals == {"500107001": 600.0, "500107102": 800.0}
    assert groups == {"pop_60": {"500107001": 120.0}}
    t = demand_from_buildings(
        hand_buildings, totals=totals, group_totals=groups, units=two_units, default_levels=1
    ).table
    assert t["pop_60"].sum() == pytest.approx(120)
    assert t.loc[t["street"] == "500107102", "pop_60"].isna().all()  # unknown stays unknown


# -- output and command line -------------------------------------------------------------------


def test_write_and_summary(tmp_path, hand_buildings, two_units):
    d = demand_from_buildings(hand_buildings, totals={"500107001": 600, "500107102": 800}, units=two_units)
    s = demand_summary(d)
    assert s["points"] == 5 and s["urban_points"] == 3 and s["rural_points"] == 2
    assert s["urban_pop"] == pytest.approx(600) and s["rural_pop"] == pytest.approx(800)
    assert s["units"] == {"district": 1, "street": 2, "community": 0}
    gpkg = write_demand(d, tmp_path / "d.gpkg")
    back = gpd.read_file(gpkg, layer="demand")
    assert back["pop_total"].sum() == pytest.approx(1400)
    csv_path = write_demand(d, tmp_path / "d.csv")
    flat = pd.read_csv(csv_path, dtype={"street": str})
    assert {"lon", "lat", *DEMAND_COLUMNS} <= set(flat.columns)
    with pytest.raises(InputError, match="gpkg"):
        write_demand(d, tmp_path / "d.xlsx")


def _run_cli(monkeypatch, args):
    from lifecircle.scenarios import cli

    monkeypatch.setattr(sys, "argv", ["lifecircle", "--no-progress", *args])
    with pytest.raises(SystemExit) as exc:
        cli.main()
        raise SystemExit(0)
    return exc.value.code


def test_cli_demand_buildings(monkeypatch, capsys, tmp_path, yuzhong_buildings, yuzhong_boundary):
    out = tmp_path / "yz.gpkg"
    code = _run_cli(
        monkeypatch,
        ["demand", str(yuzhong_buildings), "--total", "588700", "--group-total", "pop_60=116300",
         "--units", str(yuzhong_boundary), "--units-crs", "gcj02", "--units-code", "500103",
         "--out", str(out), "--json"],
    )  # fmt: skip
    assert code == 0
    assert '"pop_60": 116300' in capsys.readouterr().out
    back = gpd.read_file(out, layer="demand")
    assert back["pop_60"].sum() == pytest.approx(116_300, rel=1e-9)
    assert (back["district"] == "500103").all()


def test_cli_bad_input_exit_2_nothing_written(monkeypatch, capsys, tmp_path):
    path = _write_csv(tmp_path / "p.csv", "lon,lat,population\n106.5,29.5,-1\n")
    out = tmp_path / "d.gpkg"
    code = _run_cli(monkeypatch, ["demand", str(path), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "p.csv" in err and "population" in err and "Traceback" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_check_demand_names_rows(saopaulo_hexgrid):
    from lifecircle.geodata.demand import check_demand

    table = demand_from_table(saopaulo_hexgrid).table
    ok = check_demand(table.to_crs(32723))
    assert ok.crs.equals(4326) and ok["pop_total"].sum() == table["pop_total"].sum()
    bad = table.copy()
    bad.loc[[4, 9], "pop_total"] = [np.nan, -1.0]
    with pytest.raises(InputError, match=r"hexgrid: column 'pop_total' is empty \(NaN\) in rows 5"):
        check_demand(bad, where="hexgrid")
    bad.loc[4, "pop_total"] = 1.0
    with pytest.raises(InputError, match="negative or infinite in rows 10"):
        check_demand(bad, where="hexgrid")
    with pytest.raises(InputError, match="missing column 'urban'"):
        check_demand(table.drop(columns="urban"))
    dup = table.copy()
    dup.loc[2, "id"] = dup.loc[0, "id"]
    with pytest.raises(InputError, match="repeats ids in rows 1, 3"):
        check_demand(dup)
