# The two commands a newcomer needs are `make book` and `make test` (see README.md); then
# `make lab` opens the course in JupyterLab. Each creates the project-local environment .venv/
# on first use and reuses it after.

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
# nbgrader calls `alembic`, so the environment's bin/ must be on PATH.
export PATH := $(BIN):$(PATH)
# Notebooks and test workers run this many at a time: every core this process may use.
JOBS ?= $(shell $(PYTHON) -c 'import os; print(len(os.sched_getaffinity(0)))' 2>/dev/null || echo 2)

ASSIGNMENTS := $(notdir $(wildcard solutions/[0-9][0-9]_*))

.PHONY: help setup system-packages system-packages-book book test test-fast nbval lab kernel \
	formgrader exercises po benchmark lint clean

help:
	@echo "make book       build the HTML book into _build/html/ (sets up .venv/ if needed)"
	@echo "make test       build the book (cached), then run every test, $(JOBS) at a time"
	@echo "make lab        open the course in JupyterLab as a student sees it (MyST, Validate)"
	@echo "make formgrader the instructor's JupyterLab: the same, plus nbgrader's formgrader"
	@echo "make test-fast  the tests without the slow ones (grading, book, browser)"
	@echo "make nbval NB=book/05_cnn/01_convolution.ipynb   run one notebook under nbval"
	@echo "make exercises  regenerate exercises/ from solutions/ with nbgrader"
	@echo "make po         update the Spanish edition's catalogs (locales/es/) from the English"
	@echo "make benchmark  time every notebook (flags any over 60 s) and the autograder"
	@echo "make lint       ruff on course_lib/, tests/ and scripts/"

# The stamp is rebuilt when pyproject.toml changes, so new dependencies arrive by themselves.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# The system programs, from Debian/Ubuntu packages, as program=package. This is the one list:
# `make book` needs the first, `make test` all of them, and .ci/run only calls `make test`.
#   npm       fetches MathJax, the Jupyter widgets manager and RequireJS once, so that the built
#             book works offline (scripts/vendor_assets.py)
#   chromium  the browser tests (tests/test_browser.py)
#   bwrap     the autograder's sandbox (course_grader/sandbox.py) and every test that grades
#   initdb    the PostgreSQL gradebook test (tests/test_grading_postgres.py; Debian keeps the
#             server's programs in /usr/lib/postgresql/<version>/bin/)
SYSTEM_PACKAGES := npm=npm chromium=chromium bwrap=bubblewrap initdb=postgresql
BOOK_SYSTEM_PACKAGES := $(filter npm=%,$(SYSTEM_PACKAGES))

# Installed with apt-get when missing and run as root (CI, a container); otherwise the make
# stops here, before minutes of work, and prints the exact command to run.
define require_system_packages
	@missing=""; for pair in $(1); do \
		program=$${pair%%=*}; package=$${pair#*=}; \
		command -v $$program >/dev/null 2>&1 \
			|| ls /usr/lib/postgresql/*/bin/$$program >/dev/null 2>&1 \
			|| missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing$$missing with apt-get"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing \
				|| exit 1; \
		else \
			echo "Missing system packages:$$missing. Install them, then run make again:"; \
			echo "    sudo apt-get install -y$$missing"; \
			exit 1; \
		fi; \
	fi
endef

system-packages:
	$(call require_system_packages,$(SYSTEM_PACKAGES))

system-packages-book:
	$(call require_system_packages,$(BOOK_SYSTEM_PACKAGES))

setup: system-packages $(VENV)/.installed

# scripts/build_book.py executes the notebooks that changed, $(JOBS) at a time, into the
# execution cache (_build/.jupyter_cache), then runs `jupyter-book build . --warningiserror
# --keep-going`, which takes every notebook from that cache. It also fetches the book's
# JavaScript into _build/vendor/ (the vendor_assets extension in _config.yml): no CDN is
# needed to read the book. Notebook times: _build/notebook-times.md.
book: system-packages-book $(VENV)/.installed
	$(BIN)/python scripts/build_book.py --jobs $(JOBS)

# The book first (each notebook executed once, only if it changed; --strict re-reads every
# page, so that a warning anywhere fails), then every test, $(JOBS) at a time: the book and
# browser tests check that build (COURSE_BOOK_BUILT) instead of making another one.
# --dist loadscope hands each test module (or test class) whole to one worker, so that a
# module's expensive fixture (the browser's visit of every page, the graded corpus, one
# chapter's autograde: a class per chapter) runs once. (--dist loadgroup with xdist_group
# marks would say the same, but pytest-xdist 3.8 cannot rename pytest 9's node ids, and the
# groups are silently ignored.)
test: system-packages $(VENV)/.installed
	$(BIN)/python scripts/build_book.py --jobs $(JOBS) --strict
	COURSE_BOOK_BUILT=1 $(BIN)/python -m pytest -n $(JOBS) --dist loadscope

test-fast: $(VENV)/.installed
	$(BIN)/python -m pytest -m "not slow" -n $(JOBS) --dist loadscope

# One notebook, by hand, under nbval (each cell must run; outputs are not compared).
NB ?= book/01_foundations/01_perceptron_and_activations.ipynb
nbval: $(VENV)/.installed
	$(BIN)/python -m pytest --nbval-lax --nbval-cell-timeout=120 $(NB)

# A student's local start: the project's environment as a Jupyter kernel named
# "course (.venv)" (in the user's Jupyter folder, so VS Code and other Jupyters list it too),
# then JupyterLab on the course folder through scripts/lab.py, with the student's
# configuration from jupyter-config/: MyST rendered as in the book (jupyterlab-myst and the
# course-glue extension for glued numbers), nbgrader's Validate button and none of its
# instructor tools, no news pop-up. The notebooks name the kernel "Python 3", which in this
# JupyterLab is the same environment. tests/test_jupyterlab.py starts the same script.
KERNEL_NAME := course
kernel:
	$(BIN)/python -m ipykernel install --user --name $(KERNEL_NAME) --display-name "course (.venv)"

lab: $(VENV)/.installed kernel
	$(BIN)/python scripts/lab.py

# The instructor's JupyterLab: the student's, plus the Nbgrader menu, the formgrader and
# Create Assignment (jupyter-config/instructor/).
formgrader: $(VENV)/.installed kernel
	$(BIN)/python scripts/lab.py --instructor

exercises: $(VENV)/.installed
	@for a in $(ASSIGNMENTS); do \
		$(BIN)/nbgrader generate_assignment $$a --force || exit 1; \
	done

# The Spanish edition's catalogs, after English prose changed: new messages arrive
# untranslated, changed ones fuzzy beside the previous English (scripts/i18n.py, CONTRIBUTING.md).
po: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py extract

# Timings live here, not in the tests (a timed test fails on a busy machine): every notebook
# alone in a fresh kernel, flagged over 60 s, then the autograder against plain nbgrader.
benchmark: setup
	$(BIN)/python scripts/benchmark.py

lint: $(VENV)/.installed
	$(BIN)/ruff check course_lib course_grader tests scripts conftest.py

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis gradebook.db
