# lifecircle: make demo · make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

# -qq: errors only. pip otherwise warns once per package about a pip.conf naming local index folders
# that do not exist, and setuptools announces every editable install (a notice that asks nothing of us).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	PYTHONWARNINGS='ignore:Editable installation' $(PY) -m pip install -qq -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/lifecircle demo --out out/demo

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

bench: $(STAMP)
	PYTHONWARNINGS='ignore:Editable installation' $(PY) -m pip install -qq -e '.[test,bench]'
	$(PY) benchmarks/bench_run.py
	$(PY) benchmarks/bench_coverage.py
	$(PY) benchmarks/bench_isochrones.py
	$(PY) benchmarks/bench_siting.py
	$(PY) benchmarks/bench_scale.py
	$(PY) benchmarks/readme.py

clean:
	rm -rf $(VENV) out .pytest_cache
