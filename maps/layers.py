"""The map's overlays as compact column specs, one per service and class, built into Leaflet in the page.

Each spec holds the layer's name (escaped for the layer control), its kind (``points``, ``shapes``
or ``sites``), coordinates or shapes, a class per feature with a style per class, the popup's
columns and rows, the hover tooltip, the view it belongs to (``view``: ``"base"``, ``"after"`` or
``None`` for both, see `lifecircle.maps.inputs.view_of`) and whether it starts visible in that
view (``_show``). ``templates/lifecircle.js`` turns a spec into Leaflet objects and escapes every
text from the input files.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from ..geodata.common import InputError, say
from ..geodata.schema import GROUPS
from .i18n import t
from .inputs import MapInputs
from .layers_change import change_specs, facility_change_specs, isochrone_before_specs
from .layers_points import facility_specs, site_specs
from .layers_units import admin_specs, outline_specs
from .scene import Scene, scene_of
from .style import (
    FOOT,
    NO_DATA,
    SERVICE_COLORS,
    STREET_STYLES,
    TIME_BINS_MIN,
    minutes_text,
    safe_name,
    service_color,
    time_classes,
    time_styles,
)
from .tables import column, drop_empty, geoms_json, isochrone_rows, nums, points_xy, texts

__all__ = ["layer_specs", "scene_of"]


def layer_specs(inputs: MapInputs, lang: str, names: dict[str, str] | None = None) -> Iterable[dict]:
    """Every overlay of ``inputs`` in drawing order (unit shading at the bottom, sites on top).

    ``names`` maps unit codes in the demand table to unit names for the popups (default: the
    names of ``inputs.admin``).
    """
    scene = scene_of(inputs, lang)
    if names is not None:
        scene = Scene(scene.lang, scene.services, scene.first, names, scene.states)
    return itertools.chain(
        admin_specs(inputs.admin, scene),
        street_specs(inputs.streets, scene),
        isochrone_specs(inputs.isochrones, scene),
        isochrone_before_specs(inputs.isochrones_before, scene),
        outline_specs(inputs.outline, inputs.admin, scene),
        demand_specs(inputs, scene),
        change_specs(inputs.changes, scene),
        facility_specs(inputs.facilities, scene),
        facility_change_specs(inputs.facility_changes, scene),
        site_specs(inputs.sites, scene),
    )


# -- demand points ---------------------------------------------------------------------------------


def demand_specs(inputs: MapInputs, scene: Scene) -> Iterable[dict]:
    """One layer per service key: the demand points coloured by walking time (or grey: no data)."""
    demand = drop_empty(inputs.demand)
    if demand is None or not len(demand):
        return
    lang = scene.lang
    x, y = points_xy(demand)
    x, y = np.asarray(x, dtype=object), np.asarray(y, dtype=object)
    for service in scene.services:
        tcol = f"time_s_{service}"
        if tcol not in demand.columns:
            continue
        if service in inputs.no_data:  # no facility list: one grey class, never "no walking route"
            order, cls, cols, rows = _no_data_points(len(demand), lang)
            styles = [
                {"radius": 3, "color": NO_DATA, "weight": 0.5, "fillColor": NO_DATA, "fillOpacity": 0.8}
            ]
            tip = [["st", "text"]]
        else:
            order, cls, cols, rows = _timed_points(demand, service, tcol, lang)
            styles = time_styles()
            tip = [["t", "min"], ["st", "text"]]
        _demand_popup(demand, order, scene.units, lang, cols, rows)
        yield {
            "name": safe_name(say("map.layer.demand", lang, service=scene.label(service))),
            "kind": "points",
            "x": x[order].tolist(),
            "y": y[order].tolist(),
            "cls": cls[order].astype(int).tolist(),
            "styles": styles,
            "cols": cols,
            "popup": {"title": f"{scene.label(service)} · {t('walk_time', lang)}", "rows": rows},
            "tooltip": tip,
            "tipGroup": True,
            "view": scene.view(service),
            "_show": scene.shown(service),
        }


def _no_data_points(n: int, lang: str) -> tuple[np.ndarray, np.ndarray, dict[str, list], list[list]]:
    """Drawing order, class, popup columns and rows of points whose walking times are unknown."""
    cols: dict[str, list] = {"st": [t("no_facility_list", lang)] * n}
    return np.arange(n), np.zeros(n, dtype=int), cols, [[t("status", lang), "st", "text"]]


def _timed_points(
    demand: gpd.GeoDataFrame, service: str, tcol: str, lang: str
) -> tuple[np.ndarray, np.ndarray, dict[str, list], list[list]]:
    """Drawing order, time class, popup columns and rows of the demand points of ``service``."""
    thr_col = f"threshold_s_{service}" if f"threshold_s_{service}" in demand.columns else "threshold_s"
    if thr_col not in demand.columns:
        # example thresholds in the message: 000 Table 1 policy no. 2 (15 min urban, 20 min rural)
        raise InputError("map.no_threshold", service=service)
    seconds = pd.to_numeric(demand[tcol], errors="coerce").to_numpy(dtype=float)
    seconds = np.where(np.isnan(seconds), np.inf, seconds)
    threshold = pd.to_numeric(demand[thr_col], errors="coerce").to_numpy(dtype=float)
    cls = time_classes(seconds / 60.0, threshold / 60.0)
    order = np.argsort(cls, kind="stable")  # covered first, uncovered drawn on top
    n_bins = len(TIME_BINS_MIN) + 1
    labels = [t("covered", lang)] * n_bins + [t("uncovered", lang)] * n_bins + [t("unreached", lang)]
    status = np.array(labels)[cls]
    cols: dict[str, list] = {
        "t": nums(seconds[order], 0),
        "thr": nums(threshold[order] / 60.0, 1),
        "st": status[order].tolist(),
    }
    rows = [
        [t("walk_time", lang), "t", "min"],
        [t("threshold_min", lang), "thr", "num"],
        [t("status", lang), "st", "text"],
    ]
    return order, cls, cols, rows


def _demand_popup(
    demand: gpd.GeoDataFrame,
    order: np.ndarray,
    names: dict[str, str],
    lang: str,
    cols: dict[str, list],
    rows: list[list],
) -> None:
    """Add the population groups and the street and community (by name) to a demand popup."""
    for g in [g for g in GROUPS if g in demand.columns]:
        cols[g] = nums(demand[g].to_numpy(dtype=float)[order], 0)
        rows.append([t(g, lang), g, "int", True])
    for level in ("street", "community"):
        if level in demand.columns:
            codes = demand[level].astype(str).to_numpy()[order]
            mapped = pd.Series(codes, dtype=object).map(names)
            shown = np.where(mapped.isna(), codes, mapped.to_numpy())
            cols[level] = texts(shown)
            rows.append([t(level, lang), level, "text", True])


# -- streets and isochrones ------------------------------------------------------------------------


def street_specs(streets: gpd.GeoDataFrame | None, scene: Scene) -> Iterable[dict]:
    """The walk network in grey, steps dashed, footways thin: one layer."""
    streets = drop_empty(streets)
    if streets is None or not len(streets):
        return
    kind = column(streets, "highway", "").fillna("").astype(str).to_numpy()
    cls = np.select([kind == "steps", np.isin(kind, FOOT)], [1, 2], 0)
    yield {
        "name": safe_name(t("network", scene.lang)),
        "kind": "shapes",
        "_geoms": geoms_json(streets.geometry.to_numpy()),
        "cls": cls.astype(int).tolist(),
        "styles": STREET_STYLES,
        "cols": {},
        "popup": None,
        "tooltip": None,
        "view": None,
        "_show": True,
    }


def isochrone_specs(iso: gpd.GeoDataFrame | None, scene: Scene) -> Iterable[dict]:
    """One layer per service key and threshold tier, the largest tier first."""
    iso = isochrone_rows(iso)
    if iso is None:
        return
    lang = scene.lang
    for service in scene.services:
        part = iso.loc[iso["service"].astype(str) == service]
        tiers = sorted(part["minutes"].dropna().unique(), reverse=True)  # large first, small on top
        color = service_color(service, scene.services, SERVICE_COLORS)
        for k, minutes in enumerate(tiers):
            tier = part.loc[part["minutes"] == minutes]
            opacity = 0.12 + 0.1 * min(k, 3)
            name = say(
                "map.layer.isochrone", lang, service=scene.label(service), minutes=minutes_text(minutes)
            )
            yield {
                "name": safe_name(name),
                "kind": "shapes",
                "_geoms": geoms_json(tier.geometry.to_numpy()),
                "cls": [0] * len(tier),
                "styles": [{"color": color, "weight": 1.2, "fillColor": color, "fillOpacity": opacity}],
                "cols": {
                    "area": nums(column(tier, "area_m2"), 0),
                    "len": nums(column(tier, "length_m"), 0),
                    "tip": [name] * len(tier),
                },
                "popup": {
                    "title": name,
                    "rows": [
                        [t("area_km2", lang), "area", "km2", True],
                        [t("reached_km", lang), "len", "km", True],
                    ],
                },
                "tooltip": "tip",
                "view": scene.view(service),
                "_show": scene.shown(service),
            }
