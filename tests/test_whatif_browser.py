"""The what-if in a real page: headless Chromium, networking off, the map opened from disk.

The Yuzhong run carries the illustrative facility list and the SYNTHETIC streets of
`tests/test_whatif.py` (made up for the test, never real boundaries). Three scripted what-ifs go
through ``window.lifecircleWhatIf`` and each headline and per-street table is compared, to the
person, with what the engine computes for the same open stations (`service_reach` and the
indicator table, as `lifecircle run` does); the exported facility list is run again and gives the
same numbers. Recompute times are measured in the page with ``performance.now()`` and printed,
never asserted.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pytest
import yaml
from latin_scan import latin_words
from test_browser import driver  # noqa: F401  (the shared headless-Chromium fixture)
from test_maps import synthetic_inputs
from test_whatif import engine_numbers, rows_of, synthetic_payload, yuzhong_scenario

from lifecircle.maps.webmap import write_map
from lifecircle.maps.whatif import insert_whatif, whatif_html
from lifecircle.scenarios import whatif as wi
from lifecircle.scenarios.outputs import map_inputs
from lifecircle.scenarios.pipeline import run_scenario

pytestmark = pytest.mark.browser

SVC = "elderly"
GROUPS = ("pop_60", "pop_total")


def open_page(drv, path: Path, timeout: float = 60):
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get(path.as_uri())
    WebDriverWait(drv, timeout).until(
        lambda d: d.execute_script(
            "const w = window.lifecircleWhatIf; return !!(w && (w.ready || w.errors.length))"
        )
    )
    assert drv.execute_script("return lifecircleWhatIf.errors") == []
    drv.execute_script("lifecircleWhatIf.expand(true)")
    return drv


def map_with_whatif(mi, payload: dict, path: Path, lang: str = "zh") -> tuple[int, int]:
    """Write the map, then insert the what-if block; return the map's size and the bytes added."""
    write_map(mi, path, lang=lang)
    page = path.read_text(encoding="utf-8")
    out = insert_whatif(page, whatif_html(payload, lang))
    path.write_text(out, encoding="utf-8")
    return len(page.encode("utf-8")), len(out.encode("utf-8")) - len(page.encode("utf-8"))


@pytest.fixture(scope="module")
def yz(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("whatif_page")
    result = run_scenario(yuzhong_scenario(tmp), None, lang="zh")
    payload = wi.whatif_payload(result, lang="zh")
    sites = wi.site_table(result, SVC)
    return result, payload, sites, tmp


@pytest.fixture(scope="module")
def page(driver, yz):  # noqa: F811
    result, payload, _, tmp = yz
    path = write_map(map_inputs(result, "zh"), tmp / "map.html", lang="zh")
    size = path.stat().st_size
    added = wi.add_whatif(result, path, lang="zh")  # what write_outputs will call after write_map
    assert path.stat().st_size == size + added and added < 5_000_000
    print(
        f"\nYuzhong map.html {size:,} bytes; the what-if adds {added:,} bytes (payload {payload['bytes']:,})"
    )
    return open_page(driver, tmp / "map.html")


def state(drv) -> dict:
    return drv.execute_script("return lifecircleWhatIf.state()")


def assert_equal_to(got: dict, table, service: str = SVC) -> None:
    """The page's headline and per-street table equal the engine's rows, to the person."""
    scopes = set(table["scope"])
    top = "total" if "total" in scopes else "district"
    for grp in GROUPS:
        eng = rows_of(table, service, grp, top).iloc[0]
        page_ = got["groups"][grp]
        assert page_["people"] == pytest.approx(eng["pop"], abs=1e-6)
        assert page_["covered"] == pytest.approx(eng["pop_covered"], abs=1e-6)
        assert round(page_["covered"]) == round(eng["pop_covered"])
    for grp in GROUPS:
        eng = rows_of(table, service, grp, "street")
        for row in got["units"]["street"]:
            e = eng.loc[row["code"]]
            assert row[grp]["people"] == pytest.approx(e["pop"], abs=1e-6)
            assert row[grp]["covered"] == pytest.approx(e["pop_covered"], abs=1e-6)
            assert round(row[grp]["covered"]) == round(e["pop_covered"])
        assert {r["code"] for r in got["units"]["street"]} == set(eng.index)


def engine_for(result, sites, open_ids):
    return engine_numbers(result, SVC, sites[sites["id"].isin(open_ids)])


def shares(got: dict) -> str:
    h = got["groups"]["pop_60"]
    return f"{h['covered']:,.1f} of {h['people']:,.1f} aged 60+ ({h['covered'] / h['people']:.4%})"


def test_page_opens_offline_in_chinese(page):
    assert page.execute_script("return lifecircleWhatIf.errors") == []
    assert page.execute_script("return lifecircle.errors") == []
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0
    text = page.execute_script("return document.querySelector('.lc-wi').textContent")
    assert "方案试算" in text and "添加最佳下一站" in text and "导出方案" in text
    assert not latin_words(text), latin_words(text)
    assert [e for e in page.get_log("browser") if e["level"] == "SEVERE"] == []


def test_baseline_equals_the_run(page, yz):
    result = yz[0]
    got = page.execute_script("return lifecircleWhatIf.reset()")
    assert len(got["open"]) == 20
    assert_equal_to(got, result.indicators)


def test_close_two_existing_open_five_candidates(page, yz):
    result, _, sites, _ = yz
    existing = sites.loc[sites["kind"] == 0, "id"].tolist()[:2]
    cand = sites.loc[sites["kind"] == 2, "id"].to_numpy()
    five = np.random.default_rng(5).choice(cand, 5, replace=False).tolist()
    page.execute_script("lifecircleWhatIf.reset()")
    page.execute_script("lifecircleWhatIf.close(arguments[0])", existing)
    got = page.execute_script("return lifecircleWhatIf.open(arguments[0])", five)
    assert len(got["open"]) == 23 and not set(existing) & set(got["open"])
    eng = engine_for(result, sites, got["open"])
    assert_equal_to(got, eng)
    print(f"\nclose 2 + open 5: page {shares(got)}; engine pop_covered equal")


def test_the_proposal_equals_the_run_after(page, yz):
    result = yz[0]
    page.execute_script("lifecircleWhatIf.reset()")
    n = page.execute_script("return lifecircleWhatIf.proposal()")
    assert n == len(result.sites)
    got = state(page)
    assert_equal_to(got, result.indicators_after)  # the CLI's own "with proposed sites" numbers
    print(f"\nthe proposal ({n} sites): page {shares(got)}")


def test_greedy_three_equals_the_engine_and_its_gains(page, yz):
    result, _, sites, _ = yz
    page.execute_script("lifecircleWhatIf.reset()")
    base = state(page)
    shown = page.execute_script("return lifecircleWhatIf.next()")
    added = page.execute_script("return lifecircleWhatIf.greedy(3)")
    assert len(added) == 3 and added[0]["id"] == shown["id"]
    assert added[0]["gain"] == pytest.approx(shown["gain"], abs=1e-9)
    got = state(page)
    assert_equal_to(got, engine_for(result, sites, got["open"]))
    before = base["open"]
    prev = rows_of(engine_for(result, sites, before), SVC, "pop_60", "district")["pop_covered"].iloc[0]
    for step in added:  # each gain shown is what the engine adds with that station
        before = [*before, step["id"]]
        now = rows_of(engine_for(result, sites, before), SVC, "pop_60", "district")["pop_covered"].iloc[0]
        assert step["gain"] == pytest.approx(now - prev, abs=1e-6)
        prev = now
    print(f"\ngreedy 3 ({', '.join(s['name'] for s in added)}): page {shares(got)}")


def test_undo_and_reset(page, yz):
    result = yz[0]
    page.execute_script("lifecircleWhatIf.reset()")
    first = state(page)
    page.execute_script("lifecircleWhatIf.greedy(2)")
    assert page.execute_script("return lifecircleWhatIf.undo()") is True
    assert len(state(page)["open"]) == 21
    page.execute_script("lifecircleWhatIf.undo()")
    assert state(page)["groups"] == first["groups"]
    assert page.execute_script("return lifecircleWhatIf.undo()") is False
    assert_equal_to(state(page), result.indicators)


def test_clicks_close_open_and_place(page, yz):
    sites = yz[2]
    page.execute_script("lifecircleWhatIf.reset()")
    fac = sites.loc[sites["kind"] == 0, "id"].iloc[3]
    click = """
        const [lat, lng] = arguments;
        const m = lifecircle.map;
        const p = m.latLngToContainerPoint([lat, lng]);
        const box = m.getContainer().getBoundingClientRect();
        const canvas = m.getPane('lcWhatIfSites').querySelector('canvas');
        const at = {clientX: box.left + p.x, clientY: box.top + p.y, bubbles: true, cancelable: true};
        canvas.dispatchEvent(new MouseEvent('click', at));
        return lifecircleWhatIf.state().open;
    """
    row = sites[sites["id"] == fac].iloc[0]
    page.execute_script(
        "lifecircle.map.setView([arguments[0], arguments[1]], 17, {animate: false})",
        row.geometry.y,
        row.geometry.x,
    )
    open_ids = page.execute_script(click, row.geometry.y, row.geometry.x)
    assert fac not in open_ids  # clicking an existing facility closes it
    open_ids = page.execute_script(click, row.geometry.y, row.geometry.x)
    assert fac in open_ids  # and clicking again opens it
    page.execute_script("document.querySelector('.lc-wi input[type=checkbox]').click()")
    lat, lng = row.geometry.y + 0.0012, row.geometry.x + 0.0015
    open_ids = page.execute_script(click, lat, lng)
    placed = sorted(set(open_ids) - set(sites.loc[sites["kind"] == 0, "id"]))
    assert len(placed) == 1
    cand = sites[~sites["kind"].eq(0)]
    d = (cand.geometry.y - lat) ** 2 + ((cand.geometry.x - lng) * np.cos(np.radians(lat))) ** 2
    assert placed[0] == cand.loc[d.idxmin(), "id"]  # the nearest candidate
    page.execute_script("document.querySelector('.lc-wi input[type=checkbox]').click()")


def test_export_round_trip(page, yz):
    _, _, sites, tmp = yz
    existing = sites.loc[sites["kind"] == 0, "id"].tolist()[:2]
    five = np.random.default_rng(5).choice(sites.loc[sites["kind"] == 2, "id"].to_numpy(), 5, replace=False)
    page.execute_script("lifecircleWhatIf.reset()")
    page.execute_script("lifecircleWhatIf.close(arguments[0])", existing)
    got = page.execute_script("return lifecircleWhatIf.open(arguments[0])", five.tolist())
    files = page.execute_script("return lifecircleWhatIf.exportFiles()")
    assert files["n"] == 23
    header = files["csv"].lstrip("\ufeff").splitlines()[0].split(",")
    assert header[:4] == ["编号", "名称", "服务类型", "状态"] and "GCJ-02经度" in header
    folder = tmp / "export"
    folder.mkdir()
    (folder / files["csvName"]).write_text(files["csv"], encoding="utf-8")
    snippet = yaml.safe_load(files["yaml"])
    assert files["yaml"].startswith("# ")
    fac = [{**f, "path": str(folder / f["path"])} for f in snippet["facilities"]]
    again = run_scenario(yuzhong_scenario(tmp, facilities=fac, siting=False), None, lang="zh")
    assert len(again.services[SVC].facilities) == 23
    assert_equal_to(got, again.indicators)
    print(f"\nexported set run again: {shares(got)}, equal")


def test_recompute_time_per_click_yuzhong(page, yz):
    sites = yz[2]
    page.execute_script("lifecircleWhatIf.reset(); lifecircleWhatIf.timings.length = 0")
    cand = np.random.default_rng(9).choice(sites.loc[sites["kind"] == 2, "id"].to_numpy(), 20, replace=False)
    for sid in cand.tolist():
        page.execute_script("lifecircleWhatIf.open([arguments[0]])", sid)
    for sid in cand.tolist():
        page.execute_script("lifecircleWhatIf.close([arguments[0]])", sid)
    ms = page.execute_script("return lifecircleWhatIf.timings")
    assert len(ms) == 40
    parts = page.execute_script("return lifecircleWhatIf.parts")
    print(
        f"\nYuzhong, {len(yz[0].demand):,} homes: recompute per click median {statistics.median(ms):.1f} ms, "
        f"max {max(ms):.1f} ms; last click by part {parts}"
    )


def test_recompute_time_per_click_100k(driver, tmp_path):  # noqa: F811
    payload = synthetic_payload(n_homes=100_000, seed=2, spacing_m=150.0)
    _, added = map_with_whatif(synthetic_inputs(n=300, seed=1), payload, tmp_path / "map.html")
    drv = open_page(driver, tmp_path / "map.html", timeout=120)
    assert drv.execute_script("return lifecircleWhatIf.errors") == []
    kinds = wi.decode(payload["services"][0]["sites"]["kind"])
    ids = np.asarray(payload["services"][0]["sites"]["id"])
    rng = np.random.default_rng(3)
    cand = rng.choice(ids[kinds == 2], 15, replace=False).tolist()
    shut = rng.choice(ids[kinds == 0], 5, replace=False).tolist()
    drv.execute_script("lifecircleWhatIf.timings.length = 0")
    for sid in cand:
        drv.execute_script("lifecircleWhatIf.open([arguments[0]])", sid)
    for sid in shut:
        drv.execute_script("lifecircleWhatIf.close([arguments[0]])", sid)
    ms = drv.execute_script("return lifecircleWhatIf.timings")
    drv.execute_script("lifecircleWhatIf.timings.length = 0; lifecircleWhatIf.greedy(1)")
    greedy_ms = drv.execute_script("return lifecircleWhatIf.timings[0]")
    init_ms = drv.execute_script("return lifecircleWhatIf.initMs")
    parts = drv.execute_script("return lifecircleWhatIf.parts")
    got = drv.execute_script("return lifecircleWhatIf.state()")
    part = payload["services"][0]
    covered = wi.covered_homes(part, np.flatnonzero(np.isin(ids, got["open"])))
    w = wi.decode(payload["homes"]["weights"]["pop_60"])
    assert got["groups"]["pop_60"]["covered"] == pytest.approx(w[covered].sum(), abs=1e-6)
    print(
        f"\nsynthetic 100,000 homes ({len(wi.decode(part['times'])):,} entries, {added:,} bytes): "
        f"recompute per click median {statistics.median(ms):.1f} ms, max {max(ms):.1f} ms; "
        f"greedy step {greedy_ms:.1f} ms; last click by part {parts}; set-up on opening {init_ms:.0f} ms"
    )
