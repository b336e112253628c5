"""The project's own bad-input matrix: every command × the classic bad inputs, in both languages.

Each case runs the console entry point in-process (`lifecircle.scenarios.cli.main`, with
``sys.argv`` set) twice, in Chinese (the default) and with ``--lang en``, with the working folder
set to a folder of small inputs. Each run must: exit with the case's code (2 for bad input), print
no traceback, print the error as one line (``错误：…。`` in Chinese, ``Error: ….`` in English, and
really in each language), write nothing (no output, no ``.x.*`` staging leftovers) and change no
file that was there before (path, sha256 and mtime of every file). A dozen cases also go through
the installed console script in a subprocess.

The inputs are tiny (a 5 × 5 street grid in central Chongqing, ten demand points, two facilities)
so almost every case runs in well under a second. Cases named ``control-…`` are the good inputs
the bad ones are made from: they must succeed.

Path traversal: a scenario may name data in a parent folder (``../shared/data/…``), so ``../`` is
not an error in itself; a path that lands on a file that is not data (``/etc/passwd``) must give
the usual "not a … file" sentence.

Cases that fail today for a cause outside the geodata readers are strict xfails listed in
`KNOWN` by cause.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import yaml

# -- the inputs ---------------------------------------------------------------------------------

#: South-west corner of the street grid (WGS84) and its spacing (about 97 m × 100 m).
X0, Y0, DX, DY = 106.550, 29.550, 0.001, 0.0009
#: Far from the grid (Beijing): 1,400 km away.
FAR = (116.40, 39.90)
TRAVERSAL = "../" * 24 + "etc/passwd"

GOOD_SCENARIO: dict = {
    "name": "small",
    "jurisdiction": "chongqing",
    "network": {"source": "roads.geojson"},
    "services": ["elderly", "childcare"],
    "facilities": [{"path": "fac.csv", "crs": "wgs84"}],
    "demand": {
        "kind": "table",
        "path": "demand.csv",
        "crs": "wgs84",
        "group_cols": {"pop_60": "pop_60", "pop_0_3": "pop_0_3"},
    },
    "siting": {"service": "elderly", "model": "mclp", "p": 1, "candidates": {"kind": "grid"}},
}
#: Demand spread over building footprints with known totals (for the totals/levels fields).
BUILDINGS_DEMAND: dict = {"kind": "buildings", "path": "buildings.geojson", "totals": {"pop_total": 1000}}
FLOOR_DEMAND: dict = {"kind": "floor_area", "path": "buildings.geojson"}

DELETE = object()


def _patched(base: dict, changes: dict) -> dict:
    """A deep copy of ``base`` with ``changes`` applied: dotted keys (``siting.p``), list indexes."""
    out = json.loads(json.dumps(base))
    for dotted, value in changes.items():
        keys = [int(k) if k.isdigit() else k for k in dotted.split(".")]
        node = out
        for k in keys[:-1]:
            node = node[k] if isinstance(node, list) else node.setdefault(k, {})
        if value is DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return out


def _grid_lines() -> list[shapely.LineString]:
    lines = []
    for i in range(6):
        for j in range(5):
            lines.append(shapely.LineString([(X0 + j * DX, Y0 + i * DY), (X0 + (j + 1) * DX, Y0 + i * DY)]))
            lines.append(shapely.LineString([(X0 + i * DX, Y0 + j * DY), (X0 + i * DX, Y0 + (j + 1) * DY)]))
    return lines


def _feature_collection(rows: list[dict], geoms: list[dict]) -> str:
    feats = [{"type": "Feature", "properties": r, "geometry": g} for r, g in zip(rows, geoms, strict=True)]
    return json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)


def _write_lines(path: Path, coords: list[list[list[float]]], cls: str = "residential", **extra) -> Path:
    rows = [{"osm_id": str(i), "fclass": cls, **extra} for i in range(len(coords))]
    geoms = [{"type": "LineString", "coordinates": c} for c in coords]
    path.write_text(_feature_collection(rows, geoms), encoding="utf-8")
    return path


def _osm_xml(lines: list[shapely.LineString]) -> str:
    nodes: dict[tuple[float, float], int] = {}
    ways = []
    for w, line in enumerate(lines, start=1):
        refs = [nodes.setdefault((round(x, 7), round(y, 7)), len(nodes) + 1) for x, y in line.coords]
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        ways.append(f'<way id="{w}" version="1">{nds}<tag k="highway" v="residential"/></way>')
    xml_nodes = [f'<node id="{i}" version="1" lat="{y}" lon="{x}"/>' for (x, y), i in nodes.items()]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
        + "\n".join(xml_nodes + ways)
        + "\n</osm>\n"
    )


def _csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(",".join(str(v) for v in r) for r in rows) + "\n").encode(encoding))
    return path


FAC_HEADER = ["编号", "名称", "经度", "纬度", "床位数", "服务类型"]
FAC_ROWS = [["E1", "甲站", 106.5512, 29.5512, 30, "养老"], ["C1", "乙园", 106.5535, 29.5530, 20, "托育"]]
DEMAND_HEADER = ["id", "lon", "lat", "population", "pop_60", "pop_0_3"]


def _demand_rows() -> list[list]:
    lon = [round(X0 + 0.0005 + (n % 5) * DX, 6) for n in range(10)]
    lat = [round(Y0 + 0.0004 + (n // 5) * 2 * DY, 6) for n in range(10)]
    return [[f"D{n}", lon[n], lat[n], 100 + 10 * n, 20 + n, 3] for n in range(10)]


def _fac_with(**cells) -> list[list]:
    """The facility table with cells of the first row replaced (keys are header names)."""
    rows = [list(r) for r in FAC_ROWS]
    for key, value in cells.items():
        rows[0][FAC_HEADER.index(key)] = value
    return [FAC_HEADER, *rows]


def _demand_with(col: str, value, row: int = 0) -> list[list]:
    rows = _demand_rows()
    rows[row][DEMAND_HEADER.index(col)] = value
    return [DEMAND_HEADER, *rows]


def _raster(path: Path, values: np.ndarray, *, crs: str | None = "EPSG:4326") -> Path:
    import rasterio
    from affine import Affine

    h, w = values.shape
    with rasterio.open(
        path, "w", driver="GTiff", height=h, width=w, count=1, dtype="float32",
        crs=crs, transform=Affine(5 * DX / w, 0.0, X0, 0.0, -5 * DY / h, Y0 + 5 * DY),
    ) as dst:  # fmt: skip
        dst.write(values.astype("float32"), 1)
    return path


def _half(src: Path, dst: Path) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) // 2])
    return dst


def build_inputs(d: Path) -> None:
    """Write the small good inputs and their broken variants into ``d``."""
    from lifecircle.geodata.demand import demand_from_table, write_demand
    from lifecircle.geodata.sources import embedded_pbf

    grid = _grid_lines()
    coords = [[list(c) for c in line.coords] for line in grid]
    roads = _write_lines(d / "roads.geojson", coords)
    lines = gpd.read_file(roads)
    lines.to_file(d / "roads.gpkg", driver="GPKG")
    lines.to_file(d / "roads.shp")
    for ext in (".shp", ".shx", ".prj"):
        shutil.copy(d / f"roads{ext}", d / f"nodbf{ext}")
    # ---- network variants
    (d / "empty.geojson").write_bytes(b"")
    (d / "empty.gpkg").write_bytes(b"")
    (d / "empty.osm").write_bytes(b"")
    (d / "empty.osm.pbf").write_bytes(b"")
    (d / "empty.csv").write_bytes(b"")
    (d / "empty.xlsx").write_bytes(b"")
    (d / "empty.tif").write_bytes(b"")
    (d / "empty.yaml").write_bytes(b"")
    _half(roads, d / "truncated.geojson")
    _half(d / "roads.gpkg", d / "truncated.gpkg")
    _half(embedded_pbf().parent / "test.osm.pbf", d / "truncated.osm.pbf")
    osm = d / "small.osm"
    osm.write_text(_osm_xml(grid), encoding="utf-8")
    _half(osm, d / "truncated.osm")
    (d / "notxml.osm").write_text("this is not OSM XML\n", encoding="utf-8")
    (d / "notbz2.osm.bz2").write_bytes(b"not bzip2 data at all")
    (d / "notgz.osm.gz").write_bytes(b"not gzip data at all")
    (d / "garbage.gpkg").write_bytes(os.urandom(4096))
    (d / "garbage.zip").write_bytes(b"PK\x03\x04" + b"\x00garbage" * 64)
    (d / "garbage.fgb").write_bytes(b"fgb\x03garbage" * 16)
    (d / "garbage.pbf").write_bytes(os.urandom(2048))
    (d / "nofeatures.geojson").write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    (d / "toplist.geojson").write_text("[1, 2, 3]", encoding="utf-8")
    pts = [{"type": "Point", "coordinates": c[0]} for c in coords]
    (d / "points.geojson").write_text(_feature_collection([{"fclass": "footway"}] * len(pts), pts), "utf-8")
    nulls = [None] * len(coords)
    (d / "nullgeom.geojson").write_text(
        _feature_collection([{"fclass": "footway"}] * len(nulls), nulls), "utf-8"
    )
    _write_lines(d / "swapped_roads.geojson", [[[y, x] for x, y in c] for c in coords])
    _write_lines(d / "huge_roads.geojson", [[[x * 1e300, y * 1e300] for x, y in c] for c in coords])
    _write_lines(d / "far_roads.geojson", [[[x + 10, y + 10] for x, y in c] for c in coords])
    text = roads.read_text(encoding="utf-8")
    nan_text = text.replace(str(coords[0][0][0]), "NaN", 1)
    (d / "nan_roads.geojson").write_text(nan_text, encoding="utf-8")
    (d / "bom_roads.geojson").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    gbk = _feature_collection(
        [{"fclass": "residential", "name": "解放碑步行街"}] * len(coords),
        [{"type": "LineString", "coordinates": c} for c in coords],
    )
    (d / "gbk_roads.geojson").write_bytes(gbk.encode("gb18030"))
    # ---- facilities
    _csv(d / "fac.csv", [FAC_HEADER, *FAC_ROWS], "utf-8-sig")
    _csv(d / "fac_gbk.csv", [FAC_HEADER, *FAC_ROWS], "gb18030")
    _csv(d / "fac_header_only.csv", [FAC_HEADER])
    _csv(d / "fac_nan_cap.csv", _fac_with(床位数="nan"))
    _csv(d / "fac_neg_cap.csv", _fac_with(床位数=-30))
    _csv(d / "fac_inf_cap.csv", _fac_with(床位数="inf"))
    _csv(d / "fac_huge_cap.csv", _fac_with(床位数="1e999"))
    _csv(d / "fac_text_cap.csv", _fac_with(床位数="三十张"))
    places = [["编号", "名称", "经度", "纬度", "托位数"], ["C1", "乙园", 106.5535, 29.5530, -20]]
    _csv(d / "fac_neg_places.csv", places)
    _csv(d / "fac_nan_lon.csv", _fac_with(经度="nan"))
    _csv(d / "fac_inf_lat.csv", _fac_with(纬度="inf"))
    _csv(d / "fac_text_lat.csv", _fac_with(纬度="北纬29度"))
    _csv(d / "fac_huge_lon.csv", _fac_with(经度="1e300"))
    _csv(d / "fac_swapped.csv", [FAC_HEADER] + [[r[0], r[1], r[3], r[2], r[4], r[5]] for r in FAC_ROWS])
    _csv(d / "fac_far.csv", [FAC_HEADER] + [[r[0], r[1], *FAR, r[4], r[5]] for r in FAC_ROWS])
    _csv(d / "fac_dup.csv", [FAC_HEADER, *FAC_ROWS, ["E1", "丙站", 106.552, 29.552, 10, "养老"]])
    _csv(d / "fac_noservice.csv", [FAC_HEADER[:5]] + [r[:5] for r in FAC_ROWS])
    _csv(d / "fac_badservice.csv", _fac_with(服务类型="医院"))
    fac = read_fac_table(d / "fac.csv")
    fac.to_file(d / "fac.geojson", driver="GeoJSON")
    fac.to_file(d / "fac.gpkg", driver="GPKG")
    fac.drop(columns="geometry").assign(lon=fac.geometry.x, lat=fac.geometry.y).to_excel(
        d / "fac.xlsx", index=False
    )
    _half(d / "fac.xlsx", d / "truncated.xlsx")
    (d / "garbage.xlsx").write_bytes(b"PK\x03\x04 not a workbook" * 8)
    (d / "garbage.csv").write_bytes(os.urandom(512).replace(b"\n", b"x"))
    # ---- demand
    _csv(d / "demand.csv", [DEMAND_HEADER, *_demand_rows()])
    _csv(d / "demand_header_only.csv", [DEMAND_HEADER])
    for col, tag in (("population", "pop"), ("lon", "lon")):
        for label, value in (
            ("nan", "nan"),
            ("neg", -100),
            ("inf", "inf"),
            ("huge", "1e999"),
            ("text", "many"),
        ):
            _csv(d / f"demand_{label}_{tag}.csv", _demand_with(col, value))
    _csv(d / "demand_overflow.csv", [DEMAND_HEADER] + [[*r[:3], 1e308, 1e307, 1e306] for r in _demand_rows()])
    _csv(d / "demand_zero.csv", [DEMAND_HEADER] + [[*r[:3], 0, 0, 0] for r in _demand_rows()])
    _csv(d / "demand_swapped.csv", [DEMAND_HEADER] + [[r[0], r[2], r[1], *r[3:]] for r in _demand_rows()])
    _csv(d / "demand_far.csv", [DEMAND_HEADER] + [[r[0], *FAR, *r[3:]] for r in _demand_rows()])
    _csv(d / "demand_dup.csv", [DEMAND_HEADER, *_demand_rows(), ["D0", X0, Y0, 5, 1, 1]])
    _csv(
        d / "demand_gbk.csv",
        [["编号", "经度", "纬度", "常住人口"]] + [[*r[:4]] for r in _demand_rows()],
        "gb18030",
    )
    dem = demand_from_table(
        d / "demand.csv", crs="wgs84", group_cols={"pop_60": "pop_60", "pop_0_3": "pop_0_3"}
    )
    write_demand(dem, d / "demand_site.gpkg")
    write_demand(dem, d / "demand_site.csv")
    zero = dem.table.assign(pop_60=0.0, pop_total=0.0)
    write_demand(zero, d / "demand_site_zero.gpkg")
    far = dem.table.copy()
    far.geometry = gpd.points_from_xy(far.geometry.x + 10, far.geometry.y + 10)
    write_demand(far, d / "demand_site_far.gpkg")
    _raster(d / "pop.tif", np.full((5, 5), 10.0))
    _raster(d / "pop_neg.tif", np.full((5, 5), -10.0))
    _raster(d / "pop_nan.tif", np.full((5, 5), np.nan))
    _raster(d / "pop_inf.tif", np.full((5, 5), np.inf))
    _raster(d / "pop_nocrs.tif", np.full((5, 5), 10.0), crs=None)
    _half(d / "pop.tif", d / "truncated.tif")
    (d / "garbage.tif").write_bytes(b"II*\x00" + os.urandom(256))
    # buildings: 25 squares of about 30 m × 30 m, one per block
    squares = [
        shapely.box(X0 + (i + 0.3) * DX, Y0 + (j + 0.3) * DY, X0 + (i + 0.6) * DX, Y0 + (j + 0.6) * DY)
        for i in range(5)
        for j in range(5)
    ]
    footprints = {"id": [f"B{i}" for i in range(25)], "building": "residential", "building:levels": 4}
    gpd.GeoDataFrame(footprints, geometry=squares, crs=4326).to_file(d / "buildings.geojson")
    # admin units: the grid's district, and two polygons sharing a code but not a name
    area = shapely.box(X0 - DX, Y0 - DY, X0 + 6 * DX, Y0 + 6 * DY)
    gpd.GeoDataFrame({"code": ["500103"], "name": ["渝中区"]}, geometry=[area], crs=4326).to_file(
        d / "units.geojson"
    )
    halves = [
        shapely.box(X0 - DX, Y0 - DY, X0 + 2 * DX, Y0 + 6 * DY),
        shapely.box(X0 + 2 * DX, Y0 - DY, X0 + 6 * DX, Y0 + 6 * DY),
    ]
    shared_code = {"code": ["500103001", "500103001"], "name": ["解放碑街道", "朝天门街道"]}
    gpd.GeoDataFrame(shared_code, geometry=halves, crs=4326).to_file(d / "units_dup.geojson")
    gpd.GeoDataFrame({"code": ["500103"], "name": ["渝中区"]}, geometry=[area.boundary], crs=4326).to_file(
        d / "units_lines.geojson"
    )
    _csv(d / "totals.csv", [["code", "pop_total", "pop_60"], ["500103", 1000, 200]])
    _csv(d / "totals_dup.csv", [["code", "pop_total"], ["500103", 1000], ["500103", 900]])
    _csv(d / "totals_neg.csv", [["code", "pop_total"], ["500103", -1000]])
    _csv(d / "totals_nan.csv", [["code", "pop_total"], ["500103", "nan"]])
    _csv(d / "totals_zero.csv", [["code", "pop_total"], ["500103", 0]])
    # ---- candidates for siting
    cand = gpd.GeoDataFrame(
        {"id": ["s1", "s2", "s3"], "cost": [10.0, 20.0, 30.0], "beds": [40.0, 20.0, 10.0]},
        geometry=gpd.points_from_xy([X0 + DX, X0 + 3 * DX, X0 + 5 * DX], [Y0 + DY, Y0 + 3 * DY, Y0 + 5 * DY]),
        crs=4326,
    )
    cand.to_file(d / "cand.geojson")
    cand.assign(id=["s1", "s1", "s3"]).to_file(d / "cand_dup.geojson")
    cand.assign(beds=0.0).to_file(d / "cand_zero_cap.geojson")
    cand.assign(cost=[-10.0, 20.0, 30.0]).to_file(d / "cand_neg_cost.geojson")
    cand.assign(cost=[np.nan, 20.0, 30.0]).to_file(d / "cand_nan_cost.geojson")
    cand.assign(beds=[-5.0, 20.0, 10.0]).to_file(d / "cand_neg_cap.geojson")
    cand.assign(geometry=gpd.points_from_xy([FAR[0]] * 3, [FAR[1]] * 3)).to_file(d / "cand_far.geojson")
    # ---- files that are not what they claim to be, and folders
    (d / "folder.geojson").mkdir()
    (d / "folder.csv").mkdir()
    (d / "folder.yaml").mkdir()
    (d / "folder.tif").mkdir()
    (d / "keepdir").mkdir()
    (d / "keepdir" / "notes.txt").write_text("a planner's notes\n", encoding="utf-8")
    shutil.copy(d / "roads.gpkg", d / "keep.gpkg")
    (d / "keep.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (d / "report.docx").write_bytes(b"PK\x03\x04 a word document")
    # ---- scenarios
    (d / "sub").mkdir()
    parent = _patched(
        GOOD_SCENARIO, {"network.source": "../roads.geojson", "facilities.0.path": "../fac.csv"}
    )
    parent = _patched(parent, {"demand.path": "../demand_zero.csv"})
    (d / "sub" / "s_parent.yaml").write_text(yaml.safe_dump(parent, allow_unicode=True), encoding="utf-8")
    for name, text in SCENARIO_TEXTS.items():
        (d / f"{name}.yaml").write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    for name, (base, changes) in SCENARIO_PATCHES.items():
        (d / f"s_{name}.yaml").write_text(
            yaml.safe_dump(_patched(base, changes), allow_unicode=True, sort_keys=False), encoding="utf-8"
        )


def read_fac_table(path: Path) -> gpd.GeoDataFrame:
    from lifecircle.geodata.facilities import read_facilities

    return read_facilities(path, crs="wgs84")


# -- scenarios ------------------------------------------------------------------------------------

GOOD_YAML = yaml.safe_dump(GOOD_SCENARIO, allow_unicode=True, sort_keys=False)
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)

#: Scenario files written as they are.
SCENARIO_TEXTS: dict[str, str | bytes] = {
    "good": GOOD_YAML,
    "y_list": "- name: small\n- demand: {kind: table}\n",
    "y_scalar": "just a sentence\n",
    "y_number": "42\n",
    "y_invalid": "name: small\ndemand: {kind: table, path: demand.csv\n",
    "y_tabs": "name: small\ndemand:\n\tkind: table\n",
    "y_truncated": GOOD_YAML[: len(GOOD_YAML) // 2] + "\n  - {path: fac.csv, crs: [wgs84",
    "y_gbk": GOOD_YAML.replace("small", "小区情景").encode("gb18030"),
    "y_utf16": GOOD_YAML.encode("utf-16"),
    "y_binary": bytes(range(256)),
    "y_bom": "\ufeff" + GOOD_YAML.replace("demand.csv", "demand_zero.csv"),
    "y_laughs": LAUGHS + "name: *i\n",
    "y_laughs_list": LAUGHS + "name: small\nservices: *i\ndemand: {kind: table, path: demand.csv}\n",
    "y_deep": "name: " + "[" * 5000 + "]" * 5000 + "\n",
    "y_dupkey": GOOD_YAML + "name: again\n",
    "y_null_demand": GOOD_YAML.replace("demand:", "old_demand:", 1) + "demand: null\n",
    "y_python_tag": "name: !!python/object/apply:os.system ['echo hi']\ndemand: {kind: table, path: d.csv}\n",
}

#: Scenario files written as the good scenario (or ``base``) with fields changed.
SCENARIO_PATCHES: dict[str, tuple[dict, dict]] = {
    # unknown keys at every level
    "unknown_top": (GOOD_SCENARIO, {"colour": "red"}),
    "unknown_network": (GOOD_SCENARIO, {"network.colour": "red"}),
    "unknown_study_area": (
        GOOD_SCENARIO,
        {"study_area": {"bbox": [106.54, 29.54, 106.56, 29.56], "colour": 1}},
    ),
    "unknown_boundary": (GOOD_SCENARIO, {"study_area": {"boundary": {"path": "units.geojson", "colour": 1}}}),
    "unknown_facility": (GOOD_SCENARIO, {"facilities.0.colour": "red"}),
    "unknown_facility_column": (GOOD_SCENARIO, {"facilities.0.columns": {"colour": "名称"}}),
    "unknown_demand": (GOOD_SCENARIO, {"demand.colour": "red"}),
    "unknown_demand_group": (GOOD_SCENARIO, {"demand.group_cols.pop_99": "pop_60"}),
    "unknown_admin": (
        GOOD_SCENARIO,
        {"admin": [{"path": "units.geojson", "level": "district", "colour": 1}]},
    ),
    "unknown_threshold_service": (GOOD_SCENARIO, {"thresholds": {"eldery": {"urban": 10}}}),
    "unknown_threshold_key": (GOOD_SCENARIO, {"thresholds": {"elderly": {"urbn": 10}}}),
    "unknown_profile_service": (GOOD_SCENARIO, {"profiles": {"eldery": {"speed_mps": 1.0}}}),
    "unknown_profile_key": (GOOD_SCENARIO, {"profiles": {"elderly": {"speed": 1.0}}}),
    "unknown_siting": (GOOD_SCENARIO, {"siting.colour": "red"}),
    "unknown_candidates": (GOOD_SCENARIO, {"siting.candidates.colour": "red"}),
    "unknown_outputs": (GOOD_SCENARIO, {"outputs": {"colour": "red"}}),
    "unknown_distributed": (GOOD_SCENARIO, {"distributed": {"colour": "red"}}),
    "unknown_service": (GOOD_SCENARIO, {"services": ["elderly", "hospital"]}),
    "unknown_jurisdiction": (GOOD_SCENARIO, {"jurisdiction": "atlantis"}),
    "missing_name": (GOOD_SCENARIO, {"name": DELETE}),
    "missing_demand": (GOOD_SCENARIO, {"demand": DELETE}),
    # wrong types
    "type_name_list": (GOOD_SCENARIO, {"name": [1, 2]}),
    "type_services_str": (GOOD_SCENARIO, {"services": "elderly"}),
    "type_services_empty": (GOOD_SCENARIO, {"services": []}),
    "type_facilities_map": (GOOD_SCENARIO, {"facilities": {"path": "fac.csv"}}),
    "type_network_str": (GOOD_SCENARIO, {"network": "roads.geojson"}),
    "type_demand_kind": (GOOD_SCENARIO, {"demand.kind": "density"}),
    "type_threshold_text": (GOOD_SCENARIO, {"thresholds": {"elderly": {"urban": "ten"}}}),
    "type_tiers_text": (GOOD_SCENARIO, {"outputs": {"tiers": "5,10"}}),
    "type_p_float": (GOOD_SCENARIO, {"siting.p": 1.5}),
    "type_p_text": (GOOD_SCENARIO, {"siting.p": "three"}),
    "type_model": (GOOD_SCENARIO, {"siting.model": "kmeans"}),
    "type_lang": (GOOD_SCENARIO, {"outputs": {"lang": "fr"}}),
    "type_tiles": (GOOD_SCENARIO, {"distributed": {"tiles": "2x2"}}),
    # numbers: zero, negative, NaN, infinite, huge
    "p_zero": (GOOD_SCENARIO, {"siting.p": 0}),
    "p_negative": (GOOD_SCENARIO, {"siting.p": -1}),
    "budget_negative": (GOOD_SCENARIO, {"siting.model": "budget", "siting.budget": -1}),
    "budget_nan": (GOOD_SCENARIO, {"siting.model": "budget", "siting.budget": float("nan")}),
    "budget_inf": (GOOD_SCENARIO, {"siting.model": "budget", "siting.budget": float("inf")}),
    "capacity_zero": (GOOD_SCENARIO, {"siting.model": "capacitated", "siting.capacity": 0}),
    "per_1000_negative": (GOOD_SCENARIO, {"siting.model": "capacitated", "siting.per_1000": -4.5}),
    "time_limit_zero": (GOOD_SCENARIO, {"siting.time_limit_s": 0}),
    "time_limit_nan": (GOOD_SCENARIO, {"siting.time_limit_s": float("nan")}),
    "spacing_zero": (GOOD_SCENARIO, {"siting.candidates.spacing_m": 0}),
    "spacing_negative": (GOOD_SCENARIO, {"siting.candidates.spacing_m": -200}),
    "spacing_nan": (GOOD_SCENARIO, {"siting.candidates.spacing_m": float("nan")}),
    "spacing_tiny": (GOOD_SCENARIO, {"siting.candidates.spacing_m": 1e-9}),
    "min_area_negative": (GOOD_SCENARIO, {"siting.candidates": {"kind": "buildings", "min_area_m2": -1}}),
    "max_candidates_zero": (GOOD_SCENARIO, {"siting.candidates.max_candidates": 0}),
    "max_snap_zero": (GOOD_SCENARIO, {"outputs": {"max_snap_m": 0}}),
    "max_snap_nan": (GOOD_SCENARIO, {"outputs": {"max_snap_m": float("nan")}}),
    "max_snap_inf": (GOOD_SCENARIO, {"outputs": {"max_snap_m": float("inf")}}),
    "access_width_nan": (GOOD_SCENARIO, {"outputs": {"access_width_m": float("nan")}}),
    "tiers_negative": (GOOD_SCENARIO, {"outputs": {"tiers": [-5, 10]}}),
    "tiers_nan": (GOOD_SCENARIO, {"outputs": {"tiers": [float("nan")]}}),
    "tiers_huge": (GOOD_SCENARIO, {"outputs": {"tiers": [1e9]}}),
    "threshold_negative": (GOOD_SCENARIO, {"thresholds": {"elderly": {"urban": -1}}}),
    "threshold_nan": (GOOD_SCENARIO, {"thresholds": {"elderly": {"urban": float("nan")}}}),
    "threshold_huge": (GOOD_SCENARIO, {"thresholds": {"elderly": {"urban": 1e9}}}),
    "speed_zero": (GOOD_SCENARIO, {"profiles": {"elderly": {"speed_mps": 0}}}),
    "speed_nan": (GOOD_SCENARIO, {"profiles": {"elderly": {"speed_mps": float("nan")}}}),
    "steps_factor_big": (GOOD_SCENARIO, {"profiles": {"elderly": {"steps_factor": 2}}}),
    "tiles_zero": (GOOD_SCENARIO, {"distributed": {"tiles": [0, 2]}}),
    "retries_huge": (GOOD_SCENARIO, {"distributed": {"retries": 99}}),
    "totals_negative": (GOOD_SCENARIO, {"demand": {**BUILDINGS_DEMAND, "totals": {"pop_total": -1}}}),
    "totals_nan": (GOOD_SCENARIO, {"demand": {**BUILDINGS_DEMAND, "totals": {"pop_total": float("nan")}}}),
    "totals_inf": (GOOD_SCENARIO, {"demand": {**BUILDINGS_DEMAND, "totals": {"pop_total": float("inf")}}}),
    "totals_zero": (GOOD_SCENARIO, {"demand": {**BUILDINGS_DEMAND, "totals": {"pop_total": 0}}}),
    "totals_text": (GOOD_SCENARIO, {"demand": {**BUILDINGS_DEMAND, "totals": {"pop_total": "many"}}}),
    "share_above_one": (GOOD_SCENARIO, {"demand": {**FLOOR_DEMAND, "group_shares": {"pop_60": 1.5}}}),
    "share_negative": (GOOD_SCENARIO, {"demand": {**FLOOR_DEMAND, "group_shares": {"pop_60": -0.1}}}),
    "share_nan": (GOOD_SCENARIO, {"demand": {**FLOOR_DEMAND, "group_shares": {"pop_60": float("nan")}}}),
    "persons_per_m2_negative": (GOOD_SCENARIO, {"demand": {**FLOOR_DEMAND, "persons_per_m2": -0.025}}),
    "persons_per_m2_inf": (GOOD_SCENARIO, {"demand": {**FLOOR_DEMAND, "persons_per_m2": float("inf")}}),
    "levels_negative": (GOOD_SCENARIO, {"demand": {**FLOOR_DEMAND, "default_levels": -3}}),
    "levels_nan": (GOOD_SCENARIO, {"demand": {**FLOOR_DEMAND, "default_levels": float("nan")}}),
    # the study area
    "bbox_swapped": (GOOD_SCENARIO, {"study_area": {"bbox": [29.54, 106.54, 29.56, 106.56]}}),
    "bbox_three": (GOOD_SCENARIO, {"study_area": {"bbox": [106.54, 29.54, 106.56]}}),
    "bbox_inf": (GOOD_SCENARIO, {"study_area": {"bbox": [106.54, 29.54, float("inf"), 29.56]}}),
    "bbox_nan": (GOOD_SCENARIO, {"study_area": {"bbox": [float("nan"), 29.54, 106.56, 29.56]}}),
    "bbox_far": (GOOD_SCENARIO, {"study_area": {"bbox": [10.0, 10.0, 10.1, 10.1]}}),
    "bbox_and_adcode": (
        GOOD_SCENARIO,
        {"study_area": {"bbox": [106.54, 29.54, 106.56, 29.56], "adcode": "500103"}},
    ),
    "adcode_text": (GOOD_SCENARIO, {"study_area": {"adcode": "yuzhong"}}),
    "boundary_missing": (GOOD_SCENARIO, {"study_area": {"boundary": {"path": "absent.geojson"}}}),
    "boundary_lines": (GOOD_SCENARIO, {"study_area": {"boundary": {"path": "units_lines.geojson"}}}),
    "boundary_passwd": (GOOD_SCENARIO, {"study_area": {"boundary": {"path": "/etc/passwd"}}}),
    # data paths
    "data_dir_missing": (GOOD_SCENARIO, {"data_dir": "no_such_folder"}),
    "network_missing": (GOOD_SCENARIO, {"network.source": "absent.geojson"}),
    "network_folder": (GOOD_SCENARIO, {"network.source": "folder.geojson"}),
    "network_passwd": (GOOD_SCENARIO, {"network.source": "/etc/passwd"}),
    "network_traversal": (GOOD_SCENARIO, {"network.source": TRAVERSAL}),
    "network_crs_bad": (GOOD_SCENARIO, {"network.crs": "epsg:999999"}),
    "dem_missing": (GOOD_SCENARIO, {"network.dem": "absent.tif"}),
    "dem_garbage": (GOOD_SCENARIO, {"network.dem": "garbage.tif"}),
    "dem_folder": (GOOD_SCENARIO, {"network.dem": "folder.tif"}),
    "facility_missing": (GOOD_SCENARIO, {"facilities.0.path": "absent.csv"}),
    "facility_passwd": (GOOD_SCENARIO, {"facilities.0.path": "/etc/passwd"}),
    "facility_traversal": (GOOD_SCENARIO, {"facilities.0.path": TRAVERSAL}),
    "facility_folder": (GOOD_SCENARIO, {"facilities.0.path": "folder.csv"}),
    "facility_dup_ids": (GOOD_SCENARIO, {"facilities.0.path": "fac_dup.csv"}),
    "facility_far": (GOOD_SCENARIO, {"facilities.0.path": "fac_far.csv"}),
    "facility_neg_cap": (GOOD_SCENARIO, {"facilities.0.path": "fac_neg_cap.csv"}),
    "facility_no_source": (GOOD_SCENARIO, {"facilities.0": {"crs": "wgs84"}}),
    "facility_crs_mars": (GOOD_SCENARIO, {"facilities.0.crs": "mars2000"}),
    "facility_status": (GOOD_SCENARIO, {"facilities.0.status": "closed"}),
    "facility_sheet": (
        GOOD_SCENARIO,
        {"facilities.0": {"path": "fac.xlsx", "crs": "wgs84", "sheet": "nope"}},
    ),
    "demand_missing": (GOOD_SCENARIO, {"demand.path": "absent.csv"}),
    "demand_passwd": (GOOD_SCENARIO, {"demand.path": "/etc/passwd"}),
    "demand_traversal": (GOOD_SCENARIO, {"demand.path": TRAVERSAL}),
    "demand_dup_ids": (GOOD_SCENARIO, {"demand.path": "demand_dup.csv"}),
    "demand_far": (GOOD_SCENARIO, {"demand.path": "demand_far.csv"}),
    "demand_zero": (GOOD_SCENARIO, {"demand.path": "demand_zero.csv"}),
    "demand_overflow": (GOOD_SCENARIO, {"demand.path": "demand_overflow.csv"}),
    "demand_pop_col": (GOOD_SCENARIO, {"demand.pop_col": "residents"}),
    "demand_raster_garbage": (GOOD_SCENARIO, {"demand": {"kind": "raster", "path": "garbage.tif"}}),
    "demand_raster_negative": (GOOD_SCENARIO, {"demand": {"kind": "raster", "path": "pop_neg.tif"}}),
    "admin_missing": (GOOD_SCENARIO, {"admin": [{"path": "absent.geojson", "level": "street"}]}),
    "admin_dup_codes": (GOOD_SCENARIO, {"admin": [{"path": "units_dup.geojson", "level": "street"}]}),
    "admin_lines": (GOOD_SCENARIO, {"admin": [{"path": "units_lines.geojson", "level": "district"}]}),
    "admin_level": (GOOD_SCENARIO, {"admin": [{"path": "units.geojson", "level": "province"}]}),
    "siting_group": (GOOD_SCENARIO, {"siting.group": "pop_99"}),
    "siting_service": (GOOD_SCENARIO, {"siting.service": "hospital"}),
    "siting_service_newline": (GOOD_SCENARIO, {"siting.service": "eld\nerly"}),
    "siting_p_missing": (GOOD_SCENARIO, {"siting.p": DELETE}),
    "candidates_file_missing": (
        GOOD_SCENARIO,
        {"siting.candidates": {"kind": "file", "path": "absent.geojson"}},
    ),
    "candidates_no_path": (GOOD_SCENARIO, {"siting.candidates": {"kind": "file"}}),
    "candidates_dup_ids": (
        GOOD_SCENARIO,
        {"siting.candidates": {"kind": "file", "path": "cand_dup.geojson"}},
    ),
    "candidates_zero_capacity": (
        GOOD_SCENARIO,
        {
            "siting.model": "capacitated",
            "siting.candidates": {"kind": "file", "path": "cand_zero_cap.geojson", "capacity_col": "beds"},
        },
    ),
    "candidates_neg_cost": (
        GOOD_SCENARIO,
        {
            "siting.model": "budget",
            "siting.budget": 50,
            "siting.candidates": {"kind": "file", "path": "cand_neg_cost.geojson", "cost_col": "cost"},
        },
    ),
    "candidates_nan_cost": (
        GOOD_SCENARIO,
        {
            "siting.model": "budget",
            "siting.budget": 50,
            "siting.candidates": {"kind": "file", "path": "cand_nan_cost.geojson", "cost_col": "cost"},
        },
    ),
    "candidates_cost_col": (
        GOOD_SCENARIO,
        {
            "siting.model": "budget",
            "siting.budget": 50,
            "siting.candidates": {"kind": "file", "path": "cand.geojson", "cost_col": "price"},
        },
    ),
}


# -- the cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    """One command line (run in the inputs folder) and what must come of it.

    ``may_write`` is a name prefix a successful run (``code=0``) may write under; anything else
    new is a failure.
    """

    argv: tuple[str, ...]
    code: int = 2
    says: str = ""  # an English fragment the message must hold
    may_write: str | None = None


#: Why a case fails today, by cause (each outside the geodata readers). The cases are strict
#: xfails: remove an entry once its fix lands (an entry that passes fails the suite).
_KNOWN_BY_CAUSE: dict[str, list[str]] = {}
KNOWN: dict[str, str] = {name: cause for cause, names in _KNOWN_BY_CAUSE.items() for name in names}


def case(name: str, command: str, *, code: int = 2, says: str = "", may_write: str | None = None):
    """A `Bad` case named ``name``: ``command`` is the command line after ``lifecircle``."""
    reason = KNOWN.get(name)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(Bad(tuple(command.split()), code, says, may_write), id=name, marks=marks)


NET = "roads.geojson"
SWAP = "29.54,106.54,29.56,106.56"  # a bbox around the grid, latitude first
FAC = "-f fac.csv --facilities-crs wgs84"
COV = f"coverage {NET} {FAC} -d demand.csv"
COVB = f"coverage {NET} {FAC} -d buildings.geojson --demand-kind buildings --out c.gpkg"
COVF = f"coverage {NET} --facilities-crs wgs84 -d demand.csv --out c.gpkg"
SITE_LSCP = f"site {NET} -d demand_site.gpkg"
SITE = f"{SITE_LSCP} --model mclp --p 1"
CAP = f"{SITE_LSCP} --model capacitated --p 1 --per-1000 40"
BUD = f"{SITE_LSCP} --model budget --budget 50"
DEM = "demand demand.csv --crs wgs84"
FLOOR = "demand buildings.geojson --kind floor-area"
BLD = "demand buildings.geojson --total 1000"
TOT = "demand buildings.geojson --units units.geojson --totals"


def _cases() -> list:
    return [
        # ---- the good inputs the bad ones are made from
        case("control-network", f"network {NET}", code=0),
        case("control-facilities", "facilities fac.csv --crs wgs84", code=0),
        case("control-demand", DEM, code=0),
        case("control-site", SITE, code=0),
        case("control-coverage", f"{COV} --out c.gpkg", code=0, may_write="c"),
        case("control-compare", "compare run_good --out new_cmp", code=0, may_write="new_cmp"),
        case("network-missing-geojson", "network absent.geojson", says="no such file"),
        case("network-missing-pbf", "network absent.osm.pbf", says="no such file"),
        case("network-empty-geojson", "network empty.geojson"),
        case("network-empty-gpkg", "network empty.gpkg"),
        case("network-empty-osm", "network empty.osm"),
        case("network-empty-pbf", "network empty.osm.pbf"),
        case("network-truncated-geojson", "network truncated.geojson"),
        case("network-truncated-gpkg", "network truncated.gpkg"),
        case("network-truncated-osm", "network truncated.osm"),
        case("network-truncated-pbf", "network truncated.osm.pbf"),
        case("network-notxml-osm", "network notxml.osm"),
        case("network-not-bz2", "network notbz2.osm.bz2"),
        case("network-not-gz", "network notgz.osm.gz"),
        case("network-garbage-gpkg", "network garbage.gpkg"),
        case("network-garbage-zip", "network garbage.zip"),
        case("network-garbage-fgb", "network garbage.fgb"),
        case("network-garbage-pbf", "network garbage.pbf"),
        case("network-shp-without-dbf", "network nodbf.shp", says=".dbf"),
        case("network-no-features", "network nofeatures.geojson", says="no features"),
        case("network-json-list", "network toplist.geojson"),
        case("network-points-not-lines", "network points.geojson"),
        case("network-null-geometries", "network nullgeom.geojson"),
        case("network-nan-coordinate", "network nan_roads.geojson", says="not numbers"),
        case("network-huge-coordinates", "network huge_roads.geojson", says="out of range"),
        case("network-swapped-lonlat", "network swapped_roads.geojson", says="swapped"),
        case("network-folder", "network folder.geojson", says="folder"),
        case("network-passwd", "network /etc/passwd", says="unknown network format"),
        case("network-traversal", f"network {TRAVERSAL}", says="unknown network format"),
        case("network-docx", "network report.docx", says="unknown network format"),
        case("network-gbk-geojson", "network gbk_roads.geojson", says="UTF-8"),
        case("network-bom-geojson-reads", "network bom_roads.geojson", code=0),
        case("network-osm-xml-reads", "network small.osm", code=0),
        case("network-clip-swapped", f"network {NET} --clip {SWAP}", says="swapped"),
        case("network-clip-nan", f"network {NET} --clip nan,29.54,106.56,29.56"),
        case("network-clip-inf", f"network {NET} --clip -inf,-inf,inf,inf"),
        case("network-clip-huge", f"network {NET} --clip 0,0,1e308,1e308"),
        case("network-clip-text", f"network {NET} --clip a,b,c,d"),
        case("network-clip-reversed", f"network {NET} --clip 106.56,29.56,106.54,29.54"),
        case("network-clip-far", f"network {NET} --clip 10,10,10.1,10.1"),
        case("network-clip-missing-file", f"network {NET} --clip absent.geojson"),
        case("network-clip-lines", f"network {NET} --clip units_lines.geojson"),
        case("network-clip-garbage", f"network {NET} --clip garbage.gpkg"),
        case("network-clip-crs-mars", f"network {NET} --clip units.geojson --clip-crs mars2000"),
        case("network-lines-crs-unknown", f"network {NET} --lines-crs epsg:999999"),
        case("network-lines-crs-nan", f"network {NET} --lines-crs nan"),
        case("network-out-txt", f"network {NET} --out net.txt"),
        case("network-out-existing-file", f"network {NET} --out keep.gpkg"),
        case("network-out-existing-folder", f"network {NET} --out keepdir"),
        case("network-out-under-file", f"network {NET} --out keep.csv/net.gpkg"),
        case("network-out-proc", f"network {NET} --out /proc/net.gpkg"),
        case("facilities-missing-csv", "facilities absent.csv --crs wgs84", says="no such file"),
        case("facilities-missing-xlsx", "facilities absent.xlsx --crs wgs84", says="no such file"),
        case("facilities-empty-csv", "facilities empty.csv --crs wgs84"),
        case("facilities-empty-xlsx", "facilities empty.xlsx --crs wgs84"),
        case("facilities-header-only", "facilities fac_header_only.csv --crs wgs84"),
        case("facilities-truncated-xlsx", "facilities truncated.xlsx --crs wgs84"),
        case("facilities-garbage-xlsx", "facilities garbage.xlsx --crs wgs84"),
        case("facilities-garbage-csv", "facilities garbage.csv --crs wgs84"),
        case("facilities-garbage-gpkg", "facilities garbage.gpkg"),
        case("facilities-truncated-geojson", "facilities truncated.geojson"),
        case("facilities-empty-geojson", "facilities empty.geojson"),
        case("facilities-no-features", "facilities nofeatures.geojson"),
        case("facilities-shp-without-dbf", "facilities nodbf.shp", says=".dbf"),
        case("facilities-truncated-pbf", "facilities truncated.osm.pbf"),
        case("facilities-notxml-osm", "facilities notxml.osm"),
        case("facilities-folder", "facilities folder.csv --crs wgs84", says="folder"),
        case("facilities-passwd", "facilities /etc/passwd", says="unknown facility table format"),
        case("facilities-traversal", f"facilities {TRAVERSAL}", says="unknown facility table format"),
        case("facilities-capacity-nan-is-unknown", "facilities fac_nan_cap.csv --crs wgs84", code=0),
        case("facilities-capacity-negative", "facilities fac_neg_cap.csv --crs wgs84"),
        case("facilities-capacity-inf", "facilities fac_inf_cap.csv --crs wgs84"),
        case("facilities-capacity-huge", "facilities fac_huge_cap.csv --crs wgs84"),
        case("facilities-capacity-text", "facilities fac_text_cap.csv --crs wgs84"),
        case("facilities-places-negative", "facilities fac_neg_places.csv --crs wgs84 --service childcare"),
        case("facilities-lon-nan", "facilities fac_nan_lon.csv --crs wgs84"),
        case("facilities-lat-inf", "facilities fac_inf_lat.csv --crs wgs84"),
        case("facilities-lat-text", "facilities fac_text_lat.csv --crs wgs84"),
        case("facilities-lon-huge", "facilities fac_huge_lon.csv --crs wgs84"),
        case("facilities-swapped-gcj02", "facilities fac_swapped.csv --crs gcj02", says="swapped"),
        case("facilities-swapped-wgs84", "facilities fac_swapped.csv --crs wgs84", says="swapped"),
        case("facilities-duplicate-ids", "facilities fac_dup.csv --crs wgs84", says="duplicate ids"),
        case("facilities-bad-service-value", "facilities fac_badservice.csv --crs wgs84"),
        case("facilities-crs-mars", "facilities fac.csv --crs mars2000"),
        case("facilities-crs-unknown-epsg", "facilities fac.csv --crs epsg:999999"),
        case("facilities-service-unknown", "facilities fac.csv --crs wgs84 --service hospital"),
        case("facilities-status-unknown", "facilities fac.csv --crs wgs84 --status closed"),
        case("facilities-column-no-equals", "facilities fac.csv --crs wgs84 --column name"),
        case("facilities-column-unknown-field", "facilities fac.csv --crs wgs84 --column colour=名称"),
        case("facilities-column-absent-header", "facilities fac.csv --crs wgs84 --column capacity=核定"),
        case("facilities-sheet-absent", "facilities fac.xlsx --crs wgs84 --sheet nope"),
        case("facilities-layer-absent", "facilities fac.gpkg --sheet nope"),
        case("facilities-clip-swapped", f"facilities embedded --clip {SWAP}", says="swapped"),
        case("facilities-clip-outside-extract", "facilities embedded --clip 10,10,10.1,10.1"),
        case("facilities-gbk-csv-reads", "facilities fac_gbk.csv --crs wgs84", code=0),
        case(
            "facilities-no-service-column-with-service",
            "facilities fac_noservice.csv --crs wgs84 --service elderly",
            code=0,
        ),
        case("facilities-out-xlsx", "facilities fac.csv --crs wgs84 --out f.xlsx"),
        case("facilities-out-existing-file", "facilities fac.csv --crs wgs84 --out keep.csv"),
        case("facilities-out-same-as-input", "facilities fac.csv --crs wgs84 --out fac.csv"),
        case("facilities-out-folder", "facilities fac.csv --crs wgs84 --out folder.csv"),
        case("facilities-out-under-file", "facilities fac.csv --crs wgs84 --out keep.csv/f.csv"),
        case("facilities-out-proc", "facilities fac.csv --crs wgs84 --out /proc/f.csv"),
        case("demand-missing-csv", "demand absent.csv --crs wgs84", says="no such file"),
        case("demand-empty-csv", "demand empty.csv --crs wgs84"),
        case("demand-header-only", "demand demand_header_only.csv --crs wgs84"),
        case("demand-garbage-csv", "demand garbage.csv --crs wgs84"),
        case("demand-empty-xlsx", "demand empty.xlsx --crs wgs84"),
        case("demand-garbage-xlsx", "demand garbage.xlsx --crs wgs84"),
        case("demand-truncated-xlsx", "demand truncated.xlsx --crs wgs84"),
        case("demand-garbage-gpkg", "demand garbage.gpkg"),
        case("demand-truncated-geojson", "demand truncated.geojson"),
        case("demand-shp-without-dbf", "demand nodbf.shp", says=".dbf"),
        case("demand-folder", "demand folder.csv", says="folder"),
        case("demand-passwd", "demand /etc/passwd"),
        case("demand-traversal", f"demand {TRAVERSAL}"),
        case("demand-population-nan", "demand demand_nan_pop.csv --crs wgs84"),
        case("demand-population-negative", "demand demand_neg_pop.csv --crs wgs84"),
        case("demand-population-inf", "demand demand_inf_pop.csv --crs wgs84"),
        case("demand-population-huge", "demand demand_huge_pop.csv --crs wgs84"),
        case("demand-population-text", "demand demand_text_pop.csv --crs wgs84"),
        case("demand-population-overflow", "demand demand_overflow.csv --crs wgs84"),
        case("demand-population-zero", "demand demand_zero.csv --crs wgs84"),
        case("demand-lon-nan", "demand demand_nan_lon.csv --crs wgs84"),
        case("demand-lon-inf", "demand demand_inf_lon.csv --crs wgs84"),
        case("demand-lon-huge", "demand demand_huge_lon.csv --crs wgs84"),
        case("demand-lon-text", "demand demand_text_lon.csv --crs wgs84"),
        case("demand-swapped", "demand demand_swapped.csv --crs wgs84", says="swapped"),
        case("demand-duplicate-ids", "demand demand_dup.csv --crs wgs84", says="repeats ids"),
        case("demand-gbk-csv-reads", "demand demand_gbk.csv --crs wgs84", code=0),
        case("demand-pop-col-absent", f"{DEM} --pop-col residents"),
        case("demand-kind-unknown", "demand demand.csv --kind density"),
        case("demand-crs-mars", "demand demand.csv --crs mars2000"),
        case("demand-crs-unknown-epsg", "demand demand.csv --crs epsg:999999"),
        case("demand-raster-empty", "demand empty.tif"),
        case("demand-raster-truncated", "demand truncated.tif"),
        case("demand-raster-garbage", "demand garbage.tif"),
        case("demand-raster-folder", "demand folder.tif"),
        case("demand-raster-negative", "demand pop_neg.tif"),
        case("demand-raster-nan", "demand pop_nan.tif"),
        case("demand-raster-inf", "demand pop_inf.tif"),
        case("demand-raster-no-crs", "demand pop_nocrs.tif"),
        case("demand-buildings-total-negative", "demand buildings.geojson --total -5"),
        case("demand-buildings-total-nan", "demand buildings.geojson --total nan"),
        case("demand-buildings-total-inf", "demand buildings.geojson --total inf"),
        case("demand-buildings-total-zero", "demand buildings.geojson --total 0"),
        case("demand-buildings-total-text", "demand buildings.geojson --total many"),
        case("demand-buildings-no-total", "demand buildings.geojson --kind buildings"),
        case("demand-buildings-levels-negative", f"{BLD} --levels -3"),
        case("demand-group-total-negative", f"{BLD} --group-total pop_60=-1"),
        case("demand-group-total-nan", f"{BLD} --group-total pop_60=nan"),
        case("demand-group-total-inf", f"{BLD} --group-total pop_60=inf"),
        case("demand-group-total-above-total", f"{BLD} --group-total pop_60=5000"),
        case("demand-group-total-text", f"{BLD} --group-total pop_60=many"),
        case("demand-group-total-unknown-group", f"{BLD} --group-total pop_99=10"),
        case("demand-share-above-one", f"{FLOOR} --share pop_60=1.5"),
        case("demand-share-negative", f"{FLOOR} --share pop_60=-0.2"),
        case("demand-share-nan", f"{FLOOR} --share pop_60=nan"),
        case("demand-share-text", f"{FLOOR} --share pop_60=many"),
        case("demand-share-unknown-group", f"{FLOOR} --share pop_99=0.1"),
        case("demand-persons-per-m2-negative", f"{FLOOR} --persons-per-m2 -0.025"),
        case("demand-persons-per-m2-zero", f"{FLOOR} --persons-per-m2 0"),
        case("demand-persons-per-m2-nan", f"{FLOOR} --persons-per-m2 nan"),
        case("demand-persons-per-m2-inf", f"{FLOOR} --persons-per-m2 inf"),
        case("demand-levels-negative", f"{FLOOR} --levels -3"),
        case("demand-levels-zero", f"{FLOOR} --levels 0"),
        case("demand-levels-nan", f"{FLOOR} --levels nan"),
        case("demand-levels-huge", f"{FLOOR} --levels 1e9"),
        case("demand-totals-missing", f"{TOT} absent.csv"),
        case("demand-totals-without-units", "demand buildings.geojson --totals totals.csv"),
        case("demand-totals-duplicate-codes", f"{TOT} totals_dup.csv"),
        case("demand-totals-negative", f"{TOT} totals_neg.csv"),
        case("demand-totals-nan", f"{TOT} totals_nan.csv"),
        case("demand-totals-zero", f"{TOT} totals_zero.csv"),
        case("demand-units-missing", f"{DEM} --units absent.geojson"),
        case("demand-units-garbage", f"{DEM} --units garbage.gpkg"),
        case("demand-units-shp-without-dbf", f"{DEM} --units nodbf.shp", says=".dbf"),
        case("demand-units-lines", f"{DEM} --units units_lines.geojson"),
        case(
            "demand-units-duplicate-codes",
            f"{DEM} --units units_dup.geojson --units-level street",
            says="500103001",
        ),
        case("demand-units-level-unknown", f"{DEM} --units units.geojson --units-level province"),
        case("demand-units-code-on-many", f"{DEM} --units units_dup.geojson --units-code 500103"),
        case("demand-units-crs-mars", f"{DEM} --units units.geojson --units-crs mars2000"),
        case("demand-clip-swapped", f"{DEM} --clip {SWAP}", says="swapped"),
        case("demand-clip-far", f"{DEM} --clip 10,10,10.1,10.1"),
        case("demand-rural-zone-missing", f"{DEM} --rural-zone absent.geojson"),
        case("demand-out-xlsx", f"{DEM} --out d.xlsx"),
        case("demand-out-existing-file", f"{DEM} --out keep.csv"),
        case("demand-out-same-as-input", f"{DEM} --out demand.csv"),
        case("demand-out-under-file", f"{DEM} --out keep.csv/d.csv"),
        case("demand-out-proc", f"{DEM} --out /proc/d.csv"),
        case("coverage-minutes-negative", f"{COV} --out c.gpkg --minutes -1"),
        case("coverage-minutes-zero", f"{COV} --out c.gpkg --minutes 0"),
        case("coverage-minutes-nan", f"{COV} --out c.gpkg --minutes nan"),
        case("coverage-minutes-inf", f"{COV} --out c.gpkg --minutes inf"),
        case("coverage-minutes-huge", f"{COV} --out c.gpkg --minutes 1e9"),
        case("coverage-minutes-text", f"{COV} --out c.gpkg --minutes ten"),
        case("coverage-service-unknown", f"{COV} --out c.gpkg -s hospital"),
        case("coverage-jurisdiction-unknown", f"{COV} --out c.gpkg --jurisdiction atlantis"),
        case("coverage-demand-kind-unknown", f"{COV} --out c.gpkg --demand-kind density"),
        case("coverage-total-text", f"{COVB} --total pop_total=many"),
        case("coverage-total-negative", f"{COVB} --total pop_total=-1"),
        case("coverage-total-nan", f"{COVB} --total pop_total=nan"),
        case("coverage-total-zero", f"{COVB} --total pop_total=0"),
        case("coverage-facilities-missing", f"coverage {NET} -f absent.csv -d demand.csv --out c.gpkg"),
        case("coverage-facilities-passwd", f"coverage {NET} -f /etc/passwd -d demand.csv --out c.gpkg"),
        case("coverage-facilities-duplicate-ids", f"{COVF} -f fac_dup.csv"),
        case("coverage-facilities-far", f"{COVF} -f fac_far.csv"),
        case("coverage-demand-far", f"coverage {NET} {FAC} -d demand_far.csv --out c.gpkg"),
        case("coverage-demand-zero", f"coverage {NET} {FAC} -d demand_zero.csv --out c.gpkg"),
        case("coverage-demand-missing", f"coverage {NET} {FAC} -d absent.csv --out c.gpkg"),
        case("coverage-network-missing", f"coverage absent.geojson {FAC} -d demand.csv --out c.gpkg"),
        case("coverage-network-truncated", f"coverage truncated.geojson {FAC} -d demand.csv --out c.gpkg"),
        case("coverage-network-swapped", f"coverage swapped_roads.geojson {FAC} -d demand.csv --out c.gpkg"),
        case("coverage-boundary-missing", f"{COV} --out c.gpkg --boundary absent.geojson"),
        case("coverage-boundary-lines", f"{COV} --out c.gpkg --boundary units_lines.geojson"),
        case("coverage-dem-missing", f"{COV} --out c.gpkg --dem absent.tif"),
        case("coverage-dem-garbage", f"{COV} --out c.gpkg --dem garbage.tif"),
        case("coverage-out-not-gpkg", f"{COV} --out c.shp"),
        case("coverage-out-existing-file", f"{COV} --out keep.gpkg"),
        case("coverage-csv-existing-file", f"{COV} --out c.gpkg --csv keep.csv"),
        case("coverage-out-under-file", f"{COV} --out keep.csv/c.gpkg"),
        case("coverage-out-proc", f"{COV} --out /proc/c.gpkg"),
        case(
            "coverage-service-applies-to-file-without-service-column",
            f"{COVF} -f fac_noservice.csv -s elderly",
            code=0,
            may_write="c",
        ),
        case("site-gap-negative", f"{SITE} --gap -1"),
        case("site-gap-nan", f"{SITE} --gap nan"),
        case("site-gap-above-one", f"{SITE} --gap 5"),
        case("site-time-limit-zero", f"{SITE} --time-limit 0"),
        case("site-time-limit-negative", f"{SITE} --time-limit -5"),
        case("site-time-limit-nan", f"{SITE} --time-limit nan"),
        case("site-minutes-negative", f"{SITE} --minutes -1"),
        case("site-minutes-nan", f"{SITE} --minutes nan"),
        case("site-minutes-inf", f"{SITE} --minutes inf"),
        case("site-rural-minutes-negative", f"{SITE} --rural-minutes -1"),
        case("site-p-zero", f"{SITE_LSCP} --model mclp --p 0"),
        case("site-p-negative", f"{SITE_LSCP} --model mclp --p -1"),
        case("site-p-text", f"{SITE_LSCP} --model mclp --p three"),
        case("site-p-above-candidates-is-fine", f"{SITE_LSCP} --model mclp --p 1000000000", code=0),
        case("site-p-missing", f"{SITE_LSCP} --model mclp"),
        case("site-budget-negative", f"{SITE_LSCP} --model budget --budget -1"),
        case("site-budget-nan", f"{SITE_LSCP} --model budget --budget nan"),
        case("site-budget-inf", f"{SITE_LSCP} --model budget --budget inf"),
        case("site-budget-missing", f"{SITE_LSCP} --model budget"),
        case("site-spacing-zero", f"{SITE} --spacing 0"),
        case("site-spacing-negative", f"{SITE} --spacing -200"),
        case("site-spacing-nan", f"{SITE} --spacing nan"),
        case("site-spacing-inf", f"{SITE} --spacing inf"),
        case("site-spacing-tiny", f"{SITE} --spacing 1e-9"),
        case("site-min-area-negative", f"{SITE} --candidates buildings:buildings.geojson --min-area -1"),
        case("site-per-1000-negative", f"{SITE_LSCP} --model capacitated --p 1 --per-1000 -4.5"),
        case("site-per-1000-nan", f"{SITE_LSCP} --model capacitated --p 1 --per-1000 nan"),
        case("site-per-1000-missing", f"{SITE_LSCP} --model capacitated --p 1"),
        case("site-model-unknown", f"{SITE_LSCP} --model kmeans"),
        case("site-service-unknown", f"{SITE} --service hospital"),
        case("site-group-unknown", f"{SITE} --group pop_99"),
        case("site-fixed-unknown", f"{SITE} --candidates cand.geojson --fixed s9"),
        case("site-demand-missing", f"site {NET} -d absent.gpkg"),
        case("site-demand-garbage", f"site {NET} -d garbage.gpkg"),
        case("site-demand-folder", f"site {NET} -d folder.csv"),
        case("site-demand-not-a-demand-table", f"site {NET} -d fac.gpkg"),
        case("site-demand-csv-without-lonlat", f"site {NET} -d keep.csv"),
        case("site-demand-empty-csv", f"site {NET} -d empty.csv"),
        case("site-demand-passwd", f"site {NET} -d /etc/passwd"),
        case("site-demand-zero", f"site {NET} -d demand_site_zero.gpkg --model mclp --p 1"),
        case("site-demand-far", f"site {NET} -d demand_site_far.gpkg --model mclp --p 1"),
        case("site-network-missing", "site absent.geojson -d demand_site.gpkg"),
        case("site-network-garbage", "site garbage.gpkg -d demand_site.gpkg"),
        case("site-network-swapped", "site swapped_roads.geojson -d demand_site.gpkg"),
        case("site-candidates-missing", f"{SITE} --candidates absent.geojson"),
        case("site-candidates-garbage", f"{SITE} --candidates garbage.gpkg"),
        case("site-candidates-duplicate-ids", f"{SITE} --candidates cand_dup.geojson"),
        case("site-candidates-far", f"{SITE} --candidates cand_far.geojson"),
        case(
            "site-candidates-zero-capacity", f"{CAP} --candidates cand_zero_cap.geojson --capacity-col beds"
        ),
        case(
            "site-candidates-negative-capacity",
            f"{CAP} --candidates cand_neg_cap.geojson --capacity-col beds",
        ),
        case("site-candidates-negative-cost", f"{BUD} --candidates cand_neg_cost.geojson --cost-col cost"),
        case("site-candidates-nan-cost", f"{BUD} --candidates cand_nan_cost.geojson --cost-col cost"),
        case("site-candidates-cost-col-absent", f"{BUD} --candidates cand.geojson --cost-col price"),
        case("site-candidates-crs-mars", f"{SITE} --candidates cand.geojson --candidates-crs mars2000"),
        case("site-buildings-missing", f"{SITE} --candidates buildings:absent.geojson"),
        case("site-facilities-missing", f"{SITE} -f absent.csv"),
        case("site-facilities-duplicate-ids", f"{SITE} -f fac_dup.csv --facilities-crs wgs84"),
        case("site-out-docx", f"{SITE} --out sites.docx"),
        case("site-out-existing-file", f"{SITE} --out keep.csv"),
        case("site-out-under-file", f"{SITE} --out keep.csv/s.csv"),
        case("site-out-proc", f"{SITE} --out /proc/s.csv"),
        case("run-missing", "run absent.yaml --out new_run", says="no such scenario file"),
        case("run-empty", "run empty.yaml --out new_run"),
        case("run-folder", "run folder.yaml --out new_run", says="folder"),
        case("run-passwd", "run /etc/passwd --out new_run"),
        case("run-traversal", f"run {TRAVERSAL} --out new_run"),
        case(
            "run-parent-folder-paths-are-read", "run sub/s_parent.yaml --out new_run", says="demand_zero.csv"
        ),
        case("run-list", "run y_list.yaml --out new_run"),
        case("run-scalar", "run y_scalar.yaml --out new_run"),
        case("run-number", "run y_number.yaml --out new_run"),
        case("run-invalid-yaml", "run y_invalid.yaml --out new_run", says="not valid YAML"),
        case("run-tabs", "run y_tabs.yaml --out new_run", says="not valid YAML"),
        case("run-truncated", "run y_truncated.yaml --out new_run"),
        case("run-gbk", "run y_gbk.yaml --out new_run", says="UTF-8"),
        case("run-utf16", "run y_utf16.yaml --out new_run"),
        case("run-binary", "run y_binary.yaml --out new_run"),
        case("run-billion-laughs", "run y_laughs.yaml --out new_run"),
        case("run-billion-laughs-in-a-list", "run y_laughs_list.yaml --out new_run"),
        case("run-deep-nesting", "run y_deep.yaml --out new_run"),
        case("run-null-demand", "run y_null_demand.yaml --out new_run"),
        case("run-python-tag", "run y_python_tag.yaml --out new_run"),
        case("run-bom-is-read", "run y_bom.yaml --out new_run", says="demand_zero.csv"),
        case("run-lang-unknown", "run good.yaml --out new_run --lang fr"),
        case("run-partitions-text", "run good.yaml --out new_run --partitions four"),
        case("run-partitions-zero", "run good.yaml --out new_run --partitions 0x0"),
        case("run-out-existing-file", "run good.yaml --out keep.csv"),
        case("run-out-existing-folder", "run good.yaml --out keepdir"),
        case("run-out-input-folder", "run good.yaml --out ."),
        case("run-out-under-file", "run good.yaml --out keep.csv/run"),
        case("run-out-proc", "run good.yaml --out /proc/run"),
        case("compare-missing", "compare absent_run --out new_cmp"),
        case("compare-file", "compare keep.csv --out new_cmp"),
        case("compare-empty-folder", "compare keepdir --out new_cmp"),
        case("compare-no-run-json", "compare run_nojson --out new_cmp"),
        case("compare-bad-run-json", "compare run_badjson --out new_cmp"),
        case("compare-run-json-list", "compare run_listjson --out new_cmp"),
        case("compare-no-layers", "compare run_nolayers --out new_cmp"),
        case("compare-garbage-layers", "compare run_badlayers --out new_cmp"),
        case("compare-second-missing", "compare run_good absent_run --out new_cmp"),
        case("compare-out-existing-file", "compare run_good --out keep.csv"),
        case("compare-out-existing-folder", "compare run_good --out keepdir"),
        case("compare-out-into-its-run", "compare run_victim --out run_victim"),
        case("compare-out-proc", "compare run_good --out /proc/cmp"),
        case("demo-out-existing-file", "demo --out keep.csv"),
        case("demo-out-existing-folder", "demo --out keepdir"),
        case("demo-out-under-file", "demo --out keep.csv/demo"),
        case("demo-out-proc", "demo --out /proc/demo"),
        *[
            case(f"run-{name.replace('_', '-')}", f"run s_{name}.yaml --out new_run")
            for name in SCENARIO_PATCHES
        ],
    ]


# -- the harness ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    code: int | None
    out: str
    err: str


_HASHES: dict[tuple, str] = {}


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under ``root``: folders by name, files by sha256, size and mtime.

    A file's sha256 is computed again whenever its inode, size, mtime or ctime differ from the
    last time (ctime moves on every write and cannot be set back).
    """
    tree: dict[str, tuple] = {}
    for p in root.rglob("*"):
        rel = p.relative_to(root).as_posix()
        if p.is_dir() and not p.is_symlink():
            tree[rel + "/"] = ("dir",)
            continue
        st = p.lstat()
        key = (rel, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        if key not in _HASHES:
            _HASHES[key] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "link"
        tree[rel] = (_HASHES[key], st.st_size, st.st_mtime_ns)
    return tree


def run_in_process(argv: list[str], capfd) -> Outcome:
    """Run ``lifecircle <argv>`` through `lifecircle.scenarios.cli.main` in this process."""
    from lifecircle.scenarios import cli

    capfd.readouterr()
    saved = sys.argv
    sys.argv = ["lifecircle", *argv]
    code: int | None = 0
    tb = ""
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # an uncaught exception: what the console script would show
        code, tb = 1, traceback.format_exc()
    finally:
        sys.argv = saved
    cap = capfd.readouterr()
    return Outcome(code, cap.out, cap.err + tb)


CJK = re.compile(r"[\u4e00-\u9fff]")


def check_message(outcome: Outcome, lang: str, bad: Bad) -> str:
    """The one error sentence of a run, after checking the exit code and its form in ``lang``."""
    text = outcome.out + outcome.err
    assert "Traceback" not in text, text
    assert outcome.code == bad.code, f"exit code {outcome.code}, expected {bad.code}: {text}"
    if bad.code == 0:
        return ""
    lines = [line for line in outcome.err.splitlines() if line.strip()]
    assert outcome.out.strip() == "", f"stdout is not empty: {outcome.out!r}"
    assert len(lines) == 1, f"not one line: {outcome.err!r}"
    line = lines[0].strip()
    if lang == "zh":
        assert line.startswith("错误："), line
        message = line.removeprefix("错误：")
        assert message.endswith("。"), line
        assert len(CJK.findall(message)) >= 4, f"not a Chinese sentence: {line}"
    else:
        assert line.startswith("Error: "), line
        message = line.removeprefix("Error: ")
        assert message.endswith((".", "?")), line
        assert len(re.findall(r"\b[a-z]{3,}\b", message)) >= 3, f"not an English sentence: {line}"
    return message


def check_files(before: dict, after: dict, may_write: str | None) -> list[str]:
    """What a run wrote, removed or changed in the inputs folder, as readable lines."""
    new = sorted(set(after) - set(before))
    if may_write:
        new = [p for p in new if not p.lstrip(".").startswith(may_write)]
    gone = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return (
        [f"written: {p}" for p in new] + [f"removed: {p}" for p in gone] + [f"changed: {p}" for p in changed]
    )


def _remove_new(root: Path, before: dict, after: dict) -> None:
    """Take away what a run wrote, so the next case starts from the same folder."""
    for rel in sorted(set(after) - set(before), key=len, reverse=True):
        p = root / rel.rstrip("/")
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        elif p.exists() or p.is_symlink():
            p.unlink()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("matrix")
    build_inputs(d)
    _build_runs(d)
    return d


def _build_runs(d: Path) -> None:
    """A real run folder of the small scenario, and broken copies of it, for ``compare``."""
    from lifecircle.scenarios.pipeline import run_scenario
    from lifecircle.scenarios.schema import load_scenario

    good = d / "run_good"
    with contextlib.redirect_stderr(io.StringIO()):
        run_scenario(load_scenario(d / "good.yaml"), good)
    for name in ("run_nojson", "run_badjson", "run_listjson", "run_nolayers", "run_badlayers", "run_victim"):
        shutil.copytree(good, d / name)
    (d / "run_nojson" / "run.json").unlink()
    (d / "run_badjson" / "run.json").write_text("{", encoding="utf-8")
    (d / "run_listjson" / "run.json").write_text("[]", encoding="utf-8")
    (d / "run_nolayers" / "layers.gpkg").unlink()
    (d / "run_badlayers" / "layers.gpkg").write_bytes(os.urandom(2048))


CASES = _cases()


def test_the_matrix_is_large_and_names_are_unique():
    names = [p.id for p in CASES]
    assert len(names) == len(set(names))
    assert len([n for n in names if not n.startswith("control-")]) >= 200
    commands = {p.values[0].argv[0] for p in CASES}
    assert commands == {"network", "facilities", "demand", "coverage", "site", "run", "compare", "demo"}


@pytest.fixture(scope="module")
def one_click_command():
    """Build the click command of the app once, not on every call of `cli.main` (40 ms each).

    Typer turns the app's functions into a click command whenever the app is called; the
    command is the same every time, so the matrix reuses it. `cli.main` still runs whole.
    """
    import typer.main

    from lifecircle.scenarios import cli

    real = typer.main.get_command
    command = real(cli.app)
    patch = pytest.MonkeyPatch()
    patch.setattr(typer.main, "get_command", lambda app: command if app is cli.app else real(app))
    yield
    patch.undo()


#: The inputs folder as the last case left it (when it left it as it found it).
_CLEAN: dict[Path, dict] = {}


@pytest.mark.parametrize("bad", CASES)
def test_bad_input(bad: Bad, inputs: Path, capfd, monkeypatch, one_click_command):
    """Exit code, no traceback, one sentence in each language, nothing written, nothing changed."""
    monkeypatch.chdir(inputs)
    messages = {}
    own_lang = "--lang" in bad.argv  # a bad --lang: one run, told in Chinese (the default)
    for lang in ("zh",) if own_lang else ("zh", "en"):
        argv = ["--no-progress", *bad.argv, *(["--lang", "en"] if lang == "en" else [])]
        before = _CLEAN.pop(inputs, None) or snapshot(inputs)
        outcome = run_in_process(argv, capfd)
        after = snapshot(inputs)
        _remove_new(inputs, before, after)
        problems = check_files(before, after, bad.may_write)
        assert not problems, f"{lang}: {problems}; {outcome.err}"
        _CLEAN[inputs] = before
        messages[lang] = check_message(outcome, lang, bad)
    if bad.code != 0 and not own_lang:
        assert messages["zh"] != messages["en"], "the Chinese run printed the English sentence"
        assert bad.says in messages["en"], messages["en"]


# -- a dozen through the installed console script ---------------------------------------------------

CONSOLE = [
    "network-missing-geojson",
    "network-truncated-pbf",
    "facilities-duplicate-ids",
    "facilities-garbage-xlsx",
    "demand-population-negative",
    "coverage-minutes-negative",
    "site-gap-negative",
    "run-gbk",
    "run-unknown-threshold-service",
    "run-out-existing-folder",
    "compare-missing",
    "demo-out-proc",
]


def _console_script() -> Path | None:
    script = Path(sys.executable).parent / "lifecircle"
    found = script if script.exists() else shutil.which("lifecircle")
    return Path(found) if found else None


@pytest.fixture(scope="module")
def console_runs(inputs) -> dict[str, subprocess.CompletedProcess]:
    """Each `CONSOLE` case once through the console script, in Chinese and English by turns.

    Both languages of every case are checked in-process above; here the point is the real entry
    point (its imports, its exit code, its stderr), so one language each keeps this quick.
    """
    script = _console_script()
    if script is None:
        pytest.skip("the lifecircle console script is not installed (pip install -e .)")
    by_name = {p.id: p.values[0] for p in CASES}
    jobs = {
        name: [str(script), "--no-progress", *by_name[name].argv, *(["--lang", "en"] if i % 2 else [])]
        for i, name in enumerate(CONSOLE)
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"} | {"NO_COLOR": "1", "COLUMNS": "80"}
    before = snapshot(inputs)

    def run(argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(argv, cwd=inputs, capture_output=True, text=True, env=env, timeout=120)

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(jobs, pool.map(run, jobs.values()), strict=True))
    after = snapshot(inputs)
    _remove_new(inputs, before, after)
    assert not check_files(before, after, None), check_files(before, after, None)
    return done


@pytest.mark.parametrize("name", CONSOLE)
def test_console_script(name: str, console_runs):
    bad = {p.id: p.values[0] for p in CASES}[name]
    proc = console_runs[name]
    lang = "en" if CONSOLE.index(name) % 2 else "zh"
    message = check_message(Outcome(proc.returncode, proc.stdout, proc.stderr), lang, bad)
    if lang == "en":
        assert bad.says in message
