# lifecircle: make demo · make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bytecode clean

# -qq: errors only. pip otherwise warns once per package about a pip.conf naming local index folders
# that do not exist, and setuptools announces every editable install (a notice that asks nothing of us).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	PYTHONWARNINGS='ignore:Editable installation' $(PY) -m pip install -qq -e '.[test]'
	touch $(STAMP)

# The package's bytecode, as installing a wheel writes it: an editable install compiles nothing,
# and where PYTHONDONTWRITEBYTECODE is set Python never caches it, so every command compiled the
# package's 110 modules again (0.3 s of a 3 s district run). Only changed files are recompiled.
bytecode: $(STAMP)
	$(PY) -m compileall -q coverage geodata maps scenarios

demo: bytecode
	$(VENV)/bin/lifecircle demo --out out/demo

test: bytecode
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

bench: bytecode
	PYTHONWARNINGS='ignore:Editable installation' $(PY) -m pip install -qq -e '.[test,bench]'
	$(PY) benchmarks/bench_run.py
	$(PY) benchmarks/bench_coverage.py
	$(PY) benchmarks/bench_isochrones.py
	$(PY) benchmarks/bench_siting.py
	$(PY) benchmarks/bench_scale.py
	$(PY) benchmarks/readme.py

clean:
	rm -rf $(VENV) out .pytest_cache
