# The list of commands. `make run` serves the demo clinic; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint migrate demo clean bench bench-cpu load wrk lighthouse

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Local development only: debug on, SQLite, demo data if the database is empty.
# E-mails print to the console; to see reminders, choose a time in My account and run
# `DJANGO_DEBUG=1 .venv/bin/python manage.py send_reminders` in a second terminal after it.
# `make run PORT=8001` serves on another port; links in e-mails follow it (DJANGO_SITE_URL,
# unless it is set already).
PORT ?= 8000
run: export DJANGO_DEBUG = 1
run: export DJANGO_SITE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.runtime
	$(PY) manage.py migrate --no-input
	$(PY) manage.py compile_translations
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.dev
	$(PY) -m pytest $(ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/bandit --quiet --recursive clinic tracker --severity-level high
	scripts/audit-dependencies

# Throughput as ratios of a trivial page, query counts, page weight (scripts/bench.py), and
# the load and fault drills (scripts/load.py). Both run gunicorn on 127.0.0.1 against a
# database of their own (relief_bench), seeded on first use. Results: bench-results/.
# `make bench` then measures CPU per request (scripts/bench_cpu.py, also `make bench-cpu`
# alone), which a busy machine moves far less than requests/s; CPU_ARGS are its options.
bench: $(VENV)/.runtime wrk
	$(PY) scripts/bench.py $(ARGS)
	$(PY) scripts/bench_cpu.py $(CPU_ARGS)

bench-cpu: $(VENV)/.runtime
	$(PY) scripts/bench_cpu.py $(ARGS)

load: $(VENV)/.runtime wrk
	$(PY) scripts/load.py $(ARGS)

# Lighthouse's installability audit against the demo clinic, signed out and as the demo
# patient (scripts/lighthouse.py). Lighthouse comes from npm (package.json) into
# node_modules, for this check only; `make test` asks Chromium the same question itself.
lighthouse: $(VENV)/.runtime node_modules/.bin/lighthouse
	$(PY) scripts/lighthouse.py

node_modules/.bin/lighthouse: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# The load tool, from Debian.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "wrk is not installed: running apt-get install -y wrk"; \
	  { apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; } || { \
	    echo "Could not install wrk. Install it with: sudo apt-get install -y wrk"; exit 1; }; }

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules
