"""Missing data is never a zero: documented supply with its source, "no data" otherwise, gaps with their base.

The expected numbers are the policy digest's (shared/docs/policy-digest.md), written here as literals
with their clause; the code reads them from the jurisdiction presets.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecircle.coverage import standards as st
from lifecircle.coverage.indicators import (
    indicator_table,
    missing_units,
    plan_table,
)
from lifecircle.scenarios.presets import load_jurisdiction
from tests.conftest import shared_file

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _preset(key: str) -> st.Standards:
    return st.standards_from_profile(load_jurisdiction(key))


def _demand(total: float, p60: float, p03: float, *, street: str = "", community: str = "") -> pd.DataFrame:
    """Four urban points holding the given totals, without admin codes (as a buildings run makes them);
    the 80+ population is unknown."""
    share = np.array([0.4, 0.3, 0.2, 0.1])
    return pd.DataFrame(
        {
            "id": list("abcd"),
            "pop_total": total * share,
            "pop_60": p60 * share,
            "pop_80": np.nan,
            "pop_0_3": p03 * share,
            "district": "",
            "street": street,
            "community": community,
            "urban": True,
        }
    )


TIMES = {"elderly": np.array([100.0, 500.0, 900.0, np.inf]), "childcare": np.array([100.0, 700, 900, 60])}
THRESHOLDS = {"elderly": 600.0, "childcare": 600.0}


def _yuzhong_table(**kw) -> pd.DataFrame:
    # 001 baseline (7th census 2020): 588,700 residents, 116,300 aged 60+, 17,420 aged 0–3 (digest §4)
    d = _demand(588_700, 116_300, 17_420)
    return indicator_table(d, TIMES, THRESHOLDS, standards=_preset("yuzhong"), **kw)


def _one(t: pd.DataFrame, **kw) -> pd.Series:
    m = np.ones(len(t), dtype=bool)
    for k, v in kw.items():
        m &= (t[k] == v).to_numpy()
    assert m.sum() == 1, (kw, int(m.sum()))
    return t[m].iloc[0]


def _plan_row(p: pd.DataFrame, name: str) -> pd.Series:
    rows = p[p.iloc[:, 0] == name]
    assert len(rows) == 1, name
    return rows.iloc[0]


# -- Yuzhong without a facility list ---------------------------------------------------------------


def test_yuzhong_plan_table_uses_documented_supply_and_the_documents_bases():
    p = plan_table(_yuzhong_table(), _preset("yuzhong"))
    beds = _plan_row(p, "养老服务床位")
    # 001 (digest §3.3, §4): 1,915 beds at baseline; 2025 target 4,000
    assert beds["现状"] == 1915 and beds["现状口径"] == "规划文件数据"
    assert beds["现状来源"].startswith("文件 001") and "1,915" in beds["现状来源"]
    assert beds["目标值"] == "4000"
    # 001 (digest §7 item 1): 32 per 1,000 × the 2025 projection of 125,000 aged 60+ = 4,000 beds
    assert beds["人口基数"] == 125_000 and beds["基数年份"] == "2025年"
    assert beds["人口基数口径"] == "60岁以上老年人（预测）"
    assert beds["按标准需求（取整）"] == 32 * 125_000 / 1000 == 4000
    assert beds["差距"] == 4000 - 1915 == 2085  # 001's stated bed gap
    places = _plan_row(p, "托位数")
    # 001 (digest §3.3): 托位 1,088 (indicator table) → 2,650
    assert places["现状"] == 1088 and places["现状口径"] == "规划文件数据"
    # 001 (digest §7 item 1): 2,650 = 588,700 × 4.5 / 1,000 (the 2020 census, not the 2025
    # projection of 568,000, which would give 4.5 × 568,000 / 1,000 = 2,556), rounded up
    assert places["人口基数"] == 588_700 and places["基数年份"] == "2020年"
    assert places["按标准需求（取整）"] == math.ceil(4.5 * 588_700 / 1000) == 2650
    assert places["差距"] == 2650 - 1088 == 1562
    # the document's own gap, 1,639 = 2,650 − 1,011, is shown and reconciled
    assert "1,639 = 2,650 − 1,011" in places["备注"] and "1,562" in places["备注"]
    assert "2,556" in places["备注"]  # the projection base the document does not use
    nursing = _plan_row(p, "护理型床位占比")  # 001 (digest §4): 716 nursing beds of 1,915 = 37.4%
    assert nursing["现状"] == pytest.approx(100 * 716 / 1915) and nursing["现状口径"] == "规划文件数据"
    assert not (p["现状"] == 0).any()  # nothing is 0 for want of data


def test_yuzhong_per_1000_now_and_the_flagged_baseline():
    p = plan_table(_yuzhong_table(), _preset("yuzhong"))
    beds = _plan_row(p, "每千名常住老年人养老床位数")
    # 001 (digest §4): 1,915 beds over 116,300 aged 60+ = 16.5 per 1,000 (the stated baseline)
    assert beds["现状"] == pytest.approx(1000 * 1915 / 116_300) and round(beds["现状"], 1) == 16.5
    assert "数据质量提示" not in beds["备注"]
    places = _plan_row(p, "每千人口托位数")
    # 001: 1,088 / 588.7 = 1.85, not the stated baseline of 1.5 (flagged)
    assert places["现状"] == pytest.approx(1088 / 588.7) and places["基期值"] == 1.5
    assert "1.5" in places["备注"] and "1.85" in places["备注"]


def test_yuzhong_flag_lists_both_numbers():
    flags = [n for n in _preset("yuzhong").notes if "1.85" in n]
    assert len(flags) == 1
    assert "baseline 1.5" in flags[0] and "1,088 / 588.7 = 1.85" in flags[0]
    assert "1.5" in flags[0].zh and "1,088 / 588.7 = 1.85" in flags[0].zh
    # no other preset's documented supply contradicts its stated per-1,000 baseline
    for key in ("jiulongpo", "chongqing", "shapingba", "bazhong"):
        flagged = st.baseline_flags(
            _preset(key).document, _preset(key).coverage_targets, _preset(key).figures
        )
        assert flagged == [], key


def test_yuzhong_long_table_district_rows():
    t = _yuzhong_table()
    assert set(t["scope"]) == {"district"}  # no street or community units: no rows for them
    assert set(t["unit"]) == {"500103"} and set(t["unit_name"]) == {"重庆市渝中区"}
    assert not t["unit_name"].str.contains("未知").any()
    said = t[t["metric"] == "units_total"]  # said once
    assert len(said) == 1 and np.isnan(said["value"].iloc[0]) and said["value_basis"].iloc[0] == "no_data"
    assert said["note"].iloc[0].startswith("no data: needs street/town")
    e = {"service": "elderly", "group": "pop_60"}
    supply = _one(t, metric="supply", **e)
    assert supply["value"] == 1915 and supply["value_basis"] == "documented"
    assert supply["source"].startswith("Document 001")
    need = _one(t, metric="need", **e)
    assert need["value"] == 4000 and (need["base_value"], need["base_year"]) == (125_000, "2025")
    gap = _one(t, metric="gap", **e)
    assert gap["value"] == 2085 and gap["base_value"] == 125_000 and gap["value_basis"] == "documented"
    c = {"service": "childcare", "group": "pop_total"}
    assert _one(t, metric="supply", **c)["value"] == 1088
    # 001 (digest §7 item 1): 588,700 × 4.5 / 1,000 = 2,649.15, stated as 2,650 (rounded up)
    assert _one(t, metric="need", **c)["value"] == 2650
    assert _one(t, metric="gap", **c)["value"] == 2650 - 1088
    # the 80+ population is unknown: NaN marked no data (shown as —), never 0
    p80 = t[t["group"] == "pop_80"]
    assert len(p80) == 1 and np.isnan(p80["value"].iloc[0])
    assert p80["value_basis"].iloc[0] == "no_data" and p80["note"].iloc[0].startswith("no data: needs pop_80")


def test_rules_without_facilities_or_units_are_not_checked():
    t = _yuzhong_table()
    share = t[t["metric"] == "unit_share"]
    assert len(share) == 4 and share["value"].isna().all() and (share["value_basis"] == "no_data").all()
    miss = missing_units(t)  # four rules not checked: one row each, never "all compliant"
    assert sorted(miss["rule"]) == ["childcare_point", "community_station", "meal_community", "street_centre"]
    assert miss["count"].isna().all() and miss["note"].str.startswith("no data: needs").all()
    assert set(miss["unit_name"]) == {"重庆市渝中区"}


def test_plan_table_in_english_says_documented():
    p = plan_table(_yuzhong_table(), _preset("yuzhong"), lang="en")
    beds = p[p["Indicator"] == "Elderly beds"].iloc[0]
    assert (beds["Now"], beds["Now: basis"], beds["Gap"]) == (1915, "documented", 2085)
    assert beds["Population base"] == "Aged 60+ (projection)" and beds["Base year"] == "2025"
    point = p[p["Indicator"] == "Community childcare points"].iloc[0]
    assert np.isnan(point["Now"]) and point["Now: basis"] == "no data"
    assert point["Now: why missing"].startswith(
        "not computed: needs a facility list with childcare facilities"
    )


# -- every preset ------------------------------------------------------------------------------------

# Supply targets: (now, basis, need at the standard, base, base year, gap), digest §3.3, §4, §7 item 1.
SUPPLY = {
    ("jiulongpo", "elderly"): (6810, "documented", 9660, 276_000, "2020", 6700 - 6810),  # 35 × 276,000
    # 4.5 × 1,526,549 (derived: 276,000 / 18.08%) = 6,869.5, rounded up
    ("jiulongpo", "childcare"): (2841, "documented", 6870, 1_526_549, "2020", 5000),
    ("bazhong", "elderly"): (20_000, "documented", None, None, "", 3000),  # 003 sets no bed ratio
    ("bazhong", "childcare"): (4662, "documented", 12_209, 2_712_900, "2020", 10_000),  # 12,208.05 up
    ("chongqing", "elderly"): (230_000, "documented", None, None, "", 20_000),  # 004: no ratio, no population
    ("shapingba", "elderly"): (None, "no_data", None, None, "", None),  # 002: no bed count at all
}  # fmt: skip


@pytest.mark.parametrize(("key", "service"), sorted(SUPPLY))
def test_supply_rows_of_every_preset(key, service):
    std = _preset(key)
    d = _demand(1000, 200, 30)  # a study area far smaller than the jurisdiction
    p = plan_table(indicator_table(d, TIMES, THRESHOLDS, standards=std), std, lang="en")
    unit = "beds" if service == "elderly" else "places"
    rows = p[(p["Unit"] == unit) & ~p["Indicator"].str.startswith("Affordable")]  # the supply targets
    assert len(rows) == 1
    row = rows.iloc[0]
    now, basis, need, base, year, gap = SUPPLY[(key, service)]
    assert row["Now: basis"] == {"documented": "documented", "no_data": "no data"}[basis]
    if now is None:
        assert (
            np.isnan(row["Now"])
            and np.isnan(row["Gap"])
            and row["Now: why missing"].startswith("not computed: needs")
        )
    else:
        assert (
            row["Now"] == now
            and row["Gap"] == gap
            and row["Now: source"].startswith(f"Document {std.document}")
        )
    if need is None:
        assert np.isnan(row["Need at the standard (rounded up)"]) and row["Base year"] == ""
    else:
        assert row["Need at the standard (rounded up)"] == need
        assert (row["Base population"], row["Base year"]) == (base, year)
        assert "assumption" in row["Note"]  # 000 and 003 do not say which base: stated as a choice


def test_partial_study_area_keeps_documented_figures_out_of_its_rows():
    # 100,000 residents are not Yuzhong's 588,700: the district-wide documented supply is not theirs
    t = indicator_table(_demand(100_000, 20_000, 3000), TIMES, THRESHOLDS, standards=_preset("yuzhong"))
    supply = _one(t, metric="supply", service="elderly", group="pop_60")
    assert np.isnan(supply["value"]) and supply["value_basis"] == "no_data"
    assert "documented figures not used" in supply["note"] and "588,700" in supply["note"]
    gap = _one(t, metric="gap", service="elderly", group="pop_60")
    assert np.isnan(gap["value"]) and gap["value_basis"] == "no_data"
    need = _one(t, metric="need", service="elderly", group="pop_60")  # the study area's own base
    assert need["value"] == pytest.approx(32 * 20_000 / 1000) and need["value_basis"] == "computed"
    # the plan table is the jurisdiction's: it still shows the documented supply
    beds = _plan_row(plan_table(t, _preset("yuzhong")), "养老服务床位")
    assert beds["现状"] == 1915 and beds["现状口径"] == "规划文件数据"


# -- facility lists that lack a service or a capacity -----------------------------------------------


def _facilities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["f1", "f2", "f3"],
            "name": ["一站", "二站", "三站"],
            "service": "elderly",
            "tier": "community_station",
            "capacity": [30.0, np.nan, np.nan],
            "status": "existing",
            "district": "",
            "street": ["S1", "S2", "S2"],
            "community": ["C1", "C2", "C3"],
        }
    )


def test_unknown_capacity_and_missing_service_are_no_data():
    d = _demand(588_700, 116_300, 17_420).assign(
        street=["S1", "S1", "S2", "S2"], community=["C1", "C1", "C2", "C3"]
    )
    t = indicator_table(d, TIMES, THRESHOLDS, facilities=_facilities(), standards=_preset("yuzhong"))
    e = {"metric": "supply", "service": "elderly", "group": "pop_60", "scope": "street"}
    assert _one(t, unit="S1", **e)["value"] == 30
    s2 = _one(t, unit="S2", **e)  # two stations, neither with a capacity: unknown, not 0
    assert np.isnan(s2["value"]) and s2["value_basis"] == "no_data"
    assert s2["note"] == "no data: needs the capacity (beds) of the elderly facilities"
    # the list has no childcare facility: childcare supply is unknown in every street and
    # community, and the district shows 001's documented 1,088 托位
    cc = t[(t["metric"] == "supply") & (t["service"] == "childcare")]
    below = cc[cc["scope"] != "district"]
    assert len(below) == 5 and below["value"].isna().all() and (below["value_basis"] == "no_data").all()
    assert below["note"].str.startswith("no data: needs a facility list with childcare facilities").all()
    district = cc[cc["scope"] == "district"].iloc[0]
    assert (district["value"], district["value_basis"]) == (1088, "documented")
    point = missing_units(t, "childcare_point")
    assert len(point) == 1 and np.isnan(point["count"].iloc[0])
    assert point["note"].iloc[0] == "no data: needs childcare facilities in the facility list"
    # a unit without demand attribution is named for what it is, never 未知
    assert not t["unit_name"].str.contains("未知").any()


def test_unattributed_demand_is_named_not_unknown():
    d = _demand(1000, 200, 30).assign(street=["S1", "S1", "", ""])
    t = indicator_table(d, TIMES, THRESHOLDS)  # no standards: no jurisdiction to name the district
    assert set(t.loc[t["scope"] == "district", "unit_name"]) == {"研究区"}
    assert set(t.loc[t["scope"] == "street", "unit_name"]) == {"S1", "未归属街道/镇"}
    said = t[t["metric"] == "units_total"]
    assert len(said) == 1 and "community/village" in said["note"].iloc[0]
    assert not t["unit_name"].str.contains("未知").any()


# -- the real Yuzhong example -------------------------------------------------------------------------


@pytest.mark.realdata
def test_yuzhong_example_district_rows():
    from lifecircle.scenarios.pipeline import run_scenario
    from lifecircle.scenarios.schema import load_scenario

    shared_file("chongqing", "osm_roads_yuzhong.geojson")
    shared_file("chongqing", "osm_buildings_yuzhong.geojson")
    scen = load_scenario(EXAMPLES / "yuzhong.yaml").model_copy(update={"siting": None})
    result = run_scenario(scen, None)
    t = result.indicators
    assert set(t["scope"]) == {"district"}  # the example gives no street or community units
    assert set(t["unit_name"]) == {"重庆市渝中区"} and set(t["unit"]) == {"500103"}
    e = {"service": "elderly", "group": "pop_60"}
    assert _one(t, metric="supply", **e)["value"] == 1915  # 001 (digest §4)
    assert _one(t, metric="need", **e)["value"] == 4000  # 32 × 125,000 / 1,000 (001, 2025 projection)
    assert _one(t, metric="gap", **e)["value"] == 2085
    c = {"service": "childcare", "group": "pop_total"}
    assert _one(t, metric="supply", **c)["value"] == 1088  # 001 (digest §3.3)
    assert _one(t, metric="gap", **c)["value"] == 2650 - 1088  # 4.5 × 588,700 / 1,000, rounded up
    assert np.isnan(_one(t, group="pop_80", metric="coverage")["value"])
    p = plan_table(t, result.standards)
    beds, places = _plan_row(p, "养老服务床位"), _plan_row(p, "托位数")
    assert (beds["现状"], beds["差距"], beds["人口基数"], beds["基数年份"]) == (1915, 2085, 125_000, "2025年")
    assert (places["现状"], places["差距"], places["人口基数"], places["基数年份"]) == (
        1088,
        1562,
        588_700,
        "2020年",
    )
