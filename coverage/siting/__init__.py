"""Siting: propose new service stations over the sparse reach matrix."""
