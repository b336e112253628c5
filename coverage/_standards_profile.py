"""Build `Standards` from a jurisdiction profile (the YAML presets in scenarios/presets/jurisdictions)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..geodata.bilingual import Pair, remember, source_of
from ..geodata.common import InputError, Msg, Note, render
from ._standards_types import SUPPLY_KEYS, Figure, Standards, Target, UnitRule, key_list

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
    "colocation_m": ("value", "source"),
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
#: Kinds of population figure whose names are in the catalogue (``standards.figure_kind.*``).
_FIGURE_KINDS: tuple[str, ...] = ("census", "projection", "derived")

#: Relative difference above which a stated per-1,000 baseline and the documented supply over the
#: documented population are flagged as inconsistent (the documents round ratios to 1–2 digits).
BASELINE_TOLERANCE = 0.05


#: Words a profile gives itself (a data-quality note, a label), in English and maybe Chinese: pass it
#: as the field of ``standards.profile_note`` to make a `Note` of it; the Chinese falls back to the
#: English where the profile gives none.
ProfileText = Pair


@dataclass(frozen=True)
class Loc:
    """Where in a profile a message points: a name (rendered in the message's language) and a path.

    ``Loc(name) + ": targets[3]"`` is the place ``targets[3]`` of the profile called ``name``;
    a file path needs no `Loc` (a plain string grows the same way).
    """

    base: Any
    rest: str = ""

    def text(self, lang: str = "zh") -> str:
        """The place in ``lang``."""
        return f"{render(self.base, lang)}{self.rest}"

    def __add__(self, rest: str) -> Loc:
        return Loc(self, rest)

    def __str__(self) -> str:
        return self.text("en")


Where = str | Loc


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

    ``binding`` is true (binding), false (expected) or left out where the document states none.

    Raises
    ------
    InputError
        Naming the profile, the entry and the field that is unknown, missing or malformed.
    """
    raw = profile if isinstance(profile, Mapping) else getattr(profile, "raw", None)
    if not isinstance(raw, Mapping):
        raise InputError("standards.not_a_profile")
    key = str(raw.get("id") or "")
    given = where or getattr(profile, "origin", "")
    at: Where = str(given) if given else Loc(_profile_name(key))
    if not key:
        raise InputError("standards.no_id", where=at)
    name = _mapping(raw.get("name"), at + ": name")
    doc = _mapping(raw.get("document"), at + ": document")
    rules = _rules(raw.get("one_per_unit"), at)
    targets = _targets(raw.get("targets"), rules, at)
    figures = _figures(raw, at)
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
        notes=(*_notes(raw, at), *baseline_flags(code, targets, figures)),
        **_ratio_fields(raw, at),
    )


def _profile_name(key: str) -> Msg:
    """The profile's name in messages when it has no file: ``jurisdiction profile <id>``."""
    return Msg("standards.where.profile", key=key) if key else Msg("standards.where.profile_no_id")


def _notes(raw: Mapping[str, Any], where: Where) -> list[str]:
    """The profile's ``notes``: plain sentences as they are, ``{en, zh}`` pairs as `Note`."""
    notes = raw.get("notes") or []
    ok = isinstance(notes, list) and all(isinstance(n, str) or _is_pair(n) for n in notes)
    if not ok:
        raise InputError("standards.bad_notes", where=where)
    return [_pair_note(n) if _is_pair(n) else n for n in notes]


def _pair_note(n: Mapping[str, Any]) -> Note:
    """An ``{en, zh}`` pair as a `Note` (its value the English), remembered for the outputs."""
    note = Note("standards.profile_note", text=ProfileText(n["en"], n.get("zh")))
    remember(note)
    return note


def said(value: Any, where: Where) -> str:
    """A text of the profile: a citation ``{doc, clause, text}``, an ``{en, zh}`` pair, or plain text.

    Citations and pairs become `Note` objects (a `str` holding the English) that render in each
    language (`lifecircle.geodata.bilingual`); plain text stays as it is.
    """
    if value is None:
        return ""
    if isinstance(value, Mapping) and "doc" in value:
        return source_of(value)
    if _is_pair(value):
        return _pair_note(value)
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise InputError("standards.bad_text", where=where, value=repr(value))


def _is_pair(n: Any) -> bool:
    """Whether ``n`` is an ``{en: ..., zh: ...}`` pair (``zh`` optional)."""
    return isinstance(n, Mapping) and isinstance(n.get("en"), str) and {*n} <= {"en", "zh"}


def _ratio_fields(raw: Mapping[str, Any], where: Where) -> dict[str, Any]:
    """The `Standards` fields of the circle times (``thresholds``) and the ratios (``standards``)."""
    thr = _mapping(raw.get("thresholds"), where + ": thresholds").get("elderly")
    at = where + ": thresholds.elderly"
    thr = _known(_mapping(thr, at), ("urban", "rural", "source"), at)
    std = _known(_mapping(raw.get("standards"), where + ": standards"), _RATIOS, where + ": standards")
    ratios: dict[str, Mapping[str, Any]] = {
        k: _known(_mapping(std.get(k), where + f": standards.{k}"), names, where + f": standards.{k}")
        for k, names in _RATIOS.items()
    }
    fields: dict[str, Any] = {
        "circle_min_urban": _num(thr.get("urban"), where + ": thresholds.elderly.urban"),
        "circle_min_rural": _num(thr.get("rural"), where + ": thresholds.elderly.rural"),
        "circle_source": said(thr.get("source"), at),
    }
    for prefix, block, default_group in (
        ("beds", "beds_per_1000_elderly", "pop_60"),
        ("places", "places_per_1000", "pop_total"),
        ("nursing", "nursing_share", ""),
    ):
        e, at = ratios[block], where + f": standards.{block}"
        fields["nursing_share_pct" if prefix == "nursing" else block] = _num(e.get("value"), at)
        if default_group:
            fields[f"{prefix}_group"] = str(e.get("group", default_group))
        fields[f"{prefix}_year"] = e.get("year")
        fields[f"{prefix}_binding"] = _binding(e.get("binding"), at)
        fields[f"{prefix}_source"] = said(e.get("source"), at)
        if default_group:
            fields[f"{prefix}_base"], fields[f"{prefix}_base_note"] = _base(e, raw, at)
    by_area, at = ratios["places_per_1000_by_area"], where + ": standards.places_per_1000_by_area"
    fields["places_per_1000_new_residential"] = _num(by_area.get("new_residential"), at)
    fields["places_per_1000_old_areas"] = _num(by_area.get("old_areas"), at)
    fields["places_area_source"] = said(by_area.get("source"), at)
    land = ratios["land_per_capita_m2"]
    fields["land_m2_per_capita"] = _num(land.get("value"), where + ": standards.land_per_capita_m2")
    fields["land_source"] = said(land.get("source"), where + ": standards.land_per_capita_m2")
    near = ratios["colocation_m"]
    fields["colocation_m"] = _num(near.get("value"), where + ": standards.colocation_m")
    fields["colocation_source"] = said(near.get("source"), where + ": standards.colocation_m")
    return fields


def _base(entry: Mapping[str, Any], raw: Mapping[str, Any], where: Where) -> tuple[str, str]:
    """A ratio's ``base`` (a ``population`` block of the profile) and ``base_note`` (text or en/zh)."""
    block = entry.get("base")
    blocks = sorted(str(k) for k in _mapping(raw.get("population"), where + ": population"))
    if block is not None and str(block) not in blocks:
        raise InputError(
            "standards.bad_base",
            where=where,
            block=repr(block),
            blocks=tuple(blocks) or Msg("standards.none"),
        )
    note = entry.get("base_note", "")
    if _is_pair(note):
        note = _pair_note(note)
    elif not isinstance(note, str):
        raise InputError("standards.bad_base_note", where=where)
    return ("" if block is None else str(block)), note


def baseline_flags(document: str, targets: Iterable[Target], figures: Iterable[Figure]) -> list[Note]:
    """Data-quality flags: a per-1,000 baseline the document's own supply and population contradict.

    For each ``per_1000`` target with a baseline, the supply figures of the same date divided by
    the group's first documented population (both stated, not derived) give the ratio the
    baseline should be; a difference above `BASELINE_TOLERANCE` is flagged, naming both numbers
    (001: childcare places 1.5 per 1,000 vs 1,088 / 588.7 = 1.85).
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
            if abs(ratio - t.baseline) > BASELINE_TOLERANCE * t.baseline:
                out.append(_baseline_note(document, t, sup, pop, ratio))
    return out


def _baseline_note(document: str, t: Target, sup: Figure, pop: Figure, ratio: float) -> Note:
    """The flag of a baseline ``t`` that the supply ``sup`` over the population ``pop`` contradicts."""
    what_en = t.label_en or f"{t.service} per 1,000"
    if pop.note in _FIGURE_KINDS:
        kind: Any = Msg(f"standards.figure_kind.{pop.note}")
    else:
        kind = ProfileText(pop.note or pop.block, pop.note)
    return Note(
        "standards.baseline_inconsistent",
        document=document,
        what=ProfileText(what_en, t.label_zh or what_en),
        baseline=t.baseline,
        supply=sup.value,
        pop_k=f"{pop.value / 1000:,.1f}",
        ratio=ratio,
        source=sup.source,
        year=pop.year,
        kind=kind,
    )


def _mapping(v: Any, where: Where) -> Mapping[str, Any]:
    """``v`` as a mapping (empty for None)."""
    if v is None:
        return {}
    if not isinstance(v, Mapping):
        raise InputError("standards.not_mapping", where=where, value=repr(v))
    return v


def _known(entry: Mapping[str, Any], fields: Iterable[str], where: Where) -> Mapping[str, Any]:
    """``entry`` after checking it has no field outside ``fields``."""
    names = tuple(fields)
    unknown = sorted(str(k) for k in set(entry) - set(names))
    if unknown:
        raise InputError(
            "standards.unknown_fields",
            where=where,
            unknown=", ".join(unknown),
            fields=", ".join(sorted(names)),
        )
    return entry


def _num(v: Any, where: Where) -> float | None:
    """``v`` as a float (None stays None)."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise InputError("standards.not_a_number", where=where, value=repr(v))
    return float(v)


def _binding(v: Any, where: Where = "standards") -> bool | None:
    """A ``binding`` field: true, false or null (not stated)."""
    if v is None or isinstance(v, bool):
        return v
    raise InputError("standards.bad_binding", where=where, value=repr(v))


def _entries(v: Any, where: Where) -> list[Mapping[str, Any]]:
    """A mapping or a list of mappings, as a list."""
    items = v if isinstance(v, list) else [v]
    return [_mapping(x, where + f"[{i}]" if isinstance(v, list) else where) for i, x in enumerate(items)]


def _figures(raw: Mapping[str, Any], where: Where) -> tuple[Figure, ...]:
    """Documented population bases (``population``) and supplies (``supply``), in profile order."""
    out: list[Figure] = []
    population = _mapping(raw.get("population"), where + ": population")
    for kind, block in population.items():
        at = where + f": population.{kind}"
        block = _known(_mapping(block, at), (*_GROUPS, "year", "note", "source"), at)
        for grp in _GROUPS:
            if grp not in block:
                continue
            v = block[grp]
            own = _known(v, ("value", "source", "note"), at + f".{grp}") if isinstance(v, Mapping) else {}
            value = _num(own.get("value") if own else v, at + f".{grp}")
            if value is None:
                raise InputError("standards.population_no_value", where=at + f".{grp}")
            source = said(own.get("source", block.get("source")), at + f".{grp}")
            note = said(own.get("note", block.get("note", kind)), at + f".{grp}")
            out.append(Figure(grp, value, block.get("year", ""), source, note, block=str(kind)))
    supply = _known(_mapping(raw.get("supply"), where + ": supply"), _SUPPLIES, where + ": supply")
    for what, block in supply.items():
        for i, e in enumerate(_entries(block, where + f": supply.{what}")):
            at = where + f": supply.{what}" + (f"[{i}]" if isinstance(block, list) else "")
            _known(e, ("value", "date", "source", "note"), at)
            value = _num(e.get("value"), at)
            if value is None:
                raise InputError("standards.supply_no_value", where=at)
            out.append(
                Figure(what, value, e.get("date", ""), said(e.get("source"), at), said(e.get("note"), at))
            )
    return tuple(out)


def _rules(entries: Any, where: Where) -> list[UnitRule]:
    """The profile's ``one_per_unit`` rules; a rule without a key gets one built from its fields."""
    rules: list[UnitRule] = []
    for i, r in enumerate(entries or ()):
        at = where + f": one_per_unit[{i}]"
        r = _known(_mapping(r, at), _RULE_FIELDS, at)
        if r.get("urban_only") and r.get("rural_only"):
            raise InputError("standards.urban_and_rural", where=at)
        area = "urban" if r.get("urban_only") else "rural" if r.get("rural_only") else r.get("area", "all")
        tiers = tuple(str(x) for x in (r.get("tiers") or ()))
        _require(r, ("service", "level"), at)
        rkey = r.get("key") or f"{r['service']}_{r['level']}_{area}_{'-'.join(tiers) or 'any'}"
        if any(x.key == rkey for x in rules):
            if r.get("key"):
                raise InputError("standards.key_in_use", where=at, key=repr(rkey))
            rkey = f"{rkey}_{i}"
        share = _num(r.get("share_target", 100.0), at + ": share_target")
        min_count = _num(r.get("min_count", 1), at + ": min_count")
        rule = dict(
            key=str(rkey),
            service=str(r["service"]),
            tiers=tiers,
            level=str(r["level"]),
            area=str(area),
            min_count=int(min_count or 0),
            share_target=100.0 if share is None else share,
            year=r.get("year"),
            binding=_binding(r.get("binding"), at),
            source=said(r.get("source"), at),
            note=said(r.get("note"), at),
            feature=str(r.get("feature", "")),
            **{k: str(r.get(k, "")) for k in ("label_zh", "label_en")},
        )
        rules.append(_made(UnitRule, rule, at))
    return rules


def _require(entry: Mapping[str, Any], names: tuple[str, ...], where: Where) -> None:
    """Raise `InputError` naming the first of ``names`` that ``entry`` lacks."""
    for req in names:
        if req not in entry:
            raise InputError("standards.missing_field", where=where, field=req)


def _made(cls: type, fields: dict[str, Any], where: Where) -> Any:
    """``cls(**fields)``; its own `InputError` (a metric, area or level not ours) names ``where``."""
    try:
        return cls(**fields)
    except InputError as exc:
        raise InputError("standards.at", where=where, error=exc.msg) from None


def _targets(entries: Any, rules: list[UnitRule], where: Where) -> list[Target]:
    """The profile's ``targets`` in order; older share/count forms find (or add) their unit rule."""
    targets: list[Target] = []
    for i, t in enumerate(entries or ()):
        at = where + f": targets[{i}]"
        t = _known(_mapping(t, at), _TARGET_FIELDS, at)
        _require(t, ("metric", "value", "year"), at)
        metric = str(t["metric"])
        area = str(t.get("area", t.get("scope", "all")))
        rule = str(t.get("rule", ""))
        if metric in _METRIC_ALIASES:
            rule = rule or _rule_for(rules, t, metric)
            metric = _METRIC_ALIASES[metric]
        keys = [x.key for x in rules]
        if rule and rule not in keys:
            raise InputError("standards.rule_not_a_key", where=at, rule=repr(rule), keys=key_list(keys))
        baseline = _num(t.get("baseline"), at + ": baseline")
        value = _num(t["value"], at + ": value")
        if value is None:
            raise InputError("standards.target_no_value", where=at)
        year = t["year"]
        if isinstance(year, bool) or not isinstance(year, int):
            raise InputError("standards.target_bad_year", where=at, year=repr(year))
        target = dict(
            metric=metric,
            value=value,
            year=year,
            binding=_binding(t.get("binding"), at),
            lead_unit=str(t.get("lead_unit", "")),
            source=said(t.get("source"), at),
            service=str(t.get("service", "elderly")),
            group=str(t.get("group", "")),
            area="all" if area == "district" else area,
            rule=rule,
            baseline=baseline,
            baseline_year=t.get("baseline_year"),
            comparison=str(t.get("comparison", ">=")),
            note=said(t.get("note"), at),
            **{k: str(t.get(k, "")) for k in ("label_zh", "label_en")},
        )
        targets.append(_made(Target, target, at))
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
            source=said(t.get("source"), "targets"),
        )
    )
    return key
