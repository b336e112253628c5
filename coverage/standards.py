"""Planning standards a jurisdiction is judged against: ratios, one-per-unit rules, targets, figures.

Every number here comes from ``shared/docs/policy-digest.md`` and carries its citation as
``"<document code> <clause>"``: 000 Jiulongpo (九龙坡府发〔2023〕2号), 001 Yuzhong (2022-12-29),
002 Shapingba (沙府办发〔2020〕56号), 003 Bazhong (Sichuan), 004 Chongqing municipal 14th FYP
(渝府发〔2022〕15号). The jurisdiction presets (YAML) fill the same fields; `standards_from_profile`
turns a preset into a `Standards` object, and `Standards.to_dict` / `standards_from_dict` round-trip.

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

from lifecircle.geodata.errors import InputError

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
    """

    key: str
    value: float
    year: int | str
    source: str
    note: str = ""


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
            raise InputError(f"unit rule {self.key!r}: level {self.level!r} is not street or community.")
        if self.area not in AREAS:
            raise InputError(f"unit rule {self.key!r}: area {self.area!r} is not one of {', '.join(AREAS)}.")
        if self.min_count < 1:
            raise InputError(f"unit rule {self.key!r}: min_count must be at least 1.")


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
                f"{', '.join(TARGET_METRICS)}."
            )
        if self.comparison not in COMPARISONS:
            raise InputError(f"target {self.metric!r}: comparison {self.comparison!r} is not >=, <= or +.")
        if self.comparison == "+" and self.baseline is None:
            raise InputError(f"target {self.metric!r}: an increase target (+) needs a baseline.")
        if self.area not in AREAS:
            raise InputError(f"target {self.metric!r}: area {self.area!r} is not one of {', '.join(AREAS)}.")
        if self.metric in ("unit_share", "facilities") and not self.rule:
            raise InputError(f"target {self.metric!r}: name the unit rule it counts (field rule).")

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
    places_per_1000
        托位 per 1,000 residents (每千人口托位数), None where the document sets none.
    places_group
        Population column the 托位 ratio is per (``pop_total``).
    places_year, places_binding, places_source
        Target year, attribute and citation of the 托位 ratio.
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
    places_per_1000: float | None = None
    places_group: str = "pop_total"
    places_year: int | None = None
    places_binding: bool | None = None
    places_source: str = ""
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
                f"standards {self.key}: unit rule keys repeat ({', '.join(keys)}); make them unique."
            )
        known = set(keys)
        for t in self.coverage_targets:
            if t.rule and t.rule not in known:
                raise InputError(
                    f"standards {self.key}: target {t.label_en or t.metric!r} names rule {t.rule!r}, "
                    f"which is not among the unit rules ({', '.join(keys) or 'none'})."
                )

    def per_1000(self, service: str) -> tuple[float | None, str, str]:
        """The ratio standard of ``service``: (value per 1,000, population column, citation)."""
        if service == "elderly":
            return self.beds_per_1000_elderly, self.beds_group, self.beds_source
        if service == "childcare":
            return self.places_per_1000, self.places_group, self.places_source
        return None, "pop_total", ""

    def figure(self, key: str, year: int | str | None = None) -> Figure:
        """The documented figure ``key`` (of ``year`` when given; else the first listed)."""
        for f in self.figures:
            if f.key == key and (year is None or str(f.year) == str(year)):
                return f
        have = ", ".join(f"{f.key}@{f.year}" for f in self.figures) or "none"
        raise InputError(f"standards {self.key}: no figure {key!r} for year {year}; documented: {have}.")

    def rule(self, key: str) -> UnitRule:
        """The unit rule called ``key``."""
        for r in self.one_per_unit:
            if r.key == key:
                return r
        raise InputError(f"standards {self.key}: no unit rule {key!r}.")

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
            f"{where}: unknown field(s) {', '.join(unknown)}; the fields are {', '.join(sorted(names))}."
        )
    try:
        return cls(**data)
    except TypeError as exc:
        raise InputError(f"{where}: {exc}; give every required field.") from None


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


def _binding(v: Any) -> bool | None:
    return None if v is None else bool(v)


def standards_from_profile(profile: Mapping[str, Any] | Any) -> Standards:
    """Build `Standards` from a jurisdiction preset (the YAML mapping, or an object with its fields).

    Understands the preset layout shipped in ``scenarios/presets/jurisdictions``: ``standards``
    (``beds_per_1000_elderly``, ``places_per_1000``, ``land_per_capita_m2``, ``nursing_share``, each
    ``{value, year, binding, source}``), ``population`` (``base``/``projection`` with group counts,
    ``year``, ``source``), ``supply`` (``beds``/``places``: ``{value, date, source}``), ``thresholds``,
    ``one_per_unit`` (``service, level, tiers, urban_only|rural_only, source``) and ``targets``
    (``metric`` in `TARGET_METRICS` or ``share_units_with_service``/``facility_count``; ``scope``
    ``urban``/``rural``/``district`` for the area).
    """

    def get(name: str, default: Any = None) -> Any:
        if isinstance(profile, Mapping):
            return profile.get(name, default)
        return getattr(profile, name, default)

    name = get("name") or {}
    name_zh = name.get("zh", "") if isinstance(name, Mapping) else get("name_zh", "")
    name_en = name.get("en", "") if isinstance(name, Mapping) else get("name_en", "")
    doc = get("document") or {}
    key = str(get("id", "") or "")
    where = f"jurisdiction profile {key or '(no id)'}"
    if not key:
        raise InputError(f"{where}: the profile has no id; add an id field.")
    std = dict(get("standards") or {})
    beds = std.get("beds_per_1000_elderly") or {}
    places = std.get("places_per_1000") or {}
    land = std.get("land_per_capita_m2") or {}
    nursing = std.get("nursing_share") or {}
    thr = (get("thresholds") or {}).get("elderly")
    if thr is not None and not isinstance(thr, Mapping):  # a Threshold object
        thr = {"urban": thr.urban_min, "rural": thr.rural_min, "source": thr.source}
    thr = thr or {}

    figures: list[Figure] = []
    for kind, block in (get("population") or {}).items():
        for grp in ("pop_total", "pop_60", "pop_80", "pop_0_3"):
            if grp in block:
                figures.append(
                    Figure(grp, float(block[grp]), block.get("year", ""), str(block.get("source", "")), kind)
                )
    for what, block in (get("supply") or {}).items():
        figures.append(
            Figure(what, float(block["value"]), block.get("date", ""), str(block.get("source", "")))
        )

    rules: list[UnitRule] = []
    for i, r in enumerate(get("one_per_unit") or ()):
        area = "urban" if r.get("urban_only") else "rural" if r.get("rural_only") else r.get("area", "all")
        tiers = tuple(r.get("tiers") or ())
        rkey = r.get("key") or f"{r['service']}_{r['level']}_{area}_{'-'.join(tiers) or 'any'}"
        if any(x.key == rkey for x in rules):
            rkey = f"{rkey}_{i}"
        rules.append(
            UnitRule(
                key=rkey,
                service=r["service"],
                tiers=tiers,
                level=r["level"],
                area=area,
                min_count=int(r.get("min_count", 1)),
                share_target=float(r.get("share_target", 100.0)),
                year=r.get("year"),
                binding=_binding(r.get("binding")),
                source=str(r.get("source", "")),
            )
        )

    targets: list[Target] = []
    for t in get("targets") or ():
        metric = t["metric"]
        scope = t.get("scope", t.get("area", "all"))
        area = scope if scope in ("urban", "rural") else "all"
        rule = t.get("rule", "")
        if metric in ("share_units_with_service", "facility_count"):
            rule = rule or _rule_for(rules, t, metric)
            metric = "unit_share" if metric == "share_units_with_service" else "facilities"
        targets.append(
            Target(
                metric=metric,
                value=float(t["value"]),
                year=int(t.get("year", 0) or 0),
                binding=_binding(t.get("binding")),
                lead_unit=str(t.get("lead_unit", "")),
                source=str(t.get("source", "")),
                service=t.get("service", "elderly"),
                group=t.get("group", ""),
                area=area,
                rule=rule,
                baseline=t.get("baseline"),
                baseline_year=t.get("baseline_year"),
                comparison=t.get("comparison", ">="),
                label_zh=t.get("label_zh", ""),
                label_en=t.get("label_en", ""),
                note=t.get("note", ""),
            )
        )
    return Standards(
        key=key,
        name_zh=name_zh,
        name_en=name_en,
        document=str(doc.get("code", "")),
        adcode=str(get("adcode", "")),
        circle_min_urban=thr.get("urban"),
        circle_min_rural=thr.get("rural"),
        circle_source=str(thr.get("source", "")),
        beds_per_1000_elderly=beds.get("value"),
        beds_year=beds.get("year"),
        beds_binding=_binding(beds.get("binding")),
        beds_source=str(beds.get("source", "")),
        places_per_1000=places.get("value"),
        places_year=places.get("year"),
        places_binding=_binding(places.get("binding")),
        places_source=str(places.get("source", "")),
        nursing_share_pct=nursing.get("value"),
        nursing_year=nursing.get("year"),
        nursing_binding=_binding(nursing.get("binding")),
        nursing_source=str(nursing.get("source", "")),
        land_m2_per_capita=land.get("value"),
        land_source=str(land.get("source", "")),
        one_per_unit=tuple(rules),
        coverage_targets=tuple(targets),
        figures=tuple(figures),
    )


def _rule_for(rules: list[UnitRule], t: Mapping[str, Any], metric: str) -> str:
    """Find (or add) the rule a preset's share/count target refers to."""
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


# --------------------------------------------------------------------------------------------------
# the five jurisdictions of the digest

_CQ_URBAN = "004 (digest §3.2): 街道（社区）养老服务覆盖率 100% (2025, 约束性)"
_CQ_RURAL = "004 (digest §3.2): 乡镇（村）养老服务覆盖率 100% (2025, 约束性)"


def _chongqing_coverage_targets() -> tuple[Target, ...]:
    """004's two binding coverage targets, which every Chongqing district plan implements."""
    return (
        Target(
            "coverage",
            100.0,
            2025,
            True,
            "",
            _CQ_URBAN,
            service="elderly",
            group="pop_60",
            area="urban",
            label_zh="街道（社区）养老服务覆盖率",
            label_en="Elderly-service coverage, streets (communities)",
        ),
        Target(
            "coverage",
            100.0,
            2025,
            True,
            "",
            _CQ_RURAL,
            service="elderly",
            group="pop_60",
            area="rural",
            label_zh="乡镇（村）养老服务覆盖率",
            label_en="Elderly-service coverage, towns (villages)",
        ),
    )


def _village_rule(source: str, year: int) -> UnitRule:
    return UnitRule(
        "village_point",
        "elderly",
        ("village_point",),
        "community",
        area="rural",
        year=year,
        source=source,
        label_zh="每个村设置1个互助养老点",
        label_en="One mutual-aid elderly point per village",
    )


def yuzhong() -> Standards:
    """渝中区 (Yuzhong), document 001 (2022-12-29); fully urban, 11 streets."""
    return Standards(
        key="yuzhong",
        name_zh="重庆市渝中区",
        name_en="Yuzhong District, Chongqing",
        document="001",
        adcode="500103",
        circle_min_urban=10.0,
        circle_min_rural=None,
        circle_source="001 task 8: 打造更便捷、更及时的10分钟养老服务圈 (the district has no villages)",
        beds_per_1000_elderly=32.0,
        beds_year=2025,
        beds_binding=False,
        beds_source="001 (digest §3.1): 每千名常住老年人养老床位数 32 (2025, 预期性; 16.5 at baseline)",
        places_per_1000=4.5,
        places_year=2025,
        places_binding=False,
        places_source="001 (digest §3.1): 每千人口托位数 4.5 (2025, 预期性)",
        nursing_share_pct=60.0,
        nursing_year=2025,
        nursing_binding=True,
        nursing_source="001 (digest §3.1): 护理型床位占比 60% (2025, 约束性; baseline 37.4%)",
        one_per_unit=(
            UnitRule(
                "street_centre",
                "elderly",
                ("street_centre",),
                "street",
                year=2025,
                source="001 task 8: 一街道一中心",
                label_zh="一街道一中心",
                label_en="One elderly-service centre per street",
            ),
            UnitRule(
                "community_station",
                "elderly",
                ("community_station", "street_centre"),
                "community",
                year=2025,
                source="001 task 8: 一社区一站点",
                label_zh="一社区一站点",
                label_en="One elderly-service station per community",
                note="a street centre in the community also serves as its station",
            ),
            UnitRule(
                "childcare_point",
                "childcare",
                ("community_point",),
                "street",
                year=2025,
                source="001 附件3: 培育11个社区托育点 (11 streets)",
                label_zh="社区托育点（每街道1个）",
                label_en="Community childcare point per street",
                note="one per street is implied by 11 points for 11 streets, not stated",
            ),
        ),
        coverage_targets=(
            *_chongqing_coverage_targets(),
            Target(
                "per_1000",
                32.0,
                2025,
                False,
                "",
                "001 (digest §3.1): 每千名常住老年人养老床位数",
                service="elderly",
                group="pop_60",
                baseline=16.5,
                baseline_year="baseline",
                label_zh="每千名常住老年人养老床位数",
                label_en="Elderly beds per 1,000 resident elderly",
            ),
            Target(
                "per_1000",
                4.5,
                2025,
                False,
                "",
                "001 (digest §3.1): 每千人口托位数",
                service="childcare",
                group="pop_total",
                baseline=1.5,
                baseline_year="baseline",
                label_zh="每千人口托位数",
                label_en="托位 per 1,000 residents",
            ),
            Target(
                "supply",
                4000.0,
                2025,
                False,
                "",
                "001 (digest §3.3): 养老服务床位 1,915 → 4,000",
                service="elderly",
                baseline=1915.0,
                baseline_year="baseline",
                label_zh="养老服务床位",
                label_en="Elderly beds",
                note="components stated (500 + 2,500 + 500) sum to 3,500, not 4,000",
            ),
            Target(
                "supply",
                2650.0,
                2025,
                False,
                "",
                "001 (digest §3.3): 托位 1,088 → 2,650",
                service="childcare",
                baseline=1088.0,
                baseline_year="baseline",
                label_zh="托位数",
                label_en="Childcare places",
                note="baseline 181 + 830 = 1,011 in the text vs 1,088 in the table",
            ),
            Target(
                "facilities",
                11.0,
                2025,
                False,
                "",
                "001 (digest §3.3): 街道养老服务中心 11 → 11",
                service="elderly",
                rule="street_centre",
                baseline=11.0,
                baseline_year="baseline",
                label_zh="街道养老服务中心",
                label_en="Street elderly-service centres",
            ),
            Target(
                "facilities",
                68.0,
                2025,
                False,
                "",
                "001 (digest §3.3): 社区养老服务站 68 → 68",
                service="elderly",
                rule="community_station",
                baseline=68.0,
                baseline_year="baseline",
                label_zh="社区养老服务站",
                label_en="Community elderly-service stations",
            ),
            Target(
                "facilities",
                11.0,
                2025,
                None,
                "",
                "001 附件3: 培育11个社区托育点",
                service="childcare",
                rule="childcare_point",
                label_zh="社区托育点",
                label_en="Community childcare points",
            ),
            Target(
                "nursing_share",
                60.0,
                2025,
                True,
                "",
                "001 (digest §3.1): 护理型床位占比 60%",
                service="elderly",
                baseline=37.4,
                baseline_year="baseline",
                label_zh="护理型床位占比",
                label_en="Nursing-bed share",
            ),
        ),
        figures=(
            Figure("pop_total", 588_700, 2020, "001 (digest §4) baseline: 常住人口 588,700", "census"),
            Figure("pop_60", 116_300, 2020, "001 (digest §4) baseline: 60岁以上 116,300 (19.76%)", "census"),
            Figure("pop_0_3", 17_420, 2020, "001 (digest §4) baseline: 0–3岁 17,420", "census"),
            Figure(
                "pop_total",
                568_000,
                2025,
                "001 (digest §4) projection: 568,000 residents (−0.68%/yr)",
                "projection",
            ),
            Figure("pop_60", 125_000, 2025, "001 (digest §4) projection: 60+ 125,000 (22.01%)", "projection"),
            Figure("pop_0_3", 15_000, 2025, "001 (digest §4) projection: 0–3 15,000", "projection"),
            Figure("beds", 1_915, "baseline", "001 (digest §4): 1,915 beds = 325 public + 1,590 social"),
            Figure("nursing_beds", 716, "baseline", "001 (digest §4): nursing beds 716 (37.4%)"),
            Figure("places", 1_088, "baseline", "001 (digest §3.3) indicator table: 托位 1,088"),
            Figure(
                "places",
                1_011,
                "baseline-text",
                "001 (digest §4): 181 托位 in institutions + 830 in kindergartens",
                "the text's components; the stated gap 1,639 = 2,650 − 1,011",
            ),
        ),
        notes=(
            "001: 托位 baseline 181 + 830 = 1,011 in the text vs 1,088 in the indicator table.",
            "001: planned new 托位 200 + 1,839 = 2,039 vs the stated gap of 1,639.",
            "001: bed components 500 + 2,500 + 500 = 3,500 vs the 4,000 target.",
        ),
    )


def jiulongpo() -> Standards:
    """九龙坡区 (Jiulongpo), document 000 (九龙坡府发〔2023〕2号); streets and towns, urban and rural."""
    return Standards(
        key="jiulongpo",
        name_zh="重庆市九龙坡区",
        name_en="Jiulongpo District, Chongqing",
        document="000",
        adcode="500107",
        circle_min_urban=15.0,
        circle_min_rural=20.0,
        circle_source=(
            "000 Table 1 policy no. 2 and §一(一)2: 城市社区15分钟、农村社区20分钟步行半径养老服务圈"
        ),
        beds_per_1000_elderly=35.0,
        beds_year=2025,
        beds_binding=None,
        beds_source="000 §一(三)2; policy list no. 1: 每千名老年人养老床位数 35",
        places_per_1000=4.5,
        places_year=2025,
        places_binding=False,
        places_source="000 (digest §3.1): 每千人口托位数 4.5 (2025, 预期性)",
        nursing_share_pct=60.0,
        nursing_year=2025,
        nursing_binding=True,
        nursing_source="000 Table 2 no. 3: 护理型床位占比 ≥60% (约束性)",
        one_per_unit=(
            UnitRule(
                "street_centre",
                "elderly",
                ("street_centre",),
                "street",
                year=2025,
                source="000 task 10: 确保一镇街一中心; Table 1 policy no. 3",
                label_zh="一镇街一中心",
                label_en="One elderly-service centre per street or town",
            ),
            UnitRule(
                "community_station",
                "elderly",
                ("community_station", "street_centre"),
                "community",
                area="urban",
                year=2025,
                source="000 task 10: 一社区一站点",
                label_zh="一社区一站点",
                label_en="One elderly-service station per community",
            ),
            _village_rule(
                "000 policy list no. 8: 每个村设置1个互助养老点 (by end of 2021); Table 1 policy no. 3", 2021
            ),
            UnitRule(
                "childcare_street",
                "childcare",
                (),
                "street",
                share_target=80.0,
                year=2025,
                source="000 §二(4)2, task 8: 全区80%街镇能提供托育服务",
                label_zh="街镇能提供托育服务",
                label_en="Streets and towns offering childcare",
            ),
            UnitRule(
                "childcare_community",
                "childcare",
                (),
                "community",
                share_target=30.0,
                year=2025,
                binding=False,
                source="000 Table 2 no. 22: 社区托育服务覆盖率 10% → 30% (预期性)",
                label_zh="社区托育服务覆盖率",
                label_en="Communities with childcare service",
                note="000 policy list no. 3 gives ≥60% for the same indicator",
            ),
        ),
        coverage_targets=(
            Target(
                "coverage",
                100.0,
                2025,
                True,
                "区民政局",
                "000 Table 2 no. 5: “一刻钟”城市居家养老服务圈…覆盖率 100% → 100% (约束性)",
                service="elderly",
                group="pop_60",
                area="urban",
                baseline=100.0,
                baseline_year=2020,
                label_zh="“一刻钟”城市居家养老服务圈覆盖率",
                label_en="Coverage of the quarter-hour urban home-care circle",
            ),
            *_chongqing_coverage_targets(),
            Target(
                "unit_share",
                100.0,
                2025,
                None,
                "",
                "000 task 1: 城镇社区养老服务设施覆盖率 → 100%",
                service="elderly",
                rule="community_station",
                label_zh="城镇社区养老服务设施覆盖率",
                label_en="Urban communities with an elderly facility",
            ),
            Target(
                "unit_share",
                80.0,
                2025,
                None,
                "",
                "000 §二(4)2, task 8: 全区80%街镇能提供托育服务",
                service="childcare",
                rule="childcare_street",
                label_zh="街镇能提供托育服务",
                label_en="Streets and towns offering childcare",
            ),
            Target(
                "unit_share",
                30.0,
                2025,
                False,
                "",
                "000 Table 2 no. 22: 社区托育服务覆盖率 10% → 30%",
                service="childcare",
                rule="childcare_community",
                baseline=10.0,
                baseline_year="baseline",
                label_zh="社区托育服务覆盖率",
                label_en="Community childcare coverage",
                note="policy list no. 3 says ≥60% (社区婴幼儿托育服务机构覆盖率)",
            ),
            Target(
                "per_1000",
                35.0,
                2025,
                None,
                "",
                "000 §一(三)2: 每千名老年人养老床位数 35",
                service="elderly",
                group="pop_60",
                label_zh="每千名老年人养老床位数",
                label_en="Elderly beds per 1,000 elderly",
            ),
            Target(
                "per_1000",
                4.5,
                2025,
                False,
                "",
                "000 (digest §3.1): 每千人口托位数 4.5",
                service="childcare",
                group="pop_total",
                baseline=1.04,
                baseline_year=2020,
                label_zh="每千人口托位数",
                label_en="托位 per 1,000 residents",
                note="2.13 per 1,000 stated for Oct 2022",
            ),
            Target(
                "supply",
                6700.0,
                2025,
                None,
                "",
                "000 (digest §3.3): 养老服务床位 6,810 (2022-10) → ≥6,700",
                service="elderly",
                baseline=6810.0,
                baseline_year="2022-10",
                label_zh="养老服务床位",
                label_en="Elderly beds",
            ),
            Target(
                "supply",
                5000.0,
                2025,
                None,
                "",
                "000 (digest §3.3): 托位 2,841 (2022-10) → +5,000",
                service="childcare",
                baseline=2841.0,
                baseline_year="2022-10",
                comparison="+",
                label_zh="托位数",
                label_en="Childcare places",
            ),
            Target(
                "nursing_share",
                60.0,
                2025,
                True,
                "",
                "000 Table 2 no. 3: 护理型床位占比 ≥60%",
                service="elderly",
                baseline=60.0,
                baseline_year=2020,
                label_zh="护理型床位占比",
                label_en="Nursing-bed share",
                note="policy list no. 1 says 65%",
            ),
        ),
        figures=(
            Figure(
                "pop_60",
                276_000,
                2020,
                "000 (digest §4): 60岁以上 27.60万, 18.08% of residents (7th census)",
                "census",
            ),
            Figure(
                "pop_total",
                round(276_000 / 0.1808),
                2020,
                "derived: 276,000 / 18.08% ≈ 1.527 M (policy-digest §4)",
                "derived",
            ),
            Figure("beds", 6_810, "2022-10", "000 §一(一)2: 备案养老机构35家、床位6810张"),
            Figure("places", 2_841, "2022-10", "000 (digest §4): 2,841 托位, 2.13 per 1,000"),
            Figure("places", 1_510, 2020, "000 (digest §4): 1,510 托位 at end of 2020"),
        ),
        notes=(
            "000: 托位 per 1,000 is 2.13 (2022) vs 1.04 (2020 in Table 2).",
            "000: implied population 2,841 / 2.13 ≈ 1.33 M vs 276,000 / 18.08% ≈ 1.53 M.",
            "000: community childcare coverage target 30% (Table 2) vs ≥60% (policy list).",
            "000: nursing-bed share >60% vs 65%.",
            "000: the stated bed gap of 5,000+ at 35 per 1,000 (9,660 needed) implies a supply of ~4,600, "
            "the 2020 base, not the 6,810 of 2022.",
        ),
    )


def chongqing() -> Standards:
    """重庆市 municipal 14th FYP elderly-care plan, document 004 (渝府发〔2022〕15号); elderly care only."""
    return Standards(
        key="chongqing",
        name_zh="重庆市（市级规划）",
        name_en="Chongqing municipality",
        document="004",
        adcode="500000",
        circle_min_urban=15.0,
        circle_min_rural=None,
        circle_source="004 ch. 4 §3; 专栏2: 建成“一刻钟”养老服务圈 (no separate rural time)",
        nursing_share_pct=60.0,
        nursing_year=2025,
        nursing_binding=True,
        nursing_source="004 专栏1 no. 2: 养老机构护理型养老床位占比 ≥60% (约束性)",
        one_per_unit=(_village_rule("004 ch. 6 §1: 每个村设置1个互助养老点 (by 2025)", 2025),),
        coverage_targets=(
            *_chongqing_coverage_targets(),
            Target(
                "supply",
                250_000.0,
                2025,
                False,
                "",
                "004 (digest §3.3): beds 230,000 → 250,000",
                service="elderly",
                baseline=230_000.0,
                baseline_year=2020,
                label_zh="养老床位",
                label_en="Elderly beds",
            ),
            Target(
                "nursing_share",
                60.0,
                2025,
                True,
                "",
                "004 专栏1 no. 2: 护理型养老床位占比 ≥60%",
                service="elderly",
                label_zh="养老机构护理型养老床位占比",
                label_en="Nursing-bed share in institutions",
            ),
        ),
        figures=(
            Figure("beds", 230_000, 2020, "004 (digest §4): 230,000 beds; 32.8 per 1,000 elderly (2020)"),
        ),
        notes=("004: 32.8 beds per 1,000 elderly is the 2020 achievement; the plan sets no 2025 ratio.",),
    )


def shapingba() -> Standards:
    """沙坪坝区 (Shapingba), document 002 (沙府办发〔2020〕56号); elderly care only, streets and towns."""
    return Standards(
        key="shapingba",
        name_zh="重庆市沙坪坝区",
        name_en="Shapingba District, Chongqing",
        document="002",
        adcode="500106",
        circle_min_urban=15.0,
        circle_min_rural=None,
        circle_source="002 task 九: 基本形成“一刻钟”社区居家养老服务圈",
        nursing_share_pct=50.0,
        nursing_year=2022,
        nursing_binding=None,
        nursing_source="002 (digest §3.1): 护理型床位占比 ≥50% (2022)",
        land_m2_per_capita=0.2,
        land_source="002 task 三: 人均养老用地 ≥0.2 m²",
        one_per_unit=(
            UnitRule(
                "street_facility",
                "elderly",
                (),
                "street",
                year=2022,
                source=(
                    "002 (digest §3.2): 社区居家养老服务设施 → 全覆盖 (2022); "
                    "streets and communities 基本全覆盖 (2020)"
                ),
                label_zh="街道（镇）养老服务设施全覆盖",
                label_en="Every street and town has an elderly facility",
            ),
            UnitRule(
                "community_facility",
                "elderly",
                (),
                "community",
                year=2022,
                source="002 (digest §3.2): 社区居家养老服务设施 → 全覆盖 (2022)",
                label_zh="社区养老服务设施全覆盖",
                label_en="Every community has an elderly facility",
            ),
            _village_rule("004 ch. 6 §1: 每个村设置1个互助养老点 (by 2025)", 2025),
        ),
        coverage_targets=(
            *_chongqing_coverage_targets(),
            Target(
                "unit_share",
                100.0,
                2022,
                None,
                "",
                "002 (digest §3.2): 社区居家养老服务设施 全覆盖",
                service="elderly",
                rule="community_facility",
                label_zh="社区居家养老服务设施覆盖",
                label_en="Communities with home and community elderly facilities",
            ),
            Target(
                "supply",
                7800.0,
                2022,
                None,
                "",
                "002 (digest §3.3): effective beds → 7,800",
                service="elderly",
                label_zh="有效养老床位",
                label_en="Effective elderly beds",
            ),
            Target(
                "nursing_share",
                50.0,
                2022,
                None,
                "",
                "002 (digest §3.1): 护理型床位占比 ≥50%",
                service="elderly",
                label_zh="护理型床位占比",
                label_en="Nursing-bed share",
            ),
        ),
        notes=(
            "002 gives no baseline population or facility counts; bed gaps need a population base from data.",
        ),
    )


def bazhong() -> Standards:
    """巴中市 (Bazhong, Sichuan), document 003; streets, towns, townships and villages."""
    return Standards(
        key="bazhong",
        name_zh="四川省巴中市",
        name_en="Bazhong, Sichuan",
        document="003",
        adcode="511900",
        circle_min_urban=15.0,
        circle_min_rural=None,
        circle_source="003 task 24: 形成居家社区15分钟养老服务圈",
        places_per_1000=4.5,
        places_year=2025,
        places_binding=None,
        places_source="003 (digest §3.1): 每千人口托位数 4.5 (2025)",
        places_per_1000_new_residential=10.0,
        places_per_1000_old_areas=8.0,
        places_area_source="003 task 7: 新建居住区 ≥10, 老城区和已建成居住区 ≥8 托位 per 1,000",
        nursing_share_pct=55.0,
        nursing_year=2025,
        nursing_binding=None,
        nursing_source="003 (digest §3.1): 护理型床位占比 ≥55% (baseline 50%)",
        land_m2_per_capita=0.1,
        land_source="003 task 6: 人均用地 ≥0.1 m²",
        one_per_unit=(
            UnitRule(
                "community_complex",
                "elderly",
                ("community_complex", "street_centre"),
                "street",
                area="urban",
                year=2025,
                source="003 task 24; Table 1 no. 7: 每个城区街道…建设社区养老服务综合体100%",
                label_zh="城区街道社区养老服务综合体",
                label_en="Community elderly complex in every urban street",
            ),
            UnitRule(
                "regional_centre",
                "elderly",
                ("regional_centre", "street_centre"),
                "street",
                share_target=65.0,
                year=2025,
                source="003 task 29; Table 1 no. 23: 乡镇（街道）层面区域养老服务中心建有率达65%",
                label_zh="乡镇（街道）区域养老服务中心建有率",
                label_en="Towns and streets with a regional elderly centre",
            ),
            UnitRule(
                "childcare_community",
                "childcare",
                (),
                "community",
                share_target=80.0,
                year=2025,
                source="003 Table 2 no. 11; task 26: 社区婴幼儿照护服务覆盖率 0 → ≥80%",
                label_zh="社区婴幼儿照护服务覆盖率",
                label_en="Communities with infant-care service",
            ),
        ),
        coverage_targets=(
            Target(
                "unit_share",
                100.0,
                2025,
                None,
                "",
                "003 Table 1 no. 7: 17.65% → ≥100%",
                service="elderly",
                rule="community_complex",
                baseline=17.65,
                baseline_year=2020,
                label_zh="街道和有条件乡镇建有社区养老服务综合体",
                label_en="Streets (and qualifying towns) with a community elderly complex",
            ),
            Target(
                "unit_share",
                65.0,
                2025,
                None,
                "",
                "003 task 29; Table 1 no. 23",
                service="elderly",
                rule="regional_centre",
                label_zh="乡镇（街道）层面区域养老服务中心建有率",
                label_en="Towns and streets with a regional elderly centre",
            ),
            Target(
                "unit_share",
                80.0,
                2025,
                None,
                "",
                "003 Table 2 no. 11: 社区婴幼儿照护服务覆盖率 0 → ≥80%",
                service="childcare",
                rule="childcare_community",
                baseline=0.0,
                baseline_year=2020,
                label_zh="社区婴幼儿照护服务覆盖率",
                label_en="Community infant-care coverage",
            ),
            Target(
                "per_1000",
                4.5,
                2025,
                None,
                "",
                "003 (digest §3.1): 每千人口托位数 4.5",
                service="childcare",
                group="pop_total",
                baseline=0.72,
                baseline_year=2020,
                label_zh="每千人口托位数",
                label_en="托位 per 1,000 residents",
                note="1.7 per 1,000 stated for May 2023",
            ),
            Target(
                "supply",
                23_000.0,
                2025,
                None,
                "",
                "003 (digest §3.3): beds 20,000 → ≥23,000",
                service="elderly",
                baseline=20_000.0,
                baseline_year=2020,
                label_zh="养老床位",
                label_en="Elderly beds",
            ),
            Target(
                "supply",
                10_000.0,
                2025,
                None,
                "",
                "003 (digest §3.3): 托位 4,662 (2023-05) → +~10,000",
                service="childcare",
                baseline=4662.0,
                baseline_year="2023-05",
                comparison="+",
                label_zh="托位数",
                label_en="Childcare places",
            ),
            Target(
                "nursing_share",
                55.0,
                2025,
                None,
                "",
                "003 (digest §3.1): 护理型床位占比 ≥55%",
                service="elderly",
                baseline=50.0,
                baseline_year=2020,
                label_zh="护理型床位占比",
                label_en="Nursing-bed share",
            ),
        ),
        figures=(
            Figure(
                "pop_total", 2_712_900, 2020, "003 (digest §4): 2,712,900 residents (7th census)", "census"
            ),
            Figure("pop_60", 663_400, 2020, "003 (digest §4): 60+ 663,400 (24.46%)", "census"),
            Figure("pop_0_3", 86_900, 2020, "003 (digest §4): 0–3 86,900 (3.2%)", "census"),
            Figure("places", 4_662, "2023-05", "003 (digest §4): 4,662 托位, 1.7 per 1,000"),
            Figure(
                "places",
                round(0.72 * 2_712.9),
                2020,
                "derived: 0.72 per 1,000 (003 Table 2 base) × 2,712,900",
                "derived",
            ),
            Figure("beds", 8_749, "2023-05", "003 (digest §4): 74 institutions with 8,749 beds"),
            Figure("beds", 20_000, 2020, "003 (digest §4): 2020 base beds 20,000"),
        ),
        notes=(
            "003: 托位 per 1,000 is 1.7 (2023) vs 0.72 (2020 base).",
            "003: geriatrics-department share 61.11% vs 61.54%.",
        ),
    )


#: Factories of the shipped standards, by key.
STANDARDS: dict[str, Any] = {
    "yuzhong": yuzhong,
    "jiulongpo": jiulongpo,
    "chongqing": chongqing,
    "shapingba": shapingba,
    "bazhong": bazhong,
}


def get_standards(key: str) -> Standards:
    """The shipped standards of jurisdiction ``key`` (`STANDARDS`)."""
    try:
        return STANDARDS[key]()
    except KeyError:
        raise InputError(
            f"standards {key!r}: unknown jurisdiction; use one of {', '.join(STANDARDS)}."
        ) from None
