"""The work of ``lifecircle coverage``: a scenario made of the command's options, run, written as files.

The options become the same scenario mapping a YAML file holds (`scenario_from_dict`), so the
command runs the one pipeline (`lifecircle.scenarios.pipeline.run_scenario`) and writes its
GeoPackage layers and indicator table.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..geodata.common import InputError
from .cli_checks import check_choice, check_minutes, out_file

#: Demand models a scenario names (``demand.kind``).
DEMAND_KINDS = ("table", "raster", "buildings", "floor_area")


@dataclass(frozen=True)
class CoverageRequest:
    """Everything ``lifecircle coverage`` was asked.

    Attributes
    ----------
    network
        Walk network source (a file, ``embedded``).
    facilities
        Facility files, or ``osm`` for the network extract's tags.
    demand
        Population source.
    out, csv
        The GeoPackage and the indicators CSV to write (``csv`` None: beside ``out``).
    services
        Services measured.
    facilities_crs, demand_kind, pop_col
        How the facility files and the demand are read.
    totals
        ``group=number`` totals for building demand.
    jurisdiction
        Jurisdiction profile (thresholds, standards).
    minutes
        Walking minutes overriding the jurisdiction's, urban and rural alike (None: the profile's).
    boundary, boundary_crs
        Study-area polygon file and its CRS.
    dem
        Elevation GeoTIFF for sloped walking times.
    lang
        Language of the outputs.
    """

    network: str
    facilities: tuple[str, ...]
    demand: str
    out: Path
    csv: Path | None = None
    services: tuple[str, ...] = ("elderly",)
    facilities_crs: str | None = None
    demand_kind: str = "table"
    pop_col: str | None = None
    totals: tuple[str, ...] = ()
    jurisdiction: str = "chongqing"
    minutes: float | None = None
    boundary: str | None = None
    boundary_crs: str | None = None
    dem: str | None = None
    lang: str = "zh"


def checked_request(req: CoverageRequest) -> CoverageRequest:
    """Check the options before anything is read; the request with both output paths checked."""
    from ..geodata.schema import SERVICES

    for s in req.services:
        check_choice("--service", s, SERVICES)
    check_choice("--demand-kind", req.demand_kind, DEMAND_KINDS)
    check_minutes("--minutes", req.minutes)
    if req.out.suffix.lower() != ".gpkg":
        raise InputError("cli.coverage.out_gpkg", out=req.out)
    csv = req.csv or req.out.with_name(f"{req.out.stem}_indicators.csv")
    gpkg = out_file(req.out, (".gpkg",))
    return replace(req, out=gpkg, csv=out_file(csv, (".csv",), option="--csv"))


def _totals(items: tuple[str, ...]) -> dict[str, float]:
    """``group=number`` pairs of ``--total``."""
    totals = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            totals[key.strip()] = float(value)
        except ValueError:
            raise InputError("cli.coverage.bad_total", item=item) from None
    return totals


def coverage_scenario(req: CoverageRequest) -> dict[str, Any]:
    """The scenario mapping the request stands for (validated by `scenario_from_dict`)."""
    totals = _totals(req.totals)
    one = req.services[0] if len(set(req.services)) == 1 else None  # service of files without one
    fac = [
        {"osm": req.network} if f == "osm" else {"path": f, "crs": req.facilities_crs, "service": one}
        for f in req.facilities
    ]
    raw: dict[str, Any] = {
        "name": req.out.stem,
        "jurisdiction": req.jurisdiction,
        "network": {"source": req.network, "dem": req.dem},
        "services": list(req.services),
        "facilities": fac,
        "demand": {
            "kind": req.demand_kind,
            "path": req.demand,
            "pop_col": req.pop_col,
            "totals": totals or None,
        },
        "outputs": {"lang": req.lang},
    }
    if req.boundary:
        raw["study_area"] = {"boundary": {"path": req.boundary, "crs": req.boundary_crs}}
    if req.minutes is not None:
        raw["thresholds"] = {s: {"urban": req.minutes, "rural": req.minutes} for s in req.services}
    return raw


def coverage_command(req: CoverageRequest):
    """Run the request (checked with `checked_request`) and write its GeoPackage and CSV.

    Returns
    -------
    RunResult
        The run (its headline and notes are what the command prints).
    """
    from ..geodata.files import owned_file
    from ..maps.export import write_gpkg, write_indicators_csv
    from .outputs import layers, map_inputs
    from .pipeline import run_scenario
    from .schema import scenario_from_dict

    scen = scenario_from_dict(coverage_scenario(req), where="lifecircle coverage", base_dir=Path.cwd())
    result = run_scenario(scen, None, lang=req.lang)
    with owned_file(req.out) as tmp_gpkg, owned_file(req.csv, option="--csv") as tmp_csv:
        write_gpkg(layers(result, map_inputs(result, req.lang)), tmp_gpkg)
        write_indicators_csv(result.indicators, tmp_csv)
    return result
