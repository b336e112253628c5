"""The report's coverage figure as inline SVG, drawn from the arrays in memory (no plotting library).

One service per figure: admin outlines, the service's isochrones (lighter for longer tiers),
demand points (blue within reach, red beyond the circle, purple with no walking route, grey
without a facility list), facilities (planned ones hollow), ranked proposed sites, a scale bar,
a north arrow and a legend — what `lifecircle.maps.figures.coverage_png` draws with matplotlib,
written straight as SVG paths. Geometry is drawn in a local equidistant projection about the
figure's centre (east–west scaled by the cosine of the central latitude), so the scale bar reads
true to about 0.1 % across a district. Shapes are simplified to a third of a pixel and demand
points merged per half pixel, so the figure stays small (tens of kilobytes) however large the run.
Every text from the inputs is escaped here; the markup is handed to the report template as is.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup

from ..geodata.common import say
from .i18n import check_lang, code_label, t
from .inputs import AFTER, MapInputs, assumption_rows, lonlat
from .style import NO_DATA, SERVICE_COLORS, SITE_COLORS, UNCOVERED, UNREACHED
from .tables import display_simplify

#: Demand points within reach, the facilities and the admin outlines.
COVERED, FACILITY, OUTLINE = "#3182bd", "#222222", "#666666"
#: Metres per degree of latitude (mean Earth radius 6,371,008.8 m).
_M_PER_DEG = 6_371_008.8 * np.pi / 180.0
_FONT = 'font-family="Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"'
_SCALE_STEPS = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000)


def nice_length(width_m: float) -> float:
    """A round scale-bar length close to a fifth of the map width (metres)."""
    steps = np.asarray(_SCALE_STEPS, dtype=float)
    return float(steps[np.argmin(np.abs(steps - width_m / 5.0))])


def assumption_lines(inputs: MapInputs, lang: str, limit: int = 5) -> list[str]:
    """One line per assumption (the first ``limit``): the sentence with its value, for figure notes."""
    rows = assumption_rows(inputs.assumptions, lang)[:limit]
    return [f"{text} ({value})" if value and value not in text else text for text, value, _ in rows]


@dataclass(frozen=True)
class _Frame:
    """Longitude/latitude to pixels: ``px = (lon - lon0)·kx + ox``, ``py = (lat1 - lat)·ky + oy``."""

    lon0: float
    lat1: float
    kx: float
    ky: float
    ox: float
    oy: float
    width: float
    height: float
    m_per_px: float

    def xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (lon - self.lon0) * self.kx + self.ox, (self.lat1 - lat) * self.ky + self.oy

    def transform(self, coords: np.ndarray) -> np.ndarray:
        x, y = self.xy(coords[:, 0], coords[:, 1])
        return np.c_[x, y]


def _frame(bounds: np.ndarray, width: float, top: float, pad: float = 12.0) -> _Frame:
    """The pixel frame of ``bounds`` (lon/lat) ``width`` pixels wide, below a title band ``top`` high."""
    x0, y0, x1, y1 = bounds
    cos = float(np.cos(np.radians((y0 + y1) / 2.0)))
    w_m = max((x1 - x0) * _M_PER_DEG * cos, 1.0)
    h_m = max((y1 - y0) * _M_PER_DEG, 1.0)
    m_per_px = w_m / (width - 2 * pad)
    height = float(np.clip(h_m / m_per_px, 0.25 * width, 1.6 * width))
    m_per_px = max(m_per_px, h_m / height)  # a tall area: fit its height, centre its width
    k = _M_PER_DEG / m_per_px
    ox = (width - w_m / m_per_px) / 2.0
    oy = top + pad + (height - h_m / m_per_px) / 2.0
    return _Frame(x0, y1, k * cos, k, ox, oy, width, top + height + 2 * pad, m_per_px)


def _num(v: np.ndarray) -> list[str]:
    """Pixel coordinates written with one decimal."""
    return [f"{a:.1f}" for a in np.asarray(v, dtype=float)]


def _ring_path(geoms: np.ndarray, fr: _Frame) -> str:
    """SVG path data of every ring (exterior and holes) of the polygons in ``geoms``."""
    polys = shapely.get_parts(np.asarray(geoms, dtype=object))
    polys = polys[shapely.get_type_id(polys) == 3]
    if not len(polys):
        return ""
    polys = display_simplify(polys, fr.m_per_px / 3.0 / _M_PER_DEG)
    rings = shapely.get_rings(polys)
    coords, ring = shapely.get_coordinates(rings, return_index=True)
    if not len(coords):
        return ""
    p = fr.transform(coords)
    pts = np.char.add(np.char.add(_num(p[:, 0]), ","), _num(p[:, 1]))
    starts = np.flatnonzero(np.r_[True, ring[1:] != ring[:-1]])
    return "".join("M" + "L".join(part) + "Z" for part in np.split(pts, starts[1:]))


def _points(gdf: gpd.GeoDataFrame, fr: _Frame) -> tuple[np.ndarray, np.ndarray]:
    pts = shapely.point_on_surface(gdf.geometry.to_numpy())
    return fr.xy(shapely.get_x(pts), shapely.get_y(pts))


def _dots(x: np.ndarray, y: np.ndarray, color: str, size: float) -> str:
    """Many dots as one path of zero-length round-capped segments, merged per half pixel."""
    if not len(x):
        return ""
    xy = np.unique(np.round(np.c_[x, y] * 2.0) / 2.0, axis=0)
    d = "".join(f"M{a:.1f},{b:.1f}h0" for a, b in xy)
    return f'<path d="{d}" stroke="{color}" stroke-width="{size:g}" stroke-linecap="round" fill="none"/>'


def _circles(x: np.ndarray, y: np.ndarray, r: float) -> str:
    return "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{r:g}"/>' for a, b in zip(x, y, strict=True))


def _text(x: float, y: float, text: str, size: float = 10, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size:g}" {_FONT}{extra}>{html.escape(text)}</text>'


@dataclass(frozen=True)
class _Entry:
    """A legend entry: a swatch (``patch``, ``dot``, ``ring``) in a colour, and its label."""

    kind: str
    color: str
    label: str


def _isochrones(iso: gpd.GeoDataFrame | None, service: str, fr: _Frame, lang: str) -> tuple[str, list]:
    """The service's tiers, longest first and lighter; one legend entry per tier."""
    if iso is None or "service" not in iso.columns:
        return "", []
    part = iso.loc[iso["service"].astype(str) == service]
    color = SERVICE_COLORS.get(service, "#756bb1")
    minutes = pd.to_numeric(part["minutes"], errors="coerce")
    out, legend = [], []
    for k, m in enumerate(sorted(minutes.dropna().unique(), reverse=True)):
        d = _ring_path(part.loc[minutes == m].geometry.to_numpy(), fr)
        if d:
            alpha = 0.12 + 0.1 * min(k, 3)
            out.append(
                f'<path d="{d}" fill="{color}" fill-opacity="{alpha:.2f}" fill-rule="evenodd" '
                f'stroke="{color}" stroke-width="0.8"/>'
            )
            legend.append(_Entry("patch", color, say("map.isochrone", lang, minutes=f"{m:g}")))
    return "".join(out), legend


def demand_classes(demand: pd.DataFrame, service: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Per demand point: whether it has a walking route, and whether it is within its threshold.

    ``None`` when ``demand`` has no times for ``service``; a missing time (NaN) counts as no route.
    """
    if f"time_s_{service}" not in demand.columns:
        return None
    seconds = pd.to_numeric(demand[f"time_s_{service}"], errors="coerce").to_numpy(dtype=float)
    seconds = np.where(np.isnan(seconds), np.inf, seconds)
    thr_col = f"threshold_s_{service}" if f"threshold_s_{service}" in demand.columns else "threshold_s"
    threshold = pd.to_numeric(demand[thr_col], errors="coerce").to_numpy(dtype=float)
    reached = np.isfinite(seconds)
    return reached, reached & (seconds <= threshold)


def _demand(demand: gpd.GeoDataFrame | None, service: str, no_data: bool, fr: _Frame, lang: str):
    """Demand points by class: within reach, beyond the circle, no walking route (grey: no data)."""
    if demand is None or not len(demand):
        return "", []
    x, y = _points(demand, fr)
    if no_data:
        return _dots(x, y, NO_DATA, 2.0), [_Entry("dot", NO_DATA, t("no_facility_list", lang))]
    classes = demand_classes(demand, service)
    if classes is None:
        return "", []
    reached, covered = classes
    out, legend = [], []
    for mask, color, size, key in (
        (covered, COVERED, 2.0, "covered"),
        (reached & ~covered, UNCOVERED, 3.5, "uncovered"),
        (~reached, UNREACHED, 3.5, "unreached"),
    ):
        if mask.any():
            out.append(_dots(x[mask], y[mask], color, size))
            legend.append(_Entry("dot", color, t(key, lang)))
    return "".join(out), legend


def _facilities(fac: gpd.GeoDataFrame | None, service: str, fr: _Frame, lang: str):
    """The service's facilities: existing ones solid, planned ones hollow and dashed."""
    if fac is None or "service" not in fac.columns:
        return "", []
    part = fac.loc[fac["service"].astype(str) == service]
    if not len(part):
        return "", []
    status = part.get("status", pd.Series("existing", index=part.index)).astype(str)
    planned = (status != "existing").to_numpy()
    x, y = _points(part, fr)
    solid, hollow = (_circles(x[m], y[m], 3.6) for m in (~planned, planned))
    svg = (
        f'<g fill="{FACILITY}" stroke="white" stroke-width="0.8">{solid}</g>'
        f'<g fill="none" stroke="{FACILITY}" stroke-width="1.2" stroke-dasharray="2 1.5">{hollow}</g>'
    )
    label = say("map.facilities_of", lang, service=code_label(service, lang))
    return svg, [_Entry("dot", FACILITY, label)]


def _sites(sites: gpd.GeoDataFrame | None, service: str, fr: _Frame, lang: str):
    """The service's proposed sites, numbered by rank."""
    if sites is None or "service" not in sites.columns:
        return "", []
    part = sites.loc[sites["service"].astype(str) == service]
    if not len(part):
        return "", []
    rank = pd.to_numeric(part.get("rank", pd.Series(np.nan, index=part.index)), errors="coerce")
    rank = rank.fillna(pd.Series(np.arange(1, len(part) + 1), index=part.index)).astype(int)
    x, y = _points(part, fr)
    color = SITE_COLORS.get(service, "#54278f")
    marks = "".join(
        f'<circle cx="{a:.1f}" cy="{b:.1f}" r="6.5"/>'
        + _text(a, b + 2.6, str(r), 7, fill="white", stroke="none", text_anchor="middle", font_weight="bold")
        for a, b, r in zip(x, y, rank, strict=True)
    )
    return f'<g fill="{color}" stroke="white" stroke-width="1">{marks}</g>', [
        _Entry("dot", color, t("sites_layer", lang))
    ]


def _legend(entries: list[_Entry], x: float, y: float) -> str:
    """A boxed legend with its top-left corner at (x, y)."""
    if not entries:
        return ""
    row = 14.0
    width = 24 + 7.5 * max(len(e.label) + sum(ord(c) > 0x2E80 for c in e.label) for e in entries)
    out = [
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{row * len(entries) + 8:.1f}" '
        'fill="white" fill-opacity="0.9" stroke="#bbbbbb" stroke-width="0.6" rx="3"/>'
    ]
    for k, e in enumerate(entries):
        cy = y + 11 + k * row
        if e.kind == "patch":
            out.append(
                f'<rect x="{x + 6:.1f}" y="{cy - 5:.1f}" width="12" height="9" fill="{e.color}" '
                f'fill-opacity="0.35" stroke="{e.color}" stroke-width="0.8"/>'
            )
        else:
            out.append(f'<circle cx="{x + 12:.1f}" cy="{cy:.1f}" r="3.5" fill="{e.color}"/>')
        out.append(_text(x + 24, cy + 3.5, e.label, 9.5, fill="#222222"))
    return "".join(out)


def _furniture(fr: _Frame, lang: str) -> str:
    """The scale bar (bottom left) and the north arrow (top right)."""
    usable = fr.width - 24
    bar_m = nice_length(usable * fr.m_per_px)
    bar = bar_m / fr.m_per_px
    bx, by = 16.0, fr.height - 14.0
    label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    nx, ny = fr.width - 22.0, fr.oy + 6.0
    return (
        f'<rect x="{bx:.1f}" y="{by - 3:.1f}" width="{bar:.1f}" height="3.5" fill="black"/>'
        + _text(bx + bar / 2, by - 6, label, 9, text_anchor="middle")
        + f'<path d="M{nx:.1f},{ny:.1f}l-6,16l6,-4l6,4z" fill="black"/>'
        + _text(nx, ny + 30, say("plot.north", lang), 11, text_anchor="middle", font_weight="bold")
    )


def _before(iso: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """The isochrones of the services as they are, without those with the proposal open (`AFTER`)."""
    if iso is None or "service" not in iso.columns:
        return iso
    return iso.loc[~iso["service"].astype(str).str.endswith(AFTER)]


def coverage_svg(inputs: MapInputs, *, service: str, lang: str = "zh", width: float = 720.0) -> Markup:
    """Draw one service's coverage as an inline SVG element (escaped, ready for the report).

    Parameters
    ----------
    inputs
        The same tables as the HTML map (`lifecircle.maps.inputs.MapInputs`).
    service
        The service to draw (``elderly``, ``childcare``, …).
    lang
        ``zh`` or ``en``.
    width
        Width in CSS pixels (the figure scales with the page; the height follows the area's shape).

    Raises
    ------
    ValueError
        When no table holds anything to draw.
    """
    check_lang(lang)
    inputs = lonlat(inputs)
    tables = [inputs.admin, inputs.isochrones, inputs.demand, inputs.facilities, inputs.sites]
    present = [g for g in tables if g is not None and len(g)]
    if not present:
        raise ValueError(say("figure.nothing_to_draw", "en"))
    # the frame holds what the figures draw: not the isochrones with the proposal open
    drawn = (inputs.admin, _before(inputs.isochrones), inputs.demand, inputs.facilities, inputs.sites)
    present = [g for g in drawn if g is not None and len(g)] or present
    if inputs.outline is not None and len(inputs.outline):
        present.append(inputs.outline)
    bounds = np.array([g.total_bounds for g in present])
    box = np.r_[bounds[:, :2].min(axis=0), bounds[:, 2:].max(axis=0)]
    top = 26.0
    fr = _frame(box, width, top)
    admin, iso, demand, fac, sites = tables
    parts = [
        _isochrones(iso, service, fr, lang),
        _demand(demand, service, service in inputs.no_data, fr, lang),
        _facilities(fac, service, fr, lang),
        _sites(sites, service, fr, lang),
    ]
    outline = "".join(
        f'<path d="{d}" fill="none" stroke="{color}" stroke-width="{width:g}"/>'
        for gdf, color, width in ((admin, OUTLINE, 0.6), (inputs.outline, "#1a1a1a", 1.4))
        if gdf is not None and len(gdf) and (d := _ring_path(gdf.geometry.to_numpy(), fr))
    )
    title = f"{code_label(service, lang)} · {t('figure', lang)}"
    legend = [e for _, entries in parts for e in entries]
    body = outline + "".join(svg for svg, _ in parts)
    svg = (
        f'<svg class="figure" '
        f'viewBox="0 0 {fr.width:.0f} {fr.height:.0f}" '
        f'width="100%" role="img" aria-label="{html.escape(title)}">'
        f'<rect width="100%" height="100%" fill="white"/>'
        + _text(fr.width / 2, 18, title, 13, text_anchor="middle", fill="#111111")
        + body
        + _legend(legend, 10, top + 4)
        + _furniture(fr, lang)
        + "</svg>"
    )
    return Markup(svg)
