# Two commands for a fresh machine:  make run  (set up and start the dashboard)  and  make test.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: setup run test lint benchmark samples browser

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) -m streamlit run app.py --server.port $(PORT)

# Debian's Chromium for the browser test; skipped (the test then says why) where apt is unavailable.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: the browser test will be skipped"; \
	  else echo "chromium missing and apt-get unavailable: the browser test will be skipped"; fi; }

lint: setup
	$(PY) -m ruff check .

test: setup browser lint
	$(PY) -m pytest

benchmark: setup
	$(PY) scripts/benchmark.py --engine ray
	$(PY) scripts/results_table.py --write-readme >/dev/null

samples: setup
	$(PY) scripts/make_samples.py --out data/samples
