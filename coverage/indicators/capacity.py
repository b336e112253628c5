"""Capacity rows of the indicator table: supply, supply per 1,000, need at the standard, and gap.

need = standard × population / 1,000 and gap = need − supply, with population the standard's group
(60+ for beds, all residents for childcare places) summed over the demand of the unit, and supply
the capacities of the facilities that count. Missing data is never a zero: a supply the run cannot
know is NaN marked ``no_data``. On the jurisdiction's own district row, when the study area holds
the documented population (within `SAME_AREA_TOLERANCE`), the profile's documented supply stands
in for a missing one and need and gap use the population base the document applies the ratio to,
marked ``documented``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...geodata.common import Msg
from ...geodata.schema import SERVICES
from ..standards import Figure, Standards
from .inputs import Population, capacities, ordered
from .notes import Words, kind_word, no_group_note, note, uom_word
from .rows import Cell, PopBase, RowKey, Rows
from .units import Level, Paths, facility_units

#: The study area counts as the whole jurisdiction (so the documented supply and population base
#: apply to the jurisdiction's row) when its population is within this share of the documented one.
SAME_AREA_TOLERANCE = 0.10
#: The population group a service's ratio applies to when the standards name none.
BASE_GROUPS = {"elderly": "pop_60", "childcare": "pop_total"}


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


def _as_of(date: object) -> Msg | str:
    """The date suffix of a source (", 2020"), or nothing."""
    return Msg("ind.note.as_of", date=date) if date != "" else ""


def figure_text(fig: Figure) -> Msg:
    """A documented figure with its year, kind and source: ``pop_60 125,000 (2025 projection; …)``."""
    kind = fig.note or fig.block
    kind_part = Msg("ind.figure.kind", kind=kind_word(kind)) if kind else ""
    return Msg("ind.figure", key=fig.key, value=fig.value, year=fig.year, kind=kind_part, source=fig.source)


def table_uom(service: str) -> str:
    """The unit of measure of a service's capacity rows: ``beds`` or ``places`` (childcare places).

    Like every unit of the long table it is a code; the outputs a planner reads label it.
    """
    return "beds" if service == "elderly" else "places"


@dataclass(frozen=True)
class _Service:
    """One service's capacity inputs: its standard and the facilities that count."""

    service: str
    group: str
    per_1000: float | None
    source: str
    listed: bool
    chosen: np.ndarray
    documented: Figure | None
    notes: dict[str, str]


@dataclass
class _Supply:
    """Supply per unit: value (NaN: unknown), note, basis, source, facilities of unknown capacity."""

    value: np.ndarray
    note: np.ndarray
    basis: np.ndarray
    source: np.ndarray
    unknown: np.ndarray


@dataclass
class _Base:
    """A population base per unit (count, year, source, basis, note); one row may be documented."""

    pop: np.ndarray
    year: np.ndarray
    source: np.ndarray
    basis: np.ndarray
    note: np.ndarray

    @classmethod
    def of(cls, pop: np.ndarray, known: bool, prov: Provenance, why: str) -> _Base:
        g_n = pop.size
        return cls(
            pop.copy(),
            np.full(g_n, str(prov.population_year), dtype=object),
            np.full(g_n, prov.population_source, dtype=object),
            np.full(g_n, "computed" if known else "no_data", dtype=object),
            np.full(g_n, why, dtype=object),
        )

    def document(self, j: int, fig: Figure, why: str) -> None:
        """Use the documented ``fig`` on row ``j``."""
        self.pop[j], self.year[j], self.source[j], self.basis[j] = (
            fig.value,
            str(fig.year),
            fig.source,
            "documented",
        )
        self.note[j] = why

    def columns(self) -> PopBase:
        return PopBase(self.pop, self.year, self.source)


def capacity_rows(
    rows: Rows,
    levels: list[Level],
    people: Population,
    fac_paths: Paths,
    facilities: pd.DataFrame,
    standards: Standards | None,
    statuses: Sequence[str],
    prov: Provenance,
) -> None:
    """Supply, per-1,000, need and gap rows of elderly care and childcare in every unit."""
    cap = capacities(facilities)
    service = facilities["service"].astype(str).to_numpy()
    status = np.isin(facilities["status"].astype(str).to_numpy(), list(statuses))
    svcs = [s for s in ordered(sorted(set(service[status]) | {"elderly", "childcare"})) if s in SERVICES]
    for svc in svcs:
        inputs = _service(svc, service, status, standards, (statuses, prov))
        if inputs is None:
            continue
        for level in levels:
            supply = _supply(level, inputs, cap, fac_paths)
            _level_rows(rows, level, inputs, supply, (people, standards, prov))


def _service(
    svc: str,
    service: np.ndarray,
    status: np.ndarray,
    standards: Standards | None,
    how: tuple[Sequence[str], Provenance],
) -> _Service | None:
    """The capacity inputs of ``svc`` (None: no facility, standard or documented supply of it)."""
    statuses, prov = how
    std, grp, std_src = standards.per_1000(svc) if standards else (None, BASE_GROUPS[svc], "")
    grp = grp or BASE_GROUPS[svc]
    chosen = (service == svc) & status
    doc = standards.documented_supply(svc) if standards else None
    if not chosen.any() and std is None and doc is None:
        return None
    uom = uom_word(svc)
    notes = {
        "supply": note(
            "ind.note.supply",
            statuses=Words(tuple(statuses)),
            service=svc,
            source=prov.supply_source,
            date=_as_of(prov.supply_date),
        ),
        "base": note(
            "ind.note.base", group=grp, source=prov.population_source, year=_as_of(prov.population_year)
        ),
        "no_list": note("ind.note.no_data_needs", needs=Msg("ind.lack.capacity_list", service=svc, uom=uom)),
        "blind": note("ind.note.no_data_needs", needs=Msg("ind.lack.capacity", service=svc, uom=uom)),
    }
    listed = bool((service == svc).any())  # the facility list covers this service
    return _Service(svc, grp, std, std_src, listed, chosen, doc, notes)


def _supply(level: Level, svc: _Service, cap: np.ndarray, fac_paths: Paths) -> _Supply:
    """The facility list's capacities per unit; NaN where the list is missing or gives none."""
    g_n = level.keys.size
    fidx = facility_units(level, fac_paths, svc.chosen)
    c = cap[svc.chosen]
    placed = fidx >= 0
    known = placed & ~np.isnan(c)
    n_fac = np.bincount(fidx[placed], minlength=g_n).astype(float)
    n_unknown = np.bincount(fidx[placed & np.isnan(c)], minlength=g_n).astype(float)
    lost = int((~placed).sum())
    if svc.listed:
        value = np.bincount(fidx[known], c[known], minlength=g_n).astype(float)
        blind = (n_fac > 0) & (n_unknown == n_fac)
        value[blind] = np.nan
        listed_note = svc.notes["supply"]
        if lost:
            listed_note += "; " + note("ind.note.no_code", n=lost, level=level.scope)
        s_note = np.where(blind, svc.notes["blind"], listed_note)
    else:
        value = np.full(g_n, np.nan)
        s_note = np.full(g_n, svc.notes["no_list"], dtype=object)
    basis = np.where(np.isnan(value), "no_data", "computed").astype(object)
    return _Supply(value, s_note.astype(object), basis, np.full(g_n, "", dtype=object), n_unknown)


def _level_rows(
    rows: Rows,
    level: Level,
    svc: _Service,
    supply: _Supply,
    context: tuple[Population, Standards | None, Provenance],
) -> None:
    """The capacity rows of one service at one level."""
    people, standards, prov = context
    grp, g_n = svc.group, level.keys.size
    known = grp in people.pops
    pop = np.bincount(level.idx, people.pops[grp], minlength=g_n) if known else np.full(g_n, np.nan)
    why = svc.notes["base"] if known else no_group_note(grp)
    # population bases: the demand table's, except the documented ones on the jurisdiction's row
    ratio_base, need_base = _Base.of(pop, known, prov, why), _Base.of(pop, known, prov, why)
    j, why_not = jurisdiction_row(level, standards, people)
    if why_not and standards is not None:
        own = level.unit == standards.adcode
        supply.note = np.where(own, supply.note + "; " + why_not, supply.note)
    if j >= 0 and standards is not None:
        _documented(j, svc, standards, supply, (ratio_base, need_base))
    _write(rows, level, svc, supply, (ratio_base, need_base), documented_row=j)


def _documented(
    j: int, svc: _Service, standards: Standards, supply: _Supply, bases: tuple[_Base, _Base]
) -> None:
    """On the jurisdiction's row ``j``: the documented supply where the run has none, and bases."""
    ratio_base, need_base = bases
    doc = svc.documented
    if doc is not None and np.isnan(supply.value[j]):
        lack = "capacity_list" if not svc.listed else "capacity"
        uom = uom_word(svc.service)
        supply.value[j], supply.basis[j], supply.source[j] = doc.value, "documented", doc.source
        supply.note[j] = note(
            "ind.note.documented_supply",
            value=doc.value,
            uom=uom,
            year=doc.year,
            source=doc.source,
            service=svc.service,
            needs=Msg(f"ind.lack.{lack}", service=svc.service, uom=uom),
        )
    cur = standards.current_population(svc.group)
    if supply.basis[j] == "documented" and cur is not None:
        ratio_base.document(j, cur, note("ind.note.documented_ratio", figure=figure_text(cur)))
    fig, why = standards.population_base(svc.service)
    if fig is not None:
        if why:
            n_note = note("ind.note.document_base_why", figure=figure_text(fig), why=why)
        else:
            n_note = note("ind.note.document_base", figure=figure_text(fig))
        need_base.document(j, fig, n_note)


def _write(
    rows: Rows,
    level: Level,
    svc: _Service,
    supply: _Supply,
    bases: tuple[_Base, _Base],
    *,
    documented_row: int,
) -> None:
    """Supply, facilities of unknown capacity, per-1,000, need and gap rows of one service."""
    ratio_base, need_base = bases
    g_n = level.keys.size
    every = np.ones(g_n, dtype=bool)
    key = RowKey("all", svc.service, svc.group)
    uom = table_uom(svc.service)
    rows.add(
        level,
        every,
        key,
        Cell("supply", supply.value, uom=uom, source=supply.source, note=supply.note, basis=supply.basis),
    )
    if svc.listed:
        rows.add(level, every, key, Cell("supply_unknown", supply.unknown, uom="facilities"))
    ratio = np.divide(
        1000.0 * supply.value, ratio_base.pop, out=np.full(g_n, np.nan), where=ratio_base.pop > 0
    )
    per_1000 = Cell(
        "per_1000",
        ratio,
        uom=f"{uom} per 1,000",
        target=np.nan if svc.per_1000 is None else svc.per_1000,
        source=svc.source,
        note=np.where(supply.basis == "no_data", supply.note, ratio_base.note),
        basis=combined(supply.basis, ratio_base.basis),
        base=ratio_base.columns(),
    )
    rows.add(level, every, key, per_1000)
    if svc.per_1000 is None:
        return
    need = svc.per_1000 * need_base.pop / 1000.0
    j = documented_row
    if j >= 0 and need_base.basis[j] == "documented":  # whole beds or places, rounded up as the documents do
        need[j] = math.ceil(need[j] - 1e-9)
    base = need_base.columns()
    need_cell = Cell(
        "need", need, uom=uom, source=svc.source, note=need_base.note, basis=need_base.basis, base=base
    )
    rows.add(level, every, key, need_cell)
    rows.add(level, every, key, _gap_cell(need - supply.value, supply, need_base, (uom, svc.source)))


def _gap_cell(gap: np.ndarray, supply: _Supply, need_base: _Base, uom_source: tuple[str, str]) -> Cell:
    """The gap row: need − supply, with the notes of both (no data where either is unknown)."""
    uom, source = uom_source
    basis = combined(supply.basis, need_base.basis)
    unknown = np.where(
        supply.unknown > 0,
        ["; " + note("ind.note.unknown_capacity", n=k) for k in supply.unknown],
        "",
    )
    said = note("ind.note.gap") + "; " + need_base.note + "; " + supply.note + unknown
    why = np.where(basis == "no_data", np.where(supply.basis == "no_data", supply.note, need_base.note), said)
    return Cell("gap", gap, uom=uom, source=source, note=why, basis=basis, base=need_base.columns())


def jurisdiction_row(level: Level, standards: Standards | None, people: Population) -> tuple[int, str]:
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
        if ref is None or ref.value <= 0 or grp in people.unknown or grp not in people.pops:
            continue
        have = float(people.pops[grp][level.idx == j].sum())
        if abs(have - ref.value) <= SAME_AREA_TOLERANCE * ref.value:
            return j, ""
        return -1, note(
            "ind.note.not_the_jurisdiction", have=have, group=grp, documented=ref.value, year=ref.year
        )
    return -1, note("ind.note.no_documented_population")


def combined(*bases: np.ndarray) -> np.ndarray:
    """Basis of a value computed from parts: no_data if any part is, documented if any part is."""
    stack = np.stack([np.asarray(b, dtype=object) for b in bases])
    return np.where(
        (stack == "no_data").any(axis=0),
        "no_data",
        np.where((stack == "documented").any(axis=0), "documented", "computed"),
    ).astype(object)
