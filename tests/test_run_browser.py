"""The default run's map.html (``make demo``) in headless Chromium with networking off."""

from __future__ import annotations

import io

import matplotlib.image as mpimg
import pytest
from test_browser import driver  # noqa: F401  (the shared headless-Chromium fixture)

from lifecircle.scenarios.pipeline import run_scenario
from lifecircle.scenarios.presets import example_scenario
from lifecircle.scenarios.schema import load_scenario

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_map(driver, tmp_path_factory):  # noqa: F811
    from selenium.webdriver.support.ui import WebDriverWait

    out = tmp_path_factory.mktemp("demo") / "run"
    result = run_scenario(load_scenario(example_scenario("helsinki")), out)
    driver.get((out / "map.html").as_uri())
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return !!(window.lifecircle && lifecircle.ready)")
    )
    return driver, result


def test_demo_map_renders_offline_with_its_layers(demo_map):
    drv, result = demo_map
    names = drv.execute_script("return Object.keys(lifecircle.layers)")
    assert "步行路网" in names
    assert "养老 · 建议新增站点" in names
    assert "托育 · 10分钟步行圈" in names and "托育 · 居民点步行时间" in names
    sizes = drv.execute_script("return Object.fromEntries(Object.entries(lifecircle.counts || {}))")
    assert sizes["养老 · 建议新增站点"] == len(result.siting.sites)
    assert sizes["托育 · 居民点步行时间"] == len(result.demand)
    png = drv.get_screenshot_as_png()
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    assert img.std() > 0.05  # not blank
    assert drv.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert drv.execute_script("return lifecircle.errors") == []
    assert [e for e in drv.get_log("browser") if e["level"] == "SEVERE"] == []
