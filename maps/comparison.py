"""The comparison page of two runs (``comparison.html``): what changed, unit by unit, largest gain first.

It lists the headline coverage before and after, per service the people newly within reach by
unit (and those no longer within reach) with the coverage before and after, and the facilities
added or removed; a bar chart shows the largest gains. It renders what it is given and computes
nothing; every value is escaped by the template.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..geodata.common import atomic_path, say
from . import assets
from .charts import MAX_BARS, bar_chart
from .i18n import check_lang, code_label, t
from .layers_points import tier_label
from .style import PRIMARY_GROUP

#: Columns of a unit table shown, with how each is written.
_UNIT_COLUMNS = (
    ("unit_name", "text"),
    ("pop", "people"),
    ("covered_a", "people"),
    ("covered_b", "people"),
    ("gain", "people"),
    ("loss", "people"),
    ("coverage_a", "pct"),
    ("coverage_b", "pct"),
    ("coverage_delta", "pp"),
)


@dataclass
class ComparisonInputs:
    """What the comparison page shows.

    Attributes
    ----------
    title
        The page title (both runs named).
    runs
        ``(label, value)`` pairs naming run A and run B.
    headlines
        ``(label, "before → after (change)")`` pairs.
    units
        The per-unit table (`lifecircle.scenarios.compare_map.UNIT_COLUMNS`): ``service, group,
        level, unit_name, pop, covered_a, covered_b, gain, loss, coverage_a, coverage_b,
        coverage_delta`` (coverage in percent), sorted by gain.
    facility_changes
        Facilities added or removed: ``service, change, name, tier``.
    states
        The names of the two states (before, after).
    notes
        Sentences shown under the tables.
    """

    title: str
    runs: Sequence[tuple[str, str]] = ()
    headlines: Sequence[tuple[str, str]] = ()
    units: pd.DataFrame | None = None
    facility_changes: pd.DataFrame | None = None
    states: tuple[str, str] = ("", "")
    notes: list[str] = field(default_factory=list)


def _cell(value, kind: str, lang: str) -> str:
    """One table cell as a reader writes it; unknown values say "no data"."""
    if kind == "text":
        return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    v = float(value) if value is not None else np.nan
    if not np.isfinite(v):
        return t("no_data", lang)
    if kind == "people":
        return f"{v:,.0f}"
    if kind == "pct":
        return f"{v:.1f}%"
    return f"{v:+.1f}"


def _sections(units: pd.DataFrame, lang: str) -> list[dict]:
    """One section per service and level: the main group's units by gain, with a total row."""
    out = []
    for (svc, level), sub in units.groupby(["service", "level"], sort=True):
        main = PRIMARY_GROUP.get(str(svc), "pop_total")
        groups = sub["group"].astype(str)
        part = sub[groups == main] if (groups == main).any() else sub[groups == groups.iloc[0]]
        group = str(part["group"].iloc[0])
        rows = [[_cell(r[c], k, lang) for c, k in _UNIT_COLUMNS] for _, r in part.iterrows()]
        sums = {c: part[c].sum(min_count=1) for c in ("pop", "covered_a", "covered_b", "gain", "loss")}
        share_a = 100 * sums["covered_a"] / sums["pop"] if sums["pop"] else np.nan
        share_b = 100 * sums["covered_b"] / sums["pop"] if sums["pop"] else np.nan
        total = {"unit_name": t("total", lang), **sums, "coverage_a": share_a, "coverage_b": share_b}
        total["coverage_delta"] = share_b - share_a
        gains = part["gain"].to_numpy(dtype=float)
        shown = part.head(MAX_BARS)
        chart = bar_chart(
            list(shown["unit_name"].astype(str)), shown["gain"].to_numpy(dtype=float), "people", lang
        )
        out.append(
            {
                "title": say(
                    "compare.page.units",
                    lang,
                    service=code_label(str(svc), lang),
                    level=code_label(str(level), lang) if str(level) != "grid" else t("grid_cell", lang),
                    group=t(group, lang),
                ),
                "rows": rows,
                "total": [_cell(total[c], k, lang) for c, k in _UNIT_COLUMNS],
                "chart": chart if np.nansum(gains) > 0 else None,
            }
        )
    return out


def render_comparison(inputs: ComparisonInputs, *, lang: str = "zh") -> str:
    """The comparison page as HTML."""
    check_lang(lang)
    a, b = inputs.states
    heads = [
        t("unit", lang),
        t("population", lang),
        say("compare.page.covered", lang, state=a),
        say("compare.page.covered", lang, state=b),
        t("change_gained_people", lang),
        t("change_lost_people", lang),
        say("compare.page.share", lang, state=a),
        say("compare.page.share", lang, state=b),
        t("coverage_delta", lang),
    ]
    fac = inputs.facility_changes
    facilities = []
    if fac is not None and len(fac):
        for _, r in fac.iterrows():
            svc = str(r["service"])
            facilities.append(
                (
                    t(f"change_{r['change']}", lang),
                    code_label(svc, lang),
                    str(r.get("name", "") or ""),
                    tier_label(str(r.get("tier", "") or ""), svc, lang),
                )
            )
    units = inputs.units if inputs.units is not None else pd.DataFrame(columns=["service", "level"])
    return assets.template("comparison.html.j2").render(
        lang="zh-CN" if lang == "zh" else "en",
        title=inputs.title,
        runs=list(inputs.runs),
        headlines=list(inputs.headlines),
        sections=_sections(units, lang),
        heads=heads,
        facilities=facilities,
        notes=list(inputs.notes),
        L={
            k: t(k, lang)
            for k in ("headline", "changes", "change", "service", "name", "tier", "note", "print")
        }
        | {"by_unit": say("compare.page.by_unit", lang), "no_units": say("compare.page.no_units", lang)},
    )


def write_comparison(inputs: ComparisonInputs, path: str | Path, *, lang: str = "zh") -> Path:
    """Render the comparison page and write it atomically to ``path``; return the path."""
    text = render_comparison(inputs, lang=lang)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
