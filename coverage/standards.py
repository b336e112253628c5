"""Planning standards a jurisdiction is judged against: ratios, one-per-unit rules, targets, figures.

The numbers themselves are data: the jurisdiction profiles (YAML presets shipped with
``lifecircle.scenarios``, or a user's profile file) hold them, each citing
``"<document code> <clause>"`` from ``shared/docs/policy-digest.md``: 000 Jiulongpo (district
government document 2023 no. 2), 001 Yuzhong (2022-12-29), 002 Shapingba (district office
document 2020 no. 56), 003 Bazhong (Sichuan), 004 Chongqing municipal 14th FYP (municipal
government document 2022 no. 15). `standards_from_profile` turns a profile into a `Standards`
object; `Standards.to_dict` / `standards_from_dict` round-trip.

Field vocabulary shared with the indicator table (`lifecircle.coverage.indicators`):

- ``service``: ``elderly`` or ``childcare``.
- ``group``: a population column of the demand table: ``pop_total``, ``pop_60``, ``pop_80``, ``pop_0_3``.
- ``area``: which demand a target is measured over: ``all``, ``urban`` (streets and communities) or
  ``rural`` (towns, townships and villages).
- ``level``: ``district``, ``street`` (streets, towns and townships) or ``community`` (communities
  and villages).
- ``metric``: a metric key of the indicator table (see `TARGET_METRICS`).
- ``binding``: True for binding, False for expected, None where the document states no attribute
  (shown as a dash).

The types live in ``_standards_types``, the reading of a profile in ``_standards_profile``;
this module is their public face.
"""

from __future__ import annotations

from ..geodata.labels import ATTRIBUTE_METRICS
from ._standards_profile import BASELINE_TOLERANCE, ProfileText, baseline_flags, standards_from_profile
from ._standards_types import (
    AREAS,
    COMPARISONS,
    LEVELS,
    SUPPLY_KEYS,
    TARGET_METRICS,
    TIERS,
    Figure,
    Standards,
    Target,
    UnitRule,
    standards_from_dict,
    tier_mask,
    tier_terms,
)

__all__ = [
    "AREAS",
    "ATTRIBUTE_METRICS",
    "BASELINE_TOLERANCE",
    "COMPARISONS",
    "LEVELS",
    "SUPPLY_KEYS",
    "TARGET_METRICS",
    "TIERS",
    "Figure",
    "ProfileText",
    "Standards",
    "Target",
    "UnitRule",
    "baseline_flags",
    "standards_from_dict",
    "standards_from_profile",
    "tier_mask",
    "tier_terms",
]
