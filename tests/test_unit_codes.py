"""One-per-unit compliance from a facility list that names its street and community (no polygons).

A hand-made civil-affairs-style list (21 elderly facilities, Chinese headers) is matched against the
real Yuzhong code list of ../shared (11 streets, 80 communities): by 12- or 9-digit code, by name with
or without the committee ending, through full-width spaces and digits; one name is misspelt, one fits
two communities, one facility lies in another district. The facility names, positions and units are
ILLUSTRATIVE (positions are OSM building centroids of Yuzhong), not a real register.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli, shared_file, yuzhong_scenario_yaml

from lifecircle.geodata.admin import read_admin_codes
from lifecircle.geodata.admin_codes import (
    clean_names,
    core_names,
    match_table,
    match_units,
    name_stems,
    urban_cells,
)
from lifecircle.geodata.facilities import read_facilities

HEADER = ["机构名称", "服务类型", "级别", "所属区县", "所属街道", "所属社区", "区划代码", "经度", "纬度"]
CENTRE, STATION = "街道养老服务中心", "社区养老服务站"
#: (name, tier, district, street, community, code); positions are added in order from `POSITIONS`.
ROWS = [
    ("七星岗街道养老服务中心", CENTRE, "渝中区", "七星岗街道", "", ""),
    ("华一坡社区养老服务站", STATION, "渝中区", "七星岗街道", "华一坡社区居民委员会", ""),
    ("临华路社区养老服务站", STATION, "", "", "", "500103001006"),
    ("解放碑街道养老服务中心", CENTRE, "渝中区", "解放碑\u3000街道", "", ""),  # a full-width space
    ("沧白路社区养老服务站", STATION, "渝中区", "解放碑街道", "沧白路", ""),
    ("较场口社区养老服务站", STATION, "渝中区", "解放碑街道", "较场口社区", ""),
    ("两路口街道养老服务中心", CENTRE, "", "", "", "500103004"),  # a street's 9-digit code
    ("枇杷山社区养老服务站", STATION, "渝中区", "两路口街道", "琵琶山正街社区", ""),  # misspelt
    ("桂花社区养老服务站", STATION, "渝中区", "", "桂花", ""),  # 桂花园 or 桂花园新村?
    ("上清寺街道养老服务中心", CENTRE, "渝中区", "上清寺街道", "", ""),
    ("曾家岩社区养老服务站", STATION, "渝中区", "上清寺街道", "曾家岩 社区", ""),
    ("大坪街道养老服务中心", CENTRE, "渝中区", "大坪", "", ""),
    ("马家堡社区养老服务站", STATION, "", "", "", "500103012011"),
    ("大黄路社区养老服务站", STATION, "渝中区", "大坪街道", "大黄路社区居委会", ""),
    ("化龙桥街道养老服务中心", CENTRE, "渝中区", "化龙桥街道", "", ""),
    ("红岩村社区养老服务站", STATION, "渝中区", "化龙桥街道", "红岩村", ""),
    ("石油路街道养老服务中心", CENTRE, "渝中区", "石油路街道", "", ""),
    ("虎头岩社区养老服务站", STATION, "渝中区", "石油路街道", "虎头岩社区", ""),
    ("小龙坎社区养老服务站", STATION, "沙坪坝区", "小龙坎街道", "小龙坎社区", ""),  # another district
    ("朝天门街道养老服务中心", CENTRE, "渝中区", "朝天门街道", "", ""),
    ("十八梯社区养老服务站", STATION, "", "", "", "５００１０３００８００２"),  # full-width digits
]
#: WGS84 positions (OSM building centroids of Yuzhong), one per row.
POSITIONS = [
    (106.48616, 29.55013), (106.50844, 29.54090), (106.52059, 29.55237), (106.53794, 29.55771),
    (106.54192, 29.56577), (106.54464, 29.55997), (106.54718, 29.55287), (106.54903, 29.55590),
    (106.55043, 29.56793), (106.55225, 29.56518), (106.55470, 29.56312), (106.55667, 29.56745),
    (106.55992, 29.55979), (106.56471, 29.56268), (106.56783, 29.55831), (106.57001, 29.55469),
    (106.57227, 29.55398), (106.57515, 29.55389), (106.57760, 29.55628), (106.58108, 29.55735),
    (106.58461, 29.56438),
]  # fmt: skip
#: The communities with a station in the list (codes): the rest of the 80 have none.
STATION_COMMUNITIES = {
    "500103001003",  # 华一坡
    "500103001006",  # 临华路
    "500103003023",  # 沧白路
    "500103003021",  # 较场口
    "500103005014",  # 曾家岩
    "500103012011",  # 马家堡
    "500103012016",  # 大黄路
    "500103013010",  # 红岩村
    "500103014008",  # 虎头岩
    "500103008002",  # 十八梯
}
#: The streets without a street centre in the list.
STREETS_WITHOUT_CENTRE = {"500103007", "500103008", "500103011"}  # 菜园坝, 南纪门, 大溪沟


def write_list(path: Path) -> Path:
    """Write the hand-made list as a UTF-8 CSV with Chinese headers (WGS84 positions)."""
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for (name, tier, dist, street, comm, code), (lon, lat) in zip(ROWS, POSITIONS, strict=True):
            w.writerow([name, "养老", tier, dist, street, comm, code, lon, lat])
    return path


@pytest.fixture(scope="module")
def codes() -> pd.DataFrame:
    folder = shared_file("chongqing", "admin_codes")
    return read_admin_codes(folder / "streets.csv", folder / "communities.csv", districts="500103")


@pytest.fixture
def listed(tmp_path) -> pd.DataFrame:
    return read_facilities(write_list(tmp_path / "list.csv"), crs="wgs84")


def test_names_cleaned_and_stemmed():
    assert list(clean_names(["解放碑\u3000街道", " 曾家岩 社区", "５００１０３"])) == [
        "解放碑街道",
        "曾家岩社区",
        "500103",
    ]
    assert list(core_names(["华一坡社区居民委员会", "化龙桥社区工作站", "山洞村村民委员会"])) == [
        "华一坡社区",
        "化龙桥社区",
        "山洞村",
    ]
    assert list(
        name_stems(["华一坡社区居民委员会", "七星岗街道", "重庆村社区", "西彭镇", "大黄路社区居委会"])
    ) == [
        "华一坡",
        "七星岗",
        "重庆",
        "西彭",
        "大黄路",
    ]


def test_urban_cells():
    got = urban_cells(["城", "乡", "urban", "Rural", True, 0, "", None, "maybe"])
    assert list(got) == [True, False, True, False, True, False, None, None, None]


def test_reader_keeps_the_listed_units(listed):
    assert {"listed_district", "listed_street", "listed_community", "listed_code"} <= set(listed.columns)
    assert listed.loc[2, "listed_code"] == "500103001006"
    assert listed.loc[0, "listed_street"] == "七星岗街道"
    assert (listed["tier"] == CENTRE).sum() == 8


def test_hand_made_list_against_the_yuzhong_code_list(listed, codes):
    assert (codes["level"] == "street").sum() == 11 and (codes["level"] == "community").sum() == 80
    found = match_units(listed, codes, district="500103", district_names=["重庆市渝中区"])
    rep = found.report
    kinds = rep["match"].value_counts().to_dict()
    assert kinds == {"name": 14, "code": 4, "unmatched": 1, "ambiguous": 1, "outside": 1}
    assert found.placed.sum() == 19  # 18 matched + the misspelt community's street
    by_name = rep.set_index("name")
    bad = by_name.loc["枇杷山社区养老服务站"]
    assert (bad["match"], bad["unmatched"], bad["street"], bad["community"]) == (
        "unmatched",
        "琵琶山正街社区",
        "500103004",
        "",
    )
    assert bad["suggestion"] == "枇杷山正街社区居民委员会"
    amb = by_name.loc["桂花社区养老服务站"]
    assert amb["match"] == "ambiguous" and amb["community"] == ""
    assert set(amb["candidates"].split(" / ")) == {"桂花园社区居民委员会", "桂花园新村社区居民委员会"}
    out = by_name.loc["小龙坎社区养老服务站"]
    assert (out["match"], out["unmatched"], out["street"]) == ("outside", "沙坪坝区", "")
    assert by_name.loc["十八梯社区养老服务站", "community"] == "500103008002"
    assert by_name.loc["两路口街道养老服务中心", ["street", "level"]].tolist() == ["500103004", "street"]
    assert by_name.loc["解放碑街道养老服务中心", "street"] == "500103003"
    assert by_name.loc["大坪街道养老服务中心", "street_name"] == "大坪街道"
    stations = rep.loc[rep["level"] == "community", "community"]
    assert set(stations) == STATION_COMMUNITIES
    notes = found.notes()
    assert [n.msg.id for n in notes] == ["units.note.unmatched", "units.note.ambiguous", "units.note.outside"]
    assert "枇杷山社区养老服务站（琵琶山正街社区，是否为枇杷山正街社区居民委员会？）" in notes[0].zh
    assert "桂花社区养老服务站" in notes[1].zh and "小龙坎社区养老服务站（沙坪坝区）" in notes[2].zh
    zh = match_table(rep, "zh")
    assert zh.columns[0] == "编号" and "按代码匹配" in set(zh["匹配方式"])
    assert match_table(rep, "en")["Match"].value_counts()["by name"] == 14


def test_codes_win_and_other_district_codes_are_outside(codes):
    fac = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["x", "y", "z"],
            "listed_street": ["解放碑街道", "", ""],  # the code says 七星岗: the code wins
            "listed_code": ["500103001003", "500106001001", "500103001999"],
        }
    )
    rep = match_units(fac, codes, district="500103").report
    assert rep["street"].tolist() == ["500103001", "", "500103001"]  # an unknown community, a known street
    assert rep["match"].tolist() == ["code", "outside", "unmatched"]
    assert rep["unmatched"].tolist() == ["", "500106001001", "500103001999"]


def test_same_stem_in_two_streets_is_ambiguous_district_wide():
    folder = shared_file("chongqing", "admin_codes")
    sha = read_admin_codes(folder / "streets.csv", folder / "communities.csv", districts="500106")
    fac = pd.DataFrame(
        {"id": list("abc"), "name": list("abc"), "listed_community": ["山洞", "山洞社区", "山洞村"]}
    )
    rep = match_units(fac, sha, district="500106").report
    assert rep["match"].tolist() == ["ambiguous", "name", "name"]
    assert rep["community"].tolist()[1:] == ["500106010001", "500106009204"]


def _scenario(tmp_path: Path, facility_list: Path) -> Path:
    codes = (
        "admin_codes:\n  streets: chongqing/admin_codes/streets.csv\n"
        "  communities: chongqing/admin_codes/communities.csv\n"
    )
    text = yuzhong_scenario_yaml("渝中区 一社区一站点（手工清单，示意）", facility_list, codes)
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_run_reports_units_without_a_station(tmp_path, monkeypatch, capsys):
    shared_file("chongqing", "osm_roads_yuzhong.geojson")
    scen = _scenario(tmp_path, write_list(tmp_path / "list.csv"))
    out = tmp_path / "out"
    code, stdout, stderr = run_cli(monkeypatch, capsys, "run", str(scen), "--out", str(out))
    assert code == 0, stdout + stderr
    table = pd.read_csv(out / "indicators.csv", dtype={"unit": str, "parent": str})
    counts = table[(table["metric"] == "facility_count") & (table["rule"] == "community_station")]
    assert len(counts) == 80
    missing = set(counts.loc[counts["value"] < 1, "unit"])
    assert len(missing) == 70 and not missing & STATION_COMMUNITIES
    centres = table[(table["metric"] == "facility_count") & (table["rule"] == "street_centre")]
    assert set(centres.loc[centres["value"] < 1, "unit"]) == STREETS_WITHOUT_CENTRE
    share = table[
        (table["metric"] == "unit_share")
        & (table["rule"] == "community_station")
        & (table["scope"] == "district")
    ]
    assert share["value"].round(3).tolist() == [12.5]  # 10 of 80 communities
    sheets = pd.read_excel(out / "indicators.xlsx", sheet_name=None, dtype=str)
    # the missing-units sheet: 70 communities, 3 streets, and the childcare rule (no childcare list)
    # and the meal-service rule (no meal column in the list), one row each
    lists = [df for df in sheets.values() if len(df) == 75]
    assert len(lists) == 1
    assert any(missing | STREETS_WITHOUT_CENTRE <= set(lists[0][c]) for c in lists[0].columns)
    # no coverage rows by street or community without polygons (unknown, not zero)
    assert not ((table["scope"] == "community") & (table["metric"] == "coverage")).any()
    district = table[
        (table["scope"] == "district") & (table["metric"] == "coverage") & (table["group"] == "pop_60")
    ]
    district = district[district["area"] == "all"]
    assert np.isfinite(district["value"]).all() and len(district) == 1


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_whatif_example_runs(tmp_path, monkeypatch, capsys):
    """examples/yuzhong_whatif.yaml: the ILLUSTRATIVE XLSX (GCJ-02) against the official code list."""
    shared_file("chongqing", "admin_codes", "communities.csv")
    import yaml

    book = pd.read_excel(EXAMPLES / "yuzhong_whatif_facilities.xlsx", sheet_name=None, dtype=str)
    spec = yaml.safe_load((EXAMPLES / "yuzhong_whatif_rows.yaml").read_text(encoding="utf-8"))
    assert list(book) == [spec["sheet"], spec["note_sheet"]]  # the list and its illustrative note
    assert book[spec["sheet"]].iloc[:, 0].tolist() == [r["name"] for r in spec["rows"]]
    out = tmp_path / "whatif"
    code, stdout, stderr = run_cli(
        monkeypatch, capsys, "run", str(EXAMPLES / "yuzhong_whatif.yaml"), "--out", str(out)
    )
    assert code == 0, stdout + stderr
    table = pd.read_csv(out / "indicators.csv", dtype={"unit": str})
    top = table[(table["scope"] == "district") & (table["metric"] == "units_compliant")]
    assert top.set_index("rule")["value"].dropna().to_dict() == {
        "community_station": 10.0,
        "street_centre": 8.0,
        "childcare_point": 3.0,
    }
    assert top.set_index("rule")["value"].isna().to_dict()["meal_community"]  # the list has no meal column
    counts = table[(table["metric"] == "facility_count") & (table["rule"] == "community_station")]
    assert (counts["value"] < 1).sum() == 70
    # the match report is a sheet of the workbook, one row per facility of the list, and the run
    # records what each output cost
    matches = pd.read_excel(out / "indicators.xlsx", sheet_name="设施所属单元核对")
    assert len(matches) == len(spec["rows"])
    timings = json.loads((out / "run.json").read_text(encoding="utf-8"))["timings_s"]
    assert {f"write:{k}" for k in ("map", "whatif", "report", "csv", "xlsx", "gpkg")} <= set(timings)
