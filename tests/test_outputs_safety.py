"""Outputs are ours to replace, nothing else is; signals and failures leave nothing behind.

Folder outputs (run, demo, compare) carry a manifest and replace only a folder of ours; single-file
outputs carry a sidecar and replace only a file of ours that nobody edited; anything else is refused
with exit 2 before any computation. SIGINT / SIGTERM exit 130 / 143 with one sentence, remove every
staging folder and keep the previous run intact (a partitioned run also closes its Dask cluster).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import run_cli

from lifecircle.geodata import files as _io
from lifecircle.geodata.common import InputError, Interrupted, interruptible
from lifecircle.geodata.files import (
    MANIFEST,
    check_file_replaceable,
    owned_file,
    preflight_output,
    sidecar_path,
    staged_folder,
)

# -- helpers -----------------------------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder`` (hidden ones too) with its bytes and mtime (ns)."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _staging(parent: Path, name: str) -> list[str]:
    """Hidden staging / set-aside folders and temporary files of output ``name`` left in ``parent``."""
    return sorted(
        p.name
        for p in parent.iterdir()
        if p.name.startswith(f".{name}.") and not p.name.endswith(".lifecircle.json")
    )


def _ours(folder: Path, files: dict[str, str]) -> Path:
    """A folder written by lifecircle (through `staged_folder`) holding ``files``."""
    with staged_folder(folder, "run") as tmp:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
    return folder


def _cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run the console entry point in this process; returns (exit code, stderr)."""
    code, _, err = run_cli(monkeypatch, capsys, *args)
    return code, err


@pytest.fixture
def tripwire(monkeypatch):
    """Make every computation step fail loudly: a refused --out must stop before any of them."""

    def boom(*a, **k):
        raise AssertionError("computation started although --out must be refused first")

    import lifecircle.geodata.demand as demand_mod
    import lifecircle.geodata.facilities as fac_mod
    import lifecircle.geodata.sources as sources_mod
    import lifecircle.scenarios.compare as compare_mod
    import lifecircle.scenarios.pipeline as pipeline_mod

    # modules that bind these names at their first import take the real functions now, not the
    # patched ones (a later test in this process would otherwise meet the tripwire)
    for name in ("site_command", "commands_inputs", "commands_site", "commands_coverage", "loading"):
        importlib.import_module(f"lifecircle.scenarios.{name}")

    monkeypatch.setattr(pipeline_mod, "run_scenario", boom)
    monkeypatch.setattr(sources_mod, "read_network", boom)
    monkeypatch.setattr(fac_mod, "facilities_from_osm", boom)
    monkeypatch.setattr(fac_mod, "read_facilities", boom)
    monkeypatch.setattr(demand_mod, "demand_from_floor_area", boom)
    monkeypatch.setattr(demand_mod, "demand_from_table", boom)
    monkeypatch.setattr(compare_mod, "load_run", boom)
    return boom


# -- the rule, on the module ---------------------------------------------------------------------------


def test_folder_of_ours_is_replaced_and_its_manifest_updated(tmp_path):
    out = _ours(tmp_path / "r", {"old.txt": "old"})
    doc = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert (doc["tool"], doc["kind"], list(doc["files"])) == ("lifecircle", "run", ["old.txt"])
    assert doc["files"]["old.txt"]["bytes"] == 3
    _ours(out, {"new.txt": "newer"})
    doc = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "new.txt"]
    assert doc["files"] == {
        "new.txt": {"bytes": 5, "sha256": _io.file_sha256(out / "new.txt")},
    }
    assert _staging(tmp_path, "r") == []


def test_empty_folder_may_be_used_a_foreign_one_may_not(tmp_path):
    (tmp_path / "empty").mkdir()
    _ours(tmp_path / "empty", {"a.txt": "a"})
    assert (tmp_path / "empty" / MANIFEST).exists()
    user = tmp_path / "user"
    user.mkdir()
    (user / "plan.xlsx").write_bytes(b"mine")
    before = _snapshot(user)
    with pytest.raises(InputError, match=r"holds plan\.xlsx and no \.lifecircle\.json"):
        _ours(user, {"a.txt": "a"})
    assert _snapshot(user) == before
    assert _staging(tmp_path, "user") == []


def test_run_folder_with_a_user_file_is_refused_naming_it(tmp_path):
    out = _ours(tmp_path / "r", {"map.html": "<html>"})
    (out / "notes.docx").write_bytes(b"my notes")
    before = _snapshot(out)
    with pytest.raises(InputError, match=r"folder holds notes\.docx, which lifecircle did not write"):
        preflight_output(out, "run")
    with pytest.raises(InputError, match=r"notes\.docx"):
        _ours(out, {"map.html": "<html> new"})
    assert _snapshot(out) == before
    assert _staging(tmp_path, "r") == []


def test_interrupt_while_staging_keeps_the_previous_folder(tmp_path):
    out = _ours(tmp_path / "r", {"a.txt": "previous"})
    before = _snapshot(out)
    with pytest.raises(KeyboardInterrupt), staged_folder(out) as tmp:
        (tmp / "a.txt").write_text("half", encoding="utf-8")
        raise KeyboardInterrupt
    assert _snapshot(out) == before
    assert _staging(tmp_path, "r") == []


def test_failed_second_rename_puts_the_previous_folder_back(tmp_path, monkeypatch):
    out = _ours(tmp_path / "r", {"a.txt": "previous"})
    before = _snapshot(out)
    real, calls = os.rename, []

    def flaky(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:  # the new folder onto the target, after the previous one moved aside
            raise OSError("disk gone")
        return real(src, dst)

    monkeypatch.setattr(_io.os, "rename", flaky)
    with pytest.raises(OSError, match="disk gone"), staged_folder(out) as tmp:
        (tmp / "a.txt").write_text("new", encoding="utf-8")
    assert len(calls) == 3 and calls[2][1] == "r"  # moved aside, failed, moved back
    assert _snapshot(out) == before
    assert _staging(tmp_path, "r") == []


def test_signal_during_the_swap_waits_until_the_new_folder_is_in_place(tmp_path, monkeypatch):
    out = _ours(tmp_path / "r", {"a.txt": "previous"})
    real, calls = os.rename, []

    def rename_then_signal(src, dst):
        calls.append(dst)
        if len(calls) == 1:  # between the two renames: the target is missing right now
            os.kill(os.getpid(), signal.SIGTERM)
        return real(src, dst)

    monkeypatch.setattr(_io.os, "rename", rename_then_signal)
    with pytest.raises(Interrupted) as info, interruptible(), staged_folder(out) as tmp:
        (tmp / "a.txt").write_text("new", encoding="utf-8")
    assert (info.value.exit_code, info.value.late) == (143, True)
    assert (out / "a.txt").read_text(encoding="utf-8") == "new"
    assert _staging(tmp_path, "r") == []


def test_single_file_rule(tmp_path):
    foreign = tmp_path / "a.gpkg"
    foreign.write_bytes(b"someone else's")
    with pytest.raises(InputError, match=r"existing file lifecircle did not write"):
        check_file_replaceable(foreign)
    ours = tmp_path / "b.csv"
    with owned_file(ours) as tmp:
        tmp.write_text("x\n1\n", encoding="utf-8")
    side = json.loads(sidecar_path(ours).read_text(encoding="utf-8"))
    assert (side["file"], side["bytes"], side["sha256"]) == ("b.csv", 4, _io.file_sha256(ours))
    with owned_file(ours) as tmp:  # ours and untouched: replaced
        tmp.write_text("x\n2\n", encoding="utf-8")
    assert ours.read_text(encoding="utf-8") == "x\n2\n"
    ours.write_text("x\n2\nmy edit\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"was changed since lifecircle wrote it"), owned_file(ours) as tmp:
        tmp.write_text("x\n3\n", encoding="utf-8")
    assert ours.read_text(encoding="utf-8") == "x\n2\nmy edit\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".b.csv.lifecircle.json", "a.gpkg", "b.csv"]


# -- the commands ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "demo"])
def test_run_into_a_user_folder_or_file_is_refused_before_computing(
    tmp_path, monkeypatch, capsys, tripwire, command
):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "report.docx").write_bytes(b"the planner's own report")
    a_file = tmp_path / "plan.gpkg"
    a_file.write_bytes(b"a user's GeoPackage")
    before_dir, before_file = _snapshot(user), (a_file.read_bytes(), a_file.stat().st_mtime_ns)
    for target, says in (
        (user, "is a folder lifecircle did not write (it holds report.docx"),
        (a_file, "is an existing file, but this command writes a folder"),
        (a_file / "sub", "which is a file, not a folder"),
        (Path("/proc/lifecircle-x"), "does not accept new files"),
    ):
        code, err = _cli(monkeypatch, capsys, command, "--out", str(target), "--lang", "en")
        assert code == 2, err
        assert says in err and "Traceback" not in err and err.count("\n") == 1
    assert _snapshot(user) == before_dir
    assert (a_file.read_bytes(), a_file.stat().st_mtime_ns) == before_file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "plan.gpkg"]  # no staging folder


def _tiny_inputs(d: Path) -> dict[str, Path]:
    """A 4 x 4 street grid in Chongqing, three homes and one station (WGS84): runs in a blink."""
    lines = [[[106.55 + i * 0.002, 29.55], [106.55 + i * 0.002, 29.556]] for i in range(4)]
    lines += [[[106.55, 29.55 + i * 0.002], [106.556, 29.55 + i * 0.002]] for i in range(4)]
    feats = [
        {"type": "Feature", "properties": {"fclass": "residential"}, "geometry": {"type": "LineString",
         "coordinates": c}}
        for c in lines
    ]  # fmt: skip
    roads = d / "roads.geojson"
    roads.write_text(json.dumps({"type": "FeatureCollection", "features": feats}), encoding="utf-8")
    homes = d / "homes.csv"
    homes.write_text(
        "lon,lat,population,pop_60\n106.551,29.551,100,20\n106.555,29.555,200,40\n106.553,29.552,50,10\n",
        encoding="utf-8",
    )
    stations = d / "stations.csv"
    stations.write_text(
        "编号,名称,经度,纬度,床位数,服务类型\nA1,甲站,106.552,29.553,30,养老\n", encoding="utf-8-sig"
    )
    return {"roads": roads, "homes": homes, "stations": stations}


def _single_file_jobs(d: Path) -> dict[str, list[str]]:
    """One command line per single-file command, each writing ``--out`` in ``d`` (demand first)."""
    src = _tiny_inputs(d)
    roads, homes, stations = str(src["roads"]), str(src["homes"]), str(src["stations"])
    return {
        "demand": ["demand", homes, "--group-col", "pop_60=pop_60", "--out", str(d / "dem.gpkg")],
        "network": ["network", roads, "--out", str(d / "net.gpkg")],
        "facilities": ["facilities", stations, "--crs", "wgs84", "--out", str(d / "fac.geojson")],
        "site": ["site", roads, "--demand", str(d / "dem.gpkg"), "--model", "lscp", "--spacing", "100",
                 "--out", str(d / "sites.csv")],
        "coverage": ["coverage", roads, "-f", stations, "--facilities-crs", "wgs84", "-d", homes,
                     "--out", str(d / "cov.gpkg")],
    }  # fmt: skip


def test_single_file_commands_refuse_a_foreign_file_before_computing(tmp_path, monkeypatch, capsys, tripwire):
    jobs = _single_file_jobs(tmp_path)
    (tmp_path / "dem.gpkg").write_bytes(b"not read: the --out check comes first")
    for name, args in jobs.items():
        out = Path(args[-1])
        out.write_bytes(f"the user's {out.name}".encode())
        stamp = (out.read_bytes(), out.stat().st_mtime_ns)
        code, err = _cli(monkeypatch, capsys, *args, "--lang", "en")
        assert code == 2, (name, err)
        assert f"{out}: --out is an existing file lifecircle did not write" in err, name
        assert (out.read_bytes(), out.stat().st_mtime_ns) == stamp, name
    # coverage's CSV beside the GeoPackage is protected the same way
    (tmp_path / "cov.gpkg").unlink()
    csv = tmp_path / "cov_indicators.csv"
    csv.write_text("the user's table\n", encoding="utf-8")
    code, err = _cli(monkeypatch, capsys, *jobs["coverage"])
    assert code == 2 and f"{csv}：--csv 是已有的文件" in err
    assert csv.read_text(encoding="utf-8") == "the user's table\n"
    assert not (tmp_path / "cov.gpkg").exists()


def test_single_file_commands_replace_their_own_files(tmp_path, monkeypatch, capsys):
    jobs = _single_file_jobs(tmp_path)
    outputs = ["dem.gpkg", "net.gpkg", "fac.geojson", "sites.csv", "cov.gpkg", "cov_indicators.csv"]
    stamps = {}
    for round_ in range(2):  # write, then replace our own untouched files
        for name, args in jobs.items():
            code, err = _cli(monkeypatch, capsys, *args, "--lang", "en")
            assert code == 0, (name, round_, err)
        for name in outputs:
            path = tmp_path / name
            side = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
            assert (side["file"], side["sha256"]) == (name, _io.file_sha256(path)), name
            assert stamps.get(name) != path.stat().st_mtime_ns, f"{name} was not replaced"
            stamps[name] = path.stat().st_mtime_ns
    hidden = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert hidden == sorted(f".{n}.lifecircle.json" for n in outputs)  # no temporary file left
    # an edited output is the user's now
    with (tmp_path / "sites.csv").open("a", encoding="utf-8") as f:
        f.write("my note\n")
    code, err = _cli(monkeypatch, capsys, *jobs["site"], "--lang", "en")
    assert code == 2 and "--out was changed since lifecircle wrote it" in err
    assert (tmp_path / "sites.csv").read_text(encoding="utf-8").endswith("my note\n")


# -- runs, demo and compare on the embedded Helsinki extract ----------------------------------------


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory):
    """``lifecircle demo --out <base>/run`` over an earlier run folder of ours; returns (base, stderr)."""
    from lifecircle.scenarios.cli import main

    base = tmp_path_factory.mktemp("helsinki")
    _ours(base / "run", {"stale.html": "from an earlier version of the run"})
    argv, sys.argv = sys.argv, ["lifecircle", "demo", "--out", str(base / "run"), "--lang", "en"]
    err = io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = argv
    assert code == 0, err.getvalue()
    return base


def test_demo_replaces_a_previous_run_folder(helsinki):
    run = helsinki / "run"
    doc = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
    names = sorted(p.name for p in run.iterdir() if p.name != MANIFEST)
    assert sorted(doc["files"]) == names and "stale.html" not in names and "run.json" in names
    assert doc["files"]["run.json"]["sha256"] == _io.file_sha256(run / "run.json")
    assert doc["kind"] == "run" and doc["scenario"]


def test_compare_default_folders_never_overwrite_another_comparison(helsinki, monkeypatch, capsys):
    run = helsinki / "run"
    for other in ("x", "y"):
        shutil.copytree(run, helsinki / other / "plan")
    jobs = [
        ([str(run)], "compare_run_vs_optimized"),
        ([str(run), str(helsinki / "x" / "plan")], "compare_run_vs_plan"),
        ([str(run), str(helsinki / "y" / "plan")], "compare_run_vs_plan_2"),  # same name, other pair
        ([str(run), str(helsinki / "x" / "plan")], "compare_run_vs_plan"),  # same pair: reused
    ]
    for args, folder in jobs:
        code, err = _cli(monkeypatch, capsys, "compare", *args, "--lang", "en")
        assert code == 0, err
        doc = json.loads((helsinki / folder / MANIFEST).read_text(encoding="utf-8"))
        assert doc["kind"] == "compare"
        assert doc["pair"]["b"] == (str(Path(args[1]).resolve()) if len(args) > 1 else None)
    folders = sorted(p.name for p in helsinki.iterdir() if p.name.startswith("compare"))
    assert folders == ["compare_run_vs_optimized", "compare_run_vs_plan", "compare_run_vs_plan_2"]
    assert not [p for p in helsinki.iterdir() if p.name.startswith(".")]


# -- signals, through the real console script --------------------------------------------------------


def _entry_point() -> list[str]:
    script = Path(sys.executable).parent / "lifecircle"
    return [str(script)] if script.exists() else [sys.executable, "-m", "lifecircle.scenarios.cli"]


def _handles_sigterm(pid: int) -> bool:
    """True once the process has installed its SIGTERM handler (``main`` has started)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16)
    return bool(caught >> (signal.SIGTERM - 1) & 1)


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [*_entry_point(), *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_until(proc: subprocess.Popen, ready, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            if ready():
                return
        except (OSError, StopIteration):
            pass
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to see the handler")
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_run_exits_with_one_sentence_and_keeps_the_previous_run(helsinki, tmp_path, sig, code):
    shutil.copytree(helsinki / "run", tmp_path / "x")  # a previous run in the same folder
    before = _snapshot(tmp_path / "x")
    proc = _start(["demo", "--out", "x", "--lang", "en"], tmp_path)
    _wait_until(proc, lambda: _handles_sigterm(proc.pid))
    time.sleep(1.0)  # into the computation: the network is loading or loaded (the run takes 3 s or more)
    if proc.poll() is not None:
        proc.communicate()
        pytest.skip("the demo finished before the signal could be sent; nothing to interrupt")
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert stderr.strip() == "Interrupted: no output was written, and earlier results are unchanged."
    assert stdout == ""
    assert _staging(tmp_path, "x") == []
    assert _snapshot(tmp_path / "x") == before


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to see the workers")
def test_interrupted_partitioned_run_closes_its_cluster(helsinki, tmp_path):
    psutil = pytest.importorskip("psutil")
    shutil.copytree(helsinki / "run", tmp_path / "p")
    before = _snapshot(tmp_path / "p")
    proc = _start(["run", "--partitions", "2x2", "--out", "p", "--lang", "en"], tmp_path)
    parent = psutil.Process(proc.pid)

    def workers() -> list:
        return [c for c in parent.children(recursive=True) if "spawn_main" in " ".join(c.cmdline())]

    _wait_until(proc, lambda: len(workers()) >= 1)
    if proc.poll() is not None:
        proc.communicate()
        pytest.skip("the partitioned run ended before its Dask workers were seen")
    started = workers()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert (
        stderr.strip().splitlines()[-1]
        == "Interrupted: no output was written, and earlier results are unchanged."
    )
    _, alive = psutil.wait_procs(started, timeout=20)
    assert alive == [], "Dask worker processes outlived the interrupted run"
    assert _staging(tmp_path, "p") == []
    assert _snapshot(tmp_path / "p") == before
