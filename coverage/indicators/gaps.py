"""Capacity gaps from documented figures: need = standard × population / 1,000, gap = need − supply.

Each gap names its population base (group, count, year, source) and its supply (count, date,
source), so that a stated gap can be traced to the figures it rests on; `gap_frame` shows them as
a table in Chinese or English.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from ...geodata.common import InputError, say
from ...geodata.labels import label
from ..standards import Figure, Standards

#: Columns of `gap_frame`, before they are named in the table's language.
GAP_COLUMNS: tuple[str, ...] = (
    "service",
    "per_1000",
    "standard_source",
    "base_group",
    "base_value",
    "base_year",
    "base_source",
    "need",
    "supply",
    "supply_date",
    "supply_source",
    "gap",
)


@dataclass(frozen=True)
class CapacityGap:
    """A capacity gap computed from documented figures: need = standard × population / 1,000.

    Attributes
    ----------
    service
        ``elderly`` (beds) or ``childcare`` (places).
    per_1000
        The standard, per 1,000 of the population base.
    standard_source
        Citation of the standard.
    population
        The population base (`Figure`: which group, how many, which year, which source).
    supply
        The supply (`Figure`: how many, as of when, which source).
    """

    service: str
    per_1000: float
    standard_source: str
    population: Figure
    supply: Figure

    @property
    def need(self) -> float:
        """Need: standard × population / 1,000."""
        return self.per_1000 * self.population.value / 1000.0

    @property
    def gap(self) -> float:
        """Gap: need − supply (negative: supply above the standard)."""
        return self.need - self.supply.value

    @property
    def need_whole(self) -> int:
        """Need in whole beds or places, rounded up (001 states 588,700 × 4.5 / 1,000 as 2,650)."""
        return math.ceil(self.need - 1e-9)

    @property
    def gap_whole(self) -> int:
        """Whole-number gap: `need_whole` − supply (001: 2,650 − 1,011 = 1,639)."""
        return self.need_whole - math.ceil(self.supply.value - 1e-9)


def capacity_gap(
    per_1000: float, population: Figure, supply: Figure, *, service: str, source: str = ""
) -> CapacityGap:
    """Gap in beds or childcare places between a per-1,000 standard and a supply, from stated figures.

    Examples
    --------
    001: 4.5 places per 1,000 × 588,700 residents = 2,649 ≈ 2,650 places needed.
    """
    if population.value < 0 or supply.value < 0 or per_1000 < 0:
        raise InputError("ind.gap.negative")
    return CapacityGap(service, float(per_1000), source, population, supply)


def documented_gaps(standards: Standards) -> list[CapacityGap]:
    """Every gap the jurisdiction's documented figures allow: each population base × each supply.

    For beds, the standard's group (60+) figures against the ``beds`` figures; for childcare
    places, the residents' figures against the ``places`` figures. Listing every pairing shows
    which base (census or projection, which year) and which supply date a stated gap rests on,
    e.g. 001's gap of 1,639 places = 2,650 − 1,011 uses the 2020 census and the text's supply, not
    the table's.
    """
    out: list[CapacityGap] = []
    for service, supply_key in (("elderly", "beds"), ("childcare", "places")):
        per, group, source = standards.per_1000(service)
        if per is None:
            continue
        bases = [f for f in standards.figures if f.key == group]
        supplies = [f for f in standards.figures if f.key == supply_key]
        out.extend(
            capacity_gap(per, b, sup, service=service, source=source) for b in bases for sup in supplies
        )
    return out


def gap_frame(gaps: Sequence[CapacityGap], *, lang: str = "zh") -> pd.DataFrame:
    """Capacity gaps as a table stating population base, year and source, and supply date."""
    rows = [
        {
            "service": label(g.service, lang),
            "per_1000": g.per_1000,
            "standard_source": g.standard_source,
            "base_group": label(g.population.key, lang),
            "base_value": g.population.value,
            "base_year": str(g.population.year),
            "base_source": g.population.source,
            "need": g.need_whole,
            "supply": g.supply.value,
            "supply_date": str(g.supply.year),
            "supply_source": g.supply.source,
            "gap": g.gap_whole,
        }
        for g in gaps
    ]
    df = pd.DataFrame(rows, columns=list(GAP_COLUMNS))
    return df.rename(columns={k: say(f"ind.head.gap.{k}", lang) for k in GAP_COLUMNS})
