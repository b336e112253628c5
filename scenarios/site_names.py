"""Proposed sites named for a reader: rank, the nearest named street, coordinates in WGS84 and GCJ-02.

A site is never named by a candidate's id (an OSM id, a grid cell): its name says its rank and
the street it stands by, taken from the ``name`` tags the walk network keeps
(`lifecircle.geodata.network.WalkNetwork.name`). The same names go to the map, ``sites.geojson``,
the report and the XLSX sheet (`scenarios.outputs`).
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geodata.common import say
from ..geodata.crs import wgs84_to_gcj02
from ..geodata.network import WalkNetwork

#: Columns `site_places` adds to a sites table (kept language-neutral; `site_names` words them).
PLACE_COLUMNS: tuple[str, ...] = ("near_street", "near_street_m", "lon", "lat", "lon_gcj02", "lat_gcj02")

_CJK = re.compile(r"[\u3400-\u9fff]")
#: Latin words (with their spaces) after a Chinese name, as in OSM's "<zh> <en>" street names.
_LATIN_TAIL = re.compile(r"[\s(\uff08]*[A-Za-z][A-Za-z0-9 .,'()\-]*[)\uff09]?$")


def nearest_named_street(points: gpd.GeoSeries, network: WalkNetwork) -> tuple[np.ndarray, np.ndarray]:
    """The name of the nearest network edge that has one, and its distance in metres, per point.

    Points are in any CRS (brought to the network's metric CRS). Without any named edge every
    name is ``""`` and every distance NaN.
    """
    n = len(points)
    names = np.asarray(network.name, dtype=object) if len(network.name) == network.n_edges else None
    if names is None or not n:
        return np.full(n, "", dtype=object), np.full(n, np.nan)
    text = pd.Series(names, dtype=object).fillna("").astype(str).str.strip().to_numpy(dtype=object)
    named = np.flatnonzero(text != "")
    if not len(named):
        return np.full(n, "", dtype=object), np.full(n, np.nan)
    pts = points.to_crs(network.crs).to_numpy()
    tree = shapely.STRtree(network.geometry[named])
    (pi, ei), dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    out_name = np.full(n, "", dtype=object)
    out_dist = np.full(n, np.nan)
    out_name[pi] = text[named[ei]]
    out_dist[pi] = dist
    return out_name, out_dist


def site_places(sites: gpd.GeoDataFrame, network: WalkNetwork) -> pd.DataFrame:
    """`PLACE_COLUMNS` for each site: its nearest named street, and where it is in WGS84 and GCJ-02."""
    pts = sites.geometry if sites.crs is not None else sites.geometry.set_crs(4326)
    pts = pts.to_crs(4326)
    street, dist = nearest_named_street(pts, network)
    lon, lat = pts.x.to_numpy(dtype=float), pts.y.to_numpy(dtype=float)
    glon, glat = wgs84_to_gcj02(lon, lat)
    return pd.DataFrame(
        {
            "near_street": street,
            "near_street_m": np.round(dist, 0),
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
            "lon_gcj02": np.round(glon, 6),
            "lat_gcj02": np.round(glat, 6),
        },
        index=sites.index,
    )


def street_for(name: str, lang: str) -> str:
    """A street name as a reader of ``lang`` sees it: in Chinese, a trailing Latin gloss is dropped.

    OSM names such as "<Chinese name> Peace Road" keep only the Chinese part in a Chinese text;
    a name with no Chinese at all is kept as it is (a proper name from the data).
    """
    name = str(name or "").strip()
    if lang == "zh" and _CJK.search(name):
        name = _LATIN_TAIL.sub("", name).strip() or name
    return name


def site_names(sites: pd.DataFrame, lang: str) -> list[str]:
    """The reader's name of each proposed site: rank, nearest named street, the candidate's own name.

    ``sites`` has ``rank`` and optionally ``near_street`` and ``candidate_name`` (a name the
    candidate layer gave, never an id).
    """
    ranks = pd.to_numeric(sites["rank"], errors="coerce").fillna(0).astype(int).to_numpy()
    streets = sites["near_street"] if "near_street" in sites else pd.Series("", index=sites.index)
    own = sites["candidate_name"] if "candidate_name" in sites else pd.Series("", index=sites.index)
    out = []
    for rank, street, name in zip(
        ranks, streets.fillna("").astype(str), own.fillna("").astype(str), strict=True
    ):
        street = street_for(street, lang)
        key = "siting.site_name.street" if street else "siting.site_name.plain"
        label = say(key, lang, rank=rank, street=street)
        out.append(say("siting.site_name.own", lang, label=label, name=name) if name.strip() else label)
    return out


def named_sites(sites: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """``sites`` with ``name`` set to `site_names` in ``lang`` (the candidate's own name kept apart)."""
    out = sites.copy()
    out["name"] = site_names(out, lang)
    return out
