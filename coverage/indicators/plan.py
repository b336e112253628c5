"""The plan-style indicator table: each target of the plan with its baseline, value now, gap and base.

One row per `Target` of the standards, in the plan's order, in Chinese or English. The value now
is this run's (the district or total rows of the long table); where the run has none, the
documented figure of the jurisdiction profile, marked ``documented`` with its date and source;
else NaN with "no data: needs …", never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...geodata.bilingual import year_text
from ...geodata.common import Msg, Note, say
from ...geodata.labels import label, label_msg
from ..standards import ATTRIBUTE_METRICS, BASELINE_TOLERANCE, Standards, Target
from .capacity import BASE_GROUPS, SAME_AREA_TOLERANCE
from .notes import Code, kind_word, no_list_prefix, note, text_in, uom_word
from .rows import BASES

#: ``value_basis`` in the plan table's words: basis → message id.
BASIS_LABELS: dict[str, str] = {k: f"ind.basis.{k}" for k in BASES}
#: Columns of `plan_table`, before they are named in the table's language.
PLAN_COLUMNS: tuple[str, ...] = (
    "indicator",
    "unit_of_measure",
    "baseline",
    "baseline_year",
    "target",
    "target_year",
    "attribute",
    "now",
    "now_status",
    "gap",
    "base_group",
    "base_value",
    "base_year",
    "need",
    "now_basis",
    "now_date",
    "now_source",
    "base_source",
    "lead_unit",
    "source",
    "note",
)
_PERCENT = (
    "coverage",
    "unit_share",
    "nursing_share",
    "puhui_share",
    "social_share",
    "social_bed_share",
    "public_bed_share",
    "colocated_share",
    "new_residential_compliance",
    "reported",
)
#: Metrics whose run value counts only when computed (else the target's documented figure is used).
_COMPUTED_ONLY = ("supply", "per_1000", "unit_share", "facilities", "nursing_share", *ATTRIBUTE_METRICS)
#: Metrics no run computes: the plan row says what it needs.
_NEVER_COMPUTED = {
    "reported": "ind.now.lack.reported",
    "reported_count": "ind.now.lack.reported",
    "new_residential_m2": "ind.now.lack.new_residential",
    "new_residential_compliance": "ind.now.lack.new_residential",
    "new_residential_places": "ind.now.lack.new_residential",
}
#: The facility column each attribute metric reads.
_COLUMN_OF = {
    "nursing_share": "nursing_beds",
    "puhui_share": "puhui",
    "puhui_supply": "puhui",
    "social_share": "operator",
    "social_bed_share": "operator",
    "public_bed_share": "operator",
    "land_per_capita": "land_m2",
}


def _top(table: pd.DataFrame) -> pd.DataFrame:
    scope = "total" if (table["scope"] == "total").any() else "district"
    return table[table["scope"] == scope]


@dataclass(frozen=True)
class _Now:
    """The plan table's "now": a value, its basis (computed, documented, no_data), date, source, note.

    ``status`` says why a value is missing ("not computed: needs …"), shown in its place.
    """

    value: float
    basis: str
    date: str = ""
    source: str = ""
    note: object = ""
    status: object = ""


def _no_data(lack: Msg, _lang: str = "zh") -> _Now:
    """Not computed: the run lacks the input ``lack`` (a message naming it)."""
    return _Now(np.nan, "no_data", status=Msg("ind.plan.not_computed", needs=lack))


def _run_note(msg_id: str, **fields: object) -> _Now:
    """No value, and the run's reason (rendered in the table's language by `_plan_row`)."""
    return _Now(np.nan, "no_data", status=Msg(msg_id, **fields))


def _run_rows(top: pd.DataFrame, t: Target) -> pd.Series:
    """Which rows of the top scope hold the value of target ``t`` (a mask)."""
    m = (top["metric"] == t.metric) & (top["service"] == t.service)
    if t.metric == "coverage":
        m &= top["area"] == t.area
        if t.group:
            m &= top["group"] == t.group
    elif t.metric in ("unit_share", "facilities"):
        m &= top["rule"] == t.rule
    if "value_basis" in top and t.metric in _COMPUTED_ONLY:
        m &= top["value_basis"] == "computed"  # else the target's own documented figure is used
    return m


def _now(top: pd.DataFrame, t: Target, standards: Standards, lang: str) -> _Now:
    """The current value of a target: this run's, else the documented one, else no data (never 0)."""
    if t.metric in _NEVER_COMPUTED:
        return _no_data(Msg(_NEVER_COMPUTED[t.metric]))
    m = _run_rows(top, t)
    sel = top.loc[m, "value"]
    if sel.size and sel.notna().all():
        if t.metric in (*_PERCENT, "per_1000", "land_per_capita"):
            if sel.size > 1:
                return _run_note("ind.now.several_districts")
            return _Now(float(sel.iloc[0]), "computed", note=_units_ok(top, t))
        return _Now(float(sel.sum()), "computed")
    if t.metric == "coverage":
        return _coverage_missing(top, t, sel)
    if t.metric == "nursing_share":
        return _nursing_now(standards, lang)
    if t.metric in ("supply", "per_1000"):
        return _documented_now(t, standards, lang)
    if t.metric in _COLUMN_OF:
        column = Msg(f"ind.column.{_COLUMN_OF[t.metric]}")
        return _no_data(Msg("ind.lack.column", column=column, service=Code(t.service)))
    if t.metric == "colocated_share":
        return _no_data(Msg("ind.now.lack.colocation"))
    if t.baseline is not None:  # facilities, unit_share: the plan's own baseline count
        return _Now(float(t.baseline), "documented", str(t.baseline_year or ""), t.source)
    return _no_data(_rule_lack(t, standards))


def _coverage_missing(top: pd.DataFrame, t: Target, sel: pd.Series) -> _Now:
    """Why a coverage target has no value: no people of its area or group, or no facility list."""
    if sel.empty and t.area != "all":
        return _run_note("ind.now.no_area_population", area=Code(t.area))
    same = (top["metric"] == "coverage") & (top["service"] == t.service)
    notes = top.loc[same, "note"].astype(str) if "note" in top else pd.Series([], dtype=str)
    lacks: list[Msg] = []
    if notes.str.startswith(no_list_prefix()).any():
        lacks.append(Msg("ind.now.lack.list", service=Code(t.service)))
    group_rows = (top["metric"] == "pop") & (top["group"] == t.group) & (top["area"] == "all")
    if t.group and top.loc[group_rows, "value"].isna().all():
        lacks.append(Msg("ind.now.lack.group", group=Code(t.group)))
    if not lacks:
        return _run_note("ind.now.no_value")
    return _no_data(lacks[0] if len(lacks) == 1 else Msg("ind.join.and", a=lacks[0], b=lacks[1]))


def _rule_lack(t: Target, standards: Standards) -> Msg:
    """What a one-per-unit target lacks: the facility list (with its feature column) and the units."""
    rule = standards.rule(t.rule) if t.rule in {r.key for r in standards.one_per_unit} else None
    level = rule.level if rule is not None and rule.level in ("street", "community") else "any"
    units = Msg(f"ind.now.units.{level}")
    if rule is not None and rule.feature:
        column = Msg(f"ind.column.{rule.feature}")
        return Msg("ind.now.lack.feature", column=column, service=Code(t.service), units=units)
    return Msg("ind.now.lack.rule", service=Code(t.service), units=units)


def _units_ok(top: pd.DataFrame, t: Target) -> Msg | str:
    """For a one-per-unit share: how many units comply out of how many ("" for other metrics)."""
    if t.metric != "unit_share":
        return ""
    rows = top[(top["rule"] == t.rule) & (top["service"] == t.service)]
    good = rows.loc[rows["metric"] == "units_compliant", "value"]
    total = rows.loc[rows["metric"] == "units_total", "value"]
    if good.size != 1 or total.size != 1:
        return ""
    return Msg("ind.now.units_ok", good=float(good.iloc[0]), total=float(total.iloc[0]))


def other_area(top: pd.DataFrame | None, standards: Standards) -> bool:
    """Whether the run's area is not the jurisdiction the documented figures describe.

    Its people (the first of all residents, 60+ and 0–3 the profile documents) differ from the
    documented ones by more than `SAME_AREA_TOLERANCE`; where the profile documents no population,
    the capacity rows' note that it could not be checked says so.
    """
    if top is None or top.empty:
        return False
    for group in ("pop_total", "pop_60", "pop_0_3"):
        ref = standards.current_population(group)
        rows = top[(top["metric"] == "pop") & (top["group"] == group) & (top["area"] == "all")]
        have = rows["value"].dropna()
        if ref is None or ref.value <= 0 or have.empty:
            continue
        return abs(float(have.iloc[0]) - ref.value) > SAME_AREA_TOLERANCE * ref.value
    said = note("ind.note.no_documented_population")  # the capacity rows could not check either
    return bool(top["note"].astype(str).str.contains(said, regex=False).any()) if "note" in top else False


def _nursing_now(standards: Standards, lang: str) -> _Now:
    """The nursing-bed share from the documented counts (no data without them)."""
    nb = next((f for f in standards.figures if f.key == "nursing_beds"), None)
    beds = standards.documented_supply("elderly") if nb is not None else None
    if nb is None or beds is None or beds.value <= 0:
        return _no_data(
            Msg("ind.lack.column", column=Msg("ind.column.nursing_beds"), service=Code("elderly"))
        )
    source = say("sep.clauses", lang).join(text_in(x, lang) for x in (nb.source, beds.source))
    return _Now(100.0 * nb.value / beds.value, "documented", str(nb.year), source)


def _documented_now(t: Target, standards: Standards, lang: str) -> _Now:
    """Supply or per-1,000 ratio from the profile's documented supply (and population)."""
    document = standards.document or Msg("ind.now.the_document")
    lack = _no_data(
        Msg("ind.now.lack.capacity", service=Code(t.service), uom=uom_word(t.service), document=document),
        lang,
    )
    if t.metric == "supply":
        doc = standards.documented_supply(t.service, near=t.baseline)
        if doc is None:
            return lack
        return _Now(doc.value, "documented", str(doc.year), doc.source)
    doc = standards.documented_supply(t.service)
    group = t.group or BASE_GROUPS.get(t.service, "pop_total")
    pop = standards.current_population(group)
    if doc is None or pop is None or pop.value <= 0:
        return lack
    value = 1000.0 * doc.value / pop.value
    src = say(
        "ind.now.ratio_source",
        lang,
        supply=doc.value,
        pop=pop.value,
        supply_source=doc.source,
        pop_source=pop.source,
    )
    flag = ""
    if t.baseline and abs(value - t.baseline) > BASELINE_TOLERANCE * t.baseline:
        flag = say("ind.now.baseline_flag", lang, baseline=t.baseline, value=value)
    return _Now(value, "documented", str(doc.year), src, flag)


def _need(t: Target, standards: Standards, lang: str) -> dict[str, object]:
    """Need at the standard on the population base the document uses for the target, and that base."""
    out: dict[str, object] = {
        "base_group": "",
        "base_value": np.nan,
        "base_year": "",
        "need": np.nan,
        "base_source": "",
        "why": "",
    }
    if t.metric not in ("supply", "per_1000") or t.service not in ("elderly", "childcare"):
        return out
    per = t.value if t.metric == "per_1000" else standards.per_1000(t.service)[0]
    fig, why = standards.population_base(t.service)
    if per is None or fig is None:
        return out
    kind = fig.note or fig.block
    out.update(
        base_group=say("ind.plan.base_group", lang, group=label_msg(fig.key), kind=kind_word(kind)),
        base_value=fig.value,
        base_year=year_text(fig.year, lang),
        need=float(math.ceil(per * fig.value / 1000.0 - 1e-9)),
        base_source=text_in(fig.source, lang),
        why=why.text(lang) if isinstance(why, Note) else str(why),
    )
    return out


def _target_name(t: Target, lang: str) -> str:
    """The plan's wording when the target carries it, else a name built from its fields."""
    en = lang == "en"
    own = t.label_en if en else t.label_zh
    parts = []
    if not own:
        metric = label(t.metric, lang).lower() if en else label(t.metric, lang)
        own = say("ind.plan.target_name", lang, service=label(t.service, lang), metric=metric)
        if t.metric == "coverage" and t.area != "all":
            parts.append(say(f"ind.plan.area.{t.area}", lang))
    if t.metric == "coverage" and t.group:
        parts.append(label(t.group, lang))
    if not parts:
        return own
    return say("ind.plan.name_parts", lang, name=own, parts=say("ind.sep.clause", lang).join(parts))


def _uom(t: Target, lang: str) -> str:
    if t.metric in _PERCENT:
        return "%"
    if t.metric in ("land_per_capita", "new_residential_m2"):
        return say(f"ind.plan.uom.{t.metric}", lang)
    if t.metric in ("per_1000", "new_residential_places"):
        return "‰"
    if t.metric in ("facilities", "reported_count"):
        return say("ind.plan.uom.facilities", lang)
    return say("ind.plan.uom.beds" if t.service == "elderly" else "ind.plan.uom.places", lang)


def _target_text(t: Target) -> str:
    if t.comparison == "+":
        return f"+{t.value:g}"
    return f"≤{t.value:g}" if t.comparison == "<=" else f"{t.value:g}"


def _plan_row(t: Target, top: pd.DataFrame | None, standards: Standards, lang: str) -> dict[str, object]:
    """The row of target ``t`` (``top``: the top scope's rows of the long table; None: it is empty)."""
    now = _now(top, t, standards, lang) if top is not None else _run_note("ind.now.empty_table")
    if now.basis == "documented" and other_area(top, standards):
        now = _Now(now.value, now.basis, now.date, now.source, Msg("ind.now.not_this_area"), now.status)
    gap = now.value - t.goal if t.comparison == "<=" else t.goal - now.value
    attribute = {True: "ind.plan.binding", False: "ind.plan.expected"}.get(t.binding)  # type: ignore[arg-type]
    need = _need(t, standards, lang)
    check = ""
    if t.metric == "supply" and not np.isnan(need["need"]) and abs(need["need"] - t.goal) >= 1:  # type: ignore[arg-type]
        check = say("ind.plan.need_check", lang, need=need["need"], goal=t.goal)
    return {
        "indicator": _target_name(t, lang),
        "unit_of_measure": _uom(t, lang),
        "baseline": np.nan if t.baseline is None else float(t.baseline),
        "baseline_year": year_text(t.baseline_year, lang),
        "target": _target_text(t),
        "target_year": year_text(t.year, lang),
        "attribute": say(attribute, lang) if attribute else "—",
        "now": now.value,
        "now_status": text_in(now.status, lang),
        "gap": gap,
        "base_group": need["base_group"],
        "base_value": need["base_value"],
        "base_year": need["base_year"],
        "need": need["need"],
        "now_basis": say(BASIS_LABELS[now.basis], lang),
        "now_date": year_text(now.date, lang),
        "now_source": text_in(now.source, lang),
        "base_source": need["base_source"],
        "lead_unit": t.lead_unit,
        "source": text_in(t.source, lang),
        "note": say("sep.clauses", lang).join(
            text_in(x, lang) for x in (t.note, need["why"], now.note, check) if x
        ),
    }


def plan_table(
    table: pd.DataFrame, standards: Standards, *, lang: str = "zh", binding: bool | None = None
) -> pd.DataFrame:
    """The plan-style indicator table: indicator, baseline, target, binding or expected, now, gap, base.

    One row per `Target` of ``standards`` (in the plan's order). ``now`` is this run's value (the
    district or total rows of ``table``); where the run has none (no facility list, no units), the
    documented figure of the jurisdiction profile, marked ``documented`` with its date and source
    (the supply of beds or childcare places, the plan's baseline count, nursing beds over beds);
    else NaN with "no data: needs …" — never 0. ``gap`` = target − now for "at least" targets,
    now − target for "at most", baseline + increase − now for increase targets (positive: short of
    the target).

    Capacity rows (``supply``, ``per_1000`` of beds and childcare places) name the population base
    the document applies the ratio to (its group, count, year and source: 001's beds use the 2025
    projection of 125,000 aged 60+) and the need at the standard on it, rounded up as the
    documents do (588,700 × 4.5 / 1,000 → 2,650). ``binding=True`` keeps the binding rows only,
    ``False`` the expected ones.
    """
    top = _top(table) if not table.empty else None
    rows = [
        _plan_row(t, top, standards, lang)
        for t in standards.coverage_targets
        if binding is None or t.binding is binding
    ]
    df = pd.DataFrame(rows, columns=list(PLAN_COLUMNS))
    return df.rename(columns={k: say(f"ind.head.plan.{k}", lang) for k in PLAN_COLUMNS})
