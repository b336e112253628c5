"""Indicators: coverage by unit and area, one-per-unit misses, capacity gaps, equity, plan tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lifecircle.coverage import indicators as ind
from lifecircle.coverage import standards as st
from lifecircle.coverage.indicators import (
    Provenance,
    capacity_gap,
    capacity_indicators,
    coverage_indicators,
    coverage_wide,
    documented_gaps,
    gap_frame,
    indicator_table,
    missing_units,
    plan_table,
    unit_rule_indicators,
    weighted_gini,
    weighted_quantile,
)
from lifecircle.coverage.standards import Target, UnitRule
from lifecircle.geodata.bilingual import cite_doc
from lifecircle.geodata.common import InputError
from lifecircle.scenarios.presets import jurisdiction_names, load_jurisdiction
from tests.conftest import shared_file
from tests.latin_scan import latin_words


def _preset(key: str) -> st.Standards:
    """The shipped standards of jurisdiction ``key``, from its YAML preset."""
    return st.standards_from_profile(load_jurisdiction(key))


# -- a hand-made district -------------------------------------------------------------------------
# District D: street S1 (urban: C1, C2), street S2 (urban: C3), town T1 (village V1 and the
# town-seat community C4), and street S3 (community C9) with no demand at all.
#
#   id  pop  60+  80+  street community urban  time s   threshold s  covered
#   a   100   10    1  S1     C1        yes     100         900        yes
#   b   200   20    2  S1     C2        yes     700         900        yes
#   c   300   30    3  S2     C3        yes    1000         900        no
#   d    50    5    1  T1     V1        no     1100        1200        yes  (rural: 20 min)
#   e    50    5    1  T1     V1        no      inf        1200        no   (no network path)
#   f   100   10    1  T1     C4        yes     300         900        yes


def _demand() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": list("abcdef"),
            "pop_total": [100, 200, 300, 50, 50, 100.0],
            "pop_60": [10, 20, 30, 5, 5, 10.0],
            "pop_80": [1, 2, 3, 1, 1, 1.0],
            "pop_0_3": [np.nan] * 6,
            "district": ["D"] * 6,
            "street": ["S1", "S1", "S2", "T1", "T1", "T1"],
            "community": ["C1", "C2", "C3", "V1", "V1", "C4"],
            "urban": [True, True, True, False, False, True],
        }
    )


TIMES = {"elderly": np.array([100, 700, 1000, 1100, np.inf, 300.0])}


def _thresholds(demand: pd.DataFrame) -> dict[str, np.ndarray]:
    return {"elderly": np.where(demand["urban"], 900.0, 1200.0)}


def _units() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["D", "S1", "S2", "T1", "S3", "C1", "C2", "C3", "V1", "C4", "C9"],
            "name": ["区", "一街", "二街", "一镇", "三街", "一社", "二社", "三社", "一村", "镇社", "九社"],
            "level": ["district"] + ["street"] * 4 + ["community"] * 6,
            "parent": ["", "D", "D", "D", "D", "S1", "S1", "S2", "T1", "T1", "S3"],
            "urban": [True, True, True, False, True, True, True, True, False, True, True],
        }
    )


def _facilities() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["f1", "f2", "f3", "f4", "f5"],
            "name": ["一街中心", "三社站", "一村点", "二社站（规划）", "托育一"],
            "service": ["elderly", "elderly", "elderly", "elderly", "childcare"],
            "tier": ["street_centre", "社区养老服务站", "村级互助养老点", "community_station", "托育机构"],
            "capacity": [50.0, np.nan, 10.0, 30.0, 40.0],
            "status": ["existing", "existing", "planned", "planned", "existing"],
            "district": ["D"] * 5,
            "street": ["S1", "S2", "T1", "S1", "S2"],
            "community": ["C1", "C3", "V1", "C2", "C3"],
        }
    )


def _row(t: pd.DataFrame, **kw) -> float:
    m = np.ones(len(t), dtype=bool)
    for k, v in kw.items():
        m &= (t[k] == v).to_numpy()
    sel = t.loc[m, "value"]
    assert len(sel) == 1, (kw, len(sel))
    return float(sel.iloc[0])


@pytest.fixture(scope="module")
def cov():
    d = _demand()
    return coverage_indicators(d, TIMES, _thresholds(d), units=_units())


# -- coverage ---------------------------------------------------------------------------------------


def test_coverage_shares_by_unit(cov):
    e = {"service": "elderly", "group": "pop_60", "metric": "coverage", "area": "all"}
    assert _row(cov, scope="district", unit="D", **e) == pytest.approx(
        100 * 45 / 80
    )  # a b d f: 10 + 20 + 5 + 10
    assert _row(cov, scope="street", unit="S1", **e) == pytest.approx(100.0)
    assert _row(cov, scope="street", unit="S2", **e) == pytest.approx(0.0)
    assert _row(cov, scope="street", unit="T1", **e) == pytest.approx(100 * 15 / 20)  # d f of d e f
    assert _row(cov, scope="community", unit="V1", **e) == pytest.approx(50.0)
    assert _row(cov, scope="community", unit="C4", **e) == pytest.approx(100.0)
    p = {"service": "elderly", "group": "pop_total", "area": "all", "scope": "district"}
    assert _row(cov, metric="pop", **p) == 800
    assert _row(cov, metric="pop_covered", **p) == 450
    # beyond the threshold with a walk (c) apart from no walk at all (e): 800 = 450 + 300 + 50
    assert _row(cov, metric="pop_beyond", **p) == 300
    assert _row(cov, metric="pop_unreached", **p) == 50


def test_urban_and_rural_reported_separately(cov):
    e = {"service": "elderly", "group": "pop_60", "metric": "coverage", "scope": "district"}
    # urban: a b c f, 60+ 10+20+30+10 = 70, covered a b f = 40; rural: d e, covered d
    assert _row(cov, area="urban", **e) == pytest.approx(100 * 40 / 70)
    assert _row(cov, area="rural", **e) == pytest.approx(50.0)
    # the mixed town gets both splits; a homogeneous street only "all"
    t1 = cov[(cov["scope"] == "street") & (cov["unit"] == "T1")]
    assert set(t1["area"]) == {"all", "urban", "rural"}
    assert _row(cov, area="urban", unit="T1", **{**e, "scope": "street"}) == pytest.approx(100.0)
    s1 = cov[(cov["scope"] == "street") & (cov["unit"] == "S1")]
    assert set(s1["area"]) == {"all"}
    # the town is rural by the admin table, though it holds an urban community
    assert set(t1["unit_class"]) == {"rural"}
    assert set(cov.loc[cov["scope"] == "district", "unit_class"]) == {"mixed"}


def test_threshold_decides_per_point():
    d = _demand()
    urban_only = {"elderly": np.full(6, 900.0)}  # the rural point d (1100 s) is no longer covered
    t = coverage_indicators(d, TIMES, urban_only)
    assert (
        _row(t, scope="district", area="rural", service="elderly", group="pop_60", metric="coverage") == 0.0
    )
    note = t.loc[(t["metric"] == "pop_covered") & (t["area"] == "all"), "note"].iloc[0]
    assert note == "threshold 15 min"


def test_units_without_demand_are_listed(cov):
    c9 = cov[(cov["scope"] == "community") & (cov["unit"] == "C9")]
    assert not c9.empty
    assert _row(c9, metric="pop", group="pop_60", service="elderly") == 0
    assert np.isnan(_row(c9, metric="coverage", group="pop_60", service="elderly"))
    assert set(c9["unit_name"]) == {"九社"}
    assert set(c9["parent"]) == {"S3"}
    s3 = cov[(cov["scope"] == "street") & (cov["unit"] == "S3") & (cov["metric"] == "coverage")]
    assert (s3["note"] == "no population in this unit").all()


def test_blank_district_and_street_filled_from_the_admin_table(cov):
    d = _demand().assign(district="", street=["S1", "", "", "T1", "T1", ""])
    t = coverage_indicators(d, TIMES, _thresholds(d), units=_units())
    assert set(t.loc[t["scope"] == "district", "unit"]) == {"D"}
    assert set(t.loc[t["scope"] == "street", "unit"]) == {"S1", "S2", "S3", "T1"}
    pd.testing.assert_frame_equal(t, cov)


def test_names_map_to_codes_within_their_street():
    units = pd.concat(
        [
            _units(),
            pd.DataFrame(
                {
                    "code": ["N1", "N2"],
                    "name": ["新村", "新村"],
                    "level": "community",
                    "parent": ["S1", "T1"],
                    "urban": [True, False],
                }
            ),
        ],
        ignore_index=True,
    )
    d = _demand().assign(
        street=["一街", "S1", "S2", "一镇", "T1", ""],
        community=["新村", "新村", "三社", "新村", "新村", "新村"],
    )
    t = coverage_indicators(d, TIMES, _thresholds(d), units=units)
    pops = t[(t["scope"] == "community") & (t["metric"] == "pop") & (t["group"] == "pop_total")]
    got = dict(zip(pops["unit"], pops["value"], strict=True))
    assert got["N1"] == 300 and got["N2"] == 100 and got["C3"] == 300
    assert got["新村"] == 100  # no street given and the name is ambiguous: left as it is, not guessed


def test_unknown_group_is_skipped_and_said(cov):
    rows = cov[cov["group"] == "pop_0_3"]
    assert rows.empty  # the elderly service does not report 0–3 by default
    d = _demand()
    t = coverage_indicators(d, {"childcare": TIMES["elderly"]}, {"childcare": 600.0})
    skipped = t[t["group"] == "pop_0_3"]
    assert len(skipped) == 1
    assert skipped["value"].isna().all()
    assert "pop_0_3 unknown" in skipped["note"].iloc[0]
    # the residents' coverage is still there: a (100 s) and f (300 s) within 10 minutes
    assert _row(
        t, scope="district", area="all", service="childcare", group="pop_total", metric="coverage"
    ) == (pytest.approx(100 * 200 / 800))


def test_partly_missing_group_is_an_error_naming_rows():
    d = _demand()
    d.loc[[1, 4], "pop_80"] = np.nan
    with pytest.raises(InputError, match=r"pop_80.*b, e"):
        coverage_indicators(d, TIMES, _thresholds(d))


def test_negative_population_is_an_error_naming_rows():
    d = _demand()
    d.loc[2, "pop_total"] = -5
    with pytest.raises(InputError, match=r"pop_total.*\bc\b"):
        coverage_indicators(d, TIMES, _thresholds(d))


def test_bad_times_are_errors():
    d = _demand()
    with pytest.raises(InputError, match="NaN or negative"):
        coverage_indicators(d, {"elderly": np.array([1, 2, np.nan, 4, 5, 6.0])}, _thresholds(d))
    with pytest.raises(InputError, match="5 values for 6"):
        coverage_indicators(d, {"elderly": np.ones(5)}, _thresholds(d))
    with pytest.raises(InputError, match="no threshold"):
        coverage_indicators(d, TIMES, {})


# -- equity -----------------------------------------------------------------------------------------


def test_weighted_median_and_p90(cov):
    e = {"scope": "district", "area": "all", "service": "elderly", "group": "pop_total"}
    # people with a path only (e, no path, is left out): 100(100) 300(100) 700(200) 1000(300)
    # 1100(50); W = 750. median (375): reached at 700 s; p90 (675): reached at 1000 s
    assert _row(cov, metric="time_median_min", **e) == pytest.approx(700 / 60)
    assert _row(cov, metric="time_p90_min", **e) == pytest.approx(1000 / 60)
    # 80+: weights 1 1 2 3 1 (a f b c d) -> W 8; p90 needs 7.2 -> d at 1100 s, never inf
    assert _row(cov, metric="time_p90_min", **{**e, "group": "pop_80"}) == pytest.approx(1100 / 60)


def test_weighted_quantile_matches_repetition():
    rng = np.random.default_rng(7)
    v = rng.uniform(0, 1800, 60).round()
    w = rng.integers(0, 9, 60)
    rep = np.repeat(v, w)
    for q in (0.1, 0.5, 0.9, 1.0):
        assert weighted_quantile(v, w, q) == np.quantile(rep, q, method="inverted_cdf")
    assert weighted_quantile([1, 2], [1, 1], 0.5) == 1  # inverted CDF: the lower middle
    assert np.isnan(weighted_quantile([1, 2], [0, 0], 0.5))


def test_gini_of_known_distributions():
    assert weighted_gini([0, 0, 0, 1], [1, 1, 1, 1]) == pytest.approx(0.75)
    n = 7
    assert weighted_gini(np.arange(1, n + 1), np.ones(n)) == pytest.approx((n - 1) / (3 * n))
    # weights act as repetitions
    assert weighted_gini([1, 2], [2, 1]) == pytest.approx(weighted_gini([1, 1, 2], [1, 1, 1]))
    assert weighted_gini([5, 5, 5], [1, 2, 3]) == 0.0
    # unreached (inf) people are left out
    assert weighted_gini([0, 1, np.inf], [3, 1, 10]) == pytest.approx(0.75)
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 100, 40)
    w = rng.integers(1, 5, 40)
    xr = np.repeat(x, w)
    brute = np.abs(xr[:, None] - xr[None, :]).sum() / (2 * xr.size**2 * xr.mean())
    assert weighted_gini(x, w) == pytest.approx(brute)


def test_gini_per_unit_in_table(cov):
    # street T1, 60+: d 1100 s (5), f 300 s (10); e unreached is left out
    g = _row(
        cov, scope="street", unit="T1", area="all", service="elderly", group="pop_60", metric="gini_time"
    )
    assert g == pytest.approx(weighted_gini([1100, 300], [5, 10]))
    assert g == pytest.approx(5 * 10 * 800 / (15 * (5 * 1100 + 10 * 300)))


# -- one per unit -------------------------------------------------------------------------------------


RULES = (
    UnitRule("centre", "elderly", ("street_centre",), "street"),
    UnitRule("station", "elderly", ("community_station", "street_centre"), "community", area="urban"),
    UnitRule("village", "elderly", ("village_point",), "community", area="rural"),
)


def test_one_per_unit_misses():
    t = unit_rule_indicators(_facilities(), RULES, demand=_demand(), units=_units())
    miss = missing_units(t)
    got = {(r.rule, r.unit) for r in miss.itertuples()}
    # f1 (a street centre in C1) counts as C1's station; C3 has a station (Chinese tier name);
    # f3 (village point) and f4 (station in C2) are only planned; C9 has no demand and no station
    assert got == {
        ("centre", "S2"),
        ("centre", "T1"),
        ("centre", "S3"),
        ("station", "C2"),
        ("station", "C4"),
        ("station", "C9"),
        ("village", "V1"),
    }
    assert _row(t, scope="district", rule="station", metric="units_total") == 5  # C1 C2 C3 C4 C9, not V1
    assert _row(t, scope="district", rule="station", metric="unit_share") == pytest.approx(40.0)
    assert _row(t, scope="district", rule="centre", metric="unit_share") == pytest.approx(25.0)
    assert _row(t, scope="street", unit="S1", rule="station", metric="unit_share") == pytest.approx(50.0)
    assert _row(t, scope="district", rule="station", metric="facilities") == 2


def test_planned_sites_count_when_asked():
    t = unit_rule_indicators(
        _facilities(), RULES, demand=_demand(), units=_units(), statuses=("existing", "planned")
    )
    got = {(r.rule, r.unit) for r in missing_units(t).itertuples()}
    assert ("village", "V1") not in got and ("station", "C2") not in got
    assert ("station", "C4") in got


def test_rules_without_demand_use_the_admin_table():
    t = unit_rule_indicators(_facilities(), RULES[:1], units=_units())
    assert set(missing_units(t)["unit"]) == {"S2", "T1", "S3"}


def test_facilities_need_admin_columns():
    with pytest.raises(InputError, match="facility table: no column community"):
        unit_rule_indicators(_facilities().drop(columns=["community"]), RULES, units=_units())


# -- capacity -----------------------------------------------------------------------------------------


def test_digest_gap_checks():
    # 001: 588,700 × 4.5 / 1,000 = 2,650 托位; gap 1,639 against the text's 181 + 830 = 1,011
    yz = _preset("yuzhong")
    g = capacity_gap(
        4.5, yz.figure("pop_total", 2020), yz.figure("places", "baseline-text"), service="childcare"
    )
    assert g.need == pytest.approx(2649.15)
    assert (g.need_whole, g.gap_whole) == (2650, 1639)  # the document rounds the need up
    # 001: 32 beds per 1,000 of the 2025 projection of 125,000 elderly = 4,000; gap 2,085 vs 1,915
    g = capacity_gap(32, yz.figure("pop_60", 2025), yz.figure("beds"), service="elderly")
    assert g.need == pytest.approx(4000)
    assert g.gap == pytest.approx(2085)
    # 000: 35 × 276,000 / 1,000 = 9,660 beds; 4.5 × 1.527 M = 6,869 托位, gap ≈ 5,360 vs 1,510 (2020)
    jl = _preset("jiulongpo")
    assert capacity_gap(35, jl.figure("pop_60"), jl.figure("beds"), service="elderly").need == pytest.approx(
        9660
    )
    g = capacity_gap(4.5, jl.figure("pop_total"), jl.figure("places", 2020), service="childcare")
    assert round(g.need) == 6869
    assert g.gap_whole == 5360
    # 003: 4.5 × 2.713 M = 12,208; gap ≈ 10,250 vs the 2020 base, ≈ 7,550 vs the 2023 supply of 4,662
    bz = _preset("bazhong")
    g20 = capacity_gap(4.5, bz.figure("pop_total"), bz.figure("places", 2020), service="childcare")
    g23 = capacity_gap(4.5, bz.figure("pop_total"), bz.figure("places", "2023-05"), service="childcare")
    assert round(g20.need) == 12208
    assert g20.gap == pytest.approx(10250, abs=10)
    assert g23.gap == pytest.approx(7550, abs=10)


def test_gap_frame_states_base_year_and_source():
    yz = _preset("yuzhong")
    g = capacity_gap(4.5, yz.figure("pop_total", 2020), yz.figure("places"), service="childcare")
    df = gap_frame([g])
    row = df.iloc[0]
    assert row["人口基数"] == 588_700 and row["人口年份"] == "2020"
    assert "001" in row["人口来源"] and "001" in row["供给来源"]
    assert row["按标准需求（取整）"] == 2650 and row["缺口"] == 2650 - 1088
    assert list(gap_frame([g], lang="en").columns)[-1] == "Gap"


def test_documented_gaps_list_every_base():
    gaps = documented_gaps(_preset("yuzhong"))
    rows = {(g.service, g.population.year, str(g.supply.year)): g for g in gaps}
    # 托位: census 2020 and projection 2025 × table (1,088) and text (1,011) supplies; beds: 2 bases × 1
    assert len(rows) == 6
    g = rows[("childcare", 2020, "baseline-text")]
    assert (g.need_whole, g.gap_whole) == (2650, 1639)
    assert rows[("elderly", 2025, "baseline")].gap == pytest.approx(2085)
    assert rows[("elderly", 2020, "baseline")].need == pytest.approx(32 * 116.3)
    assert documented_gaps(_preset("shapingba")) == []  # 002 sets neither ratio


def test_capacity_rows_from_data():
    d = _demand()
    prov = Provenance("census totals spread over buildings", 2020, "civil-affairs list", "2024-06")
    t = capacity_indicators(d, _facilities(), _preset("jiulongpo"), units=_units(), provenance=prov)
    e = {"scope": "district", "service": "elderly", "group": "pop_60"}
    # existing elderly supply: f1 50 beds; f2 has no capacity (counted as unknown); f3/f4 planned
    assert _row(t, metric="supply", **e) == 50
    assert _row(t, metric="supply_unknown", **e) == 1
    assert _row(t, metric="per_1000", **e) == pytest.approx(1000 * 50 / 80)
    assert _row(t, metric="need", **e) == pytest.approx(35 * 80 / 1000)
    assert _row(t, metric="gap", **e) == pytest.approx(35 * 80 / 1000 - 50)
    note = t.loc[(t["metric"] == "need") & (t["scope"] == "district") & (t["service"] == "elderly"), "note"]
    assert "census totals spread over buildings, 2020" in note.iloc[0]
    gap_note = t.loc[
        (t["metric"] == "gap") & (t["scope"] == "district") & (t["service"] == "elderly"), "note"
    ]
    assert "2024-06" in gap_note.iloc[0]
    assert "1 facilities with unknown capacity not counted" in gap_note.iloc[0]
    # childcare: 40 托位 in S2 against 4.5 per 1,000 of its 300 residents
    c = {"scope": "street", "unit": "S2", "service": "childcare", "group": "pop_total"}
    assert _row(t, metric="gap", **c) == pytest.approx(4.5 * 300 / 1000 - 40)
    assert _row(t, metric="per_1000", **c) == pytest.approx(1000 * 40 / 300)
    assert _row(t, metric="per_1000", **{**c, "scope": "district", "unit": "D"}) == pytest.approx(50.0)


# -- the whole table and the plans' tables -------------------------------------------------------------


def _full(demand=None):
    d = _demand() if demand is None else demand
    return indicator_table(
        d,
        TIMES if demand is None else {"elderly": TIMES["elderly"][d.index.to_numpy()]},
        _thresholds(d),
        facilities=_facilities(),
        standards=_preset("jiulongpo"),
        units=_units(),
    )


def test_table_is_deterministic_and_ordered():
    a, b = _full(), _full()
    assert list(a.columns) == list(ind.COLUMNS)
    assert a.to_csv(index=False) == b.to_csv(index=False)
    # shuffled input rows give the same rows in the same order
    shuffled = _demand().sample(frac=1.0, random_state=3)
    c = _full(shuffled)
    pd.testing.assert_frame_equal(a.drop(columns=["value"]), c.drop(columns=["value"]))
    np.testing.assert_allclose(a["value"], c["value"], rtol=1e-12, equal_nan=True)
    scopes = a["scope"].map(ind.SCOPES.index).to_numpy()
    assert (np.diff(scopes) >= 0).all()


def test_several_districts_get_a_total():
    d = pd.concat([_demand(), _demand().assign(id=lambda x: x["id"] + "2", district="E")], ignore_index=True)
    times = {"elderly": np.concatenate([TIMES["elderly"], np.full(6, 60.0)])}
    t = indicator_table(d, times, _thresholds(d), standards=_preset("jiulongpo"))
    e = {"area": "all", "service": "elderly", "group": "pop_60", "metric": "coverage"}
    assert _row(t, scope="total", **e) == pytest.approx(100 * (45 + 80) / 160)
    assert _row(t, scope="district", unit="E", **e) == 100.0
    # the same street code in two districts stays two streets
    s1 = t[(t["scope"] == "street") & (t["unit"] == "S1")]
    assert sorted(s1.loc[(s1["metric"] == "pop") & (s1["group"] == "pop_60"), "parent"]) == ["D", "E"]
    p = plan_table(t, _preset("jiulongpo"))
    assert p.iloc[1]["现状"] == pytest.approx(100 * (40 + 70) / 140)  # 004 urban, over both


def test_targets_attached_from_standards():
    t = _full()
    e = {"service": "elderly", "group": "pop_60", "metric": "coverage"}
    rural = t[(t["scope"] == "district") & (t["area"] == "rural")]
    assert rural.loc[(rural["metric"] == "coverage") & (rural["group"] == "pop_60"), "target"].iloc[0] == 100
    # a homogeneous urban street carries the urban target on its "all" row
    s1 = t[
        (t["scope"] == "street")
        & (t["unit"] == "S1")
        & (t["metric"] == e["metric"])
        & (t["group"] == "pop_60")
    ]
    assert s1["target"].iloc[0] == 100
    assert "004" in s1["source"].iloc[0] or "000" in s1["source"].iloc[0]


def test_plan_table_now_and_gap():
    std = _preset("jiulongpo")
    t = _full()
    p = plan_table(t, std)
    assert list(p.columns)[:10] == [
        "指标",
        "单位",
        "基期值",
        "基期年份",
        "目标值",
        "目标年份",
        "属性",
        "现状",
        "现状说明",
        "差距",
    ]
    first = p.iloc[0]  # 000 Table 2 no. 5, binding, urban 60+
    assert first["属性"] == "约束性" and first["牵头单位"] == "区民政局"
    assert first["现状"] == pytest.approx(100 * 40 / 70)
    assert first["差距"] == pytest.approx(100 - 100 * 40 / 70)
    places = p[p["指标"] == "托位数"].iloc[0]  # +5,000 over 2,841: 7,841 to reach, 40 now
    assert places["目标值"] == "+5000"
    assert places["差距"] == pytest.approx(2841 + 5000 - 40)
    nursing = p[p["指标"] == "护理型床位占比"].iloc[0]
    # 000 documents no nursing-bed count: no data, not 0
    assert np.isnan(nursing["现状"]) and nursing["现状说明"] == "未计算：需要含“护理型床位数”列的养老设施清单"
    assert nursing["现状口径"] == "无数据"
    binding = plan_table(t, std, binding=True)
    assert set(binding["属性"]) == {"约束性"}
    assert len(binding) == sum(1 for x in std.coverage_targets if x.binding is True)
    en = plan_table(t, std, lang="en")
    assert "Attribute" in en.columns and en.iloc[0]["Attribute"] == "binding"


def test_plan_table_says_why_a_value_is_missing():
    d = _demand().assign(urban=True)
    t = indicator_table(d, TIMES, {"elderly": 900.0}, standards=_preset("chongqing"))
    p = plan_table(t, _preset("chongqing"))
    rural = p[p["指标"].str.startswith("乡镇（村）")].iloc[0]
    assert np.isnan(rural["现状"]) and rural["现状说明"] == "研究区内没有农村（乡镇/村）人口"
    names = plan_table(
        t,
        st.standards_from_dict(
            {
                **_preset("chongqing").to_dict(),
                "coverage_targets": [
                    {**_preset("chongqing").coverage_targets[0].__dict__, "label_zh": "", "label_en": ""}
                ],
            }
        ),
    )
    assert names.iloc[0]["指标"] == "养老服务覆盖率：街道（社区），60岁以上老年人"


def test_coverage_wide_by_community():
    std = _preset("jiulongpo")
    w = coverage_wide(_full(), level="community", standards=std)
    # worst covered first; equal shares by code; a community without people last
    assert list(w["代码"]) == ["C3", "V1", "C1", "C2", "C4", "C9"]
    v1 = w[w["代码"] == "V1"].iloc[0]
    assert (v1["街道/镇"], v1["城乡"], v1["步行阈值（分钟）"]) == ("一镇", "乡", 20)  # a village: 20 minutes
    assert v1["覆盖率"] == pytest.approx(0.5) and v1["60岁以上老年人（人）"] == 10
    assert v1["每个村设置1个互助养老点：达标"] == "缺"
    c3 = w.iloc[0]
    assert (c3["阈值外人数"], c3["阈值外者多走时间中位数（分钟）"]) == (30, pytest.approx(100 / 60))
    c1 = w[w["代码"] == "C1"].iloc[0]
    assert c1["一社区一站点：达标"] == "" and c1["一社区一站点：设施数"] == 1
    assert w.attrs["formats"]["覆盖率"] == "0.0%" and w.attrs["formats"]["60岁以上老年人（人）"] == "#,##0"
    s = coverage_wide(_full(), level="street", lang="en")
    assert s["Code"].iloc[0] == "S2" and s.loc[s["Code"] == "S2", "Covered"].iloc[0] == 0.0


# -- standards -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", jurisdiction_names())
def test_standards_cite_their_documents(key):
    s = _preset(key)
    assert s.document in {"000", "001", "002", "003", "004"}
    docs = {"000", "001", "002", "003", "004"}
    for t in s.coverage_targets:
        assert cite_doc(t.source) in docs, t
        # each language renders its own citation: "文件 001 任务8：…" / "Document 001, task 8: …"
        assert t.source.startswith(f"Document {cite_doc(t.source)}")
        assert t.source.text("zh").startswith(f"文件 {cite_doc(t.source)}")
        assert not latin_words(t.source.text("zh"))
    for r in s.one_per_unit:
        assert cite_doc(r.source) in docs, r
    for f in s.figures:
        assert cite_doc(f.source) in docs or f.source.startswith("derived"), f
    assert st.standards_from_dict(s.to_dict()) == s


def test_standards_numbers_from_the_digest():
    assert _preset("jiulongpo").beds_per_1000_elderly == 35
    assert _preset("yuzhong").beds_per_1000_elderly == 32
    assert (_preset("jiulongpo").circle_min_urban, _preset("jiulongpo").circle_min_rural) == (15, 20)
    assert _preset("yuzhong").circle_min_urban == 10
    assert _preset("bazhong").land_m2_per_capita == 0.1 and _preset("shapingba").land_m2_per_capita == 0.2
    assert _preset("bazhong").beds_per_1000_elderly is None  # 003 sets no bed ratio
    assert _preset("bazhong").rule("regional_centre").share_target == 65
    # Bazhong is in Sichuan: none of Chongqing's municipal targets apply
    assert not any(cite_doc(t.source) == "004" for t in _preset("bazhong").coverage_targets)
    assert sum(t.binding is True and t.area == "rural" for t in _preset("shapingba").coverage_targets) == 1


def test_standards_reject_bad_fields():
    with pytest.raises(InputError, match="metric"):
        Target("walkability", 1.0, 2025, None, "", "000")
    with pytest.raises(InputError, match="needs a baseline"):
        Target("supply", 5000.0, 2025, None, "", "000", comparison="+")
    with pytest.raises(InputError, match="unknown field"):
        st.standards_from_dict({**_preset("yuzhong").to_dict(), "beds": 3})
    with pytest.raises(InputError, match="level"):
        UnitRule("x", "elderly", (), "county")
    with pytest.raises(InputError, match="names rule"):
        st.Standards(
            "k",
            "",
            "",
            "000",
            "",
            coverage_targets=(Target("unit_share", 1, 2025, None, "", "000", rule="z"),),
        )


def test_presets_carry_every_policy_number():
    yz, jl, cq, sp, bz = (_preset(k) for k in ("yuzhong", "jiulongpo", "chongqing", "shapingba", "bazhong"))
    # nursing-bed shares (digest §3.1): value, year, attribute
    assert (yz.nursing_share_pct, yz.nursing_year, yz.nursing_binding) == (60, 2025, True)
    assert (jl.nursing_share_pct, jl.nursing_binding) == (60, True) and cq.nursing_binding is True
    assert (sp.nursing_share_pct, sp.nursing_year, sp.nursing_binding) == (50, 2022, None)
    assert (bz.nursing_share_pct, bz.nursing_binding) == (55, None)
    # 003 task 7: 托位 per 1,000 in new (≥10) and built-up (≥8) residential areas
    assert (bz.places_per_1000_new_residential, bz.places_per_1000_old_areas) == (10, 8)
    assert bz.places_area_source.startswith("Document 003, task 7: ")
    assert bz.places_area_source.text("zh").startswith("文件 003 任务7：")
    # attributes the digest gives as "—" stay unstated, not 预期性
    assert jl.beds_binding is None and bz.places_binding is None
    assert yz.beds_binding is False and jl.places_binding is False
    # a rural time only where the document sets one; the walking threshold still applies to villages
    assert [s.circle_min_rural for s in (yz, jl, cq, sp, bz)] == [None, 20, None, None, None]
    assert load_jurisdiction("chongqing").thresholds["elderly"].rural_min == 15
    # documented figures: derived ones say so; several supply dates per key, first is the default
    assert jl.figure("pop_total").value == 1_526_549 and jl.figure("pop_total").note == "derived"
    assert (bz.figure("beds").year, bz.figure("beds", 2020).value) == ("2023-05", 20_000)
    assert yz.figure("nursing_beds").value == 716
    # labels, lead unit and data-quality flags (digest §7 item 18)
    assert yz.rule("community_station").label_zh == "一社区一站点"
    assert jl.coverage_targets[0].lead_unit == "区民政局"
    # Yuzhong: the preset's three flags and the computed one (1.5 托位 per 1,000 vs 1,088 / 588.7)
    assert len(yz.notes) == 4 and len(jl.notes) == 6 and len(bz.notes) == 2
    # the village rule counts mutual-aid points only (每个村设置1个互助养老点)
    assert jl.rule("village_point").tiers == cq.rule("village_point").tiers == ("village_point",)
    # 002's full coverage counts any elderly facility in each street and community
    assert sp.rule("community_facility").tiers == () and sp.rule("street_facility").tiers == ()


def _profile_file(tmp_path, edit):
    """Yuzhong's preset after ``edit``, written as a user's profile file."""
    import copy

    import yaml

    raw = copy.deepcopy(load_jurisdiction("yuzhong").raw)
    edit(raw)
    path = tmp_path / "my_profile.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_profile_errors_name_the_file_entry_and_field(tmp_path):
    def typo(raw):
        raw["targets"][3]["lable_zh"] = raw["targets"][3].pop("label_zh")

    with pytest.raises(InputError, match=r"my_profile\.yaml: targets\[3\]: unknown field\(s\) lable_zh"):
        load_jurisdiction(_profile_file(tmp_path, typo))

    def words(raw):
        raw["standards"]["places_per_1000"]["binding"] = "预期"

    with pytest.raises(InputError, match=r"standards\.places_per_1000: binding '预期' is not true"):
        load_jurisdiction(_profile_file(tmp_path, words))

    def dangling(raw):
        raw["targets"][-2]["rule"] = "childcare_station"

    with pytest.raises(
        InputError, match=r"targets\[43\]: rule 'childcare_station' is not the key of a one_per"
    ):
        load_jurisdiction(_profile_file(tmp_path, dangling))

    def text(raw):
        raw["supply"]["beds"]["value"] = "1,915"

    with pytest.raises(InputError, match=r"supply\.beds: '1,915' is not a number"):
        load_jurisdiction(_profile_file(tmp_path, text))

    def no_year(raw):
        del raw["targets"][0]["year"]

    with pytest.raises(InputError, match=r"targets\[0\]: no year"):
        load_jurisdiction(_profile_file(tmp_path, no_year))


def test_older_profile_forms_still_read():
    raw = {
        "id": "old",
        "name": {"zh": "旧", "en": "Old"},
        "document": {"code": "000"},
        "thresholds": {"elderly": {"urban": 15, "rural": 20, "source": "000"}},
        "population": {"base": {"pop_60": 100, "year": 2020, "source": "000"}},
        "supply": {"beds": {"value": 7, "date": "2022-10", "source": "000"}},
        "one_per_unit": [
            {"service": "elderly", "level": "street", "tiers": ["street_centre"], "source": "000"},
            {"service": "elderly", "level": "community", "tiers": ["village_point"], "rural_only": True},
        ],
        "targets": [
            {"metric": "coverage", "group": "pop_60", "scope": "district", "value": 90, "year": 2025},
            {"metric": "facility_count", "tier": "street_centre", "value": 3, "year": 2025},
            {"metric": "share_units_with_service", "service": "childcare", "level": "street", "value": 80,
             "year": 2025, "binding": False},
        ],
    }  # fmt: skip
    s = st.standards_from_profile(raw)
    assert [r.key for r in s.one_per_unit] == [
        "elderly_street_all_street_centre",
        "elderly_community_rural_village_point",
        "childcare_street_any",  # added for the share target
    ]
    cov, count, share = s.coverage_targets
    assert (cov.area, cov.value) == ("all", 90)
    assert (count.metric, count.rule) == ("facilities", "elderly_street_all_street_centre")
    assert (share.metric, share.rule) == ("unit_share", "childcare_street_any")
    assert s.rule(share.rule).share_target == 80
    assert s.figure("pop_60").note == "base" and s.figure("beds").year == "2022-10"
    assert s.circle_min_rural == 20


def test_tier_names_in_chinese_match():
    m = st.tier_mask(
        ["社区养老服务站", "Community_Station ", "村级互助养老点", "nursing_home", None],
        ("community_station",),
    )
    assert m.tolist() == [True, True, False, False, False]
    assert st.tier_mask(["a", "b"], ()).all()


def test_shipped_presets_convert():
    for name in jurisdiction_names():
        s = st.standards_from_profile(load_jurisdiction(name))
        assert s.key == name
        assert all(t.source for t in s.coverage_targets)
    jl = st.standards_from_profile(load_jurisdiction("jiulongpo"))
    assert jl.beds_per_1000_elderly == 35 and jl.circle_min_rural == 20
    assert any(r.area == "rural" for r in jl.one_per_unit)


def test_figure_lookup_error_lists_what_is_documented():
    with pytest.raises(InputError, match="pop_60@2020"):
        _preset("yuzhong").figure("pop_60", 1999)


# -- real data: Yuzhong's official unit codes --------------------------------------------------------


@pytest.mark.realdata
def test_yuzhong_codes_one_station_per_community():
    from lifecircle.geodata.admin import read_admin_codes

    units = read_admin_codes(
        shared_file("chongqing", "admin_codes", "streets.csv"),
        shared_file("chongqing", "admin_codes", "communities.csv"),
        districts="500103",
    )
    units = pd.concat(
        [
            pd.DataFrame(
                {
                    "code": ["500103"],
                    "name": ["渝中区"],
                    "level": ["district"],
                    "parent": [""],
                    "urban": [True],
                }
            ),
            units,
        ],
        ignore_index=True,
    )
    comm = units[units["level"] == "community"]
    streets = units[units["level"] == "street"]
    assert len(streets) == 11  # 001: 11 街道
    # stations in every other community, listed by name as a bureau list would have them
    has = comm.iloc[::2]
    fac = pd.DataFrame(
        {
            "id": [f"s{i}" for i in range(len(has))],
            "name": has["name"].to_numpy(),
            "service": "elderly",
            "tier": "社区养老服务站",
            "capacity": 20.0,
            "status": "existing",
            "district": "渝中区",
            "street": streets.set_index("code").loc[has["parent"], "name"].to_numpy(),
            "community": has["name"].to_numpy(),
        }
    )
    t = unit_rule_indicators(fac, _preset("yuzhong").one_per_unit[1:2], units=units)
    miss = missing_units(t)
    assert set(miss["unit"]) == set(comm["code"].iloc[1::2])
    assert _row(t, scope="district", metric="units_total") == len(comm)
    assert _row(t, scope="district", metric="unit_share") == pytest.approx(100 * len(has) / len(comm))
    assert miss["unit_name"].str.endswith("委员会").all()
