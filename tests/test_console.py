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


def test_the_collector_is_paused_for_the_imports_only(tmp_path):
    code = (
        "import atexit, gc, sys\n"
        "from lifecircle.scenarios import cli\n"
        "atexit.register(lambda: print('collector', gc.isenabled(), gc.get_freeze_count() > 1000,"
        " gc.get_threshold()[0] == cli.YOUNG_COLLECTION, 'pydantic' in sys.modules))\n"
        "sys.argv = ['lifecircle', *sys.argv[1:]]\n"
        "cli.console()\n"
    )
    missing = str(tmp_path / "missing.yaml")
    got = subprocess.run(
        [sys.executable, "-c", code, "run", missing, "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert got.returncode == 2, got.stderr  # the run's libraries were imported, then the file was missing
    # resumed, the imported objects frozen out of it; no option went through pydantic (0.1 s)
    assert "collector True True True False" in got.stdout
    import gc

    from lifecircle.scenarios import cli

    before = gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()
    cli._imports_done()  # outside the command (tests, the library): nothing changes
    assert (gc.isenabled(), gc.get_freeze_count(), gc.get_threshold()) == before


def test_the_command_line_names_its_command_past_the_root_options():
    from lifecircle.scenarios.cli import _dispatching, app
    from lifecircle.scenarios.cli_usage import command_word

    assert command_word(["--no-progress", "--lang", "en", "run", "x.yaml", "--lang", "zh"]) == "run"
    assert command_word(["--lang=en", "site", "roads.geojson"]) == "site"
    assert command_word(["--help"]) is None and command_word(["--lang", "en"]) is None
    one = _dispatching("run")  # only the command named is turned into click options
    assert [c.callback.__name__ for c in one.registered_commands] == ["run"] and one is not app
    assert _dispatching("rn") is app and _dispatching(None) is app  # a misspelt or no command: the whole app
    assert len(app.registered_commands) == 8
