"""The ``lifecircle site`` command on real Yuzhong data, and its one-sentence errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from lifecircle.scenarios.cli import app


@pytest.fixture(scope="module")
def yz_demand(tmp_path_factory, yuzhong_buildings, yuzhong_boundary):
    from lifecircle.geodata.demand import demand_from_buildings, write_demand

    d = demand_from_buildings(
        yuzhong_buildings,
        totals={"pop_total": 588_700, "pop_60": 116_300},
        clip=yuzhong_boundary,
        clip_crs="gcj02",
        min_area_m2=0.0,
        type_col=False,
    )
    return write_demand(d, tmp_path_factory.mktemp("site") / "demand.gpkg")


@pytest.mark.realdata
def test_site_mclp_yuzhong(yz_demand, yuzhong_roads, yuzhong_buildings, tmp_path):
    out = tmp_path / "sites.csv"
    args = [
        "--no-progress",
        "site",
        str(yuzhong_roads),
        "--demand",
        str(yz_demand),
        "--candidates",
        f"buildings:{yuzhong_buildings}",
        "--minutes",
        "10",
        "--model",
        "mclp",
        "--p",
        "11",
        "--out",
        str(out),
        "--json",
    ]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    assert summary["n_sites"] == 11 and summary["status"] == "optimal"
    sites = pd.read_csv(out)
    assert len(sites) == 11 and sites["rank"].tolist() == list(range(1, 12))
    # marginal gains never increase down the list, and sum to the newly covered elderly
    gains = sites["new_pop_60"].to_numpy()
    assert (gains[:-1] >= gains[1:] - 1e-6).all()
    ind = {r["group"]: r for r in summary["indicators"]}
    assert gains.sum() == pytest.approx(ind["pop_60"]["newly_covered"])
    assert ind["pop_60"]["share_after"] == pytest.approx(summary["objective"] / 116_300)


def test_site_bad_input_exit_2(tmp_path):
    missing = tmp_path / "none.gpkg"
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from lifecircle.scenarios.cli import main; main()",
            "site",
            "embedded",
            "--demand",
            str(missing),
            "--model",
            "mclp",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "--p" in proc.stderr and "Traceback" not in proc.stderr
