"""Static PNG maps for print (matplotlib): the coverage of one service, drawn in a metric CRS."""

from __future__ import annotations

import contextlib
import glob
import io
import textwrap
import warnings
from pathlib import Path

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..geodata.common import say
from .figure_svg import assumption_lines, demand_classes, nice_length
from .i18n import check_lang, code_label, t
from .inputs import MapInputs, lonlat
from .style import SERVICE_COLORS, SITE_COLORS, UNCOVERED, UNREACHED

#: Fonts tried, in order, for Chinese labels.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK JP",
)
_COVERED = "#3182bd"


#: File-name patterns of the CJK fonts in `CJK_FONTS` (lower case), for fonts installed after
#: matplotlib built its font cache.
_CJK_FILES: tuple[str, ...] = ("notosanscjk", "sourcehansans", "wqy-zenhei", "wqy-microhei", "simhei", "msyh")
#: Where Debian-like systems put CJK font files (``fonts-noto-cjk``, ``fonts-wqy-*``).
CJK_FONT_GLOBS: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/*CJK*",
    "/usr/share/fonts/truetype/noto/*CJK*",
    "/usr/share/fonts/truetype/wqy/*",
    "/usr/share/fonts/opentype/source-han-sans/*",
)
_FOUND: list[str] = []


def cjk_font() -> str | None:
    """Name of an installed font that has Chinese glyphs, or ``None``.

    matplotlib's font cache (``fontlist-*.json`` in its config folder) is built once and does not
    see fonts installed later (for example ``apt-get install fonts-noto-cjk`` after the first
    plot): such a stale cache would leave Chinese figures in English. When the cache knows none
    of `CJK_FONTS`, the CJK font files on disk (`CJK_FONT_GLOBS` and the system font folders) are
    added to the font manager and the cache file is rewritten, so later processes see them too.
    A font found is remembered; ``None`` is not, so a font installed later is still found.
    """
    if _FOUND:
        return _FOUND[0]
    found = _known_cjk()
    if found is None and _add_cjk_files():
        found = _known_cjk()
        if found is not None:
            _save_font_cache()
    if found is not None:
        _FOUND.append(found)
    return found


def _clear_found() -> None:
    """Forget the font found (tests that change the font manager)."""
    _FOUND.clear()


cjk_font.cache_clear = _clear_found  # type: ignore[attr-defined]


def _add_cjk_files() -> bool:
    """Add the CJK font files on disk to matplotlib's font manager; whether any was added."""
    paths = {p for pattern in CJK_FONT_GLOBS for p in glob.glob(pattern)}
    paths |= {
        p
        for p in font_manager.findSystemFonts()
        if any(k in Path(p).name.lower().replace("_", "") for k in _CJK_FILES)
    }
    added = False
    for path in sorted(paths):
        with contextlib.suppress(Exception):  # an unreadable font file is skipped
            font_manager.fontManager.addfont(path)
            added = True
    return added


def _save_font_cache() -> None:
    """Rewrite matplotlib's font cache with the fonts added (a read-only config folder is left as is)."""
    cache = Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    with contextlib.suppress(OSError, AttributeError):
        font_manager.json_dump(font_manager.fontManager, cache)


def _known_cjk() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _metric(gdf: gpd.GeoDataFrame | None, crs) -> gpd.GeoDataFrame | None:
    if gdf is None or not len(gdf):
        return None
    return gdf.to_crs(crs)


def _assumption_note(inputs: MapInputs, lang: str, limit: int = 5) -> str:
    """One footnote line per assumption (the first ``limit``), so the PNG carries them too."""
    lines = assumption_lines(inputs, lang, limit)
    if not lines:
        return ""
    width = 150 if lang == "en" else 75
    return say("figure.assumptions", lang) + "\n".join(textwrap.shorten(line, width) for line in lines)


def coverage_png(
    inputs: MapInputs,
    *,
    service: str,
    lang: str = "zh",
    size_in: tuple[float, float] = (8.0, 8.0),
    dpi: int = 150,
) -> bytes:
    """Draw one service's coverage as a PNG and return its bytes (see `coverage_figure`)."""
    fig, rc = coverage_figure(inputs, service=service, lang=lang, size_in=size_in, dpi=dpi)
    with matplotlib.rc_context(rc):
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def coverage_figure(
    inputs: MapInputs,
    *,
    service: str,
    lang: str = "zh",
    size_in: tuple[float, float] = (8.0, 8.0),
    dpi: int = 150,
) -> tuple[Figure, dict]:
    """Draw one service's coverage; return the figure and the rc settings (fonts) to save it with.

    Admin units (outlines), the service's isochrones (lighter for longer tiers), demand points
    (blue within reach, red beyond the circle, purple with no walking route), facilities,
    ranked proposed sites, a scale bar and a north arrow. Geometry is drawn in the local UTM
    zone so distances read true. Chinese labels need a CJK font (e.g. Debian's
    ``fonts-noto-cjk``); without one the figure falls back to English labels with a warning.

    Parameters
    ----------
    inputs
        The same tables as the HTML map (see `lifecircle.maps.webmap.MapInputs`).
    service
        The service to draw (``elderly``, ``childcare``, …).
    lang
        ``zh`` or ``en``.
    size_in, dpi
        Figure size in inches and resolution.
    """
    check_lang(lang)
    font = cjk_font()
    if lang == "zh" and font is None:
        warnings.warn(say("figure.no_cjk_font", "en"), stacklevel=2)
        lang = "en"
    inputs = lonlat(inputs)
    tables = [inputs.admin, inputs.isochrones, inputs.demand, inputs.facilities, inputs.sites]
    present = [g for g in tables if g is not None and len(g)]
    if not present:
        raise ValueError(say("figure.nothing_to_draw", "en"))
    crs = present[0].estimate_utm_crs()
    admin, iso, demand, fac, sites = (_metric(g, crs) for g in tables)

    rc = {"font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"], "axes.unicode_minus": False}
    with matplotlib.rc_context(rc):
        fig = Figure(figsize=size_in, dpi=dpi)
        ax = fig.subplots()
        if admin is not None:
            admin.boundary.plot(ax=ax, color="#666666", linewidth=0.6, zorder=1)
        handles = [
            *_draw_isochrones(ax, iso, service, lang),
            *_draw_demand(ax, demand, service, service in inputs.no_data, lang),
            *_draw_facilities(ax, fac, service, lang),
            *_draw_sites(ax, sites, service, lang),
        ]
        _draw_frame(ax, handles, f"{code_label(service, lang)} · {t('figure', lang)}", lang)
        note = _assumption_note(inputs, lang)
        if note:
            # parse_math off: a "$" in an input path (the DEM) would otherwise be read as mathtext
            fig.text(
                0.01,
                0.005,
                note,
                fontsize=5.5,
                color="#444444",
                ha="left",
                va="bottom",
                wrap=True,
                parse_math=False,
            )
        fig.tight_layout(rect=(0, 0.06 if note else 0, 1, 1))
    return fig, rc


def _dot(color: str, label: str, markersize: float | None = None) -> Line2D:
    """A legend entry drawn as a dot."""
    size = {} if markersize is None else {"markersize": markersize}
    return Line2D([], [], marker="o", linestyle="", color=color, label=label, **size)


def _draw_isochrones(ax, iso: gpd.GeoDataFrame | None, service: str, lang: str) -> list:
    """The service's isochrones, lighter for longer tiers; one legend entry per tier."""
    if iso is None or "service" not in iso.columns:
        return []
    handles = []
    part = iso.loc[iso["service"].astype(str) == service]
    color = SERVICE_COLORS.get(service, "#756bb1")
    minutes = pd.to_numeric(part["minutes"], errors="coerce")
    for k, m in enumerate(sorted(minutes.dropna().unique(), reverse=True)):
        tier = part.loc[minutes == m]
        tier.plot(ax=ax, color=color, alpha=0.12 + 0.1 * min(k, 3), linewidth=0, zorder=2)
        tier.boundary.plot(ax=ax, color=color, linewidth=0.8, zorder=2)
        handles.append(Patch(color=color, alpha=0.3, label=say("map.isochrone", lang, minutes=f"{m:g}")))
    return handles


def _draw_demand(ax, demand: gpd.GeoDataFrame | None, service: str, no_data: bool, lang: str) -> list:
    """Demand points: within reach, beyond the circle, no walking route (or grey: no data)."""
    if demand is None:
        return []
    pts = shapely.point_on_surface(demand.geometry.to_numpy())
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    if no_data:  # no facility list: no times to class
        ax.scatter(x, y, s=2.0, color="#b0b0b0", linewidths=0, zorder=3)
        return [_dot("#b0b0b0", t("no_facility_list", lang))]
    classes = demand_classes(demand, service)
    if classes is None:
        return []
    reached, covered = classes
    handles = []
    for mask, color, size, key in (
        (covered, _COVERED, 2.0, "covered"),
        (reached & ~covered, UNCOVERED, 5.0, "uncovered"),
        (~reached, UNREACHED, 5.0, "unreached"),
    ):
        if mask.any():
            ax.scatter(x[mask], y[mask], s=size, color=color, linewidths=0, zorder=3)
            handles.append(_dot(color, t(key, lang), markersize=5))
    return handles


def _draw_facilities(ax, fac: gpd.GeoDataFrame | None, service: str, lang: str) -> list:
    """The service's facilities: existing ones solid, planned ones hollow and dashed."""
    if fac is None or "service" not in fac.columns:
        return []
    part = fac.loc[fac["service"].astype(str) == service]
    if not len(part):
        return []
    planned = (
        part.get("status", pd.Series("existing", index=part.index)).astype(str) != "existing"
    ).to_numpy()
    pts = shapely.point_on_surface(part.geometry.to_numpy())
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    ax.scatter(x[~planned], y[~planned], s=40, color="#222222", edgecolors="white", linewidths=0.8, zorder=4)
    ax.scatter(
        x[planned],
        y[planned],
        s=40,
        facecolors="none",
        edgecolors="#222222",
        linewidths=1.2,
        linestyle="--",
        zorder=4,
    )
    return [_dot("#222222", say("map.facilities_of", lang, service=code_label(service, lang)), markersize=6)]


def _draw_sites(ax, sites: gpd.GeoDataFrame | None, service: str, lang: str) -> list:
    """The service's proposed sites, numbered by rank."""
    if sites is None or "service" not in sites.columns:
        return []
    part = sites.loc[sites["service"].astype(str) == service]
    if not len(part):
        return []
    rank = pd.to_numeric(part.get("rank", pd.Series(np.nan, index=part.index)), errors="coerce")
    rank = rank.fillna(pd.Series(np.arange(1, len(part) + 1), index=part.index)).astype(int)
    pts = shapely.point_on_surface(part.geometry.to_numpy())
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    color = SITE_COLORS.get(service, "#54278f")
    ax.scatter(x, y, s=170, color=color, edgecolors="white", linewidths=1.2, zorder=5)
    for xi, yi, r in zip(x, y, rank, strict=True):  # a handful of sites, one label each
        ax.annotate(
            str(r), (xi, yi), ha="center", va="center", color="white", fontsize=7, fontweight="bold", zorder=6
        )
    return [_dot(color, t("sites_layer", lang), markersize=8)]


def _draw_frame(ax, handles: list, title: str, lang: str) -> None:
    """Equal axes without ticks, a scale bar, a north arrow, the legend and the title."""
    ax.set_aspect("equal")
    ax.set_axis_off()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bar = nice_length(x1 - x0)
    bx, by = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    ax.plot([bx, bx + bar], [by, by], color="black", linewidth=3, solid_capstyle="butt", zorder=7)
    label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    ax.text(bx + bar / 2, by + 0.015 * (y1 - y0), label, ha="center", va="bottom", fontsize=8, zorder=7)
    ax.annotate(
        say("plot.north", lang),
        xy=(0.96, 0.95),
        xytext=(0.96, 0.87),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=10,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black"},
    )
    if handles:
        ax.legend(handles=handles, loc="upper left", fontsize=7, framealpha=0.9)
    ax.set_title(title, fontsize=11)
