"""The report's inline SVG coverage figure: what it draws, where, and that it scales true."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from test_maps import EVIL, synthetic_inputs

from lifecircle.maps.figure_svg import assumption_lines, coverage_svg, nice_length
from lifecircle.maps.inputs import MapInputs


@pytest.fixture(scope="module")
def inputs() -> MapInputs:
    return synthetic_inputs()


def _tree(svg: str) -> ET.Element:
    return ET.fromstring(str(svg))


def _dot_count(path: ET.Element) -> int:
    return path.get("d").count("h0")


def test_elderly_figure_draws_each_class_tier_facility_and_site(inputs):
    root = _tree(coverage_svg(inputs, service="elderly"))
    paths = root.findall("path")
    tiers = [p for p in paths if p.get("fill-rule") == "evenodd"]
    assert len(tiers) == 2  # the 10- and 15-minute tiers, longest first and lightest
    assert [float(p.get("fill-opacity")) for p in tiers] == [0.12, 0.22]
    dots = {p.get("stroke"): p for p in paths if p.get("stroke-linecap") == "round"}
    assert set(dots) == {"#3182bd", "#e31a1c", "#6a3d9a"}  # covered, beyond the circle, no route
    assert _dot_count(dots["#6a3d9a"]) == 7  # the seven homes without a walking route
    groups = root.findall("g")
    solid, hollow = groups[0].findall("circle"), groups[1].findall("circle")
    assert (len(solid), len(hollow)) == (2, 1)  # two existing elderly facilities, one planned
    ranks = [t.text for t in groups[2].findall("text")]
    assert sorted(ranks) == ["1", "2"]
    texts = " ".join(t.text or "" for t in root.iter("text"))
    assert "10分钟步行圈" in texts and "北" in texts


def test_covered_dots_match_the_times(inputs):
    root = _tree(coverage_svg(inputs, service="childcare"))
    dots = {p.get("stroke"): p for p in root.findall("path") if p.get("stroke-linecap") == "round"}
    d = inputs.demand
    covered = int((d["time_s_childcare"] <= 900.0).sum())
    # merged per half pixel: never more dots than homes, and at 720 px wide barely any merge
    assert covered - 5 <= _dot_count(dots["#3182bd"]) <= covered
    assert "#6a3d9a" not in dots  # every home reaches a childcare facility


def test_scale_bar_reads_true():
    """Two homes 2,000 m apart east-west are drawn as far apart as a 2 km bar is long."""
    lat = 29.55
    dlon = 2000.0 / (6_371_008.8 * np.pi / 180.0 * np.cos(np.radians(lat)))
    demand = gpd.GeoDataFrame(
        {"time_s_elderly": [100.0, 100.0], "threshold_s_elderly": [900.0, 900.0]},
        geometry=gpd.points_from_xy([106.5, 106.5 + 5 * dlon], [lat, lat]),
        crs=4326,
    )
    root = _tree(coverage_svg(MapInputs(demand=demand, services=("elderly",)), service="elderly"))
    xs = [float(x) for x in re.findall(r"M([\d.]+),[\d.]+h0", root.find("path").get("d"))]
    px_per_m = (max(xs) - min(xs)) / 10_000.0
    bar = next(r for r in root.findall("rect") if r.get("fill") == "black")
    label = next(t.text for t in root.iter("text") if t.text and t.text.endswith("km"))
    assert label == "2 km" and nice_length(10_000.0) == 2000.0
    assert float(bar.get("width")) == pytest.approx(2000.0 * px_per_m, rel=0.005)


def test_english_no_data_and_escaping(inputs):
    svg = str(coverage_svg(replace(inputs, no_data=("elderly",)), service="elderly", lang="en"))
    root = _tree(svg)
    texts = [t.text for t in root.iter("text")]
    assert "no facility list" in " ".join(texts).lower()
    dots = [p for p in root.findall("path") if p.get("stroke-linecap") == "round"]
    assert [p.get("stroke") for p in dots] == ["#b0b0b0"]  # grey: times unknown, not "no route"
    assert EVIL not in svg and "<script" not in svg
    with pytest.raises(ValueError):
        coverage_svg(MapInputs(), service="elderly")


def test_assumption_lines_carry_values(inputs):
    lines = assumption_lines(inputs, "zh")
    assert lines[0].startswith("老年人步行速度取0.9米/秒") and "0.9" in lines[0]
    assert len(assumption_lines(inputs, "zh", limit=1)) == 1


def test_the_frame_holds_what_is_drawn_not_the_isochrones_after(inputs):
    """Isochrones with the proposal open are not drawn, so however far they reach the figure is the same."""
    far = inputs.isochrones.iloc[:1].copy()
    far["service"] = "elderly_after"
    far.geometry = far.geometry.translate(0.5, 0.5)  # some 50 km north-east
    wider = replace(inputs, isochrones=gpd.GeoDataFrame(pd.concat([inputs.isochrones, far]), crs=4326))
    assert str(coverage_svg(wider, service="elderly")) == str(coverage_svg(inputs, service="elderly"))
    moved = far.assign(service="childcare")  # an isochrone that is drawn moves the frame
    other = replace(inputs, isochrones=gpd.GeoDataFrame(pd.concat([inputs.isochrones, moved]), crs=4326))
    assert str(coverage_svg(other, service="elderly")) != str(coverage_svg(inputs, service="elderly"))
