# Xuncha: two commands for a fresh machine (Python 3.11+, git, make):
#   make run    install, load the demo prefecture, serve at http://127.0.0.1:8000
#   make test   install the dev tools and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
export XUNCHA_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint bench messages check-messages clean spark

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements/runtime.lock pyproject.toml | $(BIN)/python
	$(PIP) install -r requirements/runtime.lock
	$(PIP) install --no-deps -e .
	touch $@

$(VENV)/.dev: requirements/dev.lock pyproject.toml | $(BIN)/python
	$(PIP) install -r requirements/dev.lock
	$(PIP) install --no-deps -e .
	touch $(VENV)/.runtime $@

# The `spark` extra: the comparison rules on Spark (docs/deployment.md). Java 17 is needed
# to run it; `make spark` installs it into the venv.
$(VENV)/.spark: requirements/spark.lock | $(VENV)/.runtime
	$(PIP) install -r requirements/spark.lock
	touch $@

spark: $(VENV)/.spark

run: $(VENV)/.runtime
	$(BIN)/xuncha demo --if-empty
	$(BIN)/xuncha serve --with-worker

test: $(VENV)/.dev
	XUNCHA_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	XUNCHA_DATA_DIR=$(CURDIR)/var/test $(BIN)/mypy
	XUNCHA_DATA_DIR=$(CURDIR)/var/test $(BIN)/xuncha makemigrations --check --dry-run

bench: $(VENV)/.dev
	XUNCHA_DATA_DIR=$(CURDIR)/var/bench $(BIN)/python benchmarks/run_all.py

# Refresh the message catalogues from the code, then compile them.
messages: $(VENV)/.dev
	cd src/xuncha && ../../$(BIN)/django-admin makemessages -l zh_Hans -l en --no-obsolete --ignore="*/tests/*" --settings=xuncha.settings
	cd src/xuncha && ../../$(BIN)/django-admin compilemessages --settings=xuncha.settings

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
