# The two commands a newcomer needs are `make book` and `make test` (see README.md).
# Both create the project-local environment .venv/ on first use and reuse it after.

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
# nbgrader calls `alembic`, so the environment's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)

ASSIGNMENTS := $(notdir $(wildcard solutions/[0-9][0-9]_*))

.PHONY: help setup system-packages book test test-fast exercises benchmark lint clean

help:
	@echo "make book       build the HTML book into _build/html/ (sets up .venv/ if needed)"
	@echo "make test       run the whole test suite (sets up .venv/ if needed)"
	@echo "make test-fast  the tests without the slow ones (notebooks, grading, book build)"
	@echo "make exercises  regenerate exercises/ from solutions/ with nbgrader"
	@echo "make benchmark  time every notebook and a clean book build"
	@echo "make lint       ruff on course_lib/ and tests/"

# The stamp is rebuilt when pyproject.toml changes, so new dependencies arrive by themselves.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# Two system programs, from Debian's packages: npm fetches MathJax, the Jupyter widgets manager
# and RequireJS from the npm registry once, so that the built book works offline
# (scripts/vendor_assets.py); chromium runs the browser tests (tests/test_browser.py).
# Installed with apt-get when missing and run as root (CI); otherwise the command is printed.
SYSTEM_PACKAGES := npm chromium

setup: $(VENV)/.installed system-packages

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
		command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing$$missing with apt-get"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else \
			echo "Missing:$$missing. Install with: sudo apt-get install$$missing" \
				"(npm: make book needs it once; chromium: the browser tests)"; \
		fi; \
	fi

# Also fetches the book's JavaScript into _build/vendor/ (the vendor_assets extension in
# _config.yml), then serves it from _build/html/_static/vendor/: no CDN is needed to read it.
book: setup
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is in _build/html/index.html"

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

exercises: setup
	@for a in $(ASSIGNMENTS); do \
		$(BIN)/nbgrader generate_assignment $$a --force || exit 1; \
	done

benchmark: setup
	$(BIN)/python scripts/benchmark.py

lint: setup
	$(BIN)/ruff check course_lib tests scripts

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis gradebook.db
