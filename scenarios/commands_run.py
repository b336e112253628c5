"""The work of ``lifecircle run`` and ``lifecircle demo``: where the reach runs; a run with progress shown."""

from __future__ import annotations

from pathlib import Path

from ..geodata.common import InputError
from ..geodata.settings import settings


def check_run_lang(lang: str | None) -> None:
    """``--lang`` of ``run`` is zh, en or not given (the scenario's)."""
    if lang is not None and lang not in ("zh", "en"):
        raise InputError("cli.run.bad_lang", lang=lang)


def run_executor(scen, scheduler: str | None, partitions: str | None):
    """The executor of the reach step: Dask tiles when asked (options or the scenario), else None."""
    if not (scheduler or partitions or scen.distributed is not None):
        return None
    from .distributed import dask_settings
    from .executors import DaskExecutor
    from .partition import parse_tiles

    tiles = parse_tiles(partitions) if partitions else None
    return DaskExecutor(**dask_settings(scen, tiles, scheduler, None))


def run_shown(scen, out_dir: Path, lang: str, executor=None):
    """Run the scenario into ``out_dir``, with a progress bar on stderr when progress is shown.

    Returns
    -------
    RunResult
        The run, as `lifecircle.scenarios.pipeline.run_scenario` returns it.
    """
    from .pipeline import run_scenario

    if not settings.show_progress:
        return run_scenario(scen, out_dir, lang=lang, executor=executor)
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .cli_print import err

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(scen.name, total=None)
        return run_scenario(
            scen, out_dir, lang=lang, log=lambda s: bar.update(task, description=s), executor=executor
        )
