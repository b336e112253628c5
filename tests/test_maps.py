"""HTML map and static figure: layers, offline file, GCJ-02 shift for Amap, escaping, languages."""

from __future__ import annotations

import io
import json
import re

import geopandas as gpd
import matplotlib.image as mpimg
import numpy as np
import pytest
import shapely

from lifecircle.geodata.common import Assumption, InputError
from lifecircle.geodata.crs import wgs84_to_gcj02
from lifecircle.maps.figures import coverage_png
from lifecircle.maps.webmap import DataSource, MapInputs, build_map, layer_names, write_map
from lifecircle.scenarios.outputs import for_basemap

EVIL = "<img src=x onerror=alert(1)>"
EVIL_TIER = "{{7*7}}<script>alert(2)</script>"

ASSUMPTIONS = (
    Assumption(
        "speed.elderly",
        0.9,
        "m/s",
        "老年人步行速度取0.9米/秒",
        "Elderly walking speed 0.9 m/s",
        "gait studies, 65+",
    ),
    Assumption(
        "childcare.threshold",
        15,
        "min",
        "托育步行圈取15分钟（政策未规定）",
        "Childcare reach 15 min (no policy)",
    ),
)


def synthetic_inputs(n: int = 400, seed: int = 0) -> MapInputs:
    """A small Chongqing-like scene: demand with known times, two services, tiers, sites, units."""
    rng = np.random.default_rng(seed)
    lon = 106.55 + rng.random(n) * 0.04
    lat = 29.54 + rng.random(n) * 0.03
    t_elderly = rng.gamma(3.0, 250.0, n)
    t_elderly[:7] = np.inf  # no walking route
    t_child = rng.gamma(3.0, 200.0, n)
    street = np.where(lon < 106.57, "500103001", "500103002")
    demand = gpd.GeoDataFrame(
        {
            "id": [f"d{i}" for i in range(n)],
            "pop_total": rng.integers(10, 300, n).astype(float),
            "pop_60": rng.integers(1, 60, n).astype(float),
            "pop_80": rng.integers(0, 10, n).astype(float),
            "pop_0_3": rng.integers(0, 8, n).astype(float),
            "street": street,
            "community": "",
            "urban": True,
            "time_s_elderly": t_elderly,
            "time_s_childcare": t_child,
            "threshold_s_elderly": np.where(lon < 106.58, 900.0, 1200.0),
            "threshold_s_childcare": 900.0,
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    facilities = gpd.GeoDataFrame(
        {
            "id": ["f1", "f2", "f3", "f4"],
            "name": [EVIL, "解放碑街道养老服务中心", "渝中区托育中心", "规划站点"],
            "service": ["elderly", "elderly", "childcare", "elderly"],
            "tier": ["community_station", "street_centre", "childcare_centre", EVIL_TIER],
            "capacity": [30.0, 80.0, np.nan, 20.0],
            "status": ["existing", "existing", "existing", "planned"],
        },
        geometry=gpd.points_from_xy([106.56, 106.58, 106.57, 106.575], [29.55, 29.56, 29.555, 29.545]),
        crs=4326,
    )
    centre = shapely.Point(106.56, 29.55)
    isochrones = gpd.GeoDataFrame(
        {
            "service": ["elderly", "elderly", "childcare"],
            "minutes": [10.0, 15.0, 15.0],
            "area_m2": [1.1e6, 2.4e6, 1.6e6],
            "length_m": [5200.0, 9100.0, 7300.0],
        },
        geometry=[
            centre.buffer(0.005, 64),
            centre.buffer(0.008, 64),
            shapely.Point(106.57, 29.555).buffer(0.007),
        ],
        crs=4326,
    )
    admin = gpd.GeoDataFrame(
        {
            "code": ["500103001", "500103002"],
            "name": ["解放碑街道", EVIL],
            "level": ["street", "street"],
            "share_elderly_pop_60": [0.62, 1.0],
            "share_elderly_pop_total": [0.60, 0.97],
            "share_childcare_pop_0_3": [0.9, np.nan],
            "pop_60": [1200.0, 800.0],
        },
        geometry=[shapely.box(106.55, 29.54, 106.57, 29.57), shapely.box(106.57, 29.54, 106.59, 29.57)],
        crs=4326,
    )
    sites = gpd.GeoDataFrame(
        {
            "service": ["elderly", "elderly"],
            "rank": [2, 1],
            "name": ["候选B", EVIL],
            "gain_pop_total": [3200.0, 1500.0],
            "gain_pop_60": [640.0, 300.0],
            "communities": [["朝天门社区", "小什字社区"], "望龙门社区"],
            "time_median_s": [320.0, 400.0],
            "time_p90_s": [700.0, 800.0],
            "capacity": [60.0, np.nan],
            "capacity_used": [45.0, 30.0],
        },
        geometry=gpd.points_from_xy([106.585, 106.552], [29.565, 29.545]),
        crs=4326,
    )
    streets = gpd.GeoDataFrame(
        {"highway": ["residential", "steps", "footway"]},
        geometry=[
            shapely.LineString([(106.55, 29.55), (106.56, 29.55), (106.59, 29.551)]),
            shapely.LineString([(106.56, 29.55), (106.56, 29.56)]),
            shapely.LineString([(106.57, 29.54), (106.5700001, 29.555), (106.57, 29.57)]),
        ],
        crs=4326,
    )
    return MapInputs(
        demand=demand,
        streets=streets,
        isochrones=isochrones,
        facilities=facilities,
        sites=sites,
        admin=admin,
        assumptions=ASSUMPTIONS,
        sources=(DataSource("OpenStreetMap 道路", "ODbL © OpenStreetMap contributors", "osm_roads.geojson"),),
        headlines=(("60岁及以上老年人覆盖率", "87.2%"),),
    )


def specs_of(page: str) -> dict[str, dict]:
    """The layer specs embedded in a map page, by layer name."""
    decoder = json.JSONDecoder()
    out = {}
    for match in re.finditer(r"lifecircle\.build\(", page):
        spec, _ = decoder.raw_decode(page, match.end())
        out[spec["name"]] = spec
    return out


@pytest.fixture(scope="module")
def inputs() -> MapInputs:
    return synthetic_inputs()


@pytest.fixture(scope="module")
def page(inputs, tmp_path_factory) -> str:
    path = write_map(inputs, tmp_path_factory.mktemp("map") / "map.html")
    return path.read_text(encoding="utf-8")


def test_layers_per_service_and_tier(inputs, page):
    specs = specs_of(page)
    expected = {
        "街道/镇 · 养老覆盖率（60岁及以上老年人）",
        "街道/镇 · 托育覆盖率（0–3岁婴幼儿）",
        "步行路网",
        "养老 · 15分钟步行圈",
        "养老 · 10分钟步行圈",
        "托育 · 15分钟步行圈",
        "养老 · 居民点步行时间",
        "托育 · 居民点步行时间",
        "养老设施 · 社区养老服务站",
        "养老设施 · 街道养老服务中心",
        "养老设施 · {{7*7}}<script>alert(2)</script>".replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("{", "&#123;")
        .replace("}", "&#125;"),
        "托育设施 · 托育机构",
        "养老 · 建议新增站点",
        "街道/镇边界",  # the units' outlines, always drawn
    }
    assert set(specs) == expected
    assert layer_names(inputs) == list(specs)
    # every demand point is drawn once per service; isochrone tiers hold their own polygons
    assert len(specs["养老 · 居民点步行时间"]["x"]) == len(inputs.demand)
    assert specs["养老 · 10分钟步行圈"]["cols"]["area"] == [1100000]
    assert specs["养老 · 15分钟步行圈"]["cols"]["len"] == [9100]
    # streets: classes by highway, and the ~1.5 m simplification drops the 1 cm kink of the footway
    streets = specs["步行路网"]
    assert streets["cls"] == [0, 1, 2]
    assert [len(g["coordinates"]) for g in streets["geoms"]] == [3, 2, 2]
    # the layer control lists every overlay under the same name
    block = page[page.index("overlays :") : page.index("L.control.layers(")]
    control = {json.loads(f'"{k}"') for k in re.findall(r'"((?:[^"\\]|\\.)*)" : data_layer_', block)}
    assert control == expected


def test_demand_classes_follow_time_and_own_threshold(inputs, page):
    spec = specs_of(page)["养老 · 居民点步行时间"]
    d = inputs.demand
    seconds, thr = d["time_s_elderly"].to_numpy(), d["threshold_s_elderly"].to_numpy()
    cls = np.array(spec["cls"])
    assert (cls == 12).sum() == np.isinf(seconds).sum() == 7
    beyond = np.isfinite(seconds) & (seconds > thr)
    assert ((cls >= 6) & (cls <= 11)).sum() == beyond.sum()
    assert (cls <= 5).sum() == (seconds <= thr).sum()
    # beyond the threshold a point keeps its true time's bin: the "> 20 min" classes appear
    minutes = seconds[beyond] / 60.0
    assert ((cls >= 9) & (cls <= 11)).sum() == (minutes > 15.0).sum() > 0
    # uncovered points are drawn last (on top) and carry the time they have, in whole seconds
    assert list(cls) == sorted(cls)
    times = np.array([np.inf if v is None else v for v in spec["cols"]["t"]])
    order = np.argsort(np.where(np.isinf(seconds), 7, 0), kind="stable")
    assert np.isinf(times).sum() == 7
    assert sorted(np.round(seconds[np.isfinite(seconds)])) == sorted(times[np.isfinite(times)])
    assert order.size == times.size
    # a point 16 min away is covered where the threshold is 20 min (rural) and not where it is 15
    bins = spec["cols"]["thr"]
    assert set(bins) == {15.0, 20.0}


def test_offline_file_loads_nothing(page):
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", page, re.I)
    styles = "".join(re.findall(r"<style>(.*?)</style>", page, re.S))
    assert "url(data:image/png;base64," in styles  # the layer-control icon, inlined
    assert not re.search(r"url\(\s*['\"]?(?!data:|#)", styles)
    assert "@import" not in page
    # the tile URLs are options of the basemap switch only (no tile layer until a reader picks
    # one: the browser test counts zero requests); the other URLs are the SVG namespace and
    # Leaflet's attribution link, neither fetched
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    tiles = {u for u in urls if "{z}" in u or "{y}" in u}
    assert {u.split("/")[2] for u in tiles} == {
        "{s}.tile.openstreetmap.org",
        "t{s}.tianditu.gov.cn",
        "webrd0{s}.is.autonavi.com",
    }
    assert urls - tiles <= {"http://www.w3.org/2000/svg", "https://leafletjs.com"}
    assert "tileLayer(" not in page.split("lifecircle.setup(")[1]  # no tiles at the start
    assert "L.version" in page or 'version="1.9.4"' in page
    assert "window.lifecircle" in page


def test_online_basemaps(inputs, monkeypatch):
    osm = build_map(inputs, basemap="osm").get_root().render()
    assert "tile.openstreetmap.org/{z}/{x}/{y}.png" in osm
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(InputError, match="TIANDITU_KEY"):
        build_map(inputs, basemap="tianditu")
    monkeypatch.setenv("TIANDITU_KEY", "abc123def456")
    tdt = build_map(inputs, basemap="tianditu").get_root().render()
    assert "tianditu.gov.cn/vec_w/wmts" in tdt and "tk=abc123def456" in tdt
    with pytest.raises(InputError, match="basemap"):
        build_map(inputs, basemap="google")
    with pytest.raises(InputError, match="lang"):
        build_map(inputs, lang="fr")


def test_amap_shifts_every_overlay_to_gcj02(inputs):
    page = build_map(for_basemap(inputs, "amap"), basemap="amap").get_root().render()
    assert "autonavi.com" in page
    specs = specs_of(page)
    fac = specs["养老设施 · 社区养老服务站"]
    lon, lat = wgs84_to_gcj02(np.array([106.56]), np.array([29.55]))
    assert fac["x"][0] == pytest.approx(round(float(lon[0]), 6), abs=1e-9)
    assert fac["y"][0] == pytest.approx(round(float(lat[0]), 6), abs=1e-9)
    assert abs(fac["x"][0] - 106.56) > 0.002  # the GCJ-02 offset in Chongqing is a few hundred metres
    # polygons move too: the west edge of the first street box
    unit = next(v for k, v in specs.items() if k.startswith("街道/镇 · 养老"))
    west = min(c[0] for c in unit["geoms"][0]["coordinates"][0])
    glon, _ = wgs84_to_gcj02(np.array([106.55, 106.55]), np.array([29.54, 29.57]))
    assert west == pytest.approx(float(glon.min()), abs=2e-5)
    # and the demand points
    dem = specs["养老 · 居民点步行时间"]
    d = inputs.demand
    glon_d, _ = wgs84_to_gcj02(d.geometry.x.to_numpy(), d.geometry.y.to_numpy())
    assert sorted(dem["x"]) == pytest.approx(sorted(np.round(glon_d, 6)), abs=1e-9)
    # WGS84 basemaps are not shifted
    plain = specs_of(build_map(inputs, basemap="osm").get_root().render())
    assert plain["养老设施 · 社区养老服务站"]["x"][0] == 106.56


def test_text_from_inputs_is_escaped(page):
    assert EVIL not in page
    assert "<script>alert(2)" not in page
    # a template marker in a tier name is shown as text, never evaluated
    assert "{{7*7}}&lt;script&gt;alert(2)&lt;/script&gt;" in page  # legend
    assert "49&lt;script" not in page and "49<script" not in page
    specs = specs_of(page)
    # the JSON carries the name unchanged; the runtime escapes it when it builds popups and tooltips
    assert specs["养老设施 · 社区养老服务站"]["cols"]["name"] == [EVIL]
    assert "lc.esc(tip)" in page and "lc.esc(title)" in page


def test_assumptions_and_sources_in_legend(page):
    # the Chinese legend writes units in Chinese; a user's own source is shown as written
    assert "老年人步行速度取0.9米/秒" in page and "0.9 米/秒" in page and "gait studies, 65+" in page
    assert "托育步行圈取15分钟（政策未规定）" in page and "15 分钟" in page
    assert "ODbL © OpenStreetMap contributors" in page
    assert "图例" in page and "未覆盖（超出服务圈）" in page


def test_english_labels(inputs):
    page = build_map(inputs, lang="en").get_root().render()
    specs = specs_of(page)
    assert "Elderly care · 15-minute walking circle" in specs
    assert "Childcare · Residents: walking time" in specs
    assert "Street/town · Elderly care coverage (Aged 60+)" in specs
    assert "Legend" in page and "Elderly walking speed 0.9 m/s" in page
    assert "图例" not in page and "养老 · 15分钟步行圈" not in specs


def test_same_inputs_same_file(inputs, tmp_path):
    a = write_map(inputs, tmp_path / "a.html").read_bytes()
    b = write_map(inputs, tmp_path / "b.html").read_bytes()
    assert a == b


def test_failed_write_leaves_nothing(inputs, tmp_path):
    bad = MapInputs(demand=inputs.demand.drop(columns=["threshold_s_elderly"]))
    with pytest.raises(InputError, match="threshold_s_elderly"):
        write_map(bad, tmp_path / "map.html")
    assert list(tmp_path.iterdir()) == []


def test_file_size_stays_small_for_many_points(tmp_path):
    inputs = synthetic_inputs(n=20_000, seed=1)
    size = write_map(inputs, tmp_path / "big.html").stat().st_size
    # ~195 kB of Leaflet and runtime, then two services × 20,000 points at ~90 bytes each
    assert size < 200_000 + 2 * 20_000 * 120


def test_png_figure(inputs):
    png = coverage_png(inputs, service="elderly")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(io.BytesIO(png), format="png")[..., :3]
    assert img.std() > 0.05
    red = (img[..., 0] > 0.8) & (img[..., 1] < 0.25) & (img[..., 2] < 0.25)
    assert red.sum() > 50  # uncovered residents are drawn in red
    english = coverage_png(inputs, service="childcare", lang="en")
    assert english != png
    # the assumptions are printed as a footnote under the map: the bottom strip has ink only with them
    from dataclasses import replace

    bare = mpimg.imread(io.BytesIO(coverage_png(replace(inputs, assumptions=()), service="elderly")))[..., :3]
    ink = (img[-25:, : img.shape[1] // 3] < 0.6).sum()
    assert ink > 50 and (bare[-25:, : bare.shape[1] // 3] < 0.6).sum() == 0


@pytest.mark.realdata
def test_amap_shift_puts_real_yuzhong_buildings_inside_the_gcj02_outline(yuzhong_boundary, yuzhong_buildings):
    """Real data: on an Amap basemap the overlays must sit where Amap draws Yuzhong (GCJ-02).

    The README measures that about 84% of Yuzhong's OSM building centroids fall inside the raw
    GCJ-02 outline and about 99.5% once the outline is converted to WGS84; shifting the WGS84
    buildings to GCJ-02 for the Amap map must give the same 99.5% against the raw outline.
    """
    from lifecircle.geodata.crs import to_wgs84

    outline_gcj = gpd.read_file(yuzhong_boundary)
    outline = to_wgs84(outline_gcj, "gcj02", where=str(yuzhong_boundary))
    buildings = gpd.read_file(yuzhong_buildings)
    centroids = buildings.to_crs(32648).centroid.to_crs(4326)
    demand = gpd.GeoDataFrame(
        {"time_s_elderly": np.full(len(centroids), 300.0), "threshold_s": 900.0},
        geometry=centroids.values,
        crs=4326,
    )
    admin = outline.assign(code="500103", name="渝中区", level="district", share_elderly_pop_60=0.9)
    inputs = MapInputs(demand=demand, admin=admin)
    raw_polygon = outline_gcj.geometry.union_all()

    shifted = specs_of(build_map(for_basemap(inputs, "amap"), basemap="amap").get_root().render())
    pts = shapely.points(shifted["养老 · 居民点步行时间"]["x"], shifted["养老 · 居民点步行时间"]["y"])
    inside_shifted = shapely.contains(raw_polygon, pts).mean()
    plain = specs_of(build_map(inputs, basemap="none").get_root().render())
    pts = shapely.points(plain["养老 · 居民点步行时间"]["x"], plain["养老 · 居民点步行时间"]["y"])
    inside_plain = shapely.contains(raw_polygon, pts).mean()
    assert inside_shifted > 0.99, inside_shifted
    assert inside_plain < 0.9, inside_plain
    # the district outline drawn on Amap is the GCJ-02 outline again (round trip, ~1.5 m simplification)
    unit = shifted["区县 · 养老覆盖率（60岁及以上老年人）"]
    drawn = shapely.from_geojson(json.dumps(unit["geoms"][0]))
    assert drawn.hausdorff_distance(raw_polygon) < 3e-5


def test_tables_in_a_metric_crs_are_drawn_in_wgs84(inputs):
    from dataclasses import replace

    metric = replace(
        inputs, isochrones=inputs.isochrones.to_crs(32648), facilities=inputs.facilities.to_crs(32648)
    )
    a = specs_of(build_map(inputs).get_root().render())
    b = specs_of(build_map(metric).get_root().render())
    assert b["养老设施 · 社区养老服务站"]["x"] == pytest.approx(a["养老设施 · 社区养老服务站"]["x"], abs=2e-6)
    ring_a = np.array(a["养老 · 15分钟步行圈"]["geoms"][0]["coordinates"][0])
    ring_b = np.array(b["养老 · 15分钟步行圈"]["geoms"][0]["coordinates"][0])
    assert ring_b[:, 0].min() == pytest.approx(ring_a[:, 0].min(), abs=2e-5)
    assert ring_b[:, 1].max() == pytest.approx(ring_a[:, 1].max(), abs=2e-5)


def test_cjk_font_found_when_installed_after_the_font_cache(monkeypatch):
    """A CJK font installed after matplotlib built its cache is still found (the cache is stale)."""
    from matplotlib import font_manager

    from lifecircle.maps import figures

    files = [p for p in font_manager.findSystemFonts() if "cjk" in p.lower()]
    if not files:
        pytest.skip("no CJK font file on this machine (Debian: fonts-noto-cjk)")
    stale = [f for f in font_manager.fontManager.ttflist if f.name not in figures.CJK_FONTS]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    figures.cjk_font.cache_clear()
    try:
        assert figures.cjk_font() in figures.CJK_FONTS
    finally:
        figures.cjk_font.cache_clear()


def test_display_simplify_keeps_every_part():
    import shapely

    from lifecircle.maps.tables import display_simplify

    # Douglas-Peucker at 1.5 drops the 1 x 1 island; the fallback (topology-preserving) keeps it.
    # The bump loses its hole, 0.3 wide (narrower than the tolerance), and a 1 cm wiggle goes
    island = shapely.MultiPolygon([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 21, 1)])
    bump = shapely.Polygon(
        [(0, 0), (10, 0), (10, 10), (5, 11), (0, 10)],
        holes=[[(4.8, 10.2), (5.2, 10.2), (5.2, 10.5), (4.8, 10.5)]],
    )
    wiggly = shapely.Polygon([(0, 0), (5, 0.01), (10, 0), (10, 10), (0, 10)])
    geoms = np.array([island, bump, wiggly], dtype=object)
    plain = shapely.simplify(geoms, 1.5, preserve_topology=False)
    assert shapely.get_num_geometries(plain[0]) == 1 and shapely.get_num_interior_rings(plain[1]) == 0
    got = display_simplify(geoms, 1.5)
    assert shapely.is_valid(got).all()
    assert shapely.get_num_geometries(got[0]) == 2
    assert shapely.get_num_interior_rings(got[1]) == 0 and shapely.get_num_coordinates(got[1]) == 5
    assert shapely.get_num_coordinates(got[2]) == 5
