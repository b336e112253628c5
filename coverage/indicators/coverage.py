"""Coverage, walking-time and access rows of the indicator table, per unit, area and group.

Per scope, unit, area, service and population group: ``pop``, ``pop_covered`` (time ≤ the point's
threshold), ``coverage`` (%), ``pop_beyond`` (a walk longer than the threshold), ``pop_unreached``
(no walking path at all), the weighted median, 90th percentile and Gini of the walking times of
the people with a path; with 2SFCA scores, ``access_per_1000`` and ``gini_access``. Computed with
one sort per service and scope (`seg_quantiles`, `seg_gini`) and ``bincount`` over the units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..standards import Standards
from .inputs import Population, check_access, groups_for, ordered
from .notes import no_group_note, no_list_note, note
from .rows import Cell, RowKey, Rows
from .stats import seg_gini, seg_quantiles
from .units import AREAS, Level, area_units, with_demand

#: Coverage metrics that need a facility list (``pop`` does not), with their units of measure.
REACH_METRICS: tuple[tuple[str, str], ...] = (
    ("pop_covered", "persons"),
    ("coverage", "%"),
    ("pop_beyond", "persons"),
    ("pop_unreached", "persons"),
    ("extra_median_min", "min"),
    ("time_median_min", "min"),
    ("time_p90_min", "min"),
    ("gini_time", ""),
)


@dataclass(frozen=True)
class _Walk:
    """One service's walking times and thresholds per demand point, and what its rows report."""

    service: str
    t: np.ndarray
    thr: np.ndarray
    groups: tuple[str, ...]
    searched: str

    @property
    def covered(self) -> np.ndarray:
        return self.t <= self.thr

    @property
    def unreached(self) -> np.ndarray:
        return np.isinf(self.t)  # no walking path at all

    @property
    def beyond(self) -> np.ndarray:
        return ~self.covered & ~self.unreached  # a walk, longer than the threshold


@dataclass(frozen=True)
class _Sorted:
    """Values sorted by unit, then by value: the segments of the weighted statistics."""

    order: np.ndarray
    idx: np.ndarray
    values: np.ndarray
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, level: Level) -> _Sorted:
        """Sort ``values`` (one per demand point) by the unit of ``level``, then by value."""
        order = np.lexsort((values, level.idx))
        idx_s = level.idx[order]
        units = np.arange(level.keys.size)
        starts = np.searchsorted(idx_s, units, side="left")
        ends = np.searchsorted(idx_s, units, side="right")
        return cls(order, idx_s, values[order], starts, ends)

    def medians(self, w: np.ndarray) -> np.ndarray:
        """The weighted median of each unit's values (weights ``w`` per demand point; NaN: no weight)."""
        return seg_quantiles(self.values, w[self.order], self.starts, self.ends, (0.5,))[0]

    @property
    def finite(self) -> np.ndarray:
        """Whether each sorted value is finite (a walking time, not "no path")."""
        return np.isfinite(self.values)


@dataclass(frozen=True)
class _LevelSort:
    """One service's demand points sorted by unit of a level, by walking time and by extra time.

    The extra time is the time beyond the threshold (zero for the people within it).
    """

    time: _Sorted
    extra: _Sorted

    @classmethod
    def of(cls, walk: _Walk, level: Level) -> _LevelSort:
        extra = np.where(walk.beyond, walk.t - walk.thr, 0.0)
        return cls(_Sorted.of(walk.t, level), _Sorted.of(extra, level))


def thr_note(thr: np.ndarray, mask: np.ndarray) -> str:
    """The note "threshold 15 min" (several: "threshold 15/20 min") of the points ``mask``."""
    mins = np.unique(np.round(thr[mask] / 60.0, 2))
    if mins.size == 0:
        return ""
    return note("ind.note.threshold", minutes="/".join(f"{m:g}" for m in mins))


def searched_note(service: str, sources: Sequence[str], facilities: pd.DataFrame | None) -> str:
    """The note "no <service> facility in <sources>" when those sources hold none that counts, else ""."""
    if facilities is None or not len(sources):
        return ""
    if (facilities["service"].astype(str) == service).any():
        return ""
    return note("ind.note.searched", service=service, sources="; ".join(map(str, sources)))


def coverage_rows(
    rows: Rows,
    levels: list[Level],
    people: Population,
    tt: dict[str, tuple[np.ndarray, np.ndarray]],
    groups: Mapping[str, Sequence[str]] | None,
    sources: Mapping[str, Sequence[str]] | None = None,
    facilities: pd.DataFrame | None = None,
) -> None:
    """Coverage rows per service; ``sources`` maps a service to its facility sources (none: no data).

    ``facilities`` (the counted ones) lets the note of a service whose sources hold none of its
    facilities name what was searched (its coverage 0 is then a measured 0).
    """
    top = levels[0] if levels else None
    levels = with_demand(levels)
    for svc, (t, thr) in tt.items():
        wanted = groups_for(svc, groups)
        if sources is not None and svc in sources and not len(sources[svc]):
            for level in levels:
                _no_list_rows(rows, level, people, svc, wanted, top=level is top)
            continue
        searched = searched_note(svc, sources[svc], facilities) if sources and svc in sources else ""
        walk = _Walk(svc, t, thr, wanted, searched)
        for level in levels:
            _level_coverage(rows, level, people, walk, top=level is top)


def _unknown_group_row(rows: Rows, level: Level, sel: np.ndarray, key: RowKey) -> None:
    """The one row saying that a group is unknown (its column is empty)."""
    cell = Cell("coverage", np.nan, uom="%", note=no_group_note(key.group), basis="no_data")
    rows.add(level, sel, key, cell)


def _level_coverage(rows: Rows, level: Level, people: Population, walk: _Walk, *, top: bool) -> None:
    """The coverage rows of one service at one level, every area and group."""
    masks = people.masks()
    seg = _LevelSort.of(walk, level)
    for area in AREAS:
        sel = area_units(level, area)
        if not sel.any():
            continue
        m = masks[area]
        thr = thr_note(walk.thr, m)
        if walk.searched:
            thr = f"{thr}; {walk.searched}" if thr else walk.searched
        limit = _unit_threshold(level, walk.thr, m, thr)
        for grp in walk.groups:
            key = RowKey(area, walk.service, grp)
            if grp in people.unknown:
                if top and area == "all":
                    _unknown_group_row(rows, level, sel, key)
                continue
            rows.add(level, sel, key, limit)
            _group_coverage(rows, level, sel, key, people.pops[grp] * m, walk, seg, thr)


def _unit_threshold(level: Level, thr: np.ndarray, mask: np.ndarray, thr_text: str) -> Cell:
    """``threshold_min`` per unit: the walking minutes of its demand points in ``mask``.

    NaN when they differ (the note then names them) and without demand.
    """
    g_n = level.keys.size
    lo, hi = np.full(g_n, np.inf), np.full(g_n, -np.inf)
    np.minimum.at(lo, level.idx[mask], thr[mask])
    np.maximum.at(hi, level.idx[mask], thr[mask])
    same = np.isfinite(lo) & (lo == hi)
    value = np.where(same, lo / 60.0, np.nan)
    return Cell("threshold_min", value, uom="min", note=np.where(same | ~np.isfinite(lo), "", thr_text))


def _group_coverage(
    rows: Rows,
    level: Level,
    sel: np.ndarray,
    key: RowKey,
    w: np.ndarray,
    walk: _Walk,
    seg: _LevelSort,
    thr: str,
) -> None:
    """Population, coverage and walking-time rows of one group (weights ``w``) in the units ``sel``.

    ``extra_median_min`` is the weighted median of the minutes beyond the threshold (time −
    threshold) of the people who walk longer than it (``pop_beyond``; people without a path are
    not counted), NaN where nobody does.
    """
    g_n = level.keys.size
    pop = np.bincount(level.idx, w, minlength=g_n)
    cov = np.bincount(level.idx, w * walk.covered, minlength=g_n)
    bey = np.bincount(level.idx, w * walk.beyond, minlength=g_n)
    unr = np.bincount(level.idx, w * walk.unreached, minlength=g_n)
    share = np.divide(100.0 * cov, pop, out=np.full(g_n, np.nan), where=pop > 0)
    empty = np.where(pop > 0, thr, note("ind.note.no_population"))
    no_path = np.where(unr > 0, note("ind.note.no_path"), "")
    extra = seg.extra.medians(w * walk.beyond) / 60.0
    nobody = np.where(np.isnan(extra) & (pop > 0), note("units.note.nobody_beyond"), "")
    for cell in (
        Cell("pop", pop, uom="persons"),
        Cell("pop_covered", cov, uom="persons", note=thr),
        Cell("coverage", share, uom="%", note=empty),
        Cell("pop_beyond", bey, uom="persons", note=thr),
        Cell("extra_median_min", extra, uom="min", note=nobody),
        Cell("pop_unreached", unr, uom="persons", note=no_path),
    ):
        rows.add(level, sel, key, cell)
    # times of the people with a path only: a no-path person is never a time
    times = seg.time
    fin = times.finite
    t_fin = np.where(fin, times.values, 0.0)
    wp = w[times.order] * fin
    q = seg_quantiles(t_fin, wp, times.starts, times.ends, (0.5, 0.9)) / 60.0
    gini = seg_gini(t_fin, wp, times.idx, times.starts, times.ends)
    t_note = np.where(
        (pop > 0) & (pop - unr <= 0),
        note("ind.note.nobody_has_a_path"),
        np.where(unr > 0, note("ind.note.no_path_left_out"), ""),
    )
    for metric, value, uom in (("time_median_min", q[0], "min"), ("time_p90_min", q[1], "min")):
        rows.add(level, sel, key, Cell(metric, value, uom=uom, note=t_note))
    rows.add(level, sel, key, Cell("gini_time", gini, note=t_note))


def _no_list_rows(
    rows: Rows, level: Level, people: Population, service: str, wanted: Sequence[str], *, top: bool
) -> None:
    """Rows of a service without a facility list: its population, and "no data" for the rest."""
    why = no_list_note(service)
    masks = people.masks()
    for area in AREAS:
        sel = area_units(level, area)
        if not sel.any():
            continue
        for grp in wanted:
            key = RowKey(area, service, grp)
            if grp in people.unknown:
                if top and area == "all":
                    _unknown_group_row(rows, level, sel, key)
                continue
            pop = np.bincount(level.idx, people.pops[grp] * masks[area], minlength=level.keys.size)
            rows.add(level, sel, key, Cell("pop", pop, uom="persons"))
            for metric, uom in REACH_METRICS:
                rows.add(level, sel, key, Cell(metric, np.nan, uom=uom, note=why, basis="no_data"))


@dataclass(frozen=True)
class _Ratio:
    """A service's ratio standard: per 1,000 (NaN: none), the group it applies to, its citation."""

    per_1000: float
    group: str
    source: str


def access_rows(
    rows: Rows,
    levels: list[Level],
    people: Population,
    access: Mapping[str, np.ndarray],
    groups: Mapping[str, Sequence[str]] | None,
    standards: Standards | None,
) -> None:
    """2SFCA rows: the population-weighted mean score per 1,000 and its Gini, per unit and group."""
    for svc in ordered(access):
        a = check_access(svc, access[svc], people.urban.size)
        std, base, src = standards.per_1000(svc) if standards else (None, "", "")
        ratio = _Ratio(np.nan if std is None else std, base, src)
        for level in with_demand(levels):
            _level_access(rows, level, people, (svc, a), groups_for(svc, groups), ratio)


def _level_access(
    rows: Rows,
    level: Level,
    people: Population,
    scores: tuple[str, np.ndarray],
    wanted: Sequence[str],
    ratio: _Ratio,
) -> None:
    """The access rows of one service (``scores``: its key and scores) at one level."""
    svc, a = scores
    g_n = level.keys.size
    seg = _Sorted.of(a, level)
    masks = people.masks()
    mean_note = note("ind.note.access_mean")
    for area in AREAS:
        sel = area_units(level, area)
        if not sel.any():
            continue
        for grp in wanted:
            if grp in people.unknown:
                continue
            w = people.pops[grp] * masks[area]
            pop = np.bincount(level.idx, w, minlength=g_n)
            total = np.bincount(level.idx, w * a, minlength=g_n)
            mean = np.divide(total, pop, out=np.full(g_n, np.nan), where=pop > 0)
            is_base = grp == ratio.group
            key = RowKey(area, svc, grp)
            target = ratio.per_1000 if is_base else np.nan
            source = ratio.source if is_base else ""
            cell = Cell(
                "access_per_1000", mean, uom="per 1,000", target=target, source=source, note=mean_note
            )
            rows.add(level, sel, key, cell)
            gini = seg_gini(seg.values, w[seg.order], seg.idx, seg.starts, seg.ends)
            rows.add(level, sel, key, Cell("gini_access", gini))
