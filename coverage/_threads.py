"""The usable CPUs and work on two of them: GEOS on threads (it releases the GIL), forks where allowed."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def usable_cpus() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def can_fork() -> bool:
    """Whether a child process may be forked here: a POSIX system, and not inside a daemonic worker.

    A daemonic process (a Dask or pool worker) may not start processes of its own.
    """
    return hasattr(os, "fork") and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon


def thread_map(fn: Callable[[T], R], items: Sequence[T], sizes: Sequence[float] | None = None) -> list[R]:
    """``[fn(x) for x in items]`` on up to two threads, largest first when ``sizes`` are given.

    Meant for calls that spend their time in GEOS (unions, buffers), which run outside the GIL;
    with one item or one CPU it runs here, in order.
    """
    workers = min(2, usable_cpus(), len(items))
    if workers <= 1:
        return [fn(x) for x in items]
    order = sorted(range(len(items)), key=lambda k: -sizes[k]) if sizes is not None else range(len(items))
    out: list = [None] * len(items)
    with ThreadPoolExecutor(workers) as pool:
        futures = {k: pool.submit(fn, items[k]) for k in order}
        for k, fut in futures.items():
            out[k] = fut.result()
    return out
