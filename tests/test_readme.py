"""The README's Performance section is the benchmarks' own output, copied by ``benchmarks/readme.py``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_module():
    spec = importlib.util.spec_from_file_location("bench_readme", ROOT / "benchmarks" / "readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_has_recorded_its_results():
    mod = _readme_module()
    missing = [name for name in mod.SECTIONS if not (mod.RESULTS / f"{name}.md").exists()]
    assert missing == [], f"run the benchmarks that write {missing}, then benchmarks/readme.py"


def test_the_performance_section_is_the_recorded_results():
    mod = _readme_module()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split(mod.BEGIN, 1)[1].split(mod.END, 1)[0]
    assert block.strip() == mod.section().strip(), "rerun benchmarks/readme.py after the benchmarks"
