# ServiceLoop — two commands: `make run` and `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := serviceloop/static/vendor

.PHONY: run test install install-dev assets messages migrate demo lint pytest pytest-pg pytest-plain ci-deps clean bench

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

# Front-end assets come from the npm registry (package-lock.json) and are copied into static.
assets:
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bootstrap-icons $(VENDOR)/htmx $(VENDOR)/alpinejs $(VENDOR)/echarts $(VENDOR)/signature_pad
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts $(VENDOR)/bootstrap-icons/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	rm -f $(VENDOR)/alpinejs/alpine.min.js
	cp node_modules/@alpinejs/csp/dist/cdn.min.js $(VENDOR)/alpinejs/alpine-csp.min.js  # evaluates no strings: no 'unsafe-eval'
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp node_modules/signature_pad/dist/signature_pad.umd.min.js $(VENDOR)/signature_pad/

# gettext's msgfmt compiles the translations; Debian's gettext is installed when missing.
messages:
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

migrate:
	$(BIN)/python manage.py migrate --noinput -v 0
	$(BIN)/python manage.py createcachetable

demo:
	$(BIN)/python manage.py seed_demo --if-empty

run: install assets messages migrate demo
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py print_demo_logins
	@echo "ServiceLoop: http://127.0.0.1:8000  (Ctrl+C stops the web app and the worker)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/python manage.py run_huey --workers 2 & \
	  $(BIN)/python manage.py runserver 127.0.0.1:8000 --noreload

# Test needs: Debian's chromium (Playwright drives /usr/bin/chromium) and CJK fonts for the PDFs.
ci-deps:
	@if ! command -v chromium >/dev/null || ! fc-list | grep -qi "Noto Sans CJK" || ! command -v msgfmt >/dev/null; then \
	  apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk gettext; fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run -v 0

pytest:
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

test: install-dev ci-deps assets messages lint pytest

# The same suite on PostgreSQL (used by .ci/run). Override PG_URL for another server.
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
pytest-pg:
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -q -n 2 --dist loadgroup

# The same suite on SQLite with the fast paths off (serviceloop/core/fastpaths/README.md): the plain
# ORM/DRF/simple-history paths must pass too (used by .ci/run).
pytest-plain:
	env -u DATABASE_URL SERVICELOOP_FASTPATHS=0 $(BIN)/python -m pytest -q -n 2 --dist loadgroup

bench: install-dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var/static
