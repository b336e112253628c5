"""Which OSM ways are walkable, and the normalized class each walkable edge keeps."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Classes walkable by default (OSM ``highway`` values, Geofabrik ``fclass`` values).
WALKABLE: frozenset[str] = frozenset(
    {
        "footway",
        "pedestrian",
        "path",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "secondary",
        "primary",
        "tertiary_link",
        "secondary_link",
        "primary_link",
        "track",
        "cycleway",
        "bridleway",
        # close relatives OSM uses for the same walkable ways
        "corridor",
        "road",
    }
)

#: Classes walkable only where the way is tagged ``foot=yes`` (or designated/permissive).
FOOT_TAG_ONLY: frozenset[str] = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})

_FOOT_ALLOWED = {"yes", "designated", "permissive", "official"}
_FOOT_FORBIDDEN = {"no", "private", "use_sidepath"}
_ACCESS_FORBIDDEN = {"no", "private"}


def normalize_class(values: pd.Series) -> pd.Series:
    """Map raw ``highway``/``fclass`` values to one class name each.

    Geofabrik's ``track_grade1`` … ``track_grade5`` become ``track``; values are lower-cased and
    stripped; missing values become the empty string.
    """
    s = values.astype("string").fillna("").str.strip().str.lower()
    return s.str.replace(r"^track_grade\d$", "track", regex=True).astype(object)


def walkable_mask(
    highway: pd.Series,
    foot: pd.Series | None = None,
    access: pd.Series | None = None,
) -> np.ndarray:
    """Return a boolean array: which ways a pedestrian may use.

    Parameters
    ----------
    highway
        Normalized classes (see `normalize_class`).
    foot, access
        The OSM ``foot`` and ``access`` tags where the source has them. ``foot=no`` removes a
        way of any class; ``access=no|private`` removes it unless ``foot`` allows it;
        motorway and trunk ways (and their links) count only with ``foot=yes``.
    """
    cls = highway.to_numpy(dtype=object)
    ok = np.isin(cls, list(WALKABLE))
    n = len(cls)
    foot_v = _tag(foot, n)
    access_v = _tag(access, n)
    foot_yes = np.isin(foot_v, list(_FOOT_ALLOWED))
    ok |= np.isin(cls, list(FOOT_TAG_ONLY)) & foot_yes
    ok &= ~np.isin(foot_v, list(_FOOT_FORBIDDEN))
    ok &= ~(np.isin(access_v, list(_ACCESS_FORBIDDEN)) & ~foot_yes)
    return ok


def _tag(values: pd.Series | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, "", dtype=object)
    return values.astype("string").fillna("").str.strip().str.lower().to_numpy(dtype=object)
