"""The plan-style HTML report: one self-contained file that prints well, Chinese first.

Sections: headline numbers, the plan's indicator table (metric, baseline, 2025 target,
binding or expected, now, gap), coverage by street and community, capacity gaps with their population
base and year, the siting proposal, static coverage maps (inline SVG), the
assumptions and the data sources with their licences. Every value is escaped by the template
engine; the report only renders the tables it is given and computes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from ..geodata.common import Assumption, atomic_path, has_message, note_text, say
from ..geodata.labels import label as _indicator_label
from ..geodata.schema import GROUPS
from .export_formats import column_format, localise_texts, plan_sheet, shown, uom_label
from .i18n import check_lang, code_label, has, t
from .inputs import DataSource, assumption_rows

#: Columns whose string values are codes with a label (``elderly``, ``street``: catalogue ``ui.*``).
CODE_COLUMNS: frozenset[str] = frozenset(
    {"service", "group", "level", "status", "tier", "scope", "metric", "area", "unit_class", "value_basis"}
)


@dataclass
class ReportInputs:
    """What the report shows; every part is optional and a missing part says so.

    Attributes
    ----------
    title
        Report title (default: the catalogue's ``ui.report_title``).
    plan_table
        The plan-style indicator table, one row per indicator, with columns ``metric`` (or
        ``metric_zh``/``metric_en``), ``baseline``, ``target`` (2025), ``binding`` (bool:
        binding True, expected False), ``now`` (this run), ``gap``; optional ``unit_of_measure``,
        ``year``, ``lead_unit``, ``source``, ``note``.
    coverage_by_unit
        Coverage by admin unit: one table with a ``level`` column (split into street and
        community sections) or a mapping ``{level: table}``. Share columns (``share_*``) print
        as percentages.
    capacity_gaps
        Beds and childcare-place gaps, each row naming its population base and year, standard, supply and
        supply date (e.g. ``service, metric, standard, population, population_base, base_year,
        supply, supply_date, need, gap, source``).
    sites
        The proposed sites, ranked (``rank, service, name, gain_<group>, communities, streets,
        time_median_s, time_p90_s, capacity, capacity_used``; a geometry column is ignored).
    siting_summary
        ``(label, value)`` pairs about the solve: model, objective, bound, gap, status.
    indicators
        The long indicator table: not printed (it belongs in the CSV and XLSX); its section says
        where to find it.
    assumptions, sources
        Shown in their own sections.
    notes
        Data-quality notes: inconsistencies in the source documents (policy-digest §7 item 18)
        and what the run could not use (points off the network, …), shown after the assumptions.
    figures
        ``(caption, SVG markup, note lines)`` per figure, e.g. from
        `lifecircle.maps.figure_svg.coverage_svg` and `lifecircle.maps.figure_svg.assumption_lines`.
    headlines, run_info
        ``(label, value)`` pairs shown at the top.
    max_rows
        Longest table printed; longer ones point to the CSV/XLSX exports.
    """

    title: str | None = None
    plan_table: pd.DataFrame | None = None
    coverage_by_unit: pd.DataFrame | Mapping[str, pd.DataFrame] | None = None
    capacity_gaps: pd.DataFrame | None = None
    sites: pd.DataFrame | None = None
    siting_summary: Sequence[tuple[str, str]] = ()
    indicators: pd.DataFrame | None = None
    assumptions: Sequence[Assumption] = ()
    notes: Sequence[str] = ()
    sources: Sequence[DataSource] = ()
    figures: Sequence[tuple[str, Markup, Sequence[str]]] = ()
    headlines: Sequence[tuple[str, str]] = ()
    run_info: Sequence[tuple[str, str]] = ()
    max_rows: int = 2000


# --------------------------------------------------------------------------------------------
# public API


def render_report(inputs: ReportInputs, *, lang: str = "zh") -> str:
    """Return the report as one HTML string (see `ReportInputs`); ``lang`` is ``zh`` or ``en``."""
    check_lang(lang)
    sections = _sections(inputs, lang)
    toc = [(s["id"], s["heading"]) for s in sections]
    toc += [("assumptions", t("assumptions", lang))]
    if inputs.notes:
        toc += [("quality", t("data_quality", lang))]
    toc += [("sources", t("data_sources", lang))]
    labels = {
        k: t(k, lang)
        for k in (
            "contents",
            "headline",
            "assumptions",
            "assumption_note",
            "data_sources",
            "key",
            "value",
            "source",
            "licence",
            "note",
            "none_given",
            "data_quality",
        )
    }
    from . import assets  # the template engine: loaded where a report is written, not for its helpers

    try:
        version = metadata.version("lifecircle")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "dev"
    return assets.template("report.html.j2").render(
        lang=lang,
        title=inputs.title or t("report_title", lang),
        version=version,
        subtitle=say("report.run_info.sep", lang).join(
            say("report.run_info.item", lang, label=label, value=value) for label, value in inputs.run_info
        ),
        headlines=list(inputs.headlines),
        toc=toc,
        sections=sections,
        assumptions=assumption_rows(inputs.assumptions, lang),
        notes=[note_text(n, lang) for n in inputs.notes],
        sources=list(inputs.sources),
        L=labels,
    )


def write_report(inputs: ReportInputs, path: str | Path, *, lang: str = "zh") -> Path:
    """Render the report and write it atomically to ``path``; return the path."""
    text = render_report(inputs, lang=lang)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def column_label(column: str, lang: str = "zh") -> str:
    """Header for a table column: known names translated, ``gain_pop_60`` → "Newly covered · Aged 60+"."""
    if has(column):
        return t(column, lang)
    if has_message(f"table.col.{column}"):
        return say(f"table.col.{column}", lang)
    if column.endswith("_s") and has(column[:-2]):
        return t(column[:-2], lang)
    for prefix in ("gain_", "new_"):
        if column.startswith(prefix) and column[len(prefix) :] in GROUPS:
            return f"{t('gain', lang)} · {t(column[len(prefix) :], lang)}"
    if column.startswith("share_"):
        for group in GROUPS:
            if column.endswith(f"_{group}") and len(column) > len(f"share__{group}"):
                service = column[len("share_") : -len(group) - 1]
                return say(
                    "report.column.share",
                    lang,
                    service=code_label(service, lang),
                    share=t("coverage_share", lang),
                    group=t(group, lang),
                )
    return column


def pick_language(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Keep the ``<name>_<lang>`` columns as ``<name>`` and drop the other language's columns."""
    other = "zh" if lang == "en" else "en"
    stems = {c[:-3] for c in df.columns if isinstance(c, str) and c.endswith(f"_{lang}")}
    drop = [c for c in df.columns if isinstance(c, str) and c.endswith(f"_{other}") and c[:-3] in stems]
    drop += [s for s in stems if s in df.columns]
    out = df.drop(columns=drop)
    return out.rename(columns={f"{s}_{lang}": s for s in stems})


# --------------------------------------------------------------------------------------------
# tables


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return bool(value is pd.NA or value is pd.NaT)


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞"
    if float(value).is_integer() or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _cell(value: Any, column: str, lang: str) -> tuple[str, str]:
    """``(text, css class)`` of one cell."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return say("sep.list", lang).join(str(v) for v in value), ""
    if _is_missing(value):
        return "—", "num"
    if isinstance(value, (bool, np.bool_)):
        if column == "binding":
            return t("binding_yes" if value else "binding_no", lang), ""
        if column == "urban":
            return t("urban_yes" if value else "urban_no", lang), ""
        return say("report.yes" if value else "report.no", lang), ""
    if column.endswith("_s") and has(column[:-2]) and isinstance(value, (int, float, np.number)):
        seconds = float(value)
        return (f"{seconds / 60:.1f}" if math.isfinite(seconds) else t("unreached", lang)), "num"
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}" if column not in ("year", "base_year", "code", "unit") else str(value), "num"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if column in ("year", "base_year") and value.is_integer():
            return str(int(value)), "num"
        fmt = column_format(column)
        return (shown(value, fmt) if fmt else _number(value)), "num"
    return value_label(column, str(value), lang), ""


def value_label(column: str, value: str, lang: str = "zh") -> str:
    """Label of a code in a table cell: ``area=urban`` → "Urban (streets/communities)".

    Codes of the indicator table (metrics, groups, scopes) use the labels of
    `lifecircle.coverage.indicators` when that module is installed.
    """
    if has(f"{column}_{value}"):
        return t(f"{column}_{value}", lang)
    if column in CODE_COLUMNS:
        if column in ("metric", "group", "scope"):
            label = _indicator_label(value, lang)
            if label != value:
                return label
        if has(value):
            return t(value, lang)
    return value


def _table(
    df: pd.DataFrame | None,
    lang: str,
    *,
    caption: str = "",
    max_rows: int = 2000,
    css: str = "",
    formats: Mapping[str, str] | None = None,
) -> dict:
    """A table for the template: headers in ``lang``, cells as text (``formats``: by column)."""
    if df is None:
        return {"caption": caption, "headers": [], "rows": [], "more": "", "css": css}
    formats = dict(formats or getattr(df, "attrs", {}).get("formats", {}))
    df = pick_language(pd.DataFrame(df), lang)
    df = df.drop(columns=[c for c in df.columns if c == "geometry" or str(df[c].dtype) == "geometry"])
    more = ""
    if len(df) > max_rows:
        more = say("report.more_rows", lang, shown=max_rows, total=len(df))
        df = df.iloc[:max_rows]
    columns = [str(c) for c in df.columns]
    rows = [
        [
            (shown(v, formats[c]), "num") if c in formats and not isinstance(v, str) else _cell(v, c, lang)
            for v, c in zip(record, columns, strict=True)
        ]
        for record in df.itertuples(index=False, name=None)
    ]
    return {
        "caption": caption,
        "headers": [column_label(c, lang) for c in columns],
        "rows": rows,
        "more": more,
        "css": css,
    }


def _coverage_tables(cov: pd.DataFrame | Mapping[str, pd.DataFrame] | None, lang: str, max_rows: int) -> list:
    if cov is None:
        return [_table(None, lang)]
    if isinstance(cov, Mapping):
        return [_table(df, lang, caption=_caption(key, lang), max_rows=max_rows) for key, df in cov.items()]
    cov = pd.DataFrame(cov)
    if "level" not in cov.columns:
        return [_table(cov, lang, max_rows=max_rows)]
    known = [lv for lv in ("district", "street", "community") if (cov["level"] == lv).any()]
    levels = known + sorted(set(cov["level"].astype(str)) - set(known))
    return [
        _table(
            cov.loc[cov["level"] == level].drop(columns="level"),
            lang,
            caption=t(level, lang),
            max_rows=max_rows,
        )
        for level in levels
    ]


def _caption(key: str, lang: str) -> str:
    """``"street:elderly"`` → "Street/town · Elderly care" (each part translated when it has a label)."""
    return " · ".join(code_label(part, lang) for part in str(key).split(":"))


# --------------------------------------------------------------------------------------------
# the plan's own table


def _plan_tables(plan: pd.DataFrame | None, lang: str, max_rows: int) -> list[dict]:
    """The plan table in its seven columns, numbers formatted, and its notes below it.

    A table that is not `coverage.indicators.plan_table`'s (other columns) is shown as it is.
    """
    shaped = plan_sheet(pick_language(pd.DataFrame(plan), lang), lang) if plan is not None else None
    if shaped is None:
        return [_table(plan, lang, max_rows=max_rows)]
    df, formats = shaped
    rows, notes = [], []
    values = df.iloc[:, :7].to_numpy(dtype=object)
    fmts = [formats.get(j) or [None] * len(df) for j in range(7)]
    for i, record in enumerate(df.to_dict("records")):
        cells = [_plan_cell(values[i, j], fmts[j][i], j) for j in range(7)]
        note = _plan_note(record, lang)
        if note:
            notes.append([(str(len(notes) + 1), "num"), (note, "")])
            mark = say("table.plan.note_mark", lang, n=len(notes))
            cells[0] = (f"{cells[0][0]}{mark}", "")
        rows.append(cells)
    table = {"caption": "", "headers": [str(c) for c in df.columns[:7]], "rows": rows, "more": "", "css": ""}
    heads = [say("table.plan.notes_mark", lang), say("table.plan.notes_text", lang)]
    caption = say("table.plan.notes_caption", lang)
    foot = {"caption": caption, "headers": heads, "rows": notes, "more": "", "css": "notes"}
    return [table, foot] if notes else [table]


def _plan_cell(value: Any, fmt: str | None, column: int) -> tuple[str, str]:
    """One cell of the plan's seven columns: a target of 100% reads "100%", not "100.0%"."""
    if isinstance(value, str) or value is None:
        return (value or "—"), ""
    text = shown(value, fmt)
    if column == 2 and text.endswith(".0%"):
        text = text[:-3] + "%"
    return text, "num"


def _plan_note(row: Mapping[str, Any], lang: str) -> str:
    """A row's note: its population base and need, the basis of its current value, lead unit, remarks."""

    def get(key: str) -> Any:
        value = row.get(say(f"ind.head.plan.{key}", lang), "")
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else value

    parts = []
    if get("base_value") != "":
        need = get("need")
        parts.append(
            say(
                "table.plan.base",
                lang,
                group=get("base_group"),
                value=shown(get("base_value"), "#,##0"),
                year=get("base_year"),
                need=shown(need, "#,##0") if need != "" else "—",
            )
        )
    if get("now_basis") and get("now_date"):
        parts.append(say("table.plan.basis", lang, basis=get("now_basis"), date=get("now_date")))
    if get("lead_unit"):
        parts.append(say("table.plan.lead", lang, unit=get("lead_unit")))
    if get("note"):
        parts.append(str(get("note")))
    return say("sep.clauses", lang).join(parts)


# --------------------------------------------------------------------------------------------
# capacity and siting


#: Columns of the long indicator table the capacity section shows, in order.
_CAPACITY_COLUMNS = (
    "service",
    "metric",
    "value",
    "unit_of_measure",
    "value_basis",
    "base_value",
    "base_year",
)


def _capacity_tables(cap: pd.DataFrame | None, lang: str, max_rows: int) -> list[dict]:
    """Supply, per 1,000, need and gap of the long table's rows, in a few readable columns."""
    if cap is None or not {"metric", "value", "unit_of_measure", "service"} <= set(cap.columns):
        return [_table(cap, lang, max_rows=max_rows)]
    df = localise_texts(pd.DataFrame(cap)[[c for c in _CAPACITY_COLUMNS if c in cap.columns]], lang)
    units = pd.DataFrame(cap)["unit_of_measure"].astype(str)
    values = [shown(v, "0.0" if "1,000" in u else "#,##0") for v, u in zip(cap["value"], units, strict=True)]
    df["value"] = values
    df["unit_of_measure"] = [uom_label(u, lang) for u in units]
    return [_table(df, lang, max_rows=max_rows, formats={"base_value": "#,##0"})]


def _siting_tables(inputs: ReportInputs, lang: str) -> list[dict]:
    """The solve's summary (model, objective, bound, gap, status) and the proposed sites."""
    tables = []
    if inputs.siting_summary:
        pairs = [(label, _summary_value(value, lang)) for label, value in inputs.siting_summary]
        tables.append(_table(pd.DataFrame(pairs, columns=["key", "value"]), lang))
    tables.append(_table(inputs.sites, lang, max_rows=inputs.max_rows))
    return tables


def _summary_value(value: str, lang: str) -> str:
    """A value of the siting summary: a solver status in words, a model's name in capitals."""
    text = str(value)
    if has_message(f"table.status.{text}"):
        return say(f"table.status.{text}", lang)
    return text.upper() if text.isalpha() and text.islower() and len(text) <= 6 else text


def _sections(inputs: ReportInputs, lang: str) -> list[dict]:
    n = inputs.max_rows
    sections = [
        {"id": "plan", "heading": t("plan_table", lang), "tables": _plan_tables(inputs.plan_table, lang, n)},
        {
            "id": "coverage",
            "heading": t("coverage_by_unit", lang),
            "intro": say("table.coverage_intro", lang) if inputs.coverage_by_unit is not None else "",
            "tables": _coverage_tables(inputs.coverage_by_unit, lang, n),
        },
        {
            "id": "capacity",
            "heading": t("capacity_gaps", lang),
            "intro": say("report.gaps_intro", lang),
            "tables": _capacity_tables(inputs.capacity_gaps, lang, n),
        },
        {"id": "siting", "heading": t("siting", lang), "tables": _siting_tables(inputs, lang)},
    ]
    if inputs.figures:
        sections.append(
            {
                "id": "figures",
                "heading": t("figure", lang),
                "intro": t("map_caption", lang),
                "tables": [],
                "figures": [
                    {"caption": caption, "svg": svg, "notes": list(notes)}
                    for caption, svg, notes in inputs.figures
                ],
            }
        )
    if inputs.indicators is not None:  # the long table belongs in the CSV and the XLSX
        sections.append(
            {"id": "indicators", "heading": t("indicators", lang), "intro": say("table.long_pointer", lang)}
        )
    for s in sections:
        s.setdefault("intro", "")
        s.setdefault("tables", [])
        s.setdefault("figures", [])
    return sections
