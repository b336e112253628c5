"""The indicator table's inputs, checked: populations by group, walking times, thresholds, facilities.

Every problem is one `InputError` naming the table, the column and the rows; a population group
whose column is missing or entirely empty is unknown (skipped, and the table says so), not zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...geodata.common import InputError
from ...geodata.schema import GROUPS, SERVICES

#: Population groups reported per service by default (override with ``groups=``).
SERVICE_GROUPS: dict[str, tuple[str, ...]] = {
    "elderly": ("pop_60", "pop_80", "pop_total"),
    "childcare": ("pop_0_3", "pop_total"),
}


@dataclass(frozen=True)
class Population:
    """The demand's people: persons per point of each known group, the unknown groups, urban flags.

    Attributes
    ----------
    pops
        Group → persons per demand point (groups the demand table gives).
    unknown
        Groups the demand table leaves out or empty.
    urban
        Whether each demand point is urban.
    """

    pops: dict[str, np.ndarray]
    unknown: list[str]
    urban: np.ndarray

    def masks(self) -> dict[str, np.ndarray]:
        """Demand points of each area: all, urban, rural."""
        return {"all": np.ones(self.urban.size, dtype=bool), "urban": self.urban, "rural": ~self.urban}


def check_demand(demand: pd.DataFrame) -> Population:
    """Population arrays per known group, the groups that are unknown (all NaN), and the urban flags."""
    if "pop_total" not in demand.columns:
        raise InputError("ind.demand.no_pop_total")
    ids = (
        demand["id"].astype(str).to_numpy() if "id" in demand.columns else np.arange(len(demand)).astype(str)
    )
    pops: dict[str, np.ndarray] = {}
    unknown: list[str] = []
    for g in GROUPS:
        v = _group_counts(demand, g, ids)
        if v is None:
            unknown.append(g)
        else:
            pops[g] = v
    if "urban" not in demand.columns:
        raise InputError("ind.demand.no_urban")
    u = demand["urban"]
    if u.isna().any():
        bad = np.flatnonzero(u.isna().to_numpy())
        raise InputError("ind.demand.urban_empty", ids=list(ids[bad[:5]]))
    return Population(pops, unknown, u.astype(bool).to_numpy())


def _group_counts(demand: pd.DataFrame, group: str, ids: np.ndarray) -> np.ndarray | None:
    """Persons of ``group`` per demand point; None when the group is unknown (no column, all empty)."""
    if group not in demand.columns:
        return None
    try:
        v = pd.to_numeric(demand[group], errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise InputError("ind.demand.not_numeric", group=group) from None
    nan = np.isnan(v)
    if nan.all() and group != "pop_total":
        return None
    bad = np.flatnonzero(nan | (v < 0) | np.isinf(v))
    if bad.size:
        more = " …" if bad.size > 5 else ""
        raise InputError("ind.demand.bad_counts", group=group, ids=list(ids[bad[:5]]), more=more)
    return v


def check_times(
    times: Mapping[str, np.ndarray], thresholds: Mapping[str, np.ndarray | float], n: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Service → (seconds, threshold seconds) per demand point, checked."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for svc in ordered(times):
        if svc not in thresholds:
            raise InputError("ind.times.no_threshold", service=svc)
        t = np.asarray(times[svc], dtype=float).reshape(-1)
        thr = np.broadcast_to(np.asarray(thresholds[svc], dtype=float), (n,)).astype(float)
        if t.size != n:
            raise InputError("ind.times.count", service=svc, got=t.size, n=n)
        if np.isnan(t).any() or (t < 0).any():
            raise InputError("ind.times.bad", service=svc)
        if (~np.isfinite(thr)).any() or (thr <= 0).any():
            raise InputError("ind.thresholds.bad", service=svc)
        out[svc] = (t, thr)
    return out


def check_access(service: str, scores: np.ndarray, n: int) -> np.ndarray:
    """2SFCA scores of ``service`` per 1,000, one finite value ≥ 0 per demand point."""
    a = np.asarray(scores, dtype=float).reshape(-1) * 1000.0
    if a.size != n or np.isnan(a).any() or (a < 0).any():
        raise InputError("ind.access.bad", service=service)
    return a


def ordered(services: Mapping[str, object] | Sequence[str]) -> list[str]:
    """Services in the schema's order, then the others alphabetically."""
    keys = list(services)
    return [s for s in SERVICES if s in keys] + sorted(s for s in keys if s not in SERVICES)


def groups_for(service: str, groups: Mapping[str, Sequence[str]] | None) -> tuple[str, ...]:
    """The population groups reported for ``service``."""
    if groups is not None and service in groups:
        return tuple(groups[service])
    return SERVICE_GROUPS.get(service, GROUPS)


def check_facilities(facilities: pd.DataFrame) -> pd.DataFrame:
    """The facility table, when it has the columns the rules need."""
    missing = [c for c in ("service", "tier", "status") if c not in facilities.columns]
    if missing:
        raise InputError("ind.facilities.no_columns", columns=missing)
    return facilities


def capacities(facilities: pd.DataFrame) -> np.ndarray:
    """The capacity of each facility (NaN where unknown), checked."""
    if "capacity" not in facilities.columns:
        raise InputError("ind.facilities.no_capacity")
    cap = pd.to_numeric(facilities["capacity"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if (cap < 0).any():
        raise InputError("ind.facilities.negative_capacity")
    return cap


def no_facilities() -> pd.DataFrame:
    """An empty facility table: the run has no facility list."""
    cols = ("id", "name", "service", "tier", "capacity", "status", "district", "street", "community")
    return pd.DataFrame({c: pd.Series(dtype=float if c == "capacity" else object) for c in cols})


def demand_stub() -> pd.DataFrame:
    """An empty demand table (one-per-unit rules checked without demand)."""
    return pd.DataFrame(
        {
            "pop_total": pd.Series(dtype=float),
            "district": pd.Series(dtype=object),
            "street": pd.Series(dtype=object),
            "community": pd.Series(dtype=object),
            "urban": pd.Series(dtype=bool),
        }
    )
