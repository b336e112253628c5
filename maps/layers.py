"""The map's overlays as compact column specs, one per service and class, built into Leaflet in the page.

Each spec holds the layer's name (escaped for the layer control), its kind (``points``, ``shapes``
or ``sites``), coordinates or shapes, a class per feature with a style per class, the popup's
columns and rows, and whether it starts visible (``_show``). ``templates/lifecircle.js`` turns
a spec into Leaflet objects and escapes every text from the input files.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from ..geodata.common import InputError, say
from ..geodata.schema import GROUPS
from .i18n import code_label, t
from .inputs import MapInputs, first_service, services_of
from .style import (
    FOOT,
    NO_DATA,
    PRIMARY_GROUP,
    SERVICE_COLORS,
    SHARE_COLORS,
    SITE_COLORS,
    STREET_STYLES,
    TIME_BINS_MIN,
    minutes_text,
    safe_name,
    service_color,
    share_classes,
    tier_color,
    time_classes,
    time_styles,
)
from .tables import column, drop_empty, geoms_json, join_names, nums, points_xy, require, texts

#: Admin levels drawn first, in this order (other levels follow by name).
_LEVELS = ("district", "street", "community")


def layer_specs(inputs: MapInputs, lang: str, names: dict[str, str] | None = None) -> Iterable[dict]:
    """Every overlay of ``inputs`` in drawing order (admin units at the bottom, sites on top).

    ``names`` maps unit codes in the demand table to unit names for the popups.
    """
    services = services_of(inputs)
    first = first_service(inputs, services)
    return itertools.chain(
        admin_specs(inputs.admin, services, lang),
        street_specs(inputs.streets, lang),
        isochrone_specs(inputs.isochrones, services, lang, first),
        demand_specs(inputs, services, names or {}, lang, first),
        facility_specs(inputs.facilities, services, lang),
        site_specs(inputs.sites, services, lang),
    )


# -- demand points ---------------------------------------------------------------------------------


def demand_specs(
    inputs: MapInputs, services: Sequence[str], names: dict[str, str], lang: str, first: str | None
) -> Iterable[dict]:
    """One layer per service: the demand points coloured by walking time (or grey: no data)."""
    demand = drop_empty(inputs.demand)
    if demand is None or not len(demand):
        return
    x, y = points_xy(demand)
    x, y = np.asarray(x, dtype=object), np.asarray(y, dtype=object)
    for service in services:
        tcol = f"time_s_{service}"
        if tcol not in demand.columns:
            continue
        if service in inputs.no_data:  # no facility list: one grey class, never "no walking route"
            order, cls, cols, rows = _no_data_points(len(demand), lang)
            styles = [
                {"radius": 3, "color": NO_DATA, "weight": 0.5, "fillColor": NO_DATA, "fillOpacity": 0.8}
            ]
        else:
            order, cls, cols, rows = _timed_points(demand, service, tcol, lang)
            styles = time_styles()
        _demand_popup(demand, order, names, lang, cols, rows)
        yield {
            "name": safe_name(say("map.layer.demand", lang, service=code_label(service, lang))),
            "kind": "points",
            "x": x[order].tolist(),
            "y": y[order].tolist(),
            "cls": cls[order].astype(int).tolist(),
            "styles": styles,
            "cols": cols,
            "popup": {"title": f"{code_label(service, lang)} · {t('walk_time', lang)}", "rows": rows},
            "tooltip": None,
            "_show": service == first,
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


def street_specs(streets: gpd.GeoDataFrame | None, lang: str) -> Iterable[dict]:
    """The walk network in grey, steps dashed, footways thin: one layer."""
    streets = drop_empty(streets)
    if streets is None or not len(streets):
        return
    kind = column(streets, "highway", "").fillna("").astype(str).to_numpy()
    cls = np.select([kind == "steps", np.isin(kind, FOOT)], [1, 2], 0)
    yield {
        "name": safe_name(t("network", lang)),
        "kind": "shapes",
        "_geoms": geoms_json(streets.geometry.to_numpy()),
        "cls": cls.astype(int).tolist(),
        "styles": STREET_STYLES,
        "cols": {},
        "popup": None,
        "tooltip": None,
        "_show": True,
    }


def isochrone_specs(
    iso: gpd.GeoDataFrame | None, services: Sequence[str], lang: str, first: str | None
) -> Iterable[dict]:
    """One layer per service and threshold tier, the largest tier first."""
    iso = drop_empty(iso)
    if iso is None or not len(iso):
        return
    require(iso, "isochrones", ("service", "minutes"))
    iso = iso.assign(minutes=pd.to_numeric(iso["minutes"], errors="coerce"))
    for service in services:
        part = iso.loc[iso["service"].astype(str) == service]
        tiers = sorted(part["minutes"].dropna().unique(), reverse=True)  # large first, small on top
        color = service_color(service, services, SERVICE_COLORS)
        for k, minutes in enumerate(tiers):
            tier = part.loc[part["minutes"] == minutes]
            opacity = 0.12 + 0.1 * min(k, 3)
            name = say(
                "map.layer.isochrone", lang, service=code_label(service, lang), minutes=minutes_text(minutes)
            )
            yield {
                "name": safe_name(name),
                "kind": "shapes",
                "_geoms": geoms_json(tier.geometry.to_numpy()),
                "cls": [0] * len(tier),
                "styles": [{"color": color, "weight": 1.2, "fillColor": color, "fillOpacity": opacity}],
                "cols": {"area": nums(column(tier, "area_m2"), 0), "len": nums(column(tier, "length_m"), 0)},
                "popup": {
                    "title": name,
                    "rows": [
                        [t("area_km2", lang), "area", "km2", True],
                        [t("reached_km", lang), "len", "km", True],
                    ],
                },
                "tooltip": None,
                "_show": service == first,
            }


# -- facilities and proposed sites -----------------------------------------------------------------


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


def facility_specs(fac: gpd.GeoDataFrame | None, services: Sequence[str], lang: str) -> Iterable[dict]:
    """One layer per service and tier; the status (existing, planned, candidate) sets the style."""
    fac = drop_empty(fac)
    if fac is None or not len(fac):
        return
    require(fac, "facilities", ("service", "tier"))
    tiers_all = sorted(fac["tier"].fillna("").astype(str).unique())
    status = column(fac, "status", "existing").fillna("existing").astype(str)
    for service in services:
        part = fac.loc[fac["service"].astype(str) == service]
        for tier in sorted(part["tier"].fillna("").astype(str).unique()):
            sub = part.loc[part["tier"].fillna("").astype(str) == tier]
            st = status.loc[sub.index].to_numpy()
            cls = np.select([st == "planned", st == "candidate"], [1, 2], 0)
            x, y = points_xy(sub)
            tier_label = code_label(tier, lang) if tier else t("no_data", lang)
            name = say("map.layer.facilities", lang, service=code_label(service, lang), tier=tier_label)
            yield {
                "name": safe_name(name),
                "kind": "points",
                "x": x,
                "y": y,
                "cls": cls.astype(int).tolist(),
                "styles": _facility_styles(tier_color(tier, tiers_all)),
                "cols": {
                    "name": texts(column(sub, "name", "")),
                    "id": texts(column(sub, "id", "")),
                    "tier": [tier_label] * len(sub),
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
                "_show": True,
            }


def site_specs(sites: gpd.GeoDataFrame | None, services: Sequence[str], lang: str) -> Iterable[dict]:
    """One layer per service: the proposed sites, numbered by rank, with why each was chosen."""
    sites = drop_empty(sites)
    if sites is None or not len(sites):
        return
    require(sites, "sites", ("service",))
    for service in services:
        part = sites.loc[sites["service"].astype(str) == service]
        if not len(part):
            continue
        rank = pd.to_numeric(column(part, "rank"), errors="coerce")
        rank = rank.fillna(pd.Series(np.arange(1, len(part) + 1), index=part.index)).astype(int)
        part = part.assign(rank=rank).sort_values("rank", kind="stable")
        x, y = points_xy(part)
        cols, rows = _site_columns(part, lang)
        yield {
            "name": safe_name(say("map.layer.sites", lang, service=code_label(service, lang))),
            "kind": "sites",
            "x": x,
            "y": y,
            "cls": [0] * len(part),
            "styles": [{"color": "#fff", "fillColor": service_color(service, services, SITE_COLORS)}],
            "cols": cols,
            "popup": {"title_col": "title", "note_col": "why", "rows": rows},
            "tooltip": "title",
            "_show": True,
        }


def _site_columns(part: gpd.GeoDataFrame, lang: str) -> tuple[dict[str, list], list[list]]:
    """Popup columns and rows of the proposed sites of one service, ranked."""
    heads = [say("map.site.rank", lang, rank=r) for r in part["rank"]]
    gains = {g: pd.to_numeric(column(part, f"gain_{g}"), errors="coerce") for g in GROUPS}
    cap = pd.to_numeric(column(part, "capacity"), errors="coerce")
    used = pd.to_numeric(column(part, "capacity_used"), errors="coerce")
    sep = say("sep.list", lang)
    cols = {
        "rank": part["rank"].tolist(),
        "title": [
            f"{t('sites_layer', lang)} {h}" + (f" · {n}" if n else "")
            for h, n in zip(heads, texts(column(part, "name", "")), strict=True)
        ],
        "why": [_site_sentence(head, gains, i, lang) for i, head in enumerate(heads)],
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
        [t("communities_reached", lang), "comm", "text", True],
        [t("streets_reached", lang), "street", "text", True],
        [t("time_median", lang), "med", "min", True],
        [t("time_p90", lang), "p90", "min", True],
        [t("capacity_used", lang), "cap", "text", True],
    ]
    return cols, rows


def _site_sentence(head: str, gains: dict[str, pd.Series], i: int, lang: str) -> str:
    """One sentence per site: its rank, the people it brings into reach, and how many of each group."""
    parts = [
        say("map.site.group", lang, group=t(g, lang), people=gains[g].iloc[i])
        for g in GROUPS[1:]
        if np.isfinite(gains[g].iloc[i])
    ]
    main = gains["pop_total"].iloc[i]
    total = say("map.site.total", lang, people=main) if np.isfinite(main) else ""
    detail = say("map.site.detail", lang, parts=say("map.site.part_sep", lang).join(parts)) if parts else ""
    return say("map.site.sentence", lang, rank=head, total=total, detail=detail) if total or detail else head


# -- admin units ---------------------------------------------------------------------------------


def admin_specs(admin: gpd.GeoDataFrame | None, services: Sequence[str], lang: str) -> Iterable[dict]:
    """One layer per service and admin level, units shaded by the coverage of the service's main group."""
    admin = drop_empty(admin)
    if admin is None or not len(admin):
        return
    require(admin, "admin", ("name",))
    levels = column(admin, "level", "").fillna("").astype(str)
    order = [lv for lv in _LEVELS if (levels == lv).any()] + sorted(set(levels) - set(_LEVELS))
    for service in services:
        groups = [g for g in GROUPS if f"share_{service}_{g}" in admin.columns]
        if not groups:
            continue
        main = PRIMARY_GROUP.get(service, "pop_total")
        main = main if main in groups else groups[0]
        for level in order:
            yield _admin_spec(admin.loc[levels == level], level, service, (main, groups), lang)


def _admin_spec(
    sub: gpd.GeoDataFrame, level: str, service: str, groups: tuple[str, list[str]], lang: str
) -> dict:
    """The units of one level shaded by coverage of ``service``; ``groups`` is (main group, all groups)."""
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
        service=code_label(service, lang),
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
        "_show": False,
    }
