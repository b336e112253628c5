"""The interactive HTML map officials open: one file, Chinese first, offline by default.

`build_map` draws what it is given — demand points coloured by walking time, isochrone polygons
per service and threshold tier, facilities by tier, ranked proposed sites, admin units shaded by
coverage — and never computes coverage itself. `write_map` saves it atomically.

Every layer is a compact column spec (`lifecircle.maps.layers`) turned into Leaflet objects by a
small runtime (``templates/lifecircle.js``) that escapes all text from input files before it
reaches HTML. Leaflet itself is inlined from the ``django-js-lib-leaflet`` package, so with
``basemap="none"`` (the default) the file loads nothing from anywhere. The tables are drawn in
the datum they come in (`MapInputs.datum`): for the Amap basemap, whose tiles are in GCJ-02,
the caller converts them to GCJ-02 first. A basemap switch in the page offers the other
basemaps (nothing is fetched until a reader picks one) and moves the overlays by the GCJ-02
shift when the tiles' datum differs from the tables'.

The page opens on the first state (`MapInputs.start_view`), with the study area fitted into the
part of the map the side panel leaves free; a switch shows the state with the proposed sites.
"""

from __future__ import annotations

import html
import itertools
import json
from pathlib import Path

import folium
from branca.element import Element, Figure
from folium.map import Layer

from ..geodata.common import InputError, atomic_path
from . import assets
from .basemaps import BASEMAPS, basemap_options, check_basemap, check_datum, tianditu_api_key
from .i18n import check_lang, t
from .inputs import VIEWS, DataSource, MapInputs, assumption_rows, bounds, focus_bounds, has_views, lonlat
from .layers import layer_specs, scene_of
from .panels import panels_html
from .style import PRIMARY_GROUP, SHARE_BINS, TIME_BINS_MIN

__all__ = [
    "BASEMAPS",
    "PRIMARY_GROUP",
    "SHARE_BINS",
    "TIME_BINS_MIN",
    "DataSource",
    "MapInputs",
    "assumption_rows",
    "build_map",
    "layer_names",
    "write_map",
]


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
        The tables to draw (see `MapInputs`), in the datum of the basemap's tiles.
    basemap
        ``"none"`` (offline, the default: the file loads nothing), ``"osm"``, ``"tianditu"``
        (needs a key: ``tianditu_key`` or the environment variable ``TIANDITU_KEY``) or
        ``"amap"`` (GCJ-02 tiles: the tables must be in GCJ-02, ``inputs.datum == "gcj02"``).
    lang
        ``"zh"`` (default) or ``"en"`` for labels, legend and popups.
    tianditu_key
        Tianditu API key; falls back to ``$TIANDITU_KEY``.

    Returns
    -------
    folium.Map
        The map; its overlays are also reachable in the page as ``window.lifecircle.layers``.
    """
    check_lang(lang)
    check_basemap(basemap)
    key = tianditu_api_key(tianditu_key) if basemap == "tianditu" or tianditu_key else None
    inputs = lonlat(inputs)
    check_datum(basemap, inputs.datum)
    if inputs.start_view not in VIEWS:
        raise InputError("map.bad_view", view=inputs.start_view, choices=VIEWS)
    bounds(inputs)  # InputError when there is nothing to draw
    west, south, east, north = focus_bounds(inputs)
    fmap = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=13,
        tiles=None,
        prefer_canvas=True,
        control_scale=False,  # the page adds a metric scale (metres only in Chinese)
        zoom_control="topright",
    )
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

    scene = scene_of(inputs, lang)
    views = has_views(scene.services)
    labels = _spec_labels(lang)
    for spec in layer_specs(inputs, lang):
        show = spec.pop("_show")
        spec["show"] = show
        spec["labels"] = labels
        in_view = spec.get("view") is None or not views or spec["view"] == inputs.start_view
        fmap.add_child(_DataLayer(spec, show=show and in_view))

    options = basemap_options(basemap, key, lang)
    root.html.add_child(_Raw(panels_html(inputs, scene, options)), name="lifecircle_panels")
    folium.LayerControl(collapsed=False, position="topleft").add_to(fmap)
    config = {
        "lang": lang,
        "datum": inputs.datum,
        "bounds": [west, south, east, north],
        "basemaps": options,
        "views": views,
        "view": inputs.start_view,
    }
    fmap.add_child(_ReadyHook(config))
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


def layer_names(inputs: MapInputs, *, lang: str = "zh") -> list[str]:
    """Names of the overlays `build_map` makes from ``inputs``, in drawing order."""
    return [spec["name"] for spec in layer_specs(inputs, lang)]


def _spec_labels(lang: str) -> dict[str, str]:
    """Words the runtime writes into popups: no route, the minute unit, the empty cell, the number locale."""
    return {
        "unreached": t("unreached", lang),
        "min": t("minutes", lang),
        "none": "—",
        "people": t("people", lang),
        "locale": "en-US" if lang == "en" else "zh-CN",
    }


# --------------------------------------------------------------------------------------------
# folium elements: inline code, one overlay per spec, hooks for the page


class _Raw(Element):
    """Literal HTML/JS, never passed through a template engine."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    # branca calls ``render(**kwargs)`` on every element; ours ignore them (hence ``_kwargs``).
    def render(self, **_kwargs) -> str:
        return self._text


class _DataLayer(Layer):
    """One overlay built in the page by ``lifecircle.build(spec)``; listed in the layer control."""

    def __init__(self, spec: dict, *, show: bool) -> None:
        super().__init__(name=spec["name"], overlay=True, control=True, show=show)
        self._name = "DataLayer"
        self.spec = spec

    # ``**_kwargs``: the branca protocol (see `_Raw.render`).
    def render(self, **_kwargs) -> None:
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

    # ``**_kwargs``: the branca protocol (see `_Raw.render`).
    def render(self, **_kwargs) -> None:
        code = f"lifecircle.map = {self._parent.get_name()};"
        self.get_root().script.add_child(_Raw(code), name=self.get_name())


class _ReadyHook(_MapHook):
    """Sets up the page (panel, switches, scale, fit) and marks it built (``window.lifecircle.ready``)."""

    def __init__(self, config: dict) -> None:
        super().__init__()
        self.config = config

    # ``**_kwargs``: the branca protocol (see `_Raw.render`).
    def render(self, **_kwargs) -> None:
        code = f"lifecircle.setup({_spec_json(dict(self.config))});\nlifecircle.ready = true;"
        self.get_root().script.add_child(_Raw(code), name=self.get_name())


def _stable_ids(root: Figure) -> None:
    """Give every element a sequential id so the same inputs write the same file."""
    counter = itertools.count(1)

    def _walk(element: Element) -> None:
        element._id = f"{next(counter):06x}"
        for child in list(element._children.values()):
            _walk(child)

    _walk(root)


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
