# Two commands do everything on a fresh machine (see README):
#   make serve   create .venv, install, serve the bundled fixtures on http://127.0.0.1:8000
#   make test    create .venv, install with the test extras, run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
DREADNODE := dreadnode==2.0.52
# The browser test drives Debian's chromium (never a downloaded browser); apt installs it.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test lint fmt check routes bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The test install also brings the vendors' SDKs (the sdk extra) and the Dreadnode SDK
# without its ~1 GB of dependencies (see pyproject's sdk extra).
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dev,sdk]'
	$(BIN)/python -m pip install --quiet --no-deps '$(DREADNODE)'
	touch $@ $(VENV)/.installed

serve: $(VENV)/.installed
	$(BIN)/mockserver serve $(ARGS)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

test: $(VENV)/.installed-test $(CHROMIUM)
	$(BIN)/python -m pytest $(ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

fmt: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check: lint test
	$(BIN)/mockserver check

# Speed and memory: the mock against a bare starlette app (see bench/bench.py and README),
# then memory under 300,000 distinct requests (bench/memory.py) and how long control-plane
# writes stall vendor traffic at 100,000 records (bench/stall.py).
bench: $(VENV)/.installed
	$(BIN)/python bench/bench.py $(ARGS); status=$$?; $(BIN)/python bench/memory.py && $(BIN)/python bench/stall.py && exit $$status

routes: $(VENV)/.installed
	$(BIN)/mockserver routes

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache
