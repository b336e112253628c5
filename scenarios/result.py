"""What a run produced: the per-service results, the headline shares and the run record (run.json).

Kept apart from the pipeline that computes it, so that the siting step and the output writers,
which read a result, do not import the pipeline that calls them.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from ..coverage.reach import ServiceReach
from ..coverage.standards import Standards
from ..geodata.common import Assumption, say
from ..geodata.files import file_sha256
from ..geodata.network import WalkNetwork
from ..geodata.sources import network_summary
from .presets import Jurisdiction, policy
from .schema import Scenario

#: Walking profile used for each service (other services walk at the adult profile); the mapping
#: is policy and lives in ``presets/policy.yaml``.
SERVICE_PROFILE = {svc: sp.profile for svc, sp in policy().services.items()}
#: The population group each service is measured and sited for (``presets/policy.yaml``).
SERVICE_GROUP = {svc: sp.group for svc, sp in policy().services.items()}


@dataclass
class ServiceRun:
    """Everything computed for one service."""

    service: str
    facilities: gpd.GeoDataFrame
    reach: ServiceReach
    threshold_s: np.ndarray
    #: Polygons per time tier, in the network's CRS; ``None`` while the writing process draws
    #: them (the proposal's, `lifecircle.scenarios.siting.after_isochrones`).
    isochrones: gpd.GeoDataFrame | None
    access: np.ndarray | None = None


@dataclass
class RunResult:
    """What a run produced, in memory and on disk."""

    scenario: Scenario
    jurisdiction: Jurisdiction
    standards: Standards
    network: WalkNetwork
    area: BaseGeometry | None
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    units: gpd.GeoDataFrame | None
    services: dict[str, ServiceRun]
    indicators: pd.DataFrame
    assumptions: list[Assumption]
    notes: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    elevation: Any = None
    siting: Any = None
    sites: gpd.GeoDataFrame | None = None
    indicators_after: pd.DataFrame | None = None
    after: ServiceRun | None = None
    out_dir: Path | None = None
    #: Service → names of the facility sources given for it (`facility_sources`); None: not known,
    #: every service counts as having a facility list.
    facility_sources: dict[str, tuple[str, ...]] | None = None
    #: How each facility of a list naming its street and community was matched to the official
    #: units (`lifecircle.geodata.admin_codes.UnitMatch.report`); None when no list names units.
    unit_matches: pd.DataFrame | None = None

    def no_list(self) -> tuple[str, ...]:
        """Services no facility source covers: their coverage is "no data", never 0."""
        if self.facility_sources is None:
            return ()
        return tuple(s for s in self.services if not self.facility_sources.get(s))

    def proposed_only(self, key: str) -> bool:
        """Whether run ``key`` (``<service>_after``) counts proposed sites only (no existing facility)."""
        base = key.removesuffix("_after")
        return key.endswith("_after") and base in self.services and len(self.services[base].facilities) == 0

    def runs(self) -> dict[str, ServiceRun]:
        """Every service's run, each followed by ``<service>_after`` (proposed sites open) if sited."""
        out: dict[str, ServiceRun] = {}
        for svc, r in self.services.items():
            out[svc] = r
            if self.after is not None and self.after.service == svc:
                out[f"{svc}_after"] = self.after
        return out


def headline(result: RunResult) -> dict[str, tuple[str, float]]:
    """Service → (population group, share 0–1 of that group within its walking threshold).

    The group is the one the service is for (60+ for elderly care, 0–3 for childcare), or all
    residents where that group's size is unknown. The share is NaN for a service no facility
    source covers (`RunResult.no_list`): unknown, never 0 (`headline_text` says "no data"). The
    ``<service>_after`` state (proposed sites open) is always measured.
    """
    out = {}
    unknown = set(result.no_list())
    for svc, r in result.runs().items():
        for grp in (SERVICE_GROUP.get(r.service, "pop_total"), "pop_total"):
            w = result.demand[grp].to_numpy(dtype=float) if grp in result.demand else None
            if w is not None and np.isfinite(w).all() and w.sum() > 0:
                share = float(w[r.reach.time_s <= r.threshold_s].sum() / w.sum())
                out[svc] = (grp, np.nan if svc in unknown else share)
                break
    return out


def headline_text(share: float, lang: str = "zh") -> str:
    """A headline share as text: ``87.2%``, or "no data" in ``lang`` when it is unknown (NaN)."""
    if not np.isfinite(share):
        return say("run.headline.no_data", lang)
    return f"{share:.1%}"


# -- run record ------------------------------------------------------------------------------------


def run_record(result: RunResult) -> dict:
    """The run.json content: inputs with hashes, versions, assumptions, timings, headline numbers."""
    scen = result.scenario
    inputs = []
    paths = [scen.network.source, scen.demand.path, scen.demand.osm]
    paths += [s.path or s.osm for s in scen.facilities]
    paths += [a.path for a in scen.admin]
    if scen.study_area.boundary is not None:
        paths.append(scen.study_area.boundary.path)
    for p in paths:
        rp = scen.resolve(p) if p else None
        if rp is None:
            continue
        if rp == "embedded":
            from ..geodata.sources import embedded_pbf

            rp = str(embedded_pbf())
        if os.path.isfile(rp):
            inputs.append({"path": p, "sha256": file_sha256(rp), "bytes": os.path.getsize(rp)})
        else:
            inputs.append({"path": p, "sha256": None})
    versions = {}
    for pkg in (
        "lifecircle",
        "numpy",
        "scipy",
        "shapely",
        "geopandas",
        "pyproj",
        "osmnx",
        "pyrosm",
        "highspy",
        "folium",
    ):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    versions["python"] = platform.python_version()
    runs = result.runs()
    head = {
        svc: {
            "group": grp,
            "coverage_share": round(share, 6) if np.isfinite(share) else None,
            "value_basis": "computed" if np.isfinite(share) else "no_data",
            "facilities": len(runs[svc].facilities),
        }
        for svc, (grp, share) in headline(result).items()
    }
    rec = {
        "scenario": json.loads(scen.model_dump_json()),
        "jurisdiction": {"id": result.jurisdiction.id, "document": result.jurisdiction.document},
        "inputs": inputs,
        "network": network_summary(result.network),
        "demand_points": len(result.demand),
        "facilities": len(result.facilities),
        "headline": head,
        "assumptions": [a.record() for a in result.assumptions],
        "notes": result.notes,
        "data_quality_notes": list(result.standards.notes),
        "timings_s": result.timings,
        "versions": versions,
    }
    if result.siting is not None:
        s = result.siting
        rec["siting"] = {
            "model": s.model,
            "sites": [str(x) for x in s.site_ids],
            "objective": s.objective,
            "bound": s.bound,
            "gap": s.gap,
            "status": s.status,
            "solver": s.solver,
            "seconds": s.seconds,
        }
    return rec
