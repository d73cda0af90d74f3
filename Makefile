# The two commands a newcomer needs are `make book` and `make test` (see README.md).
# Both create the project-local environment .venv/ on first use and reuse it after.

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
# nbgrader calls `alembic`, so the environment's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)

ASSIGNMENTS := $(notdir $(wildcard solutions/[0-9][0-9]_*))

.PHONY: help setup book test test-fast exercises benchmark lint clean

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

setup: $(VENV)/.installed

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
