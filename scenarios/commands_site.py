"""The options of ``lifecircle site`` checked and completed: ranges, the model's needs, the preset's defaults.

What the command then does (read, build the siting inputs, solve) is
`lifecircle.scenarios.site_command`. The walking thresholds, the spacing of network candidates
and the smallest candidate footprint default to the shared presets
(`lifecircle.scenarios.presets.policy`, ``presets/policy.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..geodata.common import InputError
from .cli_checks import check_choice, check_minutes, check_option, out_file
from .presets import policy

if TYPE_CHECKING:
    from .site_command import SiteLayers, SiteRequest

#: The covering models ``--model`` names.
MODELS = ("lscp", "mclp", "budget", "capacitated", "pmedian")


@dataclass(frozen=True)
class SiteNumbers:
    """The numbers of ``lifecircle site`` as given (None: not given, or the preset's default).

    Attributes
    ----------
    model, p, budget
        The covering model, the number of new sites, the budget.
    spacing, min_area
        Candidates: network points every ``spacing`` m; the smallest footprint in m².
    per_1000
        Capacitated: places or beds per 1,000 of the group.
    minutes, rural_minutes
        Walking thresholds of urban and rural demand.
    time_limit, gap
        Solver limits: seconds and the proven relative gap.
    """

    model: str = "lscp"
    p: int | None = None
    budget: float | None = None
    spacing: float | None = None
    min_area: float | None = None
    per_1000: float | None = None
    minutes: float | None = None
    rural_minutes: float | None = None
    time_limit: float = 60.0
    gap: float = 0.0


def check_numbers(nums: SiteNumbers, service: str) -> SiteNumbers:
    """Check the numbers before anything is read (one sentence per option); fill in the defaults.

    Returns
    -------
    SiteNumbers
        ``nums`` with the thresholds, the spacing and the footprint taken from the presets where
        they were not given: the service's urban and rural minutes (``elderly`` 15 / 20, 000
        Table 1 no. 2; ``childcare`` one radius, an assumption), 200 m, 300 m² (003).
    """
    from ..geodata.schema import SERVICES

    check_choice("--service", service, SERVICES)
    _check_ranges(nums)
    need_p = {"mclp", "pmedian"} | ({"capacitated"} if nums.budget is None else set())
    if nums.model not in MODELS:
        raise InputError("cli.site.bad_model", model=nums.model)
    if nums.model in need_p and nums.p is None:
        raise InputError("cli.site.need_p", model=nums.model)
    if nums.model == "budget" and nums.budget is None:
        raise InputError("cli.site.need_budget")
    shared = policy()
    threshold = shared.services[service].threshold
    return replace(
        nums,
        spacing=shared.spacing_m if nums.spacing is None else nums.spacing,
        min_area=shared.min_area_m2 if nums.min_area is None else nums.min_area,
        minutes=threshold.urban_min if nums.minutes is None else nums.minutes,
        rural_minutes=threshold.rural_min if nums.rural_minutes is None else nums.rural_minutes,
    )


def _check_ranges(nums: SiteNumbers) -> None:
    """Each number given is in range (its option named in the sentence)."""
    p, budget, per_1000 = nums.p, nums.budget, nums.per_1000
    check_option("--p", p, p is not None and p >= 1, "cli.give.p")
    check_option("--budget", budget, budget is not None and budget > 0, "cli.give.budget")
    check_option("--spacing", nums.spacing, nums.spacing is not None and nums.spacing > 0, "cli.give.spacing")
    check_option(
        "--min-area", nums.min_area, nums.min_area is not None and nums.min_area >= 0, "cli.give.min_area"
    )
    check_option("--per-1000", per_1000, per_1000 is not None and per_1000 > 0, "cli.give.per_1000")
    check_minutes("--minutes", nums.minutes)
    check_minutes("--rural-minutes", nums.rural_minutes)
    check_option("--time-limit", nums.time_limit, nums.time_limit > 0, "cli.give.time_limit")
    check_option("--gap", nums.gap, 0 <= nums.gap < 1, "cli.give.gap")


def site_request(nums: SiteNumbers, layers: SiteLayers) -> SiteRequest:
    """The `SiteRequest` of checked numbers (`check_numbers`) and the layers."""
    from .site_command import SiteRequest
    from .siting import SitingOptions

    return SiteRequest(
        layers=layers,
        options=SitingOptions(nums.model, nums.p, nums.budget, nums.time_limit, nums.gap, where="cli"),
        spacing_m=nums.spacing,
        min_area_m2=nums.min_area,
        per_1000=nums.per_1000,
        minutes=nums.minutes,
        rural_minutes=nums.rural_minutes,
    )


def checked_out(path: Path | None) -> Path | None:
    """The sites table to write (``--out``), checked before anything is read."""
    return None if path is None else out_file(path, (".csv", ".geojson", ".gpkg"))
