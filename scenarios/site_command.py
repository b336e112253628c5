"""The work of ``lifecircle site``: read its inputs, build the siting objects a scenario builds, solve.

The command takes a network, a demand table written by ``lifecircle demand``, candidates (a
layer, building footprints, or network points every ``spacing`` metres) and optionally the
existing facilities, and calls the same siting step as a scenario run
(`lifecircle.scenarios.siting.solve_siting`) through the in-process executor.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..coverage.profiles import edge_costs, get_profile
from ..coverage.reach import demand_thresholds
from ..coverage.siting import candidates as cands
from ..coverage.siting import coverage_need
from ..coverage.siting.result import SitingResult
from ..coverage.snapping import MAX_SNAP_M, check_on_network, snap_points
from ..geodata.common import InputError, Rows
from ..geodata.demand import check_demand
from ..geodata.facilities import read_facilities
from ..geodata.sources import read_network
from .executors import InProcess, ReachContext, ReachJob
from .presets import policy
from .result import SERVICE_PROFILE
from .siting import SitingInputs, SitingOptions, solve_siting


@dataclass(frozen=True)
class SiteLayers:
    """The layers of ``lifecircle site``: network, demand, candidates, existing sites, what is covered."""

    network: str
    demand: Path
    candidates: str | None = None
    cost_col: str | None = None
    capacity_col: str | None = None
    candidates_crs: str | None = None
    facilities: Path | None = None
    facilities_crs: str | None = None
    fixed: tuple[str, ...] = ()
    service: str = "elderly"
    group: str = "pop_60"


@dataclass(frozen=True)
class SiteRequest:
    """Everything ``lifecircle site`` was asked: its layers, its model, its numbers (checked by the CLI).

    Numbers left out (``None``) take the policy's defaults for the service
    (``presets/policy.yaml``).
    """

    layers: SiteLayers
    options: SitingOptions
    spacing_m: float | None = None
    min_area_m2: float | None = None
    per_1000: float | None = None
    minutes: float | None = None
    rural_minutes: float | None = None

    def __post_init__(self) -> None:
        """Options left out take the policy's defaults for the service (``presets/policy.yaml``)."""
        pol = policy()
        th = pol.services[self.layers.service].threshold if self.layers.service in pol.services else None
        fill = {
            "spacing_m": pol.spacing_m,
            "min_area_m2": pol.min_area_m2,
            "minutes": th.urban_min if th else None,
            "rural_minutes": th.rural_min if th else None,
        }
        for name, value in fill.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)


def propose_sites(req: SiteRequest) -> tuple[SitingResult, gpd.GeoDataFrame]:
    """Solve the request; return the result and the chosen sites (WGS84, in rank order)."""
    net = read_network(req.layers.network)
    dem = check_demand(read_site_demand(req.layers.demand), where=str(req.layers.demand))
    if req.layers.group not in dem.columns or dem[req.layers.group].isna().any():
        raise InputError("site.group_missing", path=req.layers.demand, group=req.layers.group)
    cand = _candidates(req, net)
    cand["id"] = cand["id"].astype(str)
    thr = demand_thresholds(dem["urban"].to_numpy(), urban_min=req.minutes, rural_min=req.rural_minutes)
    homes = snap_points(net, dem, max_snap_m=MAX_SNAP_M, what="demand")
    check_on_network(net, homes, str(req.layers.demand), "demand")
    profile = get_profile(SERVICE_PROFILE.get(req.layers.service, "adult"))
    ctx = ReachContext(net, dem, MAX_SNAP_M, req.layers.network)
    job = ReachJob(req.layers.service, profile, edge_costs(net, profile), dem.iloc[:0])
    cand_src = req.layers.candidates
    inputs = SitingInputs(
        candidates=cand,
        candidates_where=None if cand_src is None else cand_src.removeprefix("buildings:"),
        weights=_weights(req, dem),
        threshold_s=thr,
        homes=homes,
        existing_sites=_existing(req),
        existing_where=None if req.layers.facilities is None else str(req.layers.facilities),
        capacity=cand["capacity"].to_numpy(float) if req.options.model == "capacitated" else None,
        fixed=_fixed(req, cand),
        demand=dem,
    )
    res = solve_siting(ctx, job, InProcess(), inputs, req.options)
    table = res.sites_table.copy()
    table["geometry"] = cand.geometry.to_numpy()[res.sites]
    return res, gpd.GeoDataFrame(table, geometry="geometry", crs=4326)


def _candidates(req: SiteRequest, net) -> gpd.GeoDataFrame:
    if req.layers.candidates is None:
        return cands.candidates_on_network(net, req.spacing_m, service=req.layers.service)
    if req.layers.candidates.startswith("buildings:"):
        return cands.candidates_from_footprints(
            req.layers.candidates.removeprefix("buildings:"),
            min_area_m2=req.min_area_m2,
            crs=req.layers.candidates_crs,
            service=req.layers.service,
        )
    return cands.candidates_from_layer(
        req.layers.candidates,
        crs=req.layers.candidates_crs,
        cost_col=req.layers.cost_col,
        capacity_col=req.layers.capacity_col,
        service=req.layers.service,
        id_col=None,
    )


def _weights(req: SiteRequest, dem: gpd.GeoDataFrame) -> np.ndarray:
    weights = dem[req.layers.group].to_numpy(float)
    if req.options.model != "capacitated":
        return weights
    if req.per_1000 is None:
        raise InputError("site.per_1000_needed")
    return coverage_need(weights, req.per_1000)


def _existing(req: SiteRequest) -> gpd.GeoDataFrame | None:
    """Existing and planned facilities of the service (they always count), ``None`` without any."""
    if req.layers.facilities is None:
        return None
    fac = read_facilities(req.layers.facilities, service=req.layers.service, crs=req.layers.facilities_crs)
    fac = fac[fac["status"].isin(["existing", "planned"])].reset_index(drop=True)
    return fac if len(fac) else None


def _fixed(req: SiteRequest, cand: gpd.GeoDataFrame) -> np.ndarray | None:
    if not req.layers.fixed:
        return None
    ids = cand["id"].to_numpy()
    missing = sorted(set(req.layers.fixed) - set(ids))
    if missing:
        raise InputError("site.fixed_unknown", id=missing[0])
    return np.flatnonzero(np.isin(ids, list(req.layers.fixed)))


def read_site_demand(path: Path):
    """The demand table ``site`` reads: a GeoPackage/GeoJSON of points or a CSV with lon and lat.

    The file is read through the demand readers' guarded path, so a missing, empty, corrupt or
    non-data file is one sentence naming it. A CSV written by ``lifecircle demand`` gets its
    formula guard (a leading ``'``) taken off again.

    Returns
    -------
    geopandas.GeoDataFrame
        The rows as read, not yet checked (see `lifecircle.geodata.demand.check_demand`).
    """
    from ..geodata.demand import read_table
    from ..geodata.files import restore_formulas

    if path.is_file() and path.stat().st_size == 0:
        raise InputError("site.demand_empty", path=path)
    raw, _ = read_table(path)
    if isinstance(raw, gpd.GeoDataFrame):
        return raw
    if not {"lon", "lat"} <= set(raw.columns):
        raise InputError("site.no_lon_lat", path=path)
    raw = restore_formulas(raw)
    lon = pd.to_numeric(raw["lon"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(raw["lat"], errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise InputError("site.bad_lon_lat", path=path, rows=Rows(np.flatnonzero(bad) + 1))
    return gpd.GeoDataFrame(raw, geometry=gpd.points_from_xy(lon, lat), crs=4326)


def write_sites(sites: gpd.GeoDataFrame, path: Path) -> None:
    """Write the sites table as CSV (with lon, lat; formula-guarded), GeoJSON or GeoPackage.

    Only a file an earlier run of ours wrote is replaced (`lifecircle.geodata.files.owned_file`).
    """
    from ..geodata.files import neutralize_formulas, owned_file

    suffix = path.suffix.lower()
    with owned_file(path) as tmp:
        if suffix == ".csv":
            flat = pd.DataFrame(sites.drop(columns="geometry"))
            flat["lon"], flat["lat"] = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
            neutralize_formulas(flat).to_csv(tmp, index=False)
        else:
            sites.to_file(tmp, driver="GPKG" if suffix == ".gpkg" else "GeoJSON")
