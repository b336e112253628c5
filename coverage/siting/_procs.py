"""Worker processes for the parallel searches and bounds: how many, and whether they may be forked."""

from __future__ import annotations

import multiprocessing as mp

from .._threads import usable_cpus


def default_workers() -> int:
    """Two processes when at least two CPUs are usable by this process, else one."""
    return min(2, usable_cpus())


def can_fork() -> bool:
    """Whether worker processes may be forked here.

    A daemonic process (a Dask or pool worker) may not start processes of its own.
    """
    return "fork" in mp.get_all_start_methods() and not mp.current_process().daemon
