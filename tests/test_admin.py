"""Admin units: urban flag from names and codes, code lists, polygons, attribution, overrides."""

from __future__ import annotations

import warnings

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from lifecircle.geodata.admin import (
    apply_urban_overrides,
    attribute_admin,
    code_kind,
    name_kind,
    read_admin_codes,
    read_admin_units,
    urban_from_name,
)
from lifecircle.geodata.common import InputError
from lifecircle.geodata.schema import ADMIN_COLUMNS
from tests.conftest import shared_file

# -- urban flag from names and codes -----------------------------------------------------------


def test_urban_from_name_by_unit_type():
    names = [
        "七星岗街道",  # street → urban
        "华一坡社区居民委员会",  # community → urban
        "庙坝村民委员会",  # village → rural
        "青木关镇",  # town → rural
        "大和乡",  # township → rural
        "新村社区",  # a 社区 whose name holds 村: the ending decides → urban
        "化龙桥社区工作站",  # urban by the word 社区
        "龙泉居委会",  # urban
        "红星村委会",  # rural
        "渝中区",  # tells neither → urban, warned
    ]
    with pytest.warns(UserWarning, match="1 of 10 unit names"):
        flags = urban_from_name(names)
    assert flags.tolist() == [True, True, False, False, False, True, True, True, False, True]
    assert name_kind(names).tolist() == [1, 1, 0, 0, 0, 1, 1, 1, 0, -1]


def test_code_kind_follows_statistical_code_rules():
    codes = ["500103001003", "500106104201", "500106104", "500103001", "511902203", "500103", "", "abc"]
    assert code_kind(codes).tolist() == [1, 0, 0, 1, 0, -1, -1, -1]


# -- code lists (real data) --------------------------------------------------------------------


@pytest.fixture(scope="module")
def codes() -> pd.DataFrame:
    streets = shared_file("chongqing", "admin_codes", "streets.csv")
    communities = shared_file("chongqing", "admin_codes", "communities.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every real name must classify
        return read_admin_codes(streets, communities)


def test_admin_codes_tidy_table(codes):
    assert list(codes.columns) == list(ADMIN_COLUMNS)
    assert (codes["level"] == "street").sum() == 81
    assert (codes["level"] == "community").sum() == 825
    comm = codes.loc[codes["level"] == "community"]
    assert (comm["code"].str.len() == 12).all()
    assert (comm["parent"] == comm["code"].str[:9]).all()  # parent is the street's code


def test_admin_codes_urban_rural_per_district(codes):
    comm = codes.loc[codes["level"] == "community"]
    counts = pd.crosstab(comm["code"].str[:6], comm["urban"])
    # (rural, urban) communities per district: Yuzhong is all urban (policy 001)
    assert counts.loc["500103"].tolist() == [0, 80]
    assert counts.loc["500106"].tolist() == [62, 138]
    assert counts.loc["500107"].tolist() == [95, 124]
    assert counts.loc["511902"].tolist() == [228, 98]
    streets = codes.loc[codes["level"] == "street"]
    scount = pd.crosstab(streets["code"].str[:6], streets["urban"])
    assert scount.loc["500107"].tolist() == [10, 9]  # Jiulongpo: 10 towns, 9 streets


def test_admin_codes_known_names(codes):
    by_name = codes.set_index("name")["urban"]
    assert by_name["化龙桥社区工作站"]  # no 居委会 in the name, still urban
    assert by_name["龙泉居委会"]
    assert by_name["新华居民委员会"]  # Bazhong's 居民委员会 without 社区
    assert not by_name["陶家镇"]  # a Jiulongpo town (policy 000)
    assert not by_name["大和乡"]
    assert by_name["解放碑街道"]


def test_names_agree_with_statistical_codes(codes):
    comm = codes.loc[codes["level"] == "community"]
    by_name = name_kind(comm["name"])
    by_code = code_kind(comm["code"])
    assert (by_code != -1).all() and (by_name != -1).all()
    assert (by_name == by_code).all()


def test_admin_codes_district_filter():
    streets = shared_file("chongqing", "admin_codes", "streets.csv")
    communities = shared_file("chongqing", "admin_codes", "communities.csv")
    table = read_admin_codes(streets, communities, districts="500103")
    assert (table["level"] == "street").sum() == 11  # policy 001: 11 街道
    assert (table["level"] == "community").sum() == 80


def test_admin_codes_missing_column(tmp_path):
    bad = tmp_path / "streets.csv"
    bad.write_text("code,title\n500103001,七星岗街道\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"streets\.csv.*'name'"):
        read_admin_codes(bad)


# -- polygons ----------------------------------------------------------------------------------


def test_bare_gcj02_boundary_converted(yuzhong_boundary, yuzhong_buildings):
    units = read_admin_units(yuzhong_boundary, level="district", code="500103", name="渝中区", crs="gcj02")
    assert units.loc[0, ["code", "name", "level", "parent"]].tolist() == ["500103", "渝中区", "district", ""]
    raw = gpd.read_file(yuzhong_boundary).geometry.iloc[0]
    # GCJ-02 is offset a few hundred metres in Chongqing: the converted outline moved
    shift = shapely.distance(raw.centroid, units.geometry.iloc[0].centroid) * 111_000
    assert 200 < shift < 800
    bld = gpd.read_file(yuzhong_buildings)
    pts = shapely.point_on_surface(bld.geometry.to_numpy())
    share = shapely.intersects(pts, units.geometry.iloc[0]).mean()
    share_raw = shapely.intersects(pts, raw).mean()
    assert share >= 0.99 > 0.9 > share_raw


def test_bare_boundary_needs_a_code(yuzhong_boundary):
    with pytest.raises(InputError, match="code="):
        read_admin_units(yuzhong_boundary, level="district", crs="gcj02")
    with pytest.raises(InputError, match="unknown admin level"):
        read_admin_units(yuzhong_boundary, level="county", code="500103", crs="gcj02")


def _box(x0, y0, x1, y1):
    return shapely.box(106.5 + x0 * 0.01, 29.5 + y0 * 0.01, 106.5 + x1 * 0.01, 29.5 + y1 * 0.01)


@pytest.fixture()
def hand_units() -> gpd.GeoDataFrame:
    """District [0,4]×[0,2]; street A [0,2] (街道) and town B [2,4] (镇); one community in each."""
    district = read_admin_units(
        gpd.GeoDataFrame({"code": ["500107"], "name": ["九龙坡区"]}, geometry=[_box(0, 0, 4, 2)], crs=4326),
        level="district",
    )
    streets = read_admin_units(
        gpd.GeoDataFrame(
            {"adcode": [500107001, 500107102], "名称": ["杨家坪街道", "华岩镇"]},
            geometry=[_box(0, 0, 2, 2), _box(2, 0, 4, 2)],
            crs=4326,
        ),
        level="street",
    )
    communities = read_admin_units(
        gpd.GeoDataFrame(
            {"code": ["500107001001", "500107102200"], "name": ["杨家坪社区居民委员会", "大石村民委员会"]},
            geometry=[_box(0, 0, 1, 2), _box(2, 0, 3, 2)],
            crs=4326,
        ),
        level="community",
    )
    return pd.concat([district, streets, communities], ignore_index=True)


def test_read_units_columns_and_parents(hand_units):
    assert list(hand_units.columns) == [*ADMIN_COLUMNS, "geometry"]
    assert hand_units["code"].tolist() == ["500107", "500107001", "500107102", "500107001001", "500107102200"]
    assert hand_units["parent"].tolist() == ["", "500107", "500107", "500107001", "500107102"]
    assert hand_units["urban"].tolist() == [True, True, False, True, False]


def test_read_units_merges_parts_of_one_code():
    gdf = gpd.GeoDataFrame(
        {"code": ["500107001", "500107001"], "name": ["杨家坪街道", "杨家坪街道"]},
        geometry=[_box(0, 0, 1, 1), _box(1, 0, 2, 1)],
        crs=4326,
    )
    units = read_admin_units(gdf, level="street")
    assert len(units) == 1
    assert units.geometry.iloc[0].area == pytest.approx(_box(0, 0, 2, 1).area)


def test_read_units_rejects_points():
    gdf = gpd.GeoDataFrame(
        {"code": ["1", "2"]}, geometry=[_box(0, 0, 1, 1), shapely.Point(106.5, 29.5)], crs=4326
    )
    with pytest.raises(InputError, match="not a polygon in rows 2"):
        read_admin_units(gdf, level="street")


def test_attribute_admin_hand_polygons(hand_units):
    x = lambda v: 106.5 + v * 0.01  # noqa: E731
    pts = gpd.GeoDataFrame(
        {"urban": [True, True, True, True, False]},
        geometry=shapely.points(
            [x(0.5), x(1.5), x(2.5), x(3.5), x(9.0)],
            [29.505, 29.505, 29.505, 29.505, 29.505],
        ),
        crs=4326,
    )
    att = attribute_admin(pts, hand_units)
    assert att["district"].tolist() == ["500107"] * 4 + [""]
    assert att["street"].tolist() == ["500107001", "500107001", "500107102", "500107102", ""]
    assert att["community"].tolist() == ["500107001001", "", "500107102200", "", ""]
    # community flag, street flag, village, town, and the point's own flag outside every unit
    assert att["urban"].tolist() == [True, True, False, False, False]


def test_attribute_admin_fills_street_from_community_parent(hand_units):
    no_streets = hand_units.loc[hand_units["level"] != "street"]
    pts = shapely.points([106.505, 106.525], [29.505, 29.505])
    att = attribute_admin(pts, no_streets, default_urban=True)
    assert att["street"].tolist() == ["500107001", "500107102"]
    assert att["community"].tolist() == ["500107001001", "500107102200"]
    assert att["urban"].tolist() == [True, False]


def test_attribute_admin_border_point_goes_to_first_unit(hand_units):
    on_border = shapely.points([106.52], [29.505])  # x = 2: shared by street A and town B
    att = attribute_admin(on_border, hand_units.loc[hand_units["level"] == "street"])
    assert att["street"].tolist() == ["500107001"]


def test_attribute_admin_needs_admin_table():
    with pytest.raises(InputError, match="missing column 'level'"):
        attribute_admin(
            shapely.points([106.5], [29.5]),
            gpd.GeoDataFrame({"code": ["1"], "parent": [""], "urban": [True]}, geometry=[_box(0, 0, 1, 1)]),
        )


def test_urban_override_zone(tmp_path):
    demand = gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "urban": [True, True, False]},
        geometry=shapely.points([106.30, 106.45, 106.60], [29.5, 29.5, 29.5]),
        crs=4326,
    )
    west = shapely.box(106.0, 29.0, 106.5, 30.0)  # e.g. the rural zone west of 中梁山 (policy 000)
    out = apply_urban_overrides(demand, west, False)
    assert out["urban"].tolist() == [False, False, False]
    assert demand["urban"].tolist() == [True, True, False]  # input untouched
    back = apply_urban_overrides(out, gpd.GeoSeries([west], crs=4326), True)
    assert back["urban"].tolist() == [True, True, False]
    path = tmp_path / "zone.geojson"
    gpd.GeoDataFrame(geometry=[west], crs=4326).to_file(path)
    assert apply_urban_overrides(demand, path, False, crs="wgs84")["urban"].sum() == 0


def test_units_named_and_flagged_from_code_list(codes):
    comm = codes.loc[(codes["level"] == "community") & codes["code"].str.startswith("500107")]
    town_village = comm.loc[~comm["urban"]].iloc[0]
    street_comm = comm.loc[comm["urban"]].iloc[0]
    gdf = gpd.GeoDataFrame(
        {"code": [street_comm["code"], town_village["code"]]},
        geometry=[_box(0, 0, 1, 1), _box(1, 0, 2, 1)],
        crs=4326,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        units = read_admin_units(gdf, level="community", lookup=codes)
    assert units["name"].tolist() == [street_comm["name"], town_village["name"]]
    assert units["parent"].tolist() == [street_comm["parent"], town_village["parent"]]
    assert units["urban"].tolist() == [True, False]


def test_layer_urban_column_overrides_names_and_code_list(codes):
    """A layer's own urban/rural column (城乡) sets each unit's class; empty cells keep the name's."""
    gdf = gpd.GeoDataFrame(
        {"code": ["500103001", "500103003", "500103004"], "城乡": ["乡", "", "城"]},
        geometry=[_box(0, 0, 1, 1), _box(1, 0, 2, 1), _box(2, 0, 3, 1)],
        crs=4326,
    )
    units = read_admin_units(gdf, level="street", lookup=codes)
    assert units["name"].tolist() == ["七星岗街道", "解放碑街道", "两路口街道"]  # from the code list
    assert units["urban"].tolist() == [False, True, True]
    gdf["城乡"] = ["rural", "maybe", ""]
    with pytest.raises(InputError, match="neither urban nor rural in rows 2"):
        read_admin_units(gdf, level="street")
