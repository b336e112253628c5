"""Words for the codes of the indicator table: metrics, population groups, services, scopes, areas.

Every room may read them (the indicator table's codes are shared vocabulary): coverage writes
the codes, maps and the command line turn them into Chinese or English. The words themselves
live in the catalogue (``geodata/messages/labels.yaml``, ids ``lbl.<table>.<code>``); the tables
here list the codes, in table order, with their message ids.
"""

from __future__ import annotations

from .common import Msg, say

#: Metrics read from the facility list's own columns (`coverage.indicators.attributes`).
ATTRIBUTE_METRICS: tuple[str, ...] = (
    "puhui_share",
    "puhui_supply",
    "social_share",
    "social_bed_share",
    "public_bed_share",
    "land_per_capita",
    "colocated_share",
)

_METRICS = (
    "pop",
    "threshold_min",
    "pop_covered",
    "coverage",
    "pop_beyond",
    "extra_median_min",
    "pop_unreached",
    "time_median_min",
    "time_p90_min",
    "gini_time",
    "access_per_1000",
    "gini_access",
    "facility_count",
    "facilities",
    "units_total",
    "units_compliant",
    "unit_share",
    "supply",
    "supply_unknown",
    "per_1000",
    "need",
    "gap",
    "nursing_share",
    *ATTRIBUTE_METRICS,
)

#: Metric keys with their message ids, in table order.
METRIC_LABELS: dict[str, str] = {k: f"lbl.metric.{k}" for k in _METRICS}
#: Population groups.
GROUP_LABELS: dict[str, str] = {k: f"lbl.group.{k}" for k in ("pop_total", "pop_60", "pop_80", "pop_0_3")}
#: Services.
SERVICE_LABELS: dict[str, str] = {k: f"lbl.service.{k}" for k in ("elderly", "childcare")}
#: Scopes of the table's rows.
SCOPE_LABELS: dict[str, str] = {k: f"lbl.scope.{k}" for k in ("total", "district", "street", "community")}
#: Areas (and the urban/rural class of a unit).
AREA_LABELS: dict[str, str] = {k: f"lbl.area.{k}" for k in ("all", "urban", "rural", "mixed")}

_TABLES = (METRIC_LABELS, GROUP_LABELS, SERVICE_LABELS, SCOPE_LABELS, AREA_LABELS)


def label_id(key: str) -> str | None:
    """The message id of a metric, group, service, scope or area key (None: not a known code)."""
    for table in _TABLES:
        if key in table:
            return table[key]
    return None


def label(key: str, lang: str = "zh") -> str:
    """Label of a metric, group, service, scope or area key in ``lang`` (``zh`` or ``en``).

    An unknown key (or ``""``) is returned as it is.
    """
    msg_id = label_id(key)
    return say(msg_id, lang) if msg_id else key


def label_msg(key: str) -> Msg | str:
    """The label of ``key`` as a message (rendered later in either language), for nesting in a sentence.

    An unknown key is returned as it is (rendered verbatim in every language).
    """
    msg_id = label_id(key)
    return Msg(msg_id) if msg_id else key
