# Two commands do everything on a fresh machine (see README):
#   make serve   create .venv, install, serve the bundled fixtures on http://127.0.0.1:8000
#   make test    create .venv, install with the test extras, run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=
# pytest-xdist workers for make test: one per core (TEST_WORKERS=0 runs in one process)
TEST_WORKERS ?= auto
DREADNODE := dreadnode==2.0.52
# The browser test (tests/test_browser.py) drives a chromium of the system, never a
# downloaded browser. Where it is missing and apt is there, `make test` installs Debian's:
# without recommended packages, and with every installed package pinned at its version
# (APT_KEEP), so apt adds only what is missing and upgrades nothing (it refuses instead).
# apt's output goes to APT_LOG. Without apt, the browser test is left out with a line
# saying how to get chromium; CI (CI set) always runs it.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_LOG := $(VENV)/apt-chromium.log
APT_KEEP := $(VENV)/apt-keep-installed.pref
APT_GET = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -o Dir::Etc::Preferences=$(abspath $(APT_KEEP))
NO_CHROMIUM = The browser test (tests/test_browser.py) needs chromium at $(CHROMIUM), which is \
	missing: install it with your package manager (Debian, Ubuntu: apt-get install \
	--no-install-recommends chromium; Fedora: dnf install chromium) or run \
	make test CHROMIUM=/path/to/chromium. Running every other test.

.PHONY: serve test chromium lint fmt check routes bench clean

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

test: $(VENV)/.installed-test
	@[ -x "$(CHROMIUM)" ] || ! command -v apt-get >/dev/null || $(MAKE) --no-print-directory chromium || :
	@if [ -x "$(CHROMIUM)" ] || [ -n "$$CI" ]; then \
		set -x; MOCKSERVER_CHROMIUM="$(CHROMIUM)" $(BIN)/python -m pytest -n $(TEST_WORKERS) $(ARGS); \
	else \
		echo "$(NO_CHROMIUM)"; set -x; $(BIN)/python -m pytest -n $(TEST_WORKERS) --ignore=tests/test_browser.py $(ARGS); \
	fi

# Debian's chromium and what it needs, nothing recommended, nothing upgraded (see above).
chromium:
	@mkdir -p $(VENV)
	@printf 'Package: *\nPin: release a=now\nPin-Priority: 990\n' > $(APT_KEEP)
	@$(APT_GET) update > $(APT_LOG) 2>&1 || { echo "apt-get update failed: see $(APT_LOG)"; exit 1; }
	@plan=$$($(APT_GET) install -s --no-install-recommends chromium 2>&1); echo "$$plan" >> $(APT_LOG); \
	new=$$(echo "$$plan" | grep -c '^Inst '); \
	if ! echo "$$plan" | grep -q '^Inst chromium '; then \
		echo "apt has no chromium, or only one that needs installed packages upgraded, which make test does not do: see $(APT_LOG)"; exit 1; \
	fi; \
	echo "Installing Debian's chromium for the browser test: $$new new packages (chromium and what it needs, nothing recommended, nothing upgraded; apt's output: $(APT_LOG))"
	@$(APT_GET) install -y --no-install-recommends chromium >> $(APT_LOG) 2>&1 || { echo "apt-get install chromium failed: see $(APT_LOG)"; exit 1; }

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
# then memory under 300,000 distinct requests (bench/memory.py), how long control-plane
# writes stall vendor traffic at 100,000 records (bench/stall.py), the twin's writes at
# 100,000 records (bench/writes.py) and snapshot restores (bench/snapshots.py).
bench: $(VENV)/.installed
	$(BIN)/python bench/bench.py $(ARGS); status=$$?; $(BIN)/python bench/memory.py && $(BIN)/python bench/stall.py && $(BIN)/python bench/writes.py && $(BIN)/python bench/snapshots.py && exit $$status

routes: $(VENV)/.installed
	$(BIN)/mockserver routes

clean:
	rm -rf $(VENV) dist build .pytest_cache .ruff_cache
