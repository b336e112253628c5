"""No injection anywhere: one payload in every input text field, checked in the HTML, the XLSX and the CSV.

Two runs and their comparison are built from hand-made inputs in a folder whose name is itself a
payload: the scenario names, the facility file name, facility names and tiers, an extra column
header, admin unit names, OSM road tags, the demand file name (it reaches a note), the population
source (it reaches an assumption), candidate site names and ids each carry their own payload.
Every HTML payload sets ``window.__xss_<n>`` (one also calls ``alert``) if it ever runs: the pages
are read as text, then opened in headless Chromium from ``file://`` with every popup and tooltip
opened. Spreadsheet payloads (``=``, ``+``, ``-``, ``@``) must stay text in the XLSX and the CSV.
"""

from __future__ import annotations

import html
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from markupsafe import escape
from test_browser import driver  # noqa: F401  (the shared headless-Chromium fixture)

from lifecircle.scenarios.compare import compare_runs
from lifecircle.scenarios.pipeline import run_scenario
from lifecircle.scenarios.schema import scenario_from_dict

#: HTML payloads by number; payload n sets ``window.__xss_<n>`` if it runs.
XSS: dict[int, str] = {
    1: "</title><script>window.__xss_1=1</script>",  # scenario name (run A)
    2: "<svg onload=window.__xss_2=1>",  # folder holding every input file
    3: '"><img src=x onerror="window.__xss_3=1">',  # facility file name
    4: "<img src=x onerror=window.__xss_4=1>",  # facility name
    5: "<script>window.__xss_5=1</script>",  # extra column header of the facility file
    6: "<svg/onload=window.__xss_6=1>",  # admin unit name
    7: "<img src=x onerror=window.__xss_7=1>",  # OSM tag: road name
    8: "<iframe onload=window.__xss_8=1>",  # demand file name (it reaches a note)
    9: "<b onmouseover=window.__xss_9=1>tier</b>",  # facility tier (layer control, legend)
    10: "<details open ontoggle=window.__xss_10=1>",  # population source (assumption, note)
    11: "'-alert(11)-'<img src=x onerror=window.__xss_11=1>",  # scenario name (run B)
    12: "<img src=x onerror=window.__xss_12=1;alert(12)>",  # candidate site name
    13: "<img src=x onerror=window.__xss_13=1>",  # OSM tag: highway class of a way
}
#: Spreadsheet payloads: admin unit names (the first three) and candidate site ids.
FORMULAS = ('=HYPERLINK("http://x","c")', "+1+1", "-2+3", "@SUM(A1)")
#: Payloads no output carries: the facility reader keeps only the columns it knows, and the
#: road layer's classes outside the walkable ones are not drawn. (Road names do travel: a
#: proposed site is named after its nearest named street, escaped like every other name.)
DROPPED = {5, 13}
#: Openings of the HTML payloads; none may appear unescaped in any page.
OPENINGS = (
    "<script>window.__xss",
    "<img src=x onerror",
    "<svg onload",
    "<svg/onload",
    "<iframe onload",
    "<details open ontoggle",
    "<b onmouseover",
)

X0, Y0 = 24.94, 60.17
#: Four clusters of homes 2.5 km apart along one street, each with one candidate site: the
#: walking reach (15 minutes) of a candidate is one cluster, so every candidate is a site.
CLUSTERS = X0 + 0.045 * np.arange(4)


def _inputs(base: Path) -> None:
    """Write roads, buildings, facilities, admin units and candidate sites into ``base``."""
    base.mkdir(parents=True)
    street = shapely.LineString([(x, Y0) for x in np.arange(X0 - 0.006, X0 + 0.142, 0.002)])
    odd = shapely.LineString([(X0, Y0), (X0, Y0 - 0.002)])  # a class nobody walks
    gpd.GeoDataFrame(
        {"highway": ["residential", XSS[13]], "name": [XSS[7], XSS[7]]}, geometry=[street, odd], crs=4326
    ).to_file(base / "roads.geojson")
    rng = np.random.default_rng(7)
    bx = np.repeat(CLUSTERS, 10) + rng.uniform(-0.002, 0.002, 40)
    by = Y0 + rng.uniform(-0.0006, 0.0006, 40)
    gpd.GeoDataFrame(
        {"building": ["residential"] * 40},
        geometry=shapely.box(bx, by, bx + 0.0002, by + 0.0001),
        crs=4326,
    ).to_file(base / f"{XSS[8]}.geojson")
    pd.DataFrame(
        {
            "id": ["f1", "f2", "f3"],
            "name": [XSS[4], "社区养老服务站", "托育中心"],
            "lon": [X0 + 0.0225, X0 + 0.1125, X0],  # the elderly ones halfway between clusters
            "lat": [Y0, Y0, Y0],
            "service": ["elderly", "elderly", "childcare"],
            "tier": [XSS[9], "community_station", "childcare_centre"],
            "capacity": [10, 20, 30],
            XSS[5]: ["a", "b", "c"],
        }
    ).to_csv(base / f"{XSS[3]}.csv", index=False)
    strips = [shapely.box(x - 0.0225, Y0 - 0.01, x + 0.0225, Y0 + 0.01) for x in CLUSTERS]
    gpd.GeoDataFrame(
        {"code": [f"50010300{k + 1}" for k in range(4)], "name": [XSS[6], *FORMULAS[:3]]},
        geometry=strips,
        crs=4326,
    ).to_file(base / "units.geojson")
    gpd.GeoDataFrame(
        {"id": ["-2+3", "@SUM(A1)", "c3", "c4"], "name": [XSS[12], "+1+1", "候选三", "候选四"]},
        geometry=gpd.points_from_xy(CLUSTERS, np.full(4, Y0)),
        crs=4326,
    ).to_file(base / "candidates.geojson")


def _scenario(name: str, base: Path, *, siting: bool):
    raw = {
        "name": name,
        "jurisdiction": "chongqing",
        "network": {"source": "roads.geojson"},
        "services": ["elderly", "childcare"],
        "facilities": [{"path": f"{XSS[3]}.csv", "crs": "wgs84"}],
        "demand": {
            "kind": "buildings",
            "path": f"{XSS[8]}.geojson",
            "totals": {"pop_total": 1000, "pop_60": 200, "pop_0_3": 30},
            "group_shares": {"pop_80": 0.03},
            "totals_source": XSS[10],
        },
        "admin": [{"path": "units.geojson", "level": "street"}],
    }
    if siting:
        raw["siting"] = {
            "service": "elderly",
            "model": "lscp",
            "group": "pop_60",
            "candidates": {"kind": "file", "path": "candidates.geojson"},
        }
    return scenario_from_dict(raw, where="inline", base_dir=base)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Run A (Chinese, with siting), run B (English) and their comparison, all under the payload folder."""
    base = tmp_path_factory.mktemp("injection") / XSS[2]  # '<', '>' and '"' are legal Linux file names
    _inputs(base)
    a = run_scenario(_scenario(XSS[1], base, siting=True), base / "run_a")
    run_scenario(_scenario(XSS[11], base, siting=False), base / "run_b", lang="en")
    compare_runs(base / "run_a", base / "run_b", base / "cmp")
    return base, a


PAGES = (
    "run_a/map.html",
    "run_a/report.html",
    "run_b/map.html",
    "run_b/report.html",
    "cmp/map.html",
    "cmp/comparison.html",
)


def _escaped(text: str) -> tuple[str, str]:
    """The two escaped spellings a page may hold (jinja's ``&#34;`` or ``html.escape``'s ``&quot;``)."""
    return str(escape(text)), html.escape(text)


# -- (a) the pages as text ----------------------------------------------------------------------


def test_pages_hold_every_payload_only_escaped(runs):
    base, result = runs
    assert len(result.siting.sites) == 4
    texts = {page: (base / page).read_text(encoding="utf-8") for page in PAGES}
    for page, text in texts.items():
        low = text.lower()
        assert [p for p in XSS.values() if p in text] == [], page
        assert [o for o in OPENINGS if o in low] == [], page
        assert text.count("<title>") == 1, page  # the one escaped title, nothing from branca
    # the text is kept, escaped, where a planner reads it
    shown = {
        "run_a/map.html": {1, 2, 3, 8, 9, 10},  # title, data sources, legend
        "run_a/report.html": {1, 2, 3, 6, 8, 10},  # title, sources, unit tables, notes, assumptions
        "run_b/map.html": {11, 2, 3, 8, 9, 10},
        "run_b/report.html": {11, 2, 3, 6, 8, 10},
        "cmp/map.html": {1, 11},
        "cmp/comparison.html": {1, 11, 2},
    }
    missing = [
        (page, n)
        for page, ns in shown.items()
        for n in ns
        if not any(e in texts[page] for e in _escaped(XSS[n]))
    ]
    assert missing == []
    jurisdiction = result.jurisdiction.name("zh")
    assert f"<title>{html.escape(XSS[1])} — {jurisdiction}</title>" in texts["run_a/map.html"]
    # facility, unit, site and street names travel to the map as JSON with '<' spelled \u003c
    for n in (4, 6, 7, 12):
        assert XSS[n].replace("<", "\\u003c").replace(">", "\\u003e") in texts["run_a/map.html"], n
    for n in DROPPED:
        assert [page for page, text in texts.items() if f"__xss_{n}" in text] == [], n


# -- (c) spreadsheets ---------------------------------------------------------------------------


def test_xlsx_stores_formula_payloads_as_text(runs):
    base, _ = runs
    for run in ("run_a", "run_b"):
        wb = openpyxl.load_workbook(base / run / "indicators.xlsx")
        cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
        assert [c.coordinate for c in cells if c.data_type == "f"] == [], run
        risky = [c for c in cells if isinstance(c.value, str) and c.value[:1] in "=+-@\t\r"]
        assert all(c.data_type == "s" and c.quotePrefix for c in risky), run
        found = {c.value for c in risky}
        # unit names reach the indicator sheet, run A's candidate names ("+1+1") its sites sheet;
        # a candidate's id is never a site's name, so the ids reach no sheet of run A
        assert set(FORMULAS[:3]) <= found, (run, set(FORMULAS[:3]) - found)
        if run == "run_a":
            sheet = wb["建议新增站点"]  # the sites sheet (zh)
            sites = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
            assert "+1+1" in sites and "@SUM(A1)" not in found
        assert {c.data_type for c in cells if isinstance(c.value, float)} == {"n"}  # numbers stay numbers


def test_csv_neutralizes_formula_payloads(runs):
    base, _ = runs
    for name in ("run_a/indicators.csv", "run_a/indicators_after.csv", "cmp/deltas.csv"):
        df = pd.read_csv(base / name, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        cells = df.to_numpy().ravel()
        assert [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")] == [], name
        assert [c for c in cells if c.startswith("-") and not _is_number(c)] == [], name
        for unit in FORMULAS[:3]:
            assert "'" + unit in set(df["unit_name"]), (name, unit)
    ind = pd.read_csv(base / "run_a" / "indicators.csv", encoding="utf-8-sig")
    assert pd.api.types.is_float_dtype(ind["value"])  # the numbers still read back as numbers
    pop = ind[(ind["metric"] == "pop") & (ind["scope"] == "district") & (ind["group"] == "pop_total")]
    assert pop["value"].iloc[0] == pytest.approx(1000.0)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# -- (b) the pages in headless Chromium ---------------------------------------------------------

#: Records alert/confirm/prompt instead of showing them, before any script of the page runs.
_TRAP = """
window.__dialogs = [];
for (const k of ["alert", "confirm", "prompt"]) {
  window[k] = function (m) { window.__dialogs.push(k + ":" + String(m)); };
}
"""

#: Opens every layer, popup and tooltip of a map; returns their texts and any element whose
#: attributes mention a payload.
_OPEN_ALL = """
const out = {texts: [], tainted: [], opened: 0};
const bad = el => [...el.querySelectorAll('*')].filter(
  e => [...e.attributes].some(a => a.value.includes('__xss') || a.name.startsWith('on')));
for (const [name, group] of Object.entries(lifecircle.layers)) {
  group.lcFill();
  if (!lifecircle.map.hasLayer(group)) group.addTo(lifecircle.map);
  group.eachLayer(l => {
    if (l.getPopup && l.getPopup()) {
      l.openPopup();
      const el = l.getPopup().getElement();
      out.texts.push(el.textContent); out.tainted.push(...bad(el).map(e => e.outerHTML)); out.opened++;
      l.closePopup();
    }
    if (l.getTooltip && l.getTooltip()) {
      l.openTooltip();
      const el = l.getTooltip().getElement();
      out.texts.push(el.textContent); out.tainted.push(...bad(el).map(e => e.outerHTML)); out.opened++;
      l.closeTooltip();
    }
  });
}
out.texts.push(document.body.innerText);
out.tainted.push(...bad(document.body).map(e => e.outerHTML.slice(0, 200)));
return out;
"""

_SETTLE = "const done = arguments[arguments.length - 1]; setTimeout(done, 300);"


@pytest.mark.browser
def test_no_payload_runs_in_chromium(runs, driver):  # noqa: F811
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.support.ui import WebDriverWait

    base, result = runs
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _TRAP})
    flags = " || ".join(f"window.__xss_{n} !== undefined" for n in XSS)
    seen: dict[str, dict] = {}
    for page in PAGES:
        driver.get((base / page).as_uri())
        WebDriverWait(driver, 30).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        if page.endswith("map.html"):
            WebDriverWait(driver, 30).until(
                lambda d: d.execute_script("return !!(window.lifecircle && lifecircle.ready)")
            )
            seen[page] = driver.execute_script(_OPEN_ALL)
        else:
            seen[page] = {"texts": [driver.execute_script("return document.body.innerText")], "tainted": []}
        seen[page]["title"] = driver.title
        driver.execute_async_script(_SETTLE)  # let failed image loads fire their onerror
        with pytest.raises(NoAlertPresentException):
            driver.switch_to.alert  # noqa: B018
        assert driver.execute_script(f"return {flags}") is False, page
        assert driver.execute_script("return window.__dialogs") == [], page
        assert seen[page]["tainted"] == [], page
    # the payloads were shown as text: title, popups, tooltips, legend, layer control, report
    jurisdiction = result.jurisdiction.name("zh")
    assert seen["run_a/map.html"]["title"] == f"{XSS[1]} — {jurisdiction}"
    assert seen["run_a/report.html"]["title"] == f"{XSS[1]} — {jurisdiction}"
    assert seen["cmp/comparison.html"]["title"].startswith(f"方案比较：{XSS[1]}")
    assert XSS[11] in seen["cmp/comparison.html"]["title"]
    a_map = "\n".join(seen["run_a/map.html"]["texts"])
    for n in (2, 3, 4, 6, 8, 9, 10, 12):
        assert XSS[n] in a_map, n
    assert seen["run_a/map.html"]["opened"] > 100  # every demand point, facility, site and unit
    a_report = "\n".join(seen["run_a/report.html"]["texts"])
    for n in (1, 2, 3, 6, 8, 10):
        assert XSS[n] in a_report, n


def test_formula_rule_keeps_numbers_and_applies_once(tmp_path):
    from lifecircle.maps.export import formula_like, neutralize_formulas, write_xlsx

    col = pd.Series(["=1+1", "-3.5", "+7", "-2+3", "@A1", "\tx", "ok", 4.0, None], dtype=object)
    assert formula_like(col).tolist() == [True, False, False, True, True, True, False, False, False]
    df = pd.DataFrame({"=cmd": col, "n": np.arange(9.0)})
    once = neutralize_formulas(df)
    assert list(once.columns) == ["'=cmd", "n"]
    assert once["'=cmd"].tolist()[:6] == ["'=1+1", "-3.5", "+7", "'-2+3", "'@A1", "'\tx"]
    assert neutralize_formulas(once).equals(once) and once["n"].equals(df["n"])
    ws = openpyxl.load_workbook(write_xlsx({"t": df}, tmp_path / "t.xlsx")).active
    assert (ws["A1"].value, ws["A1"].data_type, ws["A1"].quotePrefix) == ("=cmd", "s", True)
    assert [(c.value, c.data_type, bool(c.quotePrefix)) for c in ws["A"][1:5]] == [
        ("=1+1", "s", True),
        ("-3.5", "s", False),
        ("+7", "s", False),
        ("-2+3", "s", True),
    ]
    assert {c.data_type for c in ws["B"][1:]} == {"n"}
