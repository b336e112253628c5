"""Basemaps under the map: none (offline, the default), OpenStreetMap, Tianditu and Amap.

Each basemap's tiles are in a datum (`BASEMAP_DATUM`): Amap's in GCJ-02, the others' in WGS84.
The page holds all four in a switch (`basemap_options`); when a reader picks tiles in another
datum than the tables, the page moves every overlay by the GCJ-02 shift (both ways), so the
overlays stay on the streets of the tiles. `check_datum` still refuses a start basemap whose
tiles are in another datum than the tables.
"""

from __future__ import annotations

import os
import re

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
_OSM = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
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


def basemap_options(basemap: str, key: str | None, lang: str) -> dict:
    """The basemap switch of the page: every basemap with its tiles, datum and attribution.

    Nothing is fetched until a reader picks an online basemap (``start`` is the one the page
    opens with: ``basemap``). Tianditu's URLs carry ``{key}`` where no key was given; the page
    then asks the reader for one and never stores it.
    """
    tdt = [_TIANDITU.replace("{layer}", layer) for layer in ("vec", "cva")]
    if key:
        tdt = [u.replace("{key}", key) for u in tdt]
    options = [
        {"id": "none", "label": t("basemap_none", lang), "tiles": [], "datum": None},
        {
            "id": "osm",
            "label": t("basemap_osm", lang),
            "tiles": [_OSM],
            "subdomains": "abc",
            "attr": say("map.basemap.osm_attr", lang),
            "datum": "wgs84",
            "maxZoom": 19,
        },
        {
            "id": "tianditu",
            "label": t("basemap_tianditu", lang),
            "tiles": tdt,
            "subdomains": "01234567",
            "attr": say("map.basemap.tianditu_attr", lang),
            "datum": "wgs84",
            "maxZoom": 18,
            "needsKey": not key,
        },
        {
            "id": "amap",
            "label": t("basemap_amap", lang),
            "tiles": [_AMAP],
            "subdomains": "1234",
            "attr": say("map.basemap.amap_attr", lang),
            "datum": "gcj02",
            "maxZoom": 18,
        },
    ]
    return {"start": check_basemap(basemap), "options": options}
