"""pyrosm's reader of ``.osm.pbf`` extracts, without the graph libraries it probes for at import.

``import pyrosm`` tries pandana, pandarm, python-igraph and networkx for its graph export, which
lifecircle never uses (its own routing works on the arrays). With pandana installed that probe
alone imports scikit-learn and takes about a second; here the probe finds them absent.
"""

from __future__ import annotations

import sys
from typing import Any

#: Optional libraries pyrosm imports for graph export only.
GRAPH_LIBRARIES: tuple[str, ...] = ("pandana", "pandarm", "igraph", "networkx")


def pyrosm_osm(path: str, bounding_box: Any = None) -> Any:
    """``pyrosm.OSM(path, bounding_box=...)``, pyrosm imported without its graph libraries.

    A library already imported stays as it is; the ones blocked for pyrosm's import can be
    imported normally afterwards.
    """
    if "pyrosm.pyrosm" not in sys.modules:  # pyrosm loads its reader (and the probe) on first use
        blocked = [name for name in GRAPH_LIBRARIES if name not in sys.modules]
        for name in blocked:
            sys.modules[name] = None  # type: ignore[assignment]  # makes `import name` fail at once
        try:
            from pyrosm import OSM
        finally:
            for name in blocked:
                if sys.modules.get(name, False) is None:
                    del sys.modules[name]
    from pyrosm import OSM

    return OSM(path, bounding_box=bounding_box)
