# StocKing — `make run` (app on SQLite with demo data and a live market) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5100
SANDBOX_PORT ?= 5110

.PHONY: setup system-deps system-deps-test run migrate test lint schema audit clean messages

# Debian packages a fresh machine lacks are installed (as root, or through sudo, saying what);
# without apt or the rights to use it, the setup stops at once with the command to run.
define apt_install
	@missing=""; \
	for pkg in $$(grep -v '^#' $(1)); do dpkg -s "$$pkg" >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "Missing system packages:$$missing (names from Debian; install their equivalents)"; exit 1; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null; then sudo="sudo"; \
	else echo "Missing Debian packages:$$missing. Run as root: apt-get install -y$$missing"; exit 1; fi; \
	echo "Installing Debian packages:$$missing"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq$$missing >/dev/null
endef

# requirements-security.txt is a second step on purpose: it replaces the requests that
# iamport-rest-client pins with one that has the security fixes (pip warns about the pin).
# requirements-alpaca.txt (alpaca-py, for the Alpaca API's tests and examples/) is a third step: it
# needs the newer requests the second step brings, so it cannot resolve beside iamport's pin.
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-security.txt requirements-alpaca.txt requirements-debian.txt
	$(call apt_install,requirements-debian.txt)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-security.txt
	$(PY) -m pip install --quiet -r requirements-alpaca.txt
	touch $@

setup: $(VENV)/.installed

system-deps:
	$(call apt_install,requirements-debian.txt)

system-deps-test:
	$(call apt_install,requirements-debian-test.txt)

migrate: setup
	$(PY) manage.py migrate --noinput

# Sets up the database, loads the demo universe and users, then serves on :$(PORT) with the
# market simulator and matching engine running beside gunicorn, and the local PortOne sandbox on
# :$(SANDBOX_PORT) so top-ups complete offline. Ctrl-C stops them all and exits cleanly.
run: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "StocKing on http://127.0.0.1:$(PORT)/  (log in as demo / stocking-demo; API docs: /docs)"
	$(PY) manage.py run_stack --port $(PORT) --sandbox --sandbox-port $(SANDBOX_PORT)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

schema: setup
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

# The test command: lint, OpenAPI schema check, then the suite. With DATABASE_URL set (e.g.
# mysql://root@127.0.0.1:3306/stocking) the suite runs against that database instead of SQLite.
test: system-deps-test lint schema
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

# After changing page text: refresh the Korean catalog, translate the new entries in
# locale/ko/LC_MESSAGES/django.po, run it again to compile, and commit both files.
messages: setup
	$(PY) manage.py makemessages -l ko --no-obsolete --ignore=.venv --ignore=staticfiles --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv --ignore=staticfiles --ignore=var

audit: setup
	$(PY) manage.py audit_ledger

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
