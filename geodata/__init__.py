"""Readers that normalize networks, facilities, demand and admin units into plain typed tables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .common import InputError

if TYPE_CHECKING:
    from .network import ComponentReport, WalkNetwork

__all__ = ["ComponentReport", "InputError", "WalkNetwork"]


def __getattr__(name: str):
    """Import the network types on first use, so ``lifecircle --help`` loads no geopandas."""
    if name in ("ComponentReport", "WalkNetwork"):
        from . import network

        return getattr(network, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
