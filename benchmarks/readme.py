"""Copy the benchmarks' recorded output (``benchmarks/results/*.md``) into the README.

The README's Performance section holds, between ``<!-- results:begin -->`` and
``<!-- results:end -->``, one subsection per results file, in the order of `SECTIONS`; a file
that no benchmark wrote yet is named as not measured. Run after the benchmarks:
``.venv/bin/python benchmarks/readme.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
#: Results file → heading and the script that writes it.
SECTIONS = {
    "run": ("The user's wait, end to end", "bench_run.py"),
    "coverage": ("Coverage against the peers", "bench_coverage.py"),
    "isochrones": ("Isochrone polygons at city scale", "bench_isochrones.py"),
    "siting": ("Siting against spopt", "bench_siting.py"),
    "siting_syn": (
        "The large MCLP, five seeds",
        "bench_siting.py --only SYN --seeds 1 2 3 4 5 --time-limit 60",
    ),
    "scale": ("Scale-out on Dask", "bench_scale.py"),
}


def section() -> str:
    """The generated part of the Performance section."""
    parts = []
    for name, (title, script) in SECTIONS.items():
        path = RESULTS / f"{name}.md"
        body = (
            path.read_text(encoding="utf-8").strip()
            if path.exists()
            else f"(not measured yet: run `{script}`)"
        )
        parts.append(f"**{title}** (`benchmarks/{script}`):\n\n{body}")
    return "\n\n".join(parts)


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{readme}: add {BEGIN} and {END} to the Performance section first")
    new = re.sub(
        re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: f"{BEGIN}\n{section()}\n{END}", text, flags=re.S
    )
    readme.write_text(new, encoding="utf-8")
    print(f"{readme}: Performance section rewritten from {RESULTS}")


if __name__ == "__main__":
    main()
