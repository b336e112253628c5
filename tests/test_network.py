"""Walk networks: noding at shared vertices only, walkable classes, components, formats, real data."""

from __future__ import annotations

import bz2
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from lifecircle.geodata.common import InputError
from lifecircle.geodata.sources import embedded_pbf, network_summary, read_network

LON0, LAT0, D = 106.55, 29.55, 0.001  # a small grid in central Chongqing, ~100 m per step

#: The walkable classes of the issue, written out here independently of geodata.walkable.
ISSUE_WALKABLE = {
    "footway", "pedestrian", "path", "steps", "living_street", "residential", "service",
    "unclassified", "tertiary", "secondary", "primary", "tertiary_link", "secondary_link",
    "primary_link", "track", "cycleway", "bridleway",
}  # fmt: skip


def _ll(points):
    return [[LON0 + x * D, LAT0 + y * D] for x, y in points]


def _write_lines(path: Path, rows: list[dict]) -> Path:
    feats = [
        {
            "type": "Feature",
            "properties": {k: v for k, v in row.items() if k != "coords"},
            "geometry": {"type": "LineString", "coordinates": _ll(row["coords"])},
        }
        for row in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


#: A: residential through (1,0); B: footway leaving A's interior vertex (1,0);
#: C: primary bridge crossing A at (0.5,0) with no shared vertex; D: motorway (not walkable);
#: E: motorway with foot=yes; F: Geofabrik track_grade3.
LINES = [
    {"osm_id": "1", "fclass": "residential", "bridge": "F", "foot": None, "coords": [(0, 0), (1, 0), (2, 0)]},
    {"osm_id": "2", "fclass": "footway", "bridge": "F", "foot": None, "coords": [(1, 0), (1, 1)]},
    {"osm_id": "3", "fclass": "primary", "bridge": "T", "foot": None, "coords": [(0.5, -1), (0.5, 1)]},
    {"osm_id": "4", "fclass": "motorway", "bridge": "F", "foot": None, "coords": [(2, 0), (3, 0)]},
    {"osm_id": "5", "fclass": "motorway", "bridge": "F", "foot": "yes", "coords": [(2, 0), (2, -1)]},
    {"osm_id": "6", "fclass": "track_grade3", "bridge": "F", "foot": None, "coords": [(0, 0), (0, 1)]},
]


@pytest.fixture
def lines_file(tmp_path) -> Path:
    return _write_lines(tmp_path / "roads.geojson", LINES)


def _projected_length(path: Path, crs, osm_ids) -> float:
    gdf = gpd.read_file(path)
    gdf = gdf.loc[gdf["osm_id"].isin(osm_ids)].to_crs(crs)
    return float(gdf.length.sum())


def _node_at(net, lon, lat, tol=0.01) -> bool:
    pt = gpd.GeoSeries(shapely.points([lon], [lat]), crs=4326).to_crs(net.crs).iloc[0]
    return bool(np.any(np.hypot(net.x - pt.x, net.y - pt.y) < tol))


def test_line_layer_nodes_at_shared_vertices_only(lines_file):
    net = read_network(lines_file, keep="all")
    # ways kept: A, B, C, E, F; nodes: A's three vertices, B's end, C's two ends, E's end, F's end
    assert net.n_nodes == 8
    # A is split in two at the vertex it shares with B; every other way is one edge
    assert net.n_edges == 6
    assert sorted(pd.Series(net.way_id).value_counts().to_dict().items()) == [
        ("1", 2), ("2", 1), ("3", 1), ("5", 1), ("6", 1),
    ]  # fmt: skip
    assert _node_at(net, LON0 + 1 * D, LAT0)  # the shared interior vertex
    assert not _node_at(net, LON0 + 0.5 * D, LAT0, tol=1.0)  # the bridge crossing is no node
    assert net.components.n_components == 2
    # the bridge's edge touches no edge of the road it crosses
    bridge = np.flatnonzero(net.way_id == "3")
    road = np.flatnonzero(net.way_id == "1")
    assert not (set(net.u[bridge]) | set(net.v[bridge])) & (set(net.u[road]) | set(net.v[road]))
    # edge geometry runs from u to v
    start = shapely.get_point(net.geometry, 0)
    np.testing.assert_allclose(shapely.get_x(start), net.x[net.u], atol=1e-6)
    np.testing.assert_allclose(shapely.get_y(start), net.y[net.u], atol=1e-6)


def test_total_length_preserved_and_classes(lines_file):
    net = read_network(lines_file, keep="all")
    expected = _projected_length(lines_file, net.crs, ["1", "2", "3", "5", "6"])
    assert net.length.sum() == pytest.approx(expected, rel=1e-9)
    assert net.components.length_total_m == pytest.approx(expected, rel=1e-9)
    classes = dict(zip(net.way_id, net.highway, strict=True))
    assert classes["6"] == "track"  # track_grade3 → track
    assert classes["5"] == "motorway"  # kept only because foot=yes
    assert "4" not in classes  # a motorway without foot=yes is not walkable
    # each step of the grid is ~100 m north-south and ~97 m east-west at 29.55°N
    assert net.length[net.way_id == "2"][0] == pytest.approx(110.8, abs=1.0)


def test_giant_component_kept_and_drop_reported(lines_file):
    net = read_network(lines_file)  # keep="giant" by default
    rep = net.components
    bridge_len = _projected_length(lines_file, net.crs, ["3"])
    assert (net.n_nodes, net.n_edges) == (6, 5)
    assert (rep.nodes_total, rep.nodes_kept, rep.nodes_dropped) == (8, 6, 2)
    assert rep.largest == (6, 2)
    assert rep.length_dropped_m == pytest.approx(bridge_len, rel=1e-9)
    assert "3" not in set(net.way_id)
    summary = network_summary(net)
    assert summary["nodes_dropped"] == 2
    assert summary["share_nodes_kept"] == pytest.approx(6 / 8)
    assert summary["km_by_class"]["track"] == pytest.approx(0.1108, abs=0.001)


def test_line_layer_without_class_column(tmp_path):
    path = _write_lines(tmp_path / "noclass.geojson", [{"name": "x", "coords": [(0, 0), (1, 0)]}])
    with pytest.raises(InputError, match=r"noclass\.geojson: no road class column.*fclass.*highway"):
        read_network(path)


def test_no_walkable_ways_and_empty_clip(tmp_path, lines_file):
    path = _write_lines(tmp_path / "motorways.geojson", [{"fclass": "motorway", "coords": [(0, 0), (1, 0)]}])
    with pytest.raises(InputError, match=r"motorways\.geojson: no walkable ways"):
        read_network(path)
    with pytest.raises(InputError, match=r"roads\.geojson: no walkable ways left after clipping"):
        read_network(lines_file, clip=(10.0, 10.0, 10.1, 10.1))
    # a clip that keeps only the footway B: the cut line keeps its length inside the box
    net = read_network(lines_file, clip=(LON0 + 0.9 * D, LAT0 + 0.5 * D, LON0 + 1.1 * D, LAT0 + 1.5 * D))
    assert set(net.way_id) == {"2"}
    assert net.length.sum() == pytest.approx(110.8 / 2, abs=1.0)


def test_gpkg_round_trip(tmp_path, lines_file):
    net = read_network(lines_file, keep="all")
    saved = net.to_file(tmp_path / "net.gpkg")
    back = read_network(saved)
    assert (back.n_nodes, back.n_edges) == (net.n_nodes, net.n_edges)
    np.testing.assert_allclose(back.x, net.x)
    np.testing.assert_allclose(back.y, net.y)
    np.testing.assert_array_equal(back.u, net.u)
    np.testing.assert_array_equal(back.v, net.v)
    np.testing.assert_allclose(back.length, net.length)
    assert list(back.highway) == list(net.highway)
    assert list(back.way_id) == list(net.way_id)
    assert back.crs.equals(net.crs)
    assert shapely.equals_exact(back.geometry, net.geometry, tolerance=1e-6).all()
    with pytest.raises(InputError, match=r"net\.geojson: a network is saved as a GeoPackage"):
        net.to_file(tmp_path / "net.geojson")
    assert not (tmp_path / "net.geojson").exists()


OSM_XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand">
  <node id="1" lat="{y0}" lon="{x0}" version="1"/>
  <node id="2" lat="{y0}" lon="{x1}" version="1"/>
  <node id="3" lat="{y0}" lon="{x2}" version="1"/>
  <node id="4" lat="{y1}" lon="{x1}" version="1"/>
  <node id="5" lat="{y0}" lon="{x3}" version="1"/>
  <node id="6" lat="{ym1}" lon="{x2}" version="1"/>
  <node id="7" lat="{y2}" lon="{x1}" version="1"/>
  <node id="8" lat="{ym1}" lon="{xh}" version="1"/>
  <node id="9" lat="{y1}" lon="{xh}" version="1"/>
  <way id="101" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/></way>
  <way id="102" version="1"><nd ref="2"/><nd ref="4"/><tag k="highway" v="footway"/></way>
  <way id="103" version="1"><nd ref="3"/><nd ref="5"/><tag k="highway" v="motorway"/></way>
  <way id="104" version="1"><nd ref="3"/><nd ref="6"/>
    <tag k="highway" v="motorway"/><tag k="foot" v="yes"/></way>
  <way id="105" version="1"><nd ref="4"/><nd ref="7"/><tag k="highway" v="steps"/></way>
  <way id="106" version="1"><nd ref="8"/><nd ref="9"/>
    <tag k="highway" v="primary"/><tag k="bridge" v="yes"/><tag k="layer" v="1"/></way>
  <way id="107" version="1"><nd ref="4"/><nd ref="9"/>
    <tag k="highway" v="service"/><tag k="access" v="private"/></way>
</osm>
""".format(
    x0=LON0, x1=LON0 + D, x2=LON0 + 2 * D, x3=LON0 + 3 * D, xh=LON0 + 0.5 * D,
    y0=LAT0, y1=LAT0 + D, y2=LAT0 + 2 * D, ym1=LAT0 - D,
)  # fmt: skip


@pytest.fixture
def osm_files(tmp_path) -> tuple[Path, Path]:
    xml = tmp_path / "tiny.osm"
    xml.write_text(OSM_XML, encoding="utf-8")
    packed = tmp_path / "tiny.osm.bz2"
    packed.write_bytes(bz2.compress(OSM_XML.encode("utf-8")))
    return xml, packed


@pytest.mark.parametrize("which", [0, 1], ids=["osm", "osm.bz2"])
def test_osm_xml(osm_files, which):
    net = read_network(osm_files[which], keep="all")
    ways = pd.Series(net.way_id).value_counts().to_dict()
    # residential split at node 2; motorway 103 and private service 107 dropped; bridge 106 apart
    assert ways == {"101": 2, "102": 1, "104": 1, "105": 1, "106": 1}
    assert net.n_nodes == 8
    assert net.components.n_components == 2
    assert set(net.highway) == {"residential", "footway", "motorway", "steps", "primary"}
    assert not _node_at(net, LON0 + 0.5 * D, LAT0, tol=1.0)
    giant = read_network(osm_files[which])
    assert giant.components.nodes_dropped == 2
    assert "106" not in set(giant.way_id)


def test_unreadable_sources(tmp_path):
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"this is not a protocol buffer")
    with pytest.raises(InputError, match=r"broken\.osm\.pbf: not a readable OSM PBF"):
        read_network(bad)
    odd = tmp_path / "roads.docx"
    odd.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=r"roads\.docx: unknown network format"):
        read_network(odd)
    with pytest.raises(InputError, match=r"nowhere\.geojson: no such file"):
        read_network(tmp_path / "nowhere.geojson")


# ------------------------------------------------------------------------------------ real data


def _walkable_input(path: Path, crs) -> gpd.GeoDataFrame:
    gdf = gpd.read_file(path)
    cls = gdf["fclass"].str.replace(r"^track_grade\d$", "track", regex=True)
    return gdf.loc[cls.isin(ISSUE_WALKABLE)].to_crs(crs)


@pytest.mark.realdata
def test_yuzhong_network(yuzhong_network, yuzhong_roads):
    net = yuzhong_network
    rep = net.components
    assert rep.share_nodes_kept >= 0.95
    assert rep.nodes_kept == net.n_nodes
    steps = net.highway == "steps"
    assert steps.sum() >= 100  # 129 steps ways in the input
    assert net.length[steps].sum() > 3000
    walkable = _walkable_input(yuzhong_roads, net.crs)
    expected = float(walkable.length.sum())
    assert rep.length_total_m == pytest.approx(expected, rel=0.01)
    # no way outside the issue's classes slipped in (Geofabrik has no foot tag: no trunk, no motorway)
    assert set(net.highway) <= ISSUE_WALKABLE
    assert net.crs.to_epsg() == 32648


@pytest.mark.realdata
def test_yuzhong_bridges_stay_apart(yuzhong_roads):
    net = read_network(yuzhong_roads, keep="all")
    walkable = _walkable_input(yuzhong_roads, net.crs).reset_index(drop=True)
    geoms = walkable.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = left < right
    left, right = left[pairs], right[pairs]
    is_bridge = walkable["bridge"].to_numpy() == "T"
    pairs = is_bridge[left] ^ is_bridge[right]  # a bridge against a way that is not one
    left, right = left[pairs], right[pairs]
    # crossing points that are a vertex of neither line: the lines merely cross there
    crossings = []
    for a, b in zip(left, right, strict=True):
        inter = shapely.get_parts(shapely.intersection(geoms[a], geoms[b]))
        pts = shapely.get_coordinates(inter[shapely.get_type_id(inter) == 0])
        va = shapely.get_coordinates(geoms[a])
        vb = shapely.get_coordinates(geoms[b])
        for p in pts:
            da = np.min(np.hypot(*(va - p).T))
            db = np.min(np.hypot(*(vb - p).T))
            if da > 1.0 and db > 1.0:
                crossings.append((walkable["osm_id"][a], walkable["osm_id"][b], p))
    assert len(crossings) >= 150  # 207 in the 2022 extract: central Chongqing has many flyovers
    tree_nodes = cKDTree(np.column_stack([net.x, net.y]))
    edge_tree = shapely.STRtree(net.geometry)
    for wa, wb, p in crossings:
        assert not tree_nodes.query_ball_point(p, r=1.0), f"a node was made where {wa} crosses {wb}"
        # both ways still pass through the crossing, each inside one of its own edges, whose ends
        # are elsewhere: the two ways are not joined there
        hits = edge_tree.query(shapely.points(p), predicate="dwithin", distance=0.01)
        ways_here = set(net.way_id[hits])
        assert {wa, wb} <= ways_here
        end_nodes = np.r_[net.u[hits], net.v[hits]]
        ends = np.column_stack([net.x[end_nodes], net.y[end_nodes]])
        assert np.hypot(*(ends - p).T).min() > 1.0


@pytest.mark.realdata
def test_saopaulo_pbf(saopaulo_pbf):
    net = read_network(saopaulo_pbf)
    rep = net.components
    assert 5000 <= net.n_nodes <= 9000  # 6,848 nodes in the giant component of ~6,000 ways
    assert rep.share_nodes_kept >= 0.95
    assert net.crs.to_epsg() == 32723
    minlon, minlat, maxlon, maxlat = net.bounds_wgs84()
    assert -46.70 < minlon < maxlon < -46.55 and -23.60 < minlat < maxlat < -23.50
    km = net.length_by_class()
    assert 500 < km.sum() < 900
    assert km["residential"] > km["primary"] > 0
    assert km["steps"] > 1.0
    # only trunk ways tagged foot=yes are walkable here
    assert {"motorway", "motorway_link"}.isdisjoint(set(net.highway))


def test_helsinki_embedded_network():
    net = read_network("embedded")
    assert net.source == str(embedded_pbf())
    assert 2500 <= net.n_nodes <= 4000
    assert net.components.share_nodes_kept >= 0.9
    assert net.crs.to_epsg() == 32635
    km = net.length_by_class()
    assert km.index[0] == "footway"  # a pedestrian-rich city centre
    assert 0.5 < km["steps"] < 2.0
    assert 70 < km.sum() < 110
