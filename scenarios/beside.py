"""Run one piece of work in a forked child while the caller does another (two cores, two writers).

The run's outputs are independent files: the map with its what-if in one process, the report,
tables and layers in the other, both reading the tables already in memory (a fork shares them,
nothing is pickled on the way in). Only the child's small answer (timings, notes) comes back,
pickled through a pipe; an error in the child is raised again in the caller, so a failed write
still fails the whole run and the staged folder is thrown away as before.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import signal
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    """Whether a child may be forked here: a POSIX system, and not inside a daemonic worker."""
    return hasattr(os, "fork") and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon


def run_beside(job: Callable[[], T], here: Callable[[], None]) -> T:
    """Run ``job`` in a forked child while ``here`` runs in this process; return ``job``'s value.

    Without fork (see `can_fork`) the two run one after the other. The child ignores Ctrl-C (the
    caller is interrupted and stops the child) and leaves with ``os._exit``, so none of the
    caller's clean-up runs twice. When ``here`` fails, the child is stopped and the error raised;
    when the child fails, its error is raised here.
    """
    if not can_fork():
        value = job()
        here()
        return value
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        _child(job, read, write)
    os.close(write)
    try:
        here()
        with os.fdopen(read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
    except BaseException:
        _stop(pid)
        raise
    if not data:
        raise RuntimeError(f"the writing process ended without an answer (status {status})")
    ok, value = pickle.loads(data)
    if not ok:
        raise value
    return value


def _child(job: Callable[[], object], read: int, write: int) -> None:
    os.close(read)
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


def _stop(pid: int) -> None:
    """Stop the child and reap it (it may have ended already)."""
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
