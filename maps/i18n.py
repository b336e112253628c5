"""Labels for everything a planner reads: Chinese first, English with ``--lang en``."""

from __future__ import annotations

LANGS = ("zh", "en")

_LABELS: dict[str, tuple[str, str]] = {
    # network summary
    "network": ("步行路网", "Walk network"),
    "source": ("数据来源", "Source"),
    "crs": ("计算坐标系", "Metric CRS"),
    "nodes": ("节点数", "Nodes"),
    "edges": ("路段数", "Edges"),
    "length_km": ("总长度（公里）", "Total length (km)"),
    "steps_km": ("台阶长度（公里）", "Steps (km)"),
    "components": ("连通分量", "Connected components"),
    "dropped": ("已舍弃（非最大连通分量）", "Dropped (outside the giant component)"),
    "bbox": ("范围（WGS84）", "Extent (WGS84)"),
    "km_by_class": ("各类道路长度（公里）", "Length by class (km)"),
    "class": ("道路类别", "Class"),
    "saved": ("已保存", "Saved"),
    "error": ("错误", "Error"),
}


def t(key: str, lang: str = "zh") -> str:
    """Return the label for ``key`` in ``lang`` (``zh`` or ``en``); unknown keys come back as is."""
    zh, en = _LABELS.get(key, (key, key))
    return en if lang == "en" else zh
