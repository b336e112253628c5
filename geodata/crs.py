"""Chinese coordinate systems: WGS84 ⇄ GCJ-02 ⇄ BD-09, vectorized, and layer conversion on load.

GCJ-02 ("Mars coordinates") is the obfuscated datum that Chinese map services (Amap,
Tencent, Tianditu's Chinese partners) publish; BD-09 is Baidu's further offset of GCJ-02. The
forward formulas are the published ones; the inverses are solved by fixed-point iteration to
well under a centimetre. Outside China (the conventional bounding box 72.004–137.8347 °E,
0.8293–55.8271 °N) every transform is the identity, as the services themselves behave.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from .common import InputError, Msg, Note

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


def parse_crs(value: str | int | pyproj.CRS | None, *, where: str | Msg) -> str | pyproj.CRS:
    """Return ``"gcj02"``, ``"bd09"`` or a `pyproj.CRS` for a user's CRS declaration.

    Accepts ``wgs84``, ``gcj02``, ``bd09`` (any case, with or without ``-``/``_``), an EPSG
    code (``4326``, ``"EPSG:32648"``) or anything `pyproj.CRS` understands. ``where`` names the
    file or setting for the error message.
    """
    if isinstance(value, pyproj.CRS):
        return value
    if value is None:
        raise InputError("crs.none_declared", where=where)
    key = str(value).strip().lower().replace("-", "").replace("_", "")
    if key in {"wgs84", "gcj02", "bd09"}:
        return pyproj.CRS.from_epsg(4326) if key == "wgs84" else key
    try:
        crs = pyproj.CRS.from_user_input(int(key) if key.isdigit() else value)
    except pyproj.exceptions.CRSError:
        raise InputError("crs.unknown", where=where, value=value) from None
    ellipsoid = crs.ellipsoid
    if ellipsoid is None or not 6.3e6 < ellipsoid.semi_major_metre < 6.4e6:
        if crs.name:
            raise InputError("crs.not_earth.named", where=where, value=value, name=crs.name)
        raise InputError("crs.not_earth", where=where, value=value)
    return crs


def transform_geometries(geoms: np.ndarray, func) -> np.ndarray:
    """Apply a ``(lon, lat) -> (lon, lat)`` array function to every vertex of ``geoms``."""

    def _xy(coords: np.ndarray) -> np.ndarray:
        x, y = func(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms), _xy)


def to_wgs84(
    gdf: gpd.GeoDataFrame, declared: str | int | pyproj.CRS | None, *, where: str | Msg
) -> gpd.GeoDataFrame:
    """Return ``gdf`` in WGS84, converting from the CRS the user declared.

    ``declared`` overrides whatever CRS the file carries: Chinese sources label GCJ-02
    coordinates as EPSG:4326, so the declaration is the truth. With no declaration the file's
    own CRS is used, and a layer with neither is an error.
    """
    if declared is None:
        if gdf.crs is None:
            raise InputError("crs.layer_without_crs", where=where)
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


# -- checks: a bbox's order and range, a layer's datum ---------------------------------------------


def bbox_msg(bbox) -> Msg | None:
    """What is wrong with a lon/lat bbox ``[west, south, east, north]``, or ``None`` when nothing is.

    The message is a clause saying the reason and its fix (no file name, no final full stop),
    for a caller to put after the name of the file or option. Swapped latitude and longitude are
    told apart from values out of range: a south or north beyond ±90° that would be a valid
    longitude, or a box outside China whose swap falls inside it.

    Parameters
    ----------
    bbox
        Four numbers, west, south, east, north, in degrees (WGS84).
    """
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError):
        return Msg("crs.bbox.not_numbers")
    if not all(np.isfinite([w, s, e, n])):
        return Msg("crs.bbox.not_finite")
    fix = f"[{_deg(s)}, {_deg(w)}, {_deg(n)}, {_deg(e)}]"
    swapped = Msg("crs.bbox.swapped", w=_deg(w), s=_deg(s), fix=fix)
    lat_ok = abs(s) <= 90 and abs(n) <= 90
    lon_ok = abs(w) <= 180 and abs(e) <= 180
    if not lat_ok and abs(w) <= 90 and abs(e) <= 90 and abs(s) <= 180 and abs(n) <= 180:
        return swapped
    if not (lat_ok and lon_ok):
        return Msg("crs.bbox.out_of_range", w=_deg(w), s=_deg(s), e=_deg(e), n=_deg(n))
    centre = (np.array([(w + e) / 2]), np.array([(s + n) / 2]))
    if not in_china(*centre)[0] and in_china(centre[1], centre[0])[0]:
        return swapped
    if w >= e:
        return Msg("crs.bbox.west_east", w=_deg(w), e=_deg(e))
    if s >= n:
        return Msg("crs.bbox.south_north", s=_deg(s), n=_deg(n))
    return None


def bbox_problem(bbox) -> tuple[str, str] | None:
    """`bbox_msg` as an English and a Chinese clause, or ``None`` when the bbox is fine.

    Kept for callers that still compose literal (en, zh) sentences; new code uses `bbox_msg`.
    """
    msg = bbox_msg(bbox)
    return None if msg is None else (msg.text("en"), msg.text("zh"))


def _deg(v: float) -> str:
    """A coordinate as written by a person: no trailing zeros."""
    return f"{v:.6f}".rstrip("0").rstrip(".")


#: A point farther than this from every network line is "off the network" (m).
DATUM_FAR_M = 100.0
#: The declared datum is questioned when at least this share of the points is off the network …
DATUM_MIN_FAR_SHARE = 0.05
#: … and the other datum brings that share below this fraction of it.
DATUM_RATIO = 0.3


@dataclass(frozen=True)
class DatumCheck:
    """How far a layer's points lie from the network as declared and as if in the other datum.

    In a sparse network the median distance tells a shifted layer at once (hundreds of metres
    against tens). In a dense city a GCJ-02 shift of about 500 m still lands most points near
    some street, so the median barely moves; the points pushed off the network (into a river,
    beyond the network's edge) tell it instead. The check therefore compares the share of points
    farther than `DATUM_FAR_M` from every line, and reports the medians beside it.

    Attributes
    ----------
    declared
        ``wgs84`` or ``gcj02``: how the layer was read.
    other
        The other datum, the one tried.
    points
        Points measured (inside China, at most the sample size).
    median_m, median_other_m
        Median distance from a point to the nearest network line, metres: as declared, and with
        the points read in the other datum.
    far_share, far_other_share
        Share of the points farther than `DATUM_FAR_M` from every line, likewise.
    """

    declared: str
    other: str
    points: int
    median_m: float
    median_other_m: float
    far_share: float
    far_other_share: float

    @property
    def suspect(self) -> bool:
        """Whether the other datum fits the network much better (the declaration looks wrong).

        At least two points, and `DATUM_MIN_FAR_SHARE` of them, are off the network as declared,
        the other datum leaves at most `DATUM_RATIO` of that share off it, and its median is no
        larger.
        """
        return (
            self.far_share * self.points >= 2
            and self.far_share >= DATUM_MIN_FAR_SHARE
            and self.far_other_share <= DATUM_RATIO * self.far_share
            and self.median_other_m <= self.median_m
        )


def datum_of(declared: str | int | pyproj.CRS | None, *, where: str | Msg) -> str | None:
    """``wgs84`` or ``gcj02`` for a layer's declared CRS; ``None`` for BD-09 and projected CRSs.

    A layer that declares nothing was read in its file's own (longitude/latitude) CRS and counts
    as WGS84, which is how Chinese sources label GCJ-02 coordinates too.
    """
    if declared is None:
        return "wgs84"
    crs = parse_crs(declared, where=where)
    if isinstance(crs, str):
        return "gcj02" if crs == "gcj02" else None
    return "wgs84" if crs.is_geographic else None


def datum_check(
    lon: np.ndarray,
    lat: np.ndarray,
    declared: str,
    lines: np.ndarray,
    lines_crs: pyproj.CRS,
    *,
    sample: int = 5000,
    min_points: int = 3,
) -> DatumCheck | None:
    """Measure a layer's distances to a network as read and as if its datum were the other one.

    The points were read as ``declared`` and converted to WGS84. Read in the other datum they
    would lie elsewhere: a layer declared WGS84 whose raw values are GCJ-02 belongs at
    `gcj02_to_wgs84` of its points, one declared GCJ-02 whose raw values are WGS84 at
    `wgs84_to_gcj02` of them. Only points inside China count (GCJ-02 is the identity
    elsewhere); a large layer is measured on an evenly spaced sample.

    Parameters
    ----------
    lon, lat
        The layer's points in WGS84, as loaded.
    declared
        ``wgs84`` or ``gcj02`` (see `datum_of`).
    lines
        The network's line geometries, in ``lines_crs``.
    lines_crs
        A metric CRS (the network's UTM zone).
    sample
        At most this many points are measured.
    min_points
        Fewer points inside China than this give ``None``.

    Returns
    -------
    DatumCheck or None
        The medians and off-network shares both ways, or ``None`` when there are too few
        points or no lines.
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    keep = np.isfinite(lon) & np.isfinite(lat) & in_china(lon, lat)
    lon, lat = lon[keep], lat[keep]
    if len(lon) < min_points or len(lines) == 0:
        return None
    if len(lon) > sample:
        pick = np.unique(np.linspace(0, len(lon) - 1, sample).round().astype(np.int64))
        lon, lat = lon[pick], lat[pick]
    other = "gcj02" if declared == "wgs84" else "wgs84"
    olon, olat = gcj02_to_wgs84(lon, lat) if declared == "wgs84" else wgs84_to_gcj02(lon, lat)
    to_net = pyproj.Transformer.from_crs(4326, lines_crs, always_xy=True)
    tree = shapely.STRtree(np.asarray(lines))

    def distances(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        px, py = to_net.transform(x, y)
        _, dist = tree.query_nearest(shapely.points(px, py), return_distance=True, all_matches=False)
        return dist

    d, do = distances(lon, lat), distances(olon, olat)
    return DatumCheck(
        declared,
        other,
        len(lon),
        float(np.median(d)),
        float(np.median(do)),
        float(np.mean(d > DATUM_FAR_M)),
        float(np.mean(do > DATUM_FAR_M)),
    )


def datum_note(check: DatumCheck | None, *, where: str | Msg) -> Note | None:
    """A note for the planner when `DatumCheck.suspect`: both medians, both shares, the fix; else ``None``."""
    if check is None or not check.suspect:
        return None
    name = {"wgs84": "WGS84", "gcj02": "GCJ-02"}
    return Note(
        "crs.datum_suspect",
        where=where,
        declared=name[check.declared],
        other=name[check.other],
        far_share=check.far_share,
        far_m=DATUM_FAR_M,
        median_m=check.median_m,
        far_other_share=check.far_other_share,
        median_other_m=check.median_other_m,
        origin=Msg("crs.origin.gcj02") if check.other == "gcj02" else Msg("crs.origin.wgs84"),
        crs=check.other,
    )
