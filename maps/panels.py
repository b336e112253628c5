"""The map's side panel (``templates/map_panels.html.j2``).

Title and headline numbers, the switch between the present state and the one with the proposed
sites, layers, legend, charts, basemaps, print.

Every text comes from the catalogue or is escaped by the template.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..geodata.common import Assumption, say
from . import assets
from .charts import charts
from .i18n import code_label, t
from .inputs import VIEWS, MapInputs, assumption_rows, has_views
from .layers_points import facility_kinds
from .scene import Scene
from .style import (
    CHANGE_COLORS,
    NO_DATA,
    OUTLINE_STYLES,
    PRIMARY_GROUP,
    SERVICE_COLORS,
    SITE_COLORS,
    STREET_STYLES,
    service_color,
    share_legend,
    time_legend,
)
from .tables import column

#: English words in a source (three letters or more): left out of a Chinese legend.
#: Facility statuses in the legend, in this order.
_STATUSES = ("existing", "planned", "candidate")
#: Headings of the legend, by label key.
_HEADINGS = (
    "legend",
    "walk_time",
    "facilities",
    "assumptions",
    "assumption_note",
    "data_sources",
    "network",
    "layers",
    "view",
    "basemap",
    "tianditu_key",
    "tianditu_need_key",
    "apply",
    "online_note",
    "charts",
    "print_map",
    "fit",
    "hide_panel",
    "show_panel",
    "boundaries",
    "changes",
)

Entries = list[tuple[str, str]]


def panels_html(inputs: MapInputs, scene: Scene, basemaps: dict) -> str:
    """The side panel of the map as HTML.

    Every value is escaped by the template; the charts are SVG built with their texts escaped.
    """
    lang, services = scene.lang, scene.services
    tiers, statuses = _facility_entries(inputs, scene)
    return assets.template("map_panels.html.j2").render(
        title=inputs.title or t("map_title", lang),
        headlines=list(inputs.headlines),
        L=_labels(services, lang),
        views=_views(inputs, scene),
        time_classes=_time_entries(inputs, services, lang),
        circles=_circle_entries(inputs, scene),
        tiers=tiers,
        statuses=statuses,
        sites=_site_entries(inputs, services, lang),
        shares=_share_entries(inputs, lang),
        streets=_street_entries(inputs, lang),
        outlines=_outline_entries(inputs, lang),
        changes=_change_entries(inputs, scene),
        assumptions=legend_assumptions(inputs.assumptions, lang),
        basemaps=[(b["id"], b["label"]) for b in basemaps["options"]],
        basemap=basemaps["start"],
        sources=[(s.name, s.licence) for s in inputs.sources],
        charts=charts(inputs, scene),
    )


def legend_assumptions(assumptions: Sequence[Assumption], lang: str) -> list[tuple[str, str, str]]:
    """`assumption_rows` with each source worded as the legend says it (``map.legend.source``)."""
    return [
        (text, value, say("map.legend.source", lang, source=source) if source else "")
        for text, value, source in assumption_rows(assumptions, lang)
    ]


def _views(inputs: MapInputs, scene: Scene) -> list[tuple[str, str, bool]]:
    """``(view, label, checked)`` of the state switch; empty when the map has one state."""
    if not has_views(scene.services):
        return []
    names = inputs.states or (t("view_base", scene.lang), t("view_after", scene.lang))
    return [(v, name, v == inputs.start_view) for v, name in zip(VIEWS, names, strict=True)]


def _labels(services: Sequence[str], lang: str) -> dict[str, str]:
    """The legend's headings."""
    labels = {k: t(k, lang) for k in _HEADINGS}
    labels["circles"] = t("isochrones", lang)
    labels["sites"] = t("sites_layer", lang)
    groups = list(dict.fromkeys(t(PRIMARY_GROUP.get(s, "pop_total"), lang) for s in services))
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


def _circle_entries(inputs: MapInputs, scene: Scene) -> Entries:
    """One colour per service key with isochrones (and the dashed circles of the first state)."""
    iso = inputs.isochrones
    if iso is None or not len(iso):
        return []
    out = [
        (scene.label(s), service_color(s, scene.services, SERVICE_COLORS))
        for s in scene.services
        if (iso["service"].astype(str) == s).any()
    ]
    before = inputs.isochrones_before
    if before is not None and len(before):
        state = inputs.states[0] if inputs.states else t("state_before", scene.lang)
        out.append((say("map.legend.before", scene.lang, state=state), "#ffffff"))
    return out


def _outline_entries(inputs: MapInputs, lang: str) -> Entries:
    """The study-area outline and the unit outlines by level."""
    out: Entries = []
    if inputs.outline is not None and len(inputs.outline):
        out.append((t("outline", lang), OUTLINE_STYLES["district"]["color"]))
    admin = inputs.admin
    if admin is not None and len(admin) and "level" in admin.columns:
        for level in [lv for lv in ("district", "street", "community") if (admin["level"] == lv).any()]:
            label = say("map.layer.unit_outline", lang, level=code_label(level, lang))
            out.append((label, OUTLINE_STYLES.get(level, OUTLINE_STYLES["community"])["color"]))
    return out


def _change_entries(inputs: MapInputs, scene: Scene) -> Entries:
    """Residents and facilities that changed between the two states of a comparison."""
    out: Entries = []
    for table, col in ((inputs.changes, "change"), (inputs.facility_changes, "change")):
        if table is None or not len(table) or col not in table.columns:
            continue
        present = set(table[col].astype(str))
        out += [(t(f"change_{k}", scene.lang), CHANGE_COLORS[k]) for k in CHANGE_COLORS if k in present]
    return out


def _facility_entries(inputs: MapInputs, scene: Scene) -> tuple[Entries, list[str]]:
    """One colour per kind of facility (a tier named for its service), and how each status is drawn."""
    fac = inputs.facilities
    lang = scene.lang
    if fac is None or not len(fac) or not {"service", "tier"} <= set(fac.columns):
        return [], []
    kinds = facility_kinds(fac, scene.services, lang)
    tiers = list(dict.fromkeys((label, color) for _, _, label, color in kinds))
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
