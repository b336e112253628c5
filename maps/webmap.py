"""The interactive HTML map officials open: one file, Chinese first, offline by default.

`build_map` draws what it is given — demand points coloured by walking time, isochrone polygons
per service and threshold tier, facilities by tier, ranked proposed sites, admin units shaded by
coverage — and never computes coverage itself. `write_map` saves it atomically.

Every layer is a compact column spec turned into Leaflet objects by a small runtime
(``templates/lifecircle.js``) that escapes all text from input files before it reaches HTML.
Leaflet itself is inlined from the ``django-js-lib-leaflet`` package, so with ``basemap="none"``
(the default) the file loads nothing from anywhere. With the Amap basemap, whose tiles are in
GCJ-02, every overlay is shifted to GCJ-02 first so that it lines up with the streets.
"""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import jinja2
import numpy as np
import pandas as pd
import pyproj
import shapely
from branca.element import Element, Figure
from folium.map import Layer

from ..geodata.common import Assumption, InputError, atomic_path
from ..geodata.crs import from_wgs84
from ..geodata.schema import GROUPS, SERVICES
from . import assets
from .i18n import check_lang, has, t

#: Basemap choices. ``none`` is the offline default.
BASEMAPS: tuple[str, ...] = ("none", "osm", "tianditu", "amap")

#: Upper edges (minutes) of the walking-time classes of demand points.
TIME_BINS_MIN: tuple[float, ...] = (5.0, 10.0, 15.0, 20.0, 30.0)
_TIME_COLORS = ("#08519c", "#3182bd", "#6baed6", "#9ecae1", "#c6dbef", "#e0ecf4")
_UNCOVERED, _UNREACHED = "#e31a1c", "#6a3d9a"
#: Demand points of a service whose walking times are unknown (no facility list).
_NO_DATA = "#b0b0b0"

_SERVICE_COLORS = {"elderly": "#e6550d", "childcare": "#31a354"}
_SITE_COLORS = {"elderly": "#a63603", "childcare": "#006d2c"}
_OTHER_COLORS = ("#756bb1", "#636363", "#3182bd", "#8c6d31")
_TIER_COLORS = ("#984ea3", "#ff7f00", "#a65628", "#f781bf", "#4daf4a", "#377eb8", "#999999", "#66c2a5")

#: Lower edges of the coverage-share classes of admin units (share of the group within reach).
SHARE_BINS: tuple[float, ...] = (0.5, 0.8, 0.95, 1.0)
_SHARE_COLORS = ("#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850", "#cccccc")

#: Group whose coverage shades admin units, per service (others are listed in the popup).
PRIMARY_GROUP: dict[str, str] = {
    "elderly": "pop_60",
    "childcare": "pop_0_3",
    "elderly_after": "pop_60",
    "childcare_after": "pop_0_3",
}

_TABLES = ("demand", "isochrones", "facilities", "sites", "admin", "streets")
_WGS84 = pyproj.CRS.from_epsg(4326)
_DEG_PER_M = 1.0 / 111_320.0
_SIMPLIFY_M = 1.5
_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
_AMAP = "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}"


@dataclass(frozen=True)
class DataSource:
    """One input named with its licence, shown on the map and in the report.

    Attributes
    ----------
    name
        What the data is, e.g. ``"OpenStreetMap roads of Yuzhong (mid-2022)"``.
    licence
        Its licence, e.g. ``"ODbL © OpenStreetMap contributors"``.
    detail
        Where it came from (file name, package, URL) — shown as text, never loaded.
    """

    name: str
    licence: str = ""
    detail: str = ""


@dataclass
class MapInputs:
    """What the map draws. Every table is in WGS84 (EPSG:4326); any of them may be ``None``.

    Attributes
    ----------
    demand
        Points (polygons are drawn at a point on their surface), one row per demand point, with
        ``time_s_<service>`` (walking seconds to the nearest facility; ``inf``/NaN = no walking
        route) and the point's threshold ``threshold_s_<service>`` (or one ``threshold_s`` for all
        services), in seconds. Optional: the groups ``pop_total, pop_60, pop_80, pop_0_3``,
        ``street``, ``community`` (codes or names; codes are shown by name when ``admin`` holds
        them), ``urban``.
    isochrones
        Polygons with ``service`` and ``minutes`` (the tier); optional ``area_m2`` and
        ``length_m`` (street length reached).
    facilities
        Points with ``id, name, service, tier, capacity, status`` (`geodata.schema`).
    sites
        Proposed sites, points with ``service`` and ``rank`` (1 = first chosen); optional
        ``name``, ``gain_<group>`` (people newly within reach), ``communities`` and ``streets``
        (names they live in: a string or a list), ``time_median_s``, ``time_p90_s``,
        ``capacity``, ``capacity_used``.
    admin
        Unit polygons with ``code, name, level`` and coverage shares ``share_<service>_<group>``
        in 0–1 (NaN where the unit has nobody of that group); optional ``pop_<group>``.
    streets
        The walk network as lines (e.g. `WalkNetwork.geometry` in WGS84), drawn grey for context
        — the only street picture an offline map has; optional ``highway`` (class) marks steps
        and footways.
    services
        Services to draw, in order; by default every service found in the tables. The first
        one with isochrones or facilities starts visible.
    assumptions
        Shown in the legend beside the results that depend on them.
    sources
        Data sources with licences, listed in the legend.
    title, headlines
        Title of the map and a few ``(label, value)`` pairs shown under it.
    no_data
        Services whose walking times are unknown because no facility list was given: their
        demand points are drawn in one grey class (never as "no walking route") and the legend
        says "无数据：未提供设施清单".
    """

    demand: gpd.GeoDataFrame | None = None
    isochrones: gpd.GeoDataFrame | None = None
    facilities: gpd.GeoDataFrame | None = None
    sites: gpd.GeoDataFrame | None = None
    admin: gpd.GeoDataFrame | None = None
    streets: gpd.GeoDataFrame | None = None
    services: tuple[str, ...] | None = None
    assumptions: Sequence[Assumption] = ()
    sources: Sequence[DataSource] = ()
    title: str | None = None
    headlines: Sequence[tuple[str, str]] = field(default_factory=tuple)
    no_data: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# public API


def build_map(
    inputs: MapInputs,
    *,
    basemap: str = "none",
    lang: str = "zh",
    tianditu_key: str | None = None,
) -> folium.Map:
    """Build the folium map of a run.

    Parameters
    ----------
    inputs
        The tables to draw (see `MapInputs`).
    basemap
        ``"none"`` (offline, the default: the file loads nothing), ``"osm"``, ``"tianditu"``
        (needs a key: ``tianditu_key`` or the environment variable ``TIANDITU_KEY``) or
        ``"amap"`` (GCJ-02 tiles: every overlay is shifted to GCJ-02).
    lang
        ``"zh"`` (default) or ``"en"`` for labels, legend and popups.
    tianditu_key
        Tianditu (天地图) API key; falls back to ``$TIANDITU_KEY``.

    Returns
    -------
    folium.Map
        The map; its overlays are also reachable in the page as ``window.lifecircle.layers``.
    """
    check_lang(lang)
    if basemap not in BASEMAPS:
        raise InputError(
            f"outputs.basemap: unknown basemap {basemap!r}; use one of {', '.join(BASEMAPS)}.",
            zh=f"outputs.basemap：未知的底图 {basemap!r}；请使用 {'、'.join(BASEMAPS)} 之一。",
        )
    key = _tianditu_key(tianditu_key) if basemap == "tianditu" else None
    inputs = shift_for_basemap(inputs, basemap)
    services = _services(inputs)
    names = _admin_names(inputs.admin)

    bounds = _bounds(inputs)
    center = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
    fmap = folium.Map(location=center, zoom_start=13, tiles=None, prefer_canvas=True, control_scale=True)
    fmap.default_js, fmap.default_css = [], []  # everything is inlined below, nothing from a CDN
    root = fmap.get_root()
    root.header.add_child(_Raw(f"<style>{assets.leaflet_css()}</style>"), name="leaflet_css")
    root.header.add_child(_Raw(f"<script>{assets.leaflet_js()}</script>"), name="leaflet_js")
    root.header.add_child(_Raw(f"<style>{assets.runtime_css()}</style>"), name="lifecircle_css")
    root.header.add_child(_Raw(f"<script>{assets.runtime_js()}</script>"), name="lifecircle_js")
    # The title is written once, escaped; branca's own ``Figure.title`` is left unset because its
    # template inserts it raw (a scenario name holding "</title><script>" would run).
    title = inputs.title or t("map_title", lang)
    root.header.add_child(_Raw(f"<title>{html.escape(title)}</title>"), name="title")
    fmap.add_child(_MapHook())

    _add_basemap(fmap, basemap, key, lang)
    labels = _spec_labels(lang)
    first = _first_service(inputs, services)
    for spec in itertools.chain(
        _admin_specs(inputs.admin, services, lang),
        _street_specs(inputs.streets, lang),
        _isochrone_specs(inputs.isochrones, services, lang, first),
        _demand_specs(inputs.demand, services, names, lang, first, inputs.no_data),
        _facility_specs(inputs.facilities, services, lang),
        _site_specs(inputs.sites, services, lang),
    ):
        show = spec.pop("_show")
        spec["labels"] = labels
        fmap.add_child(_DataLayer(spec, show=show))

    root.html.add_child(_Raw(_panels(inputs, services, basemap, lang)), name="lifecircle_panels")
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    fmap.add_child(_ReadyHook())
    _stable_ids(root)
    return fmap


def write_map(
    inputs: MapInputs,
    path: str | Path,
    *,
    basemap: str = "none",
    lang: str = "zh",
    tianditu_key: str | None = None,
) -> Path:
    """Build the map (see `build_map`) and write it atomically to ``path``; return the path."""
    fmap = build_map(inputs, basemap=basemap, lang=lang, tianditu_key=tianditu_key)
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(fmap.get_root().render(), encoding="utf-8")
    return path


def shift_for_basemap(inputs: MapInputs, basemap: str) -> MapInputs:
    """Return ``inputs`` in the basemap's datum: GCJ-02 for ``amap``, WGS84 otherwise.

    Tables in another CRS (a metric one, say) are brought to WGS84 first; a table without a CRS
    is taken to be WGS84, as `MapInputs` asks.
    """
    out = {}
    for name in _TABLES:
        gdf = getattr(inputs, name)
        if gdf is None:
            continue
        gdf = gdf.set_crs(4326) if gdf.crs is None else gdf
        if not gdf.crs.equals(_WGS84):
            gdf = gdf.to_crs(4326)
        out[name] = from_wgs84(gdf, "gcj02") if basemap == "amap" else gdf
    return replace(inputs, **out)


def layer_names(inputs: MapInputs, *, lang: str = "zh") -> list[str]:
    """Names of the overlays `build_map` makes from ``inputs``, in drawing order."""
    services = _services(inputs)
    first = _first_service(inputs, services)
    return [
        spec["name"]
        for spec in itertools.chain(
            _admin_specs(inputs.admin, services, lang),
            _street_specs(inputs.streets, lang),
            _isochrone_specs(inputs.isochrones, services, lang, first),
            _demand_specs(inputs.demand, services, {}, lang, first, inputs.no_data),
            _facility_specs(inputs.facilities, services, lang),
            _site_specs(inputs.sites, services, lang),
        )
    ]


# --------------------------------------------------------------------------------------------
# folium elements


class _Raw(Element):
    """Literal HTML/JS, never passed through a template engine."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _DataLayer(Layer):
    """One overlay built in the page by ``lifecircle.build(spec)``; listed in the layer control."""

    def __init__(self, spec: dict, *, show: bool) -> None:
        super().__init__(name=spec["name"], overlay=True, control=True, show=show)
        self._name = "DataLayer"
        self.spec = spec

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        code = f"var {self.get_name()} = lifecircle.build({_spec_json(self.spec)});"
        if self.show:
            code += f"\n{self.get_name()}.addTo({self._parent.get_name()});"
        figure.script.add_child(_Raw(code), name=self.get_name())


class _MapHook(Layer):
    """Exposes the Leaflet map as ``window.lifecircle.map``."""

    def __init__(self) -> None:
        super().__init__(control=False, show=False)
        self._name = "MapHook"

    def render(self, **kwargs) -> None:
        code = f"lifecircle.map = {self._parent.get_name()};"
        self.get_root().script.add_child(_Raw(code), name=self.get_name())


class _ReadyHook(_MapHook):
    """Marks the page as fully built (``window.lifecircle.ready``)."""

    def render(self, **kwargs) -> None:
        self.get_root().script.add_child(_Raw("lifecircle.ready = true;"), name=self.get_name())


def _stable_ids(root: Figure) -> None:
    """Give every element a sequential id so the same inputs write the same file."""
    counter = itertools.count(1)

    def _walk(element: Element) -> None:
        element._id = f"{next(counter):06x}"
        for child in list(element._children.values()):
            _walk(child)

    _walk(root)


# --------------------------------------------------------------------------------------------
# helpers: checks, names, JSON


def _tianditu_key(key: str | None) -> str:
    key = key or os.environ.get("TIANDITU_KEY", "")
    if not key:
        raise InputError(
            "outputs.basemap: tianditu needs an API key; set the environment variable TIANDITU_KEY "
            "or pass the key, or choose basemap none, osm or amap.",
            zh="outputs.basemap：天地图（tianditu）底图需要 API 密钥；请设置环境变量 TIANDITU_KEY "
            "或直接传入密钥，或改用底图 none、osm 或 amap。",
        )
    if not re.fullmatch(r"[A-Za-z0-9]{8,64}", key):
        raise InputError(
            "TIANDITU_KEY: the key should be 8–64 letters and digits; copy it again from 天地图.",
            zh="TIANDITU_KEY：密钥应为 8–64 位字母和数字；请从天地图重新复制。",
        )
    return key


def _services(inputs: MapInputs) -> list[str]:
    if inputs.services is not None:
        return list(inputs.services)
    found: set[str] = set()
    if inputs.demand is not None:
        found |= {c[len("time_s_") :] for c in inputs.demand.columns if c.startswith("time_s_")}
    for gdf in (inputs.isochrones, inputs.facilities, inputs.sites):
        if gdf is not None and "service" in gdf.columns:
            found |= set(gdf["service"].dropna().astype(str))
    return [s for s in SERVICES if s in found] + sorted(found - set(SERVICES))


def _first_service(inputs: MapInputs, services: Sequence[str]) -> str | None:
    """The service shown when the map opens: the first that has isochrones or facilities."""
    for service in services:
        for gdf in (inputs.isochrones, inputs.facilities):
            if gdf is not None and "service" in gdf.columns and (gdf["service"].astype(str) == service).any():
                return service
    return services[0] if services else None


def _label(value: str, lang: str) -> str:
    """Translated label of a known code (service, tier, level), else the value itself."""
    return t(value, lang) if has(value) else value


def _safe_name(name: str) -> str:
    """A layer name for the layer control, which inserts it as HTML."""
    return html.escape(name).replace("{", "&#123;").replace("}", "&#125;")


def _minutes(m: float) -> str:
    return f"{float(m):g}"


def _spec_labels(lang: str) -> dict[str, str]:
    return {
        "unreached": t("unreached", lang),
        "min": t("minutes", lang),
        "none": "—",
        "locale": "en-US" if lang == "en" else "zh-CN",
    }


def _spec_json(spec: dict) -> str:
    """JSON for an inline script: no ``</script>``, no template markers, no line separators."""
    geoms = spec.pop("_geoms", None)
    text = json.dumps(spec, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    if geoms is not None:
        text = text[:-1] + ',"geoms":' + geoms + "}"
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
        .replace("{{", "{\\u007b")
        .replace("{%", "\\u007b%")
        .replace("{#", "\\u007b#")
    )


def _nums(values: Any, digits: int | None = None) -> list:
    """A JSON-ready list of numbers: rounded, ``None`` for NaN/inf, ints when ``digits == 0``."""
    a = np.asarray(values, dtype=float)
    ok = np.isfinite(a)
    if digits == 0:
        out = np.where(ok, np.round(a), 0).astype(np.int64).astype(object)
    else:
        out = (np.round(a, digits) if digits is not None else a).astype(object)
    out[~ok] = None
    return out.tolist()


def _texts(values: Any) -> list[str]:
    s = pd.Series(values, dtype=object)
    return s.where(s.notna(), "").astype(str).tolist()


def _column(gdf: pd.DataFrame, name: str, default: Any = np.nan) -> pd.Series:
    return gdf[name] if name in gdf.columns else pd.Series(default, index=gdf.index)


def _points_xy(gdf: gpd.GeoDataFrame) -> tuple[list, list]:
    pts = shapely.point_on_surface(gdf.geometry.to_numpy())
    return _nums(shapely.get_x(pts), 6), _nums(shapely.get_y(pts), 6)


def _geoms_json(geoms: np.ndarray) -> str:
    """Simplify (~1.5 m), round to 6 decimals and serialise polygons as a JSON array."""
    geoms = shapely.simplify(geoms, _SIMPLIFY_M * _DEG_PER_M, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda c: np.round(c, 6))
    return "[" + ",".join(shapely.to_geojson(geoms).tolist()) + "]"


def _drop_empty(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    if gdf is None:
        return None
    geoms = gdf.geometry.to_numpy()
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    return gdf.loc[keep]


def _admin_names(admin: gpd.GeoDataFrame | None) -> dict[str, str]:
    if admin is None or not {"code", "name"} <= set(admin.columns):
        return {}
    codes = admin["code"].astype(str).to_numpy()
    return dict(zip(codes, admin["name"].astype(str).to_numpy(), strict=True))


def _bounds(inputs: MapInputs) -> tuple[float, float, float, float]:
    boxes = [
        gdf.total_bounds
        for gdf in (
            inputs.admin,
            inputs.isochrones,
            inputs.demand,
            inputs.facilities,
            inputs.sites,
            inputs.streets,
        )
        if gdf is not None and len(gdf) and not gdf.geometry.is_empty.all()
    ]
    if not boxes:
        raise InputError(
            "map: every table is empty; give demand, facilities, isochrones or admin units to draw.",
            zh="map：所有表都是空的；请提供需求点、设施、等时圈或行政单元以供绘制。",
        )
    b = np.vstack(boxes)
    return (
        float(np.nanmin(b[:, 0])),
        float(np.nanmin(b[:, 1])),
        float(np.nanmax(b[:, 2])),
        float(np.nanmax(b[:, 3])),
    )


def _service_color(service: str, services: Sequence[str], table: dict[str, str]) -> str:
    if service in table:
        return table[service]
    others = [s for s in services if s not in table]
    return _OTHER_COLORS[others.index(service) % len(_OTHER_COLORS)] if service in others else "#636363"


def _require(gdf: pd.DataFrame, table: str, columns: Iterable[str]) -> None:
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise InputError(
            f"{table} table: missing column {missing[0]!r}; add it (see lifecircle.maps.webmap.MapInputs).",
            zh=f"{table} 表：缺少字段 {missing[0]!r}；请补充该字段（见 lifecircle.maps.webmap.MapInputs）。",
        )


# --------------------------------------------------------------------------------------------
# layers


def _time_classes(minutes: np.ndarray, threshold_min: np.ndarray) -> np.ndarray:
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


def _time_styles() -> list[dict]:
    covered = [
        {"radius": 3, "color": c, "weight": 0.5, "fillColor": c, "fillOpacity": 0.85, "opacity": 0.9}
        for c in _TIME_COLORS
    ]
    beyond = [
        {"radius": 4.5, "color": _UNCOVERED, "weight": 2, "fillColor": c, "fillOpacity": 0.95, "opacity": 1}
        for c in _TIME_COLORS
    ]
    unreached = {"radius": 4.5, "color": "#2d004b", "weight": 1, "fillColor": _UNREACHED, "fillOpacity": 0.95}
    return [*covered, *beyond, unreached]


def _time_legend(lang: str) -> list[tuple[str, str]]:
    unit = t("minutes", lang)
    edges = (0.0, *TIME_BINS_MIN)
    out = [
        (f"{_minutes(lo)}–{_minutes(hi)} {unit}" if lo else f"≤ {_minutes(hi)} {unit}", c)
        for lo, hi, c in zip(edges[:-1], edges[1:], _TIME_COLORS[:-1], strict=True)
    ]
    out.append((f"> {_minutes(TIME_BINS_MIN[-1])} {unit}", _TIME_COLORS[-1]))
    return [*out, (t("beyond_ring", lang), _UNCOVERED), (t("unreached", lang), _UNREACHED)]


def _demand_specs(
    demand: gpd.GeoDataFrame | None,
    services: Sequence[str],
    names: dict[str, str],
    lang: str,
    first: str | None,
    no_data: Sequence[str] = (),
) -> Iterable[dict]:
    demand = _drop_empty(demand)
    if demand is None or not len(demand):
        return
    x, y = _points_xy(demand)
    x, y = np.asarray(x, dtype=object), np.asarray(y, dtype=object)
    pops = [g for g in GROUPS if g in demand.columns]
    for service in services:
        tcol = f"time_s_{service}"
        if tcol not in demand.columns:
            continue
        if service in no_data:  # no facility list: one grey class, never "no walking route"
            order = np.arange(len(demand))
            cls = np.zeros(len(demand), dtype=int)
            cols: dict[str, list] = {"st": [t("no_facility_list", lang)] * len(demand)}
            rows = [[t("status", lang), "st", "text"]]
            styles = [
                {"radius": 3, "color": _NO_DATA, "weight": 0.5, "fillColor": _NO_DATA, "fillOpacity": 0.8}
            ]
        else:
            order, cls, cols, rows = _timed_points(demand, service, tcol, lang)
            styles = _time_styles()
        for g in pops:
            cols[g] = _nums(demand[g].to_numpy(dtype=float)[order], 0)
            rows.append([t(g, lang), g, "int", True])
        for level in ("street", "community"):
            if level in demand.columns:
                codes = demand[level].astype(str).to_numpy()[order]
                mapped = pd.Series(codes, dtype=object).map(names)
                shown = np.where(mapped.isna(), codes, mapped.to_numpy())
                cols[level] = _texts(shown)
                rows.append([t(level, lang), level, "text", True])
        yield {
            "name": _safe_name(f"{_label(service, lang)} · {t('demand_layer', lang)}"),
            "kind": "points",
            "x": x[order].tolist(),
            "y": y[order].tolist(),
            "cls": cls[order].astype(int).tolist(),
            "styles": styles,
            "cols": cols,
            "popup": {"title": f"{_label(service, lang)} · {t('walk_time', lang)}", "rows": rows},
            "tooltip": None,
            "_show": service == first,
        }


def _timed_points(
    demand: gpd.GeoDataFrame, service: str, tcol: str, lang: str
) -> tuple[np.ndarray, np.ndarray, dict[str, list], list[list]]:
    """Drawing order, time class, popup columns and rows of the demand points of ``service``."""
    thr_col = f"threshold_s_{service}" if f"threshold_s_{service}" in demand.columns else "threshold_s"
    if thr_col not in demand.columns:
        # example thresholds in the message: 000 Table 1 policy no. 2 (15 min urban, 20 min rural)
        raise InputError(
            f"demand table: no threshold_s_{service} or threshold_s column; give each point's "
            "threshold in seconds (urban 15 min = 900, rural 20 min = 1200).",
            zh=f"需求点表：没有 threshold_s_{service} 或 threshold_s 字段；请为每个需求点给出以秒计的"
            "时间阈值（城镇 15 分钟 = 900，农村 20 分钟 = 1200）。",
        )
    seconds = pd.to_numeric(demand[tcol], errors="coerce").to_numpy(dtype=float)
    seconds = np.where(np.isnan(seconds), np.inf, seconds)
    threshold = pd.to_numeric(demand[thr_col], errors="coerce").to_numpy(dtype=float)
    cls = _time_classes(seconds / 60.0, threshold / 60.0)
    order = np.argsort(cls, kind="stable")  # covered first, uncovered drawn on top
    n_bins = len(TIME_BINS_MIN) + 1
    labels = [t("covered", lang)] * n_bins + [t("uncovered", lang)] * n_bins + [t("unreached", lang)]
    status = np.array(labels)[cls]
    cols: dict[str, list] = {
        "t": _nums(seconds[order], 0),
        "thr": _nums(threshold[order] / 60.0, 1),
        "st": status[order].tolist(),
    }
    rows = [
        [t("walk_time", lang), "t", "min"],
        [t("threshold_min", lang), "thr", "num"],
        [t("status", lang), "st", "text"],
    ]
    return order, cls, cols, rows


_FOOT = ("footway", "path", "pedestrian", "cycleway", "track", "corridor", "bridleway")
_STREET_STYLES = [
    {"color": "#8c8c8c", "weight": 1.2, "opacity": 0.8, "interactive": False},
    {"color": "#7f2704", "weight": 1.6, "opacity": 0.9, "dashArray": "2 3", "interactive": False},
    {"color": "#a6a6a6", "weight": 0.8, "opacity": 0.8, "interactive": False},
]


def _street_specs(streets: gpd.GeoDataFrame | None, lang: str) -> Iterable[dict]:
    streets = _drop_empty(streets)
    if streets is None or not len(streets):
        return
    kind = _column(streets, "highway", "").fillna("").astype(str).to_numpy()
    cls = np.select([kind == "steps", np.isin(kind, _FOOT)], [1, 2], 0)
    yield {
        "name": _safe_name(t("network", lang)),
        "kind": "shapes",
        "_geoms": _geoms_json(streets.geometry.to_numpy()),
        "cls": cls.astype(int).tolist(),
        "styles": _STREET_STYLES,
        "cols": {},
        "popup": None,
        "tooltip": None,
        "_show": True,
    }


def _isochrone_specs(
    iso: gpd.GeoDataFrame | None, services: Sequence[str], lang: str, first: str | None
) -> Iterable[dict]:
    iso = _drop_empty(iso)
    if iso is None or not len(iso):
        return
    _require(iso, "isochrones", ("service", "minutes"))
    iso = iso.assign(minutes=pd.to_numeric(iso["minutes"], errors="coerce"))
    for service in services:
        part = iso.loc[iso["service"].astype(str) == service]
        tiers = sorted(part["minutes"].dropna().unique(), reverse=True)  # large first, small on top
        color = _service_color(service, services, _SERVICE_COLORS)
        for k, minutes in enumerate(tiers):
            tier = part.loc[part["minutes"] == minutes]
            opacity = 0.12 + 0.1 * min(k, 3)
            name = f"{_label(service, lang)} · {_minutes(minutes)}{t('isochrone_layer', lang)}"
            yield {
                "name": _safe_name(name),
                "kind": "shapes",
                "_geoms": _geoms_json(tier.geometry.to_numpy()),
                "cls": [0] * len(tier),
                "styles": [{"color": color, "weight": 1.2, "fillColor": color, "fillOpacity": opacity}],
                "cols": {
                    "area": _nums(_column(tier, "area_m2"), 0),
                    "len": _nums(_column(tier, "length_m"), 0),
                },
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


def _facility_specs(fac: gpd.GeoDataFrame | None, services: Sequence[str], lang: str) -> Iterable[dict]:
    fac = _drop_empty(fac)
    if fac is None or not len(fac):
        return
    _require(fac, "facilities", ("service", "tier"))
    tiers_all = sorted(fac["tier"].fillna("").astype(str).unique())
    status = _column(fac, "status", "existing").fillna("existing").astype(str)
    for service in services:
        part = fac.loc[fac["service"].astype(str) == service]
        for tier in sorted(part["tier"].fillna("").astype(str).unique()):
            sub = part.loc[part["tier"].fillna("").astype(str) == tier]
            color = _TIER_COLORS[tiers_all.index(tier) % len(_TIER_COLORS)]
            st = status.loc[sub.index].to_numpy()
            cls = np.select([st == "planned", st == "candidate"], [1, 2], 0)
            x, y = _points_xy(sub)
            tier_label = _label(tier, lang) if tier else t("no_data", lang)
            name = (
                f"{_label(service, lang)}{t('facility_layer', lang)} · {tier_label}"
                if lang == "zh"
                else f"{_label(service, lang)} {t('facility_layer', lang)} · {tier_label}"
            )
            yield {
                "name": _safe_name(name),
                "kind": "points",
                "x": x,
                "y": y,
                "cls": cls.astype(int).tolist(),
                "styles": [
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
                ],
                "cols": {
                    "name": _texts(_column(sub, "name", "")),
                    "id": _texts(_column(sub, "id", "")),
                    "tier": [tier_label] * len(sub),
                    "cap": _nums(pd.to_numeric(_column(sub, "capacity"), errors="coerce"), 0),
                    "st": [_label(s, lang) for s in st],
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


def _join_names(values: pd.Series, lang: str) -> list[str]:
    sep = ", " if lang == "en" else "、"
    return [
        sep.join(str(x) for x in v)
        if isinstance(v, (list, tuple, np.ndarray))
        else ("" if pd.isna(v) else str(v))
        for v in values
    ]


def _site_specs(sites: gpd.GeoDataFrame | None, services: Sequence[str], lang: str) -> Iterable[dict]:
    sites = _drop_empty(sites)
    if sites is None or not len(sites):
        return
    _require(sites, "sites", ("service",))
    for service in services:
        part = sites.loc[sites["service"].astype(str) == service]
        if not len(part):
            continue
        rank = pd.to_numeric(_column(part, "rank"), errors="coerce")
        rank = rank.fillna(pd.Series(np.arange(1, len(part) + 1), index=part.index)).astype(int)
        part = part.assign(rank=rank).sort_values("rank", kind="stable")
        x, y = _points_xy(part)
        color = _service_color(service, services, _SITE_COLORS)
        people = t("people", lang)
        gains = {g: pd.to_numeric(_column(part, f"gain_{g}"), errors="coerce") for g in GROUPS}
        # One sentence per site: "第1名：新增覆盖 3,200 人（60岁及以上老年人 640 人）".
        head = [f"#{r}" if lang == "en" else f"第{r}名" for r in part["rank"]]
        main = gains["pop_total"]
        sentence = []
        for i in range(len(part)):
            parts = [
                f"{t(g, lang)} {gains[g].iloc[i]:,.0f} {people}"
                for g in GROUPS[1:]
                if np.isfinite(gains[g].iloc[i])
            ]
            total = (
                f"{t('gain_sentence', lang)} {main.iloc[i]:,.0f} {people}"
                if np.isfinite(main.iloc[i])
                else ""
            )
            detail = (
                (" (" + "; ".join(parts) + ")" if lang == "en" else "（" + "；".join(parts) + "）")
                if parts
                else ""
            )
            sentence.append(f"{head[i]}{': ' if lang == 'en' else '：'}{total}{detail}".rstrip("：: "))
        cap = pd.to_numeric(_column(part, "capacity"), errors="coerce")
        used = pd.to_numeric(_column(part, "capacity_used"), errors="coerce")
        cap_text = [
            (f"{u:,.0f} / {c:,.0f}" if np.isfinite(c) else f"{u:,.0f}") if np.isfinite(u) else ""
            for u, c in zip(used, cap, strict=True)
        ]
        cols = {
            "rank": part["rank"].tolist(),
            "title": [
                f"{t('sites_layer', lang)} {h}" + (f" · {n}" if n else "")
                for h, n in zip(head, _texts(_column(part, "name", "")), strict=True)
            ],
            "why": sentence,
            "comm": _join_names(_column(part, "communities", ""), lang),
            "street": _join_names(_column(part, "streets", ""), lang),
            "med": _nums(_column(part, "time_median_s"), 0),
            "p90": _nums(_column(part, "time_p90_s"), 0),
            "cap": cap_text,
        }
        rows = [[f"{t('gain', lang)} · {t(g, lang)}", f"g_{g}", "int", True] for g in GROUPS]
        for g in GROUPS:
            cols[f"g_{g}"] = _nums(gains[g], 0)
        rows += [
            [t("communities_reached", lang), "comm", "text", True],
            [t("streets_reached", lang), "street", "text", True],
            [t("time_median", lang), "med", "min", True],
            [t("time_p90", lang), "p90", "min", True],
            [t("capacity_used", lang), "cap", "text", True],
        ]
        yield {
            "name": _safe_name(f"{_label(service, lang)} · {t('sites_layer', lang)}"),
            "kind": "sites",
            "x": x,
            "y": y,
            "cls": [0] * len(part),
            "styles": [{"color": "#fff", "fillColor": color}],
            "cols": cols,
            "popup": {"title_col": "title", "note_col": "why", "rows": rows},
            "tooltip": "title",
            "_show": True,
        }


def _share_classes(share: np.ndarray) -> np.ndarray:
    cls = np.digitize(share, SHARE_BINS, right=False)
    return np.where(np.isfinite(share), cls, len(SHARE_BINS) + 1)


def _share_legend(lang: str) -> list[tuple[str, str]]:
    edges = (0.0, *SHARE_BINS)
    out = [
        (f"{lo * 100:g}% – <{hi * 100:g}%", c)
        for lo, hi, c in zip(edges[:-1], edges[1:], _SHARE_COLORS, strict=False)
    ]
    return [*out, ("100%", _SHARE_COLORS[4]), (t("no_data", lang), _SHARE_COLORS[5])]


def _admin_specs(admin: gpd.GeoDataFrame | None, services: Sequence[str], lang: str) -> Iterable[dict]:
    admin = _drop_empty(admin)
    if admin is None or not len(admin):
        return
    _require(admin, "admin", ("name",))
    levels = _column(admin, "level", "").fillna("").astype(str)
    for service in services:
        groups = [g for g in GROUPS if f"share_{service}_{g}" in admin.columns]
        if not groups:
            continue
        main = PRIMARY_GROUP.get(service, "pop_total")
        main = main if main in groups else groups[0]
        for level in [lv for lv in ("district", "street", "community") if (levels == lv).any()] + sorted(
            set(levels) - {"district", "street", "community"}
        ):
            sub = admin.loc[levels == level]
            share = pd.to_numeric(sub[f"share_{service}_{main}"], errors="coerce").to_numpy(dtype=float)
            cols = {"name": _texts(sub["name"]), "code": _texts(_column(sub, "code", ""))}
            rows = [[t("code", lang), "code", "text", True]]
            for g in groups:
                cols[f"s_{g}"] = _nums(pd.to_numeric(sub[f"share_{service}_{g}"], errors="coerce"), 4)
                rows.append([f"{t('coverage_share', lang)} · {t(g, lang)}", f"s_{g}", "pct"])
                if g in sub.columns:
                    cols[f"p_{g}"] = _nums(pd.to_numeric(sub[g], errors="coerce"), 0)
                    rows.append([t(g, lang), f"p_{g}", "int", True])
            pct = np.where(np.isfinite(share), np.round(share * 100, 1), np.nan)
            tips = [
                f"{n} · {p:g}%" if np.isfinite(p) else f"{n} · {t('no_data', lang)}"
                for n, p in zip(cols["name"], pct, strict=True)
            ]
            cols["tip"] = tips
            level_label = _label(level, lang) if level else t("unit", lang)
            name = (
                f"{level_label} · {_label(service, lang)}{t('admin_layer', lang)}（{t(main, lang)}）"
                if lang == "zh"
                else f"{level_label} · {_label(service, lang)} {t('admin_layer', lang)} ({t(main, lang)})"
            )
            styles = [
                {"color": "#444", "weight": 1, "fillColor": c, "fillOpacity": 0.55} for c in _SHARE_COLORS
            ]
            yield {
                "name": _safe_name(name),
                "kind": "shapes",
                "_geoms": _geoms_json(sub.geometry.to_numpy()),
                "cls": _share_classes(share).astype(int).tolist(),
                "styles": styles,
                "cols": cols,
                "popup": {"title_col": "name", "rows": rows},
                "tooltip": "tip",
                "_show": False,
            }


# --------------------------------------------------------------------------------------------
# title box and legend

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("lifecircle.maps", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def assumption_rows(assumptions: Sequence[Assumption], lang: str) -> list[tuple[str, str, str]]:
    """``(sentence, value with unit, source)`` per assumption, for the legend and the report."""

    def _value(a: Assumption) -> str:
        value = f"{a.value:g}" if isinstance(a.value, (int, float)) else str(a.value)
        return f"{value} {a.unit}".strip()

    return [
        (a.text(lang), _value(a), "" if a.source in ("", "assumption") else a.source) for a in assumptions
    ]


def _panels(inputs: MapInputs, services: Sequence[str], basemap: str, lang: str) -> str:
    timed = [s for s in services if inputs.demand is not None and f"time_s_{s}" in inputs.demand.columns]
    has_demand = any(s not in inputs.no_data for s in timed)
    time_legend = _time_legend(lang) if has_demand else []
    if any(s in inputs.no_data for s in timed):  # why some services' points carry no time
        time_legend.append((t("no_facility_list", lang), _NO_DATA))
    circles = []
    if inputs.isochrones is not None and len(inputs.isochrones):
        for s in services:
            if (inputs.isochrones["service"].astype(str) == s).any():
                circles.append((_label(s, lang), _service_color(s, services, _SERVICE_COLORS)))
    tiers, statuses = [], []
    if inputs.facilities is not None and len(inputs.facilities):
        names = sorted(inputs.facilities["tier"].fillna("").astype(str).unique())
        tiers = [
            (_label(x, lang) if x else t("no_data", lang), _TIER_COLORS[i % len(_TIER_COLORS)])
            for i, x in enumerate(names)
        ]
        note = {
            "existing": ("实心圆", "solid"),
            "planned": ("空心虚线圆", "hollow, dashed"),
            "candidate": ("灰色小圆", "small grey"),
        }
        present = set(_column(inputs.facilities, "status", "existing").fillna("existing").astype(str))
        colon = ": " if lang == "en" else "："
        statuses = [
            (t(k, lang) + colon, v[1] if lang == "en" else v[0]) for k, v in note.items() if k in present
        ]
    sites = []
    if inputs.sites is not None and len(inputs.sites):
        for s in services:
            if (inputs.sites["service"].astype(str) == s).any():
                sites.append(
                    (
                        f"{_label(s, lang)} · {t('sites_layer', lang)}",
                        _service_color(s, services, _SITE_COLORS),
                    )
                )
    streets = []
    if inputs.streets is not None and len(inputs.streets):
        streets = [(t("network", lang), _STREET_STYLES[0]["color"])]
        if "highway" in inputs.streets.columns and (inputs.streets["highway"].astype(str) == "steps").any():
            streets.append((t("steps", lang), _STREET_STYLES[1]["color"]))
    shares = []
    if inputs.admin is not None and any(c.startswith("share_") for c in inputs.admin.columns):
        shares = _share_legend(lang)
    labels = {
        k: t(k, lang)
        for k in (
            "legend",
            "walk_time",
            "facilities",
            "assumptions",
            "assumption_note",
            "data_sources",
            "network",
        )
    }
    labels["circles"] = "步行服务圈" if lang == "zh" else "Walking circles"
    labels["sites"] = t("sites_layer", lang)
    groups = [t(PRIMARY_GROUP.get(s, "pop_total"), lang) for s in services]
    labels["coverage"] = (
        f"{t('coverage_share', lang)} ({', '.join(groups)})"
        if lang == "en"
        else f"{t('coverage_share', lang)}（{'、'.join(groups)}）"
    )
    return _ENV.get_template("map_panels.html.j2").render(
        title=inputs.title or t("map_title", lang),
        headlines=list(inputs.headlines),
        L=labels,
        time_classes=time_legend,
        circles=circles,
        tiers=tiers,
        statuses=statuses,
        sites=sites,
        shares=shares,
        streets=streets,
        assumptions=assumption_rows(inputs.assumptions, lang),
        basemap=t(f"basemap_{basemap}", lang),
        sources=[(s.name, s.licence) for s in inputs.sources],
    )


def _add_basemap(fmap: folium.Map, basemap: str, key: str | None, lang: str) -> None:
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name=t("basemap_osm", lang)).add_to(fmap)
    elif basemap == "tianditu":
        attr = "© 天地图 Tianditu" if lang == "zh" else "© Tianditu"
        folium.TileLayer(
            tiles=_TIANDITU.replace("{layer}", "vec").replace("{key}", key or ""),
            attr=attr,
            name=t("basemap_tianditu", lang),
            subdomains="01234567",
            max_zoom=18,
        ).add_to(fmap)
        folium.TileLayer(
            tiles=_TIANDITU.replace("{layer}", "cva").replace("{key}", key or ""),
            attr=attr,
            name="天地图注记" if lang == "zh" else "Tianditu labels",
            subdomains="01234567",
            overlay=True,
            control=False,
            max_zoom=18,
        ).add_to(fmap)
    elif basemap == "amap":
        folium.TileLayer(
            tiles=_AMAP,
            attr="© 高德地图 AutoNavi" if lang == "zh" else "© AutoNavi (Amap)",
            name=t("basemap_amap", lang),
            subdomains="1234",
            max_zoom=18,
        ).add_to(fmap)
