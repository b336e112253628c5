"""Shared fixtures: paths to the real data in ../shared (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(*parts: str) -> Path:
    """Path of a file under ../shared/data, or skip the test with a clear reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent (../shared is not beside the checkout)")
    return path


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """Run ``lifecircle ARGS`` through the console entry point in this process.

    Returns the exit code (0 when ``main`` returns or exits with ``None``), stdout and stderr.
    """
    import sys

    from lifecircle.scenarios.cli import main

    monkeypatch.setattr(sys, "argv", ["lifecircle", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    got = capsys.readouterr()
    return code, got.out, got.err


@pytest.fixture(scope="session")
def yuzhong_roads() -> Path:
    return shared_file("chongqing", "osm_roads_yuzhong.geojson")


@pytest.fixture(scope="session")
def yuzhong_buildings() -> Path:
    return shared_file("chongqing", "osm_buildings_yuzhong.geojson")


@pytest.fixture(scope="session")
def yuzhong_boundary() -> Path:
    return shared_file("chongqing", "boundaries", "500103.gcj02.geojson")


@pytest.fixture(scope="session")
def saopaulo_pbf() -> Path:
    return shared_file("saopaulo", "spo_osm.pbf")


@pytest.fixture(scope="session")
def saopaulo_hexgrid() -> Path:
    return shared_file("saopaulo", "spo_hexgrid.csv")


@pytest.fixture(scope="session")
def yuzhong_network(yuzhong_roads):
    from lifecircle.geodata.sources import read_network

    return read_network(yuzhong_roads)


# -- the hand-checkable network shared by the engine tests ----------------------------------------

#: Origin of the hand network in UTM zone 48N (metres), so lengths are exact.
X0, Y0 = 500000.0, 3300000.0
UTM48 = pyproj.CRS.from_epsg(32648)


def hand_line(*pts):
    """A LineString through ``pts`` given relative to the origin ``(X0, Y0)``."""
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in pts])


def hand_xy(*pts):
    """Metric ``(x, y)`` arrays of points given relative to the origin."""
    a = np.array(pts, dtype=float)
    return (X0 + a[:, 0], Y0 + a[:, 1])


def hand_network():
    """Seven edges: A(0,0)–B(100,0)–C(200,0); C–D(200,100) steps; B–E(100,100)–D; D–G(300,100);
    G–H a 150 m hairpin (east, north, west). East-west edges climb under the tests' planar DEM."""
    from lifecircle.geodata.network import build_network

    lines = gpd.GeoDataFrame(
        {"highway": ["footway", "residential", "steps", "footway", "residential", "footway", "footway"]},
        geometry=[
            hand_line((0, 0), (100, 0)),
            hand_line((100, 0), (200, 0)),
            hand_line((200, 0), (200, 100)),
            hand_line((100, 0), (100, 100)),
            hand_line((100, 100), (200, 100)),
            hand_line((200, 100), (300, 100)),
            hand_line((300, 100), (350, 100), (350, 150), (300, 150)),
        ],
        crs=UTM48,
    )
    return build_network(lines, source="hand", crs=UTM48)


def yuzhong_scenario_yaml(name: str, facility_list: Path | str, extra: str = "") -> str:
    """A Yuzhong scenario on the real data in ../shared: one elderly facility list (WGS84), the
    buildings holding document 001's population, and ``extra`` YAML lines (units, thresholds)."""
    return f"""
name: {name}
data_dir: {SHARED}
jurisdiction: yuzhong
study_area:
  boundary: {{path: chongqing/boundaries/500103.gcj02.geojson, crs: gcj02}}
network: {{source: chongqing/osm_roads_yuzhong.geojson}}
services: [elderly]
facilities:
  - {{path: {facility_list}, crs: wgs84, service: elderly}}
demand:
  kind: buildings
  path: chongqing/osm_buildings_yuzhong.geojson
  totals: {{pop_total: 588700, pop_60: 116300, pop_0_3: 17420}}
{extra}"""
