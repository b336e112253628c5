"""The map's what-if payload: packing, exactness against the engine, sizes (no browser here).

The Yuzhong run used here gets a small facility list (20 building centroids drawn with a fixed
seed: illustrative, not real stations) and the SYNTHETIC street polygons of
`tests/test_units_yuzhong.py` (a Voronoi split of the district outline into its official number of
streets, named from the official code list, two marked rural): made up for the test, never real
boundaries. `tests/test_whatif_browser.py` reuses these
helpers for the page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import yaml
from conftest import SHARED, shared_file
from test_units_yuzhong import synthetic_streets

from lifecircle.coverage import indicators as _ind
from lifecircle.coverage.reach import ZERO_TIME_S, service_reach
from lifecircle.coverage.snapping import Layers
from lifecircle.geodata.admin import read_admin_codes
from lifecircle.maps.whatif import insert_whatif, whatif_html, whatif_texts
from lifecircle.scenarios import whatif as wi
from lifecircle.scenarios.pipeline import run_scenario
from lifecircle.scenarios.schema import scenario_from_dict

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


# -- helpers shared with the browser test ----------------------------------------------------------


def facility_list(path: Path, n: int = 20, seed: int = 7) -> Path:
    """An illustrative elderly facility list: ``n`` Yuzhong building centroids drawn with ``seed``."""
    b = gpd.read_file(shared_file("chongqing", "osm_buildings_yuzhong.geojson"))
    rng = np.random.default_rng(seed)
    pick = b.iloc[np.sort(rng.choice(len(b), n, replace=False))]
    c = pick.geometry.to_crs(32648).centroid.to_crs(4326)
    names = [f"fac-{i + 1}" for i in range(n)]
    fac = pd.DataFrame({"id": names, "name": names, "service": "elderly", "lon": c.x, "lat": c.y})
    fac.to_csv(path, index=False)
    return path


def streets_layer(tmp: Path) -> Path:
    """The SYNTHETIC Yuzhong streets of `tests/test_units_yuzhong.py` (two of them rural), in ``tmp``."""
    path = tmp / "streets_synthetic.geojson"
    if not path.exists():
        folder = shared_file("chongqing", "admin_codes")
        codes = read_admin_codes(folder / "streets.csv", folder / "communities.csv", districts="500103")
        synthetic_streets(
            path,
            shared_file("chongqing", "boundaries", "500103.gcj02.geojson"),
            shared_file("chongqing", "osm_buildings_yuzhong.geojson"),
            codes,
        )
    return path


def yuzhong_scenario(tmp: Path, *, facilities: list[dict] | None = None, siting: bool = True):
    """The Yuzhong example with the illustrative facility list and the synthetic streets.

    Two synthetic streets are rural, so elderly homes there get 15 minutes (an override for the
    test) and the others the example's 10: the what-if carries a threshold per home.
    """
    shared_file("chongqing", "osm_roads_yuzhong.geojson")
    raw = yaml.safe_load((EXAMPLES / "yuzhong.yaml").read_text(encoding="utf-8"))
    raw["data_dir"] = str(SHARED)
    if facilities is None:
        facilities = [{"path": str(facility_list(tmp / "fac.csv")), "crs": "wgs84"}]
    raw["facilities"] = facilities
    raw["admin"] = [{"path": str(streets_layer(tmp)), "level": "street", "crs": "gcj02"}]
    raw["thresholds"] = {"elderly": {"urban": 10, "rural": 15}}  # both thresholds in play
    if not siting:
        raw.pop("siting", None)
    return scenario_from_dict(raw, where="whatif test", base_dir=EXAMPLES)


def engine_numbers(result, service: str, sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """The run's coverage rows with exactly ``sites`` open: the engine's reach and indicator table."""
    run = result.services[service]
    reach = service_reach(
        result.network,
        run.reach.demand,
        sites,
        service=service,
        costs=run.reach.costs,
        layers=Layers(result.scenario.outputs.max_snap_m),
    )
    units = None if result.units is None else pd.DataFrame(result.units.drop(columns="geometry"))
    return _ind.indicator_table(
        result.demand,
        {service: reach.time_s},
        {service: run.threshold_s},
        units=units,
        standards=result.standards,
    )


def rows_of(table: pd.DataFrame, service: str, group: str, scope: str) -> pd.DataFrame:
    """``pop`` and ``pop_covered`` per unit of ``scope`` (area all) for a service and group."""
    sel = table[
        (table["service"] == service)
        & (table["group"] == group)
        & (table["area"] == "all")
        & (table["scope"] == scope)
        & table["metric"].isin(["pop", "pop_covered"])
    ]
    return sel.pivot_table(index="unit", columns="metric", values="value", aggfunc="first")


def synthetic_payload(n_homes: int = 100_000, seed: int = 0, spacing_m: float = 125.0) -> dict:
    """A what-if payload of ``n_homes`` homes spread over about 100 km² near Chongqing (synthetic).

    Sites on a ``spacing_m`` grid; the time from a home to a site is its straight-line distance
    at 0.75 m/s (a detour factor over an elderly walk), kept up to 15 minutes; thresholds 15
    minutes. Five percent of the sites are existing facilities, one percent proposed.
    """
    rng = np.random.default_rng(seed)
    side = 10_000.0
    hx, hy = rng.random(n_homes) * side, rng.random(n_homes) * side
    g = np.arange(spacing_m / 2, side, spacing_m)
    sx, sy = (a.ravel() for a in np.meshgrid(g, g))
    from scipy.spatial import cKDTree

    limit = 900.0
    dist = cKDTree(np.c_[hx, hy]).sparse_distance_matrix(
        cKDTree(np.c_[sx, sy]), limit * 0.75, output_type="coo_matrix"
    )
    m = sp.csr_matrix(
        (np.maximum(dist.data / 0.75, ZERO_TIME_S), (dist.row, dist.col)), shape=(n_homes, len(sx))
    )
    thr = np.full(n_homes, limit)
    indptr, indices, seconds = wi.pack_times(m, thr)
    kind = np.full(len(sx), wi.KINDS.index("candidate"))
    kind[rng.choice(len(sx), len(sx) // 20, replace=False)] = wi.KINDS.index("existing")
    free = np.flatnonzero(kind == wi.KINDS.index("candidate"))
    kind[rng.choice(free, len(sx) // 100, replace=False)] = wi.KINDS.index("proposed")
    lon0, lat0, mlon, mlat = 106.45, 29.50, 1 / (111_320 * np.cos(np.radians(29.55))), 1 / 110_574
    slon, slat = lon0 + sx * mlon, lat0 + sy * mlat
    street = (hx // (side / 4)).astype(int) * 4 + (hy // (side / 4)).astype(int)
    w = rng.integers(1, 40, n_homes).astype(float)
    return {
        "v": 1,
        "homes": {
            "n": n_homes,
            "lon": wi.encode(lon0 + hx * mlon, "f8"),
            "lat": wi.encode(lat0 + hy * mlat, "f8"),
            "weights": {"pop_total": wi.encode(w * 5, "f8"), "pop_60": wi.encode(w, "f8")},
            "labels": {"pop_total": "pop_total", "pop_60": "pop_60"},
        },
        "levels": [
            {
                "scope": "street",
                "label": "street",
                "codes": [f"S{i:02d}" for i in range(16)],
                "names": [f"S{i:02d}" for i in range(16)],
                "idx": wi.encode(street, "u2"),
            }
        ],
        "services": [
            {
                "key": "elderly",
                "label": "elderly",
                "group": "pop_60",
                "groups": ["pop_60", "pop_total"],
                "minutes": "15",
                "known": True,
                "value": "elderly",
                "thr": wi.encode(np.floor(thr), "u2"),
                "indptr": wi.encode(indptr, "u4"),
                "indices": wi.encode(indices, "u2"),
                "times": wi.encode(seconds, "u2"),
                "sites": {
                    "id": [f"s{j}" for j in range(len(sx))],
                    "name": [""] * len(sx),
                    "tier": [""] * len(sx),
                    "kind": wi.encode(kind, "u1"),
                    "lon": wi.encode(slon, "f8"),
                    "lat": wi.encode(slat, "f8"),
                    "lon_gcj": wi.encode(slon, "f8"),
                    "lat_gcj": wi.encode(slat, "f8"),
                },
            }
        ],
    }


# -- packing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["u1", "u2", "u4", "f8"])
def test_typed_arrays_round_trip(dtype):
    rng = np.random.default_rng(1)
    values = rng.integers(0, 200, 37) if dtype != "f8" else rng.random(37) * 1e5
    spec = wi.encode(values, dtype)
    assert spec["dtype"] == dtype and re.fullmatch(r"[A-Za-z0-9+/=]*", spec["b64"])
    got = wi.decode(spec)
    assert got.dtype.itemsize == np.dtype(dtype).itemsize
    assert np.array_equal(got, np.asarray(values, dtype=dtype))


def test_whole_seconds_keep_coverage_exact():
    # one home per row; thresholds 600 s (whole) and 600.5 s (not whole)
    times = [599.2, 600.0, 600.2, ZERO_TIME_S, 600.3, 600.7, 700.0]
    rows = [0, 0, 0, 0, 1, 1, 1]
    cols = [0, 1, 2, 3, 0, 1, 2]
    m = sp.csr_matrix((times, (rows, cols)), shape=(2, 4))
    thr = np.array([600.0, 600.5])
    indptr, indices, sec = wi.pack_times(m, thr)
    assert indptr.tolist() == [0, 4, 7] and indices.tolist() == [0, 1, 2, 3, 0, 1, 2]
    # rounded up, except 600.3 (within 600.5) which rounding up would push past floor(600.5)
    assert sec.tolist() == [600, 600, 601, 1, 600, 601, 700]
    floor_thr = np.floor(thr)[np.repeat([0, 1], np.diff(indptr))]
    exact = np.asarray(times) <= thr[rows]
    assert np.array_equal(sec <= floor_thr, exact)


def test_csr_round_trip_and_page_rule():
    rng = np.random.default_rng(4)
    dense = np.where(rng.random((50, 12)) < 0.3, rng.random((50, 12)) * 1300, 0.0)
    m = sp.csr_matrix(dense)
    thr = np.where(rng.random(50) < 0.5, 900.0, 1200.0)
    indptr, indices, sec = wi.pack_times(m, thr)
    back = sp.csr_matrix((sec.astype(float), indices, indptr), shape=m.shape)
    assert np.array_equal(back.toarray() > 0, dense > 0)
    assert np.array_equal(back.toarray(), np.ceil(dense))  # no entry within a threshold needs clamping here
    part = {
        "indptr": wi.encode(indptr, "u4"),
        "indices": wi.encode(indices, "u2"),
        "times": wi.encode(sec, "u2"),
        "thr": wi.encode(thr, "u2"),
        "sites": {"id": [str(j) for j in range(12)]},
    }
    for open_sites in ([0, 3], [5], list(range(12)), []):
        want = (np.where(dense[:, open_sites] > 0, dense[:, open_sites], np.inf) <= thr[:, None]).any(axis=1)
        assert np.array_equal(wi.covered_homes(part, np.asarray(open_sites, dtype=int)), want)


def test_synthetic_payload_shape():
    p = synthetic_payload(n_homes=2_000, seed=1)
    part = p["services"][0]
    n_sites = len(part["sites"]["id"])
    assert n_sites == 80 * 80
    assert len(wi.decode(part["indptr"])) == 2_001
    kinds = np.bincount(wi.decode(part["sites"]["kind"]), minlength=4)
    assert kinds.tolist() == [320, 64, n_sites - 384, 0]


# -- the page block --------------------------------------------------------------------------------


def test_page_block_is_inert_json_and_chinese_first():
    payload = {"v": 1, "homes": {"n": 0}, "services": [], "note": "</script><script>alert(1)</script>&\u2028"}
    block = whatif_html(payload, "zh")
    data = re.search(r'<script type="application/json" id="lc-whatif-data">(.*?)</script>', block, re.S)
    assert data is not None
    assert "</script" not in data.group(1) and "<" not in data.group(1) and "&" not in data.group(1)
    got = json.loads(data.group(1))
    assert got["note"] == payload["note"] and got["lang"] == "zh"
    assert got["texts"]["greedy"] == "添加最佳下一站" and got["texts"]["export"] == "导出方案"
    assert whatif_texts("en")["greedy"] == "Add the best next station"
    assert not [k for k, v in whatif_texts("en").items() if CJK.search(v)]
    page = "<html><body><div></div></body></html>"
    assert insert_whatif(page, block).endswith(block + "</body></html>")


def test_script_has_no_eval_no_markup_from_data():
    js = (Path(wi.__file__).resolve().parents[1] / "maps" / "templates" / "whatif.js").read_text("utf-8")
    for bad in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert bad not in js, bad
    assert "fetch(" not in js and "XMLHttpRequest" not in js and "import(" not in js
    assert not CJK.search(js)


# -- Yuzhong: the payload against the engine ------------------------------------------------------


@pytest.fixture(scope="module")
def yz(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("whatif")
    result = run_scenario(yuzhong_scenario(tmp), None, lang="zh")
    return result, wi.whatif_payload(result, lang="zh"), tmp


def test_yuzhong_payload_size_and_sites(yz):
    result, payload, _ = yz
    assert payload["bytes"] == wi.payload_bytes({k: v for k, v in payload.items() if k != "bytes"})
    assert payload["bytes"] <= 5_000_000  # the budget for a district such as Yuzhong
    assert [p["key"] for p in payload["services"]] == ["elderly", "childcare"]
    el = payload["services"][0]
    kinds = np.bincount(wi.decode(el["sites"]["kind"]), minlength=4)
    assert kinds[0] == 20 and kinds[1] == len(result.sites) and kinds[2] + kinds[1] == len(result.demand)
    assert el["minutes"] == "10/15" and el["group"] == "pop_60" and el["known"]
    assert set(np.unique(wi.decode(el["thr"]))) == {600, 900}
    street = payload["levels"][0]
    assert street["scope"] == "street" and len(street["codes"]) == 11
    assert all(CJK.search(n) for n in street["names"])
    print(f"\nwhat-if payload, Yuzhong: {payload['bytes']:,} bytes")


def test_yuzhong_baseline_and_proposal_equal_the_run(yz):
    result, payload, _ = yz
    for part in payload["services"]:
        run = result.services[part["key"]]
        kinds = wi.decode(part["sites"]["kind"])
        got = wi.covered_homes(part, np.flatnonzero(kinds == 0))
        assert np.array_equal(got, run.reach.time_s <= run.threshold_s)
    el = payload["services"][0]
    kinds = wi.decode(el["sites"]["kind"])
    got = wi.covered_homes(el, np.flatnonzero(kinds <= 1))
    assert np.array_equal(got, result.after.reach.time_s <= result.after.threshold_s)


def test_yuzhong_random_sets_equal_the_engine(yz):
    result, payload, _ = yz
    rng = np.random.default_rng(11)
    for part in payload["services"]:
        svc = part["key"]
        sites = wi.site_table(result, svc)
        run = result.services[svc]
        for size in (1, 7, 40):
            pick = np.sort(rng.choice(len(sites), size, replace=False))
            reach = service_reach(
                result.network, run.reach.demand, sites.iloc[pick], service=svc, costs=run.reach.costs,
                layers=Layers(result.scenario.outputs.max_snap_m),
            )  # fmt: skip
            assert np.array_equal(wi.covered_homes(part, pick), reach.time_s <= run.threshold_s)


def test_helsinki_demo_payload(tmp_path):
    from lifecircle.maps.webmap import write_map
    from lifecircle.scenarios.outputs import map_inputs
    from lifecircle.scenarios.presets import example_scenario
    from lifecircle.scenarios.schema import load_scenario

    result = run_scenario(load_scenario(example_scenario("helsinki")), None, lang="zh")
    path = write_map(map_inputs(result, "zh"), tmp_path / "map.html", lang="zh")
    size = path.stat().st_size
    added = wi.add_whatif(result, path, lang="zh")
    assert 'id="lc-whatif-data"' in path.read_text(encoding="utf-8")
    payload = wi.whatif_payload(result, lang="zh")
    assert "too_large" not in payload
    for part in payload["services"]:
        run = result.services[part["key"]]
        kinds = wi.decode(part["sites"]["kind"])
        got = wi.covered_homes(part, np.flatnonzero(kinds == 0))
        assert np.array_equal(got, run.reach.time_s <= run.threshold_s)
    print(f"\nHelsinki demo: map.html {size:,} bytes, the what-if adds {added:,} bytes")


def test_too_large_runs_point_to_the_command_line(yz):
    result, _, _ = yz
    small = wi.WhatIfOptions(max_bytes=100_000, command="lifecircle run yuzhong.yaml --out run")
    got = wi.whatif_payload(result, options=small)
    assert got["too_large"] and got["bytes"] > 100_000 and got["limit"] == 100_000
    assert "services" not in got and got["command"].startswith("lifecircle run")
    block = whatif_html(got, "zh")
    assert "lifecircle run yuzhong.yaml" in block
    default = wi.whatif_payload(result, lang="zh", options=wi.WhatIfOptions(max_bytes=1))
    assert default["command"].startswith("lifecircle run ") and CJK.search(default["command"])


def test_a_failing_whatif_leaves_the_map_and_notes_why(yz, monkeypatch, tmp_path):
    result = yz[0]

    def boom(*_args, **_kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(wi, "whatif_payload", boom)
    path = tmp_path / "map.html"
    path.write_text("<html><body>map</body></html>", encoding="utf-8")
    n = len(result.notes)
    try:
        assert wi.add_whatif(result, path, lang="zh") == 0
        assert path.read_text(encoding="utf-8") == "<html><body>map</body></html>"
        assert len(result.notes) == n + 1 and "boom" in result.notes[-1].text("zh")
    finally:
        del result.notes[n:]


def test_sites_computed_before_the_proposal_give_the_same_payload(yz):
    result, payload, _ = yz
    ready = wi.early_sites(result, "zh")
    assert wi.whatif_payload(result, lang="zh", ready=ready) == payload
    kinds = wi.decode(payload["services"][0]["sites"]["kind"])
    assert (kinds == wi.KINDS.index("proposed")).sum() == len(result.siting.sites) > 0


def _same_walks(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    """The same walks: the same home × site pairs, times equal but for rounding (sites searched together
    or apart add an edge's pieces in another order, 1e-13 s)."""
    a, b = a.tocsr(), b.tocsr()
    a.sort_indices()
    b.sort_indices()
    same = a.shape == b.shape and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    return bool(same and np.allclose(a.data, b.data, rtol=0, atol=1e-9))


def test_the_siting_matrix_completes_the_early_what_if(yz):
    result, payload, _ = yz
    early = wi.early_sites(result, "zh", candidates_later=True)
    assert not early["elderly"].complete and early["childcare"].complete
    full = wi.early_sites(result, "zh")["elderly"]
    first = early["elderly"].matrix.shape[1]
    assert first == int((wi.decode(payload["services"][0]["sites"]["kind"]) == 0).sum())  # the existing ones
    done = early["elderly"].with_candidates(full.matrix[:, first:])
    assert done.complete and _same_walks(done.matrix, full.matrix)
    assert wi.whatif_payload(result, lang="zh", ready={**early, "elderly": done}) == payload
    assert wi.whatif_payload(result, lang="zh", ready=early) == payload  # left incomplete: computed anew


@pytest.mark.parametrize("hand_over", [True, False], ids=["handed-over", "forked-when-ready"])
def test_the_run_writes_the_payload_its_writer_computed(yz, tmp_path, monkeypatch, hand_over):
    from lifecircle.scenarios import beside, outputs

    _, payload, tmp = yz
    shared = []
    if not hand_over:  # a run too large to pickle for the prepared writer
        monkeypatch.setattr(outputs, "HAND_OVER_ROWS", 0)
    else:  # the siting step's matrix is the what-if's candidates' columns, handed to the writer
        share = outputs.share_matrix
        monkeypatch.setattr(outputs, "share_matrix", lambda w, s, m: (shared.append(m), share(w, s, m)))
    fetched = []  # what the writer sent back: the isochrones after, drawn there for the map and the layers
    fetch = beside.Prepared.fetch
    monkeypatch.setattr(
        beside.Prepared, "fetch", lambda self, name: fetched.append(fetch(self, name)) or fetched[-1]
    )
    run = run_scenario(yuzhong_scenario(tmp), tmp_path / "out", lang="zh")
    if hand_over:
        full = wi.early_sites(yz[0], "zh")["elderly"].matrix
        assert len(shared) == 1 and _same_walks(shared[0], full[:, full.shape[1] - shared[0].shape[1] :])
        assert len(fetched) == 1 and len(fetched[0]) == 4
    else:
        assert fetched == []  # drawn in this process during the siting step
    page = (tmp_path / "out" / "map.html").read_text(encoding="utf-8")
    data = re.search(r'<script type="application/json" id="lc-whatif-data">(.*?)</script>', page, re.S)
    written = json.loads(data.group(1))
    assert {k: written[k] for k in payload} == payload
    assert run.timings["write:whatif"] > 0 and (tmp_path / "out" / "layers.gpkg").exists()
    # the isochrones with the proposal open: drawn by the writer (handed over) or here, the same,
    # kept by the run and written to the layers
    drawn = yz[0].after.isochrones  # a run without outputs has no writer: drawn in this process
    got = run.after.isochrones
    assert len(drawn) == 4 and got is not None
    pd.testing.assert_frame_equal(got.drop(columns="geometry"), drawn.drop(columns="geometry"))
    assert got.geometry.geom_equals_exact(drawn.geometry, 1e-6).all()
    layer = gpd.read_file(tmp_path / "out" / "layers.gpkg", layer="isochrones")
    after = layer[layer["service"] == "elderly_after"]
    np.testing.assert_allclose(after["area_m2"], drawn["area_m2"])


def _early_whatif_services() -> list[str]:
    from lifecircle.scenarios.beside import early

    ready = early("whatif")
    return sorted(ready) if ready is not None else []


def test_the_writer_computes_the_sites_ahead_in_its_own_process(yz):
    from functools import partial

    from lifecircle.scenarios import beside, outputs

    result, _, _ = yz
    if not beside.can_fork():
        pytest.skip("needs os.fork (POSIX)")
    with beside.prepared(lambda: None) as child:
        outputs.write_ahead(child, result, "zh")
        got = beside.run_beside(partial(_early_whatif_services), lambda: None, child=child)
    assert got == ["childcare", "elderly"]


def test_candidates_at_the_homes_walk_as_if_snapped_again(yz):
    """Candidates from the demand are attached where the homes are: the same matrix as snapping them."""
    from lifecircle.scenarios.executors import InProcess, ReachContext, ReachJob, Sites
    from lifecircle.scenarios.siting import candidates

    result = yz[0]
    run, cand = result.services["elderly"], candidates(result)
    ctx = ReachContext(result.network, result.demand, result.scenario.outputs.max_snap_m, "x")
    job = ReachJob("elderly", run.reach.profile, run.reach.costs, run.facilities)
    limit = float(run.threshold_s.max())
    again = InProcess().matrix(ctx, job, Sites(cand, limit, run.reach.demand, what="candidates"))
    at_homes = InProcess().matrix(
        ctx, job, Sites(cand, limit, run.reach.demand, what="candidates", at_homes=True)
    )
    assert again.nnz > 10 * len(cand) and _same_walks(again, at_homes)
