"""The long table shown to planners: coverage by street or community in one row per unit, and labels.

`coverage_wide` renders the plans' by-street and by-community tables from the long table;
`localize` adds the labels of its codes in Chinese or English.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...geodata.common import InputError, Msg, say
from ...geodata.labels import label, label_msg
from ...geodata.schema import GROUPS
from ..standards import Standards

_KEY = ["parent", "unit"]
_TIME_METRICS = ("pop", "coverage", "time_median_min", "time_p90_min")


def _above(level: str) -> str:
    return {"community": "street", "street": "district"}.get(level, "")


def _units(table: pd.DataFrame, level: str, lang: str) -> pd.DataFrame:
    """One row per unit of ``level``: code, name, the enclosing unit's name, urban/rural class."""
    out = table.loc[table["scope"] == level, [*_KEY, "unit_name", "unit_class"]].drop_duplicates(subset=_KEY)
    names = table.loc[table["scope"] == _above(level), ["unit", "unit_name"]].drop_duplicates("unit")
    out["parent_name"] = (
        out["parent"].map(dict(zip(names["unit"], names["unit_name"], strict=True))).fillna("")
    )
    out["unit_class"] = out["unit_class"].map(lambda c: label(c, lang) if c else "")
    return out[[*_KEY, "unit_name", "parent_name", "unit_class"]]


def _group_head(group: str, metric: str, lang: str) -> str:
    """Column head of one group's metric: "Aged 60+ (persons)", "Aged 60+ Coverage (%)"."""
    if metric == "pop":
        return say("ind.wide.pop", lang, group=label_msg(group))
    unit = "%" if metric == "coverage" else Msg("ind.wide.minutes")
    return say("ind.wide.metric", lang, group=label_msg(group), metric=label_msg(metric), unit=unit)


def _rule_columns(
    out: pd.DataFrame, sub: pd.DataFrame, standards: Standards | None, lang: str
) -> pd.DataFrame:
    """Per one-per-unit rule: the facility count and "missing" where the unit has fewer than asked."""
    en = lang == "en"
    rule_names = {}
    if standards is not None:
        rule_names = {r.key: (r.label_en if en else r.label_zh) or r.key for r in standards.one_per_unit}
    missing = say("ind.wide.missing", lang)
    for r in sub.loc[sub["metric"] == "facility_count", "rule"].drop_duplicates().tolist():
        col = sub[(sub["rule"] == r) & (sub["metric"] == "facility_count")][[*_KEY, "value", "target"]]
        name = rule_names.get(r, r)
        col = col.assign(miss=np.where(col["value"] < col["target"], missing, ""))
        heads = {
            "value": say("ind.wide.rule_count", lang, name=name),
            "miss": say("ind.wide.rule_status", lang, name=name),
        }
        out = out.merge(col[[*_KEY, "value", "miss"]].rename(columns=heads), on=_KEY, how="left")
    return out


def coverage_wide(
    table: pd.DataFrame,
    *,
    level: str = "street",
    service: str = "elderly",
    groups: Sequence[str] | None = None,
    standards: Standards | None = None,
    lang: str = "zh",
) -> pd.DataFrame:
    """Coverage by street or community, one row per unit (the plans' by-street and by-community table).

    Columns: unit code and name, the enclosing unit's name, urban/rural class; per group the
    population, the coverage (%), the median and 90th-percentile walking time (min); then, per
    one-per-unit rule of ``service`` at this level, the facility count and "missing" where the
    unit has fewer than the rule asks. Rules are named by their label in ``standards`` when given.
    """
    if level not in ("street", "community", "district"):
        raise InputError("ind.wide.bad_level", level=level)
    sub = table[(table["scope"] == level) & (table["area"] == "all") & (table["service"] == service)]
    out = _units(table, level, lang)
    grp_list = (
        list(groups)
        if groups is not None
        else [g for g in GROUPS if g in set(sub.loc[sub["metric"] == "pop", "group"])]
    )
    for g in grp_list:
        for mname in _TIME_METRICS:
            col = sub[(sub["group"] == g) & (sub["metric"] == mname)][[*_KEY, "value"]]
            out = out.merge(col.rename(columns={"value": _group_head(g, mname, lang)}), on=_KEY, how="left")
    out = _rule_columns(out, sub, standards, lang)
    out = out.sort_values(_KEY, kind="mergesort").reset_index(drop=True)
    above = _above(level)
    out = out.drop(columns=["parent"] + (["parent_name"] if not above else []))
    heads = {
        "unit": say("ind.wide.code", lang),
        "unit_name": label(level, lang),
        "parent_name": label(above, lang) if above else "",
        "unit_class": say("ind.wide.class", lang),
    }
    return out.rename(columns={k: v for k, v in heads.items() if v})


def localize(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The long table with labels for scope, area, service, group and metric in ``lang``."""
    out = table.copy()
    for col in ("scope", "area", "service", "group", "metric"):
        out[f"{col}_label"] = out[col].map(lambda k: label(k, lang))
    return out
