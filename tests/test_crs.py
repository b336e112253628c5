"""Chinese coordinate systems: WGS84 ⇄ GCJ-02 ⇄ BD-09 round trips, identity abroad, layer conversion."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from lifecircle.geodata.common import InputError
from lifecircle.geodata.crs import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    parse_crs,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")
ALL = (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84)


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


@pytest.fixture(scope="module")
def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """A 0.2° grid over China's extent (73–135.5 °E, 3–54 °N): about 80,000 points."""
    lon, lat = np.meshgrid(np.arange(73.0, 135.5, 0.2), np.arange(3.0, 54.0, 0.2))
    return lon.ravel(), lat.ravel()


def test_gcj02_round_trip_within_1m_over_china(china_grid):
    lon, lat = china_grid
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert _metres(lon, lat, glon, glat).min() > 10  # the offset is real everywhere in the grid
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    err = _metres(lon, lat, wlon, wlat)
    assert err.max() < 1.0
    assert err.max() < 0.01  # the iterated inverse is in fact centimetre-exact


def test_gcj02_round_trip_near_the_edges_of_the_box():
    # WGS84 points just inside the box whose GCJ-02 position falls outside it (north and east)
    lat = np.arange(1.0, 55.8, 0.1)
    lon = np.full(lat.shape, 137.83)
    lon2 = np.arange(72.1, 137.8, 0.1)
    lat2 = np.full(lon2.shape, 55.826)
    lon, lat = np.r_[lon, lon2], np.r_[lat, lat2]
    assert in_china(lon, lat).all()
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert not in_china(glon, glat).all()
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    assert _metres(lon, lat, wlon, wlat).max() < 1.0


def test_bd09_round_trips(china_grid):
    lon, lat = china_grid
    blon, blat = wgs84_to_bd09(lon, lat)
    wlon, wlat = bd09_to_wgs84(blon, blat)
    assert _metres(lon, lat, wlon, wlat).max() < 1.0
    blon, blat = gcj02_to_bd09(lon, lat)
    glon, glat = bd09_to_gcj02(blon, blat)
    assert _metres(lon, lat, glon, glat).max() < 1.0
    # BD-09 is GCJ-02 shifted again, by roughly 0.0065° east and 0.006° north
    shift = _metres(*gcj02_to_wgs84(lon, lat), lon, lat)
    assert np.median(_metres(lon, lat, blon, blat)) > 500
    assert shift.max() < 800


def test_published_reference_values():
    # the widely used coordtransform library's documented example (Beijing, 116.404, 39.915)
    np.testing.assert_allclose(
        wgs84_to_gcj02(116.404, 39.915), (116.41024449916938, 39.91640428150164), atol=1e-9
    )
    np.testing.assert_allclose(
        gcj02_to_bd09(116.404, 39.915), (116.41036949371029, 39.92133699351021), atol=1e-9
    )
    # its BD-09 → GCJ-02 is a one-step approximation; ours is iterated, the two agree within a metre
    lon, lat = bd09_to_gcj02(116.404, 39.915)
    assert _metres(lon, lat, 116.39762729119315, 39.90865673957631) < 1.0


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(24.9384, 60.1699), (-46.6333, -23.5505), (0.0, 0.0), (139.6917, 35.6895), (151.2093, -33.8688)],
    ids=["helsinki", "sao-paulo", "null-island", "tokyo", "sydney"],
)
def test_identity_outside_china(lon, lat):
    assert not in_china(lon, lat)
    for func in ALL:
        x, y = func(np.array([lon]), np.array([lat]))
        assert (x[0], y[0]) == (lon, lat), func.__name__


def test_offset_in_chongqing_is_a_few_hundred_metres():
    lon, lat = np.array([106.55, 106.58, 106.45]), np.array([29.56, 29.55, 29.52])  # Yuzhong, Jiulongpo
    glon, glat = wgs84_to_gcj02(lon, lat)
    offset = _metres(lon, lat, glon, glat)
    assert ((offset > 300) & (offset < 600)).all()
    # GCJ-02 lies to the east and south-ish of WGS84 here: longitude grows
    assert (glon > lon).all()


def test_to_wgs84_declaration_overrides_the_file():
    pts = gpd.GeoDataFrame(geometry=shapely.points([106.5771], [29.5585]), crs=4326)
    out = to_wgs84(pts, "gcj02", where="list.geojson")
    expected = gcj02_to_wgs84(106.5771, 29.5585)
    assert out.crs.equals(pyproj.CRS.from_epsg(4326))
    assert out.geometry.x.iloc[0] == pytest.approx(float(expected[0]), abs=1e-12)
    assert out.geometry.y.iloc[0] == pytest.approx(float(expected[1]), abs=1e-12)
    bd = to_wgs84(pts, "BD-09", where="list.geojson")
    assert bd.geometry.x.iloc[0] == pytest.approx(float(bd09_to_wgs84(106.5771, 29.5585)[0]), abs=1e-12)
    # without a declaration the file's CRS is used; an EPSG declaration reprojects
    same = to_wgs84(pts, None, where="list.geojson")
    assert same.geometry.x.iloc[0] == 106.5771
    utm = gpd.GeoDataFrame(geometry=shapely.points([646000.0], [3270000.0]), crs=None)
    back = to_wgs84(utm, "EPSG:32648", where="list.geojson")
    assert 106.4 < back.geometry.x.iloc[0] < 106.6
    # from_wgs84 inverts to_wgs84
    shifted = from_wgs84(out, "gcj02")
    assert shifted.geometry.x.iloc[0] == pytest.approx(106.5771, abs=1e-9)


def test_crs_declaration_errors():
    assert parse_crs("WGS84", where="x").to_epsg() == 4326
    assert parse_crs("gcj-02", where="x") == "gcj02"
    assert parse_crs("4326", where="x").to_epsg() == 4326
    with pytest.raises(InputError, match=r"list\.csv: unknown CRS 'mars'"):
        parse_crs("mars", where="list.csv")
    with pytest.raises(InputError, match=r"list\.csv: no CRS declared"):
        parse_crs(None, where="list.csv")
    bare = gpd.GeoDataFrame(geometry=shapely.points([106.5], [29.5]))
    with pytest.raises(InputError, match=r"list\.csv: the layer has no CRS"):
        to_wgs84(bare, None, where="list.csv")


@pytest.mark.realdata
def test_yuzhong_boundary_holds_the_buildings_only_once_converted(yuzhong_boundary, yuzhong_buildings):
    boundary = gpd.read_file(yuzhong_boundary)
    buildings = gpd.read_file(yuzhong_buildings)
    centroids = gpd.GeoSeries(buildings.to_crs(32648).centroid, crs=32648).to_crs(4326).to_numpy()
    raw = shapely.union_all(boundary.geometry.to_numpy())
    converted = shapely.union_all(
        to_wgs84(boundary, "gcj02", where=str(yuzhong_boundary)).geometry.to_numpy()
    )
    share_raw = shapely.contains(raw, centroids).mean()
    share_converted = shapely.contains(converted, centroids).mean()
    assert len(centroids) > 1500
    assert share_converted >= 0.99  # 99.5 % measured
    assert share_raw < 0.90  # about 84 % unconverted
    # the outline moved by the Chongqing offset, a few hundred metres
    shift = _metres(
        *shapely.get_coordinates(raw.centroid)[0], *shapely.get_coordinates(converted.centroid)[0]
    )
    assert 300 < shift < 600
