# NOC Console: `make run` opens the console, `make test` runs the whole suite.
# The virtual environment is created on first use with the newest suitable Python.
SHELL := /bin/bash
VENV ?= .venv
CORE_VENV ?= .venv-core
BIN := $(VENV)/bin
PYTHON_FOR_VENV := $(shell ./scripts/find-python)
export QT_QPA_PLATFORM ?= offscreen

.PHONY: run wall test test-core lint bench screenshot clean

$(BIN)/.installed: pyproject.toml scripts/find-python
	@test -n "$(PYTHON_FOR_VENV)" || { echo "no Python >= 3.11 found (see scripts/find-python)" >&2; exit 2; }
	@echo "creating $(VENV) with $(PYTHON_FOR_VENV)"
	@test -x $(BIN)/python || $(PYTHON_FOR_VENV) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	@touch $@

run: $(BIN)/.installed
	env -u QT_QPA_PLATFORM $(BIN)/noc-console $(ARGS)

wall: $(BIN)/.installed
	env -u QT_QPA_PLATFORM $(BIN)/noc-console --wall $(ARGS)

# One worker per core (pytest-xdist); a test file stays on one worker, so its module
# fixtures start once. TEST_WORKERS=0 runs in this process (for -x, --pdb, -s).
TEST_WORKERS ?= auto
test: $(BIN)/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The core's promise of no Qt, tested where Qt is not installed at all.
$(CORE_VENV)/bin/.installed: pyproject.toml scripts/find-python
	@test -x $(CORE_VENV)/bin/python || $(PYTHON_FOR_VENV) -m venv $(CORE_VENV)
	$(CORE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CORE_VENV)/bin/python -m pip install --quiet -e . pytest pytest-timeout pytest-xdist hypothesis pytest-httpserver
	$(CORE_VENV)/bin/python -m pip uninstall --quiet --yes PySide6-Essentials shiboken6 pyqtgraph
	@touch $@

test-core: $(CORE_VENV)/bin/.installed
	$(CORE_VENV)/bin/python -m pytest -c tests/app/core-only.ini --rootdir=. --confcutdir=. \
		-n $(TEST_WORKERS) --dist loadfile tests/app $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(BIN)/.installed
	$(BIN)/python -m pytest benchmarks --benchmark-only --benchmark-columns=min,median,max,rounds -s $(PYTEST_ARGS)

screenshot: $(BIN)/.installed
	$(BIN)/noc-console --db sqlite:///$(CURDIR)/.screenshots.db screenshot docs/screenshot.png --size 1600x900
	$(BIN)/noc-console --db sqlite:///$(CURDIR)/.screenshots.db screenshot docs/screenshot-wall.png --view wall --size 1920x1080
	$(BIN)/noc-console --config docs/wall-4k.toml --db sqlite:///$(CURDIR)/.screenshots.db screenshot docs/wall-3840x2160.png --view wall --size 3840x2160
	rm -f .screenshots.db
	$(BIN)/python scripts/runbook_screenshots.py docs
	$(BIN)/python scripts/metrics_screenshot.py docs

clean:
	rm -rf $(VENV) $(CORE_VENV) .pytest_cache .mypy_cache .ruff_cache .benchmarks
