# Two commands set everything up on a fresh machine (Python 3.11+ and git):
#   make run   install into .venv, build the database and index, load demo data, serve on :5000
#   make test  install into .venv and run the whole test suite (lint, architecture contract, pytest)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint serve

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi seed-demo
	# The task queue's worker (imports, rescoring, retagging, index work) runs beside the app.
	$(BIN)/huey_consumer webapp.worker.huey --workers 1 --quiet & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $${PORT:-5000}

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy --strict nlp search exports webapp wsgi.py

test: lint
	$(BIN)/python -m pytest -q -p no:cacheprovider
