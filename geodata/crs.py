"""Chinese coordinate systems: WGS84 ⇄ GCJ-02 ⇄ BD-09, vectorized, and layer conversion on load.

GCJ-02 ("Mars coordinates") is the obfuscated datum that Chinese map services (Amap/高德,
Tencent, Tianditu's Chinese partners) publish; BD-09 is Baidu's further offset of GCJ-02. The
forward formulas are the published ones; the inverses are solved by fixed-point iteration to
well under a centimetre. Outside China (the conventional bounding box 72.004–137.8347 °E,
0.8293–55.8271 °N) every transform is the identity, as the services themselves behave.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from lifecircle.geodata.errors import InputError

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0

#: Names accepted wherever a layer declares its CRS, besides EPSG codes.
NAMED_CRS = ("wgs84", "gcj02", "bd09")


def in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Return a boolean array: inside the box where GCJ-02 applies."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    return (lon >= 72.004) & (lon <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (degrees) at WGS84 ``(lon, lat)``."""
    x, y = lon - 105.0, lat - 35.0
    sq = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sq
    dlat += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sq
    dlon += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 longitude/latitude arrays to GCJ-02."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lon, lat)
    inside = in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude arrays to WGS84 (iterated inverse, error < 1 cm)."""
    glon, glat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(8):
        dlon, dlat = _delta(wlon, wlat)
        wlon, wlat = glon - dlon, glat - dlat
    # the forward transform shifts a point when its WGS84 position is inside the box, so the
    # inverse decides by the solution, not by the input (they differ near the box's edges)
    inside = in_china(wlon, wlat)
    return np.where(inside, wlon, glon), np.where(inside, wlat, glat)


def _bd09_shift(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 position of GCJ-02 ``(x, y)``, without the inside-China test."""
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert GCJ-02 longitude/latitude arrays to BD-09."""
    x, y = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    bx, by = _bd09_shift(x, y)
    inside = in_china(x, y)
    return np.where(inside, bx, x), np.where(inside, by, y)


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 longitude/latitude arrays to GCJ-02 (iterated inverse)."""
    blon, blat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    glon, glat = blon - 0.0065, blat - 0.006
    for _ in range(6):
        flon, flat = _bd09_shift(glon, glat)
        glon = glon - (flon - blon)
        glat = glat - (flat - blat)
    inside = in_china(glon, glat)  # decided by the solution, as in `gcj02_to_wgs84`
    return np.where(inside, glon, blon), np.where(inside, glat, blat)


def bd09_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert BD-09 longitude/latitude arrays to WGS84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def wgs84_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 longitude/latitude arrays to BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def parse_crs(value: str | int | pyproj.CRS | None, *, where: str) -> str | pyproj.CRS:
    """Return ``"gcj02"``, ``"bd09"`` or a `pyproj.CRS` for a user's CRS declaration.

    Accepts ``wgs84``, ``gcj02``, ``bd09`` (any case, with or without ``-``/``_``), an EPSG
    code (``4326``, ``"EPSG:32648"``) or anything `pyproj.CRS` understands. ``where`` names the
    file or setting for the error message.
    """
    if isinstance(value, pyproj.CRS):
        return value
    if value is None:
        raise InputError(
            f"{where}: no CRS declared; add crs: wgs84, gcj02, bd09 or an EPSG code.",
            zh=f"{where}：未声明坐标系；请添加 crs: wgs84、gcj02、bd09 或 EPSG 代码。",
        )
    key = str(value).strip().lower().replace("-", "").replace("_", "")
    if key in {"wgs84", "gcj02", "bd09"}:
        return pyproj.CRS.from_epsg(4326) if key == "wgs84" else key
    try:
        return pyproj.CRS.from_user_input(int(key) if key.isdigit() else value)
    except pyproj.exceptions.CRSError:
        raise InputError(
            f"{where}: unknown CRS {value!r}; use wgs84, gcj02, bd09 or an EPSG code.",
            zh=f"{where}：无法识别的坐标系 {value!r}；请使用 wgs84、gcj02、bd09 或 EPSG 代码。",
        ) from None


def transform_geometries(geoms: np.ndarray, func) -> np.ndarray:
    """Apply a ``(lon, lat) -> (lon, lat)`` array function to every vertex of ``geoms``."""

    def _xy(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms), _xy)


def to_wgs84(
    gdf: gpd.GeoDataFrame, declared: str | int | pyproj.CRS | None, *, where: str
) -> gpd.GeoDataFrame:
    """Return ``gdf`` in WGS84, converting from the CRS the user declared.

    ``declared`` overrides whatever CRS the file carries: Chinese sources label GCJ-02
    coordinates as EPSG:4326, so the declaration is the truth. With no declaration the file's
    own CRS is used, and a layer with neither is an error.
    """
    if declared is None:
        if gdf.crs is None:
            raise InputError(
                f"{where}: the layer has no CRS; declare one (wgs84, gcj02, bd09 or an EPSG code).",
                zh=f"{where}：图层没有坐标系；请声明坐标系（wgs84、gcj02、bd09 或 EPSG 代码）。",
            )
        return gdf.to_crs(4326)
    crs = parse_crs(declared, where=where)
    if isinstance(crs, str):
        out = gdf.copy()
        out.geometry = gpd.GeoSeries(
            transform_geometries(gdf.geometry.to_numpy(), _TO_WGS84[crs]), index=gdf.index
        )
        return out.set_crs(4326, allow_override=True)
    return gdf.set_crs(crs, allow_override=True).to_crs(4326)


def from_wgs84(gdf: gpd.GeoDataFrame, target: str) -> gpd.GeoDataFrame:
    """Return a WGS84 ``gdf`` shifted into ``gcj02`` or ``bd09`` (labelled EPSG:4326).

    Used to draw overlays on Chinese basemaps whose tiles are in GCJ-02.
    """
    out = gdf.to_crs(4326).copy()
    out.geometry = gpd.GeoSeries(
        transform_geometries(out.geometry.to_numpy(), _FROM_WGS84[target]), index=out.index
    )
    return out
