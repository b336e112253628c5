"""Candidate sites along the walk network, and the cap on how many a spacing may make.

Candidates from a user layer or from building footprints are read by `lifecircle.geodata.sites`
(`candidates_from_layer`, `candidates_from_footprints`; their names are re-exported here).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ...geodata.common import InputError, Msg
from ...geodata.network import WalkNetwork
from ...geodata.sites import (
    CANDIDATE_COLUMNS,
    MIN_SITE_AREA_M2,
    candidates_from_footprints,
    candidates_from_layer,
)

__all__ = [
    "CANDIDATE_COLUMNS",
    "MAX_SPACED_CANDIDATES",
    "MIN_SITE_AREA_M2",
    "candidates_from_footprints",
    "candidates_from_layer",
    "candidates_on_network",
    "check_spacing",
]

#: Most candidate points a spacing may make (network or grid candidates): beyond this the
#: reach matrix and the model would not fit in memory, so such a spacing is refused up front.
MAX_SPACED_CANDIDATES = 2_000_000


def check_spacing(
    spacing_m: float,
    n_points: float,
    smallest_m: float,
    *,
    where: str | Msg | None = None,
) -> None:
    """Raise `InputError` when a spacing would make more than `MAX_SPACED_CANDIDATES` points.

    Parameters
    ----------
    spacing_m
        The spacing asked for, metres.
    n_points
        How many candidate points it would make (a float: it may be astronomically large).
    smallest_m
        The smallest spacing that stays within the limit on this network, metres.
    where
        The option or field, for the message (default: network candidates).
    """
    if n_points <= MAX_SPACED_CANDIDATES:
        return
    if where is None:
        where = Msg("siting.where.network_candidates")
    digits = np.floor(np.log10(smallest_m)) - 1 if smallest_m > 0 else 0.0
    smallest = float(np.ceil(smallest_m / 10.0**digits) * 10.0**digits) if smallest_m > 0 else 1.0
    raise InputError(
        "siting.spacing.too_many",
        where=where,
        spacing=spacing_m,
        n=n_points,
        limit=MAX_SPACED_CANDIDATES,
        smallest=smallest,
    )


def candidates_on_network(net: WalkNetwork, spacing_m: float, *, service: str = "") -> gpd.GeoDataFrame:
    """Candidate sites on the walk network every ``spacing_m`` metres along each edge.

    An edge of length ``L`` gets ``max(1, round(L / spacing_m))`` points at equal spacing, the
    first half a step from its start, so no two edges share a point at a junction.

    Returns
    -------
    geopandas.GeoDataFrame
        WGS84 points with `CANDIDATE_COLUMNS` plus ``edge`` and ``offset_m`` (position along
        the edge from ``u``).
    """
    if not np.isfinite(spacing_m) or spacing_m <= 0:
        raise InputError("siting.spacing.not_positive", spacing=spacing_m)
    length = shapely.length(net.geometry)
    n_float = np.maximum(1.0, np.round(length / spacing_m))
    check_spacing(spacing_m, float(n_float.sum()), float(length.sum()) / MAX_SPACED_CANDIDATES)
    per = n_float.astype(np.int64)
    edge = np.repeat(np.arange(net.n_edges), per)
    k = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    offset = (k + 0.5) * (length[edge] / per[edge])
    pts = shapely.line_interpolate_point(net.geometry[edge], offset)
    n = len(pts)
    out = gpd.GeoDataFrame(
        {
            "id": np.char.add("net-", np.arange(n).astype(str)),
            "name": "",
            "service": service,
            "tier": "network",
            "capacity": np.nan,
            "status": "candidate",
            "cost": 1.0,
            "area_m2": np.nan,
            "edge": edge,
            "offset_m": offset,
        },
        geometry=pts,
        crs=net.crs,
    )
    return out.to_crs(4326)
