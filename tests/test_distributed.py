"""Partitioned runs on a local Dask cluster equal the single-process run exactly; failures are retried."""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import cloudpickle
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from lifecircle.coverage import indicators as _ind
from lifecircle.coverage.profiles import get_profile
from lifecircle.coverage.reach import service_reach
from lifecircle.geodata.common import InputError
from lifecircle.geodata.network import build_network
from lifecircle.geodata.sources import read_network
from lifecircle.scenarios import distributed as dist
from lifecircle.scenarios.partition import (
    FileSource,
    SyntheticGridSource,
    TileGrid,
    finish_partition,
    giant_components,
    load_partition,
    parse_tiles,
    reach_margin_m,
)

# the fault-injecting sources below travel to the workers by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

ELDERLY = get_profile("elderly")
LIMIT_S = 900.0


@pytest.fixture(scope="module")
def client():
    with dist.dask_client(n_workers=2) as c:
        yield c


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-for-bit equal, infinities included."""
    return bool(np.array_equal(a, b))


def _assert_exact(got: np.ndarray, ref, net) -> None:
    """Bit-for-bit equal to the single run's `ServiceReach` times, infinities included.

    Points nearest to a node tie between the node's edges; snapping breaks such ties by the
    edges' end coordinates, so a partition picks the same edge as the whole network.
    """
    same = (got == ref.time_s) | (np.isinf(got) & np.isinf(ref.time_s))
    bad = np.flatnonzero(~same)
    assert len(bad) == 0, f"points {bad[:5]} differ: {got[bad[:5]]} vs {ref.time_s[bad[:5]]}"


# -- tiles and margins -----------------------------------------------------------------------------


def test_tiles_are_half_open_and_cover_the_plane():
    grid = TileGrid.from_bounds((0.0, 0.0, 300.0, 200.0), 3, 2)
    assert grid.xcuts == (100.0, 200.0) and grid.ycuts == (100.0,)
    x = np.array([-1e9, 0.0, 99.999, 100.0, 200.0, 1e9, np.nan, 150.0])
    y = np.array([-1e9, 0.0, 50.0, 100.0, 99.0, 1e9, 5.0, 100.0])
    # a point on a cut belongs to the tile above/right of it; outer tiles reach to infinity
    assert grid.owner(x, y).tolist() == [0, 0, 0, 4, 2, 5, 0, 4]
    assert [grid.tile_id(k) for k in (0, 2, 5)] == ["c0r0", "c2r0", "c2r1"]
    assert grid.box(4) == (100.0, 100.0, 200.0, 200.0)
    assert grid.zone(0, 10.0).bounds == (-10.0, -10.0, 110.0, 110.0)


def test_parse_tiles():
    assert parse_tiles("4x4") == (4, 4)
    assert parse_tiles("3×2") == (3, 2)
    assert parse_tiles("5") == (5, 5)
    assert parse_tiles([3, 3]) == (3, 3)
    with pytest.raises(InputError, match="COLUMNSxROWS"):
        parse_tiles("four")
    with pytest.raises(InputError, match="whole numbers"):
        parse_tiles("0x3")


def test_reach_margin_counts_fastest_edge_and_both_snaps():
    # 900 s at 0.9 m/s + 2 × 250 m + 1 m
    assert reach_margin_m(900, [ELDERLY], 250, sloped=False) == pytest.approx(810 + 500 + 1)
    fast_steps = ELDERLY.override(steps_factor=1.4)
    assert reach_margin_m(600, [ELDERLY, fast_steps], 100, sloped=False) == pytest.approx(
        600 * 0.9 * 1.4 + 201
    )
    assert reach_margin_m(600, [ELDERLY], 0, sloped=True) == pytest.approx(600 * 0.9 * np.exp(0.175) + 1)


def test_synthetic_tiles_are_cut_from_the_same_city():
    src = SyntheticGridSource.with_nodes(2500, seed=5)
    whole = src.whole().set_index("row")
    x0, y0, _, _ = src.bounds()
    box = (x0 + 500, y0 + 700, x0 + 1500, y0 + 1600)
    part = src.lines(box).set_index("row")
    assert 0 < len(part) < len(whole)
    assert part.index.isin(whole.index).all()
    assert shapely.equals_exact(part.geometry.to_numpy(), whole.loc[part.index].geometry.to_numpy(), 0).all()
    # every line meeting the box is there
    meets = shapely.intersects(whole.geometry.to_numpy(), shapely.box(*box))
    assert whole.index[meets].isin(part.index).all()
    assert (part["highway"] == whole.loc[part.index, "highway"]).all()


# -- exactness without a cluster -------------------------------------------------------------------


def _local_run(source, grid, margin, dx, dy, fx, fy, limit=LIMIT_S):
    loaded = [load_partition(source, grid, k, margin) for k in range(grid.n_tiles)]
    giant = giant_components([p.summary for p in loaded])
    out = np.full(len(dx), np.nan)
    specs = [dist.ServiceSpec("elderly", ELDERLY, limit)]
    for p in loaded:
        own = np.flatnonzero(grid.owner(dx, dy) == p.tile)
        fp = dist.zone_subset(fx, fy, grid.zone(p.tile, margin))
        r = dist.reach_task(
            p,
            giant[p.tile],
            grid,
            dist.TilePoints(own, dx[own], dy[own]),
            {"elderly": fp},
            specs,
            dist.TileSearch(margin, 250.0, None),
        )
        out[r.demand_idx] = r.time_s["elderly"]
    return out, loaded


@pytest.fixture(scope="module")
def yuzhong(yuzhong_roads, yuzhong_buildings):
    net = read_network(yuzhong_roads)
    b = gpd.read_file(yuzhong_buildings)
    c = b.geometry.to_crs(net.crs).centroid
    dx, dy = c.x.to_numpy(), c.y.to_numpy()
    rng = np.random.default_rng(20240601)
    fi = np.sort(rng.choice(len(dx), 68, replace=False))
    fx, fy = dx[fi], dy[fi]
    single = service_reach(net, (dx, dy), (fx, fy), profile=ELDERLY, limit_s=LIMIT_S)
    area = shapely.area(b.to_crs(net.crs).geometry.to_numpy())
    return net, dx, dy, fx, fy, single, area


@pytest.fixture(scope="module")
def yuzhong_true(yuzhong):
    """The single run without a search limit: true times, however long."""
    net, dx, dy, fx, fy, _, _ = yuzhong
    return service_reach(net, (dx, dy), (fx, fy), profile=ELDERLY)


def test_yuzhong_every_tiling_is_exact_and_a_thin_buffer_is_not(yuzhong, yuzhong_roads):
    net, dx, dy, fx, fy, single, _ = yuzhong
    src = FileSource(str(yuzhong_roads), crs=net.crs)
    margin = reach_margin_m(LIMIT_S, [ELDERLY], 250, sloped=False)
    bounds = (dx.min(), dy.min(), dx.max(), dy.max())
    reached = np.isfinite(single.time_s).mean()
    assert 0.5 < reached < 1.0  # a real mix of reached and unreached points
    for nx, ny in ((3, 3), (6, 5)):
        grid = TileGrid.from_bounds(bounds, nx, ny, extent=src.extent())
        out, loaded = _local_run(src, grid, margin, dx, dy, fx, fy)
        assert _same(out, single.time_s), (nx, ny)
        # each node of the single network's components is counted by exactly one tile
        assert sum(p.summary.own_nodes.sum() for p in loaded) == net.components.nodes_total
    # a buffer narrower than the reach changes some times: the margin is what makes it exact
    grid = TileGrid.from_bounds(bounds, 3, 3, extent=src.extent())
    thin, _ = _local_run(src, grid, 300.0, dx, dy, fx, fy)
    assert not _same(thin, single.time_s)


@dataclass(frozen=True, eq=False)
class _FrameSource:
    """Lines held in memory (metric), for hand-made component cases."""

    frame: gpd.GeoDataFrame
    crs: pyproj.CRS

    def lines(self, bbox):
        return self.frame.loc[shapely.intersects(self.frame.geometry.to_numpy(), shapely.box(*bbox))]

    def describe(self) -> str:
        return "frame"

    def extent(self):
        return tuple(self.frame.total_bounds)


def test_giant_component_is_chosen_globally_not_per_tile():
    crs = pyproj.CRS.from_epsg(32648)
    x0, y0 = 500000.0, 3300000.0
    # a long street of 40 × 100 m links (41 nodes) across all tiles, and a dense 6 × 6 block
    # (36 nodes) inside the first tile: locally the block is the larger, globally the street
    street = [shapely.LineString([(x0 + 100 * i, y0), (x0 + 100 * (i + 1), y0)]) for i in range(40)]
    gx = x0 + 200 + 30 * np.arange(6)
    gy = y0 + 400 + 30 * np.arange(6)
    block = [shapely.LineString([(gx[i], gy[j]), (gx[i + 1], gy[j])]) for i in range(5) for j in range(6)]
    block += [shapely.LineString([(gx[i], gy[j]), (gx[i], gy[j + 1])]) for i in range(6) for j in range(5)]
    geoms = street + block
    frame = gpd.GeoDataFrame(
        {"row": np.arange(len(geoms)), "highway": "footway", "way_id": [str(i) for i in range(len(geoms))]},
        geometry=geoms,
        crs=crs,
    )
    src = _FrameSource(frame, crs)
    net = build_network(frame[["highway", "way_id", "geometry"]], source="frame", keep="giant", crs=crs)
    assert net.n_nodes == 41
    dx = np.array([x0 + 50, x0 + 260, x0 + 1950, x0 + 3950])
    dy = np.array([y0 + 20, y0 + 410, y0 - 30, y0 + 40])
    fx, fy = np.array([x0 + 300, x0 + 3900]), np.array([y0 + 220, y0 + 5])
    single = service_reach(net, (dx, dy), (fx, fy), profile=ELDERLY, limit_s=LIMIT_S)
    grid = TileGrid.from_bounds((x0, y0 - 100, x0 + 4000, y0 + 600), 4, 1, extent=src.extent())
    margin = 400.0  # narrow on purpose: tile c0r0 sees the block and only part of the street
    first = load_partition(src, grid, 0, margin)
    sizes = np.bincount(first.labels)
    assert sizes.max() == 36  # the block is the largest component inside the first tile
    giant = giant_components([load_partition(src, grid, k, margin).summary for k in range(4)])
    kept = finish_partition(first, giant[0])
    assert kept.n_nodes < first.net.n_nodes and np.all(kept.y == y0)  # the block is dropped
    # the home inside the block is 410 m from the street: off the network in the single run,
    # but it would be reached had the tile kept its own largest component
    local = finish_partition(first, np.array([int(np.argmax(sizes))]))
    wrong = service_reach(local, (dx[:2], dy[:2]), (fx[:1], fy[:1]), profile=ELDERLY, limit_s=LIMIT_S)
    assert np.isinf(single.time_s[1]) and np.isfinite(wrong.time_s[1])
    out, _ = _local_run(src, grid, margin, dx, dy, fx, fy)
    assert _same(out, single.time_s)
    assert np.isfinite(single.time_s[[0, 3]]).all()


# -- on a local Dask cluster -----------------------------------------------------------------------


def test_yuzhong_four_tiles_on_dask_equal_single_run(client, yuzhong, yuzhong_true, yuzhong_roads):
    net, dx, dy, fx, fy, bounded, area = yuzhong
    single = yuzhong_true
    src = FileSource(str(yuzhong_roads), crs=net.crs)
    spec = dist.ServiceSpec("elderly", ELDERLY, LIMIT_S)
    got = dist.partitioned_reach(src, (dx, dy), {"elderly": (fx, fy)}, [spec], client=client, tiles=(2, 2))
    assert len(got.tiles) == 4 and sum(t["demand"] for t in got.tiles) == len(dx)
    assert _same(got.time_s["elderly"], single.time_s)
    # homes beyond the tiles' limit get their true time from the whole network, not inf
    beyond = np.isinf(bounded.time_s) & np.isfinite(single.time_s)
    assert beyond.sum() == got.true_time_points["elderly"] > 100
    assert (got.time_s["elderly"][beyond] > LIMIT_S).all() and not got.beyond_limit["elderly"].any()
    assert np.array_equal(got.facility["elderly"], single.facility)
    # every indicator row is the same (units: 500 m cells standing in for communities)
    cx = pd.Series(np.floor((dx - dx.min()) / 500).astype(int))
    cy = pd.Series(np.floor((dy - dy.min()) / 500).astype(int))
    demand = pd.DataFrame(
        {
            "pop_total": area * 0.05,
            "pop_60": area * 0.01,
            "pop_80": area * 0.002,
            "pop_0_3": area * 0.0015,
            "district": "500103",
            "street": "s" + (cx // 3).astype(str) + "_" + (cy // 3).astype(str),
            "community": "c" + cx.astype(str) + "_" + cy.astype(str),
            "urban": True,
        }
    )
    thr = np.full(len(dx), 600.0)
    a = _ind.indicator_table(demand, {"elderly": single.time_s}, {"elderly": thr})
    b = _ind.indicator_table(demand, {"elderly": got.time_s["elderly"]}, {"elderly": thr})
    assert len(a) > 50
    pd.testing.assert_frame_equal(a, b)


def test_synthetic_city_nine_tiles_on_dask_equal_single_run(client):
    src = SyntheticGridSource.with_nodes(30_000, seed=11, drop_share=0.3)
    net = build_network(src.whole(), source="synthetic", keep="giant", crs=src.crs)
    assert net.components.n_components > 1  # dropped edges leave islands to discard
    dx, dy = src.demand()
    fx, fy = src.facilities()
    single = service_reach(net, (dx, dy), (fx, fy), profile=ELDERLY)  # true times, no limit
    spec = dist.ServiceSpec("elderly", ELDERLY, LIMIT_S, matrix_limit_s=600.0)
    got = dist.partitioned_reach(
        src,
        dist.GeneratedPoints(src, "demand"),
        {"elderly": dist.GeneratedPoints(src, "facilities")},
        [spec],
        client=client,
        tiles=(3, 3),
    )
    assert len(got.tiles) == 9
    _assert_exact(got.time_s["elderly"], single, net)
    # beyond the tiles' limit with a path: the true time (bit for bit, checked above), never inf
    far = np.isfinite(single.time_s) & (single.time_s > LIMIT_S)
    assert far.sum() == got.true_time_points["elderly"] > 100
    assert np.array_equal(np.isinf(got.time_s["elderly"]), single.no_path)
    thr = np.full(len(dx), 600.0)
    assert np.array_equal(got.time_s["elderly"] <= thr, single.time_s <= thr)
    reached = single.facility >= 0
    assert (got.facility["elderly"][~reached] == -1).all()
    # the merged reach matrix rows are the single run's rows
    from lifecircle.coverage.reach import reach_matrix

    m1 = reach_matrix(
        net, single.demand, single.facilities, limit_s=600.0, profile=ELDERLY, graph=single.graph
    )
    m2 = got.matrix["elderly"]
    assert m1.nnz == m2.nnz > 0
    assert np.array_equal(m1.indptr, m2.indptr) and np.array_equal(m1.indices, m2.indices)
    assert np.array_equal(m1.data, m2.data)


@dataclass(frozen=True, eq=False)
class _KillOnce:
    """Kills the worker process that first reads a given tile's lines (then behaves)."""

    inner: SyntheticGridSource
    marker: str

    @property
    def crs(self):
        return self.inner.crs

    def lines(self, bbox):
        if not os.path.exists(self.marker):
            Path(self.marker).write_text("killed once")
            os.kill(os.getpid(), signal.SIGKILL)
        return self.inner.lines(bbox)

    def describe(self) -> str:
        return self.inner.describe()

    def extent(self):
        return self.inner.extent()


@dataclass(frozen=True, eq=False)
class _AlwaysFails:
    inner: SyntheticGridSource

    @property
    def crs(self):
        return self.inner.crs

    def lines(self, bbox):
        raise OSError("disk went away")

    def describe(self) -> str:
        return "broken"

    def extent(self):
        return self.inner.extent()


def test_worker_killed_mid_run_is_retried_and_result_exact(client, tmp_path):
    src = SyntheticGridSource.with_nodes(6_000, seed=2)
    net = build_network(src.whole(), source="synthetic", keep="giant", crs=src.crs)
    dx, dy = src.demand()
    fx, fy = src.facilities()
    single = service_reach(net, (dx, dy), (fx, fy), profile=ELDERLY)
    marker = tmp_path / "killed"
    got = dist.partitioned_reach(
        _KillOnce(src, str(marker)),
        (dx, dy),
        {"elderly": (fx, fy)},
        [dist.ServiceSpec("elderly", ELDERLY, LIMIT_S)],
        client=client,
        tiles=(2, 2),
    )
    assert marker.exists()  # a worker really died
    _assert_exact(got.time_s["elderly"], single, net)
    client.wait_for_workers(2, timeout=60)


def test_failed_partition_is_reported_by_its_id(client):
    src = SyntheticGridSource.with_nodes(2_000, seed=2)
    dx, dy = src.demand()
    with pytest.raises(
        RuntimeError, match=r"partition c\dr\d failed after its retries \(OSError: disk went away\)"
    ):
        dist.partitioned_reach(
            _AlwaysFails(src),
            (dx, dy),
            {"elderly": src.facilities()},
            [dist.ServiceSpec("elderly", ELDERLY, LIMIT_S)],
            client=client,
            tiles=(2, 1),
            retries=1,
        )


# -- the scenario pipeline -------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def yuzhong_scenario(yuzhong_roads, yuzhong_buildings, yuzhong_boundary):
    from lifecircle.scenarios.schema import load_scenario

    scen = load_scenario(EXAMPLES / "yuzhong.yaml")
    # ten stations on building centroids (fixed seed) so there is reach to merge
    b = gpd.read_file(yuzhong_buildings)
    rng = np.random.default_rng(68)
    pick = b.iloc[np.sort(rng.choice(len(b), 10, replace=False))]
    return scen, pick


def test_scenario_partitioned_equals_single_run(client, yuzhong_scenario, tmp_path):
    from lifecircle.scenarios.pipeline import run_scenario

    scen, pick = yuzhong_scenario
    fac = gpd.GeoDataFrame(
        {"id": [f"s{i}" for i in range(len(pick))], "name": "站", "service": "elderly", "capacity": 30.0},
        geometry=pick.geometry.centroid.to_numpy(),
        crs=pick.crs,
    )
    path = tmp_path / "stations.geojson"
    fac.to_file(path)
    from lifecircle.scenarios.schema import FacilitySource

    scen = scen.model_copy(
        update={"siting": None, "facilities": [FacilitySource(path=str(path), service="elderly")]}
    )
    single = run_scenario(scen)
    part = dist.run_scenario_distributed(scen, tmp_path / "out", partitions=(2, 2), client=client)
    for svc in scen.services:
        _assert_exact(part.services[svc].reach.time_s, single.services[svc].reach, single.network)
    pd.testing.assert_frame_equal(part.indicators, single.indicators)
    # the example gives no street or community units, so only the district's coverage rows: two
    # services × two groups × areas all and urban, and the unknown 80+ row (no rows for "未知" units)
    assert (part.indicators["metric"] == "coverage").sum() == 9
    # the same isochrone areas (tiles cut the reached streets; their buffers dissolve back)
    a = single.services["elderly"].isochrones["area_m2"].to_numpy()
    b = part.services["elderly"].isochrones["area_m2"].to_numpy()
    np.testing.assert_allclose(b, a, rtol=1e-6)
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"map.html", "indicators.csv", "run.json"}


def _gpkg_tables(path: Path) -> dict[str, list[tuple]]:
    """Every table of a GeoPackage, rows in feature order, geometry blobs included."""
    import sqlite3

    with sqlite3.connect(path) as con:
        names = [r[0] for r in con.execute("select table_name from gpkg_contents order by table_name")]
        return {n: con.execute(f'select * from "{n}" order by 1').fetchall() for n in names}


def test_scenario_with_siting_partitioned_writes_the_same_tables(client, yuzhong_scenario, tmp_path):
    """``--partitions 2x2`` with a siting section: the same proposal and the same layers.gpkg.

    The ten stations (with capacities, so the 2SFCA matrix is merged from the tiles too) are the
    existing facilities; the MCLP sites five more among the building candidates on the matrix
    the tiles computed. Every table of layers.gpkg (isochrones, sites, demand, indicators) and
    indicators.csv must equal the single run's byte for byte.
    """
    from lifecircle.scenarios.pipeline import run_scenario
    from lifecircle.scenarios.schema import FacilitySource

    scen, pick = yuzhong_scenario
    fac = gpd.GeoDataFrame(
        {"id": [f"s{i}" for i in range(len(pick))], "name": "站", "service": "elderly", "capacity": 30.0},
        geometry=pick.geometry.centroid.to_numpy(),
        crs=pick.crs,
    )
    path = tmp_path / "stations.geojson"
    fac.to_file(path)
    siting = scen.siting.model_copy(update={"model": "mclp", "p": 5})
    scen = scen.model_copy(
        update={"siting": siting, "facilities": [FacilitySource(path=str(path), service="elderly")]}
    )
    single = run_scenario(scen, tmp_path / "single")
    part = dist.run_scenario_distributed(scen, tmp_path / "part", partitions=(2, 2), client=client)
    assert len(part.timings["tiles"]) == 4
    assert part.siting.objective == single.siting.objective
    assert part.sites["id"].tolist() == single.sites["id"].tolist()
    a, b = _gpkg_tables(tmp_path / "single" / "layers.gpkg"), _gpkg_tables(tmp_path / "part" / "layers.gpkg")
    assert {"isochrones", "sites", "demand"} <= set(a) and len(a["isochrones"]) > 0
    for name in a:
        assert a[name] == b[name], name
    assert set(a) == set(b)
    single_csv = (tmp_path / "single" / "indicators.csv").read_bytes()
    assert (tmp_path / "part" / "indicators.csv").read_bytes() == single_csv


def test_scenario_with_unreadable_network_fails_by_tile_and_writes_nothing(
    client, yuzhong_scenario, tmp_path
):
    from lifecircle.scenarios.schema import NetworkSpec

    scen, _ = yuzhong_scenario
    bad = tmp_path / "roads.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    scen = scen.model_copy(update={"siting": None, "network": NetworkSpec(source=str(bad))})
    out = tmp_path / "out"
    # the client reads the network before any tile does, so the sentence names the file, not a tile
    with pytest.raises(InputError, match=r"roads.geojson: cannot read it"):
        dist.run_scenario_distributed(scen, out, partitions=(2, 1), client=client, retries=0)
    assert not out.exists() and not any(tmp_path.glob(".out*"))


# -- siting at scale -------------------------------------------------------------------------------


def test_budget_split_by_largest_remainder():
    # quotas 10·[5, 3, 2]/10 = 5, 3, 2 exactly
    assert dist.split_budget(10, np.array([5.0, 3.0, 2.0])).tolist() == [5, 3, 2]
    # quotas 7·[0.5, 0.3, 0.2] = 3.5, 2.1, 1.4 → floors 3, 2, 1, one left for the largest remainder
    assert dist.split_budget(7, np.array([50.0, 30.0, 20.0])).tolist() == [4, 2, 1]
    # ties in remainder go to the lower index; districts without need get nothing
    assert dist.split_budget(1, np.array([1.0, 1.0, 0.0])).tolist() == [1, 0, 0]
    assert dist.split_budget(5, np.zeros(3)).tolist() == [0, 0, 0]
    assert dist.split_budget(3, np.array([1.0, 0.0, 2.0])).sum() == 3


def test_partitioned_siting_plans_each_district_within_its_budget(client):
    src = SyntheticGridSource.with_nodes(8_000, seed=4)
    dx, dy = src.demand()
    fx, fy = src.facilities()
    spec = dist.ServiceSpec("elderly", ELDERLY, 600.0)
    reach = dist.partitioned_reach(src, (dx, dy), {"elderly": (fx, fy)}, [spec], client=client, tiles=(2, 2))
    w = src.population()
    thr = np.full(len(dx), 600.0)
    cov = reach.time_s["elderly"] <= thr
    rng = np.random.default_rng(1)
    ci = rng.choice(len(dx), 200, replace=False)
    res = dist.partitioned_siting(
        src, (dx, dy), w, thr, cov, (dx[ci], dy[ci]), spec, client=client, grid=reach.grid, model="mclp", p=6,
        time_limit=20,
    )  # fmt: skip
    b = res.budget
    assert (
        b["allotted"].sum() == 6
        and (b["chosen"] <= b["allotted"]).all()
        and len(res.sites) == b["chosen"].sum()
    )
    # need is each tile's uncovered weight
    owner = reach.grid.owner(dx, dy)
    np.testing.assert_allclose(b["need"], np.bincount(owner[~cov], weights=w[~cov], minlength=4))
    # new sites only add coverage, and the objective is the covered weight after
    assert (res.covered_after >= res.covered_before).all()
    assert res.objective == pytest.approx(w[res.covered_after].sum())
    assert res.objective > w[cov].sum()
    # every chosen site stands in its own tile
    tiles = reach.grid.owner(dx[ci][res.sites["candidate"]], dy[ci][res.sites["candidate"]])
    assert [reach.grid.tile_id(k) for k in tiles] == res.sites["tile"].tolist()
