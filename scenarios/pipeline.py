"""The main job: one scenario in, a folder of maps, reports and tables out.

`run_scenario` is the one run pipeline: read the inputs (`lifecircle.scenarios.loading`),
compute each service's reach through an executor (`lifecircle.scenarios.executors`: in this
process by default, tile by tile on Dask when partitions are asked for), draw the isochrones,
compute the indicators, site new stations when the scenario asks (`lifecircle.scenarios.siting`)
and write the outputs. Both executors give the same numbers, so every later stage is shared.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np

from ..coverage import access as _access
from ..coverage import indicators as _ind
from ..coverage.isochrones import service_isochrones
from ..coverage.profiles import WalkProfile, edge_costs
from ..coverage.reach import demand_thresholds
from ..coverage.slope import sample_dem
from ..coverage.standards import Standards, standards_from_profile
from ..geodata.dem import read_dem
from ..geodata.sources import read_network
from . import loading
from .beside import Prepared, prepared
from .executors import Executor, InProcess, ReachContext, ReachJob, ReachOutcome
from .presets import Jurisdiction, load_jurisdiction
from .result import (
    SERVICE_GROUP,
    SERVICE_PROFILE,
    RunResult,
    ServiceRun,
    headline,
    headline_text,
    run_record,
)
from .schema import Scenario

__all__ = [
    "OUTPUT_FILES",
    "SERVICE_GROUP",
    "SERVICE_PROFILE",
    "RunResult",
    "ServiceRun",
    "headline",
    "headline_text",
    "run_record",
    "run_scenario",
]

#: Output files of a run, in the order they are written.
OUTPUT_FILES = (
    "map.html",
    "report.html",
    "indicators.csv",
    "indicators.xlsx",
    "layers.gpkg",
    "run.json",
)


class _Clock:
    """Named wall-clock timings for run.json."""

    def __init__(self, log: Callable[[str], None] | None) -> None:
        self.timings: dict[str, float] = {}
        self._log = log

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self._log:
            self._log(name)
        t0 = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - t0, 3)


@dataclass(frozen=True, eq=False)
class _Setup:
    """What the scenario and its jurisdiction fix before any data is read."""

    juris: Jurisdiction
    standards: Standards
    limits: dict[str, tuple[float, float, str]]
    tiers: list[float]
    profiles: dict[str, WalkProfile]


def run_scenario(
    scen: Scenario,
    out_dir: str | Path | None = None,
    *,
    lang: str | None = None,
    log: Callable[[str], None] | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Run a scenario end to end and, with ``out_dir``, write its outputs.

    Parameters
    ----------
    scen
        A validated scenario (`lifecircle.scenarios.schema.load_scenario`).
    out_dir
        Folder for ``map.html``, ``report.html``, ``indicators.csv``, ``indicators.xlsx``,
        ``layers.gpkg`` and ``run.json``. Everything is written into a temporary folder
        beside it and moved into place at the end, so a failed run leaves nothing.
    lang
        ``zh`` or ``en``; default the scenario's ``outputs.lang``.
    log
        Called with the name of each step as it starts (for progress display).
    executor
        Where the reach is computed: `~lifecircle.scenarios.executors.InProcess` (default) or
        `~lifecircle.scenarios.executors.DaskExecutor` (tiles on a Dask cluster); the outputs are
        the same.
    """
    executor = executor or InProcess()
    with _writer(out_dir) as writer, executor.session() as ex:
        return _run(scen, out_dir, lang or scen.outputs.lang, _Clock(log), ex, writer)


@contextmanager
def _writer(out_dir: str | Path | None) -> Iterator[Prepared | None]:
    """With an output folder: the map's writing process, started now to load its libraries meanwhile."""
    if out_dir is None:
        yield None
        return
    from .outputs import warm_writer

    with prepared(warm_writer) as writer:
        yield writer


def _setup(scen: Scenario) -> _Setup:
    juris = load_jurisdiction(scen.jurisdiction)
    limits = loading.thresholds(scen, juris)
    tiers = sorted(set(scen.outputs.tiers) | {m for pair in limits.values() for m in pair[:2]})
    profiles = {s: loading.service_profile(scen, juris, s) for s in scen.services}
    return _Setup(juris, standards_from_profile(juris), limits, tiers, profiles)


def _run(
    scen: Scenario,
    out_dir: str | Path | None,
    lang: str,
    clock: _Clock,
    ex: Executor,
    writer: Prepared | None,
) -> RunResult:
    t_start = time.perf_counter()
    notes: list[str] = []
    with clock.step("profile"):
        setup = _setup(scen)
    with clock.step("area"):
        area = loading.study_area(scen)
    with clock.step("network"):
        fastest = max(p.speed_mps for p in setup.profiles.values())
        buffer_m = max(setup.tiers) * 60.0 * fastest + scen.outputs.max_snap_m
        clip = loading.buffer_wgs84(area, buffer_m) if area is not None else None
        net = read_network(
            scen.resolve(scen.network.source), clip=clip, lines_crs=scen.network.crs, keep=scen.network.keep
        )
    with clock.step("admin"):
        admin = loading.admin_inputs(scen, setup.juris)
        units = admin.units
    with clock.step("demand"):
        dem = loading.load_demand(scen, area, units)
        demand = dem.table.reset_index(drop=True)
        notes.extend(dem.notes)
    with clock.step("facilities"):
        facilities = loading.load_facilities(scen, clip)
        sources = loading.facility_sources(scen, facilities)
        matched, unit_notes = loading.match_units(facilities, admin, setup.juris)
        notes.extend(unit_notes)
        notes.extend(loading.datum_notes(scen, net, demand, facilities))
    elevation = None
    if scen.network.dem:
        with clock.step("dem"):
            fallback = "flat" if scen.network.dem_fallback == "flat" else None
            dem_window = read_dem(scen.resolve(scen.network.dem), net)
            elevation = sample_dem(dem_window, net, fallback=fallback)
    ctx = ReachContext(
        net, demand, scen.outputs.max_snap_m, str(scen.resolve(scen.network.source)),
        lines_crs=scen.network.crs, keep=scen.network.keep,
        dem=str(scen.resolve(scen.network.dem)) if scen.network.dem else None, clip=clip,
        draw_limit_s=max(setup.tiers) * 60.0,
    )  # fmt: skip
    jobs = _jobs(scen, setup, ctx, facilities, sources, elevation)
    with clock.step(f"reach:{ex.name}"):
        ex.prepare(ctx, [job for job, _ in jobs.values()])
    services: dict[str, ServiceRun] = {}
    for svc, (job, thr) in jobs.items():
        with clock.step(f"reach:{svc}"):
            services[svc] = _service_run(scen, ctx, job, thr, ex.reach(ctx, job), setup.tiers)
            notes.extend(services[svc].reach.notes)
    notes = loading.source_notes(notes, services, sources)
    with clock.step("indicators"):
        indicators = _ind.indicator_table(
            demand,
            {s: r.reach.time_s for s, r in services.items()},
            {s: r.threshold_s for s, r in services.items()},
            facilities=loading.with_admin(facilities, units, matched),
            standards=setup.standards,
            units=admin.table,
            access={s: r.access for s, r in services.items() if r.access is not None},
            provenance=loading.provenance(scen, setup.juris),
            facility_sources=sources,
        )
    result = RunResult(
        scenario=scen, jurisdiction=setup.juris, standards=setup.standards, network=net, area=area,
        demand=demand, facilities=facilities, units=units, services=services, indicators=indicators,
        assumptions=loading.assumptions(scen, setup.juris, setup.profiles, dem.assumptions), notes=notes,
        elevation=elevation, facility_sources=sources,
        unit_matches=None if matched is None else matched.report,
    )  # fmt: skip
    if scen.siting is not None:
        _site(result, ctx, {svc: job for svc, (job, _) in jobs.items()}, ex, clock, writer, lang)
    return _finish(result, out_dir, lang, clock, ex, t_start, writer)


def _site(
    result: RunResult,
    ctx: ReachContext,
    jobs: dict[str, ReachJob],
    ex: Executor,
    clock: _Clock,
    writer: Prepared | None,
    lang: str,
) -> None:
    """The siting step; the writing process computes the what-if's walking times meanwhile.

    With a writing process that takes this run's tables (`lifecircle.scenarios.outputs.write_ahead`),
    the siting model's matrix of the candidates goes to it as soon as it is computed (the
    what-if's walks to the candidates are the same), and the isochrones with the proposed sites
    open are drawn there, while this process computes the indicators after: nothing but the map
    and the layers show them.
    """
    on_matrix = hand_over = None
    if writer is not None:
        from .outputs import draw_ahead, share_matrix, write_ahead

        if write_ahead(writer, result, lang):
            on_matrix = partial(share_matrix, writer, result.scenario.siting.service)
            hand_over = partial(draw_ahead, writer)
    with clock.step("siting"):  # its solver (highspy) loads here, counted with it
        from . import siting as _siting

        _siting.run_siting(result, ctx, jobs, ex, on_matrix=on_matrix, hand_over=hand_over)


def _finish(
    result: RunResult,
    out_dir: str | Path | None,
    lang: str,
    clock: _Clock,
    ex: Executor,
    t_start: float,
    writer: Prepared | None = None,
) -> RunResult:
    """Record the timings (and the executor's report) and write the outputs when asked."""
    result.timings = clock.timings
    result.timings["total_compute"] = round(time.perf_counter() - t_start, 3)
    if "tiles" in ex.report:
        result.timings["tiles"] = ex.report["tiles"]  # type: ignore[assignment]
    if out_dir is not None:
        with clock.step("outputs"):
            from . import outputs as _outputs

            result.out_dir = _outputs.write_outputs(result, Path(out_dir), lang=lang, writer=writer)
        result.timings.update(clock.timings)
    return result


def _jobs(
    scen: Scenario,
    setup: _Setup,
    ctx: ReachContext,
    facilities: gpd.GeoDataFrame,
    sources: dict[str, tuple[str, ...]],
    elevation,
) -> dict[str, tuple[ReachJob, np.ndarray]]:
    """Per service: its reach job and each home's threshold (seconds)."""
    out = {}
    demand = ctx.demand
    for svc in scen.services:
        urban_min, rural_min, _ = setup.limits[svc]
        fac = facilities[(facilities["service"] == svc) & (facilities["status"] == "existing")]
        fac = fac.reset_index(drop=True)
        thr = demand_thresholds(demand["urban"].to_numpy(), urban_min=urban_min, rural_min=rural_min)
        cap = fac["capacity"].to_numpy(dtype=float) if len(fac) else np.array([])
        group = SERVICE_GROUP.get(svc, "pop_total")
        pop = demand[group].to_numpy(dtype=float) if group in demand else None
        want_matrix = bool(len(fac)) and np.isfinite(cap).any() and pop is not None and np.isfinite(pop).all()
        where = (loading.demand_where(scen), f"{'; '.join(sources.get(svc, ())) or 'facilities'} ({svc})")
        costs = edge_costs(ctx.net, setup.profiles[svc], elevation)
        job = ReachJob(svc, setup.profiles[svc], costs, fac, float(thr.max()) if want_matrix else None, where)
        out[svc] = (job, thr)
    return out


def _service_run(
    scen: Scenario, ctx: ReachContext, job: ReachJob, thr: np.ndarray, got: ReachOutcome, tiers: list[float]
) -> ServiceRun:
    """One service's reach, thresholds, isochrones and 2SFCA access."""
    iso = service_isochrones(
        got.reach, ctx.net, minutes=tiers, width_m=scen.outputs.access_width_m, method=scen.outputs.isochrones
    )
    acc = None
    if got.matrix is not None:
        pop = ctx.demand[SERVICE_GROUP.get(job.service, "pop_total")].to_numpy(dtype=float)
        cap = np.nan_to_num(job.facilities["capacity"].to_numpy(dtype=float), nan=0.0)
        acc = _access.two_step_fca(got.matrix, pop, cap, catchment=thr).access
    return ServiceRun(job.service, job.facilities, got.reach, thr, iso, acc)
