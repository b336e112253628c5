"""Every indicator of the policy digest in the plan table: computed when its inputs are given, else
"not computed: needs X" (never 0).

A hand-made facility list with the columns a civil-affairs list may carry (nursing beds, 普惠,
operator, land, meal service, coordinates, a clinic) gives the facility indicators by hand; the
example runs print their indicator lists with computed or needs-input status.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lifecircle.coverage.indicators import indicator_table, plan_table
from lifecircle.coverage.standards import standards_from_profile
from lifecircle.geodata.common import say
from lifecircle.scenarios.pipeline import run_scenario
from lifecircle.scenarios.presets import example_scenario, load_jurisdiction
from lifecircle.scenarios.schema import load_scenario
from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[1]


def _preset(key: str):
    return standards_from_profile(load_jurisdiction(key))


def _demand() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b"],
            "pop_total": [1000.0, 1000.0],
            "pop_60": [200.0, 200.0],
            "pop_80": [20.0, 20.0],
            "pop_0_3": [30.0, 30.0],
            "district": ["500103", "500103"],
            "street": ["S1", "S1"],
            "community": ["C1", "C2"],
            "urban": [True, True],
        }
    )


def _facilities() -> pd.DataFrame:
    """Two elderly facilities, a clinic 97 m from the first, two childcare institutions."""
    return pd.DataFrame(
        {
            "id": ["e1", "e2", "h1", "c1", "c2"],
            "name": ["一社站", "一街中心", "一社卫生站", "托育一", "托育二"],
            "service": ["elderly", "elderly", "health", "childcare", "childcare"],
            "tier": ["community_station", "street_centre", "社区卫生服务站", "托育机构", "托育机构"],
            "capacity": [40.0, 60.0, np.nan, 30.0, 10.0],
            "status": ["existing"] * 5,
            "district": ["500103"] * 5,
            "street": ["S1"] * 5,
            "community": ["C1", "C2", "C1", "C1", "C2"],
            "nursing_beds": [20.0, 30.0, np.nan, np.nan, np.nan],
            "puhui": ["是", "否", "", "是", ""],
            "operator": ["公建民营", "公办", "", "民办", "民办"],
            "land_m2": [400.0, 600.0, np.nan, np.nan, np.nan],
            "meal": ["是", "否", "", "", ""],
            "lon": [106.55, 106.56, 106.551, 106.55, 106.56],
            "lat": [29.55, 29.55, 29.55, 29.55, 29.55],
        }
    )


def _table(facilities: pd.DataFrame | None) -> pd.DataFrame:
    d = _demand()
    times = {"elderly": np.array([60.0, 900.0]), "childcare": np.array([60.0, 60.0])}
    return indicator_table(
        d, times, {"elderly": 600.0, "childcare": 600.0}, facilities=facilities, standards=_preset("yuzhong")
    )


def _district(t: pd.DataFrame, metric: str, service: str = "elderly", rule: str = "") -> float:
    m = (t["scope"] == "district") & (t["metric"] == metric) & (t["service"] == service) & (t["rule"] == rule)
    assert m.sum() == 1, (metric, service, rule)
    return float(t.loc[m, "value"].iloc[0])


def test_facility_columns_give_the_plans_indicators():
    t = _table(_facilities())
    assert _district(t, "nursing_share") == 50.0  # (20 + 30) / (40 + 60)
    assert _district(t, "puhui_share") == 40.0 and _district(t, "puhui_supply") == 40.0
    assert _district(t, "puhui_share", "childcare") == 100.0  # the unknown one is left out, not "no"
    assert _district(t, "social_share") == 50.0 and _district(t, "social_bed_share") == 40.0
    assert _district(t, "public_bed_share") == 60.0
    assert _district(t, "land_per_capita") == pytest.approx(1000 / 2000)
    assert _district(t, "colocated_share") == 50.0  # the clinic is 97 m from e1, 870 m from e2
    assert _district(t, "unit_share", rule="meal_community") == 50.0  # C1 serves meals, C2 not
    p = plan_table(t, _preset("yuzhong"))
    now = dict(zip(p["指标"], p["现状"], strict=False))
    assert now["养老服务设施社会化运营率"] == 50.0 and now["政府运营养老床位占比"] == 60.0
    assert now["普惠养老床位"] == 40.0 and now["助餐服务社区覆盖面"] == 50.0
    assert now["护理型床位占比"] == 50.0  # the list's own counts, not 001's documented 37.4%
    nursing = p[p["指标"] == "护理型床位占比"].iloc[0]
    assert nursing["现状口径"] == say("ind.basis.computed", "zh")
    assert now["社区养老服务站内或附近设社区护理站"] == 50.0


def test_without_the_columns_every_facility_indicator_says_what_it_needs():
    plain = _facilities().drop(columns=["nursing_beds", "puhui", "operator", "land_m2", "meal", "lon", "lat"])
    p = plan_table(_table(plain), _preset("yuzhong"))
    row = p.set_index("指标")
    assert (
        row.loc["养老服务设施社会化运营率", "现状说明"]
        == "未计算：需要含“运营方式（公办/公建民营/民办）”列的养老设施清单"
    )
    assert row.loc["普惠养老床位", "现状说明"] == "未计算：需要含“是否普惠”列的养老设施清单"
    assert row.loc["社区养老服务站内或附近设社区护理站", "现状说明"].startswith("未计算：需要带经纬度")
    assert row.loc["护理型床位占比", "现状口径"] == say("ind.basis.documented", "zh")  # 001's 716 / 1,915
    missing = p[p["现状口径"] == say("ind.basis.no_data", "zh")]
    assert missing["现状"].isna().all() and (missing["现状说明"] != "").all()


# -- the example runs ---------------------------------------------------------------------------------


def status_list(result, lang: str = "zh") -> list[tuple[str, str]]:
    """Each indicator of the run's plan table with its status: the value now, or what it needs."""
    p = plan_table(result.indicators, result.standards, lang=lang)
    heads = {k: say(f"ind.head.plan.{k}", lang) for k in ("indicator", "now", "now_status", "now_basis")}
    out = []
    for _, r in p.iterrows():
        value = r[heads["now"]]
        shown = r[heads["now_status"]] if pd.isna(value) else f"{value:,.1f} ({r[heads['now_basis']]})"
        out.append((r[heads["indicator"]], shown))
    return out


def _check_never_zero(result) -> None:
    p = plan_table(result.indicators, result.standards)
    missing = p[p["现状口径"] == say("ind.basis.no_data", "zh")]
    assert missing["现状"].isna().all() and missing["现状说明"].str.len().gt(0).all()
    assert missing["差距"].isna().all()


@pytest.fixture(scope="module")
def yuzhong(tmp_path_factory):
    shared_file("chongqing", "osm_roads_yuzhong.geojson")
    scen = load_scenario(ROOT / "examples" / "yuzhong.yaml")
    return run_scenario(scen, tmp_path_factory.mktemp("yuzhong"), lang="zh")


@pytest.mark.realdata
def test_yuzhong_indicator_status(yuzhong, capsys):
    rows = status_list(yuzhong)
    with capsys.disabled():
        print("\nYuzhong example: indicator status")
        for name, status in rows:
            print(f"  {name} — {status}")
    _check_never_zero(yuzhong)
    needs = {status for _, status in rows if status.startswith("未计算")}
    assert needs == {
        "未计算：需要养老服务设施清单",
        "未计算：需要托育设施清单及街道单元",
        "未计算：需要养老设施清单及街道单元",
        "未计算：需要养老设施清单及社区单元",
        "未计算：需要养老服务设施清单和需求点表中的80岁以上老年人人数",
        "未计算：需要含“运营方式（公办/公建民营/民办）”列的养老设施清单",
        "未计算：需要含“是否普惠”列的养老设施清单",
        "未计算：需要部门统计台账数据（该指标不由空间数据计算）",
        "未计算：需要新建居住区清单（户数、配套养老服务用房面积及验收情况）",
        "未计算：需要带经纬度的养老设施清单及医疗卫生设施清单",
    }
    assert len(rows) == len(yuzhong.standards.coverage_targets) == 45


def test_helsinki_demo_indicator_status(tmp_path, capsys):
    result = run_scenario(load_scenario(example_scenario("helsinki")), tmp_path / "demo", lang="zh")
    rows = status_list(result)
    with capsys.disabled():
        print("\nHelsinki demo (Chongqing municipal standards): indicator status")
        for name, status in rows:
            print(f"  {name} — {status}")
    _check_never_zero(result)
    computed = [s for _, s in rows if s.endswith(f"({say('ind.basis.computed', 'zh')})")]
    assert len(computed) >= 2  # OSM facilities give the coverage rows
    # Chongqing's documented 230,000 beds are the whole municipality's, not Helsinki's: said so
    p = plan_table(result.indicators, result.standards).set_index("指标")
    assert p.loc["养老床位", "现状"] == 230_000 and "全辖区" in p.loc["养老床位", "备注"]
