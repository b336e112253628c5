"""The map's title box and legend (``templates/map_panels.html.j2``); every text comes from the catalogue."""

from __future__ import annotations

from collections.abc import Sequence

from ..geodata.common import say
from . import assets
from .i18n import code_label, t
from .inputs import MapInputs, assumption_rows
from .style import (
    NO_DATA,
    PRIMARY_GROUP,
    SERVICE_COLORS,
    SITE_COLORS,
    STREET_STYLES,
    TIER_COLORS,
    service_color,
    share_legend,
    time_legend,
)
from .tables import column

#: Facility statuses in the legend, in this order.
_STATUSES = ("existing", "planned", "candidate")
#: Headings of the legend, by label key.
_HEADINGS = ("legend", "walk_time", "facilities", "assumptions", "assumption_note", "data_sources", "network")

Entries = list[tuple[str, str]]


def panels_html(inputs: MapInputs, services: Sequence[str], basemap: str, lang: str) -> str:
    """The title box and the legend of the map as HTML (every value escaped by the template)."""
    tiers, statuses = _facility_entries(inputs, lang)
    return assets.template("map_panels.html.j2").render(
        title=inputs.title or t("map_title", lang),
        headlines=list(inputs.headlines),
        L=_labels(services, lang),
        time_classes=_time_entries(inputs, services, lang),
        circles=_circle_entries(inputs, services, lang),
        tiers=tiers,
        statuses=statuses,
        sites=_site_entries(inputs, services, lang),
        shares=_share_entries(inputs, lang),
        streets=_street_entries(inputs, lang),
        assumptions=[
            (text, value, say("map.legend.source", lang, source=source) if source else "")
            for text, value, source in assumption_rows(inputs.assumptions, lang)
        ],
        basemap=t(f"basemap_{basemap}", lang),
        sources=[(s.name, s.licence) for s in inputs.sources],
    )


def _labels(services: Sequence[str], lang: str) -> dict[str, str]:
    """The legend's headings."""
    labels = {k: t(k, lang) for k in _HEADINGS}
    labels["circles"] = t("isochrones", lang)
    labels["sites"] = t("sites_layer", lang)
    groups = [t(PRIMARY_GROUP.get(s, "pop_total"), lang) for s in services]
    labels["coverage"] = say("map.legend.coverage", lang, share=t("coverage_share", lang), groups=groups)
    return labels


def _time_entries(inputs: MapInputs, services: Sequence[str], lang: str) -> Entries:
    """Walking-time classes, and why some services' points carry no time."""
    demand = inputs.demand
    timed = [s for s in services if demand is not None and f"time_s_{s}" in demand.columns]
    entries = time_legend(lang) if any(s not in inputs.no_data for s in timed) else []
    if any(s in inputs.no_data for s in timed):
        entries.append((t("no_facility_list", lang), NO_DATA))
    return entries


def _circle_entries(inputs: MapInputs, services: Sequence[str], lang: str) -> Entries:
    """One colour per service with isochrones."""
    iso = inputs.isochrones
    if iso is None or not len(iso):
        return []
    return [
        (code_label(s, lang), service_color(s, services, SERVICE_COLORS))
        for s in services
        if (iso["service"].astype(str) == s).any()
    ]


def _facility_entries(inputs: MapInputs, lang: str) -> tuple[Entries, list[str]]:
    """One colour per facility tier, and how each status present is drawn."""
    fac = inputs.facilities
    if fac is None or not len(fac):
        return [], []
    names = sorted(fac["tier"].fillna("").astype(str).unique())
    tiers = [
        (code_label(x, lang) if x else t("no_data", lang), TIER_COLORS[i % len(TIER_COLORS)])
        for i, x in enumerate(names)
    ]
    present = set(column(fac, "status", "existing").fillna("existing").astype(str))
    statuses = [
        say("map.legend.status", lang, status=t(k, lang), look=say(f"map.legend.look.{k}", lang))
        for k in _STATUSES
        if k in present
    ]
    return tiers, statuses


def _site_entries(inputs: MapInputs, services: Sequence[str], lang: str) -> Entries:
    """One colour per service with proposed sites."""
    sites = inputs.sites
    if sites is None or not len(sites):
        return []
    return [
        (f"{code_label(s, lang)} · {t('sites_layer', lang)}", service_color(s, services, SITE_COLORS))
        for s in services
        if (sites["service"].astype(str) == s).any()
    ]


def _street_entries(inputs: MapInputs, lang: str) -> Entries:
    """The walk network, and steps when there are any."""
    streets = inputs.streets
    if streets is None or not len(streets):
        return []
    entries = [(t("network", lang), STREET_STYLES[0]["color"])]
    if "highway" in streets.columns and (streets["highway"].astype(str) == "steps").any():
        entries.append((t("steps", lang), STREET_STYLES[1]["color"]))
    return entries


def _share_entries(inputs: MapInputs, lang: str) -> Entries:
    """Coverage-share classes, when admin units carry shares."""
    if inputs.admin is not None and any(c.startswith("share_") for c in inputs.admin.columns):
        return share_legend(lang)
    return []
