"""Small charts for the map's panel, as inline SVG (no library, no network): walking times, coverage by unit.

Every text from the inputs (unit names) is escaped here; the SVG is handed to the page template
as markup.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from markupsafe import Markup

from ..geodata.common import say
from .i18n import code_label, t
from .inputs import MapInputs
from .layers_units import LEVELS
from .scene import Scene
from .style import (
    PRIMARY_GROUP,
    SHARE_COLORS,
    TIME_BINS_MIN,
    TIME_COLORS,
    UNCOVERED,
    UNREACHED,
    minutes_text,
    share_classes,
)

#: Units shown at most in a bar chart (the worst, or the largest gains).
MAX_BARS = 12
_W = 300
_FONT = 'font-family="Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif" font-size="10"'


@dataclass(frozen=True)
class Chart:
    """One chart of the panel: its title, the SVG (or ``None`` with a note), the view it belongs to."""

    title: str
    svg: Markup | None
    note: str = ""
    view: str | None = None


def _svg(height: int, body: list[str], label: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lc-chart" width="{_W}" height="{height}" '
        f'viewBox="0 0 {_W} {height}" role="img" aria-label="{html.escape(label)}" {_FONT}>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _num(v: float, lang: str) -> str:
    """A head count as a reader writes it (thousands separated)."""
    del lang  # both languages group thousands with a comma
    return f"{v:,.0f}"


def time_chart(minutes: np.ndarray, weights: np.ndarray, threshold_min: np.ndarray, lang: str) -> Markup:
    """Bars of people by walking time: 5-minute classes, then no route.

    The part of each bar beyond the people's own threshold is framed in red.
    """
    edges = (0.0, *TIME_BINS_MIN)
    reached = np.isfinite(minutes)
    idx = np.where(reached, np.digitize(minutes, TIME_BINS_MIN, right=True), len(edges))
    beyond = reached & (minutes > threshold_min)
    n = len(edges) + 1
    total = np.bincount(idx, weights=weights, minlength=n)[:n]
    over = np.bincount(idx[beyond], weights=weights[beyond], minlength=n)[:n]
    labels = [f"{minutes_text(lo)}–{minutes_text(hi)}" for lo, hi in itertools.pairwise(edges)]
    labels += [f">{minutes_text(edges[-1])}", t("no_route_short", lang)]
    colors = [*TIME_COLORS, UNREACHED]
    top, base, bw = 14, 112, (_W - 20) / n
    scale = (base - top) / max(float(total.max()), 1.0)
    body = []
    for i in range(n):
        x = 10 + i * bw
        h_all, h_over = total[i] * scale, over[i] * scale
        if total[i] > 0:
            body.append(
                f'<rect x="{x + 2:.1f}" y="{base - h_all:.1f}" width="{bw - 4:.1f}" height="{h_all:.1f}" '
                f'fill="{colors[i]}" stroke="#555" stroke-width="0.5"/>'
            )
        if over[i] > 0 and i < len(edges):
            body.append(
                f'<rect x="{x + 2:.1f}" y="{base - h_over:.1f}" width="{bw - 4:.1f}" height="{h_over:.1f}" '
                f'fill="none" stroke="{UNCOVERED}" stroke-width="2"/>'
            )
        body.append(
            f'<text x="{x + bw / 2:.1f}" y="{base + 12}" text-anchor="middle">{html.escape(labels[i])}</text>'
        )
        if total[i] > 0:
            body.append(
                f'<text x="{x + bw / 2:.1f}" y="{base - h_all - 2:.1f}" text-anchor="middle" font-size="8">'
                f"{_num(total[i], lang)}</text>"
            )
    body.append(f'<line x1="8" y1="{base}" x2="{_W - 8}" y2="{base}" stroke="#333"/>')
    return _svg(base + 18, body, t("walk_time", lang))


def bar_chart(names: Sequence[str], values: np.ndarray, kind: str, lang: str) -> Markup:
    """Horizontal bars, one per unit in the order given.

    ``kind`` is ``"share"`` (0–1, coloured by class) or ``"people"`` (green).
    """
    values = np.asarray(values, dtype=float)
    row, left = 16, 96
    width = _W - left - 46
    finite = values[np.isfinite(values)]
    vmax = 1.0 if kind == "share" else max(float(finite.max()) if len(finite) else 1.0, 1.0)
    classes = share_classes(values) if kind == "share" else np.zeros(len(values), dtype=int)
    body = []
    for i, (name, v) in enumerate(zip(names, values, strict=True)):
        y = 4 + i * row
        label = str(name) if len(str(name)) <= 9 else str(name)[:8] + "…"
        body.append(f'<text x="{left - 4}" y="{y + 11}" text-anchor="end">{html.escape(label)}</text>')
        if np.isfinite(v):
            w = max(width * v / vmax, 1.0)
            fill = SHARE_COLORS[int(classes[i])] if kind == "share" else "#00a651"
            text = f"{100 * v:.1f}%" if kind == "share" else _num(v, lang)
            body.append(
                f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" fill="{fill}" '
                f'stroke="#555" stroke-width="0.5"/>'
                f'<text x="{left + w + 3:.1f}" y="{y + 11}">{html.escape(text)}</text>'
            )
        else:
            body.append(
                f'<text x="{left + 3}" y="{y + 11}" fill="#777">{html.escape(t("no_data", lang))}</text>'
            )
    return _svg(8 + row * len(values), body, t("coverage_share", lang))


def charts(inputs: MapInputs, scene: Scene) -> list[Chart]:
    """The panel's charts: walking times per service key, coverage by unit, people newly reached by unit."""
    out = [c for service in scene.services for c in _service_charts(inputs, scene, service)]
    out += _gain_charts(inputs, scene)
    return out


def _weights(demand: pd.DataFrame, service: str) -> tuple[np.ndarray, str]:
    """People per point of the service's main group (or all residents, or one per point) and its label key."""
    for group in (PRIMARY_GROUP.get(service, "pop_total"), "pop_total"):
        if group in demand.columns:
            w = pd.to_numeric(demand[group], errors="coerce").fillna(0.0).to_numpy(dtype=float)
            return w, group
    return np.ones(len(demand)), "demand"


def _service_charts(inputs: MapInputs, scene: Scene, service: str) -> list[Chart]:
    lang, view = scene.lang, scene.view(service)
    demand, out = inputs.demand, []
    if demand is not None and len(demand) and f"time_s_{service}" in demand.columns:
        w, group = _weights(demand, service)
        title = say("map.chart.times", lang, service=scene.label(service), group=t(group, lang))
        if service in inputs.no_data:
            out.append(Chart(title, None, t("no_facility_list", lang), view))
        else:
            sec = pd.to_numeric(demand[f"time_s_{service}"], errors="coerce").to_numpy(dtype=float)
            thr_col = (
                f"threshold_s_{service}" if f"threshold_s_{service}" in demand.columns else "threshold_s"
            )
            thr = pd.to_numeric(demand[thr_col], errors="coerce").to_numpy(dtype=float) / 60.0
            minutes = np.where(np.isnan(sec), np.inf, sec) / 60.0
            covered = float(w[minutes <= thr].sum())
            note = say(
                "map.chart.covered",
                lang,
                share=100 * covered / w.sum() if w.sum() else np.nan,
                people=covered,
            )
            out.append(Chart(title, time_chart(minutes, w, thr, lang), note, view))
    unit = _unit_chart(inputs.admin, service, scene)
    return out + ([unit] if unit is not None else [])


def _unit_chart(admin: pd.DataFrame | None, service: str, scene: Scene) -> Chart | None:
    """Coverage share by unit of the finest level with shares, worst first."""
    main = PRIMARY_GROUP.get(service, "pop_total")
    col = f"share_{service}_{main}" if admin is not None and f"share_{service}_{main}" in admin else None
    if col is None and admin is not None:
        col = next((c for c in admin.columns if c.startswith(f"share_{service}_pop")), None)
    if admin is None or col is None or "name" not in admin.columns:
        return None
    levels = (
        admin["level"].fillna("").astype(str)
        if "level" in admin.columns
        else pd.Series("", index=admin.index)
    )
    present = [lv for lv in LEVELS if (levels == lv).any() and lv != "district"] or sorted(set(levels))
    sub = admin.loc[levels == present[0]]
    share = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float)
    order = np.argsort(np.where(np.isfinite(share), share, np.inf), kind="stable")[:MAX_BARS]
    names = sub["name"].astype(str).to_numpy()[order]
    lang = scene.lang
    note = say("map.chart.worst", lang, shown=len(order), total=len(sub)) if len(sub) > len(order) else ""
    title = say(
        "map.chart.units", lang, service=scene.label(service), group=t(col.rsplit(f"{service}_", 1)[-1], lang)
    )
    return Chart(title, bar_chart(list(names), share[order], "share", lang), note, scene.view(service))


def _gain_charts(inputs: MapInputs, scene: Scene) -> list[Chart]:
    """People newly within reach by unit (a comparison), the largest gains first."""
    uc = inputs.unit_changes
    if uc is None or not len(uc):
        return []
    out = []
    lang = scene.lang
    for service in [s for s in scene.services if (uc["service"].astype(str) == s).any()]:
        sub = uc.loc[uc["service"].astype(str) == service]
        gain = pd.to_numeric(sub["gain"], errors="coerce").to_numpy(dtype=float)
        order = np.argsort(-np.nan_to_num(gain, nan=-np.inf), kind="stable")[:MAX_BARS]
        names = sub["unit"].astype(str).to_numpy()[order]
        title = say("map.chart.gains", lang, service=code_label(service, lang))
        note = say("map.chart.top", lang, shown=len(order), total=len(sub)) if len(sub) > len(order) else ""
        out.append(Chart(title, bar_chart(list(names), gain[order], "people", lang), note, None))
    return out
