"""Planning standards a jurisdiction is judged against: ratios, one-per-unit rules, targets, figures.

The numbers themselves are data: the jurisdiction profiles (YAML presets shipped with
``lifecircle.scenarios``, or a user's profile file) hold them, each citing
``"<document code> <clause>"`` from ``shared/docs/policy-digest.md``: 000 Jiulongpo
(九龙坡府发〔2023〕2号), 001 Yuzhong (2022-12-29), 002 Shapingba (沙府办发〔2020〕56号), 003 Bazhong
(Sichuan), 004 Chongqing municipal 14th FYP (渝府发〔2022〕15号). `standards_from_profile` turns a
profile into a `Standards` object; `Standards.to_dict` / `standards_from_dict` round-trip.

Field vocabulary shared with the indicator table (`lifecircle.coverage.indicators`):

- ``service``: ``elderly`` or ``childcare``.
- ``group``: a population column of the demand table: ``pop_total``, ``pop_60``, ``pop_80``, ``pop_0_3``.
- ``area``: which demand a target is measured over: ``all``, ``urban`` (街道/社区) or ``rural`` (镇/乡/村).
- ``level``: ``district``, ``street`` (街道/镇/乡) or ``community`` (社区/村).
- ``metric``: a metric key of the indicator table (see `TARGET_METRICS`).
- ``binding``: True for 约束性, False for 预期性, None where the document states no attribute ("—").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..geodata.common import InputError, Note

#: Metric keys a `Target` may name (the same keys as the indicator table).
TARGET_METRICS: tuple[str, ...] = (
    "coverage",  # % of a group within its walking threshold
    "per_1000",  # beds per 1,000 elderly (elderly) or 托位 per 1,000 residents (childcare)
    "supply",  # total beds or 托位
    "unit_share",  # % of units at a rule's level that meet the rule (needs ``rule``)
    "facilities",  # number of facilities counted by a rule (needs ``rule``)
    "nursing_share",  # % of beds that are nursing beds (reported, not computed from the map)
)

AREAS: tuple[str, ...] = ("all", "urban", "rural")
LEVELS: tuple[str, ...] = ("district", "street", "community")
COMPARISONS: tuple[str, ...] = (">=", "<=", "+")

#: The supply figure (``supply`` block of a profile) that counts each service's capacity.
SUPPLY_KEYS: dict[str, str] = {"elderly": "beds", "childcare": "places"}

#: Facility tiers and the names the documents use for them (policy-digest §2). A facility counts
#: for a tier when its ``tier`` value equals the key or one of these names (case-insensitive).
TIER_TERMS: dict[str, tuple[str, ...]] = {
    # street / town level (一街道一中心, 一镇街一中心)
    "street_centre": (
        "街道养老服务中心",
        "区域性街道养老服务中心",
        "街道养老服务综合体",
        "镇街养老服务中心",
        "乡镇养老服务中心",
        "镇养老服务中心",
        "养老服务中心",
        "town_centre",
    ),
    # 003: community elderly complex in every urban street (社区养老服务综合体)
    "community_complex": ("社区养老服务综合体",),
    # 003: regional centre in towns (乡镇农村区域性养老服务中心 / 区域性养老服务中心)
    "regional_centre": ("区域性养老服务中心", "乡镇农村区域性养老服务中心"),
    # community level (一社区一站点)
    "community_station": ("社区养老服务站", "城镇社区养老服务站", "社区日间照料中心", "日间照料中心"),
    # residential compound (小区养老服务点), 001 task 8, 004
    "compound_point": ("小区养老服务点",),
    # village level (每个村设置1个互助养老点)
    "village_point": (
        "村级互助养老点",
        "村级养老互助点",
        "互助养老点",
        "村级养老服务站",
        "互助养老服务站",
        "村组互助养老站",
        "农村幸福院",
    ),
    # childcare (policy-digest §2.4)
    "community_point": ("社区托育点", "社区托育服务点", "嵌入式社区普惠托育服务点", "家庭托育点"),
    "childcare_institution": (
        "托育机构",
        "普惠性托育机构",
        "示范性托育机构",
        "托育服务中心",
        "婴幼儿照护中心",
    ),
}


@dataclass(frozen=True)
class Figure:
    """A documented number used as a population base or a supply, with its year and source.

    Attributes
    ----------
    key
        What it counts: a population group (``pop_total``, ``pop_60``, ``pop_80``, ``pop_0_3``) or a
        supply (``beds``, ``nursing_beds``, ``places`` = 托位).
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
        Facility tiers that count (keys of `TIER_TERMS` or the tier strings of the facility table);
        empty means any facility of the service counts.
    level
        ``street`` (街道/镇) or ``community`` (社区/村).
    area
        Which units the rule applies to: ``all``, ``urban`` (街道, 社区) or ``rural`` (镇/乡, 村).
    min_count
        Facilities each unit needs (1 for "one per unit").
    share_target
        Percent of units that must comply (100 for "every unit"; 65 for 003's regional centres).
    year
        Target year, or None when the document gives none.
    binding
        约束性 (True), 预期性 (False), or None when not stated.
    source
        Document code and clause.
    label_zh, label_en
        The rule in the document's words and in English.
    note
        Caveats (e.g. "implied, not stated").
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

    def __post_init__(self) -> None:
        if self.level not in ("street", "community"):
            raise InputError(
                f"unit rule {self.key!r}: level {self.level!r} is not street or community.",
                zh=(
                    f"单元配置规则 {self.key!r}：层级 level {self.level!r} "
                    "不是 street（街道）或 community（社区），请改为其中之一。"
                ),
            )
        if self.area not in AREAS:
            raise InputError(
                f"unit rule {self.key!r}: area {self.area!r} is not one of {', '.join(AREAS)}.",
                zh=f"单元配置规则 {self.key!r}：范围 area {self.area!r} 不在 {', '.join(AREAS)} 之中，"
                "请改为其中之一。",
            )
        if self.min_count < 1:
            raise InputError(
                f"unit rule {self.key!r}: min_count must be at least 1.",
                zh=f"单元配置规则 {self.key!r}：min_count 至少为 1。",
            )


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
        约束性 (True), 预期性 (False), or None when the document gives no attribute.
    lead_unit
        牵头单位 (lead agency) where the digest names it, else "".
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
        The indicator's name in the plan (原文) and in English.
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
                f"target {self.label_en or self.metric!r}: metric {self.metric!r} is not one of "
                f"{', '.join(TARGET_METRICS)}.",
                zh=(
                    f"指标 {self.label_en or self.metric!r}：metric {self.metric!r} 不在 "
                    f"{', '.join(TARGET_METRICS)} 之中，请改为其中之一。"
                ),
            )
        if self.comparison not in COMPARISONS:
            raise InputError(
                f"target {self.metric!r}: comparison {self.comparison!r} is not >=, <= or +.",
                zh=(
                    f"指标 {self.metric!r}：比较方式 comparison {self.comparison!r} "
                    "不是 >=、<= 或 +，请改为其中之一。"
                ),
            )
        if self.comparison == "+" and self.baseline is None:
            raise InputError(
                f"target {self.metric!r}: an increase target (+) needs a baseline.",
                zh=f"指标 {self.metric!r}：增量目标（+）需要基期值，请填写 baseline。",
            )
        if self.area not in AREAS:
            raise InputError(
                f"target {self.metric!r}: area {self.area!r} is not one of {', '.join(AREAS)}.",
                zh=(
                    f"指标 {self.metric!r}：范围 area {self.area!r} 不在 {', '.join(AREAS)} 之中，"
                    "请改为其中之一。"
                ),
            )
        if self.metric in ("unit_share", "facilities") and not self.rule:
            raise InputError(
                f"target {self.metric!r}: name the unit rule it counts (field rule).",
                zh=f"指标 {self.metric!r}：请在 rule 字段中写明其统计的单元配置规则。",
            )

    @property
    def attribute_zh(self) -> str:
        """约束性, 预期性 or —."""
        return {True: "约束性", False: "预期性"}.get(self.binding, "—")  # type: ignore[arg-type]

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
        Elderly beds per 1,000 elderly (每千名老年人养老床位数), None where the document sets none.
    beds_group
        Population column the bed ratio is per (``pop_60``: the plans count elderly as aged 60+).
    beds_year, beds_binding, beds_source
        Target year, attribute and citation of the bed ratio.
    beds_base, beds_base_note
        The ``population`` block (``base``, ``projection``) whose 60+ figure the document applies
        the bed ratio to when it states a bed gap, and why: the document's words, or the choice
        stated as an assumption where the document does not say.
    places_per_1000
        托位 per 1,000 residents (每千人口托位数), None where the document sets none.
    places_group
        Population column the 托位 ratio is per (``pop_total``).
    places_year, places_binding, places_source
        Target year, attribute and citation of the 托位 ratio.
    places_base, places_base_note
        The ``population`` block the document applies the 托位 ratio to, and why.
    places_per_1000_new_residential, places_per_1000_old_areas, places_area_source
        003's ratios for new residential areas (≥10) and built-up areas (≥8), with citation.
    nursing_share_pct, nursing_year, nursing_binding, nursing_source
        Minimum share of nursing beds (护理型床位占比) and its year, attribute and citation.
    land_m2_per_capita, land_source
        Elderly-care land per capita (人均养老用地, m²) and citation.
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
    one_per_unit: tuple[UnitRule, ...] = ()
    coverage_targets: tuple[Target, ...] = ()
    figures: tuple[Figure, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        keys = [r.key for r in self.one_per_unit]
        if len(set(keys)) != len(keys):
            raise InputError(
                f"standards {self.key}: unit rule keys repeat ({', '.join(keys)}); make them unique.",
                zh=f"标准 {self.key}：单元配置规则的 key 有重复（{', '.join(keys)}），请使其唯一。",
            )
        known = set(keys)
        for t in self.coverage_targets:
            if t.rule and t.rule not in known:
                raise InputError(
                    f"standards {self.key}: target {t.label_en or t.metric!r} names rule {t.rule!r}, "
                    f"which is not among the unit rules ({', '.join(keys) or 'none'}).",
                    zh=(
                        f"标准 {self.key}：指标 {t.label_en or t.metric!r} 引用的规则 {t.rule!r} "
                        f"不在单元配置规则之中（{', '.join(keys) or '无'}），请改为其中之一。"
                    ),
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
            f"assumption: the profile does not say which population {self.document} applies the ratio "
            f"to; its first {group} figure ({f.value:,.0f}, {f.year}) is used",
            f"假设：配置未说明 {self.document} 以哪一人口基数计算该比例；取其第一个 {group} 数据"
            f"（{f.value:,.0f}，{f.year} 年）",
        )

    def current_population(self, group: str) -> Figure | None:
        """The first documented figure of ``group`` (the profiles list the census base first)."""
        return next((f for f in self.figures if f.key == group and f.block != "projection"), None)

    def documented_supply(self, service: str, near: float | None = None) -> Figure | None:
        """The documented supply of ``service`` (beds, 托位), None where the document gives none.

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
        have = ", ".join(f"{f.key}@{f.year}" for f in self.figures) or "none"
        when_zh = "" if year is None else f" {year} 年的"
        raise InputError(
            f"standards {self.key}: no figure {key!r} for year {year}; documented: {have}.",
            zh=(
                f"标准 {self.key}：没有{when_zh}数据 {key!r}；"
                f"文件中有的是：{'无' if have == 'none' else have}。"
            ),
        )

    def rule(self, key: str) -> UnitRule:
        """The unit rule called ``key``."""
        for r in self.one_per_unit:
            if r.key == key:
                return r
        raise InputError(
            f"standards {self.key}: no unit rule {key!r}.",
            zh=f"标准 {self.key}：没有单元配置规则 {key!r}。",
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (lists and dicts) for YAML or JSON."""
        return dataclasses.asdict(self)


# --------------------------------------------------------------------------------------------------
# building from plain data


def _build(cls: type, data: Mapping[str, Any], where: str) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise InputError(
            f"{where}: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(sorted(names))}.",
            zh=f"{where}：未知字段 {', '.join(unknown)}；可用的字段为 {', '.join(sorted(names))}。",
        )
    try:
        return cls(**data)
    except TypeError as exc:
        raise InputError(
            f"{where}: {exc}; give every required field.",
            zh=f"{where}：{exc}；请给出全部必填字段。",
        ) from None


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


def _binding(v: Any, where: str = "standards") -> bool | None:
    if v is None or isinstance(v, bool):
        return v
    raise InputError(
        f"{where}: binding {v!r} is not true (约束性), false (预期性) or null (not stated); "
        "use one of those.",
        zh=(
            f"{where}：binding {v!r} 不是 true（约束性）、false（预期性）或 null（未说明），请改为其中之一。"
        ),
    )


# --------------------------------------------------------------------------------------------------
# building from a jurisdiction profile (the YAML presets in scenarios/presets/jurisdictions)

#: Population groups a profile's ``population`` blocks may give.
_GROUPS: tuple[str, ...] = ("pop_total", "pop_60", "pop_80", "pop_0_3")
#: Supply figures a profile's ``supply`` block may give.
_SUPPLIES: tuple[str, ...] = ("beds", "nursing_beds", "places")
_RATIOS: dict[str, tuple[str, ...]] = {
    "beds_per_1000_elderly": ("value", "group", "year", "binding", "source", "base", "base_note"),
    "places_per_1000": ("value", "group", "year", "binding", "source", "base", "base_note"),
    "places_per_1000_by_area": ("new_residential", "old_areas", "source"),
    "nursing_share": ("value", "year", "binding", "source"),
    "land_per_capita_m2": ("value", "source"),
}
_RULE_FIELDS: tuple[str, ...] = (
    *(f.name for f in dataclasses.fields(UnitRule)),
    "urban_only",
    "rural_only",
)
_TARGET_FIELDS: tuple[str, ...] = (
    *(f.name for f in dataclasses.fields(Target)),
    "scope",  # older spelling of area (district = all)
    "tier",  # with metric facility_count: the tier counted
    "level",  # with metric share_units_with_service: the unit level
)
#: Older target metric names and the metric they stand for.
_METRIC_ALIASES: dict[str, str] = {"share_units_with_service": "unit_share", "facility_count": "facilities"}


def standards_from_profile(profile: Mapping[str, Any] | Any, *, where: str | None = None) -> Standards:
    """Build `Standards` from a jurisdiction profile, the single source of the shipped policy numbers.

    ``profile`` is the profile's YAML mapping, or a loaded profile carrying it as ``raw``
    (`lifecircle.scenarios.presets.Jurisdiction`). The layout (see the shipped
    ``scenarios/presets/jurisdictions/*.yaml``):

    - ``id``, ``name`` (``zh``, ``en``), ``document`` (``code``, …), ``adcode``.
    - ``thresholds.elderly``: ``urban`` and ``rural`` walking minutes with ``source``; ``rural`` is
      left out where the document sets no separate rural time (`Standards.circle_min_rural` is then
      None).
    - ``standards``: ``beds_per_1000_elderly`` and ``places_per_1000`` (``value, group, year,
      binding, source``, and ``base``: the ``population`` block the document applies the ratio to
      for its gap, with ``base_note``: the document's words, or the choice stated as an assumption
      where it does not say), ``places_per_1000_by_area`` (``new_residential, old_areas, source``),
      ``nursing_share`` (``value, year, binding, source``), ``land_per_capita_m2`` (``value,
      source``).
    - ``population``: blocks (``base``, ``projection``, …) with ``year``, ``note``, ``source`` and a
      count per group (``pop_total``, ``pop_60``, ``pop_80``, ``pop_0_3``); a count may be a mapping
      ``{value, source, note}`` when it has its own citation (e.g. a derived total).
    - ``supply``: ``beds``, ``nursing_beds``, ``places``, each ``{value, date, source, note}`` or a
      list of those (the first listed is the default figure).
    - ``one_per_unit``: `UnitRule` fields (``key``, ``service``, ``level``, ``tiers``, ``area`` or
      ``urban_only``/``rural_only``, ``share_target``, ``year``, ``binding``, ``source``, labels).
    - ``targets``: `Target` fields in the plan's order; ``rule`` names a unit rule's ``key``. The
      older forms (``scope``; ``share_units_with_service`` with ``level``, ``facility_count`` with
      ``tier``) are still read.
    - ``notes``: data-quality flags (policy-digest §7 item 18), each a sentence or an
      ``{en: ..., zh: ...}`` pair. A per-1,000 baseline that the profile's own supply and
      population contradict is flagged as well (`baseline_flags`).

    ``binding`` is true (约束性), false (预期性) or left out where the document states none.

    Raises
    ------
    InputError
        Naming the profile, the entry and the field that is unknown, missing or malformed.
    """
    raw = profile if isinstance(profile, Mapping) else getattr(profile, "raw", None)
    if not isinstance(raw, Mapping):
        raise InputError(
            "jurisdiction profile: expected the profile's YAML mapping; load it with load_jurisdiction.",
            zh="辖区配置：应为配置文件的 YAML 映射，请用 load_jurisdiction 读取。",
        )
    key = str(raw.get("id") or "")
    where = where or getattr(profile, "origin", "") or f"jurisdiction profile {key or '(no id)'}"
    if not key:
        raise InputError(
            f"{where}: the profile has no id; add an id field.",
            zh=f"{where}：该配置没有 id，请添加 id 字段。",
        )
    name = _mapping(raw.get("name"), f"{where}: name")
    doc = _mapping(raw.get("document"), f"{where}: document")
    thr = _mapping(raw.get("thresholds"), f"{where}: thresholds").get("elderly")
    at = f"{where}: thresholds.elderly"
    thr = _known(_mapping(thr, at), ("urban", "rural", "source"), at)
    std = _known(_mapping(raw.get("standards"), f"{where}: standards"), _RATIOS, f"{where}: standards")
    ratios: dict[str, Mapping[str, Any]] = {
        k: _known(_mapping(std.get(k), f"{where}: standards.{k}"), names, f"{where}: standards.{k}")
        for k, names in _RATIOS.items()
    }
    notes = raw.get("notes") or []
    ok = isinstance(notes, list) and all(
        isinstance(n, str) or (isinstance(n, dict) and isinstance(n.get("en"), str) and {*n} <= {"en", "zh"})
        for n in notes
    )
    if not ok:
        raise InputError(
            f"{where}: notes must be a list of sentences (or of {{en: ..., zh: ...}} pairs); "
            "write one per line after '- '.",
            zh=(
                f"{where}：notes 须为句子列表（或 {{en: ..., zh: ...}} 对照的列表）；"
                "请每行一条，写在 '- ' 之后。"
            ),
        )
    notes = [Note(n["en"], n.get("zh")) if isinstance(n, dict) else n for n in notes]
    fields: dict[str, Any] = {
        "circle_min_urban": _num(thr.get("urban"), f"{where}: thresholds.elderly.urban"),
        "circle_min_rural": _num(thr.get("rural"), f"{where}: thresholds.elderly.rural"),
        "circle_source": str(thr.get("source", "")),
    }
    for prefix, block, default_group in (
        ("beds", "beds_per_1000_elderly", "pop_60"),
        ("places", "places_per_1000", "pop_total"),
        ("nursing", "nursing_share", ""),
    ):
        e, at = ratios[block], f"{where}: standards.{block}"
        fields["nursing_share_pct" if prefix == "nursing" else block] = _num(e.get("value"), at)
        if default_group:
            fields[f"{prefix}_group"] = str(e.get("group", default_group))
        fields[f"{prefix}_year"] = e.get("year")
        fields[f"{prefix}_binding"] = _binding(e.get("binding"), at)
        fields[f"{prefix}_source"] = str(e.get("source", ""))
        if default_group:
            fields[f"{prefix}_base"], fields[f"{prefix}_base_note"] = _base(e, raw, at)
    by_area, at = ratios["places_per_1000_by_area"], f"{where}: standards.places_per_1000_by_area"
    fields["places_per_1000_new_residential"] = _num(by_area.get("new_residential"), at)
    fields["places_per_1000_old_areas"] = _num(by_area.get("old_areas"), at)
    fields["places_area_source"] = str(by_area.get("source", ""))
    land = ratios["land_per_capita_m2"]
    fields["land_m2_per_capita"] = _num(land.get("value"), f"{where}: standards.land_per_capita_m2")
    fields["land_source"] = str(land.get("source", ""))
    rules = _rules(raw.get("one_per_unit"), where)
    targets = _targets(raw.get("targets"), rules, where)
    figures = _figures(raw, where)
    code = str(doc.get("code", ""))
    return Standards(
        key=key,
        name_zh=str(name.get("zh", "")),
        name_en=str(name.get("en", "")),
        document=code,
        adcode=str(raw.get("adcode", "")),
        one_per_unit=tuple(rules),
        coverage_targets=tuple(targets),
        figures=figures,
        notes=(*notes, *baseline_flags(code, targets, figures)),
        **fields,
    )


def _base(entry: Mapping[str, Any], raw: Mapping[str, Any], where: str) -> tuple[str, str]:
    """A ratio's ``base`` (a ``population`` block of the profile) and ``base_note`` (text or en/zh)."""
    block = entry.get("base")
    blocks = sorted(str(k) for k in _mapping(raw.get("population"), f"{where}: population"))
    if block is not None and str(block) not in blocks:
        raise InputError(
            f"{where}: base {block!r} is not a population block of the profile "
            f"({', '.join(blocks) or 'none'}); name one of those.",
            zh=f"{where}：base {block!r} 不是本配置 population 下的数据块（{'、'.join(blocks) or '无'}），"
            "请改为其中之一。",
        )
    note = entry.get("base_note", "")
    if isinstance(note, Mapping) and isinstance(note.get("en"), str) and {*note} <= {"en", "zh"}:
        note = Note(note["en"], note.get("zh"))
    elif not isinstance(note, str):
        raise InputError(
            f"{where}: base_note must be a sentence or an {{en: ..., zh: ...}} pair.",
            zh=f"{where}：base_note 须为一句话，或 {{en: ..., zh: ...}} 中英对照。",
        )
    return ("" if block is None else str(block)), note


#: Relative difference above which a stated per-1,000 baseline and the documented supply over the
#: documented population are flagged as inconsistent (the documents round ratios to 1–2 digits).
BASELINE_TOLERANCE = 0.05


def baseline_flags(document: str, targets: Iterable[Target], figures: Iterable[Figure]) -> list[Note]:
    """Data-quality flags: a per-1,000 baseline the document's own supply and population contradict.

    For each ``per_1000`` target with a baseline, the supply figures of the same date divided by
    the group's first documented population (both stated, not derived) give the ratio the
    baseline should be; a difference above `BASELINE_TOLERANCE` is flagged, naming both numbers
    (001: 托位 1.5 per 1,000 vs 1,088 / 588.7 = 1.85).
    """
    figs = tuple(figures)
    out: list[Note] = []
    for t in targets:
        if t.metric != "per_1000" or not t.baseline or t.service not in SUPPLY_KEYS:
            continue
        group = t.group or ("pop_60" if t.service == "elderly" else "pop_total")
        pop = next((f for f in figs if f.key == group and f.block != "projection"), None)
        if pop is None or pop.derived or pop.value <= 0:
            continue
        for sup in figs:
            if sup.key != SUPPLY_KEYS[t.service] or sup.derived or str(sup.year) != str(t.baseline_year):
                continue
            ratio = 1000.0 * sup.value / pop.value
            if abs(ratio - t.baseline) <= BASELINE_TOLERANCE * t.baseline:
                continue
            what_en = t.label_en or f"{t.service} per 1,000"
            what_zh = t.label_zh or what_en
            pop_k = f"{pop.value / 1000:,.1f}"
            out.append(
                Note(
                    f"{document}: {what_en}: the stated baseline {t.baseline:g} is inconsistent with "
                    f"{sup.value:,.0f} / {pop_k} = {ratio:.2f} (supply {sup.source}; population "
                    f"{pop.year} {pop.note or pop.block}).",
                    f"{document}: {what_zh}基期值 {t.baseline:g} 与 {sup.value:,.0f} / {pop_k} = {ratio:.2f} "
                    f"不一致（供给：{sup.source}；人口：{pop.year} 年{_NOTE_ZH.get(pop.note, pop.note)}）。",
                )
            )
    return out


_NOTE_ZH = {"census": "普查", "projection": "预测", "derived": "推算"}


def _mapping(v: Any, where: str) -> Mapping[str, Any]:
    """``v`` as a mapping (empty for None)."""
    if v is None:
        return {}
    if not isinstance(v, Mapping):
        raise InputError(
            f"{where}: expected fields (key: value), got {v!r}; compare with a shipped profile.",
            zh=f"{where}：应为字段（key: value），实际为 {v!r}；请对照内置的配置文件修改。",
        )
    return v


def _known(entry: Mapping[str, Any], fields: Iterable[str], where: str) -> Mapping[str, Any]:
    """``entry`` after checking it has no field outside ``fields``."""
    names = tuple(fields)
    unknown = sorted(str(k) for k in set(entry) - set(names))
    if unknown:
        raise InputError(
            f"{where}: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(sorted(names))}.",
            zh=f"{where}：未知字段 {', '.join(unknown)}；可用的字段为 {', '.join(sorted(names))}。",
        )
    return entry


def _num(v: Any, where: str) -> float | None:
    """``v`` as a float (None stays None)."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise InputError(
            f"{where}: {v!r} is not a number; write the number without units or quotes.",
            zh=f"{where}：{v!r} 不是数字，请直接写数字，不带单位或引号。",
        )
    return float(v)


def _entries(v: Any, where: str) -> list[Mapping[str, Any]]:
    """A mapping or a list of mappings, as a list."""
    items = v if isinstance(v, list) else [v]
    return [_mapping(x, f"{where}[{i}]" if isinstance(v, list) else where) for i, x in enumerate(items)]


def _figures(raw: Mapping[str, Any], where: str) -> tuple[Figure, ...]:
    """Documented population bases (``population``) and supplies (``supply``), in profile order."""
    out: list[Figure] = []
    population = _mapping(raw.get("population"), f"{where}: population")
    for kind, block in population.items():
        at = f"{where}: population.{kind}"
        block = _known(_mapping(block, at), (*_GROUPS, "year", "note", "source"), at)
        for grp in _GROUPS:
            if grp not in block:
                continue
            v = block[grp]
            own = _known(v, ("value", "source", "note"), f"{at}.{grp}") if isinstance(v, Mapping) else {}
            value = _num(own.get("value") if own else v, f"{at}.{grp}")
            if value is None:
                raise InputError(
                    f"{at}.{grp}: no value; give the count.",
                    zh=f"{at}.{grp}：没有数值，请填写人数。",
                )
            out.append(
                Figure(
                    grp,
                    value,
                    block.get("year", ""),
                    str(own.get("source", block.get("source", ""))),
                    str(own.get("note", block.get("note", kind))),
                    block=str(kind),
                )
            )
    supply = _known(_mapping(raw.get("supply"), f"{where}: supply"), _SUPPLIES, f"{where}: supply")
    for what, block in supply.items():
        for i, e in enumerate(_entries(block, f"{where}: supply.{what}")):
            at = f"{where}: supply.{what}" + (f"[{i}]" if isinstance(block, list) else "")
            _known(e, ("value", "date", "source", "note"), at)
            value = _num(e.get("value"), at)
            if value is None:
                raise InputError(
                    f"{at}: no value; give the count.",
                    zh=f"{at}：没有数值，请填写数量。",
                )
            out.append(
                Figure(what, value, e.get("date", ""), str(e.get("source", "")), str(e.get("note", "")))
            )
    return tuple(out)


def _rules(entries: Any, where: str) -> list[UnitRule]:
    """The profile's ``one_per_unit`` rules; a rule without a key gets one built from its fields."""
    rules: list[UnitRule] = []
    for i, r in enumerate(entries or ()):
        at = f"{where}: one_per_unit[{i}]"
        r = _known(_mapping(r, at), _RULE_FIELDS, at)
        if r.get("urban_only") and r.get("rural_only"):
            raise InputError(
                f"{at}: urban_only and rural_only are both set; keep one.",
                zh=f"{at}：同时设置了 urban_only 和 rural_only，请只保留一个。",
            )
        area = "urban" if r.get("urban_only") else "rural" if r.get("rural_only") else r.get("area", "all")
        tiers = tuple(str(x) for x in (r.get("tiers") or ()))
        for req in ("service", "level"):
            if req not in r:
                raise InputError(
                    f"{at}: no {req}; add it (see a shipped profile).",
                    zh=f"{at}：缺少 {req}，请补上（可参照内置的配置文件）。",
                )
        rkey = r.get("key") or f"{r['service']}_{r['level']}_{area}_{'-'.join(tiers) or 'any'}"
        if any(x.key == rkey for x in rules):
            if r.get("key"):
                raise InputError(
                    f"{at}: key {rkey!r} is already used by another rule; make it unique.",
                    zh=f"{at}：key {rkey!r} 已被另一条规则使用，请改为唯一的 key。",
                )
            rkey = f"{rkey}_{i}"
        share = _num(r.get("share_target", 100.0), f"{at}: share_target")
        min_count = _num(r.get("min_count", 1), f"{at}: min_count")
        binding = _binding(r.get("binding"), at)
        try:
            rules.append(
                UnitRule(
                    key=str(rkey),
                    service=str(r["service"]),
                    tiers=tiers,
                    level=str(r["level"]),
                    area=str(area),
                    min_count=int(min_count or 0),
                    share_target=100.0 if share is None else share,
                    year=r.get("year"),
                    binding=binding,
                    source=str(r.get("source", "")),
                    label_zh=str(r.get("label_zh", "")),
                    label_en=str(r.get("label_en", "")),
                    note=str(r.get("note", "")),
                )
            )
        except InputError as exc:
            raise InputError(f"{at}: {exc}", zh=f"{at}：{exc.text('zh')}") from None
    return rules


def _targets(entries: Any, rules: list[UnitRule], where: str) -> list[Target]:
    """The profile's ``targets`` in order; older share/count forms find (or add) their unit rule."""
    targets: list[Target] = []
    for i, t in enumerate(entries or ()):
        at = f"{where}: targets[{i}]"
        t = _known(_mapping(t, at), _TARGET_FIELDS, at)
        for req in ("metric", "value", "year"):
            if req not in t:
                raise InputError(
                    f"{at}: no {req}; add it (see a shipped profile).",
                    zh=f"{at}：缺少 {req}，请补上（可参照内置的配置文件）。",
                )
        metric = str(t["metric"])
        area = str(t.get("area", t.get("scope", "all")))
        area = "all" if area == "district" else area
        rule = str(t.get("rule", ""))
        if metric in _METRIC_ALIASES:
            rule = rule or _rule_for(rules, t, metric)
            metric = _METRIC_ALIASES[metric]
        keys = [x.key for x in rules]
        if rule and rule not in keys:
            raise InputError(
                f"{at}: rule {rule!r} is not the key of a one_per_unit rule ({', '.join(keys) or 'none'}); "
                "use one of those.",
                zh=(
                    f"{at}：rule {rule!r} 不是任何 one_per_unit 规则的 key（{', '.join(keys) or '无'}），"
                    "请改为其中之一。"
                ),
            )
        baseline = _num(t.get("baseline"), f"{at}: baseline")
        value = _num(t["value"], f"{at}: value")
        if value is None:
            raise InputError(
                f"{at}: value is empty; give the target value.",
                zh=f"{at}：value 为空，请填写目标值。",
            )
        year = t["year"]
        if isinstance(year, bool) or not isinstance(year, int):
            raise InputError(
                f"{at}: year {year!r} is not a year; write it as a number such as 2025.",
                zh=f"{at}：year {year!r} 不是年份，请写成数字，例如 2025。",
            )
        binding = _binding(t.get("binding"), at)
        try:
            targets.append(
                Target(
                    metric=metric,
                    value=value,
                    year=year,
                    binding=binding,
                    lead_unit=str(t.get("lead_unit", "")),
                    source=str(t.get("source", "")),
                    service=str(t.get("service", "elderly")),
                    group=str(t.get("group", "")),
                    area=area,
                    rule=rule,
                    baseline=baseline,
                    baseline_year=t.get("baseline_year"),
                    comparison=str(t.get("comparison", ">=")),
                    label_zh=str(t.get("label_zh", "")),
                    label_en=str(t.get("label_en", "")),
                    note=str(t.get("note", "")),
                )
            )
        except InputError as exc:  # the metric, comparison or area is not one of ours
            raise InputError(f"{at}: {exc}", zh=f"{at}：{exc.text('zh')}") from None
    return targets


def _rule_for(rules: list[UnitRule], t: Mapping[str, Any], metric: str) -> str:
    """Find (or add) the rule an older-form share/count target refers to."""
    service, level, tier = t.get("service", "elderly"), t.get("level"), t.get("tier")
    for r in rules:
        if r.service != service:
            continue
        if metric == "facility_count" and tier in r.tiers:
            return r.key
        if (
            metric == "share_units_with_service"
            and r.level == level
            and not tier
            and r.share_target == float(t["value"])
        ):
            return r.key
    tiers = (tier,) if tier else ()
    key = f"{service}_{level or 'street'}_{tier or 'any'}"
    rules.append(
        UnitRule(
            key=key,
            service=service,
            tiers=tiers,
            level=level or "street",
            share_target=float(t["value"]) if metric == "share_units_with_service" else 100.0,
            year=t.get("year"),
            binding=_binding(t.get("binding")),
            source=str(t.get("source", "")),
        )
    )
    return key


# --------------------------------------------------------------------------------------------------
# tier matching


def tier_mask(tiers: Iterable[Any], wanted: tuple[str, ...]) -> np.ndarray:
    """Boolean array: which facility ``tiers`` count for a rule listing ``wanted`` tiers.

    A tier counts when it equals a wanted key or one of that key's document names in `TIER_TERMS`,
    compared case-insensitively after trimming. An empty ``wanted`` accepts every tier.
    """
    values = np.asarray([("" if v is None else str(v)).strip().casefold() for v in tiers], dtype=object)
    if not wanted:
        return np.ones(len(values), dtype=bool)
    accepted = set()
    for w in wanted:
        accepted.add(w.strip().casefold())
        accepted.update(s.casefold() for s in TIER_TERMS.get(w, ()))
    return np.isin(values, list(accepted))
