"""The ``lifecircle`` command line: one command per job, clear errors, exit code 2 on bad input."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..geodata import settings
from ..geodata.common import InputError, note_text
from ..maps.i18n import t

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="lifecircle: walking reach of elderly-care and childcare services (一老一小服务圈).",
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

Lang = Annotated[str, typer.Option("--lang", help="Language of what is printed: zh or en.")]


@app.callback()
def _root(
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Progress bars on stderr.")
    ] = None,
) -> None:
    settings.show_progress = sys.stderr.isatty() if progress is None else progress


@app.command()
def network(
    source: Annotated[
        str,
        typer.Argument(
            help="An .osm.pbf, .osm(.bz2) file, a road line layer (.geojson/.gpkg/.shp/.zip), "
            "'embedded' (central Helsinki), or 'place:<name>' (Overpass, online)."
        ),
    ],
    clip: Annotated[
        str | None, typer.Option(help="Clip area: a polygon file or minlon,minlat,maxlon,maxlat.")
    ] = None,
    clip_crs: Annotated[
        str | None, typer.Option(help="CRS of the clip file: wgs84, gcj02, bd09 or an EPSG code.")
    ] = None,
    lines_crs: Annotated[
        str | None, typer.Option(help="CRS of a line layer when the file does not say it right.")
    ] = None,
    all_components: Annotated[
        bool, typer.Option("--all-components", help="Keep every component, not only the largest.")
    ] = False,
    save: Annotated[
        Path | None, typer.Option("--out", help="Save the network as a GeoPackage (.gpkg).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    lang: Lang = "zh",
) -> None:
    """Build a walk network and print its summary (nodes, edges, km by class, steps, components)."""
    from ..geodata.files import owned_file
    from ..geodata.sources import network_summary, read_network

    if save is not None:
        save = _out_file(save, (".gpkg",))
    net = read_network(
        source,
        clip=clip,
        clip_crs=clip_crs,
        lines_crs=lines_crs,
        keep="all" if all_components else "giant",
    )
    summary = network_summary(net)
    if save is not None:
        with owned_file(save) as tmp:
            net.to_file(tmp)
        summary["saved"] = str(save)
    if as_json:
        out.print_json(json.dumps(summary, ensure_ascii=False))
        return
    print_network_summary(summary, lang)


def print_network_summary(summary: dict, lang: str = "zh") -> None:
    """Print a network summary as two small tables."""
    tab = Table(title=t("network", lang), show_header=False)
    tab.add_row(t("source", lang), summary["source"])
    tab.add_row(t("crs", lang), summary["crs"])
    tab.add_row(t("nodes", lang), f"{summary['nodes']:,}")
    tab.add_row(t("edges", lang), f"{summary['edges']:,}")
    tab.add_row(t("length_km", lang), f"{summary['length_km']:,.2f}")
    tab.add_row(t("steps_km", lang), f"{summary['steps_km']:,.2f}")
    tab.add_row(t("components", lang), f"{summary['components']:,}")
    tab.add_row(
        t("dropped", lang),
        f"{summary['nodes_dropped']:,} / {summary['nodes_before']:,} "
        f"({1 - summary['share_nodes_kept']:.1%}), {summary['length_dropped_km']:.2f} km",
    )
    tab.add_row(t("bbox", lang), ", ".join(f"{b:.5f}" for b in summary["bbox_wgs84"]))
    if "saved" in summary:
        tab.add_row(t("saved", lang), summary["saved"])
    out.print(tab)
    cls = Table(title=t("km_by_class", lang))
    cls.add_column(t("class", lang))
    cls.add_column("km", justify="right")
    for name, km in summary["km_by_class"].items():
        cls.add_row(name, f"{km:,.2f}")
    out.print(cls)


@app.command()
def facilities(
    source: Annotated[
        str,
        typer.Argument(
            help="A facility list (.csv/.xlsx/.geojson/.gpkg/.shp), an OSM extract (.osm.pbf, "
            ".osm(.bz2)) whose tags are read, or 'embedded' (central Helsinki)."
        ),
    ],
    service: Annotated[
        str | None, typer.Option(help="elderly or childcare: keep only this service, or set it.")
    ] = None,
    crs: Annotated[
        str | None,
        typer.Option(help="CRS of the coordinates: wgs84, gcj02 (Amap), bd09 (Baidu) or an EPSG code."),
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(help="Header of a field, as field=header (e.g. name=机构, capacity=核定床位)."),
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="Worksheet (XLSX) or layer (GPKG) to read.")] = None,
    status: Annotated[
        str, typer.Option(help="Status of rows without one: existing, planned or candidate.")
    ] = "existing",
    clip: Annotated[
        str | None, typer.Option(help="OSM only: clip area, a polygon file or minlon,minlat,maxlon,maxlat.")
    ] = None,
    save: Annotated[
        Path | None, typer.Option("--out", help="Save the table as .gpkg, .geojson or .csv.")
    ] = None,
    lang: Lang = "zh",
) -> None:
    """Read facilities and print counts by service, tier and status (optionally save the table)."""
    from ..geodata.facilities import (
        OSM_TIERS,
        check_out_path,
        facilities_from_osm,
        facility_counts,
        read_facilities,
        write_facilities,
    )

    if save is not None:
        check_out_path(save)
        save = _out_file(save, (".gpkg", ".geojson", ".csv"))
    name = source.lower()
    if name == "embedded" or name.endswith((".pbf", ".osm", ".osm.bz2", ".osm.gz")):
        services = (service,) if service else ("elderly", "childcare")
        table = facilities_from_osm(source, clip=clip, services=services)
    else:
        table = read_facilities(
            source,
            service=service,
            crs=crs,
            columns=_column_overrides(column or [], source),
            sheet=sheet,
            status=status,
        )
    if save is not None:
        from ..geodata.files import owned_file

        with owned_file(save) as tmp:
            write_facilities(table, tmp)
    counts = facility_counts(table)
    tab = Table(title=f"{t('facility_counts', lang)}: {source}")
    for key in ("service", "tier", "status", "count", "capacity", "capacity_known"):
        tab.add_column(t(key, lang), justify="right" if key.startswith(("count", "cap")) else "left")
    for row in counts.itertuples(index=False):
        tab.add_row(
            t(row.service, lang),
            (t(row.tier, lang) if row.tier in OSM_TIERS else row.tier) or t("tier_unknown", lang),
            t(row.status, lang),
            f"{row.count:,}",
            f"{row.capacity:,.0f}" if row.capacity_known else "–",
            f"{row.capacity_known:,}",
        )
    tab.add_row(t("total", lang), "", "", f"{len(table):,}", "", "", end_section=True)
    out.print(tab)
    if save is not None:
        out.print(f"{t('saved', lang)}: {save}")


def _column_overrides(pairs: list[str], source: str) -> dict[str, str]:
    """Parse ``field=header`` pairs given with ``--column``."""
    overrides = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip() or not header.strip():
            raise InputError(
                f"{source}: --column {pair!r} must read field=header, e.g. name=机构名称.",
                zh=f"{source}：--column {pair!r} 须写成 字段=表头，例如 name=机构名称。",
            )
        overrides[field.strip()] = header.strip()
    return overrides


@app.command()
def demand(
    source: Annotated[
        str,
        typer.Argument(
            help="A population table (.csv/.xlsx with lon/lat, .geojson/.gpkg/.zip of points or "
            "polygons), a population raster (.tif), building footprints (.geojson/.gpkg/.osm.pbf), "
            "or 'embedded' (central Helsinki buildings)."
        ),
    ],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="auto, table, raster, buildings (spread known totals) or floor-area "
            "(residents per m² of floor area).",
        ),
    ] = "auto",
    pop_col: Annotated[str, typer.Option(help="Column of residents in a table.")] = "population",
    group_col: Annotated[
        list[str] | None,
        typer.Option(help="Column of a group in a table, as group=column (e.g. pop_60=老年人口)."),
    ] = None,
    crs: Annotated[
        str | None, typer.Option(help="CRS of the source: wgs84, gcj02, bd09 or an EPSG code.")
    ] = None,
    total: Annotated[
        float | None, typer.Option(help="Residents of the whole area, spread over the buildings.")
    ] = None,
    group_total: Annotated[
        list[str] | None,
        typer.Option(help="Known group count of the whole area, as group=count (e.g. pop_60=116300)."),
    ] = None,
    totals: Annotated[
        Path | None,
        typer.Option(help="CSV of totals per admin unit (code, pop_total, pop_60, …); needs --units."),
    ] = None,
    share: Annotated[
        list[str] | None,
        typer.Option(help="Share of residents in a group, as group=share (e.g. pop_60=0.187)."),
    ] = None,
    persons_per_m2: Annotated[
        float | None, typer.Option(help="floor-area: residents per m² of floor area (default 1/40).")
    ] = None,
    levels: Annotated[
        float | None,
        typer.Option(help="Levels of buildings that state none (default: median of those that do)."),
    ] = None,
    clip: Annotated[
        str | None, typer.Option(help="Keep demand inside this polygon file or minlon,minlat,maxlon,maxlat.")
    ] = None,
    clip_crs: Annotated[
        str | None, typer.Option(help="CRS of the clip file (gcj02 for Chinese sources).")
    ] = None,
    units: Annotated[Path | None, typer.Option(help="Admin-unit polygons to attribute demand to.")] = None,
    units_level: Annotated[
        str, typer.Option(help="Level of --units: district, street or community.")
    ] = "district",
    units_crs: Annotated[str | None, typer.Option(help="CRS of --units (gcj02 for Chinese sources).")] = None,
    units_code: Annotated[
        str | None, typer.Option(help="Code of a single --units polygon without attributes.")
    ] = None,
    units_name: Annotated[
        str | None, typer.Option(help="Name of a single --units polygon without attributes.")
    ] = None,
    rural_zone: Annotated[
        Path | None,
        typer.Option(help="Polygons whose demand is rural whatever its admin type (e.g. 中梁山以西)."),
    ] = None,
    zone_crs: Annotated[str | None, typer.Option(help="CRS of --rural-zone.")] = None,
    save: Annotated[
        Path | None, typer.Option("--out", help="Save the table as .gpkg, .geojson or .csv.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    lang: Lang = "zh",
) -> None:
    """Build the demand table (residents by group, admin codes, urban flag) and print its summary."""
    from ..geodata.admin import apply_urban_overrides, read_admin_units
    from ..geodata.demand import (
        Demand,
        demand_from_buildings,
        demand_from_floor_area,
        demand_from_raster,
        demand_from_table,
        demand_summary,
        read_unit_totals,
        write_demand,
    )

    if save is not None and save.suffix.lower() not in {".gpkg", ".geojson", ".csv"}:
        raise InputError(
            f"{save}: demand is saved as .gpkg, .geojson or .csv; change the file name.",
            zh=f"{save}：需求点只能保存为 .gpkg、.geojson 或 .csv；请修改文件名。",
        )
    if save is not None:
        save = _out_file(save, (".gpkg", ".geojson", ".csv"))
    shares = {k: _float_value(v, "--share", k) for k, v in _column_overrides(share or [], "--share").items()}
    gtotals = {
        k: _float_value(v, "--group-total", k)
        for k, v in _column_overrides(group_total or [], "--group-total").items()
    }
    unit_table = None
    if units is not None:
        unit_table = read_admin_units(
            units, level=units_level, crs=units_crs, code=units_code, name=units_name
        )
    name = source.lower()
    if kind == "auto":
        if name.endswith((".tif", ".tiff")):
            kind = "raster"
        elif name == "embedded" or name.endswith(".pbf"):
            kind = "buildings" if (total is not None or totals is not None) else "floor-area"
        else:
            kind = "buildings" if (total is not None or totals is not None) else "table"
    if kind == "table":
        result = demand_from_table(
            source, pop_col=pop_col, group_cols=_column_overrides(group_col or [], "--group-col"),
            group_shares=shares, crs=crs, units=unit_table, clip=clip, clip_crs=clip_crs,
        )  # fmt: skip
    elif kind == "raster":
        result = demand_from_raster(
            source, clip=clip, clip_crs=clip_crs, crs=crs, group_shares=shares, units=unit_table
        )
    elif kind == "buildings":
        if totals is not None:
            if unit_table is None:
                raise InputError(
                    f"{totals}: totals per unit need the units' polygons; add --units FILE.",
                    zh=f"{totals}：按单元给出的总人口需要各单元的边界面；请加上 --units FILE。",
                )
            per_unit, per_unit_groups = read_unit_totals(totals)
            total_arg, group_arg = per_unit, {**per_unit_groups}
        elif total is not None and unit_table is not None and len(unit_table) == 1:
            code = str(unit_table["code"].iloc[0])  # the one unit's total, spread inside it
            total_arg, group_arg = {code: total}, {g: {code: v} for g, v in gtotals.items()}
        elif total is not None:
            total_arg, group_arg = total, gtotals
        else:
            raise InputError(
                f"{source}: spreading over buildings needs --total N or --totals FILE.",
                zh=f"{source}：把人口分配到建筑需要 --total N 或 --totals FILE。",
            )
        result = demand_from_buildings(
            source, totals=total_arg, units=unit_table, default_levels=levels, group_totals=group_arg,
            group_shares=shares, crs=crs, clip=clip, clip_crs=clip_crs,
        )  # fmt: skip
    elif kind == "floor-area":
        result = demand_from_floor_area(
            source, default_levels=levels, group_shares=shares, crs=crs, clip=clip, clip_crs=clip_crs,
            units=unit_table, **({"persons_per_m2": persons_per_m2} if persons_per_m2 is not None else {}),
        )  # fmt: skip
    else:
        raise InputError(
            f"--kind {kind!r}: use auto, table, raster, buildings or floor-area.",
            zh=f"--kind {kind!r}：请使用 auto、table、raster、buildings 或 floor-area。",
        )
    if rural_zone is not None:
        result = Demand(
            apply_urban_overrides(result.table, rural_zone, False, crs=zone_crs),
            result.assumptions,
            result.notes,
        )
    summary = demand_summary(result)
    if save is not None:
        from ..geodata.files import owned_file

        with owned_file(save) as tmp:
            write_demand(result, tmp)
        summary["saved"] = str(save)
    if as_json:
        out.print_json(json.dumps(summary, ensure_ascii=False))
        return
    print_demand_summary(summary, source, lang)


def _float_value(text: str, option: str, key: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InputError(
            f"{option} {key}={text!r}: the value must be a number.",
            zh=f"{option} {key}={text!r}：取值必须是数字。",
        ) from None


def _check_option(option: str, value: float | None, ok: bool, en: str, zh: str) -> None:
    """Raise `InputError` naming ``option`` unless ``value`` is None, finite and ``ok``.

    ``en`` and ``zh`` say what to give instead, e.g. "a number of minutes greater than 0".
    """
    if value is not None and not (math.isfinite(value) and ok):
        raise InputError(f"{option} {value:g}: give {en}.", zh=f"{option} {value:g}：请给出{zh}。")


def _check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    """Raise `InputError` naming ``option`` unless ``value`` is one of ``choices`` (with a suggestion)."""
    from .schema import did_you_mean

    if value not in choices:
        en, zh = did_you_mean(value, choices)
        raise InputError(
            f"{option} {value!r}{en}: use {', '.join(choices[:-1])} or {choices[-1]}.",
            zh=f"{option} {value!r}{zh}：请使用 {'、'.join(choices[:-1])} 或 {choices[-1]}。",
        )


def _check_minutes(option: str, minutes: float | None) -> None:
    _check_option(
        option,
        minutes,
        minutes is not None and 0 < minutes <= 120,
        "a walking time in minutes greater than 0 and at most 120, e.g. 15",
        "大于 0 且不超过 120 的步行分钟数，例如 15",
    )


def _check_site_options(
    *,
    service: str,
    p: int | None,
    budget: float | None,
    spacing: float,
    min_area: float,
    per_1000: float | None,
    minutes: float,
    rural_minutes: float,
    time_limit: float,
    gap: float,
) -> None:
    """The numbers of `site` are in range, before anything is read; one sentence per option."""
    from ..geodata.schema import SERVICES

    _check_choice("--service", service, SERVICES)
    _check_option(
        "--p", p, p is not None and p >= 1, "a number of new sites of 1 or more", "不小于 1 的新增设施点数量"
    )
    _check_option(
        "--budget",
        budget,
        budget is not None and budget > 0,
        "a budget greater than 0, in the cost column's unit",
        "大于 0 的预算（与成本字段的单位相同）",
    )
    _check_option(
        "--spacing",
        spacing,
        spacing > 0,
        "a spacing in metres greater than 0, e.g. 200",
        "大于 0 的间距（米），例如 200",
    )
    _check_option(
        "--min-area",
        min_area,
        min_area >= 0,
        "an area in m² of 0 or more, e.g. 300",
        "不小于 0 的面积（平方米），例如 300",
    )
    _check_option(
        "--per-1000",
        per_1000,
        per_1000 is not None and per_1000 > 0,
        "a standard per 1,000 people greater than 0, e.g. 4.5",
        "大于 0 的每千人配置标准，例如 4.5",
    )
    _check_minutes("--minutes", minutes)
    _check_minutes("--rural-minutes", rural_minutes)
    _check_option(
        "--time-limit",
        time_limit,
        time_limit > 0,
        "a solver time limit in seconds greater than 0, e.g. 60",
        "大于 0 的求解时限（秒），例如 60",
    )
    _check_option(
        "--gap",
        gap,
        0 <= gap < 1,
        "a relative gap from 0 up to but not including 1, e.g. 0.01 for 1%",
        "0（含）到 1（不含）之间的相对差距，例如 0.01 表示 1%",
    )


def print_demand_summary(summary: dict, source: str, lang: str = "zh") -> None:
    """Print a demand summary: residents by group, urban and rural, admin units, assumptions."""
    zh = lang != "en"
    tab = Table(title=f"{'需求（人口）' if zh else 'Demand (population)'}: {source}", show_header=False)
    tab.add_row("需求点" if zh else "Demand points", f"{summary['points']:,}")
    for g, value in summary["totals"].items():
        tab.add_row(t(g, lang), "–" if value is None else f"{value:,.0f}")
    for key, flag in (("urban_yes", "urban"), ("urban_no", "rural")):
        pop = summary[f"{flag}_pop"]
        tab.add_row(
            t(key, lang),
            f"{summary[f'{flag}_points']:,} {'点' if zh else 'points'}, "
            f"{0 if pop is None else pop:,.0f} {'人' if zh else 'residents'}",
        )
    level_names = {"district": ("区县", "Districts"), "street": ("街道/镇", "Streets/towns"),
                   "community": ("社区/村", "Communities/villages")}  # fmt: skip
    for lvl, n in summary["units"].items():
        tab.add_row(level_names[lvl][0 if zh else 1], f"{n:,}")
    tab.add_row("未归属行政单元" if zh else "Outside every admin unit", f"{summary['unattributed']:,}")
    if "saved" in summary:
        tab.add_row(t("saved", lang), summary["saved"])
    out.print(tab)
    if summary.get("assumptions"):
        out.print(f"[bold]{t('assumptions', lang)}[/]")
        for a in summary["assumptions"]:
            out.print(f"  • {a['zh'] if zh else a['en']}", highlight=False)
    for note in summary.get("notes", []):
        _print_note(note, lang)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/demo"),
    lang: Lang = "zh",
) -> None:
    """Run the default scenario on the embedded central-Helsinki extract (works offline)."""
    from .presets import example_scenario
    from .schema import load_scenario

    out_dir = _out_folder(out_dir, "demo")
    _run_and_print(load_scenario(example_scenario("helsinki")), out_dir, lang)


@app.command()
def run(
    scenario: Annotated[
        Path | None,
        typer.Argument(help="Scenario YAML file; leave out to run the default (central Helsinki)."),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out/run"),
    lang: Annotated[str | None, typer.Option("--lang", help="zh or en; default the scenario's.")] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Run on an existing Dask cluster, e.g. tcp://host:8786 (implies partitions)."),
    ] = None,
    partitions: Annotated[
        str | None,
        typer.Option(help="Split the area into a tile grid run in parallel on Dask, e.g. 4x4."),
    ] = None,
) -> None:
    """Run a scenario: map.html, report.html, indicators.csv/.xlsx, layers.gpkg, run.json."""
    from .presets import example_scenario
    from .schema import load_scenario

    out_dir = _out_folder(out_dir, "run")
    path = scenario if scenario is not None else example_scenario("helsinki")
    scen = load_scenario(path)
    if lang is not None and lang not in ("zh", "en"):
        raise InputError(f"--lang {lang!r}: use zh or en.", zh=f"--lang {lang!r}：请使用 zh 或 en。")
    executor = None
    if scheduler or partitions or scen.distributed is not None:
        from .distributed import dask_settings
        from .executors import DaskExecutor
        from .partition import parse_tiles

        tiles = parse_tiles(partitions) if partitions else None
        executor = DaskExecutor(**dask_settings(scen, tiles, scheduler, None))
    _run_and_print(scen, out_dir, lang, executor)


def _headline_table(result, lang: str) -> Table:
    """A table of the run's headline shares (the group each service is for)."""
    from ..maps.report import column_label
    from .pipeline import headline, headline_text

    tab = Table(title=result.scenario.name, show_header=False)
    tab.add_column(overflow="fold")  # a narrow terminal wraps a label, never cuts it short
    tab.add_column(overflow="fold")
    for svc, (grp, share) in headline(result).items():
        key = f"headline_{svc}"
        name = t(key, lang) if grp != "pop_total" else f"{t(svc, lang)} · {column_label(grp, lang)}"
        if result.proposed_only(svc):  # no existing facility: the "after" counts the proposed sites only
            name += " (proposed sites only)" if lang == "en" else "（仅计建议站点）"
        tab.add_row(name, headline_text(share, lang))
    return tab


def _run_and_print(scen, out_dir: Path, lang: str | None, executor=None) -> None:
    from .pipeline import OUTPUT_FILES, run_scenario

    lang = lang or scen.outputs.lang
    if settings.show_progress:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar:
            task = bar.add_task(scen.name, total=None)
            result = run_scenario(
                scen, out_dir, lang=lang, log=lambda s: bar.update(task, description=s), executor=executor
            )
    else:
        result = run_scenario(scen, out_dir, lang=lang, executor=executor)
    tab = _headline_table(result, lang)
    if result.siting is not None:
        tab.add_row(
            t("sites", lang),
            f"{len(result.siting.sites)} ({result.siting.status}, gap {result.siting.gap:.2%})",
        )
    tab.add_row(
        t("seconds", lang), f"{result.timings.get('total_compute', 0) + result.timings.get('outputs', 0):.1f}"
    )
    for name in OUTPUT_FILES:
        tab.add_row(t("written", lang), str(out_dir / name))
    out.print(tab)
    for note in result.notes:
        _print_note(note, lang)


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="A run folder written by lifecircle run (the baseline).")],
    run_b: Annotated[
        Path | None,
        typer.Argument(help="A second run folder; leave out to compare RUN_A with its own optimized state."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Output folder (default: compare_<A>_vs_<B> beside RUN_A)."),
    ] = None,
    lang: Lang = "zh",
) -> None:
    """Compare two runs: indicator deltas and people newly within reach, by street and community."""
    from .compare import compare_runs, default_compare_dir

    out_dir = _out_folder(out_dir if out_dir is not None else default_compare_dir(run_a, run_b), "compare")
    res = compare_runs(run_a, run_b, out_dir, lang=lang)
    tab = Table(title=t("comparison", lang), show_header=False)
    for name, value in res["headline"]:
        tab.add_row(name, value)
    for name in ("comparison.html", "map.html", "deltas.csv", "gains.csv"):
        tab.add_row(t("written", lang), str(out_dir / name))
    out.print(tab)


@app.command()
def coverage(
    network_source: Annotated[
        str, typer.Argument(help="Walk network: .osm.pbf, .osm, line layer or 'embedded'.")
    ],
    facilities: Annotated[
        list[str],
        typer.Option("--facilities", "-f", help="Facility file (repeatable), or 'osm' for OSM tags."),
    ],
    demand: Annotated[
        str, typer.Option("--demand", "-d", help="Population: table, raster or building layer.")
    ],
    out_file: Annotated[
        Path, typer.Option("--out", help="GeoPackage to write (layers: demand, isochrones, units).")
    ],
    csv: Annotated[Path | None, typer.Option(help="Indicators CSV (default: beside --out).")] = None,
    service: Annotated[list[str], typer.Option("--service", "-s", help="Services (repeatable).")] = [  # noqa: B006
        "elderly"
    ],
    facilities_crs: Annotated[
        str | None, typer.Option(help="CRS of the facility files (e.g. gcj02).")
    ] = None,
    demand_kind: Annotated[str, typer.Option(help="table, raster, buildings or floor_area.")] = "table",
    pop_col: Annotated[str | None, typer.Option(help="Population column of a demand table.")] = None,
    total: Annotated[
        list[str] | None,
        typer.Option(help="Totals for building demand, e.g. pop_total=588700 pop_60=116300."),
    ] = None,
    jurisdiction: Annotated[
        str, typer.Option(help="Jurisdiction profile (thresholds, standards).")
    ] = "chongqing",
    minutes: Annotated[float | None, typer.Option(help="Override the walking threshold (minutes).")] = None,
    boundary: Annotated[str | None, typer.Option(help="Study-area polygon file.")] = None,
    boundary_crs: Annotated[str | None, typer.Option(help="CRS of the boundary file (e.g. gcj02).")] = None,
    dem: Annotated[str | None, typer.Option(help="Elevation GeoTIFF for sloped walking times.")] = None,
    lang: Lang = "zh",
) -> None:
    """Coverage of demand by facilities over a walk network: GeoPackage layers and an indicators CSV."""
    from ..geodata.schema import SERVICES
    from ..maps.export import write_gpkg, write_indicators_csv
    from .outputs import layers, map_inputs
    from .pipeline import run_scenario
    from .schema import scenario_from_dict

    for s in service:
        _check_choice("--service", s, SERVICES)
    _check_choice("--demand-kind", demand_kind, ("table", "raster", "buildings", "floor_area"))
    _check_minutes("--minutes", minutes)
    if out_file.suffix.lower() != ".gpkg":
        raise InputError(
            f"{out_file}: --out is a GeoPackage; use a .gpkg name.",
            zh=f"{out_file}：--out 输出为 GeoPackage；请使用 .gpkg 文件名。",
        )
    csv = csv or out_file.with_name(f"{out_file.stem}_indicators.csv")
    out_file = _out_file(out_file, (".gpkg",))
    csv = _out_file(csv, (".csv",), option="--csv")
    totals = {}
    for item in total or []:
        key, _, value = item.partition("=")
        try:
            totals[key.strip()] = float(value)
        except ValueError:
            raise InputError(
                f"--total {item!r}: write group=number, e.g. pop_60=116300.",
                zh=f"--total {item!r}：请写成 人群=人数，例如 pop_60=116300。",
            ) from None
    one = service[0] if len(set(service)) == 1 else None  # the service of files without a service column
    fac = [
        {"osm": network_source} if f == "osm" else {"path": f, "crs": facilities_crs, "service": one}
        for f in facilities
    ]
    raw = {
        "name": out_file.stem,
        "jurisdiction": jurisdiction,
        "network": {"source": network_source, "dem": dem},
        "services": service,
        "facilities": fac,
        "demand": {"kind": demand_kind, "path": demand, "pop_col": pop_col, "totals": totals or None},
        "outputs": {"lang": lang},
    }
    if boundary:
        raw["study_area"] = {"boundary": {"path": boundary, "crs": boundary_crs}}
    if minutes is not None:
        raw["thresholds"] = {s: {"urban": minutes, "rural": minutes} for s in service}
    scen = scenario_from_dict(raw, where="lifecircle coverage", base_dir=Path.cwd())
    result = run_scenario(scen, None, lang=lang)
    from ..geodata.files import owned_file

    with owned_file(out_file) as tmp_gpkg, owned_file(csv, option="--csv") as tmp_csv:
        write_gpkg(layers(result, map_inputs(result, lang)), tmp_gpkg)
        write_indicators_csv(result.indicators, tmp_csv)
    tab = _headline_table(result, lang)
    tab.add_row(t("written", lang), str(out_file))
    tab.add_row(t("written", lang), str(csv))
    out.print(tab)
    for note in result.notes:
        _print_note(note, lang)


@app.command()
def site(
    network_source: Annotated[
        str, typer.Argument(help="Walk network: .osm.pbf, .osm, line layer or 'embedded'.")
    ],
    demand: Annotated[
        Path,
        typer.Option("--demand", "-d", help="Demand table from 'lifecircle demand' (.gpkg/.geojson/.csv)."),
    ],
    model: Annotated[str, typer.Option(help="lscp, mclp, budget, capacitated or pmedian.")] = "lscp",
    p: Annotated[
        int | None, typer.Option("--p", help="Number of new sites (mclp, capacitated, pmedian).")
    ] = None,
    budget: Annotated[
        float | None, typer.Option(help="Budget for new sites, in the cost column's unit.")
    ] = None,
    candidates: Annotated[
        str | None, typer.Option(help="Candidate layer (points or polygons), or 'buildings:<file>'.")
    ] = None,
    spacing: Annotated[float, typer.Option(help="Without --candidates: network points every N m.")] = 200.0,
    min_area: Annotated[float, typer.Option(help="Smallest candidate footprint, m² (003: 300).")] = 300.0,
    cost_col: Annotated[str | None, typer.Option(help="Cost column of the candidate layer.")] = None,
    capacity_col: Annotated[str | None, typer.Option(help="Capacity column (beds or 托位).")] = None,
    candidates_crs: Annotated[
        str | None, typer.Option(help="CRS of the candidate layer (e.g. gcj02).")
    ] = None,
    facilities: Annotated[
        Path | None, typer.Option("--facilities", "-f", help="Existing and planned sites; they always count.")
    ] = None,
    facilities_crs: Annotated[str | None, typer.Option(help="CRS of the facility file.")] = None,
    fixed: Annotated[list[str] | None, typer.Option(help="Candidate id that must open (repeatable).")] = None,
    service: Annotated[str, typer.Option(help="elderly or childcare.")] = "elderly",
    group: Annotated[str, typer.Option(help="Demand column to cover, e.g. pop_60 or pop_0_3.")] = "pop_60",
    per_1000: Annotated[
        float | None, typer.Option(help="Capacitated: places per 1,000 of the group (e.g. 4.5 托位).")
    ] = None,
    minutes: Annotated[float, typer.Option(help="Urban walking threshold, minutes.")] = 15.0,
    rural_minutes: Annotated[float, typer.Option(help="Rural walking threshold, minutes.")] = 20.0,
    time_limit: Annotated[float, typer.Option(help="Solver time limit, seconds.")] = 60.0,
    gap: Annotated[float, typer.Option(help="Stop at this proven relative gap (0: optimal).")] = 0.0,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Sites table (.csv, .geojson or .gpkg).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    lang: Lang = "zh",
) -> None:
    """Propose new sites: fewest to cover everyone (lscp), best p, within a budget, with capacities."""
    from .site_command import SiteRequest, propose_sites, write_sites
    from .siting import SitingOptions

    zh = lang != "en"
    _check_site_options(
        service=service, p=p, budget=budget, spacing=spacing, min_area=min_area, per_1000=per_1000,
        minutes=minutes, rural_minutes=rural_minutes, time_limit=time_limit, gap=gap,
    )  # fmt: skip
    need_p = {"mclp", "pmedian"} | ({"capacitated"} if budget is None else set())
    if model not in {"lscp", "mclp", "budget", "capacitated", "pmedian"}:
        raise InputError(
            f"--model {model!r}: use lscp, mclp, budget, capacitated or pmedian.",
            zh=f"--model {model!r}：请使用 lscp、mclp、budget、capacitated 或 pmedian。",
        )
    if model in need_p and p is None:
        raise InputError(
            f"--model {model}: give the number of new sites with --p.",
            zh=f"--model {model}：请用 --p 给出新增设施点的数量。",
        )
    if model == "budget" and budget is None:
        raise InputError(
            "--model budget: give the budget with --budget.", zh="--model budget：请用 --budget 给出预算。"
        )
    if out_file is not None:
        out_file = _out_file(out_file, (".csv", ".geojson", ".gpkg"))
    request = SiteRequest(
        network=network_source, demand=Path(demand),
        options=SitingOptions(model, p, budget, time_limit, gap, where="cli"),
        candidates=candidates, spacing_m=spacing, min_area_m2=min_area, cost_col=cost_col,
        capacity_col=capacity_col, candidates_crs=candidates_crs, facilities=facilities,
        facilities_crs=facilities_crs, fixed=tuple(fixed or ()), service=service, group=group,
        per_1000=per_1000, minutes=minutes, rural_minutes=rural_minutes,
    )  # fmt: skip
    res, sites = propose_sites(request)
    if out_file is not None:
        write_sites(sites, out_file)
    summary = res.summary()
    if as_json:
        summary["indicators"] = res.indicators.to_dict(orient="records")
        out.print_json(json.dumps(summary, ensure_ascii=False, default=float))
        return
    tab = Table(title="选址结果" if zh else "Siting result", show_header=False)
    rows = [
        ("模型", "Model", model),
        ("新增站点数", "New sites", str(res.n_sites)),
        ("目标值", "Objective", f"{res.objective:,.2f}"),
        ("界", "Bound", f"{res.bound:,.2f}"),
        ("最优性差距", "Optimality gap", f"{res.gap:.3%}"),
        ("求解状态", "Status", res.status),
        ("用时（秒）", "Seconds", f"{res.seconds:.2f}"),
        ("无法覆盖的需求点", "Demand no site reaches", str(len(res.uncoverable))),
    ]
    for z, e, v in rows:
        tab.add_row(z if zh else e, v)
    if out_file is not None:
        tab.add_row(t("written", lang), str(out_file))
    out.print(tab)
    ind = Table(title="覆盖率（前 / 后）" if zh else "Coverage (before / after)")
    for col in ("group", "share_before", "share_after", "newly_covered"):
        ind.add_column(col)
    no_data = "无数据" if zh else "no data"  # no facility file: the share before is unknown, not 0
    for r in res.indicators.itertuples():
        before = f"{r.share_before:.1%}" if facilities is not None else no_data
        ind.add_row(str(r.group), before, f"{r.share_after:.1%}", f"{r.newly_covered:,.0f}")
    out.print(ind)


def _out_file(path: Path, suffixes: tuple[str, ...], *, option: str = "--out") -> Path:
    """Check a single-file output before any computation: its suffix, then `preflight_output`."""
    from ..geodata.files import preflight_output

    if path.suffix.lower() not in suffixes:
        raise InputError(
            f"{path}: {option} must end in {' or '.join(suffixes)}; change the file name.",
            zh=f"{path}：{option} 的扩展名须为 {'、'.join(suffixes)}；请修改文件名。",
        )
    return preflight_output(path, "file", option=option)


def _out_folder(path: Path, kind: str) -> Path:
    """Check a folder output (``run``, ``demo``, ``compare``) before any computation."""
    from ..geodata.files import preflight_output

    return preflight_output(path, kind)


def _print_note(note: str, lang: str) -> None:
    """Print a remark for the planner on stderr, in ``lang``."""
    from rich.markup import escape

    colon = "：" if lang == "zh" else ": "
    err.print(f"[yellow]{t('note', lang)}{colon}[/]{escape(note_text(note, lang))}", highlight=False)


def argv_lang(argv: list[str]) -> str:
    """The ``--lang`` given on a command line (``zh`` when none or an unknown one)."""
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else arg.removeprefix("--lang=")
        if (arg == "--lang" or arg.startswith("--lang=")) and value in ("zh", "en"):
            return value
    return "zh"


#: What a number option holds, for the sentence when it is given text: (English, Chinese, example).
NUMBER_OPTIONS: dict[str, tuple[str, str, str]] = {
    "--minutes": ("a walking time in minutes", "步行分钟数", "15"),
    "--rural-minutes": ("a walking time in minutes", "步行分钟数", "20"),
    "--p": ("a whole number of new sites", "新增设施点数量（整数）", "3"),
    "--budget": ("a budget in the cost column's unit", "预算（与成本字段的单位相同）", "50"),
    "--spacing": ("a spacing in metres", "间距（米）", "200"),
    "--min-area": ("an area in m²", "面积（平方米）", "300"),
    "--per-1000": ("a standard per 1,000 people", "每千人配置标准", "4.5"),
    "--time-limit": ("a time limit in seconds", "求解时限（秒）", "60"),
    "--gap": ("a relative gap", "相对差距", "0.01"),
    "--total": ("a number of residents", "常住人口数", "588700"),
    "--persons-per-m2": ("residents per m² of floor area", "每平方米建筑面积的人数", "0.025"),
    "--levels": ("a number of building levels", "建筑层数", "6"),
}


def _click_exceptions():
    """The click exception classes typer uses (its bundled copy when it has one)."""
    try:
        from typer._click import exceptions
    except ImportError:  # a typer that uses the click package itself
        from click import exceptions
    return exceptions


def _given_value(option: str, argv: list[str]) -> str | None:
    """The last value given on the command line to ``option`` (``--opt v`` or ``--opt=v``)."""
    found = None
    for i, arg in enumerate(argv):
        if arg == option and i + 1 < len(argv):
            found = argv[i + 1]
        elif arg.startswith(option + "="):
            found = arg.removeprefix(option + "=")
    return found


def usage_error_text(exc: Exception, argv: list[str]) -> tuple[str, str]:
    """One sentence for a click usage error, in English and in Chinese: ``(en, zh)``.

    Parameters
    ----------
    exc
        A click ``UsageError`` (bad option value, missing option or argument, unknown option or
        command, extra argument).
    argv
        The command line after the program name, to quote the value given.

    Returns
    -------
    tuple of str
        The English sentence keeps click's own detail; the Chinese one names the option and the fix.
    """
    ex = _click_exceptions()
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "lifecircle"
    help_en, help_zh = f"see '{command} --help'", f"请用 {command} --help 查看用法"
    detail = exc.format_message().strip().rstrip(".")
    param = getattr(exc, "param", None)
    opts = list(getattr(param, "opts", None) or [])
    is_option = bool(opts) and opts[0].startswith("-")
    name = max(opts, key=len) if is_option else str(getattr(param, "name", None) or "?").upper()
    kind_en, kind_zh = ("option", "选项") if is_option else ("argument", "参数")
    if isinstance(exc, ex.MissingParameter):
        return (
            f"{detail}; give it ({help_en}).",
            f"缺少{kind_zh} {name}；请给出该{kind_zh}（用法见 {command} --help）。",
        )
    if isinstance(exc, ex.BadParameter):
        value = next((v for v in (_given_value(o, argv) for o in opts) if v is not None), None)
        shown = "" if value is None else f" {value!r}"
        reason = str(getattr(exc, "message", "") or detail).strip().rstrip(".")
        whole = "integer" in detail
        what_en, what_zh, example = NUMBER_OPTIONS.get(
            name, ("a whole number", "整数", "3") if whole else ("a number", "数字", "15")
        )
        if "integer" in detail or "number" in detail or "float" in detail:
            not_en, not_zh = ("a whole number", "整数") if whole else ("a number", "数字")
            return (
                f"{kind_en.capitalize()} {name}{shown} is not {not_en} ({reason}); give {what_en}, "
                f"e.g. {example}.",
                f"{kind_zh} {name} 的值{shown} 不是{not_zh}；请给出{what_zh}，例如 {example}。",
            )
        return (
            f"{kind_en.capitalize()} {name}{shown} is not a valid value ({reason}); {help_en}.",
            f"{kind_zh} {name} 的值{shown} 无效；{help_zh}。",
        )
    if isinstance(exc, ex.NoSuchOption):
        maybe = sorted(getattr(exc, "possibilities", None) or [])
        return (
            f"{detail}; {help_en}.",
            f"没有选项 {exc.option_name!r}"
            + (f"（您是否想用 {'、'.join(maybe)}？）" if maybe else "")
            + f"；{help_zh}。",
        )
    if isinstance(exc, ex.BadOptionUsage):
        if "requires an argument" in detail:
            problem = "后面缺少取值"
        elif "does not take a value" in detail:
            problem = "不接受取值"
        else:
            problem = "的用法有误"
        return (f"{detail}; {help_en}.", f"选项 {exc.option_name} {problem}；{help_zh}。")
    import re

    if m := re.fullmatch(r"No such command '(.*)'", detail):
        return (f"{detail}; {help_en}.", f"没有命令 {m.group(1)!r}；{help_zh}。")
    if m := re.fullmatch(r"Got unexpected extra arguments?(?:\(s\))? \((.*)\)", detail):
        return (f"{detail}; {help_en}.", f"多余的参数 {m.group(1)!r}；{help_zh}。")
    return (f"{detail}; {help_en}.", f"命令行用法有误；{help_zh}。")


#: What an interrupted command prints: (English, Chinese); the second pair when the outputs were
#: already complete when the signal came.
INTERRUPTED = (
    (
        "Interrupted: no output was written, and earlier results are unchanged.",
        "已中断：未写入任何输出，原有结果保持不变。",
    ),
    (
        "Interrupted just after the outputs were complete; they are in place.",
        "已中断：中断时输出已全部完成，结果已写入。",
    ),
)


def _interrupted(code: int, late: bool = False) -> None:
    """Print the one sentence of an interrupted command and exit with ``code`` (130, 143)."""
    en, zh = INTERRUPTED[int(late)]
    err.print(zh if argv_lang(sys.argv[1:]) == "zh" else en, highlight=False, markup=False, soft_wrap=True)
    sys.exit(code)


def _print_error(text: tuple[str, str]) -> None:
    """Print an error sentence ``(en, zh)`` on stderr in the run's language, on one line."""
    from rich.markup import escape

    lang = argv_lang(sys.argv[1:])
    err.print(
        f"[bold red]{t('error', lang)}{'：' if lang == 'zh' else ': '}[/]{escape(text[lang == 'zh'])}",
        highlight=False,
        markup=True,
        soft_wrap=True,
    )


def main() -> None:
    """Console entry point: run the app; bad input becomes one sentence and exit code 2.

    SIGINT (Ctrl-C) and SIGTERM stop the command with one sentence and exit code 130 / 143;
    staging folders and temporary files are removed on the way out, previous outputs are kept.
    """
    from ..geodata.common import Interrupted, interruptible

    try:
        with interruptible():
            code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            if code == 130:  # a KeyboardInterrupt typer caught itself
                _interrupted(130)
            sys.exit(code)
    except Interrupted as exc:
        _interrupted(exc.exit_code, exc.late)
    except KeyboardInterrupt:
        _interrupted(130)
    except InputError as exc:
        _print_error((exc.text("en"), exc.text("zh")))
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except _click_exceptions().UsageError as exc:
        if isinstance(exc, _click_exceptions().NoArgsIsHelpError):  # no command at all: the help
            exc.show()
            sys.exit(exc.exit_code)
        _print_error(usage_error_text(exc, sys.argv[1:]))
        sys.exit(2)
    except Exception as exc:  # other errors click shows itself (a file it could not open)
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise


if __name__ == "__main__":
    main()
