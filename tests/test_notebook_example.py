"""The public API for notebooks: the README's example runs, the curated lists hold, the CLI starts light.

- The README's notebook example (the python block between ``<!-- notebook-example -->`` and
  ``<!-- /notebook-example -->``) is executed as written, and facts about what it made are
  checked, so the example cannot rot.
- ``lifecircle.geodata`` and ``lifecircle.coverage`` export curated lists (``__all__``), each name
  the object of the module that defines it, imported on first use.
- ``lifecircle --help`` and every subcommand's ``--help`` load none of the heavy libraries
  (checked in a fresh interpreter, facts not timings).
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Libraries ``lifecircle --help`` must not import.
HEAVY = (
    "geopandas",
    "shapely",
    "matplotlib",
    "folium",
    "dask",
    "distributed",
    "highspy",
    "pandas",
    "numpy",
    "scipy",
    "pyproj",
    "pyogrio",
    "osmnx",
    "networkx",
    "openpyxl",
    "xlsxwriter",
)

# -- the README's notebook example ---------------------------------------------------------------


def _example_code() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(
        r"<!-- notebook-example -->\s*```python\n(.*?)```\s*<!-- /notebook-example -->", text, flags=re.S
    )
    assert len(found) == 1, "README.md needs exactly one python block between the notebook-example markers"
    return found[0]


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> dict:
    """The namespace the README's example leaves behind (run in an empty folder)."""
    code = compile(_example_code(), "README.md:notebook-example", "exec")
    namespace: dict = {"__name__": "__notebook__"}
    cwd = Path.cwd()
    try:
        os.chdir(tmp_path_factory.mktemp("notebook"))
        exec(code, namespace)
    finally:
        os.chdir(cwd)
    return namespace


def test_example_uses_only_the_public_api():
    """The example imports from the curated lists of geodata and coverage, nothing deeper."""
    imports = [n for n in ast.walk(ast.parse(_example_code())) if isinstance(n, ast.ImportFrom)]
    for node in imports:
        room = node.module.removeprefix("lifecircle.")
        if room in ("geodata", "coverage"):
            names = {a.name for a in node.names}
            assert names <= set(importlib.import_module(node.module).__all__)
        else:
            assert node.module.startswith("lifecircle.maps"), node.module
    assert {n.module for n in imports} >= {"lifecircle.geodata", "lifecircle.coverage"}


def test_example_reads_the_embedded_extract(example):
    net, homes, childcare = example["net"], example["homes"], example["childcare"]
    assert net.n_edges > 1000 and net.n_nodes > 1000
    assert len(homes) > 100 and homes["pop_0_3"].sum() > 0
    assert len(childcare) >= 1 and set(childcare["service"]) == {"childcare"}


def test_example_coverage_share_is_the_reach(example):
    share, reach, homes, limit = example["share"], example["reach"], example["homes"], example["limit"]
    assert 0.0 <= share <= 1.0
    w = homes["pop_0_3"].to_numpy(dtype=float)
    within = np.isfinite(reach.time_s) & (reach.time_s <= limit)
    assert share == pytest.approx(w[within].sum() / w.sum(), rel=1e-9)


def test_example_mclp_adds_coverage(example):
    mclp, share, homes, sites, new = (example[k] for k in ("mclp", "share", "homes", "sites", "new"))
    total = homes["pop_0_3"].sum()
    assert mclp.model == "mclp" and mclp.n_sites == 3 and mclp.optimal and mclp.gap <= 1e-9
    assert mclp.objective >= share * total - 1e-6  # existing coverage counts before any new site
    ind = mclp.indicators.iloc[0]
    assert ind["share_before"] == pytest.approx(share, rel=1e-9)
    assert share <= ind["share_after"] <= 1.0
    assert list(new["rank"]) == [1, 2, 3]
    assert list(new["id"]) == list(mclp.site_ids) and set(new["id"]) <= set(sites["id"])


def test_example_map_is_a_leaflet_page(example):
    html = example["fmap"].get_root().render()
    assert "Leaflet 1." in html and "L.map(" in html  # Leaflet inlined, the map made
    assert html.count("lifecircle.build(") >= 3  # demand, facilities, proposed sites (and isochrones)
    assert "lifecircle.ready = true;" in html
    assert not re.search(r"<script[^>]+src=", html)  # nothing fetched: opens offline


# -- the curated API -------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["lifecircle.geodata", "lifecircle.coverage"])
def test_api_lists_resolve_to_their_modules(module):
    mod = importlib.import_module(module)
    assert len(set(mod.__all__)) == len(mod.__all__)
    assert sorted(dir(mod)) == sorted(mod.__all__)
    for name in mod.__all__:
        assert not name.startswith("_")
        value = getattr(mod, name)
        home = mod._LAZY.get(name)
        if home is not None:  # the very object of the module that defines it
            assert value is getattr(importlib.import_module(f"{module}.{home}"), name)
    with pytest.raises(AttributeError):
        mod.no_such_name  # noqa: B018


@pytest.mark.parametrize("room", ["geodata", "coverage"])
def test_api_names_for_type_checkers_match_the_lazy_ones(room):
    """The ``if TYPE_CHECKING:`` imports of the package name the same modules as ``_LAZY``."""
    tree = ast.parse((ROOT / room / "__init__.py").read_text(encoding="utf-8"))
    guarded = [n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"]
    static = {
        a.name: node.module
        for block in guarded
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.level == 1
        for a in node.names
    }
    assert static == importlib.import_module(f"lifecircle.{room}")._LAZY


def test_api_names_the_brief_asked_for():
    import lifecircle.coverage as cov
    import lifecircle.geodata as geo

    assert {
        "read_network", "read_facilities", "facilities_from_osm", "demand_from_table",
        "demand_from_buildings", "demand_from_raster", "read_admin_units", "WalkNetwork", "InputError",
        "Note", "Assumption", "Msg", "say", "to_wgs84", "from_wgs84",
    } <= set(geo.__all__)  # fmt: skip
    assert {
        "get_profile", "WalkProfile", "edge_costs", "snap_points", "service_reach", "reach_matrix",
        "demand_thresholds", "service_isochrones", "two_step_fca", "indicator_table", "coverage_wide",
        "MCLP", "LSCP", "BudgetCoverage", "CapacitatedCoverage", "PMedian", "siting_problem",
    } <= set(cov.__all__)  # fmt: skip
    # the solver internals stay private
    assert not any(n.startswith("_") or "highs" in n.lower() for n in cov.__all__)


# -- a light start ---------------------------------------------------------------------------------

_PROBE = """
import json, sys
from lifecircle.scenarios import cli
sys.argv = ["lifecircle", *sys.argv[1:]]
try:
    cli.main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print("\\n" + json.dumps({{"code": code, "heavy": heavy}}))
"""


def _subcommands() -> list[str]:
    """Every command of the app, as it registers them (nested groups as "group command")."""
    import typer

    from lifecircle.scenarios.cli import app

    def walk(group, prefix: str) -> list[str]:
        out = []
        for name, cmd in sorted(group.commands.items()):
            out.append(f"{prefix}{name}")
            if hasattr(cmd, "commands"):
                out.extend(walk(cmd, f"{prefix}{name} "))
        return out

    return walk(typer.main.get_command(app), "")


#: Subcommands left out because their --help still imports a heavy library (none today).
_HEAVY_HELP: set[str] = set()


def _probe(args: list[str]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "用法：" in proc.stdout  # the help was shown (in Chinese, the default)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_importing_the_api_loads_nothing_heavy():
    code = "import sys, lifecircle.geodata, lifecircle.coverage; print(sorted(set({!r}) & set(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", code.format(HEAVY)], capture_output=True, text=True, timeout=120, check=True
    )
    assert proc.stdout.strip() == "[]"


def _commands() -> list[str]:
    """The root and every subcommand, or one entry carrying the error when the CLI does not import."""
    try:
        return ["", *(c for c in _subcommands() if c not in _HEAVY_HELP)]
    except Exception as exc:  # reported by the test below, not as an error collecting this module
        return [f"!{type(exc).__name__}: {exc}"]


@pytest.mark.parametrize("command", _commands(), ids=lambda c: c or "lifecircle")
def test_help_loads_nothing_heavy(command):
    if command.startswith("!"):
        pytest.fail(f"lifecircle.scenarios.cli does not import: {command[1:]}")
    got = _probe([*command.split(), "--help"])
    assert got["code"] in (0, None)
    assert got["heavy"] == [], f"lifecircle {command} --help imports {got['heavy']}"
