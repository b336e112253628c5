"""Jurisdiction profiles and example scenarios shipped as package data."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..coverage.standards import standards_from_profile
from ..geodata.common import InputError

_PRESETS = resources.files("lifecircle.scenarios") / "presets"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Threshold:
    """Walking minutes for one service, urban and rural, with the clause that sets them."""

    urban_min: float
    rural_min: float
    source: str

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
        Smallest candidate footprint (003 保障要素二).
    """

    services: dict[str, ServicePolicy]
    spacing_m: float
    min_area_m2: float

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
    raw = yaml.load((_PRESETS / "policy.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    services = {
        svc: ServicePolicy(
            v["profile"],
            v["group"],
            Threshold(
                float(v["threshold"]["urban"]), float(v["threshold"]["rural"]), v["threshold"]["source"]
            ),
            bool(v.get("one_radius", False)),
        )
        for svc, v in raw["services"].items()
    }
    cand = raw["candidates"]
    return Policy(services, float(cand["spacing_m"]["value"]), float(cand["min_area_m2"]["value"]))


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
            raise InputError(
                f"jurisdiction {key!r}: not a shipped profile ({', '.join(jurisdiction_names())}) "
                "nor a profile file; pick one of those or give a path.",
                zh=f"jurisdiction {key!r}：既不是内置的辖区配置（{'、'.join(jurisdiction_names())}），"
                "也不是配置文件；请从中选择一个，或给出文件路径。",
            )
        text, where = path.read_text(encoding="utf-8"), str(path)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        at_zh = f"（第 {mark.line + 1} 行）" if mark is not None else ""
        raise InputError(
            f"{where}: not valid YAML{at}; fix the indentation or quoting there.",
            zh=f"{where}：YAML 格式有误{at_zh}；请修正该处的缩进或引号。",
        ) from None
    if not isinstance(raw, dict):
        raise InputError(
            f"{where}: a jurisdiction profile is a mapping of fields; compare with a shipped one.",
            zh=f"{where}：辖区配置应由字段和取值组成；请对照内置的配置文件。",
        )
    try:
        thresholds = {
            svc: Threshold(float(v["urban"]), float(v.get("rural", v["urban"])), str(v["source"]))
            for svc, v in raw["thresholds"].items()
        }
        juris = Jurisdiction(
            id=raw["id"],
            name_zh=raw["name"]["zh"],
            name_en=raw["name"]["en"],
            document=dict(raw["document"]),
            adcode=str(raw.get("adcode", "")),
            thresholds=thresholds,
            profiles=dict(raw.get("profiles") or {}),
            population=dict(raw.get("population") or {}),
            raw=raw,
            origin=where,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            f"{where}: malformed jurisdiction profile (field {exc}); compare with a shipped one.",
            zh=f"{where}：辖区配置格式有误（字段 {exc}）；请对照内置的配置文件。",
        ) from None
    standards_from_profile(juris)  # the policy numbers: fail here, naming the file, not mid-run
    return juris


def example_scenario(name: str) -> Path:
    """Path of a shipped example scenario (``helsinki``, ``yuzhong``, …)."""
    path = Path(str(_PRESETS / "scenarios" / f"{name}.yaml"))
    if not path.exists():
        raise InputError(f"example scenario {name!r} does not exist.", zh=f"示例情景 {name!r} 不存在。")
    return path
