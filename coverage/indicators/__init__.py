"""The plans' indicators: coverage by group and unit, one-per-unit compliance, capacity gaps, equity.

Everything lands in one long table (`COLUMNS`), one row per scope × unit × area × service × group ×
metric, in a fixed order, so the same inputs give an identical table. `plan_table` and
`coverage_wide` render it as the plans' own tables; `METRIC_LABELS` and `label` give Chinese and
English names (Chinese first).

Scopes are ``total`` (only when the demand spans several districts), ``district``, ``street``
(streets and towns) and ``community`` (communities and villages). Areas are ``all`` plus
``urban``/``rural`` rows for the district (and total) and for any unit whose demand is part urban,
part rural, because 004 sets separate binding targets for streets (communities) and towns
(villages). ``unit_class`` says whether a unit is urban, rural or mixed (from the admin table when
given, else from its demand).

Missing data is never a zero. A value the run cannot know is NaN with ``value_basis`` ``no_data``
and a note "no data: needs …" (a service no facility source covers has no coverage, reach or
walking times: "no data: needs a facility list for <service>"; its population rows stay); a
figure taken from the jurisdiction profile instead of the run's data (the documented supply of
beds or childcare places when no facility list is given, the population base the document applies
a ratio to) is marked ``documented`` and cites its source; ``computed`` values come from the run's
inputs. Capacity rows name the population base of each value (``base_value``, ``base_year``,
``base_source``). A district without a code is named by the jurisdiction; when no street or
community units are given, no rows by street or community are written and one row says so.

Computation is vectorized over demand points and units (numpy ``bincount`` and one sort per
service and scope for the weighted quantiles and Gini); the loops run over scopes, services,
areas and groups only.

The package's modules, by job:

- compute: `stats` (weighted quantiles and Gini), `units` (admin units and their levels),
  `inputs` (checked inputs), `coverage` (coverage, walking-time and access rows), `rules`
  (one-per-unit rows), `capacity` (supply, need and gap rows), `gaps` (gaps from documented
  figures), `table` (the whole table and its parts), `by_unit` (per-unit rows, worst covered
  first);
- shape: `rows` (columns, blocks of rows, fixed order);
- label and localize: `notes` (the table's words from the catalogue), `plan` (the plan-style
  table), `wide` (the by-unit table and labels).
"""

from __future__ import annotations

from ...geodata.labels import (
    AREA_LABELS,
    GROUP_LABELS,
    METRIC_LABELS,
    SCOPE_LABELS,
    SERVICE_LABELS,
    label,
    label_msg,
)
from .by_unit import units_worst_first
from .capacity import SAME_AREA_TOLERANCE, Provenance
from .gaps import CapacityGap, capacity_gap, documented_gaps, gap_frame
from .inputs import SERVICE_GROUPS
from .notes import no_list_note, no_list_prefix
from .plan import BASIS_LABELS, plan_table
from .rows import BASES, COLUMNS
from .rules import missing_units
from .stats import weighted_gini, weighted_quantile
from .table import (
    TableInputs,
    capacity_indicators,
    coverage_indicators,
    indicator_table,
    unit_rule_indicators,
)
from .units import AREAS, SCOPES
from .wide import coverage_wide, localize

__all__ = [
    "AREAS",
    "AREA_LABELS",
    "BASES",
    "BASIS_LABELS",
    "COLUMNS",
    "GROUP_LABELS",
    "METRIC_LABELS",
    "NO_LIST_NOTE",
    "SAME_AREA_TOLERANCE",
    "SCOPES",
    "SCOPE_LABELS",
    "SERVICE_GROUPS",
    "SERVICE_LABELS",
    "CapacityGap",
    "Provenance",
    "TableInputs",
    "capacity_gap",
    "capacity_indicators",
    "coverage_indicators",
    "coverage_wide",
    "documented_gaps",
    "gap_frame",
    "indicator_table",
    "label",
    "label_msg",
    "localize",
    "missing_units",
    "no_list_note",
    "plan_table",
    "unit_rule_indicators",
    "units_worst_first",
    "weighted_gini",
    "weighted_quantile",
]


def __getattr__(name: str) -> str:
    """``NO_LIST_NOTE``: the start of the note on values of a service no facility source covers.

    Read from the catalogue on first use (so importing the package reads no message file).
    """
    if name == "NO_LIST_NOTE":
        return no_list_prefix()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
