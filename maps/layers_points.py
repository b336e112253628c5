"""Facilities by service and tier, and the ranked proposed sites, as layer specs (see `maps.layers`)."""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from ..geodata.common import say
from ..geodata.schema import GROUPS
from .i18n import code_label, has, t
from .scene import Scene
from .style import SITE_COLORS, TIER_COLORS, safe_name, service_color
from .tables import column, drop_empty, join_names, nums, points_xy, require, texts

#: Tier codes that name elderly-care facilities: a childcare facility is never labelled with one.
ELDERLY_TIERS = frozenset(
    {
        "nursing_home",
        "assisted_living",
        "day_care",
        "group_home",
        "street_centre",
        "community_station",
        "compound_point",
        "village_point",
        "town_centre",
        "institution",
    }
)


def tier_label(tier: str, service: str, lang: str) -> str:
    """The label of a facility tier for a facility of ``service``.

    A childcare facility tagged with an elderly tier (OSM ``social_facility=day_care`` for
    children, say) is a childcare day-care, never "day-care centre for the elderly".
    """
    if not tier:
        return t("no_data", lang)
    if service.startswith("childcare") and (tier in ELDERLY_TIERS or tier == "childcare"):
        key = f"childcare_{tier}"
        return t(key, lang) if has(key) else t("childcare_centre", lang)
    return code_label(tier, lang)


def facility_kinds(
    fac: gpd.GeoDataFrame, services: Iterable[str], lang: str
) -> list[tuple[str, str, str, str]]:
    """``(service, tier, label, colour)`` of every kind of facility drawn, in drawing order.

    Kinds with the same label share a colour, so the legend lists each label once.
    """
    svc = fac["service"].astype(str)
    tiers = fac["tier"].fillna("").astype(str)
    kinds = []
    for service in services:
        for tier in sorted(tiers.loc[svc == service].unique()):
            kinds.append((service, tier, tier_label(tier, service, lang)))
    labels = list(dict.fromkeys(label for _, _, label in kinds))
    return [(s, tr, lb, TIER_COLORS[labels.index(lb) % len(TIER_COLORS)]) for s, tr, lb in kinds]


def _facility_styles(color: str) -> list[dict]:
    """Styles of existing (solid), planned (hollow, dashed) and candidate (small grey) facilities."""
    return [
        {"radius": 6.5, "color": "#222", "weight": 1.5, "fillColor": color, "fillOpacity": 0.95},
        {
            "radius": 6.5,
            "color": color,
            "weight": 2.5,
            "dashArray": "3 3",
            "fillColor": color,
            "fillOpacity": 0.2,
        },
        {"radius": 4, "color": "#555", "weight": 1, "fillColor": "#bdbdbd", "fillOpacity": 0.8},
    ]


def facility_specs(fac: gpd.GeoDataFrame | None, scene: Scene) -> Iterable[dict]:
    """One layer per service and tier; the status (existing, planned, candidate) sets the style."""
    fac = drop_empty(fac)
    if fac is None or not len(fac):
        return
    require(fac, "facilities", ("service", "tier"))
    lang = scene.lang
    status = column(fac, "status", "existing").fillna("existing").astype(str)
    svc, tiers = fac["service"].astype(str), fac["tier"].fillna("").astype(str)
    for service, tier, tier_text, color in facility_kinds(fac, scene.services, lang):
        sub = fac.loc[(svc == service) & (tiers == tier)]
        st = status.loc[sub.index].to_numpy()
        cls = np.select([st == "planned", st == "candidate"], [1, 2], 0)
        x, y = points_xy(sub)
        name = say("map.layer.facilities", lang, service=scene.label(service), tier=tier_text)
        yield {
            "name": safe_name(name),
            "kind": "points",
            "x": x,
            "y": y,
            "cls": cls.astype(int).tolist(),
            "styles": _facility_styles(color),
            "cols": {
                "name": texts(column(sub, "name", "")),
                "id": texts(column(sub, "id", "")),
                "tier": [tier_text] * len(sub),
                "cap": nums(pd.to_numeric(column(sub, "capacity"), errors="coerce"), 0),
                "st": [code_label(s, lang) for s in st],
            },
            "popup": {
                "title_col": "name",
                "rows": [
                    [t("tier", lang), "tier", "text"],
                    [t("capacity", lang), "cap", "int"],
                    [t("status", lang), "st", "text"],
                    [t("id", lang), "id", "text", True],
                ],
            },
            "tooltip": "name",
            "view": None,
            "_show": True,
        }


def site_specs(sites: gpd.GeoDataFrame | None, scene: Scene) -> Iterable[dict]:
    """One layer per service: the proposed sites, numbered by rank, with why each was chosen.

    With a second state of the service (``<service>_after``) the sites belong to it.
    """
    sites = drop_empty(sites)
    if sites is None or not len(sites):
        return
    require(sites, "sites", ("service",))
    for service in scene.services:
        part = sites.loc[sites["service"].astype(str) == service]
        if not len(part):
            continue
        rank = pd.to_numeric(column(part, "rank"), errors="coerce")
        rank = rank.fillna(pd.Series(np.arange(1, len(part) + 1), index=part.index)).astype(int)
        part = part.assign(rank=rank).sort_values("rank", kind="stable")
        x, y = points_xy(part)
        cols, rows = _site_columns(part, scene.lang)
        after = f"{service}_after" in scene.services
        yield {
            "name": safe_name(say("map.layer.sites", scene.lang, service=code_label(service, scene.lang))),
            "kind": "sites",
            "x": x,
            "y": y,
            "cls": [0] * len(part),
            "styles": [{"color": "#fff", "fillColor": service_color(service, scene.services, SITE_COLORS)}],
            "cols": cols,
            "popup": {"title_col": "title", "note_col": "why", "rows": rows},
            "tooltip": "title",
            "view": "after" if after else None,
            "_show": True,
        }


def _coords(part: gpd.GeoDataFrame, lon: str, lat: str) -> list[str]:
    """``"lon, lat"`` (6 decimals) from two columns, ``""`` where either is missing."""
    a = pd.to_numeric(column(part, lon), errors="coerce").to_numpy(dtype=float)
    b = pd.to_numeric(column(part, lat), errors="coerce").to_numpy(dtype=float)
    return [
        f"{u:.6f}, {v:.6f}" if np.isfinite(u) and np.isfinite(v) else "" for u, v in zip(a, b, strict=True)
    ]


def _site_columns(part: gpd.GeoDataFrame, lang: str) -> tuple[dict[str, list], list[list]]:
    """Popup columns and rows of the proposed sites of one service, ranked."""
    heads = [say("map.site.rank", lang, rank=r) for r in part["rank"]]
    gains = {
        g: pd.to_numeric(column(part, f"gain_{g}"), errors="coerce").to_numpy(dtype=float) for g in GROUPS
    }
    cap = pd.to_numeric(column(part, "capacity"), errors="coerce")
    used = pd.to_numeric(column(part, "capacity_used"), errors="coerce")
    sep = say("sep.list", lang)
    names = texts(column(part, "name", ""))
    cols = {
        "rank": part["rank"].tolist(),
        "title": [n if n else f"{t('sites_layer', lang)} {h}" for h, n in zip(heads, names, strict=True)],
        "why": [_site_sentence(head, gains, i, lang) for i, head in enumerate(heads)],
        "near": texts(column(part, "near_street", "")),
        "near_m": nums(pd.to_numeric(column(part, "near_street_m"), errors="coerce"), 0),
        "wgs": _coords(part, "lon", "lat"),
        "gcj": _coords(part, "lon_gcj02", "lat_gcj02"),
        "comm": join_names(column(part, "communities", ""), sep),
        "street": join_names(column(part, "streets", ""), sep),
        "med": nums(column(part, "time_median_s"), 0),
        "p90": nums(column(part, "time_p90_s"), 0),
        "cap": [
            (f"{u:,.0f} / {c:,.0f}" if np.isfinite(c) else f"{u:,.0f}") if np.isfinite(u) else ""
            for u, c in zip(used, cap, strict=True)
        ],
    }
    rows = [[f"{t('gain', lang)} · {t(g, lang)}", f"g_{g}", "int", True] for g in GROUPS]
    for g in GROUPS:
        cols[f"g_{g}"] = nums(gains[g], 0)
    rows += [
        [t("near_street", lang), "near", "text", True],
        [t("near_street_m", lang), "near_m", "int", True],
        [t("coords_wgs84", lang), "wgs", "text", True],
        [t("coords_gcj02", lang), "gcj", "text", True],
        [t("communities_reached", lang), "comm", "text", True],
        [t("streets_reached", lang), "street", "text", True],
        [t("time_median", lang), "med", "min", True],
        [t("time_p90", lang), "p90", "min", True],
        [t("capacity_used", lang), "cap", "text", True],
    ]
    return cols, rows


def _site_sentence(head: str, gains: dict[str, np.ndarray], i: int, lang: str) -> str:
    """One sentence per site: its rank, the people it brings into reach, and how many of each group."""
    parts = [
        say("map.site.group", lang, group=t(g, lang), people=gains[g][i])
        for g in GROUPS[1:]
        if np.isfinite(gains[g][i])
    ]
    main = gains["pop_total"][i]
    total = say("map.site.total", lang, people=main) if np.isfinite(main) else ""
    detail = say("map.site.detail", lang, parts=say("map.site.part_sep", lang).join(parts)) if parts else ""
    return say("map.site.sentence", lang, rank=head, total=total, detail=detail) if total or detail else head
