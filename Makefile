# GIA Flow: `make run` sets everything up and starts the app; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := wsgi

.PHONY: run serve test setup setup-test db demo translations translations-update chromium vendor bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-test.txt
	@touch $@

setup: $(VENV)/.installed translations vendor

setup-test: $(VENV)/.installed-test translations chromium vendor

# Front-end packages from npm, exactly as package-lock.json pins them, copied to where the app serves them
# (webui/static/vendor): pages never load anything from a CDN.
VENDOR := webui/static/vendor
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR)/.copied: node_modules/.installed $(wildcard webui/frontend/*.js) $(wildcard webui/frontend/*.json)
	@rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bpmn-js
	cp -r node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js node_modules/bpmn-js/dist/assets $(VENDOR)/bpmn-js/
	@mkdir -p $(VENDOR)/chart.js $(VENDOR)/axe-core
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chart.js/
	cp node_modules/axe-core/axe.min.js $(VENDOR)/axe-core/  # injected by the browser tests only, never by a page
	node_modules/.bin/esbuild webui/frontend/auto-layout.js --bundle --minify --format=iife --log-level=warning \
		--outfile=$(VENDOR)/auto-layout.js
# The process designer's modeller (webui/frontend/designer.js: bpmn-js Modeler, properties panel, our moddle
# extension and Russian words) and the styles it needs.
	node_modules/.bin/esbuild webui/frontend/designer.js --bundle --minify --format=iife --log-level=warning \
		--alias:min-dom=./webui/frontend/min-dom-csp.js \
		--outfile=$(VENDOR)/designer.js
# Two versions of a process side by side (webui/frontend/diff.js: bpmn-js viewers, bpmn-js-differ).
	node_modules/.bin/esbuild webui/frontend/diff.js --bundle --minify --format=iife --log-level=warning \
		--outfile=$(VENDOR)/diff.js
# The form editor (webui/frontend/form-editor.js): fields edited in place, the server's preview beside them.
	node_modules/.bin/esbuild webui/frontend/form-editor.js --bundle --minify --format=iife --log-level=warning \
		--outfile=$(VENDOR)/form-editor.js
	@mkdir -p $(VENDOR)/properties-panel
	cp node_modules/@bpmn-io/properties-panel/dist/assets/properties-panel.css $(VENDOR)/properties-panel/
	@mkdir -p $(VENDOR)/token-simulation  # the token simulation in the modeller (frontend/dry-run.js)
	cp node_modules/bpmn-js-token-simulation/assets/css/bpmn-js-token-simulation.css $(VENDOR)/token-simulation/
	@touch $@

vendor: $(VENDOR)/.copied

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --use-fuzzy --statistics -d webui/translations >/dev/null

# Re-extract the messages after changing user-facing text; then translate the new entries in
# webui/translations/ru/LC_MESSAGES/messages.po and run `make translations`.
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --no-wrap --sort-output -o webui/translations/messages.pot .
	$(BIN)/pybabel update --no-wrap --ignore-obsolete --no-fuzzy-matching -i webui/translations/messages.pot -d webui/translations

db: setup
	$(BIN)/flask db upgrade

# The demo lives the 2020/21 plan up to DEMO_DATE on the manual clock, printing a line per simulated week (about
# 30 s on an idle 2-core machine, minutes on a busy one: bench/demo.py); later runs skip it, or go on from the day
# a run stopped with Ctrl-C had reached.
DEMO_DATE ?= 2020-12-04
demo: db
	$(BIN)/flask gia demo --plan-until $(DEMO_DATE)

# Web, worker and beat as the three processes of the Procfile, under honcho: Ctrl-C stops each of them once, and
# when one of them dies (a worker killed with -9) honcho stops the others, so that no beat outlives its worker.
# They share their counters for /metrics in var/metrics (prometheus_client's multiprocess files), emptied first.
METRICS_DIR = "$${GIA_VAR_DIR:-var}/metrics"
SERVE = mkdir -p "$${GIA_VAR_DIR:-var}" && rm -rf $(METRICS_DIR) && mkdir $(METRICS_DIR) && \
	HOST=$(HOST) PROMETHEUS_MULTIPROC_DIR=$(METRICS_DIR) PYTHONUNBUFFERED=1 exec $(BIN)/honcho start --port $(PORT)

run: demo
	@echo ""
	@echo "  GIA Flow: http://$(HOST):$(PORT)/   Demo logins, password «demo»:"
	@echo "  iao (специалист ИАО: ведёт план, принимает отчёты), iao_head (начальник ИАО: эскалации),"
	@echo "  guo_head (начальник ГУО: программа, эскалации), tech17 / tech12 (тех. специалисты ППЭ №17 / №12),"
	@echo "  head17 / head12 (руководители СОШ №17 / №12), designer (разработчик процессов), admin (администратор)."
	@echo "  The clock stands at $(DEMO_DATE) (manual); move it with: $(BIN)/flask gia timers tick --now 2020-12-10T10:00+03:00"
	@echo "  Stop with Ctrl-C."
	@echo ""
	@$(SERVE)

# What `make run` ends with: the app's processes on the database as it is (no setup, migration or demo).
serve:
	@$(SERVE)

# Debian's chromium for the browser tests (Playwright cannot download its own browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null)

# The layering contracts in .importlinter first (who may import whom), then the tests.
test: setup-test
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/engine_cycle.py

clean:
	rm -rf $(VENV) var .pytest_cache node_modules $(VENDOR)
