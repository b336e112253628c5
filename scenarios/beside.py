"""Run one piece of work in a forked child while the caller does another (two cores, two writers).

The run's outputs are independent files: the map with its what-if in one process, the report,
tables and layers in the other. Two ways to get the child:

- `run_beside` alone forks when the work is ready: the child shares the caller's tables (a
  fork copies nothing up front, nothing is pickled on the way in);
- `prepared` forks at the start of a run, before the computing begins, and the child loads
  what its job needs (the map's libraries and templates) on the second core while the first
  computes; `run_beside` then hands it the job, pickled through a pipe (a few megabytes for a
  district, a tenth of a second against the half second the imports take).

Only the child's small answer (timings, notes) comes back, pickled through a pipe; an error in
the child is raised again in the caller, so a failed write still fails the whole run and the
staged folder is thrown away as before.
"""

from __future__ import annotations

import io
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from ..coverage._threads import can_fork

__all__ = ["Prepared", "can_fork", "prepared", "run_beside"]

T = TypeVar("T")


@dataclass
class Prepared:
    """A forked child that has loaded what its job needs and waits for it (see `prepared`).

    Attributes
    ----------
    pid
        The child's process id.
    job_fd
        Where the pickled job is written (the child reads it to the end).
    answer_fd
        Where the child's pickled answer comes from.
    used
        Whether a job was handed over (a child is used once).
    """

    pid: int
    job_fd: int
    answer_fd: int
    used: bool = False


@contextmanager
def prepared(warm: Callable[[], object]) -> Iterator[Prepared | None]:
    """Fork a child now that runs ``warm`` (imports, templates) and then waits for one job.

    Yields the child for `run_beside` (``child=``), or ``None`` where processes cannot be
    forked (`can_fork`). A child not handed a job by the end of the block is stopped, so a
    run that fails while computing leaves no process behind. ``warm`` failing is not an error
    here: the job meets the same problem and reports it.
    """
    if not can_fork():
        yield None
        return
    job_r, job_w = os.pipe()
    answer_r, answer_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(job_w)
        os.close(answer_r)
        _waiting_child(warm, job_r, answer_w)
    os.close(job_r)
    os.close(answer_w)
    child = Prepared(pid, job_w, answer_r)
    try:
        yield child
    finally:
        if not child.used:
            _close(child.job_fd, child.answer_fd)
            _stop(pid)


def run_beside(job: Callable[[], T], here: Callable[[], None], *, child: Prepared | None = None) -> T:
    """Run ``job`` in a child process while ``here`` runs in this process; return ``job``'s value.

    With ``child`` (from `prepared`), ``job`` is pickled and handed to that waiting child, so it
    must be picklable (a module-level function or a `functools.partial` of one); a job that
    cannot be pickled falls back to a fresh fork. Without ``child`` a child is forked now.
    Without fork (see `can_fork`) the two run one after the other. The child ignores Ctrl-C (the
    caller is interrupted and stops the child) and leaves with ``os._exit``, so none of the
    caller's clean-up runs twice. When ``here`` fails, the child is stopped and the error raised;
    when the child fails, its error is raised here.
    """
    sent = _hand_over(job, child) if child is not None and not child.used else None
    if sent is not None:
        pid, read = child.pid, child.answer_fd
    elif not can_fork():
        value = job()
        here()
        return value
    else:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read)
            _answer(job, write)
        os.close(write)
    pipe = os.fdopen(read, "rb")
    try:
        here()
        data = pipe.read()
        _, status = os.waitpid(pid, 0)
    except BaseException:
        _stop(pid)
        raise
    finally:
        pipe.close()
        if sent is not None:
            sent.join()
    if not data:
        raise RuntimeError(f"the writing process ended without an answer (status {status})")
    ok, value = pickle.loads(data)
    if not ok:
        raise value
    return value


def _hand_over(job: Callable[[], object], child: Prepared) -> threading.Thread | None:
    """Send the pickled ``job`` to the waiting ``child`` from a thread; ``None`` if it cannot be pickled.

    A thread writes, so this process goes on with its own work while the child (perhaps still
    loading) drains the pipe. A job that cannot be pickled stops the child instead.
    """
    child.used = True
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(job)
        data = buffer.getvalue()
    except Exception:  # a closure or an open handle: the caller forks afresh
        _close(child.job_fd, child.answer_fd)
        _stop(child.pid)
        return None

    def send() -> None:
        try:
            with os.fdopen(child.job_fd, "wb") as pipe:
                pipe.write(data)
        except OSError:  # the child died; its missing answer is reported by run_beside
            pass

    thread = threading.Thread(target=send, name="lifecircle-hand-over", daemon=True)
    thread.start()
    return thread


class _Pickler(pickle.Pickler):
    """A pickler that writes arrays of shapely geometries as one WKB array, not one by one.

    A run's network keeps its edges as such an array; pickled geometry by geometry they took
    most of the hand-over (3,040 Yuzhong edges: 0.15 s under a profiler, one call each).
    """

    def reducer_override(self, obj: object) -> object:
        if type(obj) is not np.ndarray or obj.dtype != object or not obj.size:
            return NotImplemented
        if "shapely" not in sys.modules:
            return NotImplemented
        import shapely

        if not (shapely.is_geometry(obj) | shapely.is_missing(obj)).all():
            return NotImplemented
        return shapely.from_wkb, (shapely.to_wkb(obj),)


def _waiting_child(warm: Callable[[], object], job_fd: int, answer_fd: int) -> None:
    """The prepared child: warm up, read the job to the end of the pipe, run it, answer."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    with suppress(BaseException):  # a failed warm-up: the job meets the same problem and reports it
        warm()
    try:
        with os.fdopen(job_fd, "rb") as pipe:
            data = pipe.read()
        if not data:  # the run ended without a job for us
            os._exit(0)
        job = pickle.loads(data)
    except BaseException:
        os._exit(1)
    _answer(job, answer_fd)


def _answer(job: Callable[[], object], write: int) -> None:
    """Run ``job`` in the child, send its pickled value (or error) through ``write``, leave."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    code = 0
    try:
        try:
            answer = (True, job())
        except BaseException as exc:  # handed to the caller, raised there
            answer = (False, exc)
        try:
            data = pickle.dumps(answer)
        except Exception:  # an error that cannot be pickled is passed on as its text
            data = pickle.dumps((False, RuntimeError(repr(answer[1]))))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def _close(*fds: int) -> None:
    for fd in fds:
        with suppress(OSError):
            os.close(fd)


def _stop(pid: int) -> None:
    """Stop the child and reap it (it may have ended already)."""
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
