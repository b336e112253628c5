"""How the map and the figures look: colours, walking-time and coverage classes, legend entries."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

from .i18n import t

#: Upper edges (minutes) of the walking-time classes of demand points.
TIME_BINS_MIN: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 30.0)
TIME_COLORS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef", "#e0ecf4")
#: Demand points beyond their circle (ring) and with no walking route (fill).
UNCOVERED, UNREACHED = "#e31a1c", "#6a3d9a"
#: Demand points of a service whose walking times are unknown (no facility list).
NO_DATA = "#b0b0b0"

SERVICE_COLORS = {"elderly": "#e6550d", "childcare": "#31a354"}
SITE_COLORS = {"elderly": "#a63603", "childcare": "#006d2c"}
OTHER_COLORS = ("#756bb1", "#636363", "#3182bd", "#8c6d31")
TIER_COLORS = ("#984ea3", "#ff7f00", "#a65628", "#f781bf", "#4daf4a", "#377eb8", "#999999", "#66c2a5")

#: Lower edges of the coverage-share classes of admin units (share of the group within reach).
SHARE_BINS: tuple[float, ...] = (0.5, 0.8, 0.95, 1.0)
SHARE_COLORS = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850", "#cccccc")

#: Group whose coverage shades admin units, per service (others are listed in the popup).
PRIMARY_GROUP: dict[str, str] = {
    "elderly": "pop_60",
    "childcare": "pop_0_3",
    "elderly_after": "pop_60",
    "childcare_after": "pop_0_3",
}

#: Outlines of the study area and of admin units, by level (lines only; hover names the unit).
OUTLINE_STYLES: dict[str, dict] = {
    "district": {"color": "#1a1a1a", "weight": 3, "opacity": 0.9, "fill": False},
    "street": {"color": "#3f3f3f", "weight": 1.8, "opacity": 0.9, "fill": False},
    "community": {"color": "#5a5a5a", "weight": 1, "opacity": 0.8, "dashArray": "4 3", "fill": False},
}
#: Colours of what changed between two states: residents newly within reach or no longer,
#: facilities added or removed.
CHANGE_COLORS: dict[str, str] = {
    "gained": "#00a651",
    "lost": "#d7191c",
    "added": "#00a651",
    "removed": "#d7191c",
}

#: Street classes drawn thin and light (the rest: roads; ``steps`` dashed brown).
FOOT = ("footway", "path", "pedestrian", "cycleway", "track", "corridor", "bridleway")
STREET_STYLES = [
    {"color": "#8c8c8c", "weight": 1.2, "opacity": 0.8, "interactive": False},
    {"color": "#7f2704", "weight": 1.6, "opacity": 0.9, "dashArray": "2 3", "interactive": False},
    {"color": "#a6a6a6", "weight": 0.8, "opacity": 0.8, "interactive": False},
]


def time_classes(minutes: np.ndarray, threshold_min: np.ndarray) -> np.ndarray:
    """Class index per point by its true walking time.

    0–5: the time bins (`TIME_BINS_MIN`) within the point's threshold; 6–11: the same bins beyond
    it (drawn with a red ring); 12: no walking route at all (another network component, or off the
    network).
    """
    n_bins = len(TIME_BINS_MIN) + 1
    cls = np.digitize(minutes, TIME_BINS_MIN, right=True)
    reached = np.isfinite(minutes)
    cls = np.where(reached & (minutes > threshold_min), cls + n_bins, cls)
    return np.where(reached, cls, 2 * n_bins)


def time_styles() -> list[dict]:
    """Leaflet styles of the classes of `time_classes`, in class order."""
    covered = [
        {"radius": 3, "color": c, "weight": 0.5, "fillColor": c, "fillOpacity": 0.85, "opacity": 0.9}
        for c in TIME_COLORS
    ]
    beyond = [
        {"radius": 4.5, "color": UNCOVERED, "weight": 2, "fillColor": c, "fillOpacity": 0.95, "opacity": 1}
        for c in TIME_COLORS
    ]
    unreached = {"radius": 4.5, "color": "#2d004b", "weight": 1, "fillColor": UNREACHED, "fillOpacity": 0.95}
    return [*covered, *beyond, unreached]


def time_legend(lang: str) -> list[tuple[str, str]]:
    """``(label, colour)`` of the walking-time classes, then the ring and the no-route entries."""
    unit = t("minutes", lang)
    edges = (0.0, *TIME_BINS_MIN)
    out = [
        (f"{minutes_text(lo)}–{minutes_text(hi)} {unit}" if lo else f"≤ {minutes_text(hi)} {unit}", c)
        for lo, hi, c in zip(edges[:-1], edges[1:], TIME_COLORS[:-1], strict=True)
    ]
    out.append((f"> {minutes_text(TIME_BINS_MIN[-1])} {unit}", TIME_COLORS[-1]))
    return [*out, (t("beyond_ring", lang), UNCOVERED), (t("unreached", lang), UNREACHED)]


def share_classes(share: np.ndarray) -> np.ndarray:
    """Class index per unit by its coverage share (`SHARE_BINS`); the last class is no data."""
    cls = np.digitize(share, SHARE_BINS, right=False)
    return np.where(np.isfinite(share), cls, len(SHARE_BINS) + 1)


def share_legend(lang: str) -> list[tuple[str, str]]:
    """``(label, colour)`` of the coverage-share classes."""
    edges = (0.0, *SHARE_BINS)
    out = [
        (f"{lo * 100:g}% – <{hi * 100:g}%", c)
        for lo, hi, c in zip(edges[:-1], edges[1:], SHARE_COLORS, strict=False)
    ]
    return [*out, ("100%", SHARE_COLORS[4]), (t("no_data", lang), SHARE_COLORS[5])]


def service_color(service: str, services: Sequence[str], table: dict[str, str]) -> str:
    """The colour of ``service`` in ``table``; services not in it take `OTHER_COLORS` in turn."""
    if service in table:
        return table[service]
    others = [s for s in services if s not in table]
    return OTHER_COLORS[others.index(service) % len(OTHER_COLORS)] if service in others else "#636363"


def tier_color(tier: str, tiers: Sequence[str]) -> str:
    """The colour of a facility tier among all the tiers drawn."""
    return TIER_COLORS[list(tiers).index(tier) % len(TIER_COLORS)]


def minutes_text(m: float) -> str:
    """Minutes as written on the map: ``15``, ``7.5``."""
    return f"{float(m):g}"


def safe_name(name: str) -> str:
    """A layer name for the layer control, which inserts it as HTML."""
    return html.escape(name).replace("{", "&#123;").replace("}", "&#125;")
