"""Shared fixtures: paths to the real data in ../shared (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(*parts: str) -> Path:
    """Path of a file under ../shared/data, or skip the test with a clear reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"real data not available: {path} is absent (../shared is not beside the checkout)"
        )
    return path


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
