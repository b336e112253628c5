"""Worker processes for the parallel searches and bounds: how many, and whether they may be forked."""

from __future__ import annotations

from .._threads import can_fork, usable_cpus

__all__ = ["can_fork", "default_workers"]


def default_workers() -> int:
    """Two processes when at least two CPUs are usable by this process, else one."""
    return min(2, usable_cpus())
