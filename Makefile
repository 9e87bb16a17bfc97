# `make run` and `make test` set everything up on a fresh machine (Python 3.11 with venv), then run.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint format bench browser

$(VENV)/.runtime: requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PYTHON) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(VENV)/bin/streamlit run streamlit_app.py --server.port $(PORT)

# The browser tests need Debian's Chromium, and the deploy test Debian's nginx. As root they are installed here;
# otherwise those tests skip with a reason locally (under CI=true they fail instead).
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium nginx >/dev/null; \
	  else echo "note: run 'sudo apt-get install chromium nginx' for the browser and deploy tests"; fi; \
	fi

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: $(VENV)/.dev browser lint
	$(PYTHON) -m pytest

bench: $(VENV)/.dev browser
	$(PYTHON) -m bench.run_all
