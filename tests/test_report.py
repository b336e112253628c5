"""Report and table exports: plan table, assumptions, escaping, English, CSV/XLSX/GPKG round trips."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from markupsafe import Markup

from lifecircle.geodata.common import InputError
from lifecircle.maps.export import write_gpkg, write_indicators_csv, write_xlsx
from lifecircle.maps.report import (
    ReportInputs,
    column_label,
    pick_language,
    render_report,
    value_label,
    write_report,
)
from lifecircle.maps.webmap import DataSource

EVIL = "<img src=x onerror=alert(1)>"
FAKE_SVG = Markup('<svg class="figure" viewBox="0 0 10 10"><circle cx="5" cy="5" r="2"/></svg>')

# Yuzhong (001) numbers from the policy digest: 托位 demand 588,700 × 4.5 / 1,000 = 2,650 (rounded
# in the plan), supply 1,088 → gap 1,561.15; beds 32 per 1,000 elderly of 116,300 → 3,721.6.
PLAN = pd.DataFrame(
    {
        "metric_zh": ["街道（社区）养老服务覆盖率", "每千名常住老年人养老床位数", "每千人口托位数"],
        "metric_en": [
            "Street/community elderly-service coverage",
            "Beds per 1,000 elderly",
            "Places per 1,000",
        ],
        "unit_of_measure": ["%", "张", "个"],
        "baseline": [np.nan, 16.5, 1.5],
        "target": [100.0, 32.0, 4.5],
        "binding": [True, False, False],
        "now": [87.2, 16.5, 1.85],
        "gap": [12.8, 15.5, 2.65],
        "source": ["004 ch.4 §3", "001 附件2", "001 附件2"],
    }
)
GAPS = pd.DataFrame(
    {
        "service": ["elderly", "childcare"],
        "metric": ["beds", "places"],
        "standard": [32.0, 4.5],
        "population": [116_300.0, 588_700.0],
        "population_base": ["60岁及以上常住人口（第七次人口普查）", "常住人口（第七次人口普查）"],
        "base_year": [2020, 2020],
        "supply": [1915.0, 1088.0],
        "supply_date": ["2022-12", "2022-12"],
        "need": [116_300 * 32 / 1000, 588_700 * 4.5 / 1000],
        "gap": [116_300 * 32 / 1000 - 1915, 588_700 * 4.5 / 1000 - 1088],
        "source": ["001", "001"],
    }
)
COVERAGE = pd.DataFrame(
    {
        "level": ["street", "street", "community"],
        "code": ["500103001", "500103002", "500103001001"],
        "name": ["解放碑街道", "七星岗街道", EVIL],
        "pop_60": [1200.0, 800.0, 300.0],
        "share_elderly_pop_60": [0.625, 1.0, np.nan],
    }
)
SITES = pd.DataFrame(
    {
        "rank": [1, 2],
        "service": ["elderly", "elderly"],
        "name": [EVIL, "候选B"],
        "gain_pop_total": [3200.0, 1500.0],
        "gain_pop_60": [640.0, 300.0],
        "communities": [["朝天门社区", "小什字社区"], "望龙门社区"],
        "time_median_s": [330.0, 420.0],
        "time_p90_s": [720.0, 810.0],
    }
)
INDICATORS = pd.DataFrame(
    {
        "scope": ["district", "street", "street"],
        "unit": ["500103", "500103001", "500103002"],
        "unit_name": ["渝中区", "解放碑街道", EVIL],
        "service": ["elderly"] * 3,
        "group": ["pop_60"] * 3,
        "metric": ["coverage_share"] * 3,
        "value": [0.872, 0.625, 1.0],
        "target": [1.0, 1.0, 1.0],
        "source": ["004"] * 3,
        "note": ["", "", "城市"],
    }
)


def _report_inputs(**kw) -> ReportInputs:
    from lifecircle.geodata.common import Assumption

    base = {
        "plan_table": PLAN,
        "coverage_by_unit": COVERAGE,
        "capacity_gaps": GAPS,
        "sites": SITES,
        "siting_summary": (("模型", "LSCP"), ("求解状态", "optimal")),
        "indicators": INDICATORS,
        "assumptions": (
            Assumption(
                "speed.elderly", 0.9, "m/s", "老年人步行速度取0.9米/秒", "Elderly walking speed 0.9 m/s"
            ),
            Assumption(
                "childcare.threshold",
                15,
                "min",
                "托育步行圈取15分钟",
                "Childcare reach 15 min",
                "GB 50180-2018",
            ),
            Assumption(
                "demand.method", "dasymetric", "", "人口按建筑面积分配", "Population spread by floor area"
            ),
        ),
        "sources": (DataSource("OSM 道路", "ODbL © OpenStreetMap contributors", "osm_roads.geojson"),),
        "figures": (("养老覆盖情况", FAKE_SVG, ["老年人步行速度取0.9米/秒 (0.9 米/秒)"]),),
        "headlines": (("60岁及以上老年人覆盖率", "87.2%"),),
        "run_info": (("情景", "渝中区 2025"),),
    }
    base.update(kw)
    return ReportInputs(**base)


def _cells(page: str) -> list[list[str]]:
    """Rows of every table body in the page, as text."""
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S) for r in rows]


def test_plan_table_rows_and_attributes():
    page = render_report(_report_inputs())
    rows = _cells(page)
    assert ["指标", "单位", "基期值", "目标值", "属性", "现状（本次测算）", "差距", "数据来源"] in rows
    assert ["街道（社区）养老服务覆盖率", "%", "—", "100", "约束性", "87.2", "12.8", "004 ch.4 §3"] in rows
    assert ["每千名常住老年人养老床位数", "张", "16.5", "32", "预期性", "16.5", "15.5", "001 附件2"] in rows
    assert "Beds per 1,000 elderly" not in page  # the English label is dropped in the Chinese report


def test_capacity_gaps_state_population_base_and_year():
    rows = _cells(render_report(_report_inputs()))
    beds = next(r for r in rows if r[:2] == ["养老", "养老床位"])
    assert beds[2:10] == [
        "32",
        "116,300",
        "60岁及以上常住人口（第七次人口普查）",
        "2020",
        "1,915",
        "2022-12",
        "3,722",
        "1,807",
    ]
    places = next(r for r in rows if r[:2] == ["托育", "托位"])
    assert places[7:10] == ["2022-12", "2,649", "1,561"]


def test_coverage_by_street_and_community_and_sites():
    page = render_report(_report_inputs())
    rows = _cells(page)
    assert ["500103001", "解放碑街道", "1,200", "62.5%"] in rows
    assert ["500103002", "七星岗街道", "800", "100.0%"] in rows
    assert "<h3>街道/镇</h3>" in page and "<h3>社区/村</h3>" in page
    # sites: gains by group, communities joined, times in minutes
    first = next(r for r in rows if r[:2] == ["1", "养老"])
    assert first[3:] == ["3,200", "640", "朝天门社区、小什字社区", "5.5", "12.0"]
    assert "新增覆盖 · 60岁及以上老年人" in page and "步行时间中位数（分钟）" in page


def test_assumptions_sources_and_figure():
    page = render_report(_report_inputs())
    rows = _cells(page)
    assert ["老年人步行速度取0.9米/秒", "0.9 米/秒", ""] in rows
    assert ["托育步行圈取15分钟", "15 分钟", "GB 50180-2018"] in rows
    assert ["人口按建筑面积分配", "", ""] in rows
    assert ["OSM 道路", "ODbL © OpenStreetMap contributors", "osm_roads.geojson"] in rows
    assert "<figure>" + str(FAKE_SVG) + "<figcaption>养老覆盖情况" in page  # the SVG inline, as given
    assert '<span class="note">老年人步行速度取0.9米/秒 (0.9 米/秒)</span>' in page
    assert "http" not in page.replace("http-equiv", "")  # one self-contained file


def test_report_escapes_input_text(tmp_path):
    page = write_report(_report_inputs(), tmp_path / "report.html").read_text(encoding="utf-8")
    assert EVIL not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 2  # community, site (no long table)


def test_english_report():
    page = render_report(_report_inputs(), lang="en")
    rows = _cells(page)
    assert [
        "Street/community elderly-service coverage",
        "%",
        "—",
        "100",
        "binding",
        "87.2",
        "12.8",
        "004 ch.4 §3",
    ] in rows
    assert ["Metric", "Unit", "Baseline", "Target", "Attribute", "Now (this run)", "Gap", "Source"] in rows
    assert "Elderly walking speed 0.9 m/s" in page and "Plan indicators" in page
    assert "规划指标表" not in page and "约束性" not in page


def test_missing_parts_are_said_missing():
    page = render_report(ReportInputs())
    assert page.count("（本次运行未提供）") >= 4
    with pytest.raises(InputError, match="lang"):
        render_report(ReportInputs(), lang="de")


def test_long_tables_are_cut_with_a_pointer():
    big = pd.DataFrame({"unit": [f"u{i}" for i in range(50)], "value": np.arange(50.0)})
    page = render_report(ReportInputs(sites=big, max_rows=10))
    assert "仅列出前 10 行（共 50 行）" in page
    assert "u9" in page and "u10" not in page


def test_long_indicator_table_is_not_dumped_but_pointed_to():
    big = pd.DataFrame({"unit": [f"u{i}" for i in range(50)], "value": np.arange(50.0)})
    page = render_report(ReportInputs(indicators=big))
    assert "u1" not in page and "indicators.xlsx" in page and "指标明细" in page


def test_column_labels_and_language_pick():
    assert column_label("share_elderly_pop_60") == "养老覆盖率 · 60岁及以上老年人"
    assert column_label("share_childcare_pop_0_3", "en") == "Childcare Coverage · Children aged 0–3"
    assert column_label("gain_pop_80") == "新增覆盖 · 80岁及以上老年人"
    assert column_label("mystery") == "mystery"
    assert column_label("new_pop_0_3", "en") == "Newly covered · Children aged 0–3"
    assert value_label("area", "urban") == "城市（街道/社区）"  # the code, not the column header 城市/农村
    assert value_label("level", "community", "en") == "Community/village"
    assert value_label("name", "elderly") == "elderly"  # free text is never translated
    picked = pick_language(PLAN, "en")
    assert "metric" in picked and "metric_zh" not in picked and "metric_en" not in picked
    assert picked["metric"].iloc[1] == "Beds per 1,000 elderly"


# --------------------------------------------------------------------------------------------
# exports


def test_csv_round_trip_with_bom(tmp_path):
    path = write_indicators_csv(INDICATORS, tmp_path / "indicators.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "解放碑街道".encode() in raw
    back = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, dtype={"unit": str, "source": str})
    pd.testing.assert_frame_equal(back, INDICATORS, check_dtype=False)
    assert write_indicators_csv(INDICATORS, tmp_path / "again.csv").read_bytes() == raw


def test_xlsx_sheets_headers_and_values(tmp_path):
    tables = {"plan_table": PLAN, "coverage_by_unit": COVERAGE, "sites": SITES, "indicators": INDICATORS}
    path = write_xlsx(tables, tmp_path / "indicators.xlsx")
    book = pd.read_excel(path, sheet_name=None)
    assert list(book) == ["规划指标表", "分街道、社区覆盖情况", "建议新增站点", "指标明细"]
    plan = book["规划指标表"]
    assert list(plan.columns) == [
        "指标",
        "单位",
        "基期值",
        "目标值",
        "属性",
        "现状（本次测算）",
        "差距",
        "数据来源",
    ]
    assert plan["属性"].tolist() == ["约束性", "预期性", "预期性"]
    assert plan["目标值"].tolist() == [100, 32, 4.5]
    cov = book["分街道、社区覆盖情况"]
    assert cov["层级"].tolist() == ["街道/镇", "街道/镇", "社区/村"]
    assert cov["名称"].tolist()[2] == EVIL  # a spreadsheet cell is text, nothing to escape
    sites = book["建议新增站点"]
    assert sites["步行时间中位数（分钟）"].tolist() == [5.5, 7.0]
    assert sites["受益社区"].tolist() == ["朝天门社区、小什字社区", "望龙门社区"]
    ws = openpyxl.load_workbook(path)["分街道、社区覆盖情况"]
    assert ws.freeze_panes == "A2" and ws["E2"].number_format == "0.0%"
    # the same tables give the same bytes
    assert write_xlsx(tables, tmp_path / "again.xlsx").read_bytes() == path.read_bytes()
    en = pd.read_excel(write_xlsx({"plan_table": PLAN}, tmp_path / "en.xlsx", lang="en"), sheet_name=None)
    assert list(en) == ["Plan indicators"] and en["Plan indicators"]["Attribute"].tolist()[0] == "binding"


def test_gpkg_one_layer_per_table(tmp_path):
    pts = gpd.GeoDataFrame(
        SITES, geometry=gpd.points_from_xy([106.585, 106.552], [29.565, 29.545]), crs=4326
    ).to_crs(32648)
    path = write_gpkg({"sites": pts, "indicators": INDICATORS}, tmp_path / "layers.gpkg")
    layers = dict(pyogrio.list_layers(path).tolist())
    assert layers == {"sites": "Point", "indicators": None}
    back = pyogrio.read_dataframe(path, layer="sites")
    assert back.crs.to_epsg() == 4326
    assert back.geometry.x.round(6).tolist() == [106.585, 106.552]
    assert back["communities"].tolist() == ["朝天门社区、小什字社区", "望龙门社区"]
    assert (
        pyogrio.read_dataframe(path, layer="indicators")["unit_name"].tolist()
        == INDICATORS["unit_name"].tolist()
    )
    assert (
        write_gpkg({"sites": pts, "indicators": INDICATORS}, tmp_path / "b.gpkg").read_bytes()
        == path.read_bytes()
    )
    with pytest.raises(InputError, match="no tables"):
        write_gpkg({}, tmp_path / "none.gpkg")
    assert not (tmp_path / "none.gpkg").exists()
    # the GDAL settings of the write (no flush per commit, fixed dates) are put back afterwards
    assert pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS") is None
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") is None
