"""Readers that normalize networks, facilities, demand and admin units into plain typed tables."""

from lifecircle.geodata.errors import InputError
from lifecircle.geodata.network import ComponentReport, WalkNetwork

__all__ = ["ComponentReport", "InputError", "WalkNetwork"]
