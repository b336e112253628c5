"""A finished run folder read back for a comparison: record, indicators, layers, optimized state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from ..coverage.indicators import NO_LIST_NOTE
from ..geodata.common import InputError, Msg, say
from ..maps.export import restore_formulas


@dataclass
class RunFolder:
    """What `compare` reads from a run folder (or from the "after" state of one run)."""

    path: Path
    label: str
    record: dict
    indicators: pd.DataFrame
    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame | None
    isochrones: gpd.GeoDataFrame | None
    units: gpd.GeoDataFrame | None
    #: The run's facilities (for the after state: with the proposed sites), or None.
    facilities: gpd.GeoDataFrame | None = None
    #: The study-area outline, or None.
    outline: gpd.GeoDataFrame | None = None
    #: Services the run had no facility list for: their coverage is unknown ("no data"), never 0.
    no_data: tuple[str, ...] = ()
    #: Whether this is the "after" state of a run (its proposed sites open); ``label`` says so.
    optimized: bool = False

    def name(self, lang: str = "zh") -> str:
        """The run's label in ``lang``: the scenario name, marked when it is the optimized state."""
        return say("compare.optimized", lang, name=self.label) if self.optimized else self.label


def no_list_services(indicators: pd.DataFrame) -> tuple[str, ...]:
    """Services whose coverage rows say "no data: needs a facility list for …" (see `indicator_table`)."""
    if not {"metric", "service", "note"} <= set(indicators.columns):
        return ()
    cov = indicators[indicators["metric"] == "coverage"]
    flagged = cov["note"].fillna("").astype(str).str.startswith(NO_LIST_NOTE)
    return tuple(sorted(set(cov.loc[flagged, "service"].astype(str))))


def _damaged(path: Path, what: Msg) -> InputError:
    """The one sentence for a run folder file that is missing or cannot be read (``what`` is wrong)."""
    return InputError("compare.damaged", path=path, what=what)


def _read_record(path: Path) -> dict:
    """The run record ``run.json`` of a run folder, checked to be a JSON object."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _damaged(path, Msg("compare.what.unreadable_record", kind=exc.__class__.__name__)) from None
    if not isinstance(record, dict):
        raise _damaged(path, Msg("compare.what.not_object", kind=type(record).__name__))
    return record


def _read_layers(gpkg: Path, after: bool) -> dict[str, gpd.GeoDataFrame | None]:
    """The layers ``compare`` uses from a run's ``layers.gpkg`` (absent optional ones are None)."""
    if not gpkg.is_file():
        raise _damaged(gpkg, Msg("compare.what.no_file"))
    try:
        names = {name for name, _ in pyogrio.list_layers(gpkg)}
        if "demand" not in names:
            raise _damaged(gpkg, Msg("compare.what.no_demand_layer"))
        wanted = ["demand", "isochrones", "units", "facilities", "study_area"] + (["sites"] if after else [])
        return {n: gpd.read_file(gpkg, layer=n) if n in names else None for n in wanted}
    except InputError:
        raise
    except Exception as exc:
        raise _damaged(gpkg, Msg("compare.what.bad_gpkg", kind=exc.__class__.__name__)) from None


def _read_indicators(path: Path) -> pd.DataFrame:
    """An indicator CSV of a run folder, its formula guard taken off."""
    try:
        indicators = pd.read_csv(path, encoding="utf-8-sig", dtype={"unit": str, "parent": str})
    except Exception as exc:
        raise _damaged(path, Msg("compare.what.bad_indicators", kind=exc.__class__.__name__)) from None
    missing = [c for c in ("scope", "service", "metric", "value") if c not in indicators.columns]
    if missing:
        raise _damaged(path, Msg("compare.what.no_column", columns=missing))
    return restore_formulas(indicators)  # the CSV's guard "'" in front of formula-like text


def load_run(path: str | Path, *, after: bool = False) -> RunFolder:
    """Read a run folder written by ``lifecircle run``; ``after=True`` takes its optimized state.

    Raises
    ------
    InputError
        One sentence naming the file, when the folder has no ``run.json``, or its ``run.json``
        is not a JSON object, or its indicator CSV or ``layers.gpkg`` is missing or unreadable.
    """
    path = Path(path)
    rec_path = path / "run.json"
    if not rec_path.exists():
        raise InputError("compare.not_run_folder", path=path)
    record = _read_record(rec_path)
    ind_name = "indicators_after.csv" if after else "indicators.csv"
    if not (path / ind_name).exists():
        raise InputError(
            "compare.no_indicators_after" if after else "compare.no_indicators", path=path, name=ind_name
        )
    indicators = _read_indicators(path / ind_name)
    found = _read_layers(path / "layers.gpkg", after)
    demand = found["demand"]
    if after:
        for col in [c for c in demand.columns if c.endswith("_after")]:
            demand[col.removesuffix("_after")] = demand[col]
    scenario = record.get("scenario")
    name = scenario.get("name") if isinstance(scenario, dict) else None
    return RunFolder(
        path=path,
        label=str(name) if name else path.name,
        record=record,
        indicators=indicators,
        demand=demand,
        sites=found.get("sites"),
        isochrones=_state_isochrones(found["isochrones"], after),
        units=found["units"],
        facilities=_state_facilities(found["facilities"], found.get("sites"), after),
        outline=found["study_area"],
        no_data=no_list_services(indicators),
        optimized=after,
    )


def _state_isochrones(iso: gpd.GeoDataFrame | None, after: bool) -> gpd.GeoDataFrame | None:
    """The circles of one state of a run: the plain services, or the ``<service>_after`` ones renamed."""
    if iso is None or "service" not in iso.columns:
        return None
    svc = iso["service"].astype(str)
    part = iso.loc[svc.str.endswith("_after") == after].copy()
    if after:
        part["service"] = part["service"].astype(str).str.removesuffix("_after")
    return part if len(part) else None


def _state_facilities(
    fac: gpd.GeoDataFrame | None, sites: gpd.GeoDataFrame | None, after: bool
) -> gpd.GeoDataFrame | None:
    """The facilities of one state of a run: the existing ones, plus the proposed sites after."""
    if not after or sites is None or not len(sites):
        return fac
    new = sites.assign(tier="proposed", status="existing", id="site:" + sites["rank"].astype(str))
    cols = ["id", "name", "service", "tier", "status", "geometry"]
    parts = [df[[c for c in cols if c in df.columns]] for df in (fac, new) if df is not None and len(df)]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=4326)
