"""Jurisdiction profiles and example scenarios shipped as package data."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lifecircle.geodata.errors import InputError

_PRESETS = resources.files("lifecircle.scenarios") / "presets"


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
    """A jurisdiction profile: thresholds, standards, baselines and rules, each with its source."""

    id: str
    name_zh: str
    name_en: str
    document: dict[str, str]
    adcode: str
    thresholds: dict[str, Threshold]
    profiles: dict[str, dict[str, float]] = field(default_factory=dict)
    population: dict[str, dict[str, Any]] = field(default_factory=dict)
    standards: dict[str, dict[str, Any]] = field(default_factory=dict)
    supply: dict[str, dict[str, Any]] = field(default_factory=dict)
    one_per_unit: tuple[dict[str, Any], ...] = ()
    targets: tuple[dict[str, Any], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def name(self, lang: str = "zh") -> str:
        """Display name in ``lang``."""
        return self.name_en if lang == "en" else self.name_zh


def jurisdiction_names() -> list[str]:
    """Identifiers of the shipped jurisdiction profiles."""
    folder = _PRESETS / "jurisdictions"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_jurisdiction(name_or_path: str | Path) -> Jurisdiction:
    """Load a shipped profile by id (``yuzhong``, ``jiulongpo``, …) or a profile YAML file."""
    key = str(name_or_path)
    if key in jurisdiction_names():
        text = (_PRESETS / "jurisdictions" / f"{key}.yaml").read_text(encoding="utf-8")
        where = f"preset {key}"
    else:
        path = Path(key)
        if not path.exists():
            raise InputError(
                f"jurisdiction {key!r}: not a shipped profile ({', '.join(jurisdiction_names())}) "
                "nor a profile file; pick one of those or give a path."
            )
        text, where = path.read_text(encoding="utf-8"), str(path)
    raw = yaml.safe_load(text)
    try:
        thresholds = {
            svc: Threshold(float(v["urban"]), float(v.get("rural", v["urban"])), str(v["source"]))
            for svc, v in raw["thresholds"].items()
        }
        return Jurisdiction(
            id=raw["id"],
            name_zh=raw["name"]["zh"],
            name_en=raw["name"]["en"],
            document=dict(raw["document"]),
            adcode=str(raw.get("adcode", "")),
            thresholds=thresholds,
            profiles=dict(raw.get("profiles") or {}),
            population=dict(raw.get("population") or {}),
            standards=dict(raw.get("standards") or {}),
            supply=dict(raw.get("supply") or {}),
            one_per_unit=tuple(raw.get("one_per_unit") or ()),
            targets=tuple(raw.get("targets") or ()),
            extra={k: v for k, v in raw.items() if k == "rural_zone"},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"{where}: malformed jurisdiction profile (field {exc}); compare with a shipped one."
        ) from None


def example_scenario(name: str) -> Path:
    """Path of a shipped example scenario (``helsinki``, ``yuzhong``, …)."""
    path = Path(str(_PRESETS / "scenarios" / f"{name}.yaml"))
    if not path.exists():
        raise InputError(f"example scenario {name!r} does not exist.")
    return path
