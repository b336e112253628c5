"""Writing in two processes: the child's answer and its errors come back; a failure here stops it."""

from __future__ import annotations

import functools
import io
import os
import time

import numpy as np
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


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value


def _fails() -> None:
    raise InputError("export.no_tables", path="y.xlsx", kind="XLSX")


def test_a_prepared_child_gets_its_job_pickled_and_answers(tmp_path):
    marks = tmp_path / "warm"

    def warm() -> None:
        marks.write_text(str(os.getpid()))

    with beside.prepared(warm) as child:
        assert child is not None
        value = {"made": "after the fork"}  # the child never saw it: it comes pickled with the job
        got_pid, got = run_beside(functools.partial(_pid_and, len(value["made"])), lambda: None, child=child)
    assert got == len("after the fork") and got_pid == child.pid != os.getpid()
    assert int(marks.read_text()) == child.pid  # the warm-up ran in that same child
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, 0)  # reaped


def test_a_prepared_child_raises_its_error_here():
    with beside.prepared(lambda: None) as child, pytest.raises(InputError, match=r"y\.xlsx"):
        run_beside(_fails, lambda: None, child=child)


def test_an_unused_prepared_child_is_stopped_and_a_closure_forks_afresh(tmp_path):
    with beside.prepared(lambda: time.sleep(30)) as child:
        pid = child.pid
        local = tmp_path  # a closure cannot be pickled: a fresh fork runs it, the waiting child is stopped
        got = run_beside(lambda: (os.getpid(), local.name), lambda: None, child=child)
    assert got[0] not in (pid, os.getpid()) and got[1] == tmp_path.name
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)
    with beside.prepared(lambda: time.sleep(30)) as child:
        pid = child.pid
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)  # stopped and reaped when the block ended without a job


def _geometries_back(arrays: tuple) -> tuple:
    return arrays


def test_geometry_arrays_travel_whole_and_other_object_arrays_as_they_are():
    import numpy as np
    import shapely

    lines = np.array([shapely.LineString([(0, 0), (1, k)]) for k in range(50)] + [None], dtype=object)
    mixed = np.array([shapely.Point(0, 1), "a street", 3], dtype=object)
    with beside.prepared(lambda: None) as child:
        got_lines, got_mixed = run_beside(
            functools.partial(_geometries_back, (lines, mixed)), lambda: None, child=child
        )
    assert got_lines.shape == (51,) and got_lines[-1] is None
    assert shapely.equals_exact(got_lines[:-1], lines[:-1], 0).all()
    assert got_mixed[0] == shapely.Point(0, 1) and list(got_mixed[1:]) == ["a street", 3]
    reducer = beside._Pickler(io.BytesIO()).reducer_override
    assert reducer(lines)[0] is shapely.from_wkb  # one WKB array, not 50 pickled geometries
    assert reducer(mixed) is NotImplemented


def _total(values: list) -> int:
    return sum(values)


def _early_values(*names: str) -> list:
    return [beside.early(name) for name in names]


def _broken() -> None:
    raise ValueError("early job failed")


def test_early_jobs_run_in_the_child_and_the_job_finds_their_values():
    values = [1, 2, 3]
    with beside.prepared(lambda: None) as child:
        assert child.ahead("sum", functools.partial(_total, values))
        values.append(100)  # pickled when handed over: the child never sees this
        assert child.ahead("broken", _broken)
        assert not child.ahead("closure", lambda: values)  # cannot be pickled: not handed over
        got = run_beside(
            functools.partial(_early_values, "sum", "broken", "closure"), lambda: None, child=child
        )
        assert not child.ahead("late", functools.partial(_total, values))  # after the job: refused
    assert got == [6, None, None]
    assert beside.early("sum") is None  # the values live in the child only


def test_a_prepared_child_with_early_jobs_is_stopped_when_unused():
    with beside.prepared(lambda: None) as child:
        pid = child.pid
        for k in range(5):  # more than a pipe holds while the child is busy
            child.ahead(f"big{k}", functools.partial(_total, list(range(200_000))))
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)


def test_a_child_stopped_at_once_never_runs_its_parents_code(tmp_path, monkeypatch):
    import signal

    parent = os.getpid()
    close = beside._close

    def slow_close(*fds: int) -> None:  # the child's first step, slowed: the SIGTERM arrives during it
        if os.getpid() != parent:
            time.sleep(0.2)
        close(*fds)

    monkeypatch.setattr(beside, "_close", slow_close)

    def interrupted(signum, frame):  # as lifecircle.geodata.common.interruptible does
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        for _ in range(3):
            try:
                with beside.prepared(lambda: None):
                    pass  # no job: the child is sent SIGTERM right after the fork
            finally:
                with open(tmp_path / "pids", "a") as f:
                    f.write(f"{os.getpid()}\n")
                if os.getpid() != parent:  # a child that unwound into this test: record it, leave
                    os._exit(0)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert set((tmp_path / "pids").read_text().split()) == {str(parent)}


def _pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def test_early_values_sent_back_are_fetched_here_while_both_work():
    big = np.arange(200_000, dtype=np.float64)  # sent back: 1.6 MB, more than a pipe holds
    with beside.prepared(lambda: None) as child:
        assert child.fetch("square") is None  # nothing of that name was handed over
        assert child.ahead("square", functools.partial(_pid_and_square, 7), send_back=True)
        assert child.ahead("big", functools.partial(np.negative, big), send_back=True)
        assert child.ahead("broken", _broken, send_back=True)
        fetched = {}

        def here() -> None:  # this process fetches while the child goes on with its job
            fetched.update(square=child.fetch("square"), big=child.fetch("big"), broken=child.fetch("broken"))

        got = run_beside(functools.partial(_early_values, "square"), here, child=child)
    pid, square = fetched["square"]
    assert square == 49 and pid == child.pid != os.getpid()  # computed in the child
    assert np.array_equal(fetched["big"], -big) and fetched["broken"] is None  # failed: None, done here
    assert got == [(pid, 49)]  # and the child's own job still found the value
    assert child.fetch("square") == (pid, 49)  # kept after the child has ended


def test_a_child_stopped_early_leaves_fetch_with_none():
    with beside.prepared(lambda: time.sleep(0.3)) as child:
        assert child.ahead("square", functools.partial(_pid_and_square, 3), send_back=True)
        child._abandon()  # stopped (a run that failed) before it computed anything
        assert child.fetch("square") is None
