"""What the command line prints: summaries as small tables on stdout, notes and errors on stderr.

Every label comes from the catalogue (``ui.*`` for the words the map and report share, ``cli.*``
for the command line's own) in the language of ``--lang``.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..geodata.common import Msg, has_message, note_text, say

out = Console()
err = Console(stderr=True)


def label(key: str, lang: str) -> str:
    """The ``ui.<key>`` label of a code read from data (a service, a status), or the code itself."""
    return say(f"ui.{key}", lang) if has_message(f"ui.{key}") else key


def status_word(status: str) -> Msg | str:
    """A solver status (``optimal``, ``time_limit``) as words in the language asked, else as it is."""
    return Msg(f"table.status.{status}") if has_message(f"table.status.{status}") else status


def print_json(summary: dict, **options) -> None:
    """Print a summary as JSON (``options`` go to `json.dumps`, e.g. ``default=float``)."""
    out.print_json(json.dumps(summary, ensure_ascii=False, **options))


def print_network_summary(summary: dict, lang: str = "zh") -> None:
    """Print a network summary as two small tables."""
    tab = Table(title=say("ui.network", lang), show_header=False)
    tab.add_row(say("ui.source", lang), summary["source"])
    tab.add_row(say("ui.crs", lang), summary["crs"])
    tab.add_row(say("ui.nodes", lang), f"{summary['nodes']:,}")
    tab.add_row(say("ui.edges", lang), f"{summary['edges']:,}")
    tab.add_row(say("ui.length_km", lang), f"{summary['length_km']:,.2f}")
    tab.add_row(say("ui.steps_km", lang), f"{summary['steps_km']:,.2f}")
    tab.add_row(say("ui.components", lang), f"{summary['components']:,}")
    dropped = say(
        "cli.network.dropped",
        lang,
        nodes=summary["nodes_dropped"],
        before=summary["nodes_before"],
        share=1 - summary["share_nodes_kept"],
        km=summary["length_dropped_km"],
    )
    tab.add_row(say("ui.dropped", lang), dropped)
    tab.add_row(say("ui.bbox", lang), ", ".join(f"{b:.5f}" for b in summary["bbox_wgs84"]))
    if "saved" in summary:
        tab.add_row(say("ui.saved", lang), summary["saved"])
    out.print(tab)
    cls = Table(title=say("ui.km_by_class", lang))
    cls.add_column(say("ui.class", lang))
    cls.add_column(say("cli.network.km", lang), justify="right")
    for name, km in summary["km_by_class"].items():
        cls.add_row(name, f"{km:,.2f}")
    out.print(cls)


def print_facility_counts(counts, total: int, source: str, lang: str) -> None:
    """Print facility counts by service, tier and status (`lifecircle.geodata.facilities.facility_counts`)."""
    from ..geodata.facilities import OSM_TIERS

    tab = Table(title=say("cli.titled", lang, title=say("ui.facility_counts", lang), source=source))
    for key in ("service", "tier", "status", "count", "capacity", "capacity_known"):
        tab.add_column(
            say(f"ui.{key}", lang), justify="right" if key.startswith(("count", "cap")) else "left"
        )
    for row in counts.itertuples(index=False):
        tab.add_row(
            label(row.service, lang),
            (label(row.tier, lang) if row.tier in OSM_TIERS else row.tier) or say("ui.tier_unknown", lang),
            label(row.status, lang),
            f"{row.count:,}",
            f"{row.capacity:,.0f}" if row.capacity_known else "–",
            f"{row.capacity_known:,}",
        )
    tab.add_row(say("ui.total", lang), "", "", f"{total:,}", "", "", end_section=True)
    out.print(tab)


def print_saved(path: Path, lang: str) -> None:
    """Print the line naming a file the command saved."""
    out.print(say("cli.titled", lang, title=say("ui.saved", lang), source=path))


def print_demand_summary(summary: dict, source: str, lang: str = "zh") -> None:
    """Print a demand summary: residents by group, urban and rural, admin units, assumptions."""
    tab = Table(title=say("cli.demand.title", lang, source=source), show_header=False)
    tab.add_row(say("cli.demand.points", lang), f"{summary['points']:,}")
    for g, value in summary["totals"].items():
        tab.add_row(label(g, lang), "–" if value is None else f"{value:,.0f}")
    for key, flag in (("urban_yes", "urban"), ("urban_no", "rural")):
        pop = summary[f"{flag}_pop"]
        points = summary[f"{flag}_points"]
        tab.add_row(say(f"ui.{key}", lang), say("cli.demand.area_row", lang, points=points, pop=pop or 0))
    for lvl, n in summary["units"].items():
        tab.add_row(say(f"cli.demand.level.{lvl}", lang), f"{n:,}")
    tab.add_row(say("cli.demand.unattributed", lang), f"{summary['unattributed']:,}")
    if "saved" in summary:
        tab.add_row(say("ui.saved", lang), summary["saved"])
    out.print(tab)
    if summary.get("assumptions"):
        out.print(f"[bold]{say('ui.assumptions', lang)}[/]")
        for a in summary["assumptions"]:
            out.print(f"  • {a['en' if lang == 'en' else 'zh']}", highlight=False)
    for note in summary.get("notes", []):
        print_note(note, lang)


def headline_table(result, lang: str) -> Table:
    """A table of the run's headline shares (the group each service is for)."""
    from ..maps.report import column_label
    from .result import headline, headline_text

    tab = Table(title=result.scenario.name, show_header=False)
    tab.add_column(overflow="fold")  # a narrow terminal wraps a label, never cuts it short
    tab.add_column(overflow="fold")
    for svc, (grp, share) in headline(result).items():
        if grp != "pop_total":
            name = label(f"headline_{svc}", lang)
        else:
            name = say(
                "cli.headline.service_group", lang, service=label(svc, lang), group=column_label(grp, lang)
            )
        if result.proposed_only(svc):  # no existing facility: the "after" counts the proposed sites only
            name = say("cli.headline.proposed_only", lang, name=name)
        tab.add_row(name, headline_text(share, lang))
    return tab


def print_run(result, files: list[Path], lang: str) -> None:
    """Print a run's headline, its sites, its time and the files it wrote; then its notes."""
    tab = headline_table(result, lang)
    if result.siting is not None:
        siting = result.siting
        sites = say(
            "cli.run.sites", lang, n=len(siting.sites), status=status_word(siting.status), gap=siting.gap
        )
        tab.add_row(say("ui.sites", lang), sites)
    seconds = result.timings.get("total_compute", 0) + result.timings.get("outputs", 0)
    tab.add_row(say("ui.seconds", lang), f"{seconds:.1f}")
    for path in files:
        tab.add_row(say("ui.written", lang), str(path))
    out.print(tab)
    for note in result.notes:
        print_note(note, lang)


def print_comparison(headline: list[tuple[str, str]], files: list[Path], lang: str) -> None:
    """Print a comparison's headline rows and the files it wrote."""
    tab = Table(title=say("ui.comparison", lang), show_header=False)
    for name, value in headline:
        tab.add_row(name, value)
    for path in files:
        tab.add_row(say("ui.written", lang), str(path))
    out.print(tab)


def print_siting(res, model: str, written: Path | None, before_known: bool, lang: str) -> None:
    """Print a siting result: its headline numbers, then coverage before and after.

    ``before_known`` is False without a facility file: the share before is unknown, not 0.
    """
    tab = Table(title=say("cli.site.title", lang), show_header=False)
    rows = [
        ("model", model),
        ("new_sites", str(res.n_sites)),
        ("objective", f"{res.objective:,.2f}"),
        ("bound", f"{res.bound:,.2f}"),
        ("gap", f"{res.gap:.3%}"),
        ("status", say("cli.site.status_word", lang, status=status_word(res.status))),
        ("seconds", f"{res.seconds:.2f}"),
        ("uncoverable", str(len(res.uncoverable))),
    ]
    for key, value in rows:
        tab.add_row(say(f"cli.site.{key}", lang), value)
    if written is not None:
        tab.add_row(say("ui.written", lang), str(written))
    out.print(tab)
    ind = Table(title=say("cli.site.coverage", lang))
    for col in ("group", "share_before", "share_after", "newly_covered"):
        ind.add_column(say(f"cli.site.col.{col}", lang))
    no_data = say("ui.no_data", lang)
    for r in res.indicators.itertuples():
        before = f"{r.share_before:.1%}" if before_known else no_data
        ind.add_row(label(str(r.group), lang), before, f"{r.share_after:.1%}", f"{r.newly_covered:,.0f}")
    out.print(ind)


def print_note(note: str, lang: str) -> None:
    """Print a remark for the planner on stderr, in ``lang``."""
    head = say("cli.labelled", lang, label=say("ui.note", lang))
    err.print(f"[yellow]{escape(head)}[/]{escape(note_text(note, lang))}", highlight=False)


def print_error(text: str, lang: str) -> None:
    """Print an error sentence on stderr, on one line (``Error: …`` / its Chinese)."""
    head = say("cli.labelled", lang, label=say("ui.error", lang))
    err.print(f"[bold red]{escape(head)}[/]{escape(text)}", highlight=False, markup=True, soft_wrap=True)
