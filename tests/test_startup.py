"""Start-up: ``--help`` of the CLI and of every command loads none of the heavy libraries.

A fact, not a timing: after ``--help`` the interpreter's ``sys.modules`` holds none of them
(each runs in a fresh interpreter, so nothing imported by another test counts).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lifecircle.scenarios.cli import app

#: Libraries that cost hundreds of milliseconds to import and that help text never needs.
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
)

_PROBE = """
import contextlib, io, json, sys
words, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sys.argv = ["lifecircle", *words, "--help"]
from lifecircle.scenarios.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
print(json.dumps({"code": code, "text": out.getvalue(), "loaded": [m for m in heavy if m in sys.modules]}))
"""

COMMANDS = sorted(c.name or c.callback.__name__ for c in app.registered_commands)


def _help(*words: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(list(words)), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_command_is_probed():
    assert {"run", "demo", "coverage", "site", "compare", "network", "facilities", "demand"} <= set(COMMANDS)


@pytest.mark.parametrize("words", [(), *[(c,) for c in COMMANDS]], ids=lambda w: " ".join(w) or "top")
def test_help_imports_no_heavy_library(words):
    got = _help(*words)
    assert got["code"] in (0, None)
    assert "用法" in got["text"]  # the Chinese help was printed
    assert got["loaded"] == []


def test_reading_an_extract_loads_no_graph_library():
    """pyrosm probes pandana (scikit-learn), igraph and networkx for a graph export we never use."""
    code = (
        "import sys, json\n"
        "from lifecircle.geodata.osm_pbf import pyrosm_osm\n"
        "from lifecircle.geodata.sources import embedded_pbf\n"
        "pyrosm_osm(str(embedded_pbf())).get_network(network_type='walking')\n"
        "loaded = [m for m in ('pandana', 'sklearn', 'igraph', 'networkx') if m in sys.modules]\n"
        "import networkx  # still importable afterwards\n"
        "print(json.dumps(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
