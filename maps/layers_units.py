"""Admin units as layer specs: their outlines (always drawn) and their shading by coverage (to tick)."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from ..geodata.common import say
from ..geodata.schema import GROUPS
from .i18n import code_label, t
from .scene import Scene
from .style import OUTLINE_STYLES, PRIMARY_GROUP, SHARE_COLORS, safe_name, share_classes
from .tables import column, drop_empty, geoms_json, nums, require, texts

#: Admin levels drawn first, in this order (other levels follow by name).
LEVELS = ("district", "street", "community")


def _levels(admin: gpd.GeoDataFrame) -> tuple[pd.Series, list[str]]:
    """The level of each unit, and the levels present in drawing order."""
    levels = column(admin, "level", "").fillna("").astype(str)
    order = [lv for lv in LEVELS if (levels == lv).any()] + sorted(set(levels) - set(LEVELS))
    return levels, order


def outline_specs(
    outline: gpd.GeoDataFrame | None, admin: gpd.GeoDataFrame | None, scene: Scene
) -> Iterable[dict]:
    """The study-area outline and one outline layer per admin level, drawn as lines over the circles.

    Hovering a line names the unit. The outlines start visible in every view.
    """
    lang = scene.lang
    outline = drop_empty(outline)
    if outline is not None and len(outline):
        names = texts(column(outline, "name", ""))
        yield _outline_spec(outline, t("outline", lang), names, OUTLINE_STYLES["district"])
    admin = drop_empty(admin)
    if admin is None or not len(admin) or "name" not in admin.columns:
        return
    levels, order = _levels(admin)
    for level in order:
        sub = admin.loc[levels == level]
        label = code_label(level, lang) if level else t("unit", lang)
        style = OUTLINE_STYLES.get(level, OUTLINE_STYLES["community"])
        yield _outline_spec(sub, say("map.layer.unit_outline", lang, level=label), texts(sub["name"]), style)


def _outline_spec(gdf: gpd.GeoDataFrame, name: str, tips: list[str], style: dict) -> dict:
    """One outline layer: the polygons' boundaries in one style, the unit's name on hover."""
    return {
        "name": safe_name(name),
        "kind": "shapes",
        "_geoms": geoms_json(gdf.geometry.boundary.to_numpy()),
        "cls": [0] * len(gdf),
        "styles": [style],
        "cols": {"tip": tips},
        "popup": None,
        "tooltip": "tip",
        "view": None,
        "_show": True,
    }


def admin_specs(admin: gpd.GeoDataFrame | None, scene: Scene) -> Iterable[dict]:
    """One layer per service key and admin level, units shaded by the coverage of the service's main group."""
    admin = drop_empty(admin)
    if admin is None or not len(admin):
        return
    require(admin, "admin", ("name",))
    levels, order = _levels(admin)
    for service in scene.services:
        groups = [g for g in GROUPS if f"share_{service}_{g}" in admin.columns]
        if not groups:
            continue
        main = PRIMARY_GROUP.get(service, "pop_total")
        main = main if main in groups else groups[0]
        for level in order:
            yield _admin_spec(admin.loc[levels == level], level, service, (main, groups), scene)


def _admin_spec(
    sub: gpd.GeoDataFrame, level: str, service: str, groups: tuple[str, list[str]], scene: Scene
) -> dict:
    """The units of one level shaded by coverage of ``service``; ``groups`` is (main group, all groups)."""
    lang = scene.lang
    main, shown = groups
    share = pd.to_numeric(sub[f"share_{service}_{main}"], errors="coerce").to_numpy(dtype=float)
    cols = {"name": texts(sub["name"]), "code": texts(column(sub, "code", ""))}
    rows = [[t("code", lang), "code", "text", True]]
    for g in shown:
        cols[f"s_{g}"] = nums(pd.to_numeric(sub[f"share_{service}_{g}"], errors="coerce"), 4)
        rows.append([f"{t('coverage_share', lang)} · {t(g, lang)}", f"s_{g}", "pct"])
        if g in sub.columns:
            cols[f"p_{g}"] = nums(pd.to_numeric(sub[g], errors="coerce"), 0)
            rows.append([t(g, lang), f"p_{g}", "int", True])
    pct = np.where(np.isfinite(share), np.round(share * 100, 1), np.nan)
    cols["tip"] = [
        f"{n} · {p:g}%" if np.isfinite(p) else f"{n} · {t('no_data', lang)}"
        for n, p in zip(cols["name"], pct, strict=True)
    ]
    name = say(
        "map.layer.admin",
        lang,
        level=code_label(level, lang) if level else t("unit", lang),
        service=scene.label(service),
        group=t(main, lang),
    )
    return {
        "name": safe_name(name),
        "kind": "shapes",
        "_geoms": geoms_json(sub.geometry.to_numpy()),
        "cls": share_classes(share).astype(int).tolist(),
        "styles": [{"color": "#444", "weight": 1, "fillColor": c, "fillOpacity": 0.55} for c in SHARE_COLORS],
        "cols": cols,
        "popup": {"title_col": "name", "rows": rows},
        "tooltip": "tip",
        "view": scene.view(service),
        "_show": False,
    }
