"""The long table shown to planners: coverage by street or community in one row per unit, and labels.

`coverage_wide` renders the plans' by-street and by-community tables from the long table, worst
covered first; `localize` adds the labels of its codes in Chinese or English.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...geodata.common import InputError, Msg, say
from ...geodata.labels import label, label_msg
from ..standards import Standards
from .by_unit import units_worst_first
from .inputs import SERVICE_GROUPS

_KEY = ["parent", "unit"]
#: Number formats of the by-unit table's columns (the XLSX formats' names), kept in ``attrs["formats"]``.
PERCENT, INTEGER, ONE_DECIMAL = "0.0%", "#,##0", "0.0"


def _above(level: str) -> str:
    return {"community": "street", "street": "district"}.get(level, "")


def _parent_names(table: pd.DataFrame, level: str) -> dict[str, str]:
    names = table.loc[table["scope"] == _above(level), ["unit", "unit_name"]].drop_duplicates("unit")
    return dict(zip(names["unit"], names["unit_name"], strict=True))


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


def _group_of(service: str, group: str | None, groups: Sequence[str] | None, table: pd.DataFrame) -> str:
    """The population group a by-unit table shows: the one asked, else the service's first one known."""
    if group:
        return group
    known = set(table.loc[table["metric"] == "pop", "group"])
    wanted = list(groups or ()) + list(SERVICE_GROUPS.get(service, ())) + ["pop_total"]
    return next((g for g in wanted if g in known), wanted[0])


def coverage_wide(
    table: pd.DataFrame,
    *,
    level: str = "street",
    service: str = "elderly",
    group: str | None = None,
    groups: Sequence[str] | None = None,
    standards: Standards | None = None,
    lang: str = "zh",
) -> pd.DataFrame:
    """Coverage by street or community, one row per unit, worst covered first (the plans' by-unit table).

    Columns: unit code and name, the enclosing unit's name (communities), urban or rural class, the
    unit's walking threshold (minutes), the group's people, the share covered, the people beyond
    the threshold and their median extra minutes (when the table has ``extra_median_min``), then,
    per one-per-unit rule of ``service`` at this level, the facility count and "missing" where
    the unit has fewer than the rule asks. Rules are named by their label in ``standards``.

    The group is ``group``, else the first of ``groups`` the table knows, else the service's own
    (aged 60+ for elderly care, 0–3 for childcare). Shares are fractions (0.934); the number
    format of each column is in ``attrs["formats"]`` (``0.0%``, ``#,##0``, ``0.0``).
    """
    if level not in ("street", "community", "district"):
        raise InputError("ind.wide.bad_level", level=level)
    grp = _group_of(service, group, groups, table)
    rows = units_worst_first(table, scope=level, service=service, group=grp)
    if rows.empty:  # no coverage rows at this level: the units of the rules, by code
        rows = _rule_units(table, level)
    extra = "extra_median_min" in set(table["metric"]) and rows.get("extra_median_min") is not None
    out = pd.DataFrame({"parent": rows["parent"], "unit": rows["unit"]})
    heads, formats = _heads(level, grp, lang), {}
    out[heads["unit"]] = rows["unit"].to_numpy()
    out[heads["unit_name"]] = rows["unit_name"].to_numpy()
    if _above(level) == "street":
        out[heads["parent_name"]] = rows["parent"].map(_parent_names(table, level)).fillna("").to_numpy()
    out[heads["unit_class"]] = [say(f"ind.wide.class.{c}", lang) if c else "" for c in rows["unit_class"]]
    numbers = [("threshold_min", ONE_DECIMAL, 1.0), ("pop", INTEGER, 1.0), ("coverage", PERCENT, 0.01)]
    numbers += [("pop_beyond", INTEGER, 1.0)] + ([("extra_median_min", ONE_DECIMAL, 1.0)] if extra else [])
    for key, fmt, scale in numbers:
        values = rows[key] if key in rows else pd.Series(np.nan, index=rows.index)
        out[heads[key]] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float) * scale
        formats[heads[key]] = fmt
    sub = table[(table["scope"] == level) & (table["area"] == "all") & (table["service"] == service)]
    out = _rule_columns(out, sub, standards, lang).drop(columns=_KEY)
    formats |= {c: INTEGER for c in out.columns if c not in formats and pd.api.types.is_numeric_dtype(out[c])}
    out.attrs["formats"] = formats
    return out


def _rule_units(table: pd.DataFrame, level: str) -> pd.DataFrame:
    """The units of ``level`` the rules list (no coverage rows), by code, with no coverage figures."""
    units = table.loc[table["scope"] == level, [*_KEY, "unit_name", "unit_class"]].drop_duplicates(_KEY)
    return units.sort_values(_KEY, kind="mergesort").reset_index(drop=True)


def _heads(level: str, group: str, lang: str) -> dict[str, str]:
    """The by-unit table's column heads in ``lang``."""
    return {
        "unit": say("ind.wide.code", lang),
        "unit_name": label(level, lang),
        "parent_name": label(_above(level), lang),
        "unit_class": say("ind.wide.class", lang),
        "threshold_min": say("ind.wide.threshold", lang),
        "pop": say("ind.wide.pop", lang, group=label_msg(group)),
        "coverage": say("ind.wide.coverage", lang),
        "pop_beyond": say("ind.wide.beyond", lang),
        "extra_median_min": say("ind.wide.extra", lang, unit=Msg("ind.wide.minutes")),
    }


def localize(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The long table with labels for scope, area, service, group and metric in ``lang``."""
    out = table.copy()
    for col in ("scope", "area", "service", "group", "metric"):
        out[f"{col}_label"] = out[col].map(lambda k: label(k, lang))
    return out
