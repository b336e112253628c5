"""Bad input through the real console entry point: exit 2, one sentence, no traceback, nothing written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest


def _entry_point() -> list[str]:
    script = Path(sys.executable).parent / "lifecircle"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lifecircle.scenarios.cli"]


def _lines(path: Path, rows: list[dict]) -> Path:
    feats = [
        {
            "type": "Feature",
            "properties": {k: v for k, v in r.items() if k != "coords"},
            "geometry": {"type": "LineString", "coordinates": r["coords"]},
        }
        for r in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    return path


def _csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8-sig")
    return path


HEADER = ["编号", "名称", "经度", "纬度", "床位数", "服务类型"]
ROAD = [[106.55, 29.55], [106.556, 29.55], [106.556, 29.556]]


@dataclass(frozen=True)
class Case:
    """One command line, the file it must name, and what its message must say."""

    args: list[str]
    names: str
    says: str
    out: Path


def _cases(d: Path) -> dict[str, Case]:
    roads = _lines(d / "roads.geojson", [{"fclass": "residential", "coords": ROAD}])
    noclass = _lines(d / "noclass.geojson", [{"name": "解放碑步行街", "coords": ROAD}])
    motorway = _lines(d / "motorway.geojson", [{"fclass": "motorway", "coords": ROAD}])
    docx = d / "roads.docx"
    docx.write_bytes(b"PK\x03\x04 a word document")
    good = [
        ["A1", "甲站", "106.5771", "29.5585", "120", "养老"],
        ["A2", "乙站", "106.5752", "29.5520", "", "养老"],
    ]
    nocoords = _csv(d / "nocoords.csv", [["编号", "名称", "地址", "床位数"], ["A1", "甲站", "解放碑", "12"]])
    swapped = _csv(d / "swapped.csv", [HEADER] + [[r[0], r[1], r[3], r[2], r[4], r[5]] for r in good])
    abroad = _csv(d / "abroad.csv", [HEADER, good[0], ["H1", "Helsinki", "24.94", "60.17", "", "养老"]])
    capacity = _csv(
        d / "capacity.csv", [HEADER, good[0], ["A2", "乙站", "106.5752", "29.5520", "三十张", "养老"]]
    )
    dups = _csv(d / "dups.csv", [HEADER, good[0], good[1], ["A1", "丙站", "106.57", "29.55", "8", "养老"]])
    fdocx = d / "facilities.docx"
    fdocx.write_bytes(b"PK\x03\x04 a word document")

    def net(name: str, src: Path, says: str, *extra: str) -> Case:
        out = d / f"{name}.gpkg"
        return Case(["network", str(src), "--out", str(out), *extra], src.name, says, out)

    def fac(name: str, src: Path, says: str, *extra: str) -> Case:
        out = d / f"{name}.gpkg"
        return Case(["facilities", str(src), "--out", str(out), *extra], src.name, says, out)

    return {
        "network-missing-file": net("n1", d / "absent.geojson", "no such file"),
        "network-unreadable-format": net("n2", docx, "unknown network format"),
        "network-no-class-column": net("n4", noclass, "no road class column"),
        "network-no-walkable-ways": net("n5", motorway, "no walkable ways"),
        "network-empty-after-clip": net(
            "n6", roads, "no walkable ways left after clipping", "--clip", "10,10,10.1,10.1"
        ),
        "facilities-missing-file": fac("f1", d / "absent.csv", "no such file", "--crs", "gcj02"),
        "facilities-unreadable-format": fac("f2", fdocx, "unknown facility table format"),
        "facilities-no-coordinates": fac("f3", nocoords, "no coordinate columns", "--crs", "gcj02"),
        "facilities-swapped": fac("f4", swapped, "latitude and longitude look swapped", "--crs", "gcj02"),
        "facilities-outside-china": fac("f5", abroad, "outside China in row 3", "--crs", "gcj02"),
        "facilities-capacity": fac("f6", capacity, "(capacity) is not a number in row 3", "--crs", "gcj02"),
        "facilities-duplicate-ids": fac(
            "f7", dups, "duplicate ids in column '编号': 'A1' (rows 2, 4)", "--crs", "gcj02"
        ),
        "facilities-undeclared-crs": fac("f9", dups, "CRS is not declared"),
        # brackets in a file name are text, not console markup
        "facilities-brackets-in-name": fac("f11", d / "名单[/b][2024].csv", "no such file"),
        "facilities-bad-out-suffix": Case(
            ["facilities", str(d / "abroad.csv"), "--out", str(d / "f10.xlsx")],
            "f10.xlsx",
            "saved as .gpkg",
            d / "f10.xlsx",
        ),
    }


def _run(args: list[str], *, narrow: bool = False) -> subprocess.CompletedProcess:
    # a narrow console: error messages must stay on one line anyway; tables get room to print
    columns = "60" if narrow else "200"
    env = {**os.environ, "COLUMNS": columns, "NO_COLOR": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.run([*_entry_point(), *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Case, subprocess.CompletedProcess]]:
    d = tmp_path_factory.mktemp("cli")
    cases = _cases(d)
    ok_fac = [
        "facilities",
        str(_csv(d / "good.csv", [HEADER, ["A1", "甲站", "106.5771", "29.5585", "120", "养老"]])),
    ]
    ok_fac += ["--crs", "gcj02", "--out", str(d / "ok.geojson"), "--lang", "en"]
    ok_net = ["network", str(d / "roads.geojson"), "--out", str(d / "ok.gpkg"), "--lang", "zh"]
    # every bad input twice: in Chinese (the default) and in English
    jobs = {name: case.args for name, case in cases.items()}
    jobs |= {f"{name}-en": [*case.args, "--lang", "en"] for name, case in cases.items()}
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(jobs, pool.map(lambda a: _run(a, narrow=True), jobs.values()), strict=True))
        done |= dict(zip(("ok-facilities", "ok-network"), pool.map(_run, (ok_fac, ok_net)), strict=True))
    cases |= {f"{name}-en": case for name, case in cases.items()}
    cases["ok-facilities"] = Case(ok_fac, "", "", d / "ok.geojson")
    cases["ok-network"] = Case(ok_net, "", "", d / "ok.gpkg")
    return {name: (cases[name], done[name]) for name in done}


ERROR_CASES = [
    "network-missing-file",
    "network-unreadable-format",
    "network-no-class-column",
    "network-no-walkable-ways",
    "network-empty-after-clip",
    "facilities-missing-file",
    "facilities-unreadable-format",
    "facilities-no-coordinates",
    "facilities-swapped",
    "facilities-outside-china",
    "facilities-capacity",
    "facilities-duplicate-ids",
    "facilities-undeclared-crs",
    "facilities-brackets-in-name",
    "facilities-bad-out-suffix",
]


@pytest.mark.parametrize("name", ERROR_CASES)
def test_bad_input_is_one_sentence_and_exit_2(runs, name):
    case, proc = runs[f"{name}-en"]
    err = proc.stderr.strip()
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout.strip() == ""
    assert "\n" not in err, f"not one line: {err!r}"  # long messages must not be wrapped either
    assert err.startswith("Error: ")
    message = err.removeprefix("Error: ")
    assert case.names in message
    assert case.says in message
    assert message.endswith(".")
    assert not case.out.exists()
    assert not [p for p in case.out.parent.iterdir() if p.name.startswith(f".{case.out.name}")]


def test_good_input_writes_the_output(runs):
    case, proc = runs["ok-facilities"]
    assert proc.returncode == 0, proc.stderr
    assert case.out.exists()
    doc = json.loads(case.out.read_text(encoding="utf-8"))
    assert [f["properties"]["id"] for f in doc["features"]] == ["A1"]
    assert "Elderly" in proc.stdout and "Existing" in proc.stdout
    case, proc = runs["ok-network"]
    assert proc.returncode == 0, proc.stderr
    assert case.out.exists()
    assert "节点数" in proc.stdout


def test_usage_errors_have_no_traceback():
    proc = _run(["network", "x.geojson", "--no-such-option"])
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    zh = "错误：没有选项 '--no-such-option'；请用 lifecircle network --help 查看用法。"
    assert proc.stderr.strip() == zh
    proc = _run(["network", "x.geojson", "--no-such-option", "--lang", "en"])
    assert proc.returncode == 2
    assert proc.stderr.strip() == "Error: No such option: --no-such-option; see 'lifecircle network --help'."


def test_text_for_a_number_option_is_one_sentence_in_each_language():
    proc = _run(["coverage", "x", "-f", "a.csv", "-d", "b.csv", "--out", "c.gpkg", "--minutes", "ten"])
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.strip() == "错误：选项 --minutes 的值 'ten' 不是数字；请给出步行分钟数，例如 15。"
    proc = _run(["site", "x", "-d", "y.gpkg", "--p", "three", "--lang", "en"])
    assert (proc.returncode, proc.stdout) == (2, "")
    err = proc.stderr.strip()
    assert err.startswith("Error: Option --p 'three' is not a whole number (") and "\n" not in err
    assert err.endswith("); give a whole number of new sites, e.g. 3."), err
    assert "Usage:" not in proc.stderr
    help_proc = _run(["site", "--help"])
    assert help_proc.returncode == 0 and "--demand" in help_proc.stdout


@pytest.mark.parametrize("name", ERROR_CASES)
def test_bad_input_in_chinese_by_default(runs, name):
    case, proc = runs[name]
    err = proc.stderr.strip()
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "\n" not in err, f"not one line: {err!r}"
    assert err.startswith("错误："), err
    message = err.removeprefix("错误：")
    assert case.names in message
    # the sentence itself is Chinese, not only a Chinese file name in it
    assert len(re.findall(r"[\u4e00-\u9fff]", message.replace(case.names, ""))) >= 3, message
    assert message.endswith("。"), message
