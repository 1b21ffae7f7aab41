# StateFun Lab. The two quick-start commands:
#   make walkthrough   set up what a learner needs, then run the walkthrough on the local runtime
#   make test          set up the whole development set, then run every check (lint, types,
#                      tests, notebooks, the widgets in JupyterLab in headless Chromium)
#
# Two setups, one .venv (README, "What to install"):
#   make setup         a learner's: the package (editable) with the notebooks extra (JupyterLab,
#                      the widgets, what the walkthrough and the notebooks import)
#   make setup-dev     the development set: every extra, the test and lint tools (dev extra);
#                      every target below but setup/walkthrough/lab needs it, and makes it

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP_LEARNER := $(VENV)/.installed-learner
STAMP         := $(VENV)/.installed-dev

.PHONY: setup setup-dev walkthrough lab test lint chromium notebooks notebooks-build i18n browser \
	browser-test browser-serve protos bench clean

define make_venv
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "StateFun Lab needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip==26.3
endef

# A learner's environment: the package (editable) with the notebooks extra.
$(STAMP_LEARNER): pyproject.toml
	$(make_venv)
	$(PY) -m pip install --quiet -e ".[notebooks]"
	@touch $@

# The development set; a superset of the learner's, so it counts as that too.
$(STAMP): pyproject.toml
	$(make_venv)
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@ $(STAMP_LEARNER)

setup: $(STAMP_LEARNER)

setup-dev: $(STAMP)

walkthrough: $(STAMP_LEARNER)
	$(VENV)/bin/statefun-lab run module.yaml greeter/greeter.py --count 12 --seed 7

# JupyterLab on the notebooks of this clone (the first one open).
lab: $(STAMP_LEARNER)
	$(VENV)/bin/jupyter lab notebooks/en/00-start-here.ipynb

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy statefun

# Every notebook edition (en/zh, solution/practice) against its committed outputs.
# Notebook 07 starts the real Flink StateFun and Kafka: the real-engine tier runs it with nbval
# (tests/e2e/test_notebook_07.py), `make test` included.
notebooks: $(STAMP)
	$(PY) scripts/build_notebooks.py --check
	$(VENV)/bin/pytest --nbval notebooks/ --nbval-sanitize-with notebooks/nbval-sanitize.cfg \
		-p no:cacheprovider $(foreach l,en zh,--ignore=notebooks/$(l)/07-deploying.ipynb \
		--ignore=notebooks/$(l)/practice/07-deploying.ipynb)

# Regenerate the notebooks from notebooks/src and execute them (commit the result).
notebooks-build: $(STAMP)
	$(PY) scripts/build_notebooks.py

# The learner-facing messages in other languages (statefun/locale, see statefun/i18n.py): Babel
# extracts the messages marked in the package, merges them into each .po (translate what comes
# out new or "fuzzy" there, then run this again) and compiles the .mo files that ship.
# tests/notebooks/test_i18n.py fails while a .po or a .mo lags behind the code. A new language:
# pybabel init -i $(I18N_POT) -d statefun/locale -D statefun -l LANG, then add it to LANGUAGES.
I18N_POT := build/statefun.pot
i18n: $(STAMP)
	@mkdir -p $(dir $(I18N_POT))
	$(VENV)/bin/pybabel -q extract -F statefun/locale/babel.cfg --add-location=file \
		--sort-output --add-comments=NOTE: --project="StateFun Lab" --version=0.1.0 \
		-o $(I18N_POT) .
	$(VENV)/bin/pybabel update -i $(I18N_POT) -d statefun/locale -D statefun \
		--ignore-obsolete --ignore-pot-creation-date
	$(VENV)/bin/pybabel compile -d statefun/locale -D statefun --statistics

# Chromium for the browser tests (tests/browser): one already there (STATEFUN_LAB_CHROMIUM, or
# chromium on the PATH), else Debian's package when run as root with apt (as on CI), else
# Playwright's own download.
chromium: $(STAMP)
	@if [ -n "$$STATEFUN_LAB_CHROMIUM" ] || command -v chromium >/dev/null 2>&1 || \
		command -v chromium-browser >/dev/null 2>&1; then \
		true; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q chromium >/dev/null || \
			{ apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; \
	else \
		$(VENV)/bin/playwright install chromium; \
	fi

# The browser edition: a static JupyterLite site in build/browser/ where the notebooks run on
# Pyodide, nothing to install (README, "In the browser"). Pinned and verified downloads from
# browser/ (PyPI wheels and sdists with --require-hashes, Pyodide from npm with `npm ci`);
# needs npm. browser-test serves it on 127.0.0.1 and runs every step in headless Chromium
# (tests/lite; it rebuilds the site first when the repository changed since the last build).
# BROWSER_ADD: notebooks or folders of your own to put at the top of the site (make browser
# BROWSER_ADD="my-workshop/ intro.ipynb").
browser: $(STAMP)
	$(PY) scripts/build_browser.py $(foreach p,$(BROWSER_ADD),--add $(p))

browser-test: $(STAMP) chromium
	$(VENV)/bin/pytest -m lite -p no:cacheprovider

browser-serve: browser
	$(PY) scripts/build_browser.py --serve 8000

test: lint chromium
	$(VENV)/bin/pytest
	$(MAKE) notebooks

protos: $(STAMP)
	PYTHON=$(PY) scripts/gen_protos.sh

bench: $(STAMP)
	$(PY) benchmarks/handler.py
	$(PY) benchmarks/runtime.py
	$(PY) benchmarks/notebooks.py
	$(PY) benchmarks/serving.py
	$(PY) benchmarks/module_yaml.py
	$(PY) benchmarks/real_engine

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
