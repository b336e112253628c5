"""Benchmark output kept for the README: each script's printed tables go to ``results/<name>.md``.

``with recorded("coverage"):`` around a script's main copies everything it prints to stdout into
``benchmarks/results/coverage.md`` (with the command line and the date), and ``readme.py`` splices
those files into the README's Performance section, so no number there is typed by hand.
"""

from __future__ import annotations

import datetime as _dt
import io
import platform
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


class _Tee(io.TextIOBase):
    """A stream writing to the terminal and to a buffer."""

    def __init__(self, out: io.TextIOBase) -> None:
        self.out, self.buffer_ = out, io.StringIO()

    def write(self, text: str) -> int:
        self.out.write(text)
        return self.buffer_.write(text)

    def flush(self) -> None:
        self.out.flush()


@contextmanager
def recorded(name: str) -> Iterator[None]:
    """Copy what the block prints into ``results/<name>.md`` when it finishes without error."""
    tee, old = _Tee(sys.stdout), sys.stdout
    sys.stdout = tee
    try:
        yield
    finally:
        sys.stdout = old
    cmd = " ".join(["python", Path(sys.argv[0]).name, *sys.argv[1:]])
    head = (
        f"<!-- written by `{cmd}` on {_dt.date.today().isoformat()}, "
        f"{platform.machine()} with {_cpus()} cores -->\n"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.md").write_text(head + tee.buffer_.getvalue().strip() + "\n", encoding="utf-8")


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
