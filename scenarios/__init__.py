"""Scenario files, presets, the run pipeline, comparisons, distributed runs and the CLI."""
