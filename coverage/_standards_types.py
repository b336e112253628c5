"""The standards' types: rules, targets, documented figures and the `Standards` of a jurisdiction.

See `lifecircle.coverage.standards` for the field vocabulary; `standards_from_dict` builds the
types back from `Standards.to_dict`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from ..geodata.common import InputError, Msg, Note, say

#: Metric keys a `Target` may name (the same keys as the indicator table).
TARGET_METRICS: tuple[str, ...] = (
    "coverage",  # % of a group within its walking threshold
    "per_1000",  # beds per 1,000 elderly (elderly) or childcare places per 1,000 residents (childcare)
    "supply",  # total beds or childcare places
    "unit_share",  # % of units at a rule's level that meet the rule (needs ``rule``)
    "facilities",  # number of facilities counted by a rule (needs ``rule``)
    "nursing_share",  # % of beds that are nursing beds (facility list's nursing_beds, else documented)
    "puhui_share",  # % of beds or childcare places that are affordable (puhui)
    "puhui_supply",  # affordable (puhui) beds
    "social_share",  # % of elderly facilities run by social operators
    "social_bed_share",  # % of elderly beds run by social operators
    "public_bed_share",  # % of elderly beds run by the government
    "land_per_capita",  # elderly-care land per resident, m²
    "colocated_share",  # % of elderly facilities with a health facility near (integrated care)
    "new_residential_m2",  # elderly floor area per 100 households of new residential areas
    "new_residential_compliance",  # % of new residential areas whose facilities comply
    "new_residential_places",  # childcare places per 1,000 residents of new (or old) residential areas
    "reported",  # a percentage kept in the departments' records, not computed from spatial data
    "reported_count",  # a count kept in the departments' records (institutions, beds of a kind)
)

AREAS: tuple[str, ...] = ("all", "urban", "rural")
LEVELS: tuple[str, ...] = ("district", "street", "community")
COMPARISONS: tuple[str, ...] = (">=", "<=", "+")

#: The supply figure (``supply`` block of a profile) that counts each service's capacity.
SUPPLY_KEYS: dict[str, str] = {"elderly": "beds", "childcare": "places"}

#: Facility tiers the documents name (policy-digest §2): street or town centres (one per street),
#: community elderly complexes and regional town centres (003), community stations (one per
#: community), residential-compound points (001 task 8, 004), village mutual-aid points (one per
#: village), community childcare points and childcare institutions (§2.4). The names the
#: documents use for each are in the catalogue (``standards.tier_terms.<tier>``, see `tier_terms`).
TIERS: tuple[str, ...] = (
    "street_centre",
    "community_complex",
    "regional_centre",
    "community_station",
    "compound_point",
    "village_point",
    "community_point",
    "childcare_institution",
)


def key_list(keys: Sequence[str]) -> str | Msg:
    """Keys joined with ``, `` for a message, or the word for none."""
    return ", ".join(keys) if keys else Msg("standards.none")


@dataclass(frozen=True)
class Figure:
    """A documented number used as a population base or a supply, with its year and source.

    Attributes
    ----------
    key
        What it counts: a population group (``pop_total``, ``pop_60``, ``pop_80``, ``pop_0_3``) or a
        supply (``beds``, ``nursing_beds``, ``places`` = childcare places).
    value
        The count.
    year
        The year (or ``"YYYY-MM"``) the figure describes, e.g. ``2020`` for the 7th census or
        ``"2022-10"`` for a supply count; projections carry their target year.
    source
        Document code and clause (or "derived: …" for arithmetic on documented numbers).
    note
        What kind of figure it is (census, projection, derived) or a data-quality remark.
    block
        For a population figure, the profile's ``population`` block it comes from (``base``,
        ``projection``, …); "" for a supply.
    """

    key: str
    value: float
    year: int | str
    source: str
    note: str = ""
    block: str = ""

    @property
    def derived(self) -> bool:
        """True for arithmetic on documented numbers rather than a number the document states."""
        return self.note == "derived" or self.source.startswith("derived")


@dataclass(frozen=True)
class UnitRule:
    """A "one per unit" rule: every unit at ``level`` needs ``min_count`` facilities of ``tiers``.

    Attributes
    ----------
    key
        Stable identifier, used in the indicator table's ``rule`` column (e.g. ``"street_centre"``).
    service
        Service of the facilities counted.
    tiers
        Facility tiers that count (keys of `TIERS` or the tier strings of the facility table);
        empty means any facility of the service counts.
    level
        ``street`` (streets and towns) or ``community`` (communities and villages).
    area
        Which units the rule applies to: ``all``, ``urban`` (streets, communities) or ``rural``
        (towns and townships, villages).
    min_count
        Facilities each unit needs (1 for "one per unit").
    share_target
        Percent of units that must comply (100 for "every unit"; 65 for 003's regional centres).
    year
        Target year, or None when the document gives none.
    binding
        Binding (True), expected (False), or None when not stated.
    source
        Document code and clause.
    label_zh, label_en
        The rule in the document's words and in English.
    note
        Caveats (e.g. "implied, not stated").
    feature
        A yes/no column of the facility list a facility must have to count (``meal`` for meal
        service, ``day_care`` for day care); "" when any facility of the tiers counts.
    """

    key: str
    service: str
    tiers: tuple[str, ...]
    level: str
    area: str = "all"
    min_count: int = 1
    share_target: float = 100.0
    year: int | None = None
    binding: bool | None = None
    source: str = ""
    label_zh: str = ""
    label_en: str = ""
    note: str = ""
    feature: str = ""

    def __post_init__(self) -> None:
        if self.level not in ("street", "community"):
            raise InputError("standards.rule_bad_level", key=repr(self.key), level=repr(self.level))
        if self.area not in AREAS:
            raise InputError(
                "standards.rule_bad_area", key=repr(self.key), area=repr(self.area), areas=", ".join(AREAS)
            )
        if self.min_count < 1:
            raise InputError("standards.rule_min_count", key=repr(self.key))


@dataclass(frozen=True)
class Target:
    """One row of a plan's indicator table: a metric, its target, attribute and source.

    Attributes
    ----------
    metric
        Indicator key (`TARGET_METRICS`).
    value
        Target value: percent for ``coverage``/``unit_share``/``nursing_share``, per 1,000 for
        ``per_1000``, a count for ``supply``/``facilities``; with ``comparison="+"``, the increase.
    year
        Target year.
    binding
        Binding (True), expected (False), or None when the document gives no attribute.
    lead_unit
        The lead agency where the digest names it, else "".
    source
        Document code and clause.
    service, group, area
        Which service, population group and demand subset the metric is measured on.
    rule
        For ``unit_share`` and ``facilities``: the `UnitRule.key` it refers to.
    baseline, baseline_year
        The plan's baseline value and its year, when the digest gives them.
    comparison
        ``">="`` (at least), ``"<="`` (at most) or ``"+"`` (increase over ``baseline``).
    label_zh, label_en
        The indicator's name in the plan's own words and in English.
    note
        Data-quality remarks (e.g. conflicting figures in the document).
    """

    metric: str
    value: float
    year: int
    binding: bool | None
    lead_unit: str
    source: str
    service: str = "elderly"
    group: str = ""
    area: str = "all"
    rule: str = ""
    baseline: float | None = None
    baseline_year: int | str | None = None
    comparison: str = ">="
    label_zh: str = ""
    label_en: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.metric not in TARGET_METRICS:
            raise InputError(
                "standards.target_bad_metric",
                name=repr(self.label_en or self.metric),
                metric=repr(self.metric),
                metrics=", ".join(TARGET_METRICS),
            )
        if self.comparison not in COMPARISONS:
            raise InputError(
                "standards.target_bad_comparison", metric=repr(self.metric), comparison=repr(self.comparison)
            )
        if self.comparison == "+" and self.baseline is None:
            raise InputError("standards.target_needs_baseline", metric=repr(self.metric))
        if self.area not in AREAS:
            raise InputError(
                "standards.target_bad_area",
                metric=repr(self.metric),
                area=repr(self.area),
                areas=", ".join(AREAS),
            )
        if self.metric in ("unit_share", "facilities") and not self.rule:
            raise InputError("standards.target_needs_rule", metric=repr(self.metric))

    @property
    def attribute_zh(self) -> str:
        """The attribute in Chinese: binding, expected or a dash (`attribute`)."""
        return self.attribute("zh")

    def attribute(self, lang: str = "zh") -> str:
        """The attribute in ``lang``: binding, expected or a dash where the document gives none."""
        return say(f"standards.binding.{str(self.binding).lower()}", lang)

    @property
    def goal(self) -> float:
        """The absolute value to reach (baseline + value for an increase target)."""
        if self.comparison == "+":
            return float(self.baseline) + self.value  # type: ignore[arg-type]
        return self.value


@dataclass(frozen=True)
class Standards:
    """The standards one jurisdiction is judged against.

    Attributes
    ----------
    key
        Identifier (``yuzhong``, ``jiulongpo``, ``chongqing``, ``shapingba``, ``bazhong``).
    name_zh, name_en
        Jurisdiction name.
    document
        Code of the governing document (``"000"`` … ``"004"``).
    adcode
        Administrative code of the jurisdiction.
    circle_min_urban, circle_min_rural
        Walking minutes of the elderly service circle in urban and rural communities; None where the
        document sets none (e.g. no rural communities, or no separate rural time).
    circle_source
        Citation of the circle times.
    beds_per_1000_elderly
        Elderly beds per 1,000 elderly, None where the document sets none.
    beds_group
        Population column the bed ratio is per (``pop_60``: the plans count elderly as aged 60+).
    beds_year, beds_binding, beds_source
        Target year, attribute and citation of the bed ratio.
    beds_base, beds_base_note
        The ``population`` block (``base``, ``projection``) whose 60+ figure the document applies
        the bed ratio to when it states a bed gap, and why: the document's words, or the choice
        stated as an assumption where the document does not say.
    places_per_1000
        Childcare places per 1,000 residents, None where the document sets none.
    places_group
        Population column the childcare-place ratio is per (``pop_total``).
    places_year, places_binding, places_source
        Target year, attribute and citation of the childcare-place ratio.
    places_base, places_base_note
        The ``population`` block the document applies the childcare-place ratio to, and why.
    places_per_1000_new_residential, places_per_1000_old_areas, places_area_source
        003's ratios for new residential areas (≥10) and built-up areas (≥8), with citation.
    nursing_share_pct, nursing_year, nursing_binding, nursing_source
        Minimum share of nursing beds and its year, attribute and citation.
    land_m2_per_capita, land_source
        Elderly-care land per capita (m²) and citation.
    colocation_m, colocation_source
        Straight-line distance within which an elderly facility and a health facility count as
        co-located ("integrated or adjacent"; an assumption: no document gives a distance), and
        its source.
    one_per_unit
        The "one per unit" rules (`UnitRule`).
    coverage_targets
        The plan's indicator rows (`Target`): coverage, ratios, totals, unit shares.
    figures
        Documented population bases and supplies (`Figure`) for gap calculations.
    notes
        Data-quality flags the documents raise (policy-digest §7 item 18).
    """

    key: str
    name_zh: str
    name_en: str
    document: str
    adcode: str
    circle_min_urban: float | None = None
    circle_min_rural: float | None = None
    circle_source: str = ""
    beds_per_1000_elderly: float | None = None
    beds_group: str = "pop_60"
    beds_year: int | None = None
    beds_binding: bool | None = None
    beds_source: str = ""
    beds_base: str = ""
    beds_base_note: str = ""
    places_per_1000: float | None = None
    places_group: str = "pop_total"
    places_year: int | None = None
    places_binding: bool | None = None
    places_source: str = ""
    places_base: str = ""
    places_base_note: str = ""
    places_per_1000_new_residential: float | None = None
    places_per_1000_old_areas: float | None = None
    places_area_source: str = ""
    nursing_share_pct: float | None = None
    nursing_year: int | None = None
    nursing_binding: bool | None = None
    nursing_source: str = ""
    land_m2_per_capita: float | None = None
    land_source: str = ""
    colocation_m: float | None = None
    colocation_source: str = ""
    one_per_unit: tuple[UnitRule, ...] = ()
    coverage_targets: tuple[Target, ...] = ()
    figures: tuple[Figure, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        keys = [r.key for r in self.one_per_unit]
        if len(set(keys)) != len(keys):
            raise InputError("standards.rule_keys_repeat", key=self.key, keys=", ".join(keys))
        known = set(keys)
        for t in self.coverage_targets:
            if t.rule and t.rule not in known:
                raise InputError(
                    "standards.target_unknown_rule",
                    key=self.key,
                    name=repr(t.label_en or t.metric),
                    rule=repr(t.rule),
                    keys=key_list(keys),
                )

    def per_1000(self, service: str) -> tuple[float | None, str, str]:
        """The ratio standard of ``service``: (value per 1,000, population column, citation)."""
        if service == "elderly":
            return self.beds_per_1000_elderly, self.beds_group, self.beds_source
        if service == "childcare":
            return self.places_per_1000, self.places_group, self.places_source
        return None, "pop_total", ""

    def population_base(self, service: str) -> tuple[Figure | None, str]:
        """The population figure the document applies ``service``'s ratio to, and why.

        Returns ``(figure, note)``: the figure of the ratio's group from the block the profile
        names (``beds_base`` / ``places_base``), with the profile's note. Where the profile names
        no block, the first documented figure of the group, with a note saying the choice is an
        assumption. ``(None, "")`` where the service has no ratio or no documented population.
        """
        per, group, _ = self.per_1000(service)
        if per is None:
            return None, ""
        block, why = (
            (self.beds_base, self.beds_base_note)
            if service == "elderly"
            else (self.places_base, self.places_base_note)
        )
        figs = [f for f in self.figures if f.key == group]
        if not figs:
            return None, ""
        named = [f for f in figs if block and f.block == block]
        if named:
            return named[0], why
        f = figs[0]
        return f, Note(
            "standards.base_assumed", document=self.document, group=group, value=f.value, year=f.year
        )

    def current_population(self, group: str) -> Figure | None:
        """The first documented figure of ``group`` (the profiles list the census base first)."""
        return next((f for f in self.figures if f.key == group and f.block != "projection"), None)

    def documented_supply(self, service: str, near: float | None = None) -> Figure | None:
        """The documented supply of ``service`` (beds, places), None where the document gives none.

        The figure equal to ``near`` (a target's baseline) when one is, else the first listed.
        """
        key = SUPPLY_KEYS.get(service, "")
        figs = [f for f in self.figures if f.key == key]
        if near is not None:
            same = [f for f in figs if abs(f.value - near) < 0.5]
            if same:
                return same[0]
        return figs[0] if figs else None

    def figure(self, key: str, year: int | str | None = None) -> Figure:
        """The documented figure ``key`` (of ``year`` when given; else the first listed)."""
        for f in self.figures:
            if f.key == key and (year is None or str(f.year) == str(year)):
                return f
        have = key_list([f"{f.key}@{f.year}" for f in self.figures])
        if year is None:
            raise InputError("standards.no_figure", key=self.key, name=repr(key), have=have)
        raise InputError("standards.no_figure_of_year", key=self.key, name=repr(key), year=year, have=have)

    def rule(self, key: str) -> UnitRule:
        """The unit rule called ``key``."""
        for r in self.one_per_unit:
            if r.key == key:
                return r
        raise InputError("standards.no_rule", key=self.key, name=repr(key))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (lists and dicts) for YAML or JSON."""
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------------------------------
# building from plain data


def _build(cls: type, data: Mapping[str, Any], where: str) -> Any:
    """``cls(**data)``, or `InputError` naming the unknown or missing fields."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise InputError(
            "standards.unknown_fields",
            where=where,
            unknown=", ".join(unknown),
            fields=", ".join(sorted(names)),
        )
    try:
        return cls(**data)
    except TypeError as exc:
        raise InputError("standards.missing_fields", where=where, error=str(exc)) from None


def standards_from_dict(data: Mapping[str, Any], *, where: str = "standards") -> Standards:
    """Build `Standards` from plain data (the output of `Standards.to_dict`, or YAML of that shape).

    Raises
    ------
    InputError
        Naming the unknown or missing field.
    """
    d = dict(data)
    rules = tuple(
        _build(UnitRule, {**r, "tiers": tuple(r.get("tiers", ()))}, f"{where}: one_per_unit[{i}]")
        for i, r in enumerate(d.pop("one_per_unit", ()) or ())
    )
    targets = tuple(
        _build(Target, t, f"{where}: coverage_targets[{i}]")
        for i, t in enumerate(d.pop("coverage_targets", ()) or ())
    )
    figures = tuple(
        _build(Figure, f, f"{where}: figures[{i}]") for i, f in enumerate(d.pop("figures", ()) or ())
    )
    d["notes"] = tuple(d.get("notes", ()) or ())
    return _build(
        Standards, {**d, "one_per_unit": rules, "coverage_targets": targets, "figures": figures}, where
    )


# --------------------------------------------------------------------------------------------------
# tier matching


@cache
def tier_terms(tier: str) -> tuple[str, ...]:
    """The names a facility table may give ``tier`` by (the documents' names and the tool's own).

    Read from the catalogue entry ``standards.tier_terms.<tier>``: its Chinese list holds the
    documents' names, its English list the tool's spellings. Empty for a tier not in `TIERS`.
    """
    if tier not in TIERS:
        return ()
    return tuple(
        name.strip()
        for lang in ("zh", "en")
        for name in say(f"standards.tier_terms.{tier}", lang).split(say("sep.list", lang))
    )


def tier_mask(tiers: Iterable[Any], wanted: tuple[str, ...]) -> np.ndarray:
    """Boolean array: which facility ``tiers`` count for a rule listing ``wanted`` tiers.

    A tier counts when it equals a wanted key or one of that key's names (`tier_terms`),
    compared case-insensitively after trimming. An empty ``wanted`` accepts every tier.
    """
    values = np.asarray([("" if v is None else str(v)).strip().casefold() for v in tiers], dtype=object)
    if not wanted:
        return np.ones(len(values), dtype=bool)
    accepted = set()
    for w in wanted:
        accepted.add(w.strip().casefold())
        accepted.update(s.casefold() for s in tier_terms(w))
    return np.isin(values, list(accepted))
