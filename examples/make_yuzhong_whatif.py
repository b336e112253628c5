"""Write examples/yuzhong_whatif_facilities.xlsx: an ILLUSTRATIVE civil-affairs-style facility list.

Twenty-one elderly-care and childcare sites of Yuzhong District, in the shape a civil-affairs bureau
keeps them (Chinese headers, the street and community each site belongs to, GCJ-02 coordinates as
Amap gives them). THE LIST IS INVENTED: the names, tiers, beds and the street/community of each row
are made up for the example; each position is the centroid of a real OSM building of Yuzhong
(../shared/data/chongqing/osm_buildings_yuzhong.geojson, ODbL), converted to GCJ-02, picked among the
buildings counted west to east where the named street roughly lies along the peninsula. The
workbook's second sheet says so in Chinese and English.

Run from the repository root (the result is committed, so the example runs without this script):

    .venv/bin/python examples/make_yuzhong_whatif.py
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
from openpyxl import Workbook

from lifecircle.geodata.crs import wgs84_to_gcj02

HERE = Path(__file__).resolve().parent
BUILDINGS = HERE.parents[1] / "shared" / "data" / "chongqing" / "osm_buildings_yuzhong.geojson"
OUT = HERE / "yuzhong_whatif_facilities.xlsx"

# Chinese words of the workbook are data written into the file; they live in the YAML below
# (this script keeps no Chinese in its code, as the project's Python files do).
SPEC = HERE / "yuzhong_whatif_rows.yaml"


def _positions(bands: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One building centroid (GCJ-02) per row: the building at that share of them counted west to east."""
    pts = gpd.read_file(BUILDINGS).to_crs(32648).centroid.to_crs(4326)
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    order = np.argsort(x, kind="stable")
    picks = order[np.clip((bands * (x.size - 1)).round().astype(int), 0, x.size - 1)]
    return wgs84_to_gcj02(x[picks], y[picks])


def main() -> Path:
    """Write the workbook and return its path."""
    import yaml

    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    rows = spec["rows"]
    lon, lat = _positions(np.array([r["band"] for r in rows], dtype=float))
    book = Workbook()
    sheet = book.active
    sheet.title = spec["sheet"]
    sheet.append(spec["header"])
    for r, x, y in zip(rows, lon, lat, strict=True):
        sheet.append([r["name"], r["service"], r["tier"], r.get("beds"), r["street"], r["community"],
                      round(float(x), 6), round(float(y), 6)])  # fmt: skip
    note = book.create_sheet(spec["note_sheet"])
    for line in spec["note"]:
        note.append([line])
    book.save(OUT)
    return OUT


if __name__ == "__main__":
    print(main())
