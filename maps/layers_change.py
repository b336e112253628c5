"""What changed between two states, as layer specs: earlier circles, homes newly covered, facilities.

Used by a comparison's map (`lifecircle.scenarios.compare`): the second state's circles are
filled, the first state's drawn as dashed outlines over them; residents newly within reach are
drawn large in green, those no longer within reach in red; added facilities in green, removed
ones hollow in red.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import geopandas as gpd
import pandas as pd

from ..geodata.common import say
from ..geodata.schema import GROUPS
from .i18n import code_label, t
from .layers_points import tier_label
from .scene import Scene
from .style import CHANGE_COLORS, SERVICE_COLORS, minutes_text, safe_name, service_color
from .tables import column, drop_empty, geoms_json, isochrone_rows, nums, points_xy, require, texts

#: Kinds of change of a resident and of a facility, in drawing order.
HOME_CHANGES = ("lost", "gained")
FACILITY_CHANGES = ("removed", "added")


def isochrone_before_specs(iso: gpd.GeoDataFrame | None, scene: Scene) -> Iterable[dict]:
    """The first state's circles as dashed outlines over the second's, one layer per service and tier.

    ``iso`` names its services by their plain key (``elderly``); with two states the layers
    belong to the second state's view.
    """
    iso = isochrone_rows(iso)
    if iso is None:
        return
    lang = scene.lang
    for service in [s for s in scene.services if scene.view(s) != "after"]:
        part = iso.loc[iso["service"].astype(str) == service]
        color = service_color(service, scene.services, SERVICE_COLORS)
        after = f"{service}_after" in scene.services
        for minutes in sorted(part["minutes"].dropna().unique(), reverse=True):
            tier = part.loc[part["minutes"] == minutes]
            name = say(
                "map.layer.isochrone_before",
                lang,
                service=code_label(service, lang),
                minutes=minutes_text(minutes),
                state=_state(scene, 0),
            )
            yield {
                "name": safe_name(name),
                "kind": "shapes",
                "_geoms": geoms_json(tier.geometry.boundary.to_numpy()),
                "cls": [0] * len(tier),
                "styles": [{"color": color, "weight": 2, "dashArray": "6 4", "fill": False, "opacity": 0.9}],
                "cols": {"tip": [name] * len(tier)},
                "popup": None,
                "tooltip": "tip",
                "view": "after" if after else None,
                "_show": scene.shown(service),
            }


def _state(scene: Scene, k: int) -> str:
    """The name of state ``k`` (0: first, 1: second)."""
    if scene.states is not None:
        return scene.states[k]
    return t("state_before" if k == 0 else "state_after", scene.lang)


def change_specs(changes: gpd.GeoDataFrame | None, scene: Scene) -> Iterable[dict]:
    """Residents whose coverage changed, one layer per service and kind (newly covered on top)."""
    lang = scene.lang
    for service, change, part, label in _parts(changes, "changes", HOME_CHANGES, scene):
        name = say("map.layer.change", lang, service=code_label(service, lang), change=label)
        x, y = points_xy(part)
        cols, rows = _people(part, lang)
        cols["unit"] = texts(column(part, "unit", ""))
        rows.append([t("unit", lang), "unit", "text", True])
        cols["what"] = [label] * len(part)
        color = CHANGE_COLORS[change]
        yield {
            "name": safe_name(name),
            "kind": "points",
            "x": x,
            "y": y,
            "cls": [0] * len(part),
            "styles": [{"radius": 5, "color": "#222", "weight": 1, "fillColor": color, "fillOpacity": 0.95}],
            "cols": cols,
            "popup": {"title_col": "what", "rows": rows},
            "tooltip": [["what", "text"], ["unit", "text"], [_main(part), "people"]],
            "tipGroup": True,
            "view": None,
            "_show": True,
        }


def _parts(
    frame: gpd.GeoDataFrame | None, what: str, kinds: Sequence[str], scene: Scene
) -> Iterator[tuple[str, str, gpd.GeoDataFrame, str]]:
    """``(service, change, rows, label)`` of each service and kind of change that has rows."""
    frame = drop_empty(frame)
    if frame is None or not len(frame):
        return
    require(frame, what, ("service", "change"))
    svc, kind = frame["service"].astype(str), frame["change"].astype(str)
    for service in scene.services:
        for change in kinds:
            part = frame.loc[(svc == service) & (kind == change)]
            if len(part):
                yield service, change, part, t(f"change_{change}", scene.lang)


def _main(part: pd.DataFrame) -> str:
    """The popup column of the first population group the table has (the tooltip's head count)."""
    return next((f"p_{g}" for g in GROUPS if g in part.columns), "p_pop_total")


def _people(part: pd.DataFrame, lang: str) -> tuple[dict[str, list], list[list]]:
    """Popup columns and rows of the population groups of changed residents."""
    cols: dict[str, list] = {}
    rows: list[list] = []
    for g in [g for g in GROUPS if g in part.columns]:
        cols[f"p_{g}"] = nums(pd.to_numeric(part[g], errors="coerce"), 0)
        rows.append([t(g, lang), f"p_{g}", "int", True])
    return cols, rows


def facility_change_specs(fc: gpd.GeoDataFrame | None, scene: Scene) -> Iterable[dict]:
    """Facilities added or removed, one layer per service and kind."""
    lang = scene.lang
    for service, change, part, label in _parts(fc, "facility_changes", FACILITY_CHANGES, scene):
        x, y = points_xy(part)
        color = CHANGE_COLORS[change]
        tiers = column(part, "tier", "").fillna("").astype(str)
        yield {
            "name": safe_name(
                say("map.layer.facility_change", lang, service=code_label(service, lang), change=label)
            ),
            "kind": "points",
            "x": x,
            "y": y,
            "cls": [0] * len(part),
            "styles": [
                {  # rings, apart from the filled dots of the residents
                    "radius": 9,
                    "color": color,
                    "weight": 4,
                    "fillColor": "#ffffff",
                    "fillOpacity": 0.85,
                    **({"dashArray": "4 3"} if change == "removed" else {}),
                }
            ],
            "cols": {
                "name": texts(column(part, "name", "")),
                "tier": [tier_label(tr, service, lang) for tr in tiers],
                "what": [label] * len(part),
            },
            "popup": {
                "title_col": "name",
                "rows": [[t("change", lang), "what", "text"], [t("tier", lang), "tier", "text", True]],
            },
            "tooltip": [["what", "text"], ["name", "text"]],
            "view": None,
            "_show": True,
        }
