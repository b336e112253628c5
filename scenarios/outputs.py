"""Write a run's outputs: map, report, indicator tables, layers and the run record.

The map draws its tables in the datum it is given: for a basemap whose tiles are in GCJ-02
(Amap), `for_basemap` converts the WGS84 tables with `lifecircle.geodata.crs` first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd

from ..coverage import indicators as _ind
from ..geodata.admin_codes import match_table
from ..geodata.common import Note, say
from ..geodata.crs import from_wgs84
from ..geodata.files import staged_folder
from ..geodata.schema import GROUPS
from ..maps import export as _export
from ..maps.basemaps import basemap_datum
from ..maps.figure_svg import assumption_lines, coverage_svg
from ..maps.i18n import label_msg
from ..maps.inputs import TABLES, DataSource, MapInputs, lonlat
from .beside import Prepared, early, run_beside
from .result import RunResult, ServiceRun, headline, headline_text, run_record
from .site_names import PLACE_COLUMNS, named_sites

T = TypeVar("T")

if TYPE_CHECKING:
    import scipy.sparse as sp
    from markupsafe import Markup

    from ..maps.report import ReportInputs


def map_inputs(result: RunResult, lang: str = "zh") -> MapInputs:
    """The tables the HTML map and the PNG figure draw, all in WGS84.

    A service without a facility list (`RunResult.no_list`) has unknown walking times (NaN, not
    "no route") and its headline reads "no data"; the "after" headline of a service with no
    existing facility says it counts the proposed sites only.
    """
    demand = result.demand.copy()
    runs = result.runs()
    unknown = result.no_list()
    for key, r in runs.items():
        demand[f"time_s_{key}"] = np.nan if key in unknown else r.reach.time_s
        demand[f"threshold_s_{key}"] = r.threshold_s
    isochrones = isochrone_table(runs)
    admin = _admin_shares(result)
    heads = [
        (_headline_label(svc, grp, lang, result.proposed_only(svc)), headline_text(share, lang))
        for svc, (grp, share) in headline(result).items()
    ]
    streets = result.network.edges_gdf()[["highway", "geometry"]].to_crs(4326)
    return MapInputs(
        demand=demand,
        streets=streets,
        isochrones=isochrones,
        facilities=result.facilities,
        sites=_sites(result, lang),
        admin=admin,
        outline=study_outline(result, lang),
        services=tuple(runs),
        assumptions=result.assumptions,
        sources=sources(result, lang),
        title=_title(result, lang),
        headlines=tuple(heads),
        no_data=unknown,
    )


def isochrone_table(runs: dict[str, ServiceRun]) -> gpd.GeoDataFrame | None:
    """The runs' isochrones in one WGS84 table, ``service`` the run's key (``None``: none drawn).

    A run whose isochrones the writing process has not drawn yet (``None``) is left out.
    """
    drawn = {key: r.isochrones for key, r in runs.items() if r.isochrones is not None and len(r.isochrones)}
    iso = [table.to_crs(4326).assign(service=key) for key, table in drawn.items()]
    if not iso:
        return None
    isochrones = gpd.GeoDataFrame(pd.concat(iso, ignore_index=True), crs=4326)
    isochrones = isochrones[~isochrones.geometry.is_empty]
    return isochrones.rename(columns={"reached_length_m": "length_m"})


def for_basemap(mi: MapInputs, basemap: str) -> MapInputs:
    """``mi`` in the datum of ``basemap``'s tiles: shifted to GCJ-02 for Amap, as it is otherwise.

    The tables are first brought to EPSG:4326 (`lifecircle.maps.inputs.lonlat`), then shifted
    with `lifecircle.geodata.crs.from_wgs84`; the result says ``datum="gcj02"``.
    """
    if basemap_datum(basemap) != "gcj02" or mi.datum == "gcj02":
        return mi
    mi = lonlat(mi)
    shifted = {name: from_wgs84(gdf, "gcj02") for name in TABLES if (gdf := getattr(mi, name)) is not None}
    return replace(mi, datum="gcj02", **shifted)


def _sites(result: RunResult, lang: str) -> gpd.GeoDataFrame | None:
    """The proposed sites named in ``lang``; a group the demand does not know gains NaN, never 0."""
    if result.sites is None:
        return None
    sites = named_sites(result.sites, lang)
    for g in GROUPS:
        known = g in result.demand and np.isfinite(result.demand[g].to_numpy(dtype=float)).any()
        if f"gain_{g}" in sites and not known:
            sites[f"gain_{g}"] = np.nan
    return sites


def study_outline(result: RunResult, lang: str = "zh") -> gpd.GeoDataFrame | None:
    """The study area's outline in WGS84, named after the jurisdiction (``None`` without an area)."""
    if result.area is None or result.area.is_empty:
        return None
    return gpd.GeoDataFrame({"name": [result.jurisdiction.name(lang)]}, geometry=[result.area], crs=4326)


def export_sites(result: RunResult, lang: str = "zh") -> pd.DataFrame | None:
    """The proposed-sites table the report and the XLSX get.

    The siting explanation by rank, with the sites' names (`site_names`), nearest named street
    and coordinates, never a candidate id.
    """
    siting = result.siting
    table = getattr(siting, "sites_table", None) if siting is not None else None
    if table is None or result.sites is None:
        return table
    named = named_sites(result.sites, lang)
    keep = ["rank", "name", *[c for c in PLACE_COLUMNS if c in named.columns]]
    if (named["candidate_name"].astype(str).str.strip() != "").any():
        keep.append("candidate_name")
    places = pd.DataFrame(named[keep])
    out = pd.DataFrame(table).drop(columns=["site", "candidate", "geometry"], errors="ignore")
    for g in GROUPS:  # a group the demand does not know gains NaN, never 0
        if f"new_{g}" in out and not (g in result.demand and result.demand[g].notna().any()):
            out[f"new_{g}"] = np.nan
    return places.merge(out, on="rank", how="right")[[*keep, *[c for c in out.columns if c != "rank"]]]


def _headline_label(service: str, group: str, lang: str, proposed_only: bool = False) -> str:
    if service.endswith("_after"):
        base = _headline_label(service.removesuffix("_after"), group, lang)
        sites = say("outputs.proposed_only" if proposed_only else "outputs.with_sites", lang)
        return say("outputs.headline.after", lang, base=base, sites=sites)
    return say("outputs.headline", lang, service=_ind.label(service, lang), group=_ind.label(group, lang))


def _title(result: RunResult, lang: str) -> str:
    name = result.scenario.name
    j = result.jurisdiction.name(lang)
    return f"{name} — {j}"


def _admin_shares(result: RunResult) -> gpd.GeoDataFrame | None:
    """The units with their coverage shares, ``share_<service>_<group>`` (0–1).

    For the sited service also with the proposed sites, ``share_<service>_after_<group>``.
    """
    units = result.units
    if units is None or len(units) == 0:
        return None
    out = units.copy()
    tables = [(result.indicators, "")]
    if result.indicators_after is not None and result.after is not None:
        tables.append((result.indicators_after, "_after"))
    for tab, suffix in tables:
        cov = tab[
            (tab["metric"] == "coverage")
            & (tab["area"] == "all")
            & tab["scope"].isin(["street", "community"])
        ]
        if suffix:
            cov = cov[cov["service"] == result.after.service]
        for (svc, grp), sub in cov.groupby(["service", "group"]):
            m = dict(zip(sub["unit"].astype(str), sub["value"].astype(float) / 100.0, strict=False))
            out[f"share_{svc}{suffix}_{grp}"] = out["code"].astype(str).map(m)
    return out


def sources(result: RunResult, lang: str = "zh") -> list[DataSource]:
    """Data sources of the run with their licences, named in ``lang``."""
    scen = result.scenario
    source = say("outputs.source.network", lang, source=result.network.source)
    out = [DataSource(source, _licence(scen.network.source, lang), "")]
    d = scen.demand
    kind = say(f"outputs.demand_kind.{d.kind}", lang)
    source = say("outputs.source.population", lang, kind=kind, path=d.path or d.osm)
    out.append(DataSource(source, _licence(d.path or d.osm, lang), ""))
    for f in scen.facilities:
        source = say("outputs.source.facilities", lang, path=f.path or f"OpenStreetMap {f.osm}")
        out.append(DataSource(source, _licence(f.path or f.osm, lang), ""))
    if scen.study_area.boundary is not None:
        b = scen.study_area.boundary.path
        out.append(DataSource(say("outputs.source.study_area", lang, path=b), _licence(b, lang), ""))
    if scen.study_area.adcode:
        source = say("outputs.source.adcode", lang, adcode=scen.study_area.adcode)
        out.append(DataSource(source, say("outputs.licence.cnmaps", lang), ""))
    return out


def _licence(path: str | None, lang: str) -> str:
    if not path:
        return ""
    p = str(path).lower()
    if p == "embedded" or p.endswith((".pbf", ".osm", ".osm.bz2")) or "osm" in Path(p).name:
        return say("outputs.licence.osm", lang)
    if "boundaries" in p or "gcj02" in p:
        return say("outputs.licence.cnmaps", lang)
    if "hexgrid" in p:
        return say("outputs.licence.r5py", lang)
    return say("outputs.licence.user", lang)


def plan_of(result: RunResult, lang: str = "zh") -> pd.DataFrame | None:
    """The plan's indicator table of the run (``None`` when its standards set no coverage target)."""
    if not len(result.standards.coverage_targets):
        return None
    return _ind.plan_table(result.indicators, result.standards, lang=lang)


def report_inputs(
    result: RunResult, mi: MapInputs, lang: str = "zh", *, shared: tuple | None = None
) -> ReportInputs:
    """The report's tables, taken from the indicator table and the siting result.

    ``shared`` is ``(plan table, sites table)`` when the caller has them already
    (`plan_of`, `export_sites`); they are computed otherwise.
    """
    from ..maps.report import ReportInputs  # the report's template engine: only when a report is written

    tab = result.indicators
    plan, sites = shared if shared is not None else (plan_of(result, lang), export_sites(result, lang))
    by_unit: dict[str, pd.DataFrame] = {}
    for level in ("street", "community"):
        known = tab.loc[tab["scope"] == level, "unit"].fillna("").astype(str)
        if (known != "").any():
            for svc in result.services:
                key = f"{level}:{svc}"
                by_unit[key] = _ind.coverage_wide(
                    tab, level=level, service=svc, standards=result.standards, lang=lang
                )
    cap = tab[tab["metric"].isin(["supply", "per_1000", "need", "gap"]) & (tab["scope"] == "district")]
    siting = result.siting
    return ReportInputs(
        title=mi.title,
        plan_table=plan,
        coverage_by_unit=by_unit or None,
        capacity_gaps=cap if len(cap) else None,
        sites=sites,
        siting_summary=_siting_summary(siting, lang),
        indicators=tab,
        assumptions=result.assumptions,
        notes=[*result.standards.notes, *result.notes],
        sources=mi.sources,
        figures=_figures(result, mi, lang),
        headlines=mi.headlines,
        run_info=_run_info(result, lang),
    )


def _figures(result: RunResult, mi: MapInputs, lang: str) -> list[tuple[str, Markup, list[str]]]:
    """A coverage map per service as inline SVG, with its assumption lines."""
    notes = assumption_lines(mi, lang)
    return [
        (say("outputs.figure_caption", lang, service=_ind.label(svc, lang)), svg, notes)
        for svc, svg in _drawn(result, lambda svc: coverage_svg(mi, service=svc, lang=lang))
    ]


def _write_pngs(result: RunResult, mi: MapInputs, folder: Path, lang: str) -> None:
    """``figure_<service>.png`` per service (`lifecircle.maps.figures.coverage_png`), for print."""
    from ..maps.figures import coverage_png  # matplotlib: only when the PNGs are asked for

    for svc, png in _drawn(result, lambda svc: coverage_png(mi, service=svc, lang=lang)):
        (folder / f"figure_{svc}.png").write_bytes(png)


def _drawn(result: RunResult, draw: Callable[[str], T]) -> Iterator[tuple[str, T]]:
    """``(service, draw(service))`` per service; one that cannot be drawn is noted in the run record."""
    for svc in result.services:
        try:
            figure = draw(svc)
        except Exception as exc:  # a figure is a convenience; the run record notes why it is missing
            result.notes.append(
                Note("outputs.figure_failed", service=svc, label=label_msg(svc), error=str(exc))
            )
            continue
        yield svc, figure


def _siting_summary(siting, lang: str) -> list[tuple[str, str]]:
    """``(label, value)`` pairs about the siting solve (none without one)."""
    if siting is None:
        return []
    values = {
        "model": siting.model,
        "new_sites": str(len(siting.sites)),
        "objective": f"{siting.objective:,.2f}",
        "bound": f"{siting.bound:,.2f}",
        "gap": f"{siting.gap:.2%}",
        "status": siting.status,
        "solver": siting.solver,
        "seconds": f"{siting.seconds:.2f}",
    }
    rows = [(say(f"outputs.summary.{key}", lang), value) for key, value in values.items()]
    # why the count may differ from a plan's: the walking model, not the usual node snapping
    model = (say("outputs.summary.walking_model", lang), say("outputs.summary.walking_model_text", lang))
    return [*rows, model]


def _run_info(result: RunResult, lang: str) -> list[tuple[str, str]]:
    """``(label, value)`` pairs naming the run at the top of the report."""
    j = result.jurisdiction
    net = result.network
    values = {
        "scenario": result.scenario.name,
        "jurisdiction": f"{j.name(lang)} ({j.document.get('code', '')})",
        "network": say("outputs.network_size", lang, nodes=net.n_nodes, edges=net.n_edges),
        "demand": f"{len(result.demand):,}",
        "facilities": f"{len(result.facilities):,}",
    }
    return [(say(f"outputs.run_info.{key}", lang), value) for key, value in values.items()]


def layers(result: RunResult, mi: MapInputs) -> dict[str, gpd.GeoDataFrame | pd.DataFrame]:
    """GeoPackage layers: demand with times, isochrones, facilities, units, sites, indicators."""
    out: dict[str, gpd.GeoDataFrame | pd.DataFrame] = {}
    demand = mi.demand.copy()
    for col in [c for c in demand.columns if c.startswith("time_s_")]:
        demand[col] = demand[col].replace(np.inf, np.nan)
    out["demand"] = demand
    if mi.isochrones is not None:
        out["isochrones"] = mi.isochrones
    if len(result.facilities):
        out["facilities"] = result.facilities
    if mi.admin is not None:
        out["units"] = mi.admin
    if mi.outline is not None:
        out["study_area"] = mi.outline
    if mi.sites is not None:
        out["sites"] = mi.sites
    out["indicators"] = result.indicators
    if result.indicators_after is not None:
        out["indicators_after"] = result.indicators_after
    return out


def write_outputs(
    result: RunResult, out_dir: Path, *, lang: str = "zh", writer: Prepared | None = None
) -> Path:
    """Write every output into ``out_dir`` at once (staged in a temporary folder, then moved).

    What is drawn (the map with its what-if, the report) is written in another process while
    this one writes the tables and the layers (`lifecircle.scenarios.beside.run_beside`; one
    after the other where processes cannot be forked): in ``writer``, a child started with
    `warm_writer` at the start of the run (its drawing libraries and templates loaded), when
    given, else in a child forked now. Each output's cost goes into the run's timings
    (``write:<output>`` in ``run.json``), and the wall time of the whole writing as ``write:all``.
    """
    t0 = time.perf_counter()
    mi = map_inputs(result, lang)
    shared = (plan_of(result, lang), export_sites(result, lang))  # in the report and the workbook
    prepared = _taking(writer, result)
    with staged_folder(out_dir, "run", meta={"scenario": result.scenario.name}) as tmp:
        timings, notes = run_beside(
            partial(_write_drawn, result, mi, shared, tmp, lang),
            partial(_write_files, result, mi, shared, tmp, lang, prepared),
            child=prepared,
        )
        result.timings.update(timings)
        result.timings["write:all"] = round(time.perf_counter() - t0, 3)  # both processes, wall
        result.notes.extend(notes)
        (tmp / "run.json").write_text(
            json.dumps(run_record(result), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
    return out_dir


def warm_writer() -> None:
    """Load what `_write_drawn` needs (folium, the page's scripts, the report's templates) ahead of the job.

    Run in the child `lifecircle.scenarios.beside.prepared` starts at the beginning of a run,
    so the half second these imports take is spent on the second core while the first computes.
    """
    from ..maps import assets
    from ..maps.report import write_report  # noqa: F401  (imported for its side effect: loaded)
    from ..maps.webmap import write_map  # noqa: F401
    from .whatif import add_whatif  # noqa: F401

    for text in (assets.leaflet_js, assets.leaflet_css, assets.runtime_js, assets.runtime_css):
        text()
    assets.template("report.html.j2")


def write_ahead(writer: Prepared | None, result: RunResult, lang: str) -> bool:
    """Hand the writing process what it can compute before the siting step ends (the what-if's times).

    Called with the run before its siting step: the what-if's sites and walking times do not
    depend on the proposal (`lifecircle.scenarios.whatif.early_sites`), so the writing process,
    idle once loaded, computes them while this one solves the siting model. Returns whether
    the writing process takes this run's tables (the job then goes to it, see `draw_ahead`).
    """
    writer = _taking(writer, result)
    return writer is not None and writer.ahead(_EARLY_WHATIF, partial(_early_whatif, result, lang))


def share_matrix(writer: Prepared, service: str, matrix: sp.csr_matrix) -> None:
    """Hand the writing process the siting model's home × candidate matrix of ``service``.

    `write_ahead`'s job leaves the candidates' columns of the sited service's what-if to this
    one (`lifecircle.scenarios.whatif.ServiceSites.with_candidates`); a what-if left without
    them computes them itself.
    """
    writer.ahead(_EARLY_CANDIDATES, partial(_with_candidates, service, matrix))


def draw_ahead(writer: Prepared, drawing: Callable[[], gpd.GeoDataFrame]) -> bool:
    """Have the writing process draw the isochrones with the proposed sites open (`drawing`).

    Returns whether it took them; the map's job then finds them ready (`_after_isochrones`), and
    they come back here for the layers (`_write_files`, `lifecircle.scenarios.beside.Prepared.fetch`).
    """
    return writer.ahead(_EARLY_AFTER_ISOCHRONES, drawing, send_back=True)


#: Largest run (network edges plus homes) whose tables are handed to the prepared writer: about
#: 850 bytes of pickle each (Yuzhong: 3,040 edges and 1,842 homes, 4.1 MB), so 64 MB at most,
#: half a second to pickle and unpickle. A larger run forks its writer when the tables are
#: ready instead, sharing them without a copy, and loads the map's libraries then (0.4 s).
HAND_OVER_ROWS = 75_000


def hand_over_rows(result: RunResult) -> int:
    """What the hand-over's size grows with: the network's edges and the homes."""
    return int(result.network.n_edges) + len(result.demand)


def _taking(writer: Prepared | None, result: RunResult) -> Prepared | None:
    """``writer`` when it takes this run's tables (at most `HAND_OVER_ROWS`), else ``None``."""
    return writer if writer is not None and hand_over_rows(result) <= HAND_OVER_ROWS else None


#: The names of the early jobs in the writing process: the what-if's times, the siting model's
#: times to its candidates (the what-if's too), the proposal's isochrones.
_EARLY_WHATIF = "whatif"
_EARLY_CANDIDATES = "whatif_candidates"
_EARLY_AFTER_ISOCHRONES = "after_isochrones"


def _early_whatif(result: RunResult, lang: str) -> dict:
    from .whatif import early_sites

    return early_sites(result, lang, candidates_later=True)


def _with_candidates(service: str, matrix: sp.csr_matrix) -> bool:
    """In the writing process: complete the early what-if of ``service`` with the candidates' matrix."""
    ready = early(_EARLY_WHATIF)
    if not isinstance(ready, dict) or service not in ready:
        return False
    ready[service] = ready[service].with_candidates(matrix)
    return True


def _write_drawn(
    result: RunResult, mi: MapInputs, shared: tuple, folder: Path, lang: str
) -> tuple[dict, list]:
    """``map.html`` with its what-if panel, then ``report.html``; return their timings and new notes.

    ``shared`` is ``(plan table, sites table)``, as the workbook has them. The proposal's
    isochrones are drawn here when the run left them to this process (`_after_isochrones`). The
    notes are taken out of ``result`` and returned, so the caller adds them the same way whether
    this ran in a child process or here.
    """
    # the drawing libraries (folium, the report's templates) load here, not for the commands that draw nothing
    from ..maps.report import write_report
    from ..maps.webmap import write_map
    from .whatif import add_whatif

    start = len(result.notes)
    mi = _after_isochrones(result, mi, early(_EARLY_AFTER_ISOCHRONES))
    basemap = result.scenario.outputs.basemap
    with _timed(result, "map"):
        write_map(for_basemap(mi, basemap), folder / "map.html", basemap=basemap, lang=lang)
    with _timed(result, "whatif"):  # the what-if panel (docs/whatif.md)
        add_whatif(result, folder / "map.html", lang=lang, ready=early(_EARLY_WHATIF))
    with _timed(result, "report"):
        write_report(report_inputs(result, mi, lang, shared=shared), folder / "report.html", lang=lang)
    notes = result.notes[start:]
    del result.notes[start:]
    return {k: result.timings[k] for k in ("write:map", "write:whatif", "write:report")}, notes


def _after_isochrones(result: RunResult, mi: MapInputs, drawn: gpd.GeoDataFrame | None) -> MapInputs:
    """Put the proposal's isochrones into ``result`` where the run left them to be drawn; ``mi`` with them.

    ``drawn`` are those the writing process drew ahead (there: its early value; here: what it
    sent back); without them they are drawn now. ``mi`` comes back as it is when there were none
    to put.
    """
    if result.after is None or result.after.isochrones is not None:
        return mi
    from .siting import after_isochrones

    result.after.isochrones = drawn if drawn is not None else after_isochrones(result)()
    return replace(mi, isochrones=isochrone_table(result.runs()))


def _write_files(
    result: RunResult, mi: MapInputs, shared: tuple, folder: Path, lang: str, writer: Prepared | None = None
) -> None:
    """The indicator tables, the proposed sites, the layers (and PNGs when asked).

    ``shared`` is ``(plan table, sites table)``, as the report has them.

    The layers hold the proposal's isochrones: when the run left them to ``writer``, they are
    taken from it (`lifecircle.scenarios.beside.Prepared.fetch`), drawn here only if it sent none.
    """
    with _timed(result, "csv"):
        _export.write_indicators_csv(result.indicators, folder / "indicators.csv")
        if result.indicators_after is not None:
            _export.write_indicators_csv(result.indicators_after, folder / "indicators_after.csv")
    if mi.sites is not None:  # named in the run's language, as on the map and in the tables
        sites = mi.sites.copy()
        sites["tier"], sites["status"] = "proposed", "planned"
        sites.to_file(folder / "sites.geojson", driver="GeoJSON")
    with _timed(result, "xlsx"):
        _export.write_xlsx(_xlsx_tables(result, lang, shared), folder / "indicators.xlsx", lang=lang)
    with _timed(result, "gpkg"):
        fetched = writer.fetch(_EARLY_AFTER_ISOCHRONES) if writer is not None else None
        mi = _after_isochrones(result, mi, fetched)
        _export.write_gpkg(layers(result, mi), folder / "layers.gpkg")
    if result.scenario.outputs.png:
        with _timed(result, "png"):
            _write_pngs(result, mi, folder, lang)


def _xlsx_tables(result: RunResult, lang: str, shared: tuple) -> dict[str, pd.DataFrame]:
    """The workbook's tables: the plan first, the long table, units without a station, sites, matches.

    ``shared`` is ``(plan table, sites table)`` as the report got them.
    """
    tables = {"indicators": result.indicators}
    plan, sites_table = shared
    if plan is not None:
        tables["plan"] = plan
    missing = _ind.missing_units(result.indicators)
    if len(missing):
        tables["missing_units"] = missing
    if sites_table is not None:
        tables["sites"] = sites_table
    if result.unit_matches is not None and len(result.unit_matches):
        tables["unit_matches"] = match_table(result.unit_matches, lang)
    return tables


@contextmanager
def _timed(result: RunResult, name: str) -> Iterator[None]:
    """Add the block's wall time to the run's timings as ``write:<name>``."""
    t0 = time.perf_counter()
    yield
    result.timings[f"write:{name}"] = round(time.perf_counter() - t0, 3)
