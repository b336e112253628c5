"""Writing in two processes: the child's answer and its errors come back; a failure here stops it."""

from __future__ import annotations

import os
import time

import pytest

from lifecircle.geodata.common import InputError
from lifecircle.scenarios import beside
from lifecircle.scenarios.beside import run_beside

pytestmark = pytest.mark.skipif(not beside.can_fork(), reason="needs os.fork (POSIX)")


def test_both_run_and_the_child_answers(tmp_path):
    def job() -> dict:
        (tmp_path / "child").write_text(str(os.getpid()))
        return {"pid": os.getpid(), "big": list(range(100_000))}  # more than a pipe holds at once

    def here() -> None:
        (tmp_path / "here").write_text(str(os.getpid()))

    got = run_beside(job, here)
    assert got["pid"] != os.getpid() and got["big"][-1] == 99_999
    assert int((tmp_path / "child").read_text()) == got["pid"]
    assert int((tmp_path / "here").read_text()) == os.getpid()


def test_an_error_in_the_child_is_raised_here():
    def job() -> None:
        raise InputError("export.no_tables", path="x.xlsx", kind="XLSX")

    with pytest.raises(InputError, match=r"x\.xlsx"):
        run_beside(job, lambda: None)


def test_an_error_here_stops_the_child(tmp_path):
    def job() -> None:
        time.sleep(30)
        (tmp_path / "late").write_text("the child was not stopped")

    def here() -> None:
        raise ValueError("here failed")

    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="here failed"):
        run_beside(job, here)
    assert time.perf_counter() - t0 < 20  # the child was stopped, not waited for (a bound, not a timing)
    assert not (tmp_path / "late").exists()


def test_without_fork_the_two_run_in_turn(monkeypatch):
    monkeypatch.setattr(beside, "can_fork", lambda: False)
    order: list[str] = []
    got = run_beside(lambda: order.append("job") or os.getpid(), lambda: order.append("here"))
    assert got == os.getpid() and order == ["job", "here"]
