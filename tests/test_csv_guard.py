"""Every CSV writer guards text a spreadsheet would evaluate as a formula (OWASP CSV injection).

The guard (`lifecircle.geodata.files.neutralize_formulas`) puts a ``'`` in front of a text cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a CR and is not a plain number. Each writer
here gets a ``=HYPERLINK(…)`` name and must write it guarded, while its numbers stay numbers
(a ``-3.5`` text stays ``-3.5``) and the file reads back into the same values.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from lifecircle.geodata import files as _io
from lifecircle.maps import export

EVIL = '=HYPERLINK("http://evil.example/x","click")'
X0, Y0, DX, DY = 106.550, 29.550, 0.001, 0.0009


def _rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as f:
        return list(csv.DictReader(f))


def test_the_guard_lives_in_geodata_and_maps_export_keeps_its_names():
    assert export.neutralize_formulas is _io.neutralize_formulas
    assert export.formula_like is _io.formula_like
    assert export.restore_formulas is _io.restore_formulas
    assert export.FORMULA_START == ("=", "+", "-", "@", "\t", "\r")


def test_write_facilities_csv_guards_a_formula_name(tmp_path):
    from lifecircle.geodata.facilities import read_facilities, write_facilities

    src = tmp_path / "fac.csv"
    src.write_text(
        "编号,名称,经度,纬度,床位数,服务类型\n"
        f'E1,"{EVIL.replace(chr(34), chr(34) * 2)}",106.5512,29.5512,30,养老\n'
        "E2,@SUM(A1),106.5535,29.5530,20,养老\n"
        "E3,乙站,106.5540,29.5535,12,养老\n",
        encoding="utf-8",
    )
    table = read_facilities(src, crs="wgs84")
    assert table["name"].tolist()[:2] == [EVIL, "@SUM(A1)"]
    out = write_facilities(table, tmp_path / "out.csv")
    rows = _rows(out, "utf-8-sig")
    assert [r["name"] for r in rows] == ["'" + EVIL, "'@SUM(A1)", "乙站"]
    assert [float(r["capacity"]) for r in rows] == [30.0, 20.0, 12.0]
    assert [float(r["lon"]) for r in rows] == [106.5512, 106.5535, 106.554]
    back = pd.read_csv(out, encoding="utf-8-sig")
    assert back["capacity"].dtype.kind == "f" and back["lat"].dtype.kind == "f"


def test_write_demand_csv_guards_a_formula_id(tmp_path):
    from lifecircle.geodata.demand import write_demand

    table = gpd.GeoDataFrame(
        {
            "id": [EVIL, "-3.5", "D3"],
            "pop_total": [100.0, 50.0, 25.0],
            "pop_60": [20.0, 10.0, 5.0],
            "street": ["+1 street", "解放碑街道", ""],
        },
        geometry=gpd.points_from_xy([X0, X0 + DX, X0 + 2 * DX], [Y0, Y0, Y0]),
        crs=4326,
    )
    out = write_demand(table, tmp_path / "demand.csv")
    rows = _rows(out)
    assert [r["id"] for r in rows] == ["'" + EVIL, "-3.5", "D3"]  # a plain number is no formula
    assert [r["street"] for r in rows] == ["'+1 street", "解放碑街道", ""]
    back = pd.read_csv(out)
    assert back["pop_total"].tolist() == [100.0, 50.0, 25.0]
    assert back["pop_60"].dtype.kind == "f" and back["lon"].dtype.kind == "f"
    restored = _io.restore_formulas(back.astype({"id": str}))
    assert restored["id"].tolist() == [EVIL, "-3.5", "D3"] and restored["street"].iloc[0] == "+1 street"


def _site_inputs(d: Path) -> None:
    """A 5 × 5 street grid, ten demand points and four candidates, one named like a formula."""
    from lifecircle.geodata.demand import demand_from_table, write_demand

    lines = []
    for i in range(6):
        for j in range(5):
            lines.append(shapely.LineString([(X0 + j * DX, Y0 + i * DY), (X0 + (j + 1) * DX, Y0 + i * DY)]))
            lines.append(shapely.LineString([(X0 + i * DX, Y0 + j * DY), (X0 + i * DX, Y0 + (j + 1) * DY)]))
    gpd.GeoDataFrame({"fclass": ["residential"] * len(lines)}, geometry=lines, crs=4326).to_file(
        d / "roads.geojson"
    )
    rows = ["id,lon,lat,population,pop_60"]
    for n in range(10):
        lon, lat = X0 + 0.0005 + (n % 5) * DX, Y0 + 0.0004 + (n // 5) * 2 * DY
        rows.append(f"D{n},{lon:.6f},{lat:.6f},{100 + 10 * n},{20 + n}")
    (d / "demand.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    dem = demand_from_table(d / "demand.csv", crs="wgs84", group_cols={"pop_60": "pop_60"})
    write_demand(dem, d / "demand.gpkg")
    # one candidate in the middle of the grid reaches every demand point: it is the one chosen
    cand = gpd.GeoDataFrame(
        {"id": [EVIL, "C2", "C3", "C4"]},
        geometry=gpd.points_from_xy(
            [X0 + 2.5 * DX, X0 + 40 * DX, X0 + 41 * DX, X0 + 42 * DX], [Y0 + 2.5 * DY] + [Y0 + 40 * DY] * 3
        ),
        crs=4326,
    )
    cand.to_file(d / "cand.geojson")


def test_site_out_csv_guards_a_formula_candidate_id(tmp_path, monkeypatch, capsys):
    from lifecircle.scenarios import cli

    _site_inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    argv = ["lifecircle", "--no-progress", "site", "roads.geojson", "-d", "demand.gpkg"]
    argv += ["--candidates", "cand.geojson", "--model", "mclp", "--p", "1", "--minutes", "15"]
    monkeypatch.setattr(sys, "argv", [*argv, "--out", "sites.csv", "--json"])
    cli.main()
    summary = json.loads(capsys.readouterr().out)
    assert summary["n_sites"] == 1
    rows = _rows(tmp_path / "sites.csv")
    assert len(rows) == 1 and rows[0]["site"] == "'" + EVIL
    back = pd.read_csv(tmp_path / "sites.csv")
    # the middle candidate reaches all ten points: 20 + 21 + … + 29 elderly newly covered
    assert back["rank"].tolist() == [1] and back["gain"].tolist() == [245.0]
    assert back["new_pop_60"].dtype.kind == "f" and back["new_pop_total"].tolist() == [1450.0]
    assert back["lon"].iloc[0] == pytest.approx(X0 + 2.5 * DX)


def test_site_reads_back_a_guarded_demand_csv(tmp_path):
    """A demand CSV written by ``lifecircle demand`` (guard included) is read back without the guard."""
    from lifecircle.geodata.demand import demand_from_table, write_demand
    from lifecircle.scenarios.site_command import read_site_demand

    _site_inputs(tmp_path)
    dem = demand_from_table(tmp_path / "demand.csv", crs="wgs84", group_cols={"pop_60": "pop_60"})
    table = dem.table.copy()
    table["id"] = [EVIL, *table["id"].iloc[1:]]
    write_demand(table, tmp_path / "guarded.csv")
    assert _rows(tmp_path / "guarded.csv")[0]["id"] == "'" + EVIL
    back = read_site_demand(tmp_path / "guarded.csv")
    assert back["id"].iloc[0] == EVIL and len(back) == 10
    assert back["pop_60"].sum() == pytest.approx(sum(20 + n for n in range(10)))
