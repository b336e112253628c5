"""The ``lifecircle`` command ends with ``os._exit``: its output, exit code and exit handlers come through."""

from __future__ import annotations

import subprocess
import sys

ENTRY = (
    "import atexit, sys\n"
    "atexit.register(lambda: print('exit handler ran'))\n"
    "sys.argv = ['lifecircle', *sys.argv[1:]]\n"
    "from lifecircle.scenarios.cli import console\n"
    "console()\n"
    "print('never here')\n"
)


def _console(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_help_reaches_a_pipe_and_the_exit_handlers_run():
    got = _console("--help", "--lang", "en")
    assert got.returncode == 0, got.stderr
    assert "Usage" in got.stdout and got.stdout.rstrip().endswith("exit handler ran")
    assert "never here" not in got.stdout


def test_bad_input_keeps_its_exit_code_and_sentence(tmp_path):
    got = _console("run", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "out"), "--lang", "en")
    assert got.returncode == 2
    assert "missing.yaml" in got.stderr and "Traceback" not in got.stderr
    assert "exit handler ran" in got.stdout
    assert not (tmp_path / "out").exists()
