"""The ``lifecircle`` command line: one command per job, clear errors, exit code 2 on bad input.

This module declares the commands and their options and prints what they found; the work itself
lives in the scenarios modules (``commands_*``, `site_command`), the option checks in
`cli_checks`, the printing in `cli_print`, the usage errors in `cli_usage`. Every ``--help`` text
is a ``help.*`` entry of the catalogue; policy defaults come from ``presets/policy.yaml``.
Nothing heavy is imported until a command runs, so ``lifecircle --help`` stays quick.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import gc
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ..geodata.common import InputError, Msg, say
from ..geodata.settings import settings
from .cli_help import HELP_LANG, HelpCommand, HelpGroup
from .cli_print import (
    print_comparison,
    print_demand_summary,
    print_error,
    print_facility_counts,
    print_json,
    print_network_summary,
    print_note,
    print_run,
    print_saved,
    print_siting,
)
from .cli_words import ZhTerm
from .presets import policy


def _h(key: str, **fields: object) -> str:
    """The ``--help`` text ``help.<key>`` in the language of ``--help`` (`cli_help.HELP_LANG`)."""
    return say(f"help.{key}", HELP_LANG, **fields)


def _policy_help(option: str) -> str:
    """The help of a ``site`` option whose default is in ``presets/policy.yaml``, naming the default.

    ``option`` is ``minutes``, ``rural_minutes`` (the minutes of each service), ``spacing`` or
    ``min_area`` (the number and the document code of its source, or ``assumption``).
    """
    shared = policy()
    if option in ("minutes", "rural_minutes"):
        rural = option == "rural_minutes"
        defaults = [
            f"{svc} {s.threshold.rural_min if rural else s.threshold.urban_min:g}"
            for svc, s in shared.services.items()
        ]
        return _h(f"site.{option}", defaults=defaults)
    if option == "spacing":
        value, source = shared.spacing_m, shared.spacing_source
    else:
        value, source = shared.min_area_m2, shared.min_area_source
    from ..geodata.bilingual import cite_doc

    doc = Msg("cite.assumption_short") if source == "assumption" else cite_doc(source)
    return _h(f"site.{option}", value=value, doc=doc)


app = typer.Typer(
    cls=HelpGroup,
    add_completion=False,
    no_args_is_help=True,
    help=_h("app", circles=Msg("cli.term.circles")),
    pretty_exceptions_enable=False,
)

Lang = Annotated[str, typer.Option("--lang", help=_h("lang"))]
Json = Annotated[bool, typer.Option("--json", help=_h("json"))]
Network = Annotated[str, typer.Argument(help=_h("network_source"))]
#: An optional text option.
Text = str | None


@app.callback()
def _root(
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help=_h("progress"))] = None,
    lang: Annotated[str | None, typer.Option("--lang", help=_h("root_lang"))] = None,
) -> None:
    settings.show_progress = sys.stderr.isatty() if progress is None else progress
    if lang is not None:
        from ..geodata.common import check_lang

        settings.lang = check_lang(lang)


@app.command(cls=HelpCommand, help=_h("network"))
def network(
    source: Annotated[str, typer.Argument(help=_h("network.source"))],
    clip: Annotated[Text, typer.Option(help=_h("network.clip"))] = None,
    clip_crs: Annotated[Text, typer.Option(help=_h("network.clip_crs"))] = None,
    lines_crs: Annotated[Text, typer.Option(help=_h("network.lines_crs"))] = None,
    all_components: Annotated[bool, typer.Option("--all-components", help=_h("network.all"))] = False,
    save: Annotated[Path | None, typer.Option("--out", help=_h("network.out"))] = None,
    as_json: Json = False,
    lang: Lang = "zh",
) -> None:
    """Build a walk network and print its summary."""
    from .commands_inputs import NetworkOptions, network_command

    _imports_done()

    settings.lang = lang
    summary = network_command(source, NetworkOptions(clip, clip_crs, lines_crs, all_components), save)
    if as_json:
        print_json(summary)
        return
    print_network_summary(summary, lang)


@app.command(cls=HelpCommand, help=_h("facilities"))
def facilities(
    source: Annotated[str, typer.Argument(help=_h("facilities.source"))],
    service: Annotated[Text, typer.Option(help=_h("facilities.service"))] = None,
    crs: Annotated[Text, typer.Option(help=_h("facilities.crs"))] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(help=_h("facilities.column", example=ZhTerm("cli.term.header_example"))),
    ] = None,
    sheet: Annotated[Text, typer.Option(help=_h("facilities.sheet"))] = None,
    status: Annotated[str, typer.Option(help=_h("facilities.status"))] = "existing",
    clip: Annotated[Text, typer.Option(help=_h("facilities.clip"))] = None,
    save: Annotated[Path | None, typer.Option("--out", help=_h("out_table"))] = None,
    lang: Lang = "zh",
) -> None:
    """Read facilities and print counts by service, tier and status."""
    from .commands_inputs import FacilityOptions, facilities_command

    _imports_done()

    settings.lang = lang
    options = FacilityOptions(service, crs, tuple(column or ()), sheet, status, clip)
    table, counts = facilities_command(source, options, save)
    print_facility_counts(counts, len(table), source, lang)
    if save is not None:
        print_saved(save, lang)


@app.command(cls=HelpCommand, help=_h("demand"))
def demand(
    source: Annotated[str, typer.Argument(help=_h("demand.source"))],
    kind: Annotated[str, typer.Option("--kind", help=_h("demand.kind"))] = "auto",
    pop_col: Annotated[str, typer.Option(help=_h("demand.pop_col"))] = "population",
    group_col: Annotated[
        list[str] | None, typer.Option(help=_h("demand.group_col", example=ZhTerm("cli.term.group_example")))
    ] = None,
    crs: Annotated[Text, typer.Option(help=_h("demand.crs"))] = None,
    total: Annotated[float | None, typer.Option(help=_h("demand.total"))] = None,
    group_total: Annotated[list[str] | None, typer.Option(help=_h("demand.group_total"))] = None,
    totals: Annotated[Path | None, typer.Option(help=_h("demand.totals"))] = None,
    share: Annotated[list[str] | None, typer.Option(help=_h("demand.share"))] = None,
    persons_per_m2: Annotated[float | None, typer.Option(help=_h("demand.persons_per_m2"))] = None,
    levels: Annotated[float | None, typer.Option(help=_h("demand.levels"))] = None,
    clip: Annotated[Text, typer.Option(help=_h("demand.clip"))] = None,
    clip_crs: Annotated[Text, typer.Option(help=_h("demand.clip_crs"))] = None,
    units: Annotated[Path | None, typer.Option(help=_h("demand.units"))] = None,
    units_level: Annotated[str, typer.Option(help=_h("demand.units_level"))] = "district",
    units_crs: Annotated[Text, typer.Option(help=_h("demand.units_crs"))] = None,
    units_code: Annotated[Text, typer.Option(help=_h("demand.units_code"))] = None,
    units_name: Annotated[Text, typer.Option(help=_h("demand.units_name"))] = None,
    rural_zone: Annotated[
        Path | None, typer.Option(help=_h("demand.rural_zone", example=ZhTerm("cli.term.zone_example")))
    ] = None,
    zone_crs: Annotated[Text, typer.Option(help=_h("demand.zone_crs"))] = None,
    save: Annotated[Path | None, typer.Option("--out", help=_h("out_table"))] = None,
    as_json: Json = False,
    lang: Lang = "zh",
) -> None:
    """Build the demand table and print its summary."""
    from .commands_demand import DemandFigures, DemandRead, DemandUnits, demand_command

    _imports_done()

    settings.lang = lang
    read = DemandRead(kind, pop_col, tuple(group_col or ()), crs, clip, clip_crs)
    figures = DemandFigures(
        total, tuple(group_total or ()), totals, tuple(share or ()), persons_per_m2, levels
    )
    where = DemandUnits(units, units_level, units_crs, units_code, units_name, rural_zone, zone_crs)
    summary = demand_command(source, read, figures, where, save)
    if as_json:
        print_json(summary)
        return
    print_demand_summary(summary, source, lang)


@app.command(cls=HelpCommand, help=_h("demo"))
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help=_h("out_folder"))] = Path("out/demo"),
    lang: Lang = "zh",
) -> None:
    """Run the default scenario on the embedded central-Helsinki extract."""
    from .cli_checks import out_folder
    from .commands_run import run_shown
    from .pipeline import OUTPUT_FILES
    from .presets import example_scenario
    from .schema import load_scenario

    _imports_done()

    settings.lang = lang
    out_dir = out_folder(out_dir, "demo")
    result = run_shown(load_scenario(example_scenario("helsinki")), out_dir, lang)
    print_run(result, [out_dir / name for name in OUTPUT_FILES], lang)


@app.command(cls=HelpCommand, help=_h("run"))
def run(
    scenario: Annotated[Path | None, typer.Argument(help=_h("run.scenario"))] = None,
    out_dir: Annotated[Path, typer.Option("--out", help=_h("out_folder"))] = Path("out/run"),
    lang: Annotated[Text, typer.Option("--lang", help=_h("run.lang"))] = None,
    scheduler: Annotated[Text, typer.Option(help=_h("run.scheduler"))] = None,
    partitions: Annotated[Text, typer.Option(help=_h("run.partitions"))] = None,
) -> None:
    """Run a scenario and print its headline."""
    from .cli_checks import out_folder
    from .commands_run import check_run_lang, run_executor, run_shown
    from .pipeline import OUTPUT_FILES
    from .presets import example_scenario
    from .schema import load_scenario

    _imports_done()

    out_dir = out_folder(out_dir, "run")
    scen = load_scenario(scenario if scenario is not None else example_scenario("helsinki"))
    check_run_lang(lang)
    lang = lang or scen.outputs.lang
    settings.lang = lang
    result = run_shown(scen, out_dir, lang, run_executor(scen, scheduler, partitions))
    print_run(result, [out_dir / name for name in OUTPUT_FILES], lang)


@app.command(cls=HelpCommand, help=_h("compare"))
def compare(
    run_a: Annotated[Path, typer.Argument(help=_h("compare.run_a"))],
    run_b: Annotated[Path | None, typer.Argument(help=_h("compare.run_b"))] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help=_h("compare.out"))] = None,
    lang: Lang = "zh",
) -> None:
    """Compare two runs and print the headline deltas."""
    from .cli_checks import out_folder
    from .compare import compare_runs, default_compare_dir

    _imports_done()

    settings.lang = lang
    out_dir = out_folder(out_dir if out_dir is not None else default_compare_dir(run_a, run_b), "compare")
    res = compare_runs(run_a, run_b, out_dir, lang=lang)
    files = ("comparison.html", "map.html", "deltas.csv", "gains.csv")
    print_comparison(res["headline"], [out_dir / name for name in files], lang)


@app.command(cls=HelpCommand, help=_h("coverage"))
def coverage(
    network_source: Network,
    facilities: Annotated[list[str], typer.Option("--facilities", "-f", help=_h("coverage.facilities"))],
    demand: Annotated[str, typer.Option("--demand", "-d", help=_h("coverage.demand"))],
    out_file: Annotated[Path, typer.Option("--out", help=_h("coverage.out"))],
    csv: Annotated[Path | None, typer.Option(help=_h("coverage.csv"))] = None,
    service: Annotated[list[str], typer.Option("--service", "-s", help=_h("coverage.service"))] = [  # noqa: B006
        "elderly"
    ],
    facilities_crs: Annotated[Text, typer.Option(help=_h("coverage.facilities_crs"))] = None,
    demand_kind: Annotated[str, typer.Option(help=_h("coverage.demand_kind"))] = "table",
    pop_col: Annotated[Text, typer.Option(help=_h("coverage.pop_col"))] = None,
    total: Annotated[list[str] | None, typer.Option(help=_h("coverage.total"))] = None,
    jurisdiction: Annotated[str, typer.Option(help=_h("coverage.jurisdiction"))] = "chongqing",
    minutes: Annotated[float | None, typer.Option(help=_h("coverage.minutes"))] = None,
    boundary: Annotated[Text, typer.Option(help=_h("coverage.boundary"))] = None,
    boundary_crs: Annotated[Text, typer.Option(help=_h("coverage.boundary_crs"))] = None,
    dem: Annotated[Text, typer.Option(help=_h("coverage.dem"))] = None,
    lang: Lang = "zh",
) -> None:
    """Coverage of demand by facilities over a walk network: GeoPackage layers and an indicators CSV."""
    from .cli_print import headline_table, out
    from .commands_coverage import CoverageRequest, checked_request, coverage_command

    _imports_done()

    settings.lang = lang
    asked = CoverageRequest(
        network_source, tuple(facilities), demand, out_file, csv, tuple(service), facilities_crs,
        demand_kind, pop_col, tuple(total or ()), jurisdiction, minutes, boundary, boundary_crs, dem, lang,
    )  # fmt: skip
    req = checked_request(asked)
    result = coverage_command(req)
    tab = headline_table(result, lang)
    tab.add_row(say("ui.written", lang), str(req.out))
    tab.add_row(say("ui.written", lang), str(req.csv))
    out.print(tab)
    for note in result.notes:
        print_note(note, lang)


@app.command(cls=HelpCommand, help=_h("site"))
def site(
    network_source: Network,
    demand: Annotated[Path, typer.Option("--demand", "-d", help=_h("site.demand"))],
    model: Annotated[str, typer.Option(help=_h("site.model"))] = "lscp",
    p: Annotated[int | None, typer.Option("--p", help=_h("site.p"))] = None,
    budget: Annotated[float | None, typer.Option(help=_h("site.budget"))] = None,
    candidates: Annotated[Text, typer.Option(help=_h("site.candidates"))] = None,
    spacing: Annotated[float | None, typer.Option(help=_policy_help("spacing"))] = None,
    min_area: Annotated[float | None, typer.Option(help=_policy_help("min_area"))] = None,
    cost_col: Annotated[Text, typer.Option(help=_h("site.cost_col"))] = None,
    capacity_col: Annotated[Text, typer.Option(help=_h("site.capacity_col", places=Msg("ui.places")))] = None,
    candidates_crs: Annotated[Text, typer.Option(help=_h("site.candidates_crs"))] = None,
    facilities: Annotated[Path | None, typer.Option("--facilities", "-f", help=_h("site.facilities"))] = None,
    facilities_crs: Annotated[Text, typer.Option(help=_h("site.facilities_crs"))] = None,
    fixed: Annotated[list[str] | None, typer.Option(help=_h("site.fixed"))] = None,
    service: Annotated[str, typer.Option(help=_h("site.service"))] = "elderly",
    group: Annotated[str, typer.Option(help=_h("site.group"))] = "pop_60",
    per_1000: Annotated[float | None, typer.Option(help=_h("site.per_1000", places=Msg("ui.places")))] = None,
    minutes: Annotated[float | None, typer.Option(help=_policy_help("minutes"))] = None,
    rural_minutes: Annotated[float | None, typer.Option(help=_policy_help("rural_minutes"))] = None,
    time_limit: Annotated[float, typer.Option(help=_h("site.time_limit"))] = 60.0,
    gap: Annotated[float, typer.Option(help=_h("site.gap"))] = 0.0,
    out_file: Annotated[Path | None, typer.Option("--out", help=_h("site.out"))] = None,
    as_json: Json = False,
    lang: Lang = "zh",
) -> None:
    """Propose new sites: fewest to cover everyone (lscp), best p, within a budget, with capacities."""
    from .commands_site import SiteNumbers, check_numbers, checked_out, site_request
    from .site_command import SiteLayers, propose_sites, write_sites

    _imports_done()

    settings.lang = lang
    given = SiteNumbers(
        model, p, budget, spacing, min_area, per_1000, minutes, rural_minutes, time_limit, gap
    )
    nums = check_numbers(given, service)
    out_file = checked_out(out_file)
    layers = SiteLayers(
        network_source, demand, candidates, cost_col, capacity_col, candidates_crs, facilities,
        facilities_crs, tuple(fixed or ()), service, group,
    )  # fmt: skip
    res, sites = propose_sites(site_request(nums, layers))
    if out_file is not None:
        write_sites(sites, out_file)
    if as_json:
        summary = res.summary()
        summary["indicators"] = res.indicators.to_dict(orient="records")
        print_json(summary, default=float)
        return
    print_siting(res, model, out_file, facilities is not None, lang)


#: Whether this process is the ``lifecircle`` command with its cyclic collector paused for the
#: imports (`console`, `_imports_done`).
_COLLECTOR_PAUSED = False


#: Allocations between two collections of the youngest generation during a command's work.
YOUNG_COLLECTION = 10_000


def _imports_done() -> None:
    """In the ``lifecircle`` command, once a command's libraries are in: collect as usual again.

    `console` pauses the cyclic garbage collector while the libraries load, for it would scan
    their hundreds of thousands of long-lived objects again and again; here those objects go to
    the permanent generation (`gc.freeze`), out of every later collection, and collection
    resumes for the work itself. A Yuzhong run took 0.3 s less (best of six, 3.06 s → 2.5 s on
    two busy cores). The youngest generation is then collected every `YOUNG_COLLECTION`
    allocations instead of 700: a run makes many short-lived tables, and 150 collections took
    0.025 s of a 1.6-s Yuzhong run. Elsewhere (tests, the library) this does nothing.
    """
    global _COLLECTOR_PAUSED
    if _COLLECTOR_PAUSED:
        _COLLECTOR_PAUSED = False
        gc.freeze()
        gc.set_threshold(YOUNG_COLLECTION, *gc.get_threshold()[1:])
        gc.enable()


def console() -> None:
    """The ``lifecircle`` command: `main`, then leave without tearing the interpreter down.

    Once a command has ended (its outputs written, closed and moved into place), the exit
    handlers run as usual and the process leaves with ``os._exit``: freeing a run's objects one
    by one took 0.45 s of a 4 s Yuzhong run on two busy cores, and gives a reader nothing. An
    error this entry point does not know (a bug) keeps Python's usual ending, traceback and all.
    """
    global _COLLECTOR_PAUSED
    gc.disable()  # until the command's libraries are in (`_imports_done`)
    _COLLECTOR_PAUSED = True
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: the usual ending
        sys.exit(code)
    if code is not None and not isinstance(code, int):  # sys.exit("text"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    run_exit_handlers()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code or 0)


def main() -> None:
    """Console entry point: run the app; bad input becomes one sentence and exit code 2.

    SIGINT (Ctrl-C) and SIGTERM stop the command with one sentence and exit code 130 / 143;
    staging folders and temporary files are removed on the way out, previous outputs are kept.
    """
    from ..geodata.common import Interrupted, interruptible
    from .cli_usage import argv_lang, click_exceptions, command_word, usage_error_msg

    lang = argv_lang(sys.argv[1:])
    try:
        with interruptible():
            code = _dispatching(command_word(sys.argv[1:]))(standalone_mode=False)
        if isinstance(code, int) and code:
            if code == 130:  # a KeyboardInterrupt typer caught itself
                _interrupted(130)
            sys.exit(code)
    except Interrupted as exc:
        _interrupted(exc.exit_code, exc.late)
    except KeyboardInterrupt:
        _interrupted(130)
    except InputError as exc:
        print_error(exc.text(lang), lang)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(130)
    except click_exceptions().UsageError as exc:
        if isinstance(exc, click_exceptions().NoArgsIsHelpError):  # no command at all: the help
            exc.show()
            sys.exit(exc.exit_code)
        print_error(usage_error_msg(exc, sys.argv[1:]).text(lang), lang)
        sys.exit(2)
    except Exception as exc:  # other errors click shows itself (a file it could not open)
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(code)
        raise


def _dispatching(name: str | None) -> typer.Typer:
    """The app with only the command ``name`` when there is one by that name, else the whole app.

    typer turns every command's parameters into click options on each call (0.03 s for the
    eight commands); the command the line names is the only one needed. Its page, options and
    errors are the same (the root options and the group stay), and a line naming no command, or
    one that does not exist, goes to the whole app for its help and suggestions.
    """
    from typer.main import get_command_name

    named = [c for c in app.registered_commands if (c.name or get_command_name(c.callback.__name__)) == name]
    if len(named) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands = named
    return one


def _interrupted(code: int, late: bool = False) -> None:
    """Print the one sentence of an interrupted command and exit with ``code`` (130, 143)."""
    from .cli_print import err
    from .cli_usage import argv_lang, interrupted_msg

    text = interrupted_msg(late).text(argv_lang(sys.argv[1:]))
    err.print(text, highlight=False, markup=False, soft_wrap=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
