"""The HTML map in a real browser: headless Chromium, networking off, opened from disk.

Needs Debian's ``chromium`` and ``chromium-driver`` (``apt-get install -y chromium chromium-driver``)
and the ``selenium`` package (the ``test`` extra). Without them every test here is skipped with the
reason.
"""

from __future__ import annotations

import io
import shutil

import matplotlib.image as mpimg
import numpy as np
import pytest
from test_maps import EVIL, EVIL_TIER, synthetic_inputs

from lifecircle.maps.webmap import layer_names, write_map

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--window-size=1280,900",
)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(
            "headless Chromium is not installed (Debian: apt-get install -y chromium chromium-driver); "
            "the browser test of map.html is skipped"
        )
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is not installed (pip install selenium)"
    )
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    # networking off for the page as well: DevTools offline emulation
    drv.execute_cdp_cmd("Network.enable", {})
    drv.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def inputs():
    return synthetic_inputs(n=1500, seed=3)


@pytest.fixture(scope="module")
def opened(driver, inputs, tmp_path_factory):
    """Open map.html from disk and wait until the page says it is built."""
    from selenium.webdriver.support.ui import WebDriverWait

    path = write_map(inputs, tmp_path_factory.mktemp("browser") / "map.html")
    driver.get(path.as_uri())
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return !!(window.lifecircle && lifecircle.ready)")
    )
    return driver


def test_map_holds_the_expected_layers(opened, inputs):
    names = layer_names(inputs)
    assert opened.execute_script("return Object.keys(lifecircle.layers)") == names
    on_map = opened.execute_script(
        "return Object.keys(lifecircle.layers).filter(k => lifecircle.map.hasLayer(lifecircle.layers[k]))"
    )
    # first service's circles and residents, every facility tier and the proposed sites start visible
    assert set(on_map) == {
        "步行路网",
        "养老 · 15分钟步行圈",
        "养老 · 10分钟步行圈",
        "养老 · 居民点步行时间",
        *[n for n in names if "设施" in n],
        "养老 · 建议新增站点",
        "街道/镇边界",
    }
    sizes = opened.execute_script(
        "return Object.fromEntries(Object.entries(lifecircle.layers)"
        ".map(([k, l]) => [k, l.getLayers().length]))"
    )
    assert sizes["养老 · 居民点步行时间"] == len(inputs.demand)
    assert sizes["托育 · 居民点步行时间"] == 0  # hidden layers are filled when first shown
    counts = opened.execute_script("return lifecircle.counts")
    assert counts["托育 · 居民点步行时间"] == len(inputs.demand) and counts["托育 · 15分钟步行圈"] == 1
    assert sizes["养老 · 建议新增站点"] == 2
    assert sizes["养老 · 10分钟步行圈"] == 1
    labels = opened.execute_script(
        "return [...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
        ".map(l => l.textContent.trim())"
    )
    assert len(labels) == len(names)
    assert f"养老设施 · {EVIL_TIER}" in labels  # shown as text in the layer control
    assert "养老 · 15分钟步行圈" in labels
    # ticking a layer in the layer control draws it
    shown = opened.execute_script(
        """
        const label = [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
          .find(l => l.textContent.trim() === '托育 · 居民点步行时间');
        label.querySelector('input').click();
        const layer = lifecircle.layers['托育 · 居民点步行时间'];
        return [lifecircle.map.hasLayer(layer), layer.getLayers().length];
        """
    )
    assert shown == [True, len(inputs.demand)]


def test_popups_and_tooltips_show_markup_as_text(opened):
    content = opened.execute_script(
        """
        const m = lifecircle.layers['养老设施 · 社区养老服务站'].getLayers()[0];
        m.openPopup();
        const c = m.getPopup().getElement().querySelector('.leaflet-popup-content');
        const popup = [c.querySelector('.lc-popup-title').textContent, c.querySelectorAll('img').length];
        m.closePopup();
        m.openTooltip();
        const t = m.getTooltip().getElement();
        return popup.concat([t.textContent, t.querySelectorAll('img').length]);
        """
    )
    assert content == [EVIL, 0, EVIL, 0]
    site = opened.execute_script(
        """
        const layer = lifecircle.layers['养老 · 建议新增站点'];
        const first = layer.getLayers().find(m => m.getElement().textContent.trim() === '1');
        first.openPopup();
        const c = first.getPopup().getElement().querySelector('.leaflet-popup-content');
        return [c.querySelector('.lc-popup-title').textContent, c.querySelector('.lc-popup-note').textContent,
                c.querySelectorAll('img').length, c.textContent];
        """
    )
    assert site[0] == EVIL  # a site's own name is its title (rank and street in the run's names)
    assert site[1] == "第1名：新增覆盖 1,500 人（60岁及以上老年人 300 人）"
    assert site[2] == 0
    assert "望龙门社区" in site[3] and "6.7 分钟" in site[3]  # 400 s median walk


def test_renders_offline_without_errors(opened):
    png = opened.get_screenshot_as_png()
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    assert img.shape[0] > 500 and img.shape[1] > 800
    assert img.std() > 0.05  # not a blank page
    red = (img[..., 0] > 0.8) & (img[..., 1] < 0.25) & (img[..., 2] < 0.25)
    assert red.sum() > 200  # residents beyond the circle are drawn
    assert opened.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert opened.execute_script("return lifecircle.errors") == []
    severe = [e for e in opened.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    # the map shows the study area: the view's centre is inside the data's extent
    centre = opened.execute_script("const c = lifecircle.map.getCenter(); return [c.lng, c.lat]")
    assert 106.55 < centre[0] < 106.59 and 29.54 < centre[1] < 29.57
    assert np.isfinite(centre).all()
