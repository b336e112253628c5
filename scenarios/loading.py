"""Reading a scenario's inputs: thresholds, profiles, area, admin units, demand, facilities.

Every stage of `~lifecircle.scenarios.pipeline.run_scenario` before the reach: each function
turns one part of a validated `~lifecircle.scenarios.schema.Scenario` into the tables and
settings the engine takes, through the readers of `lifecircle.geodata`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from ..coverage import indicators as _ind
from ..coverage.profiles import get_profile
from ..geodata import admin as _admin
from ..geodata import admin_codes as _codes
from ..geodata import crs as _crs
from ..geodata import demand as _demand
from ..geodata import facilities as _fac
from ..geodata.boundaries import boundary_from_adcode
from ..geodata.common import Assumption, InputError, Msg, Note, has_message, say
from ..geodata.facility_tables import LISTED
from ..geodata.network import WalkNetwork, utm_crs_for
from ..geodata.sources import read_clip
from .presets import Jurisdiction, policy
from .result import SERVICE_PROFILE, ServiceRun
from .schema import Scenario


def facility_sources(scen: Scenario, facilities: gpd.GeoDataFrame) -> dict[str, tuple[str, ...]]:
    """Service → names of the scenario's facility sources that cover it (empty: no facility list).

    An OpenStreetMap source covers its ``service`` (or every service of the scenario): it was
    searched, so finding none there is a measured 0. A file covers its declared ``service``, else
    the services its rows hold; a file of childcare sites says nothing about elderly care.
    ``facilities`` is `load_facilities`' table (its ``source_rows`` give each source's rows).
    """
    out: dict[str, list[str]] = {s: [] for s in scen.services}
    rows = facilities.attrs.get("source_rows", [])
    start = np.cumsum([0, *rows]) if len(rows) == len(scen.facilities) else None
    for i, src in enumerate(scen.facilities):
        if src.osm is not None:
            name = f"OpenStreetMap ({Path(str(src.osm)).name})"
            covers = {src.service} if src.service else set(scen.services)
        else:
            name = Path(str(src.path)).name
            if src.service:
                covers = {src.service}
            elif start is not None:
                covers = set(facilities["service"].iloc[start[i] : start[i + 1]].astype(str))
            else:
                covers = set(facilities["service"].astype(str))
        for svc in covers:
            out.setdefault(svc, []).append(name)
    return {s: tuple(v) for s, v in out.items()}


def source_notes(
    notes: list[str], services: dict[str, ServiceRun], sources: dict[str, tuple[str, ...]]
) -> list[str]:
    """``notes`` with the reach's "no facilities given" replaced by what the sources say.

    A service without a facility list: its coverage is "no data" (not 0); one whose sources
    hold no existing facility of it: coverage 0 is measured, and the note names the sources.
    """
    empty = [s for s, r in services.items() if len(r.facilities) == 0 and s in sources]
    if not empty:
        return notes
    out = [n for n in notes if not any(str(n).startswith(f"{s}: no facilities given") for s in empty)]
    for svc in empty:
        if not sources[svc]:
            out.append(Note("run.no_facility_list", service=service_name(svc)))
        else:
            out.append(
                Note(
                    "run.no_existing_facility",
                    service=service_name(svc),
                    sources="; ".join(sources[svc]),
                    kind=_facility_kind(svc),
                )
            )
    return out


def service_name(service: str) -> Msg | str:
    """A service as the run's sentences name it (a message for the known services, else its code)."""
    msg_id = f"run.service.{service}"
    return Msg(msg_id) if has_message(msg_id) else service


def _facility_kind(service: str) -> Msg | str:
    """A service as a kind of facility, for "no existing … facility"."""
    msg_id = f"run.facility_kind.{service}"
    return Msg(msg_id) if has_message(msg_id) else service


# -- configuration ---------------------------------------------------------------------------------


def thresholds(scen: Scenario, juris: Jurisdiction) -> dict[str, tuple[float, float, str]]:
    """Service → (urban minutes, rural minutes, source) after scenario overrides."""
    out = {}
    for svc in scen.services:
        base = juris.thresholds.get(svc)
        if base is None:
            raise InputError("scenario.no_threshold", jurisdiction=juris.id, service=svc)
        urban, rural, source = base.urban_min, base.rural_min, base.source
        ov = scen.thresholds.get(svc)
        if ov is not None:
            if ov.urban is not None:
                urban, source = ov.urban, "scenario"
            if ov.rural is not None:
                rural, source = ov.rural, "scenario"
        if policy().one_radius(svc):  # one radius for urban and rural homes (presets/policy.yaml)
            rural = urban
        out[svc] = (urban, rural, source)
    return out


def service_profile(scen: Scenario, juris: Jurisdiction, service: str):
    """The walking profile of ``service``, with the jurisdiction's and the scenario's changes."""
    name = SERVICE_PROFILE.get(service, "adult")
    changes: dict[str, float] = {}
    for src in (juris.profiles.get(name) or {}, scen.profiles.get(name) or None):
        if src is None:
            continue
        items = src.items() if isinstance(src, dict) else src.model_dump(exclude_none=True).items()
        changes.update({k: v for k, v in items if v is not None and k in ("speed_mps", "steps_factor")})
    return get_profile(name, **changes)


def study_area(scen: Scenario) -> BaseGeometry | None:
    """The study area in WGS84 (boundary file, bbox or adcode), ``None`` when none is given."""
    sa = scen.study_area
    if sa.boundary is not None:
        return read_clip(scen.resolve(sa.boundary.path), sa.boundary.crs)
    if sa.bbox is not None:
        return read_clip(tuple(sa.bbox))
    if sa.adcode is not None:
        return boundary_from_adcode(sa.adcode)
    return None


def buffer_wgs84(area: BaseGeometry, metres: float) -> BaseGeometry:
    """``area`` grown by ``metres`` (computed in the local UTM zone), back in WGS84."""
    c = area.centroid
    utm = utm_crs_for(c.x, c.y)
    g = gpd.GeoSeries([area], crs=4326).to_crs(utm).buffer(metres).to_crs(4326)
    return g.iloc[0]


def admin_units(scen: Scenario, codes: pd.DataFrame | None = None) -> gpd.GeoDataFrame | None:
    """All admin unit layers of the scenario in one table (WGS84), ``None`` without any.

    ``codes`` (`code_list`) supplies the names, parents and urban flags a layer leaves out.
    """
    if not scen.admin:
        return None
    layers = [
        _admin.read_admin_units(
            scen.resolve(a.path),
            level=a.level,
            code_col=a.code_col,
            name_col=a.name_col,
            parent_col=a.parent_col,
            crs=a.crs,
            urban=a.urban,
            lookup=codes,
        )
        for a in scen.admin
    ]
    return gpd.GeoDataFrame(pd.concat(layers, ignore_index=True), crs=4326)


def code_list(scen: Scenario, juris: Jurisdiction) -> pd.DataFrame | None:
    """The official streets and communities of the scenario's ``admin_codes`` (one district), or None."""
    spec = scen.admin_codes
    if spec is None:
        return None
    district = spec.district or juris.adcode
    if not district:
        raise InputError("units.no_district", where=f"jurisdiction {juris.id}")
    streets = scen.resolve(spec.streets)
    communities = scen.resolve(spec.communities) if spec.communities else None
    codes = _admin.read_admin_codes(streets, communities, districts=district)
    if not (codes["level"] == "street").any():
        raise InputError("units.codes_empty", path=streets, district=district)
    return codes


@dataclass(frozen=True, eq=False)
class AdminInputs:
    """The scenario's admin units: polygons (WGS84), the official code list, and the two as one table.

    Attributes
    ----------
    units
        The unit polygons (`admin_units`), None without ``admin:`` layers.
    codes
        The code list (`code_list`), None without ``admin_codes:``.
    table
        Every unit (``code, name, level, parent, urban``): the polygons', then the code list's
        others; None without either. The indicators' unit table.
    district
        The district the code list covers ("" without one).
    """

    units: gpd.GeoDataFrame | None
    codes: pd.DataFrame | None
    table: pd.DataFrame | None
    district: str = ""


def admin_inputs(scen: Scenario, juris: Jurisdiction) -> AdminInputs:
    """Read the scenario's admin polygons and code list (`admin_units`, `code_list`)."""
    codes = code_list(scen, juris)
    units = admin_units(scen, codes)
    tables = []
    if units is not None:
        tables.append(pd.DataFrame(units.drop(columns="geometry")))
    if codes is not None:
        known = set(tables[0]["code"]) if tables else set()
        tables.append(codes.loc[~codes["code"].isin(known)])
    table = pd.concat(tables, ignore_index=True) if tables else None
    district = (scen.admin_codes.district if scen.admin_codes else None) or juris.adcode
    return AdminInputs(units, codes, table, district or "")


def match_units(
    facilities: gpd.GeoDataFrame, admin: AdminInputs, juris: Jurisdiction
) -> tuple[_codes.UnitMatch | None, list[str]]:
    """Each listed facility's official street and community, and the run's notes on them.

    Returns None for the match when no facility list names units (no ``listed_*`` column) or no
    units are known. The notes: one per kind of facility not found (`UnitMatch.notes`), and one
    saying that coverage is not reported per unit when a code list comes without polygons.
    """
    notes: list[str] = []
    if admin.codes is not None and admin.units is None:
        notes.append(Note("units.note.no_polygons"))
    if admin.table is None or not any(c in facilities.columns for c in LISTED.values()):
        return None, notes
    found = _codes.match_units(
        facilities, admin.table, district=admin.district, district_names=(juris.name_zh,)
    )
    return found, [*found.notes(), *notes]


def load_demand(scen: Scenario, area: BaseGeometry | None, units: gpd.GeoDataFrame | None):
    """The demand points of the scenario's demand spec, by its kind (table, raster, buildings, floor area)."""
    d = scen.demand
    common: dict[str, Any] = {"units": units}
    if d.kind == "table":
        kw: dict[str, Any] = {"pop_col": d.pop_col or "population", "crs": d.crs, "clip": area}
        if d.group_cols:
            kw["group_cols"] = d.group_cols
        if d.group_shares:
            kw["group_shares"] = d.group_shares
        return _demand.demand_from_table(scen.resolve(d.path), **kw, **common)
    if d.kind == "raster":
        return _demand.demand_from_raster(
            scen.resolve(d.path), clip=area, crs=d.crs, group_shares=d.group_shares, **common
        )
    buildings = (
        scen.resolve(d.path)
        if d.path is not None
        else _demand.buildings_from_osm(scen.resolve(d.osm), clip=area)
    )
    extra: dict[str, Any] = {}
    if d.levels_col:
        extra["levels_col"] = d.levels_col
    if d.default_levels:
        extra["default_levels"] = d.default_levels
    if d.kind == "buildings":
        if not d.totals or "pop_total" not in d.totals:
            raise InputError("scenario.building_totals")
        groups = {g: v for g, v in d.totals.items() if g != "pop_total"}
        return _demand.demand_from_buildings(
            buildings,
            totals=d.totals["pop_total"],
            group_totals=groups or None,
            group_shares=d.group_shares,
            shares_source=d.totals_source or "scenario",
            crs=d.crs,
            clip=area if d.path is not None else None,
            **extra,
            **common,
        )
    if d.persons_per_m2:
        extra["persons_per_m2"] = d.persons_per_m2
    return _demand.demand_from_floor_area(
        buildings,
        group_shares=d.group_shares,
        crs=d.crs,
        clip=area if d.path is not None else None,
        **extra,
        **common,
    )


def load_facilities(scen: Scenario, clip: BaseGeometry | None) -> gpd.GeoDataFrame:
    """Every facility source of the scenario in one WGS84 table (ids unique across sources)."""
    frames = []
    for src in scen.facilities:
        if src.osm is not None:
            services = (src.service,) if src.service else tuple(scen.services)
            f = _fac.facilities_from_osm(scen.resolve(src.osm), clip=clip, services=services)
        else:
            f = _fac.read_facilities(
                scen.resolve(src.path),
                service=src.service,
                crs=src.crs,
                columns=src.columns,
                sheet=src.sheet,
                status=src.status,
                count_col=src.count_col,
            )
        frames.append(f)
    if not frames:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in ("id", "name", "service", "tier", "status")}
            | {"capacity": pd.Series(dtype=float)},
            geometry=gpd.GeoSeries([], crs=4326),
            crs=4326,
        )
    fac = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
    fac.attrs["source_rows"] = [len(f) for f in frames]  # rows of each source, in order (datum check)
    dup = fac["id"].duplicated(keep=False)
    if dup.any():
        ids = ", ".join(sorted(set(fac.loc[dup, "id"].astype(str)))[:5])
        raise InputError("run.duplicate_facility_ids", ids=ids)
    return fac


def datum_notes(
    scen: Scenario, net: WalkNetwork, demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame
) -> list[str]:
    """Notes on file layers whose points fit the network far better in the other Chinese datum.

    Checked: the demand and each facility file, as declared (``crs``) against WGS84 ⇄ GCJ-02
    (`lifecircle.geodata.crs.datum_check`). OSM layers are WGS84 by definition and not checked.
    """
    layers: list[tuple[str, str | None, gpd.GeoSeries]] = []
    if scen.demand.path is not None:
        layers.append((scen.resolve(scen.demand.path), scen.demand.crs, demand.geometry))
    rows = facilities.attrs.get("source_rows", [])
    if len(rows) == len(scen.facilities):
        start = np.cumsum([0, *rows])
        for src, a, b in zip(scen.facilities, start[:-1], start[1:], strict=True):
            if src.path is not None and b > a:
                layers.append((scen.resolve(src.path), src.crs, facilities.geometry.iloc[a:b]))
    notes = []
    for where, declared, geoms in layers:
        datum = _crs.datum_of(declared, where=where)
        if datum is None:
            continue
        check = _crs.datum_check(geoms.x.to_numpy(), geoms.y.to_numpy(), datum, net.geometry, net.crs)
        note = _crs.datum_note(check, where=where)
        if note is not None:
            notes.append(note)
    return notes


def with_admin(
    facilities: gpd.GeoDataFrame, units: gpd.GeoDataFrame | None, matched: _codes.UnitMatch | None = None
) -> pd.DataFrame:
    """The facilities as a plain table with their district, street and community (blank without units).

    A facility whose list names a unit that was found (``matched``) belongs to that unit; the
    others fall in the polygon they lie in. Facilities the list places in another district are
    left out (they count for walking reach, not for this district's units and supply).
    """
    fac = facilities.copy()
    cols = ("district", "street", "community")
    if units is not None and len(fac):
        adm = _admin.attribute_admin(fac, units)
        for col in cols:
            fac[col] = adm[col].to_numpy()
    else:
        for col in cols:
            fac[col] = ""
    if matched is not None:
        placed = matched.placed
        for col in cols:
            fac[col] = np.where(placed, matched.report[col].to_numpy(dtype=object), fac[col].to_numpy(object))
        fac = fac.loc[~matched.outside]
    return pd.DataFrame(fac.drop(columns="geometry")).reset_index(drop=True)


def demand_where(scen: Scenario) -> str:
    """The demand layer's name for messages: its file, or the OSM extract its buildings come from."""
    d = scen.demand
    src = d.path if d.path is not None else d.osm
    return Path(str(src)).name if src is not None else "demand"


def provenance(scen: Scenario, juris: Jurisdiction) -> _ind.Provenance:
    """Where the population and the supply figures come from, for the indicator table.

    The sources are written in English, as the rest of the long indicator table.
    """
    d = scen.demand
    base = juris.population.get("base", {})
    if d.kind == "buildings":
        src = d.totals_source or base.get("source", say("run.provenance.totals", "en"))
        src = say("run.provenance.buildings", "en", source=src)
        year = base.get("year", "")
    elif d.kind == "floor_area":
        src, year = say("run.provenance.floor_area", "en"), ""
    else:
        src, year = f"{d.kind} {Path(d.path or '').name}", ""
    fac_src = "; ".join(Path(s.path).name if s.path else f"OpenStreetMap ({s.osm})" for s in scen.facilities)
    return _ind.Provenance(
        population_source=src,
        population_year=year,
        supply_source=fac_src or say("run.provenance.no_source", "en"),
        supply_date="",
    )


def assumptions(
    scen: Scenario, juris: Jurisdiction, profiles: dict, demand_assumptions: list[Assumption]
) -> list[Assumption]:
    """Every assumption of the run (profiles, default thresholds, slope, demand, isochrone width)."""
    out: list[Assumption] = []
    seen: set[str] = set()
    for svc, prof in profiles.items():
        for a in prof.assumptions:
            if a.key not in seen:
                out.append(a)
                seen.add(a.key)
        th = juris.thresholds.get(svc)
        if th is not None and th.is_assumption and f"threshold.{svc}" not in seen:
            msg = Msg("run.assumption.threshold", service=service_name(svc), minutes=th.urban_min)
            out.append(Assumption(key=f"threshold.{svc}", value=th.urban_min, unit="min", msg=msg))
            seen.add(f"threshold.{svc}")
    if scen.network.dem:
        out.append(
            Assumption(
                key="slope.tobler",
                value=scen.network.dem,
                unit="",
                msg=Msg("run.assumption.slope"),
                source="Tobler (1993)",
            )
        )
    for a in demand_assumptions:
        if a.key not in seen:
            out.append(a)
            seen.add(a.key)
    out.append(
        Assumption(
            key="access_width",
            value=scen.outputs.access_width_m,
            unit="m",
            msg=Msg("run.assumption.access_width", width=scen.outputs.access_width_m),
        )
    )
    return out
