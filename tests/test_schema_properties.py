"""Property-based tests of the scenario schema: no generated scenario may produce a traceback.

Scenarios are generated three ways: a valid scenario with any field (at any depth, named from the
schema's msgspec structs themselves) set to any JSON/YAML value; YAML text (random text and bytes, dumped
trees, anchors, aliases, tags); and valid scenarios over the small inputs of the bad-input matrix
with their numbers changed, which are run. Each must give a `Scenario` (or a run) or an
`InputError` (one sentence in English and a different one in Chinese), and nothing else.
Hypothesis runs derandomized (the same examples every run, so a strict xfail stays put) and
keeps no example database.
"""

from __future__ import annotations

import copy
import math
import tempfile
import types
import typing
from pathlib import Path

import msgspec
import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from test_bad_input_matrix import GOOD_SCENARIO

from lifecircle.geodata.common import InputError
from lifecircle.scenarios.schema import Scenario, load_scenario, scenario_from_dict

pytestmark = pytest.mark.filterwarnings("ignore")

#: The matrix's good scenario with every optional block filled in.
BASE: dict = {
    **copy.deepcopy(GOOD_SCENARIO),
    "thresholds": {"elderly": {"urban": 15, "rural": 20}},
    "profiles": {"elderly": {"speed_mps": 0.9}},
    "outputs": {"lang": "zh", "tiers": [5, 10, 15, 20], "max_snap_m": 250.0},
}


def _unwrap(tp):
    """The non-None types of an annotation (``X | None`` → ``[X]``)."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        return [a for a in typing.get_args(tp) if a is not type(None)]
    return [tp]


def field_paths(model: type[msgspec.Struct] = Scenario, prefix: tuple = ()) -> list[tuple[tuple, object]]:
    """Every field of the scenario schema as a key path (lists at index 0, dicts at 'elderly').

    Each comes with its annotation without ``Meta`` bounds (``float | None``, not ``Annotated[…]``);
    fields that are not part of the file (``base_dir``) are left out.
    """
    out = []
    hints = typing.get_type_hints(model)
    for field in msgspec.structs.fields(model):
        if field.name in model._excluded:
            continue
        path = (*prefix, field.name)
        out.append((path, hints[field.name]))
        for tp in _unwrap(hints[field.name]):
            origin, args = typing.get_origin(tp), typing.get_args(tp)
            inner, step = tp, ()
            if origin is list and args:
                inner, step = args[0], (0,)
            elif origin is dict and args:
                inner, step = args[1], ("elderly",)
            if isinstance(inner, type) and issubclass(inner, msgspec.Struct):
                out.extend(field_paths(inner, (*path, *step)))
    return out


PATHS = field_paths()

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1e-300, 1e308, -1e308, 10**400, 0.5, 120, 121]),
    st.text(max_size=20),
    st.sampled_from(["", " ", "../" * 12 + "etc/passwd", "/etc/passwd", "embedded", "elderly", "eldery",
                     "wgs84", "gcj02", "mars2000", "epsg:999999", "pop_60", "500103", "a\nb", "\x00"]),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _set(tree, path: tuple, value):
    """``tree`` with ``value`` at ``path``; what is on the way is made a list or mapping as needed."""
    if not path:
        return value
    key, rest = path[0], path[1:]
    if isinstance(key, int):
        node = list(tree) if isinstance(tree, list) else []
        node.extend({} for _ in range(key + 1 - len(node)))
    else:
        node = dict(tree) if isinstance(tree, dict) else {}
        node.setdefault(key, None)
    node[key] = _set(node[key], rest, value)
    return node


def _copy(tree):
    return yaml.safe_load(yaml.safe_dump(tree))


@st.composite
def mutated(draw, base: dict = BASE, how_many: int = 3) -> dict:
    """``base`` with one to ``how_many`` fields set to arbitrary values (or deleted)."""
    tree = _copy(base)
    for _ in range(draw(st.integers(1, how_many))):
        path, _ = draw(st.sampled_from(PATHS))
        if draw(st.integers(0, 9)) == 0:
            node = tree
            for key in path[:-1]:
                node = node.get(key) if isinstance(node, dict) else None
            if isinstance(node, dict):
                node.pop(path[-1], None)
            continue
        tree = _set(tree, path, draw(values))
    return tree


def check_error(exc: InputError, *, one_line: bool = False) -> None:
    """An input error is a sentence in English and a different one in Chinese (on one line)."""
    en, zh = exc.text("en"), exc.text("zh")
    assert en and zh and zh != en, (en, zh)
    assert en.endswith((".", "?")) and zh.endswith("。"), (en, zh)
    if one_line:
        assert "\n" not in en and "\n" not in zh, (en, zh)


def outcome(call, *, one_line: bool = False) -> object:
    """The result of ``call()``, or the `InputError` it raised; any other exception propagates."""
    try:
        return call()
    except InputError as exc:
        check_error(exc, one_line=one_line)
        return exc


PROPS = settings(
    database=None,
    derandomize=True,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@PROPS
@given(raw=mutated())
def test_any_field_any_value_is_a_scenario_or_one_input_error(raw):
    got = outcome(lambda: scenario_from_dict(raw, where="s.yaml", base_dir=Path(".")))
    assert isinstance(got, Scenario | InputError)


@PROPS
@example(raw=_set(_copy(BASE), ("siting", "service"), "\n"))
@given(raw=mutated())
def test_any_field_any_value_is_told_on_one_line(raw):
    got = outcome(lambda: scenario_from_dict(raw, where="s.yaml"), one_line=True)
    assert isinstance(got, Scenario | InputError)


@PROPS
@given(raw=st.one_of(values, st.dictionaries(st.sampled_from([p[0][0] for p in PATHS]), values, max_size=6)))
def test_any_tree_is_a_scenario_or_one_input_error(raw):
    got = outcome(lambda: scenario_from_dict(raw, where="s.yaml"))
    assert isinstance(got, Scenario | InputError)


@st.composite
def yaml_texts(draw) -> bytes:
    """Scenario files: dumped trees, arbitrary text and bytes, anchors, aliases, tags, nesting."""
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return yaml.safe_dump(draw(mutated()), allow_unicode=True).encode("utf-8")
    if kind == 1:
        return draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    if kind == 2:
        return draw(st.binary(max_size=200))
    if kind == 3:
        depth = draw(st.integers(1, 40))
        return f"name: x\ndemand: {'[' * depth}{']' * depth}\n".encode()
    if kind == 4:
        tag = draw(st.sampled_from(TAGS))
        field = draw(st.sampled_from(["name", "services", "demand", "thresholds", "outputs"]))
        return f"name: x\ndemand: {{kind: table, path: d.csv}}\n{field}: {tag}\n".encode()
    # a billion laughs: 10**(n+1) "lol"s by reference, aliased into a field
    n = draw(st.integers(1, 9))
    laughs = "l0: &l0 [" + ", ".join(["lol"] * 10) + "]\n"
    laughs += "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, n + 1))
    field = draw(st.sampled_from(["name", "services", "facilities", "tiers", "<<"]))
    return (laughs + f"name: x\ndemand: {{kind: table, path: d.csv}}\n{field}: *l{n}\n").encode()


TAGS = [
    "!!python/object/apply:os.system ['true']",
    "!!binary aGVsbG8=",
    "!!timestamp 2020-01-01",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!custom x",
    "!!float nan",
    "!!int 0x1F",
    "? [a, b]\n  : c",
    "*undefined",
]


@PROPS
@given(data=yaml_texts())
def test_any_yaml_file_is_a_scenario_or_one_input_error(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.yaml"
        path.write_bytes(data)
        got = outcome(lambda: load_scenario(path))
    assert isinstance(got, Scenario | InputError)


# -- runs: valid scenarios with their numbers changed, over the matrix's small inputs ---------------

NUMERIC = [
    path
    for path, tp in PATHS
    if any(t in (int, float) or typing.get_origin(t) in (list, tuple) for t in _unwrap(tp))
    and path[0] not in {"distributed"}
    and path[-1] != "seed"
]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.integers(min_value=-5, max_value=10**9),
    st.sampled_from([0, 1, 2, 1e-9, 0.1, 1.0, 15, 120, 1e6]),
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=1, max_size=4),
)
#: Numbers that are either refused or keep a run small: a valid spacing of a millimetre would
#: site among millions of candidates (a long computation, not a wrong one), so the fields that
#: set the amount of work take invalid values or moderate ones here. The matrix tries the
#: extreme ones (``site-spacing-tiny``, ``run-tiers-huge``).
invalid = st.sampled_from([0, -1, -1e-9, math.nan, math.inf, -math.inf, "ten"])
BOUNDED = {
    "spacing_m": st.one_of(invalid, st.floats(50, 1e6)),
    "max_candidates": st.one_of(invalid, st.integers(-5, 500)),
    "tiers": st.lists(st.one_of(invalid, st.floats(-5, 120)), min_size=1, max_size=4),
    "time_limit_s": st.one_of(invalid, st.floats(0.1, 60)),
}


@st.composite
def number_changes(draw) -> tuple[tuple, object]:
    """A numeric field of the schema and a value for it (bounded where it sets the work)."""
    path = draw(st.sampled_from(NUMERIC))
    return path, draw(BOUNDED.get(path[-1], numbers))


@pytest.fixture(scope="module")
def small_inputs(tmp_path_factory) -> Path:
    from test_bad_input_matrix import build_inputs

    d = tmp_path_factory.mktemp("props")
    build_inputs(d)
    return d


@settings(PROPS, max_examples=40)
@given(changes=st.lists(number_changes(), min_size=1, max_size=2))
def test_runs_with_any_numbers_end_in_a_result_or_one_input_error(small_inputs, changes):
    from lifecircle.scenarios.pipeline import run_scenario

    raw = _copy(BASE)
    for path, value in changes:
        raw = _set(raw, path, value)
    try:
        scen = scenario_from_dict(raw, where="s.yaml", base_dir=small_inputs)
    except InputError as exc:
        check_error(exc)
        assume(False)  # refused up front: nothing to run
    got = outcome(lambda: run_scenario(scen, None))
    if not isinstance(got, InputError):
        for svc in got.services.values():
            assert not any(math.isnan(t) for t in svc.threshold_s), "a NaN walking threshold was used"
