"""Scenario files, presets, the run pipeline end to end, and run comparison."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml

from lifecircle.coverage.standards import standards_from_profile
from lifecircle.geodata.common import InputError
from lifecircle.scenarios.compare import compare_runs
from lifecircle.scenarios.pipeline import OUTPUT_FILES, run_scenario
from lifecircle.scenarios.presets import example_scenario, jurisdiction_names, load_jurisdiction
from lifecircle.scenarios.schema import load_scenario, scenario_from_dict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


# -- presets ---------------------------------------------------------------------------------------


def test_every_preset_loads_with_cited_thresholds():
    assert jurisdiction_names() == ["bazhong", "chongqing", "jiulongpo", "shapingba", "yuzhong"]
    expected = {
        "yuzhong": (10, 10, "001"),
        "jiulongpo": (15, 20, "000"),
        "chongqing": (15, 15, "004"),
        "shapingba": (15, 15, "002"),
        "bazhong": (15, 15, "003"),
    }
    for key, (urban, rural, doc) in expected.items():
        j = load_jurisdiction(key)
        th = j.thresholds["elderly"]
        assert (th.urban_min, th.rural_min) == (urban, rural)
        assert th.source.startswith(f"Document {doc}") and not th.is_assumption
        assert th.source.text("zh").startswith(f"文件 {doc}")
        assert j.document["code"] == doc
        assert j.thresholds["childcare"].is_assumption  # no document sets a childcare radius


def test_preset_standards_come_from_the_documents():
    assert standards_from_profile(load_jurisdiction("jiulongpo")).beds_per_1000_elderly == 35
    assert standards_from_profile(load_jurisdiction("yuzhong")).beds_per_1000_elderly == 32
    assert standards_from_profile(load_jurisdiction("yuzhong")).places_per_1000 == 4.5
    # 004 sets no 2025 bed ratio; its 32.8 is the 2020 achievement and must not become a standard
    assert standards_from_profile(load_jurisdiction("chongqing")).beds_per_1000_elderly is None


def test_unknown_jurisdiction_is_one_sentence():
    with pytest.raises(InputError, match="not a shipped profile"):
        load_jurisdiction("atlantis")


# -- scenario validation ---------------------------------------------------------------------------


def test_scenario_errors_name_the_field(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("name: x\ndemand: {kind: table}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"s\.yaml: field 'demand': demand of kind table needs a path"):
        load_scenario(bad)
    bad.write_text("name: x\ndemand: {kind: floor_area, osm: embedded}\nnetwerk: {}\n", encoding="utf-8")
    with pytest.raises(InputError, match="field 'netwerk': unknown field"):
        load_scenario(bad)
    bad.write_text("name: x\n  demand: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid YAML at line"):
        load_scenario(bad)
    with pytest.raises(InputError, match="field 'demand': required field is missing"):
        scenario_from_dict({"name": "x"}, where="inline")
    with pytest.raises(InputError, match="give only one of boundary, bbox or adcode"):
        scenario_from_dict(
            {
                "name": "x",
                "demand": {"kind": "floor_area", "osm": "embedded"},
                "study_area": {"bbox": [0, 0, 1, 1], "adcode": "500103"},
            },
            where="inline",
        )


def test_paths_resolve_against_data_dir(tmp_path):
    scen = scenario_from_dict(
        {"name": "x", "data_dir": "../data", "demand": {"kind": "table", "path": "pop.csv"}},
        where="inline",
        base_dir=tmp_path / "scen",
    )
    assert Path(scen.resolve("pop.csv")) == tmp_path / "data" / "pop.csv"
    assert scen.resolve("embedded") == "embedded"


# -- the default run (embedded Helsinki) ----------------------------------------------------------


@pytest.fixture(scope="module")
def helsinki_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "helsinki"
    result = run_scenario(load_scenario(example_scenario("helsinki")), out)
    return result, out


def test_default_run_writes_every_output(helsinki_run):
    _, out = helsinki_run
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*OUTPUT_FILES, "indicators_after.csv", "sites.geojson", ".lifecircle.json"]  # + our manifest
    )
    rec = json.loads((out / "run.json").read_text(encoding="utf-8"))
    pbf = next(i for i in rec["inputs"] if i["path"] == "embedded")
    assert len(pbf["sha256"]) == 64 and pbf["bytes"] > 500_000
    assert rec["versions"]["numpy"] and "reach:elderly" in rec["timings_s"]
    # each output's cost, the map's from the process that wrote it, and the wall of all the writing
    assert {"write:map", "write:whatif", "write:report", "write:xlsx", "write:gpkg", "write:all"} <= set(
        rec["timings_s"]
    )
    keys = {a["key"] for a in rec["assumptions"]}
    assert {"threshold.childcare", "access_width"} <= keys
    assert any("speed" in k for k in keys)  # the walking speed is stated as an assumption
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "<script src=" not in html and '<link rel="stylesheet" href="http' not in html
    assert "0.9" in html  # the elderly walking speed is shown where the result appears


def test_png_figures_only_when_asked(helsinki_run, tmp_path):
    from dataclasses import replace

    from lifecircle.scenarios.outputs import write_outputs

    result, out = helsinki_run
    assert not list(out.glob("*.png"))  # the report carries the maps as inline SVG
    assert (out / "report.html").read_text(encoding="utf-8").count('<svg class="figure"') == 2
    scen = result.scenario.model_copy(
        update={"outputs": result.scenario.outputs.model_copy(update={"png": True})}
    )
    write_outputs(replace(result, scenario=scen), tmp_path / "png")
    pngs = sorted(p.name for p in (tmp_path / "png").glob("*.png"))
    assert pngs == ["figure_childcare.png", "figure_elderly.png"]
    assert (tmp_path / "png" / "figure_elderly.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_default_run_numbers_agree_across_outputs(helsinki_run):
    result, out = helsinki_run
    demand = gpd.read_file(out / "layers.gpkg", layer="demand")
    t = demand["time_s_childcare"].fillna(np.inf).to_numpy()
    covered = t <= demand["threshold_s_childcare"].to_numpy()
    w = demand["pop_0_3"].to_numpy()
    share = 100 * w[covered].sum() / w.sum()
    ind = pd.read_csv(out / "indicators.csv", encoding="utf-8-sig")
    row = ind[
        (ind["metric"] == "coverage")
        & (ind["service"] == "childcare")
        & (ind["group"] == "pop_0_3")
        & (ind["area"] == "all")
        & (ind["scope"] == "district")
    ]
    assert len(row) == 1 and row["value"].iloc[0] == pytest.approx(share, abs=1e-9)
    assert 0 < share < 100
    # no elderly facility is tagged in the extract: the baseline says 0 and the proposal closes it
    assert result.services["elderly"].facilities.empty
    assert result.siting.status == "optimal" and len(result.siting.sites) >= 1
    after = demand["time_s_elderly_after"].fillna(np.inf).to_numpy()
    assert (after <= demand["threshold_s_elderly"].to_numpy()).mean() == 1.0


def test_failed_run_leaves_nothing(tmp_path):
    scen = scenario_from_dict(
        {"name": "x", "demand": {"kind": "table", "path": "missing.csv"}}, where="inline", base_dir=tmp_path
    )
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"missing\.csv"):
        run_scenario(scen, out)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_cli_run_reports_bad_scenario_in_one_line(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("name: x\ndemand: {kind: raster}\n", encoding="utf-8")
    out = tmp_path / "out"
    for lang, says in (("en", "demand of kind raster needs a path"), ("zh", "需求点")):
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "lifecircle.scenarios.cli",
                "run",
                str(bad),
                "--out",
                str(out),
                "--lang",
                lang,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr and says in proc.stderr
        assert proc.stderr.startswith("Error: " if lang == "en" else "错误：")
        assert len(proc.stderr.strip().splitlines()) == 1
        assert not out.exists()


# -- Yuzhong from the real data -------------------------------------------------------------------


@pytest.fixture(scope="module")
def yuzhong_runs(tmp_path_factory):
    from conftest import shared_file

    shared_file("chongqing", "osm_roads_yuzhong.geojson")
    shared_file("chongqing", "osm_buildings_yuzhong.geojson")
    base = tmp_path_factory.mktemp("yz")
    result = run_scenario(load_scenario(EXAMPLES / "yuzhong.yaml"), base / "run")
    return result, base


def test_yuzhong_end_to_end(yuzhong_runs):
    result, base = yuzhong_runs
    d = result.demand
    assert d["pop_60"].sum() == pytest.approx(116_300, rel=1e-9)
    assert d["pop_0_3"].sum() == pytest.approx(17_420, rel=1e-9)
    assert d["urban"].all()  # Yuzhong is wholly urban (001)
    el = result.services["elderly"]
    assert (el.threshold_s == 600).all()  # 10 minutes (001 task 8)
    assert (result.services["childcare"].threshold_s == 600).all()
    iso = el.isochrones
    assert sorted(iso["minutes"]) == [5, 10, 15, 20]
    s = result.siting
    assert s.model == "lscp" and s.status == "optimal" and s.gap == 0
    # every elderly resident some candidate reaches is within 10 minutes after the proposal
    after = result.after.reach.time_s
    reachable = np.ones(len(d), bool)
    reachable[np.asarray(s.uncoverable, dtype=int)] = False
    assert (after[reachable] <= 600).all()
    assert 60 <= len(s.sites) <= 140
    for name in OUTPUT_FILES:
        assert (base / "run" / name).stat().st_size > 0


def test_yuzhong_compare_shows_the_gain(yuzhong_runs):
    result, base = yuzhong_runs
    res = compare_runs(base / "run", None, base / "cmp")
    gains = pd.read_csv(base / "cmp" / "gains.csv", encoding="utf-8-sig")
    el = gains[(gains["service"] == "elderly") & (gains["group"] == "pop_60")]
    after = result.after.reach.time_s
    before = result.services["elderly"].reach.time_s
    w = result.demand["pop_60"].to_numpy()
    # the example gives no facility list: coverage before is unknown ("no data"), so the gain is too;
    # the coverage after (the proposed sites only) is measured
    assert np.isinf(before).all()
    assert el["covered_a"].isna().all() and el["gain"].isna().all() and el["loss"].isna().all()
    assert el["covered_b"].sum() == pytest.approx(w[after <= 600].sum(), rel=1e-9)
    assert (el["level"] == "grid").all()  # the shared data has no street polygons
    assert any("养老" in name and value.startswith("无数据 → 100.0%") for name, value in res["headline"])
    deltas = pd.read_csv(base / "cmp" / "deltas.csv", encoding="utf-8-sig")
    cov = deltas[
        (deltas["metric"] == "coverage") & (deltas["service"] == "elderly") & (deltas["group"] == "pop_60")
    ]
    assert cov["value_a"].isna().all() and cov["delta"].isna().all()
    assert cov["value_b"].max() == pytest.approx(100 * w[after <= 600].sum() / w.sum())


# -- lifecircle coverage ---------------------------------------------------------------------------


def test_coverage_command_on_sao_paulo(tmp_path, saopaulo_pbf, saopaulo_hexgrid):
    hexes = pd.read_csv(saopaulo_hexgrid)
    schools = hexes[hexes["schools"] > 0].assign(service="childcare", name=lambda d: "school " + d["id"])
    fac = tmp_path / "schools.csv"
    schools[["id", "name", "lon", "lat", "service"]].to_csv(fac, index=False)
    out = tmp_path / "spo.gpkg"
    proc = subprocess.run(
        [
            sys.executable, "-m", "lifecircle.scenarios.cli", "coverage", str(saopaulo_pbf),
            "-f", str(fac), "-s", "childcare", "-d", str(saopaulo_hexgrid), "--minutes", "15",
            "--out", str(out), "--lang", "en",
        ],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    demand = gpd.read_file(out, layer="demand")
    assert demand["pop_total"].sum() == hexes["population"].sum()
    t = demand["time_s_childcare"].fillna(np.inf).to_numpy()
    share = demand["pop_total"][t <= 900].sum() / demand["pop_total"].sum()
    ind = pd.read_csv(tmp_path / "spo_indicators.csv", encoding="utf-8-sig")
    row = ind[(ind["metric"] == "coverage") & (ind["group"] == "pop_total") & (ind["area"] == "all")]
    assert row["value"].iloc[0] == pytest.approx(100 * share)
    # exact network reach at a parent's 1.0 m/s for 15 minutes, access legs walked
    assert 0.8 < share < 0.95
    iso = gpd.read_file(out, layer="isochrones")
    assert set(iso["minutes"]) == {5, 10, 15, 20}
    assert iso["inside_share"].to_numpy() == pytest.approx(1.0, abs=1e-12)


def test_yuzhong_capacitated_childcare_and_pmedian(tmp_path):
    from conftest import shared_file

    shared_file("chongqing", "osm_roads_yuzhong.geojson")
    raw = yaml.safe_load((EXAMPLES / "yuzhong.yaml").read_text(encoding="utf-8"))
    # ten affordable childcare institutions of 50 托位 each (the 000 project size: 450 m², 50 托位)
    raw["siting"] = {
        "service": "childcare",
        "model": "capacitated",
        "p": 10,
        "capacity": 50,
        "group": "pop_total",
        "candidates": {"kind": "buildings", "max_candidates": 300, "seed": 1},
    }
    scen = scenario_from_dict(raw, where="inline", base_dir=EXAMPLES)
    res = run_scenario(scen, None)
    need = 588_700 * 4.5 / 1000  # 001: 4.5 托位 per 1,000 residents → 2,649 托位
    s = res.siting
    assert s.status == "optimal" and len(s.sites) == 10
    assert s.objective == pytest.approx(500.0)  # every place filled: need far exceeds 10 × 50
    assert s.objective < need
    raw["siting"] = {"service": "elderly", "model": "pmedian", "p": 5, "group": "pop_60",
                     "candidates": {"kind": "buildings", "max_candidates": 200, "seed": 2}}  # fmt: skip
    res = run_scenario(scenario_from_dict(raw, where="inline", base_dir=EXAMPLES), None)
    assert res.siting.model == "pmedian" and len(res.siting.sites) == 5
    assert res.siting.gap <= 1e-6


def test_gains_by_street_and_community():
    from shapely.geometry import Point

    from lifecircle.scenarios.compare import RunFolder, gains_by_unit

    pts = [Point(106.55 + i * 0.001, 29.55) for i in range(4)]
    base = {
        "id": ["a", "b", "c", "d"],
        "pop_total": [100.0, 200.0, 300.0, 400.0],
        "pop_60": [10.0, 20.0, 30.0, 40.0],
        "street": ["S1", "S1", "S2", "S2"],
        "community": ["C1", "C2", "C3", "C3"],
        "threshold_s_elderly": [600.0] * 4,
    }
    a = gpd.GeoDataFrame({**base, "time_s_elderly": [100.0, np.nan, 900.0, 700.0]}, geometry=pts, crs=4326)
    b = gpd.GeoDataFrame({**base, "time_s_elderly": [100.0, 500.0, 550.0, 700.0]}, geometry=pts, crs=4326)
    # B lists the points in another order: they are matched by id
    b = b.iloc[[3, 2, 1, 0]].reset_index(drop=True)
    run = lambda d: RunFolder(Path("."), "x", {}, pd.DataFrame(), d, None, None, None)  # noqa: E731
    g = gains_by_unit(run(a), run(b), ["elderly"])
    g60 = g[g["group"] == "pop_60"].set_index(["level", "unit"])
    assert g60.loc[("street", "S1"), "gain"] == 20  # b: unreached → 500 s
    assert g60.loc[("street", "S2"), "gain"] == 30  # c: 900 s → 550 s; d stays beyond
    assert g60.loc[("community", "C3"), "coverage_b"] == pytest.approx(100 * 30 / 70)
    assert g60["loss"].sum() == 0


def test_candidate_layer_keeps_cost_on_its_row(tmp_path):
    layer = tmp_path / "cand.geojson"
    gpd.GeoDataFrame(
        {"id": ["s1", "s2"], "name": ["闲置校舍", "社区用房"], "cost": [80_000, 50_000], "beds": [40, 20]},
        geometry=gpd.points_from_xy([24.9410, 24.9450], [60.1690, 60.1670]),
        crs=4326,
    ).to_file(layer)
    raw = yaml.safe_load(example_scenario("helsinki").read_text(encoding="utf-8"))
    raw["siting"] = {
        "service": "elderly",
        "model": "budget",
        "budget": 60_000,  # affords s2 only
        "group": "pop_60",
        "candidates": {"kind": "file", "path": str(layer), "cost_col": "cost", "capacity_col": "beds"},
    }
    res = run_scenario(scenario_from_dict(raw, where="inline", base_dir=tmp_path), None)
    assert list(res.siting.site_ids) == ["s2"] and res.siting.status == "optimal"


def test_pmedian_scenario_counts_the_walk_to_existing_sites(tmp_path):
    """A p-median scenario with existing facilities runs, and those sites shorten the total walk."""
    from lifecircle.scenarios.presets import example_scenario

    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": n, "service": "elderly"},
             "geometry": {"type": "Point", "coordinates": xy}}
            for n, xy in (("A", [24.9384, 60.1699]), ("B", [24.9450, 60.1640]))
        ],
    }  # fmt: skip
    (tmp_path / "f.geojson").write_text(json.dumps(fc), encoding="utf-8")
    raw = yaml.safe_load(Path(example_scenario("helsinki")).read_text(encoding="utf-8"))
    siting = {"service": "elderly", "model": "pmedian", "p": 2, "group": "pop_60",
              "candidates": {"kind": "demand", "max_candidates": 40, "seed": 1}}  # fmt: skip
    objective = {}
    for with_existing in (True, False):
        raw["facilities"] = (
            [{"path": str(tmp_path / "f.geojson"), "crs": "wgs84", "service": "elderly"}]
            if with_existing
            else []
        )
        raw["siting"] = siting
        res = run_scenario(scenario_from_dict(raw, where="inline", base_dir=tmp_path), None)
        assert res.siting.status == "optimal" and res.siting.gap <= 1e-9
        objective[with_existing] = res.siting.objective
    assert objective[True] < objective[False]


def test_isochrone_method_is_the_scenarios(monkeypatch):
    """``outputs.isochrones`` reaches every polygon call, the base state's and the proposal's."""
    from lifecircle.scenarios import pipeline, siting

    raw = yaml.safe_load(example_scenario("helsinki").read_text(encoding="utf-8"))
    raw["outputs"]["isochrones"] = "union"
    seen = []
    for module in (pipeline, siting):
        real = module.service_isochrones
        monkeypatch.setattr(
            module, "service_isochrones", lambda *a, _f=real, **k: seen.append(k["method"]) or _f(*a, **k)
        )
    result = run_scenario(scenario_from_dict(raw, where="inline"), None)
    assert seen == ["union"] * 3  # elderly, childcare, elderly with the proposed sites
    assert (result.after.isochrones["inside_share"] > 1 - 1e-9).all()
