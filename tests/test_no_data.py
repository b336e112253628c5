"""Coverage without a facility list is "no data" (无数据), never 0%; a source searched in vain is a true 0.

A service no facility source covers (no file of that service, no OpenStreetMap source) has unknown
coverage: NaN rows marked ``no_data`` in the indicator table, 无数据 in the headline, the map, the
report and the comparison. A source that was given and holds none of the service's facilities is
searched: its 0% is kept, with a note naming the source. Also: the plan sheet writes "—" for a missing
number, and the comparison reads the CSV's formula guard back off.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from test_cli_errors import HEADER, ROAD, _csv, _lines
from test_maps import specs_of

from lifecircle.coverage.indicators import indicator_table, plan_table
from lifecircle.coverage.standards import standards_from_profile
from lifecircle.maps.export import restore_formulas, write_gpkg, write_indicators_csv, write_xlsx
from lifecircle.maps.webmap import MapInputs, build_map, layer_names
from lifecircle.scenarios.compare import indicator_deltas, load_run
from lifecircle.scenarios.pipeline import headline, run_scenario
from lifecircle.scenarios.presets import load_jurisdiction
from lifecircle.scenarios.schema import load_scenario
from tests.conftest import shared_file

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
#: A percentage of exactly zero, as the old headline printed it ("0.0%"), not the end of "100.0%".
ZERO_PCT = re.compile(r"(?<![\d.])0\.0 ?%")
NO_LIST = "no data: needs a facility list for "


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``lifecircle ARGS`` in a fresh interpreter, 200 columns wide so no label is wrapped."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"} | {"NO_COLOR": "1", "COLUMNS": "200"}
    code = "from lifecircle.scenarios.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "--no-progress", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


# -- the real Yuzhong example: no facility list at all -----------------------------------------------


@pytest.fixture(scope="module")
def yuzhong_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    shared_file("chongqing", "osm_roads_yuzhong.geojson")
    shared_file("chongqing", "osm_buildings_yuzhong.geojson")
    base = tmp_path_factory.mktemp("nodata")
    proc = _cli(["run", str(EXAMPLES / "yuzhong.yaml"), "--out", str(base / "run")], base)
    assert proc.returncode == 0, proc.stderr
    return proc, base / "run"


def _row(out: str, label: str) -> str:
    """The value cell of the CLI table row whose label is ``label``."""
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│") if c.strip()]
        if len(cells) == 2 and cells[0] == label:
            return cells[1]
    raise AssertionError(f"no row {label!r} in:\n{out}")


@pytest.mark.realdata
def test_yuzhong_headline_is_no_data_not_zero(yuzhong_run):
    proc, _ = yuzhong_run
    out = proc.stdout
    assert _row(out, "60岁及以上老人步行可达养老服务比例") == "无数据"
    assert _row(out, "0–3岁婴幼儿步行可达托育服务比例") == "无数据"
    # the proposed sites are measured; there was no existing station, and the label says so
    assert _row(out, "新增建议站点后60岁及以上老人步行可达比例（仅计建议站点）") == "100.0%"
    assert not ZERO_PCT.search(out + proc.stderr), out
    assert "养老服务：未提供设施清单，覆盖率无数据（不是 0）。" in proc.stderr  # the run's notes
    assert "托育服务：未提供设施清单，覆盖率无数据（不是 0）。" in proc.stderr
    assert "覆盖率为 0" not in proc.stderr


@pytest.mark.realdata
def test_yuzhong_indicators_are_no_data_with_the_population_kept(yuzhong_run):
    _, run = yuzhong_run
    t = pd.read_csv(run / "indicators.csv", encoding="utf-8-sig", dtype={"unit": str})
    reach = t[
        t["service"].isin(["elderly", "childcare"])
        & t["metric"].isin(["coverage", "pop_covered", "pop_beyond", "pop_unreached", "time_median_min"])
    ]
    # 2 services × 2 groups × 2 areas (all, urban) × 5 metrics in one district, and the row saying
    # the 80+ population is unknown
    assert len(reach) == 41
    assert reach["value"].isna().all()
    assert (reach["value_basis"] == "no_data").all()
    named = reach[reach["group"] != "pop_80"]
    assert set(named["note"]) == {NO_LIST + "elderly", NO_LIST + "childcare"}
    cov = t[(t["metric"] == "coverage") & t["service"].isin(["elderly", "childcare"])]
    assert not (cov["value"] == 0).any()
    pop = t[(t["metric"] == "pop") & (t["area"] == "all") & (t["scope"] == "district")]
    assert pop.set_index(["service", "group"])["value"].to_dict() == pytest.approx(
        {
            ("elderly", "pop_total"): 588_700,
            ("elderly", "pop_60"): 116_300,  # 001 baseline (7th census 2020)
            ("childcare", "pop_total"): 588_700,
            ("childcare", "pop_0_3"): 17_420,
        },
        rel=1e-9,
    )
    assert (pop["value_basis"] == "computed").all()
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))["headline"]
    assert record["elderly"]["coverage_share"] is None and record["elderly"]["value_basis"] == "no_data"
    assert record["elderly_after"]["coverage_share"] == 1.0
    # after the proposal: elderly care is measured, childcare still has no list
    after = pd.read_csv(run / "indicators_after.csv", encoding="utf-8-sig", dtype={"unit": str})
    a = after[(after["metric"] == "coverage") & (after["area"] == "all")].set_index(["service", "group"])
    assert a.loc[("elderly", "pop_60"), "value"] == 100.0
    assert a.loc[("elderly", "pop_60"), "value_basis"] == "computed"
    assert np.isnan(a.loc[("childcare", "pop_0_3"), "value"])


@pytest.mark.realdata
def test_yuzhong_report_map_and_plan_sheet_say_no_data(yuzhong_run):
    _, run = yuzhong_run
    report = (run / "report.html").read_text(encoding="utf-8")
    assert not ZERO_PCT.search(report)
    assert "未计算：需要养老服务设施清单" in report  # the plan table's coverage rows
    assert "养老服务：未提供设施清单，覆盖率无数据（不是 0）。" in report
    head = re.search(r'id="lc-title".*?</table>', (run / "map.html").read_text(encoding="utf-8"), re.S)
    assert head is not None and not ZERO_PCT.search(head.group(0))
    assert head.group(0).count("无数据") == 2
    assert "无数据：未提供设施清单" in (run / "map.html").read_text(encoding="utf-8")
    plan = openpyxl.load_workbook(run / "indicators.xlsx")["规划指标表"]
    heads = [c.value for c in plan[1]]
    rows = {r[0]: dict(zip(heads, r, strict=True)) for r in plan.iter_rows(min_row=2, values_only=True)}
    row = rows["街道（社区）养老服务覆盖率：60岁以上老年人"]
    assert (row["现状"], row["差距"], row["现状口径"]) == ("未计算：需要养老服务设施清单", "—", "无数据")
    assert rows["养老服务床位"]["现状"] == 1915  # 001's documented beds stay a number


@pytest.mark.realdata
def test_yuzhong_compare_shows_no_data_before(yuzhong_run, tmp_path):
    _, run = yuzhong_run
    done = _cli(["compare", str(run), "--out", str(tmp_path / "cmp")], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "nan" not in done.stdout.lower()
    assert _row(done.stdout, "养老 · 60岁以上老年人") == "无数据 → 100.0%"
    gains = pd.read_csv(tmp_path / "cmp" / "gains.csv", encoding="utf-8-sig")
    el = gains[(gains["service"] == "elderly") & (gains["group"] == "pop_60")]
    assert el["covered_a"].isna().all() and el["gain"].isna().all()
    assert el["covered_b"].sum() == pytest.approx(116_300)


# -- small hand-made runs --------------------------------------------------------------------------

OSM_CHILDCARE_ONLY = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="5" lat="29.5502" lon="106.5512" version="1">
    <tag k="amenity" v="childcare"/><tag k="name" v="Nursery E"/><tag k="capacity" v="45"/></node>
</osm>
"""


@pytest.fixture(scope="module")
def hand(tmp_path_factory) -> Path:
    """One road, two homes (100 and 50 people) and facility sources that hold childcare only."""
    d = tmp_path_factory.mktemp("hand")
    _lines(d / "roads.geojson", [{"fclass": "residential", "coords": ROAD}])
    _csv(d / "childcare.csv", [HEADER, ["C1", "乙托育点", "106.5512", "29.5502", "40", "托育"]])
    _csv(
        d / "dem.csv",
        [
            ["id", "lon", "lat", "population"],
            ["1", "106.5511", "29.5501", "100"],
            ["2", "106.5521", "29.5501", "50"],
        ],
    )
    (d / "kids.osm").write_text(OSM_CHILDCARE_ONLY, encoding="utf-8")
    for name, fac in (("file", "[{path: childcare.csv, crs: wgs84}]"), ("osm", "[{osm: kids.osm}]")):
        (d / f"{name}.yaml").write_text(
            "name: t\nnetwork: {source: roads.geojson}\nservices: [elderly, childcare]\n"
            f"facilities: {fac}\ndemand: {{kind: table, path: dem.csv, crs: wgs84}}\n",
            encoding="utf-8",
        )
    return d


def _coverage(result, service: str) -> pd.Series:
    t = result.indicators
    m = (t["metric"] == "coverage") & (t["area"] == "all") & (t["service"] == service)
    row = t[m & (t["group"] == "pop_total")]
    assert len(row) == 1
    return row.iloc[0]


def test_a_childcare_file_says_nothing_about_elderly_care(hand):
    result = run_scenario(load_scenario(hand / "file.yaml"), None)
    assert result.no_list() == ("elderly",)
    el = _coverage(result, "elderly")
    assert np.isnan(el["value"]) and el["value_basis"] == "no_data" and el["note"] == NO_LIST + "elderly"
    ch = _coverage(result, "childcare")
    assert ch["value"] == 100.0 and ch["value_basis"] == "computed"  # both homes within 10 m and 100 m
    head = headline(result)
    assert np.isnan(head["elderly"][1]) and head["childcare"] == ("pop_total", 1.0)
    assert "elderly: no facility list was given, so its coverage is unknown (no data, not 0)." in result.notes
    assert not any("childcare" in n and "facility list" in n for n in result.notes)
    proc = _cli(["run", "file.yaml", "--out", "run_file"], hand)
    assert proc.returncode == 0, proc.stderr
    assert _row(proc.stdout, "养老 · 常住人口") == "无数据"
    assert _row(proc.stdout, "托育 · 常住人口") == "100.0%"


def test_an_osm_source_without_elderly_care_is_a_measured_zero(hand):
    result = run_scenario(load_scenario(hand / "osm.yaml"), None)
    assert result.no_list() == ()
    el = _coverage(result, "elderly")
    assert el["value"] == 0.0 and el["value_basis"] == "computed"
    assert "no elderly facility in OpenStreetMap (kids.osm)" in el["note"]
    assert headline(result)["elderly"] == ("pop_total", 0.0)
    note = next(n for n in result.notes if str(n).startswith("elderly:"))
    assert "OpenStreetMap (kids.osm) holds no existing elderly facility" in note
    assert note.zh.startswith("养老服务：OpenStreetMap (kids.osm) 中没有现有养老设施")
    assert not any("there are no facilities" in n for n in result.notes)
    assert _coverage(result, "childcare")["value"] == 100.0


def test_plan_table_coverage_without_a_list_is_no_data_in_both_languages():
    d = pd.DataFrame(
        {"id": ["a"], "pop_total": [100.0], "pop_60": [30.0], "pop_80": [np.nan], "pop_0_3": [5.0]}
        | {"district": [""], "street": [""], "community": [""], "urban": [True]}
    )
    std = standards_from_profile(load_jurisdiction("yuzhong"))
    t = indicator_table(
        d,
        {"elderly": np.array([np.inf]), "childcare": np.array([60.0])},
        {"elderly": 600.0, "childcare": 600.0},
        standards=std,
        facility_sources={"elderly": (), "childcare": ("c.csv",)},
    )
    needs = (
        ("zh", "未计算：需要养老服务设施清单"),
        ("en", "not computed: needs a facility list for elderly"),
    )
    for lang, says in needs:
        p = plan_table(t, std, lang=lang)
        cov = p.iloc[:3]  # the preset's three coverage targets come first
        now_col, note_col, gap_col = p.columns[7], p.columns[8], p.columns[9]
        assert len(cov) == 3 and cov[now_col].isna().all() and cov[gap_col].isna().all()
        assert cov[note_col].str.contains(says).sum() == 2  # the urban rows; the rural one has nobody


def test_map_draws_points_without_a_list_grey_not_unreached():
    pts = gpd.GeoDataFrame(
        {"time_s_elderly": [np.nan, np.nan], "threshold_s_elderly": [600.0, 600.0]}
        | {"time_s_childcare": [100.0, np.inf], "threshold_s_childcare": [600.0, 600.0]},
        geometry=gpd.points_from_xy([106.55, 106.551], [29.55, 29.551]),
        crs=4326,
    )
    inputs = MapInputs(demand=pts, services=("elderly", "childcare"), no_data=("elderly",))
    page = build_map(inputs, lang="en").get_root().render()
    specs = specs_of(page)
    assert list(specs) == layer_names(inputs, lang="en")
    el = next(s for name, s in specs.items() if name.startswith("Elderly"))
    assert el["cols"]["st"] == ["No data: no facility list given"] * 2
    assert len(el["styles"]) == 1 and el["cls"] == [0, 0] and "t" not in el["cols"]
    ch = next(s for name, s in specs.items() if name.startswith("Childcare"))
    assert ch["cols"]["st"] == ["Covered", "No walking route"]  # a known inf stays "no route"
    legend = page[page.index('id="lc-legend"') :]
    assert "No data: no facility list given" in legend and "No walking route" in legend


# -- the XLSX plan sheet and the CSV read back ------------------------------------------------------


def test_xlsx_plan_and_capacity_sheets_write_a_dash_for_missing_numbers(tmp_path):
    plan = pd.DataFrame({"指标": ["覆盖率", "床位"], "现状": [np.nan, 1915.0], "差距": [np.nan, 2085.0]})
    cap = pd.DataFrame({"metric": ["supply", "gap"], "value": [np.nan, 1562.0], "unit_name": ["甲", "乙"]})
    other = pd.DataFrame({"value": [np.nan, 2.5]})
    path = write_xlsx({"plan": plan, "capacity": cap, "indicators": other}, tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(path)
    ws = book[book.sheetnames[0]]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=2)] == [
        ["覆盖率", "—", "—"],
        ["床位", 1915, 2085],
    ]
    assert ws["B3"].data_type == "n" and ws["B2"].data_type == "s"
    cap_ws = book[book.sheetnames[1]]
    assert [c.value for c in cap_ws["B"]][1:] == ["—", 1562]
    assert [c.value for c in book[book.sheetnames[2]]["A"]][1:] == [None, 2.5]  # the long table: untouched


def test_compare_reads_the_formula_guard_back_off(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    table = pd.DataFrame(
        {
            "scope": ["street", "street", "street"],
            "unit": ["1", "2", "3"],
            "unit_name": ["=x", "'abc", "-3.5"],
            "area": "all",
            "service": "elderly",
            "group": "pop_60",
            "metric": "coverage",
            "value": [50.0, 60.0, 70.0],
            "note": ["@SUM(A1)", "", "+plan"],
        }
    )
    raw = write_indicators_csv(table, run / "indicators.csv").read_text(encoding="utf-8-sig")
    assert "'=x" in raw and "'@SUM(A1)" in raw and "''abc" not in raw
    (run / "run.json").write_text(json.dumps({"scenario": {"name": "r"}}), encoding="utf-8")
    demand = gpd.GeoDataFrame({"id": ["1"]}, geometry=gpd.points_from_xy([106.55], [29.55]), crs=4326)
    write_gpkg({"demand": demand}, run / "layers.gpkg")
    back = load_run(run).indicators
    assert back["unit_name"].tolist() == ["=x", "'abc", "-3.5"]
    assert back["note"].fillna("").tolist() == ["@SUM(A1)", "", "+plan"]
    deltas = indicator_deltas(back, back)
    assert "=x" in set(deltas["unit_name"]) and not deltas["unit_name"].str.startswith("'=").any()
    # restore_formulas undoes exactly one guard and nothing else
    guarded = pd.DataFrame({"a": ["'=1+1", "'x", "'-3.5", None], "'=col": [1, 2, 3, 4]})
    assert restore_formulas(guarded)["a"].fillna("").tolist() == ["=1+1", "'x", "'-3.5", ""]
    assert list(restore_formulas(guarded).columns) == ["a", "=col"]
