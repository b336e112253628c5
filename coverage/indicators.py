"""The plans' indicators: coverage by group and unit, one-per-unit compliance, capacity gaps, equity.

Everything lands in one long table (`COLUMNS`), one row per scope × unit × area × service × group ×
metric, in a fixed order, so the same inputs give an identical table. `plan_table` and
`coverage_wide` render it as the plans' own tables; `METRIC_LABELS` and `label` give Chinese and
English names (Chinese first).

Scopes are ``total`` (only when the demand spans several districts), ``district``, ``street``
(街道/镇/乡) and ``community`` (社区/村). Areas are ``all`` plus ``urban``/``rural`` rows for the
district (and total) and for any unit whose demand is part urban, part rural, because 004 sets
separate binding targets for 街道（社区） and 乡镇（村）. ``unit_class`` says whether a unit is urban,
rural or mixed (from the admin table when given, else from its demand).

Missing data is never a zero. A value the run cannot know is NaN with ``value_basis`` ``no_data``
and a note "no data: needs …" (a service no facility source covers has no coverage, reach or
walking times: "no data: needs a facility list for <service>"; its population rows stay); a
figure taken from the jurisdiction profile instead of the run's data (the documented supply of
beds or 托位 when no facility list is given, the population base the document applies a ratio
to) is marked ``documented`` and cites its source; ``computed`` values come from the run's
inputs. Capacity rows name the population base of each value (``base_value``, ``base_year``,
``base_source``). A district without a code is named by the jurisdiction; when no street or
community units are given, no rows by street or community are written and one row says so.

Computation is vectorized over demand points and units (numpy ``bincount`` and one sort per
service and scope for the weighted quantiles and Gini); the loops run over scopes, services,
areas and groups only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..geodata.common import InputError, Note
from ..geodata.labels import (  # noqa: F401 - the indicator table's vocabulary, re-exported
    AREA_LABELS,
    GROUP_LABELS,
    METRIC_LABELS,
    SCOPE_LABELS,
    SERVICE_LABELS,
    label,
)
from ..geodata.schema import GROUPS, SERVICES
from .standards import (
    BASELINE_TOLERANCE,
    Figure,
    Standards,
    Target,
    UnitRule,
    tier_mask,
)

#: Columns of the long indicator table, in order.
COLUMNS: tuple[str, ...] = (
    "scope",
    "unit",
    "unit_name",
    "parent",
    "unit_class",
    "area",
    "service",
    "group",
    "rule",
    "metric",
    "value",
    "target",
    "unit_of_measure",
    "source",
    "note",
    "value_basis",
    "base_value",
    "base_year",
    "base_source",
)
#: ``value_basis`` values: from the run's inputs, from the jurisdiction profile, or unknown.
BASES: tuple[str, ...] = ("computed", "documented", "no_data")
SCOPES: tuple[str, ...] = ("total", "district", "street", "community")
AREAS: tuple[str, ...] = ("all", "urban", "rural")

#: Population groups reported per service by default (override with ``groups=``).
SERVICE_GROUPS: dict[str, tuple[str, ...]] = {
    "elderly": ("pop_60", "pop_80", "pop_total"),
    "childcare": ("pop_0_3", "pop_total"),
}


_METRIC_RANK = {k: i for i, k in enumerate(METRIC_LABELS)}
#: Names of the rows holding demand that no unit of a level claims (a district without a code is
#: named by the jurisdiction when the standards are given).
_UNATTRIBUTED = {"district": "研究区", "street": "未归属街道/镇", "community": "未归属社区/村"}
_SEP = "\x1f"


@dataclass(frozen=True)
class Provenance:
    """Where the population base and the supply of capacity rows come from.

    Attributes
    ----------
    population_source
        Source of the demand table's population (e.g. "7th census totals spread over building
        footprints").
    population_year
        Year of that population.
    supply_source
        Source of the facility capacities (e.g. "civil-affairs facility list").
    supply_date
        Date of the facility list (``"YYYY-MM"``).
    """

    population_source: str = "demand table"
    population_year: int | str = ""
    supply_source: str = "facility table"
    supply_date: str = ""


@dataclass(frozen=True)
class CapacityGap:
    """A capacity gap computed from documented figures: need = standard × population / 1,000.

    Attributes
    ----------
    service
        ``elderly`` (beds) or ``childcare`` (托位).
    per_1000
        The standard, per 1,000 of the population base.
    standard_source
        Citation of the standard.
    population
        The population base (`Figure`: which group, how many, which year, which source).
    supply
        The supply (`Figure`: how many, as of when, which source).
    """

    service: str
    per_1000: float
    standard_source: str
    population: Figure
    supply: Figure

    @property
    def need(self) -> float:
        """Need: standard × population / 1,000."""
        return self.per_1000 * self.population.value / 1000.0

    @property
    def gap(self) -> float:
        """Gap: need − supply (negative: supply above the standard)."""
        return self.need - self.supply.value

    @property
    def need_whole(self) -> int:
        """Need in whole beds or 托位, rounded up (001 states 588,700 × 4.5 / 1,000 as 2,650)."""
        return math.ceil(self.need - 1e-9)

    @property
    def gap_whole(self) -> int:
        """Whole-number gap: `need_whole` − supply (001: 2,650 − 1,011 = 1,639)."""
        return self.need_whole - math.ceil(self.supply.value - 1e-9)


def capacity_gap(
    per_1000: float, population: Figure, supply: Figure, *, service: str, source: str = ""
) -> CapacityGap:
    """Gap in beds or 托位 between a per-1,000 standard and a supply, from stated figures.

    Examples
    --------
    001: 4.5 托位 per 1,000 × 588,700 residents = 2,649 ≈ 2,650 托位 needed.
    """
    if population.value < 0 or supply.value < 0 or per_1000 < 0:
        raise InputError(
            "capacity gap: the standard, population and supply must be ≥ 0.",
            zh="容量缺口：标准值、人口和供给量均须 ≥ 0。",
        )
    return CapacityGap(service, float(per_1000), source, population, supply)


def documented_gaps(standards: Standards) -> list[CapacityGap]:
    """Every gap the jurisdiction's documented figures allow: each population base × each supply.

    For beds, the standard's group (60+) figures against the ``beds`` figures; for 托位, the
    residents' figures against the ``places`` figures. Listing every pairing shows which base
    (census or projection, which year) and which supply date a stated gap rests on, e.g. 001's
    托位 gap of 1,639 = 2,650 − 1,011 uses the 2020 census and the text's supply, not the table's.
    """
    out: list[CapacityGap] = []
    for service, supply_key in (("elderly", "beds"), ("childcare", "places")):
        per, group, source = standards.per_1000(service)
        if per is None:
            continue
        bases = [f for f in standards.figures if f.key == group]
        supplies = [f for f in standards.figures if f.key == supply_key]
        out.extend(
            capacity_gap(per, b, sup, service=service, source=source) for b in bases for sup in supplies
        )
    return out


def gap_frame(gaps: Sequence[CapacityGap], *, lang: str = "zh") -> pd.DataFrame:
    """Capacity gaps as a table stating population base, year and source, and supply date."""
    rows = [
        {
            "service": label(g.service, lang),
            "per_1000": g.per_1000,
            "standard_source": g.standard_source,
            "base_group": label(g.population.key, lang),
            "base_value": g.population.value,
            "base_year": str(g.population.year),
            "base_source": g.population.source,
            "need": g.need_whole,
            "supply": g.supply.value,
            "supply_date": str(g.supply.year),
            "supply_source": g.supply.source,
            "gap": g.gap_whole,
        }
        for g in gaps
    ]
    df = pd.DataFrame(rows, columns=list(_GAP_HEADERS))
    return df.rename(columns={k: v[0 if lang != "en" else 1] for k, v in _GAP_HEADERS.items()})


_GAP_HEADERS: dict[str, tuple[str, str]] = {
    "service": ("服务", "Service"),
    "per_1000": ("标准（每千人）", "Standard (per 1,000)"),
    "standard_source": ("标准依据", "Standard source"),
    "base_group": ("人口基数口径", "Population base"),
    "base_value": ("人口基数", "Population"),
    "base_year": ("人口年份", "Population year"),
    "base_source": ("人口来源", "Population source"),
    "need": ("按标准需求（取整）", "Need (rounded up)"),
    "supply": ("现有供给", "Supply"),
    "supply_date": ("供给时点", "Supply date"),
    "supply_source": ("供给来源", "Supply source"),
    "gap": ("缺口", "Gap"),
}


# --------------------------------------------------------------------------------------------------
# weighted statistics


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Weighted quantile by the inverted CDF: the smallest value v with Σ_{x ≤ v} w ≥ q · Σ w.

    Non-finite values (no walking path) are left out, as in `weighted_gini`; NaN if the weights
    of the rest sum to zero.
    """
    v, w = _checked_pair(values, weights)
    ok = np.isfinite(v)
    v, w = v[ok], w[ok]
    order = np.argsort(v, kind="stable")
    starts, ends = np.array([0]), np.array([v.size])
    return float(_seg_quantiles(v[order], w[order], starts, ends, (q,))[0, 0]) if v.size else float("nan")


def weighted_gini(values: np.ndarray, weights: np.ndarray) -> float:
    r"""Weighted Gini coefficient of non-negative ``values``.

    .. math:: G = \frac{\sum_i \sum_j w_i w_j |x_i - x_j|}{2 W^2 \bar{x}}, \quad W = \sum_i w_i,
              \ \bar{x} = \frac{1}{W}\sum_i w_i x_i

    computed in O(n log n) from the sorted values as Σ_k w_k x_k (2 C_k − w_k − W) / (W Σ_k w_k x_k),
    C_k the cumulative weight up to and including k. Non-finite values are left out. 0 when every
    value is equal; NaN when the weights sum to zero.
    """
    v, w = _checked_pair(values, weights)
    ok = np.isfinite(v)
    v, w = v[ok], w[ok]
    order = np.argsort(v, kind="stable")
    idx = np.zeros(v.size, dtype=np.int64)
    return float(_seg_gini(v[order], w[order], idx, np.array([0]), np.array([v.size]))[0])


def _checked_pair(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(values, dtype=float).reshape(-1)
    w = np.asarray(weights, dtype=float).reshape(-1)
    if v.shape != w.shape:
        raise InputError(
            f"weighted statistic: {v.size} values but {w.size} weights; give one weight per value.",
            zh=f"加权统计：有 {v.size} 个值，但有 {w.size} 个权重；请每个值给一个权重。",
        )
    if np.any(np.isnan(v)) or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise InputError(
            "weighted statistic: values must not be NaN and weights must be finite and ≥ 0.",
            zh="加权统计：值不能为 NaN，权重须为有限值且 ≥ 0。",
        )
    return v, w


def _seg_quantiles(
    v: np.ndarray, w: np.ndarray, starts: np.ndarray, ends: np.ndarray, qs: Sequence[float]
) -> np.ndarray:
    """Weighted quantiles per segment [starts, ends) of values sorted within each segment."""
    cw = np.cumsum(w)
    cw0 = np.concatenate(([0.0], cw))
    off = cw0[starts]
    tot = cw0[ends] - off
    tol = np.minimum(1e-10 * np.abs(cw0[ends]), 1e-6 * tot)
    out = np.full((len(qs), starts.size), np.nan)
    has = tot > 0
    for k, q in enumerate(qs):
        pos = np.searchsorted(cw, off + q * tot - tol, side="left")
        pos = np.clip(pos, starts, np.maximum(ends - 1, starts))
        out[k, has] = v[pos[has]]
    return out


def _seg_gini(
    v: np.ndarray, w: np.ndarray, idx: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Weighted Gini per segment of values sorted within each segment (``idx`` = segment of each value)."""
    g = starts.size
    cw0 = np.concatenate(([0.0], np.cumsum(w)))
    off = cw0[starts]
    tot = cw0[ends] - off
    c = cw0[1:] - off[idx]
    wx = w * v
    num = np.bincount(idx, wx * (2.0 * c - w - tot[idx]), minlength=g)
    sx = np.bincount(idx, wx, minlength=g)
    out = np.full(g, np.nan)
    pos = (tot > 0) & (sx > 0)
    out[pos] = num[pos] / (tot[pos] * sx[pos])
    out[(tot > 0) & (sx <= 0)] = 0.0
    return np.clip(out, 0.0, 1.0)


# --------------------------------------------------------------------------------------------------
# admin units


@dataclass
class _Level:
    scope: str
    keys: np.ndarray  # path strings, sorted
    unit: np.ndarray
    unit_name: np.ndarray
    parent: np.ndarray
    unit_class: np.ndarray  # urban / rural / mixed / ""
    has_urban: np.ndarray  # demand of that class in the unit
    has_rural: np.ndarray
    idx: np.ndarray  # unit of each demand point

    def index_of(self, paths: np.ndarray) -> np.ndarray:
        return pd.Index(self.keys).get_indexer(paths)


def _admin_str(values: pd.Series) -> np.ndarray:
    """Admin codes or names as clean strings ("" when missing); float codes lose their ".0"."""
    s = pd.Series(values)
    if pd.api.types.is_float_dtype(s):
        ok = s.notna() & np.isfinite(s.to_numpy(dtype=float, na_value=np.nan))
        out = np.full(len(s), "", dtype=object)
        out[ok.to_numpy()] = s[ok].astype(np.int64).astype(str).to_numpy()
        return out
    return s.astype("string").fillna("").str.strip().to_numpy(dtype=object)


class _Admin:
    """The admin-unit table (optional): names, parents, urban flags, name → code lookups."""

    def __init__(self, units: pd.DataFrame | None) -> None:
        self.name: dict[str, str] = {}
        self.parent: dict[str, str] = {}
        self.urban: dict[str, bool] = {}
        self.codes: dict[str, list[str]] = {lvl: [] for lvl in ("district", "street", "community")}
        self._by_name: dict[tuple[str, str, str], str] = {}
        if units is None:
            return
        missing = [c for c in ("code", "name", "level") if c not in units.columns]
        if missing:
            raise InputError(
                f"admin-unit table: no column {', '.join(missing)}; give code, name, level, parent, urban.",
                zh=(
                    f"行政单元表：缺少字段 {', '.join(missing)}；"
                    "请提供 code、name、level、parent、urban 字段。"
                ),
            )
        code = _admin_str(units["code"])
        name = _admin_str(units["name"])
        level = _admin_str(units["level"])
        parent = _admin_str(units["parent"]) if "parent" in units else np.full(len(units), "", dtype=object)
        bad = np.flatnonzero(~np.isin(level, ["district", "street", "community"]) | (code == ""))
        if bad.size:
            raise InputError(
                "admin-unit table: rows "
                f"{', '.join(str(i + 1) for i in bad[:5])} have an empty code or a level "
                "other than district, street or community; fix those rows.",
                zh=(
                    f"行政单元表：第 {', '.join(str(i + 1) for i in bad[:5])} 行的 code 为空，"
                    "或 level 不是 district、street、community 之一；请修正这些行。"
                ),
            )
        dup = pd.Series(code).duplicated(keep=False).to_numpy()
        if dup.any():
            raise InputError(
                "admin-unit table: codes repeat "
                f"({', '.join(sorted(set(code[dup]))[:5])}); make codes unique.",
                zh=(
                    f"行政单元表：code 有重复（{', '.join(sorted(set(code[dup]))[:5])}），"
                    "请使每个 code 唯一。"
                ),
            )
        urb = units["urban"].to_numpy() if "urban" in units else np.full(len(units), None)
        for c, n, lv, p, u in zip(code, name, level, parent, urb, strict=True):
            self.name[c], self.parent[c] = n, p
            self.codes[lv].append(c)
            if not pd.isna(u):
                self.urban[c] = bool(u)
            self._by_name[(lv, p, n)] = c
            # a name alone finds its code only when no other unit of the level shares it
            bare = (lv, "", n)
            self._by_name[bare] = c if self._by_name.get(bare, c) == c else ""

    def to_codes(self, level: str, values: np.ndarray, parents: np.ndarray) -> np.ndarray:
        """Map names to codes where the value is not already a code of ``level``."""
        if not self.codes[level]:
            return values
        known = np.isin(values, self.codes[level])
        out = values.copy()
        todo = np.flatnonzero(~known & (values != ""))
        if todo.size:
            uniq, inv = np.unique(
                np.stack([values[todo], parents[todo]]).astype(str), axis=1, return_inverse=True
            )
            mapped = np.array(
                [
                    self._by_name.get((level, p, n)) or self._by_name.get((level, "", n)) or n
                    for n, p in uniq.T
                ],
                dtype=object,
            )
            out[todo] = mapped[inv.reshape(-1)]
        return out

    def path(self, level: str, code: str) -> tuple[str, str, str]:
        if level == "district":
            return (code, "", "")
        if level == "street":
            return (self.parent.get(code, ""), code, "")
        street = self.parent.get(code, "")
        return (self.parent.get(street, ""), street, code)


def _paths(
    admin: _Admin, frame: pd.DataFrame, what: str, *, what_zh: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = [c for c in ("district", "street", "community") if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what}: no column {', '.join(missing)}; attribute each row to its district, street and "
            'community first ("" where unknown).',
            zh=(
                f"{what_zh or what}：缺少字段 {', '.join(missing)}；"
                '请先把每一行归属到所在的区、街道和社区（未知处填 ""）。'
            ),
        )
    d = admin.to_codes("district", _admin_str(frame["district"]), np.full(len(frame), "", dtype=object))
    s = admin.to_codes("street", _admin_str(frame["street"]), d)
    c = admin.to_codes("community", _admin_str(frame["community"]), s)
    if admin.parent:
        # a blank street or district is filled from the admin table's parent of the unit below
        parent = pd.Series(admin.parent)
        s = np.where(s == "", pd.Series(c).map(parent).fillna("").to_numpy(dtype=object), s)
        d = np.where(d == "", pd.Series(s).map(parent).fillna("").to_numpy(dtype=object), d)
    return d, s, c


def _in_jurisdiction(
    admin: _Admin, paths: tuple[np.ndarray, np.ndarray, np.ndarray], standards: Standards | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows without a district code belong to the jurisdiction: its adcode, named by its profile."""
    if standards is None or not standards.adcode:
        return paths
    d, s, c = paths
    blank = d == ""
    if blank.any():
        admin.name.setdefault(standards.adcode, standards.name_zh or standards.adcode)
        d = np.where(blank, standards.adcode, d).astype(object)
    return d, s, c


def _no_unit_rows(rows: _Rows, levels: list[_Level]) -> None:
    """One row saying that no street or community units were given (instead of rows for "未知")."""
    have = {lv.scope for lv in levels}
    lack = [lv for lv in ("street", "community") if lv not in have]
    if not lack or not levels:
        return
    top = levels[0]
    words = {"street": "street/town (街道/镇)", "community": "community/village (社区/村)"}
    rows.add(
        top,
        np.ones(top.keys.size, dtype=bool),
        area="all",
        service="",
        group="",
        metric="units_total",
        value=np.nan,
        uom="units",
        basis="no_data",
        note=(
            f"no data: needs {' and '.join(words[x] for x in lack)} units (an admin-unit table, or "
            f"{' and '.join(lack)} columns in the demand and facility tables); no rows by "
            f"{' or '.join(lack)} are written"
        ),
    )


def _no_facilities() -> pd.DataFrame:
    """An empty facility table: the run has no facility list."""
    cols = ("id", "name", "service", "tier", "capacity", "status", "district", "street", "community")
    return pd.DataFrame({c: pd.Series(dtype=float if c == "capacity" else object) for c in cols})


def _join(*parts: np.ndarray) -> np.ndarray:
    out = parts[0].astype(str).astype(object)
    for p in parts[1:]:
        out = out + _SEP + p.astype(str).astype(object)
    return out


def _levels(
    demand_paths: tuple[np.ndarray, np.ndarray, np.ndarray],
    urban: np.ndarray,
    admin: _Admin,
    extra_paths: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray]] = (),
) -> list[_Level]:
    """Unit lists per scope: units of the demand, of the admin table and of ``extra_paths``."""
    d = demand_paths[0]
    all_paths = [demand_paths, *extra_paths]
    n = d.size
    levels: list[_Level] = []
    for depth, scope in enumerate(("district", "street", "community")):
        keyparts = [p[: depth + 1] for p in all_paths]
        found = [_join(*kp) for kp in keyparts]
        table = [_SEP.join(admin.path(scope, code)[: depth + 1]) for code in admin.codes[scope]]
        keys = np.unique(np.concatenate([*found, np.asarray(table, dtype=object)]).astype(str))
        lvl_idx = pd.Index(keys).get_indexer(found[0]) if n else np.zeros(0, dtype=np.int64)
        g = keys.size
        cnt_u = np.bincount(lvl_idx, urban.astype(float), minlength=g) if n else np.zeros(g)
        cnt_r = np.bincount(lvl_idx, (~urban).astype(float), minlength=g) if n else np.zeros(g)
        split = np.array([k.split(_SEP) for k in keys], dtype=object).reshape(g, depth + 1)
        unit = split[:, depth]
        parent = split[:, depth - 1] if depth else np.full(g, "", dtype=object)
        if depth and not (unit != "").any():
            continue  # no unit of this level is known: no rows for it (`_no_unit_rows` says so once)
        names = np.array([admin.name.get(u, u) if u else _UNATTRIBUTED[scope] for u in unit], dtype=object)
        cls = np.where(cnt_u > 0, np.where(cnt_r > 0, "mixed", "urban"), np.where(cnt_r > 0, "rural", ""))
        # the admin table's urban flag decides for streets and communities (a 镇 stays rural even
        # with a 社区 in it); a district's class comes from its demand
        fixed = np.array([admin.urban.get(u) if depth else None for u in unit], dtype=object)
        cls = np.where(fixed == True, "urban", np.where(fixed == False, "rural", cls))  # noqa: E712
        levels.append(
            _Level(scope, keys, unit, names, parent, cls.astype(object), cnt_u > 0, cnt_r > 0, lvl_idx)
        )
    if levels[0].keys.size > 1:
        zero = np.zeros(n, dtype=np.int64)
        levels.insert(
            0,
            _Level(
                "total",
                np.array([""], dtype=object),
                np.array([""], dtype=object),
                np.array(["合计"], dtype=object),
                np.array([""], dtype=object),
                np.array([_class(urban)], dtype=object),
                np.array([urban.any()]),
                np.array([(~urban).any()]),
                zero,
            ),
        )
    return levels


def _class(urban: np.ndarray) -> str:
    if urban.size == 0:
        return ""
    return "mixed" if urban.any() and (~urban).any() else "urban" if urban.any() else "rural"


def _area_units(level: _Level, area: str) -> np.ndarray:
    """Units that get rows for ``area``: all for ``all``; the top scopes and mixed units otherwise."""
    if area == "all":
        return np.ones(level.keys.size, dtype=bool)
    both = level.has_urban & level.has_rural
    present = level.has_urban if area == "urban" else level.has_rural
    if level.scope in ("total", "district"):
        return present
    return both


# --------------------------------------------------------------------------------------------------
# input checks


def _check_demand(demand: pd.DataFrame) -> tuple[dict[str, np.ndarray], list[str], np.ndarray]:
    """Population arrays per known group, the groups that are unknown (all NaN), and the urban flags."""
    if "pop_total" not in demand.columns:
        raise InputError(
            "demand table: no column pop_total; give the population of every demand point.",
            zh="需求点表：缺少字段 pop_total，请给出每个需求点的人口。",
        )
    ids = (
        demand["id"].astype(str).to_numpy() if "id" in demand.columns else np.arange(len(demand)).astype(str)
    )
    pops: dict[str, np.ndarray] = {}
    unknown: list[str] = []
    for g in GROUPS:
        if g not in demand.columns:
            unknown.append(g)
            continue
        try:
            v = pd.to_numeric(demand[g], errors="raise").to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise InputError(
                f"demand table: column {g} is not numeric; give numbers of persons.",
                zh=f"需求点表：字段 {g} 不是数值，请填写人数。",
            ) from None
        nan = np.isnan(v)
        if nan.all() and g != "pop_total":
            unknown.append(g)
            continue
        bad = np.flatnonzero(nan | (v < 0) | np.isinf(v))
        if bad.size:
            raise InputError(
                f"demand table: column {g} is NaN, infinite or negative in rows with id "
                f"{', '.join(ids[bad[:5]])}{' …' if bad.size > 5 else ''}; give a count ≥ 0 "
                "(or leave the whole column empty when the group is unknown).",
                zh=(
                    f"需求点表：id 为 {', '.join(ids[bad[:5]])}{' …' if bad.size > 5 else ''} 的行中，"
                    f"字段 {g} 为 NaN、无穷大或负值；请填写 ≥ 0 的人数（该人群未知时可将整列留空）。"
                ),
            )
        pops[g] = v
    if "urban" not in demand.columns:
        raise InputError(
            "demand table: no column urban; mark each point urban (True) or rural (False).",
            zh="需求点表：缺少字段 urban，请标明每个需求点属城市（True）还是农村（False）。",
        )
    u = demand["urban"]
    if u.isna().any():
        bad = np.flatnonzero(u.isna().to_numpy())
        raise InputError(
            "demand table: column urban is empty in rows with id "
            f"{', '.join(ids[bad[:5]])}; set True or False.",
            zh=f"需求点表：id 为 {', '.join(ids[bad[:5]])} 的行中字段 urban 为空，请填写 True 或 False。",
        )
    return pops, unknown, u.astype(bool).to_numpy()


def _check_times(
    times: Mapping[str, np.ndarray], thresholds: Mapping[str, np.ndarray | float], n: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for svc in _ordered(times):
        if svc not in thresholds:
            raise InputError(
                f"thresholds: no threshold for service {svc!r}; give one per service in times.",
                zh=f"thresholds：服务 {svc!r} 没有时间阈值，请为 times 中的每项服务各给一个。",
            )
        t = np.asarray(times[svc], dtype=float).reshape(-1)
        thr = np.broadcast_to(np.asarray(thresholds[svc], dtype=float), (n,)).astype(float)
        if t.size != n:
            raise InputError(
                f"times[{svc!r}]: {t.size} values for {n} demand points; give one per point.",
                zh=f"times[{svc!r}]：有 {t.size} 个值，而需求点有 {n} 个；请每个需求点给一个值。",
            )
        if np.isnan(t).any() or (t < 0).any():
            raise InputError(
                f"times[{svc!r}]: NaN or negative seconds; use inf for unreached points.",
                zh=f"times[{svc!r}]：有 NaN 或负的秒数；不可达的需求点请用 inf。",
            )
        if (~np.isfinite(thr)).any() or (thr <= 0).any():
            raise InputError(
                f"thresholds[{svc!r}]: give positive, finite seconds for every demand point.",
                zh=f"thresholds[{svc!r}]：请为每个需求点给出有限的正秒数。",
            )
        out[svc] = (t, thr)
    return out


def _no_group_note(group: str) -> str:
    """The note of a value that needs a population group the demand table leaves empty."""
    return f"no data: needs {group} in the demand table ({group} unknown: empty column, group skipped)"


def _ordered(services: Mapping[str, object] | Sequence[str]) -> list[str]:
    keys = list(services)
    return [s for s in SERVICES if s in keys] + sorted(s for s in keys if s not in SERVICES)


def _groups_for(service: str, groups: Mapping[str, Sequence[str]] | None) -> tuple[str, ...]:
    if groups is not None and service in groups:
        return tuple(groups[service])
    return SERVICE_GROUPS.get(service, GROUPS)


# --------------------------------------------------------------------------------------------------
# row collection


class _Rows:
    """Collects blocks of rows as arrays; `frame` builds the table once."""

    def __init__(self) -> None:
        self.blocks: list[dict[str, np.ndarray]] = []

    def add(
        self,
        level: _Level,
        sel: np.ndarray,
        *,
        area: str,
        service: str,
        group: str,
        metric: str,
        value: np.ndarray,
        target: float | np.ndarray = np.nan,
        uom: str = "",
        source: str = "",
        note: str | np.ndarray = "",
        rule: str = "",
        basis: str | np.ndarray = "computed",
        base_value: float | np.ndarray = np.nan,
        base_year: str | np.ndarray = "",
        base_source: str | np.ndarray = "",
    ) -> None:
        k = int(sel.sum())
        if k == 0:
            return
        full = lambda x: np.broadcast_to(np.asarray(x, dtype=object), (level.keys.size,))[sel]  # noqa: E731
        num = lambda x: np.broadcast_to(np.asarray(x, dtype=float), (level.keys.size,))[sel]  # noqa: E731
        self.blocks.append(
            {
                "scope": np.full(k, level.scope, dtype=object),
                "unit": level.unit[sel],
                "unit_name": level.unit_name[sel],
                "parent": level.parent[sel],
                "unit_class": level.unit_class[sel],
                "area": np.full(k, area, dtype=object),
                "service": np.full(k, service, dtype=object),
                "group": np.full(k, group, dtype=object),
                "rule": np.full(k, rule, dtype=object),
                "metric": np.full(k, metric, dtype=object),
                "value": np.broadcast_to(np.asarray(value, dtype=float), (level.keys.size,))[sel],
                "target": np.broadcast_to(np.asarray(target, dtype=float), (level.keys.size,))[sel],
                "unit_of_measure": np.full(k, uom, dtype=object),
                "source": np.full(k, source, dtype=object),
                "note": full(note),
                "value_basis": full(basis),
                "base_value": num(base_value),
                "base_year": full(base_year).astype(str).astype(object),
                "base_source": full(base_source),
            }
        )

    def frame(self) -> pd.DataFrame:
        if not self.blocks:
            return _empty()
        cols = {c: np.concatenate([b[c] for b in self.blocks]) for c in COLUMNS}
        return pd.DataFrame(cols, columns=list(COLUMNS))


def _empty() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    for c in ("value", "target", "base_value"):
        df[c] = df[c].astype(float)
    return df


def _rank_map(values: pd.Series, known: tuple[str, ...]) -> dict[str, str]:
    """Sort keys: known values in their given order, then the others alphabetically."""
    rank = {k: f"{i:04d}" for i, k in enumerate(known)}
    return {v: rank.get(v, f"9999{v}") for v in values.unique()}


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    """Fixed order: scope, parent, unit, area, service, group, rule, metric."""
    if df.empty:
        return df.reset_index(drop=True)
    keys = pd.DataFrame(
        {
            "s": df["scope"].map({s: i for i, s in enumerate(SCOPES)}),
            "p": df["parent"],
            "u": df["unit"],
            "a": df["area"].map({a: i for i, a in enumerate(AREAS)}),
            "v": df["service"].map(_rank_map(df["service"], SERVICES)),
            "g": df["group"].map(_rank_map(df["group"], GROUPS)),
            "r": df["rule"],
            "m": df["metric"].map(_rank_map(df["metric"], tuple(_METRIC_RANK))),
        }
    )
    order = np.lexsort(
        [keys[c].astype(str).to_numpy() if c in "vgmpur" else keys[c].to_numpy() for c in "mrgvaups"]
    )
    return df.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# coverage and equity


def _thr_note(thr: np.ndarray, mask: np.ndarray) -> str:
    mins = np.unique(np.round(thr[mask] / 60.0, 2))
    if mins.size == 0:
        return ""
    return f"threshold {'/'.join(f'{m:g}' for m in mins)} min"


def coverage_indicators(
    demand: pd.DataFrame,
    times: Mapping[str, np.ndarray],
    thresholds: Mapping[str, np.ndarray | float],
    *,
    units: pd.DataFrame | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    facility_sources: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Coverage and equity rows of the indicator table.

    Per scope, unit, area, service and population group: ``pop``, ``pop_covered`` (time ≤ the
    point's threshold), ``coverage`` (%), ``pop_beyond`` (a walk longer than the threshold),
    ``pop_unreached`` (no walking path at all, time inf), so that ``pop`` = ``pop_covered`` +
    ``pop_beyond`` + ``pop_unreached``; ``time_median_min`` and ``time_p90_min``
    (population-weighted, inverted-CDF quantiles of the true times of people with a path) and
    ``gini_time`` (weighted Gini of those times). People with no path are reported by
    ``pop_unreached`` only, never as a time; a unit where nobody has a path gets NaN times.

    Parameters
    ----------
    demand
        DEMAND_COLUMNS (`lifecircle.geodata.schema`). A group column that is entirely NaN is unknown:
        it is skipped and a row says so.
    times
        Service → true seconds to the nearest facility per demand point, however long (inf = no
        walking path: off the network or cut off from every facility).
    thresholds
        Service → seconds per demand point (or one number).
    units
        Optional admin-unit table (``code, name, level, parent, urban``) so that units with no
        demand still appear.
    groups
        Service → groups to report (default `SERVICE_GROUPS`).
    facility_sources
        Service → the facility sources given for it (see `indicator_table`); a service mapped to
        none has "no data" coverage. None: every service of ``times`` has a facility list.
    """
    pops, unknown, urban = _check_demand(demand)
    tt = _check_times(times, thresholds, len(demand))
    admin = _Admin(units)
    levels = _levels(_paths(admin, demand, "demand table", what_zh="需求点表"), urban, admin)
    rows = _Rows()
    _no_unit_rows(rows, levels)
    _coverage_rows(rows, levels, pops, unknown, urban, tt, groups, facility_sources)
    return _sorted(rows.frame())


#: Start of the note on coverage values of a service no facility source covers.
NO_LIST_NOTE = "no data: needs a facility list for "
#: Coverage metrics that need a facility list (``pop`` does not).
_REACH_METRICS: tuple[tuple[str, str], ...] = (
    ("pop_covered", "persons"),
    ("coverage", "%"),
    ("pop_beyond", "persons"),
    ("pop_unreached", "persons"),
    ("time_median_min", "min"),
    ("time_p90_min", "min"),
    ("gini_time", ""),
)


def no_list_note(service: str) -> str:
    """The note of a value that needs a facility list for ``service`` (none was given)."""
    return f"{NO_LIST_NOTE}{service}"


def _searched_note(service: str, sources: Sequence[str], facilities: pd.DataFrame | None) -> str:
    """The note "no <service> facility in <sources>" when those sources hold none that counts, else ""."""
    if facilities is None or not len(sources):
        return ""
    if (facilities["service"].astype(str) == service).any():
        return ""
    return f"no {service} facility in {'; '.join(map(str, sources))}: coverage 0 is measured"


def _coverage_rows(
    rows: _Rows,
    levels: list[_Level],
    pops: dict[str, np.ndarray],
    unknown: list[str],
    urban: np.ndarray,
    tt: dict[str, tuple[np.ndarray, np.ndarray]],
    groups: Mapping[str, Sequence[str]] | None,
    sources: Mapping[str, Sequence[str]] | None = None,
    facilities: pd.DataFrame | None = None,
) -> None:
    """Coverage rows per service; ``sources`` maps a service to its facility sources (none: no data).

    ``facilities`` (the counted ones) lets the note of a service whose sources hold none of its
    facilities name what was searched (its coverage 0 is then a measured 0).
    """
    masks = {"all": np.ones(urban.size, dtype=bool), "urban": urban, "rural": ~urban}
    for svc, (t, thr) in tt.items():
        no_list = sources is not None and svc in sources and not len(sources[svc])
        searched = _searched_note(svc, sources[svc], facilities) if sources and svc in sources else ""
        covered = t <= thr
        unreached = np.isinf(t)  # no walking path at all
        beyond = ~covered & ~unreached  # a walk, longer than the threshold
        wanted = _groups_for(svc, groups)
        for level in levels:
            g_n = level.keys.size
            if no_list:
                _no_list_rows(rows, level, pops, unknown, masks, svc, wanted, levels[0])
                continue
            order = np.lexsort((t, level.idx))
            idx_s, t_s = level.idx[order], t[order]
            starts = np.searchsorted(idx_s, np.arange(g_n), side="left")
            ends = np.searchsorted(idx_s, np.arange(g_n), side="right")
            t_fin = np.where(np.isinf(t_s), 0.0, t_s)
            fin_s = np.isfinite(t_s)
            for area in AREAS:
                sel = _area_units(level, area)
                if not sel.any():
                    continue
                m = masks[area]
                note = _thr_note(thr, m)
                if searched:
                    note = f"{note}; {searched}" if note else searched
                for grp in wanted:
                    if grp in unknown:
                        if level is levels[0] and area == "all":
                            rows.add(
                                level,
                                sel,
                                area=area,
                                service=svc,
                                group=grp,
                                metric="coverage",
                                value=np.nan,
                                uom="%",
                                note=_no_group_note(grp),
                                basis="no_data",
                            )
                        continue
                    w = pops[grp] * m
                    pop = np.bincount(level.idx, w, minlength=g_n)
                    cov = np.bincount(level.idx, w * covered, minlength=g_n)
                    bey = np.bincount(level.idx, w * beyond, minlength=g_n)
                    unr = np.bincount(level.idx, w * unreached, minlength=g_n)
                    share = np.divide(100.0 * cov, pop, out=np.full(g_n, np.nan), where=pop > 0)
                    empty = np.where(pop > 0, note, "no population in this unit")
                    common = {"area": area, "service": svc, "group": grp}
                    rows.add(level, sel, **common, metric="pop", value=pop, uom="persons")
                    rows.add(level, sel, **common, metric="pop_covered", value=cov, uom="persons", note=note)
                    rows.add(level, sel, **common, metric="coverage", value=share, uom="%", note=empty)
                    rows.add(level, sel, **common, metric="pop_beyond", value=bey, uom="persons", note=note)
                    rows.add(
                        level,
                        sel,
                        **common,
                        metric="pop_unreached",
                        value=unr,
                        uom="persons",
                        note=np.where(unr > 0, "off the network or cut off from every facility", ""),
                    )
                    # times of the people with a path only: a no-path person is never a time
                    wp = w[order] * fin_s
                    q = _seg_quantiles(t_fin, wp, starts, ends, (0.5, 0.9)) / 60.0
                    gini = _seg_gini(t_fin, wp, idx_s, starts, ends)
                    t_note = np.where(
                        (pop > 0) & (pop - unr <= 0),
                        "nobody has a walking path",
                        np.where(unr > 0, "people with no walking path left out", ""),
                    )
                    for metric, value, uom in (
                        ("time_median_min", q[0], "min"),
                        ("time_p90_min", q[1], "min"),
                        ("gini_time", gini, ""),
                    ):
                        rows.add(level, sel, **common, metric=metric, value=value, uom=uom, note=t_note)


def _no_list_rows(
    rows: _Rows,
    level: _Level,
    pops: dict[str, np.ndarray],
    unknown: list[str],
    masks: dict[str, np.ndarray],
    service: str,
    wanted: Sequence[str],
    top: _Level,
) -> None:
    """Rows of a service without a facility list: its population, and "no data" for the rest."""
    note = no_list_note(service)
    for area in AREAS:
        sel = _area_units(level, area)
        if not sel.any():
            continue
        for grp in wanted:
            common = {"area": area, "service": service, "group": grp}
            if grp in unknown:
                if level is top and area == "all":
                    rows.add(
                        level,
                        sel,
                        **common,
                        metric="coverage",
                        value=np.nan,
                        uom="%",
                        note=_no_group_note(grp),
                        basis="no_data",
                    )
                continue
            pop = np.bincount(level.idx, pops[grp] * masks[area], minlength=level.keys.size)
            rows.add(level, sel, **common, metric="pop", value=pop, uom="persons")
            for metric, uom in _REACH_METRICS:
                rows.add(
                    level, sel, **common, metric=metric, value=np.nan, uom=uom, note=note, basis="no_data"
                )


def _access_rows(
    rows: _Rows,
    levels: list[_Level],
    pops: dict[str, np.ndarray],
    unknown: list[str],
    urban: np.ndarray,
    access: Mapping[str, np.ndarray],
    groups: Mapping[str, Sequence[str]] | None,
    standards: Standards | None,
) -> None:
    masks = {"all": np.ones(urban.size, dtype=bool), "urban": urban, "rural": ~urban}
    for svc in _ordered(access):
        a = np.asarray(access[svc], dtype=float).reshape(-1) * 1000.0
        if a.size != urban.size or np.isnan(a).any() or (a < 0).any():
            raise InputError(
                f"access[{svc!r}]: give one finite score ≥ 0 per demand point (from two_step_fca).",
                zh=(
                    f"access[{svc!r}]：请为每个需求点给出一个有限且 ≥ 0 的可达性得分"
                    "（由 two_step_fca 计算）。"
                ),
            )
        std, base, src = standards.per_1000(svc) if standards else (None, "", "")
        target = np.nan if std is None else std
        for level in levels:
            g_n = level.keys.size
            order = np.lexsort((a, level.idx))
            idx_s, a_s = level.idx[order], a[order]
            starts = np.searchsorted(idx_s, np.arange(g_n), side="left")
            ends = np.searchsorted(idx_s, np.arange(g_n), side="right")
            for area in AREAS:
                sel = _area_units(level, area)
                if not sel.any():
                    continue
                for grp in _groups_for(svc, groups):
                    if grp in unknown:
                        continue
                    w = pops[grp] * masks[area]
                    pop = np.bincount(level.idx, w, minlength=g_n)
                    mean = np.divide(
                        np.bincount(level.idx, w * a, minlength=g_n),
                        pop,
                        out=np.full(g_n, np.nan),
                        where=pop > 0,
                    )
                    tgt = target if grp == base else np.nan
                    common = {"area": area, "service": svc, "group": grp}
                    rows.add(
                        level,
                        sel,
                        **common,
                        metric="access_per_1000",
                        value=mean,
                        target=tgt,
                        uom="per 1,000",
                        source=src if grp == base else "",
                        note="population-weighted mean of 2SFCA scores",
                    )
                    rows.add(
                        level,
                        sel,
                        **common,
                        metric="gini_access",
                        value=_seg_gini(a_s, w[order], idx_s, starts, ends),
                        uom="",
                    )


# --------------------------------------------------------------------------------------------------
# one per unit


def _facility_table(facilities: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("service", "tier", "status") if c not in facilities.columns]
    if missing:
        raise InputError(
            f"facility table: no column {', '.join(missing)}; give service, tier and status.",
            zh=f"设施表：缺少字段 {', '.join(missing)}；请提供 service、tier 和 status 字段。",
        )
    return facilities


def _rule_rows(
    rows: _Rows,
    levels: list[_Level],
    fac_paths: tuple[np.ndarray, np.ndarray, np.ndarray],
    facilities: pd.DataFrame,
    rules: Sequence[UnitRule],
    statuses: Sequence[str],
) -> None:
    by_scope = {lv.scope: lv for lv in levels}
    service = facilities["service"].astype(str).to_numpy()
    status = facilities["status"].astype(str).to_numpy()
    tiers = facilities["tier"].to_numpy()
    for rule in rules:
        # a rule is checked only with a facility list of its service and units of its level:
        # without them nothing is known (a unit is never "missing" for want of data)
        listed = bool((service == rule.service).any())
        level = by_scope.get(rule.level)
        lacks = [f"{rule.service} facilities in the facility list"] if not listed else []
        if level is None:
            lacks.append(f"{rule.level} units (an admin-unit table, or a {rule.level} column)")
        no_data = f"no data: needs {' and '.join(lacks)}" if lacks else ""
        depth = 2 if rule.level == "community" else 1
        counted = (service == rule.service) & np.isin(status, list(statuses)) & tier_mask(tiers, rule.tiers)
        unplaced = int((fac_paths[depth][counted] == "").sum())
        n_counted = int(counted.sum())
        src = rule.source
        if level is not None:
            g_n = level.keys.size
            fidx = level.index_of(_join(*fac_paths[: depth + 1])[counted])
            count = np.bincount(fidx[fidx >= 0], minlength=g_n).astype(float)
            applies = level.unit != ""
            if rule.area != "all":
                applies &= level.unit_class == rule.area
            ok = count >= rule.min_count
            if listed:
                rows.add(
                    level,
                    applies,
                    area="all",
                    service=rule.service,
                    group="",
                    rule=rule.key,
                    metric="facility_count",
                    value=count,
                    target=float(rule.min_count),
                    uom="facilities",
                    source=src,
                    note=np.where(ok, "", "missing: fewer than the rule asks"),
                )
        # aggregate over every scope above the rule's level
        for upper in levels:
            if SCOPES.index(upper.scope) >= SCOPES.index(rule.level):
                break
            if upper.scope == "total":
                nfac = np.array([float(n_counted)])
            else:
                up_f = upper.index_of(_join(*fac_paths[: SCOPES.index(upper.scope)])[counted])
                nfac = np.bincount(up_f[up_f >= 0], minlength=upper.keys.size).astype(float)
            common = {"area": "all", "service": rule.service, "group": "", "rule": rule.key, "source": src}
            fac_basis = "computed" if listed else "no_data"
            if not listed:
                nfac = np.full(upper.keys.size, np.nan)
            if level is None:
                sel = np.ones(upper.keys.size, dtype=bool)
                fac_note = no_data if not listed else ""
                rows.add(
                    upper,
                    sel,
                    **common,
                    metric="facilities",
                    value=nfac,
                    uom="facilities",
                    basis=fac_basis,
                    note=fac_note,
                )
                rows.add(
                    upper,
                    sel,
                    **common,
                    metric="unit_share",
                    value=np.nan,
                    target=rule.share_target,
                    uom="%",
                    basis="no_data",
                    note=no_data,
                )
                continue
            up = _parent_index(level, upper)
            tot = np.bincount(up[applies], minlength=upper.keys.size).astype(float)
            good = np.bincount(up[applies & ok], minlength=upper.keys.size).astype(float)
            sel = tot > 0
            share = np.divide(100.0 * good, tot, out=np.full(upper.keys.size, np.nan), where=tot > 0)
            if not listed:
                good, share = np.full(upper.keys.size, np.nan), np.full(upper.keys.size, np.nan)
            note = no_data or (f"{unplaced} counted facilities have no {rule.level} code" if unplaced else "")
            rows.add(
                upper,
                sel,
                **common,
                metric="facilities",
                value=nfac,
                uom="facilities",
                basis=fac_basis,
                note=note,
            )
            rows.add(upper, sel, **common, metric="units_total", value=tot, uom="units")
            rows.add(
                upper,
                sel,
                **common,
                metric="units_compliant",
                value=good,
                uom="units",
                basis=fac_basis,
                note=no_data,
            )
            rows.add(
                upper,
                sel,
                **common,
                metric="unit_share",
                value=share,
                target=rule.share_target,
                uom="%",
                basis=fac_basis,
                note=no_data,
            )


def _parent_index(level: _Level, upper: _Level) -> np.ndarray:
    """Index in ``upper`` of each unit of ``level`` (by path prefix)."""
    depth = SCOPES.index(upper.scope) - 1  # district = 0
    if upper.scope == "total":
        return np.zeros(level.keys.size, dtype=np.int64)
    prefix = np.array([_SEP.join(k.split(_SEP)[: depth + 1]) for k in level.keys], dtype=object)
    return upper.index_of(prefix)


def unit_rule_indicators(
    facilities: pd.DataFrame,
    rules: Sequence[UnitRule],
    *,
    demand: pd.DataFrame | None = None,
    units: pd.DataFrame | None = None,
    statuses: Sequence[str] = ("existing",),
) -> pd.DataFrame:
    """One-per-unit rows: facilities per unit against each rule, and the share of units that comply.

    Rows: ``facility_count`` per unit at the rule's level (target = ``min_count``; note "missing"
    where short), and above it ``facilities``, ``units_total``, ``units_compliant`` and
    ``unit_share`` (target = the rule's ``share_target``). Units come from the admin table, the
    demand and the facilities, so a community with no station is listed. A rule with an ``area``
    applies to units of that class only (a village rule to 村, a station rule to 社区).
    """
    return _build(
        demand if demand is not None else _demand_stub(),
        {},
        {},
        facilities=facilities,
        units=units,
        rules=rules,
        statuses=statuses,
        parts=("rules",),
    )


def missing_units(table: pd.DataFrame, rule: str | None = None) -> pd.DataFrame:
    """The units that miss a one-per-unit rule, from the long table (``facility_count`` < target).

    A rule the run could not check (no facility list of its service, or no units of its level)
    is not silently empty: it gets one row for the unit above (the district, or the total) with
    ``count`` NaN and the note saying what is missing ("no data: needs …").
    """
    m = (table["metric"] == "facility_count") & (table["value"] < table["target"])
    if rule is not None:
        m &= table["rule"] == rule
    cols = [
        "scope",
        "unit",
        "unit_name",
        "parent",
        "unit_class",
        "service",
        "rule",
        "value",
        "target",
        "source",
        "note",
    ]
    basis = table["value_basis"] if "value_basis" in table else pd.Series("computed", index=table.index)
    top = "total" if (table["scope"] == "total").any() else "district"
    unchecked = (
        (table["metric"] == "unit_share")
        & (table["scope"] == top)
        & (basis == "no_data")
        & (table["rule"] != "")
    )
    if rule is not None:
        unchecked &= table["rule"] == rule
    out = table.loc[m, cols]
    if unchecked.any():
        out = pd.concat([out, table.loc[unchecked, cols].assign(value=np.nan, target=np.nan)])
    return out.rename(columns={"value": "count", "target": "min_count"}).reset_index(drop=True)


def _demand_stub() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pop_total": pd.Series(dtype=float),
            "district": pd.Series(dtype=object),
            "street": pd.Series(dtype=object),
            "community": pd.Series(dtype=object),
            "urban": pd.Series(dtype=bool),
        }
    )


# --------------------------------------------------------------------------------------------------
# capacity


def _capacity_rows(
    rows: _Rows,
    levels: list[_Level],
    pops: dict[str, np.ndarray],
    unknown: list[str],
    fac_paths: tuple[np.ndarray, np.ndarray, np.ndarray],
    facilities: pd.DataFrame,
    standards: Standards | None,
    statuses: Sequence[str],
    prov: Provenance,
) -> None:
    if "capacity" not in facilities.columns:
        raise InputError(
            "facility table: no column capacity; give beds or 托位 (empty where unknown).",
            zh="设施表：缺少字段 capacity，请填写床位数或托位数（未知处留空）。",
        )
    cap = pd.to_numeric(facilities["capacity"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if (cap < 0).any():
        raise InputError(
            "facility table: negative capacity; give beds or 托位 ≥ 0.",
            zh="设施表：容量 capacity 有负值，床位数或托位数须 ≥ 0。",
        )
    service = facilities["service"].astype(str).to_numpy()
    status = np.isin(facilities["status"].astype(str).to_numpy(), list(statuses))
    svcs = [s for s in _ordered(sorted(set(service[status]) | {"elderly", "childcare"})) if s in SERVICES]
    year = f", {prov.population_year}" if prov.population_year != "" else ""
    for svc in svcs:
        std, grp, std_src = standards.per_1000(svc) if standards else (None, _BASE[svc], "")
        grp = grp or _BASE[svc]
        listed = bool((service == svc).any())  # the facility list covers this service
        sel_f = (service == svc) & status
        doc = standards.documented_supply(svc) if standards else None
        if not sel_f.any() and std is None and doc is None:
            continue
        uom = "beds" if svc == "elderly" else "托位"
        supply_note = (
            f"Σ capacity of {'/'.join(statuses)} {svc} facilities "
            f"({prov.supply_source}{', ' + prov.supply_date if prov.supply_date else ''})"
        )
        no_list = f"no data: needs a facility list with {svc} facilities and their capacity ({uom})"
        base_note = f"population base: {grp} summed over the demand table ({prov.population_source}{year})"
        for level in levels:
            g_n = level.keys.size
            depth = SCOPES.index(level.scope) - 1
            if level.scope == "total":
                fidx = np.zeros(int(sel_f.sum()), dtype=np.int64)
            else:
                fidx = level.index_of(_join(*fac_paths[: depth + 1])[sel_f])
            c = cap[sel_f]
            placed = fidx >= 0
            known = placed & ~np.isnan(c)
            n_fac = np.bincount(fidx[placed], minlength=g_n).astype(float)
            n_unknown = np.bincount(fidx[placed & np.isnan(c)], minlength=g_n).astype(float)
            lost = int((~placed).sum())
            common = {"area": "all", "service": svc, "group": grp}
            # supply: the facility list's capacities; NaN where the list is missing or gives none
            if listed:
                supply = np.bincount(fidx[known], c[known], minlength=g_n).astype(float)
                blind = (n_fac > 0) & (n_unknown == n_fac)
                supply[blind] = np.nan
                listed_note = supply_note + (
                    f"; {lost} facilities have no {level.scope} code" if lost else ""
                )
                s_note = np.where(
                    blind, f"no data: needs the capacity ({uom}) of the {svc} facilities", listed_note
                )
            else:
                supply = np.full(g_n, np.nan)
                s_note = np.full(g_n, no_list, dtype=object)
            s_note = s_note.astype(object)
            s_basis = np.where(np.isnan(supply), "no_data", "computed").astype(object)
            s_src = np.full(g_n, "", dtype=object)
            # population bases: the demand table's, except the documented ones on the jurisdiction's row
            pop = np.bincount(level.idx, pops[grp], minlength=g_n) if grp in pops else np.full(g_n, np.nan)
            r_pop, n_pop = pop.copy(), pop.copy()
            r_year = np.full(g_n, str(prov.population_year), dtype=object)
            r_src = np.full(g_n, prov.population_source, dtype=object)
            n_year, n_src = r_year.copy(), r_src.copy()
            r_basis = np.full(g_n, "computed" if grp in pops else "no_data", dtype=object)
            n_basis = r_basis.copy()
            r_note = np.full(g_n, base_note if grp in pops else _no_group_note(grp), dtype=object)
            n_note = r_note.copy()
            j, why_not = _jurisdiction_row(level, standards, pops, unknown)
            if why_not:
                s_note = np.where(
                    level.unit == (standards.adcode if standards else ""), s_note + "; " + why_not, s_note
                )
            if j >= 0 and standards is not None:
                if doc is not None and np.isnan(supply[j]):
                    supply[j], s_basis[j], s_src[j] = doc.value, "documented", doc.source
                    s_note[j] = (
                        f"documented: {doc.value:,.0f} {uom} as of {doc.year} ({doc.source}); "
                        f"the run has no {svc} capacities ({s_note[j].removeprefix('no data: ')})"
                    )
                cur = standards.current_population(grp)
                if s_basis[j] == "documented" and cur is not None:
                    r_pop[j], r_year[j], r_src[j], r_basis[j] = (
                        cur.value,
                        str(cur.year),
                        cur.source,
                        "documented",
                    )
                    r_note[j] = f"documented supply over the documented {_figure_text(cur)}"
                fig, why = standards.population_base(svc)
                if fig is not None:
                    n_pop[j], n_year[j], n_src[j], n_basis[j] = (
                        fig.value,
                        str(fig.year),
                        fig.source,
                        "documented",
                    )
                    n_note[j] = f"population base the document uses: {_figure_text(fig)}" + (
                        f" ({why})" if why else ""
                    )
            base_cols = {"base_value": r_pop, "base_year": r_year, "base_source": r_src}
            rows.add(
                level,
                np.ones(g_n, dtype=bool),
                **common,
                metric="supply",
                value=supply,
                uom=uom,
                source=s_src,
                note=s_note,
                basis=s_basis,
            )
            if listed:
                rows.add(
                    level,
                    np.ones(g_n, dtype=bool),
                    **common,
                    metric="supply_unknown",
                    value=n_unknown,
                    uom="facilities",
                )
            ratio = np.divide(1000.0 * supply, r_pop, out=np.full(g_n, np.nan), where=r_pop > 0)
            rows.add(
                level,
                np.ones(g_n, dtype=bool),
                **common,
                metric="per_1000",
                value=ratio,
                target=np.nan if std is None else std,
                uom=f"{uom} per 1,000",
                source=std_src,
                note=np.where(s_basis == "no_data", s_note, r_note),
                basis=_combined(s_basis, r_basis),
                **base_cols,
            )
            if std is None:
                continue
            need = std * n_pop / 1000.0
            if j >= 0 and n_basis[j] == "documented":  # whole beds or 托位, rounded up as the documents do
                need[j] = math.ceil(need[j] - 1e-9)
            need_cols = {"base_value": n_pop, "base_year": n_year, "base_source": n_src}
            rows.add(
                level,
                np.ones(g_n, dtype=bool),
                **common,
                metric="need",
                value=need,
                uom=uom,
                source=std_src,
                note=n_note,
                basis=n_basis,
                **need_cols,
            )
            g_basis = _combined(s_basis, n_basis)
            unknown_note = np.where(
                n_unknown > 0,
                [f"; {k:g} facilities with unknown capacity not counted" for k in n_unknown],
                "",
            )
            rows.add(
                level,
                np.ones(g_n, dtype=bool),
                **common,
                metric="gap",
                value=need - supply,
                uom=uom,
                source=std_src,
                note=np.where(
                    g_basis == "no_data",
                    np.where(s_basis == "no_data", s_note, n_note),
                    "need − supply (negative: above the standard); " + n_note + "; " + s_note + unknown_note,
                ),
                basis=g_basis,
                **need_cols,
            )


#: The study area counts as the whole jurisdiction (so the documented supply and population base
#: apply to the jurisdiction's row) when its population is within this share of the documented one.
SAME_AREA_TOLERANCE = 0.10


def _jurisdiction_row(
    level: _Level, standards: Standards | None, pops: dict[str, np.ndarray], unknown: list[str]
) -> tuple[int, str]:
    """Index of the jurisdiction's own row in ``level`` (-1: none), and why its figures are not used.

    The row is the district with the profile's adcode; its documented figures apply when the
    demand in it matches the documented population (first of pop_total, pop_60, pop_0_3 that both
    give) within `SAME_AREA_TOLERANCE`, i.e. when the study area is the whole jurisdiction.
    """
    if standards is None or level.scope != "district" or not standards.adcode:
        return -1, ""
    hit = np.flatnonzero(level.unit == standards.adcode)
    if not hit.size:
        return -1, ""
    j = int(hit[0])
    for grp in ("pop_total", "pop_60", "pop_0_3"):
        ref = standards.current_population(grp)
        if ref is None or ref.value <= 0 or grp in unknown or grp not in pops:
            continue
        have = float(pops[grp][level.idx == j].sum())
        if abs(have - ref.value) <= SAME_AREA_TOLERANCE * ref.value:
            return j, ""
        return -1, (
            f"documented figures not used: the study area holds {have:,.0f} {grp} against "
            f"{ref.value:,.0f} documented for the whole jurisdiction ({ref.year})"
        )
    return -1, "documented figures not used: no documented population to check the study area against"


def _figure_text(fig: Figure) -> str:
    """``pop_60 125,000 (2025 projection; <source>)``."""
    kind = fig.note or fig.block
    return f"{fig.key} {fig.value:,.0f} ({fig.year}{' ' + kind if kind else ''}; {fig.source})"


def _combined(*bases: np.ndarray) -> np.ndarray:
    """Basis of a value computed from parts: no_data if any part is, documented if any part is."""
    stack = np.stack([np.asarray(b, dtype=object) for b in bases])
    return np.where(
        (stack == "no_data").any(axis=0),
        "no_data",
        np.where((stack == "documented").any(axis=0), "documented", "computed"),
    ).astype(object)


_BASE = {"elderly": "pop_60", "childcare": "pop_total"}


def capacity_indicators(
    demand: pd.DataFrame,
    facilities: pd.DataFrame,
    standards: Standards | None = None,
    *,
    units: pd.DataFrame | None = None,
    statuses: Sequence[str] = ("existing",),
    provenance: Provenance = Provenance(),
) -> pd.DataFrame:
    """Capacity rows: supply, beds (托位) per 1,000 of the standard's base, need and gap per unit.

    need = standard × population / 1,000 and gap = need − supply, with population the standard's
    group (60+ for beds, all residents for 托位) summed over the demand of the unit, and supply
    the capacities of facilities with a status in ``statuses``. Each row's note states the
    population base and its year and source, and the supply date (`Provenance`); ``base_value``,
    ``base_year`` and ``base_source`` give the base as data.

    Missing data is never a zero: where the facility list has no facility of a service, or a
    unit's facilities give no capacity, supply and gap are NaN marked ``no_data``. On the
    jurisdiction's own district row (its adcode; a district without a code is the jurisdiction)
    and when the study area holds the documented population (within `SAME_AREA_TOLERANCE`), the
    profile's documented supply stands in for a missing one, and need and gap use the population
    base the document applies the ratio to (001: 32 × 125,000 aged 60+ in 2025 = 4,000 beds),
    marked ``documented`` with the figure's source.
    """
    return _build(
        demand,
        {},
        {},
        facilities=facilities,
        standards=standards,
        units=units,
        statuses=statuses,
        provenance=provenance,
        parts=("capacity",),
    )


# --------------------------------------------------------------------------------------------------
# the whole table


def indicator_table(
    demand: pd.DataFrame,
    times: Mapping[str, np.ndarray],
    thresholds: Mapping[str, np.ndarray | float],
    *,
    facilities: pd.DataFrame | None = None,
    standards: Standards | None = None,
    units: pd.DataFrame | None = None,
    access: Mapping[str, np.ndarray] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    statuses: Sequence[str] = ("existing",),
    provenance: Provenance = Provenance(),
    rules: Sequence[UnitRule] | None = None,
    facility_sources: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """The long indicator table (`COLUMNS`) of one run, in a fixed order.

    Parameters
    ----------
    demand
        DEMAND_COLUMNS: population by group, ``district``/``street``/``community`` (codes or names,
        "" unknown), ``urban``.
    times, thresholds
        Service → seconds per demand point to the nearest facility (inf = unreached), and the
        threshold per point (see `coverage_indicators`).
    facilities
        ``id, name, service, tier, capacity, status, district, street, community``: for the
        one-per-unit rules and capacity rows. None: no facility list; with ``standards`` the rules
        are then "no data" and supply is the documented figure or "no data" (see
        `capacity_indicators`); without, those rows are skipped.
    standards
        The jurisdiction's `Standards`: ratio targets, unit rules and plan targets (the ``target``
        column is filled from them).
    units
        Admin-unit table (``code, name, level, parent, urban``) so units without demand or
        facilities are listed.
    access
        Service → 2SFCA score per demand point (`lifecircle.coverage.access.two_step_fca`
        ``.access``), reported per 1,000 as ``access_per_1000`` and ``gini_access``.
    groups
        Service → groups to report (default `SERVICE_GROUPS`).
    statuses
        Facility statuses that count (``existing``; add ``planned`` to test a plan).
    provenance
        Population and supply sources and dates, written into the capacity rows.
    rules
        Unit rules to check (default: ``standards.one_per_unit``).
    facility_sources
        Service → names of the facility sources given for it (files, OpenStreetMap extracts). A
        service mapped to none has no facility list: its ``pop_covered``, ``coverage``,
        ``pop_beyond``, ``pop_unreached`` and walking times are NaN marked ``no_data`` ("no data:
        needs a facility list for <service>"), never 0; its ``pop`` rows stay. A service whose
        sources hold none of its facilities keeps its measured 0, and the note names the sources
        searched. None: every service of ``times`` has a facility list.
    """
    return _build(
        demand,
        times,
        thresholds,
        facilities=facilities,
        standards=standards,
        units=units,
        access=access,
        groups=groups,
        statuses=statuses,
        provenance=provenance,
        rules=rules,
        facility_sources=facility_sources,
        parts=("coverage", "access", "rules", "capacity"),
    )


def _build(
    demand: pd.DataFrame,
    times: Mapping[str, np.ndarray],
    thresholds: Mapping[str, np.ndarray | float],
    *,
    facilities: pd.DataFrame | None = None,
    standards: Standards | None = None,
    units: pd.DataFrame | None = None,
    access: Mapping[str, np.ndarray] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    statuses: Sequence[str] = ("existing",),
    provenance: Provenance = Provenance(),
    rules: Sequence[UnitRule] | None = None,
    facility_sources: Mapping[str, Sequence[str]] | None = None,
    parts: Sequence[str] = (),
) -> pd.DataFrame:
    pops, unknown, urban = _check_demand(demand)
    tt = _check_times(times, thresholds, len(demand)) if "coverage" in parts else {}
    admin = _Admin(units)
    d_paths = _in_jurisdiction(admin, _paths(admin, demand, "demand table", what_zh="需求点表"), standards)
    extra = []
    given = facilities is not None
    if facilities is None and standards is not None:
        facilities = _no_facilities()  # no facility list: supply and rules are "no data", never 0
    fac_paths = None
    if facilities is not None:
        facilities = _facility_table(facilities)
        fac_paths = _paths(admin, facilities, "facility table", what_zh="设施表")
        fac_paths = _in_jurisdiction(admin, fac_paths, standards)
        extra.append(fac_paths)
    levels = _levels(d_paths, urban, admin, extra)
    rows = _Rows()
    _no_unit_rows(rows, levels)
    if "coverage" in parts:
        counted = None
        if given and facilities is not None and "status" in facilities.columns:
            counted = facilities[facilities["status"].astype(str).isin(list(statuses))]
        _coverage_rows(rows, levels, pops, unknown, urban, tt, groups, facility_sources, counted)
    if access and "access" in parts:
        _access_rows(rows, levels, pops, unknown, urban, access, groups, standards)
    if facilities is not None and fac_paths is not None:
        if "rules" in parts:
            use_rules = tuple(rules) if rules is not None else (standards.one_per_unit if standards else ())
            _rule_rows(rows, levels, fac_paths, facilities, use_rules, statuses)
        if "capacity" in parts:
            _capacity_rows(
                rows, levels, pops, unknown, fac_paths, facilities, standards, statuses, provenance
            )
    table = rows.frame()
    if standards is not None:
        table = _attach_targets(table, standards)
    return _sorted(table)


def _attach_targets(table: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Fill ``target`` (and cite it) for coverage rows from the standards' coverage targets."""
    if table.empty:
        return table
    table = table.copy()
    for t in standards.coverage_targets:
        if t.metric != "coverage":
            continue
        m = (table["metric"] == "coverage") & (table["service"] == t.service)
        if t.group:
            m &= table["group"] == t.group
        if t.area == "all":
            m &= table["area"] == "all"
        else:
            m &= (table["area"] == t.area) | ((table["area"] == "all") & (table["unit_class"] == t.area))
        table.loc[m, "target"] = t.value
        table.loc[m, "source"] = t.source
    return table


# --------------------------------------------------------------------------------------------------
# the plans' own tables


_PLAN_HEADERS: dict[str, tuple[str, str]] = {
    "indicator": ("指标", "Indicator"),
    "unit_of_measure": ("单位", "Unit"),
    "baseline": ("基期值", "Baseline"),
    "baseline_year": ("基期年份", "Baseline year"),
    "target": ("目标值", "Target"),
    "target_year": ("目标年份", "Target year"),
    "attribute": ("属性", "Attribute"),
    "now": ("现状", "Now"),
    "gap": ("差距", "Gap"),
    "base_group": ("人口基数口径", "Population base"),
    "base_value": ("人口基数", "Base population"),
    "base_year": ("基数年份", "Base year"),
    "need": ("按标准需求（取整）", "Need at the standard (rounded up)"),
    "now_basis": ("现状口径", "Now: basis"),
    "now_date": ("现状时点", "Now: as of"),
    "now_source": ("现状来源", "Now: source"),
    "base_source": ("人口基数来源", "Base: source"),
    "lead_unit": ("牵头单位", "Lead unit"),
    "source": ("依据", "Source"),
    "note": ("备注", "Note"),
}
_UOM = {"coverage": "%", "unit_share": "%", "nursing_share": "%", "per_1000": "‰", "facilities": "个"}
#: ``value_basis`` in the plan table's words.
BASIS_LABELS: dict[str, tuple[str, str]] = {
    "computed": ("本次测算", "computed"),
    "documented": ("规划文件数据", "documented"),
    "no_data": ("无数据", "no data"),
}
_KIND_ZH = {"census": "普查", "projection": "预测", "derived": "推算", "base": "基数"}


def _top(table: pd.DataFrame) -> pd.DataFrame:
    scope = "total" if (table["scope"] == "total").any() else "district"
    return table[table["scope"] == scope]


@dataclass(frozen=True)
class _Now:
    """The plan table's "now": a value, its basis (computed, documented, no_data), date, source, note."""

    value: float
    basis: str
    date: str = ""
    source: str = ""
    note: str = ""


def _no_data(en: str, zh: str, lang: str) -> _Now:
    return _Now(np.nan, "no_data", note=f"no data: needs {en}" if lang == "en" else f"无数据：需要{zh}")


def _now(top: pd.DataFrame, t: Target, standards: Standards, lang: str) -> _Now:
    """The current value of a target: this run's, else the documented one, else no data (never 0)."""
    if t.metric == "nursing_share":
        nb = next((f for f in standards.figures if f.key == "nursing_beds"), None)
        beds = standards.documented_supply("elderly") if nb is not None else None
        if nb is None or beds is None or beds.value <= 0:
            return _no_data("nursing-bed counts per facility", "各设施的护理型床位数", lang)
        return _Now(100.0 * nb.value / beds.value, "documented", str(nb.year), f"{nb.source}; {beds.source}")
    m = (top["metric"] == t.metric) & (top["service"] == t.service)
    if t.metric == "coverage":
        m &= top["area"] == t.area
        if t.group:
            m &= top["group"] == t.group
    elif t.metric in ("unit_share", "facilities"):
        m &= top["rule"] == t.rule
    if "value_basis" in top and t.metric in ("supply", "per_1000", "unit_share", "facilities"):
        m &= top["value_basis"] == "computed"  # else the target's own documented figure is used
    sel = top.loc[m, "value"]
    if sel.size and sel.notna().all():
        if t.metric in ("coverage", "per_1000", "unit_share"):
            if sel.size > 1:
                return _Now(np.nan, "no_data", note="several districts: see the total")
            return _Now(float(sel.iloc[0]), "computed")
        return _Now(float(sel.sum()), "computed")
    if t.metric == "coverage":
        if sel.empty and t.area != "all":
            return _Now(np.nan, "no_data", note=f"no {t.area} population in the study area")
        if "note" in top and top.loc[m, "note"].astype(str).str.startswith(NO_LIST_NOTE).any():
            return _no_data(f"a facility list for {t.service}", f"{label(t.service)}服务设施清单", lang)
        return _Now(np.nan, "no_data", note="no data for this indicator in the run")
    if t.metric in ("supply", "per_1000"):
        return _documented_now(t, standards, lang)
    if t.baseline is not None:  # facilities, unit_share: the plan's own baseline count
        return _Now(float(t.baseline), "documented", str(t.baseline_year or ""), t.source)
    rule = standards.rule(t.rule) if t.rule in {r.key for r in standards.one_per_unit} else None
    level = {"street": ("street units", "街道单元"), "community": ("community units", "社区单元")}
    en, zh = level.get(rule.level if rule else "", ("units", "行政单元"))
    return _no_data(
        f"a facility list with {t.service} facilities and {en}", f"{label(t.service)}设施清单及{zh}", lang
    )


def _documented_now(t: Target, standards: Standards, lang: str) -> _Now:
    """Supply or per-1,000 ratio from the profile's documented supply (and population)."""
    uom_en, uom_zh = ("beds", "床位") if t.service == "elderly" else ("托位", "托位")
    lack = _no_data(
        f"a facility list with {t.service} facilities and their capacity ({uom_en}); "
        f"{standards.document or 'the document'} gives no figure",
        f"{label(t.service)}设施清单及其{uom_zh}数（{standards.document or '规划文件'}未给出该数据）",
        lang,
    )
    if t.metric == "supply":
        doc = standards.documented_supply(t.service, near=t.baseline)
        if doc is None:
            return lack
        return _Now(doc.value, "documented", str(doc.year), doc.source)
    doc = standards.documented_supply(t.service)
    group = t.group or _BASE.get(t.service, "pop_total")
    pop = standards.current_population(group)
    if doc is None or pop is None or pop.value <= 0:
        return lack
    value = 1000.0 * doc.value / pop.value
    src = f"{doc.value:,.0f} ÷ {pop.value:,.0f} × 1,000 ({doc.source}; {pop.source})"
    note = ""
    if t.baseline and abs(value - t.baseline) > BASELINE_TOLERANCE * t.baseline:
        note = (
            f"data-quality flag: the stated baseline {t.baseline:g} is inconsistent with {value:.2f}"
            if lang == "en"
            else f"数据质量提示：文件所列基期值 {t.baseline:g} 与 {value:.2f} 不一致"
        )
    return _Now(value, "documented", str(doc.year), src, note)


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
    kind = kind if lang == "en" else _KIND_ZH.get(kind, kind)
    out.update(
        base_group=f"{label(fig.key, lang)} ({kind})"
        if lang == "en"
        else f"{label(fig.key, lang)}（{kind}）",
        base_value=fig.value,
        base_year=str(fig.year),
        need=float(math.ceil(per * fig.value / 1000.0 - 1e-9)),
        base_source=fig.source,
        why=why.text(lang) if isinstance(why, Note) else str(why),
    )
    return out


def _target_name(t: Target, lang: str) -> str:
    """The plan's wording when the target carries it, else a name built from its fields."""
    en = lang == "en"
    own = t.label_en if en else t.label_zh
    parts = []
    if not own:
        own = (
            f"{label(t.service, lang)} {label(t.metric, lang).lower()}"
            if en
            else (f"{label(t.service, lang)}服务{label(t.metric, lang)}")
        )
        if t.metric == "coverage" and t.area != "all":
            parts.append(_AREA_SHORT[t.area][1 if en else 0])
    if t.metric == "coverage" and t.group:
        parts.append(label(t.group, lang))
    if not parts:
        return own
    return f"{own}, {', '.join(parts)}" if en else f"{own}：{'，'.join(parts)}"


_AREA_SHORT = {"urban": ("街道（社区）", "urban"), "rural": ("乡镇（村）", "rural")}


def plan_table(
    table: pd.DataFrame, standards: Standards, *, lang: str = "zh", binding: bool | None = None
) -> pd.DataFrame:
    """The plan-style indicator table: indicator, baseline, target, 约束性/预期性, now, gap, base.

    One row per `Target` of ``standards`` (in the plan's order). ``now`` is this run's value (the
    district or total rows of ``table``); where the run has none (no facility list, no units), the
    documented figure of the jurisdiction profile, marked ``documented`` with its date and source
    (the supply of beds or 托位, the plan's baseline count, nursing beds over beds); else NaN with
    "no data: needs …" — never 0. ``gap`` = target − now for "at least" targets, now − target for
    "at most", baseline + increase − now for increase targets (positive: short of the target).

    Capacity rows (``supply``, ``per_1000`` of beds and 托位) name the population base the
    document applies the ratio to (its group, count, year and source: 001's beds use the 2025
    projection of 125,000 aged 60+) and the need at the standard on it, rounded up as the
    documents do (588,700 × 4.5 / 1,000 → 2,650). ``binding=True`` keeps the 约束性 rows only,
    ``False`` the 预期性 rows.
    """
    en = lang == "en"
    top = _top(table) if not table.empty else table
    rows = []
    for t in standards.coverage_targets:
        if binding is not None and t.binding is not binding:
            continue
        now = (
            _now(top, t, standards, lang)
            if not table.empty
            else _Now(np.nan, "no_data", note="empty indicator table")
        )
        gap = now.value - t.goal if t.comparison == "<=" else t.goal - now.value
        attr = {True: ("约束性", "binding"), False: ("预期性", "expected")}.get(t.binding, ("—", "—"))  # type: ignore[arg-type]
        uom = _UOM.get(t.metric, "张" if t.service == "elderly" else "个")
        if t.metric in ("supply",) and en:
            uom = "beds" if t.service == "elderly" else "places"
        need = _need(t, standards, lang)
        check = ""
        if t.metric == "supply" and not np.isnan(need["need"]) and abs(need["need"] - t.goal) >= 1:  # type: ignore[arg-type]
            check = (
                f"standard × base = {need['need']:,.0f}, not the target's {t.goal:,.0f}"
                if en
                else f"按标准 × 基数 = {need['need']:,.0f}，与目标值 {t.goal:,.0f} 不同"
            )
        rows.append(
            {
                "indicator": _target_name(t, lang),
                "unit_of_measure": uom,
                "baseline": np.nan if t.baseline is None else float(t.baseline),
                "baseline_year": "" if t.baseline_year is None else str(t.baseline_year),
                "target": f"+{t.value:g}"
                if t.comparison == "+"
                else (f"≤{t.value:g}" if t.comparison == "<=" else f"{t.value:g}"),
                "target_year": str(t.year),
                "attribute": attr[1] if en else attr[0],
                "now": now.value,
                "gap": gap,
                "base_group": need["base_group"],
                "base_value": need["base_value"],
                "base_year": need["base_year"],
                "need": need["need"],
                "now_basis": BASIS_LABELS[now.basis][1 if en else 0],
                "now_date": now.date,
                "now_source": now.source,
                "base_source": need["base_source"],
                "lead_unit": t.lead_unit,
                "source": t.source,
                "note": "; ".join(str(x) for x in (t.note, need["why"], now.note, check) if x),
            }
        )
    df = pd.DataFrame(rows, columns=list(_PLAN_HEADERS))
    return df.rename(columns={k: v[1 if en else 0] for k, v in _PLAN_HEADERS.items()})


def coverage_wide(
    table: pd.DataFrame,
    *,
    level: str = "street",
    service: str = "elderly",
    groups: Sequence[str] | None = None,
    standards: Standards | None = None,
    lang: str = "zh",
) -> pd.DataFrame:
    """Coverage by street or community, one row per unit (the plans' 分街道/分社区 table).

    Columns: unit code and name, the enclosing unit's name, urban/rural class; per group the
    population, the coverage (%), the median and 90th-percentile walking time (min); then, per
    one-per-unit rule of ``service`` at this level, the facility count and "缺" (missing) where the
    unit has fewer than the rule asks. Rules are named by their label in ``standards`` when given.
    """
    if level not in ("street", "community", "district"):
        raise InputError(
            f"coverage table: level {level!r} is not district, street or community.",
            zh=f"覆盖率表：层级 {level!r} 不是 district（区）、street（街道）或 community（社区）。",
        )
    en = lang == "en"
    sub = table[(table["scope"] == level) & (table["area"] == "all") & (table["service"] == service)]
    key = ["parent", "unit"]
    out = table.loc[table["scope"] == level, [*key, "unit_name", "unit_class"]].drop_duplicates(subset=key)
    above = _above(level)
    names = table.loc[table["scope"] == above, ["unit", "unit_name"]].drop_duplicates("unit")
    out["parent_name"] = (
        out["parent"].map(dict(zip(names["unit"], names["unit_name"], strict=True))).fillna("")
    )
    out["unit_class"] = out["unit_class"].map(lambda c: label(c, lang) if c else "")
    out = out[[*key, "unit_name", "parent_name", "unit_class"]]
    grp_list = (
        list(groups)
        if groups is not None
        else [g for g in GROUPS if g in set(sub.loc[sub["metric"] == "pop", "group"])]
    )
    for g in grp_list:
        for mname in ("pop", "coverage", "time_median_min", "time_p90_min"):
            col = sub[(sub["group"] == g) & (sub["metric"] == mname)][[*key, "value"]]
            if mname == "pop":
                head = f"{label(g, lang)} (persons)" if en else f"{label(g, lang)}（人）"
            else:
                unit = "%" if mname == "coverage" else ("min" if en else "分钟")
                head = (
                    f"{label(g, lang)} {label(mname, lang)} ({unit})"
                    if en
                    else (f"{label(g, lang)}{label(mname, lang)}（{unit}）")
                )
            out = out.merge(col.rename(columns={"value": head}), on=key, how="left")
    rule_names = {}
    if standards is not None:
        rule_names = {r.key: (r.label_en if en else r.label_zh) or r.key for r in standards.one_per_unit}
    for r in sub.loc[sub["metric"] == "facility_count", "rule"].drop_duplicates().tolist():
        col = sub[(sub["rule"] == r) & (sub["metric"] == "facility_count")][[*key, "value", "target"]]
        name = rule_names.get(r, r)
        col = col.assign(miss=np.where(col["value"] < col["target"], "missing" if en else "缺", ""))
        heads = {
            "value": f"{name}: count" if en else f"{name}：设施数",
            "miss": f"{name}: status" if en else f"{name}：达标",
        }
        out = out.merge(col[[*key, "value", "miss"]].rename(columns=heads), on=key, how="left")
    out = out.sort_values(key, kind="mergesort").reset_index(drop=True)
    out = out.drop(columns=["parent"] + (["parent_name"] if not above else []))
    heads = {
        "unit": "Code" if en else "代码",
        "unit_name": label(level, lang),
        "parent_name": label(above, lang) if above else "",
        "unit_class": "Urban/rural" if en else "城乡",
    }
    return out.rename(columns={k: v for k, v in heads.items() if v})


def _above(level: str) -> str:
    return {"community": "street", "street": "district"}.get(level, "")


def localize(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """The long table with labels for scope, area, service, group and metric in ``lang``."""
    out = table.copy()
    for col in ("scope", "area", "service", "group", "metric"):
        out[f"{col}_label"] = out[col].map(lambda k: label(k, lang))
    return out
