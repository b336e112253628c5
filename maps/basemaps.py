"""Basemaps under the map: none (offline, the default), OpenStreetMap, Tianditu and Amap.

Each basemap's tiles are in a datum (`BASEMAP_DATUM`): Amap's in GCJ-02, the others' in WGS84.
The map draws its tables as given; `check_datum` refuses tables in another datum than the tiles.
"""

from __future__ import annotations

import os
import re

import folium

from ..geodata.common import InputError, say
from .i18n import t

#: Basemap choices. ``none`` is the offline default.
BASEMAPS: tuple[str, ...] = ("none", "osm", "tianditu", "amap")
#: Datum of each basemap's tiles (``None``: no tiles, any datum is drawn).
BASEMAP_DATUM: dict[str, str | None] = {"none": None, "osm": "wgs84", "tianditu": "wgs84", "amap": "gcj02"}

_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
_AMAP = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"


def check_basemap(basemap: str) -> str:
    """Return ``basemap`` when it is one of `BASEMAPS`; otherwise raise `InputError`."""
    if basemap not in BASEMAPS:
        raise InputError("map.bad_basemap", basemap=basemap, choices=BASEMAPS)
    return basemap


def basemap_datum(basemap: str) -> str | None:
    """The datum of ``basemap``'s tiles: ``"wgs84"``, ``"gcj02"``, or ``None`` without tiles."""
    return BASEMAP_DATUM[check_basemap(basemap)]


def check_datum(basemap: str, datum: str) -> None:
    """Raise `InputError` when tables in ``datum`` would be drawn on tiles in another datum."""
    need = basemap_datum(basemap)
    if need is not None and need != datum:
        raise InputError("map.datum_mismatch", basemap=basemap, need=need, datum=datum)


def tianditu_api_key(key: str | None) -> str:
    """The Tianditu API key: ``key``, or ``$TIANDITU_KEY``; `InputError` when none or malformed."""
    key = key or os.environ.get("TIANDITU_KEY", "")
    if not key:
        raise InputError("map.tianditu_no_key")
    if not re.fullmatch(r"[A-Za-z0-9]{8,64}", key):
        raise InputError("map.tianditu_bad_key")
    return key


def add_basemap(fmap: folium.Map, basemap: str, key: str | None, lang: str) -> None:
    """Add the tile layers of ``basemap`` to ``fmap`` (nothing for ``none``)."""
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name=t("basemap_osm", lang)).add_to(fmap)
    elif basemap == "tianditu":
        attr = say("map.basemap.tianditu_attr", lang)
        folium.TileLayer(
            tiles=_TIANDITU.replace("{layer}", "vec").replace("{key}", key or ""),
            attr=attr,
            name=t("basemap_tianditu", lang),
            subdomains="01234567",
            max_zoom=18,
        ).add_to(fmap)
        folium.TileLayer(
            tiles=_TIANDITU.replace("{layer}", "cva").replace("{key}", key or ""),
            attr=attr,
            name=say("map.basemap.tianditu_labels", lang),
            subdomains="01234567",
            overlay=True,
            control=False,
            max_zoom=18,
        ).add_to(fmap)
    elif basemap == "amap":
        folium.TileLayer(
            tiles=_AMAP,
            attr=say("map.basemap.amap_attr", lang),
            name=t("basemap_amap", lang),
            subdomains="1234",
            max_zoom=18,
        ).add_to(fmap)
