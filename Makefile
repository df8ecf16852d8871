# GIA Flow: `make run` sets everything up and starts the app; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
export FLASK_APP := wsgi

.PHONY: run test setup setup-test db demo translations translations-update chromium bench clean

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

setup: $(VENV)/.installed translations

setup-test: $(VENV)/.installed-test translations chromium

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile --use-fuzzy --statistics -d webui/translations >/dev/null

# Re-extract the messages after changing user-facing text; then translate the new entries in
# webui/translations/ru/LC_MESSAGES/messages.po and run `make translations`.
translations-update: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --no-wrap --sort-output -o webui/translations/messages.pot .
	$(BIN)/pybabel update --no-wrap --ignore-obsolete --no-fuzzy-matching -i webui/translations/messages.pot -d webui/translations

db: setup
	$(BIN)/flask db upgrade

# The demo lives the 2020/21 plan up to DEMO_DATE on the manual clock (the first run takes a minute or two).
DEMO_DATE ?= 2020-12-04
demo: db
	$(BIN)/flask gia demo --plan-until $(DEMO_DATE)

run: demo
	@echo ""
	@echo "  GIA Flow: http://$(HOST):$(PORT)/"
	@echo "  Demo logins (password «demo»): iao (ИАО), tech17 (тех. специалист ППЭ №17), head17 (руководитель СОШ №17),"
	@echo "  iao_head (начальник ИАО), guo_head (начальник ГУО), head12 (руководитель СОШ №12), admin."
	@echo "  The clock stands at $(DEMO_DATE) (manual); move it with: $(BIN)/flask gia timers tick --now 2020-12-10T10:00+03:00"
	@echo "  Stop with Ctrl-C."
	@echo ""
	@mkdir -p var
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A wsgi.celery worker --beat --pool=solo --loglevel=WARNING -s var/celerybeat-schedule & \
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

# Debian's chromium for the browser tests (Playwright cannot download its own browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null)

test: setup-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/engine_cycle.py

clean:
	rm -rf $(VENV) var .pytest_cache
