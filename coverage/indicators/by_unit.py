"""Per-unit coverage rows of the long table, one row per street or community, worst covered first.

`units_worst_first` is what a per-unit table of a report draws from: for one scope, service,
population group and area, each unit's class, walking threshold, people, coverage, people beyond
the threshold with their median extra minutes, and people without a path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .inputs import SERVICE_GROUPS

#: Metrics of the per-unit rows, in column order.
UNIT_METRICS: tuple[str, ...] = (
    "threshold_min",
    "pop",
    "pop_covered",
    "coverage",
    "pop_beyond",
    "extra_median_min",
    "pop_unreached",
)
#: Columns naming a unit, before the metrics.
UNIT_KEYS: tuple[str, ...] = ("unit", "unit_name", "parent", "unit_class")


def units_worst_first(
    table: pd.DataFrame,
    *,
    scope: str = "community",
    service: str = "elderly",
    group: str | None = None,
    area: str = "all",
) -> pd.DataFrame:
    """Each unit of ``scope`` with its coverage figures, sorted by coverage share ascending.

    Parameters
    ----------
    table
        The long indicator table (`indicator_table`).
    scope
        ``street`` or ``community`` (``district`` and ``total`` work too).
    service
        The service.
    group
        The population group (default the service's first, e.g. ``pop_60`` for elderly care).
    area
        ``all``, or ``urban``/``rural`` for the split rows of mixed units.

    Returns
    -------
    pandas.DataFrame
        Columns `UNIT_KEYS` then `UNIT_METRICS` (NaN where the table has no such value:
        ``threshold_min`` of a unit whose homes have different thresholds, ``extra_median_min``
        where nobody is beyond it). Units without population (coverage NaN) come last; ties in
        coverage are ordered by unit code. Empty when the table has no coverage rows there
        (no unit polygons, say).
    """
    group = group or SERVICE_GROUPS.get(service, ("pop_total",))[0]
    rows = table.loc[
        (table["scope"] == scope)
        & (table["service"] == service)
        & (table["group"] == group)
        & (table["area"] == area)
        & (table["rule"] == "")
        & table["metric"].isin(UNIT_METRICS)
    ]
    if rows.empty:
        return pd.DataFrame(columns=[*UNIT_KEYS, *UNIT_METRICS])
    wide = rows.pivot_table(index=list(UNIT_KEYS), columns="metric", values="value", aggfunc="first")
    wide = wide.reindex(columns=list(UNIT_METRICS)).reset_index()
    wide.columns.name = None
    cov = wide["coverage"].to_numpy(dtype=float)
    order = np.lexsort((wide["unit"].astype(str).to_numpy(), np.where(np.isnan(cov), np.inf, cov)))
    return wide.iloc[order].reset_index(drop=True)
