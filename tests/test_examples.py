"""The shipped examples run on the real data in ../shared and answer their question with real numbers.

`examples/saopaulo.yaml`: the real population of 323 H3 cells and the real school count of each cell
(schools placed at their cell, the data gives no addresses) on the OSM network of central São Paulo.
A row counting n schools becomes n facilities (`count_col`), so the run holds the data's 59 schools.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import run_cli, shared_file

from lifecircle.geodata.common import InputError
from lifecircle.geodata.facilities import read_facilities

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_a_count_column_repeats_rows_and_drops_zero(tmp_path):
    p = tmp_path / "grid.csv"
    pd.DataFrame(
        {"id": ["a", "b", "c"], "lon": [10.0, 11.0, 12.0], "lat": [50.0, 51.0, 52.0], "n": [2, 0, 1]}
    ).to_csv(p, index=False)
    f = read_facilities(p, service="childcare", count_col="n")
    assert f["id"].tolist() == ["a#1", "a#2", "c"]
    assert f.geometry.x.tolist() == [10.0, 10.0, 12.0]


@pytest.mark.parametrize("bad", ["1.5", "-1", "x"])
def test_a_count_column_takes_whole_numbers_only(tmp_path, bad):
    p = tmp_path / "grid.csv"
    p.write_text(f"id,lon,lat,n\na,10,50,1\nb,11,51,{bad}\n", encoding="utf-8")
    with pytest.raises(InputError, match="n"):
        read_facilities(p, service="childcare", count_col="n")
    with pytest.raises(InputError, match="schools"):
        read_facilities(p, service="childcare", count_col="schools")


@pytest.mark.realdata
def test_saopaulo_example_is_real_population_real_schools_coverage_by_cell(monkeypatch, capsys, tmp_path):
    grid = pd.read_csv(shared_file("saopaulo", "spo_hexgrid.csv"))
    shared_file("saopaulo", "spo_osm.pbf")
    out = tmp_path / "sp"
    code, _, err = run_cli(monkeypatch, capsys, "run", str(EXAMPLES / "saopaulo.yaml"), "--out", str(out))
    assert code == 0, err
    fac = gpd.read_file(out / "layers.gpkg", layer="facilities")
    assert len(fac) == grid["schools"].sum() == 59
    demand = gpd.read_file(out / "layers.gpkg", layer="demand")
    assert demand["pop_total"].sum() == grid["population"].sum() == 517_570
    table = pd.read_csv(out / "indicators.csv")
    everyone = (table["area"] == "all") & (table["group"] == "pop_total")
    cells = table[everyone & (table["scope"] == "community")]
    covered = cells[cells["metric"] == "pop_covered"].set_index("unit")["value"]
    assert len(covered) == len(grid)  # one row per cell: coverage by cell
    # each cell is one demand point: covered wholly when its walk is within 15 minutes, else not at all
    within = demand["time_s_childcare"].to_numpy() <= 900.0
    expect = pd.Series(np.where(within, demand["pop_total"], 0.0), index=demand["community"].to_numpy())
    pd.testing.assert_series_equal(covered.sort_index(), expect.sort_index(), check_names=False)
    district = table[everyone & (table["scope"] == "district") & (table["metric"] == "pop_covered")]
    assert district["value"].iloc[0] == pytest.approx(expect.sum())
    sites = gpd.read_file(out / "layers.gpkg", layer="sites")
    assert len(sites) == 10  # MCLP p = 10
    after = demand["time_s_childcare_after"].to_numpy() <= 900.0
    assert (after | ~within).all() and demand.loc[after, "pop_total"].sum() > expect.sum()
