"""Jurisdiction profiles and example scenarios shipped as package data."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..geodata.bilingual import source_of
from ..geodata.common import InputError, Msg

_PRESETS = resources.files("lifecircle.scenarios") / "presets"
#: libyaml when the wheel has it (profiles and scenarios parse ten times faster), else pure Python.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Threshold:
    """Walking minutes for one service, urban and rural, with the clause that sets them."""

    urban_min: float
    rural_min: float
    source: str  # a citation (`lifecircle.geodata.bilingual.cite`: English value) or ``assumption``

    @property
    def is_assumption(self) -> bool:
        """True when no policy document sets this threshold."""
        return self.source == "assumption"


@dataclass(frozen=True)
class Jurisdiction:
    """A jurisdiction profile: its walking thresholds, profiles and population bases, and the raw YAML.

    The policy numbers (ratios, supplies, one-per-unit rules, plan targets, data-quality notes) are
    read from ``raw`` by `lifecircle.coverage.standards.standards_from_profile`.

    Attributes
    ----------
    id, name_zh, name_en, adcode
        Identity of the jurisdiction.
    document
        The governing document (``code``, ``title``, ``issuer``, ``date``).
    thresholds
        Walking minutes per service; ``rural`` defaults to ``urban`` where the document sets none.
    profiles
        Overrides of the walking profiles (``speed_mps``, ``steps_factor``) by profile name.
    population
        Documented population bases (``base``, ``projection``) with year and source.
    raw
        The profile as read from YAML.
    origin
        Where it was read from (``preset yuzhong`` or the file path), for messages.
    """

    id: str
    name_zh: str
    name_en: str
    document: dict[str, str]
    adcode: str
    thresholds: dict[str, Threshold]
    profiles: dict[str, dict[str, float]] = field(default_factory=dict)
    population: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    origin: str = ""

    def name(self, lang: str = "zh") -> str:
        """Display name in ``lang``."""
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class ServicePolicy:
    """What a service is measured with: its walking profile, its population group, its threshold."""

    profile: str
    group: str
    threshold: Threshold
    one_radius: bool = False


@dataclass(frozen=True)
class Policy:
    """The shared defaults of ``presets/policy.yaml`` (each number with its source).

    Attributes
    ----------
    services
        Service → its walking profile, population group and default threshold.
    spacing_m
        Spacing of network candidates when no candidate layer is given (an assumption).
    min_area_m2
        Smallest candidate footprint (003, the second guarantee element).
    spacing_source, min_area_source
        Where those two numbers come from (``"<document code> <clause>"`` or ``assumption``).
    """

    services: dict[str, ServicePolicy]
    spacing_m: float
    min_area_m2: float
    spacing_source: str = "assumption"
    min_area_source: str = "assumption"

    def profile(self, service: str) -> str:
        """The walking profile of ``service`` (``adult`` for a service the preset does not name)."""
        got = self.services.get(service)
        return got.profile if got is not None else "adult"

    def one_radius(self, service: str) -> bool:
        """Whether ``service`` has one radius for urban and rural homes (its urban minutes)."""
        got = self.services.get(service)
        return got is not None and got.one_radius

    def group(self, service: str) -> str:
        """The population group of ``service`` (``pop_total`` for one the preset does not name)."""
        got = self.services.get(service)
        return got.group if got is not None else "pop_total"


@functools.cache
def policy() -> Policy:
    """The shared defaults, read once from the shipped ``policy.yaml``."""
    raw = yaml.load((_PRESETS / "policy.yaml").read_text(encoding="utf-8"), Loader=YAML_LOADER)
    services = {
        svc: ServicePolicy(
            v["profile"],
            v["group"],
            Threshold(
                float(v["threshold"]["urban"]),
                float(v["threshold"]["rural"]),
                source_of(v["threshold"]["source"]),
            ),
            bool(v.get("one_radius", False)),
        )
        for svc, v in raw["services"].items()
    }
    spacing, area = raw["candidates"]["spacing_m"], raw["candidates"]["min_area_m2"]
    return Policy(
        services,
        float(spacing["value"]),
        float(area["value"]),
        spacing_source=source_of(spacing["source"]),
        min_area_source=source_of(area["source"]),
    )


def jurisdiction_names() -> list[str]:
    """Identifiers of the shipped jurisdiction profiles."""
    folder = _PRESETS / "jurisdictions"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_jurisdiction(name_or_path: str | Path) -> Jurisdiction:
    """Load a shipped profile by id (``yuzhong``, ``jiulongpo``, …) or a profile YAML file.

    The policy numbers in it are checked on load (`standards_from_profile`), so a malformed
    profile fails here with one sentence naming the file and the field.
    """
    key = str(name_or_path)
    if key in jurisdiction_names():
        text = (_PRESETS / "jurisdictions" / f"{key}.yaml").read_text(encoding="utf-8")
        where = f"preset {key}"
    else:
        path = Path(key)
        if not path.exists():
            raise InputError("presets.unknown_jurisdiction", key=key, names=jurisdiction_names())
        text, where = path.read_text(encoding="utf-8"), str(path)
    raw = _read_yaml(text, where)
    try:
        juris = _jurisdiction(raw, where)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError("presets.malformed", where=where, field=str(exc)) from None
    from ..coverage.standards import standards_from_profile  # numpy: not at ``lifecircle --help``

    standards_from_profile(juris)  # the policy numbers: fail here, naming the file, not mid-run
    return juris


def example_scenario(name: str) -> Path:
    """Path of a shipped example scenario (``helsinki``, ``yuzhong``, …)."""
    path = Path(str(_PRESETS / "scenarios" / f"{name}.yaml"))
    if not path.exists():
        raise InputError("presets.no_example", name=name)
    return path


def _read_yaml(text: str, where: str) -> dict[str, Any]:
    """The profile's mapping, or `InputError` naming ``where`` (bad YAML, not a mapping)."""
    try:
        raw = yaml.load(text, Loader=YAML_LOADER)  # libyaml: the profiles are long (0.27 s in pure Python)
    except yaml.YAMLError as exc:
        raise InputError("schema.bad_yaml", path=where, at=yaml_line(exc)) from None
    if not isinstance(raw, dict):
        raise InputError("presets.not_mapping", where=where)
    return raw


def yaml_line(exc: Exception) -> Msg | str:
    """Where a YAML error is, as a clause (`` at line 3``), or ``""`` when the parser does not say."""
    mark = getattr(exc, "problem_mark", None)
    return "" if mark is None else Msg("schema.at_line", line=mark.line + 1)


def _jurisdiction(raw: dict[str, Any], where: str) -> Jurisdiction:
    """The profile's fields (a missing or malformed one raises ``KeyError``, ``TypeError``, …)."""
    thresholds = {
        svc: Threshold(float(v["urban"]), float(v.get("rural", v["urban"])), source_of(v["source"]))
        for svc, v in raw["thresholds"].items()
    }
    population = {
        block: {**values, "source": source_of(values.get("source"))} if isinstance(values, dict) else values
        for block, values in (raw.get("population") or {}).items()
    }
    return Jurisdiction(
        id=raw["id"],
        name_zh=raw["name"]["zh"],
        name_en=raw["name"]["en"],
        document=dict(raw["document"]),
        adcode=str(raw.get("adcode", "")),
        thresholds=thresholds,
        profiles=dict(raw.get("profiles") or {}),
        population=population,
        raw=raw,
        origin=where,
    )
