"""Partitioned runs on Dask: the scenario pipeline with its reach computed tile by tile.

`run_scenario_distributed` is `lifecircle.scenarios.pipeline.run_scenario` with the
`~lifecircle.scenarios.executors.DaskExecutor`. The machinery lives in its own modules and is
re-exported here: `lifecircle.scenarios.dask_reach` (`partitioned_reach`, client side),
`lifecircle.scenarios.dask_tasks` (what a tile computes), `lifecircle.scenarios.dask_cluster`
(`dask_client`) and `lifecircle.scenarios.dask_siting` (`partitioned_siting`, `split_budget`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .dask_cluster import WorkerMemory, dask_client, rss
from .dask_reach import ReachOptions, partitioned_reach, zone_subset
from .dask_siting import PartitionedSiting, PartitionedSitingOptions, partitioned_siting, split_budget
from .dask_tasks import (
    DEFAULT_RETRIES,
    GeneratedPoints,
    MergedReach,
    PartitionReach,
    ServiceSpec,
    TilePoints,
    TileSearch,
    reach_task,
    whole_network_times,
)

__all__ = [
    "DEFAULT_RETRIES",
    "DaskRunOptions",
    "GeneratedPoints",
    "MergedReach",
    "PartitionReach",
    "PartitionedSiting",
    "PartitionedSitingOptions",
    "ReachOptions",
    "ServiceSpec",
    "TilePoints",
    "TileSearch",
    "WorkerMemory",
    "dask_client",
    "dask_settings",
    "partitioned_reach",
    "partitioned_siting",
    "reach_task",
    "rss",
    "run_scenario_distributed",
    "split_budget",
    "whole_network_times",
    "zone_subset",
]
# -- the scenario pipeline, partitioned ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DaskRunOptions:
    """Where and how a partitioned run computes (the keyword options of `run_scenario_distributed`).

    Attributes
    ----------
    partitions
        Tile grid ``(columns, rows)``; default the scenario's ``distributed.tiles``, else 2 × 2.
    scheduler
        Address of a running Dask scheduler; default the scenario's ``distributed.scheduler``,
        else a local cluster sized to the machine.
    client
        A ready `distributed.Client` (tests); overrides ``scheduler``.
    retries
        Retries per failed tile task (default the scenario's, else `DEFAULT_RETRIES`).
    show_progress
        Dask's progress bar on stderr (default: when stderr is a terminal).
    """

    partitions: tuple[int, int] | None = None
    scheduler: str | None = None
    client: Any = None
    retries: int | None = None
    show_progress: bool | None = None


def run_scenario_distributed(scen, out_dir=None, *, lang: str | None = None, log=None, **options: Any):
    """`~lifecircle.scenarios.pipeline.run_scenario` with the reach computed tile by tile on Dask.

    The same pipeline and the same outputs as the single run (siting included); only the reach
    step runs on the cluster (`~lifecircle.scenarios.executors.DaskExecutor`).

    Parameters
    ----------
    scen
        A validated `~lifecircle.scenarios.schema.Scenario`.
    out_dir
        Output folder (as `run_scenario`); ``None`` computes only.
    lang, log
        As `run_scenario`.
    **options
        The fields of `DaskRunOptions`: ``partitions``, ``scheduler``, ``client``, ``retries``,
        ``show_progress``.
    """
    from .executors import DaskExecutor
    from .pipeline import run_scenario

    opts = DaskRunOptions(**options)
    settings = dask_settings(scen, opts.partitions, opts.scheduler, opts.retries)
    executor = DaskExecutor(**settings, client=opts.client, show_progress=opts.show_progress)
    return run_scenario(scen, out_dir, lang=lang, log=log, executor=executor)


def dask_settings(
    scen, partitions: tuple[int, int] | None, scheduler: str | None, retries: int | None
) -> dict:
    """Tiles, scheduler and retries of a partitioned run: the options, else the scenario's, else defaults."""
    spec = getattr(scen, "distributed", None)
    tiles = partitions or (tuple(spec.tiles) if spec is not None and spec.tiles else (2, 2))
    scheduler = scheduler or (spec.scheduler if spec is not None else None)
    if retries is None:
        retries = spec.retries if spec is not None else DEFAULT_RETRIES
    return {"tiles": tiles, "scheduler": scheduler, "retries": retries}
