# StateFun Lab. The two quick-start commands:
#   make walkthrough   set everything up, then run the walkthrough on the local runtime
#   make test          set everything up, then run every check (lint, types, tests, notebooks)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup walkthrough test lint notebooks notebooks-build protos bench clean

# A virtual environment with the package (editable) and every pinned extra.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "StateFun Lab needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==26.3
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

walkthrough: $(STAMP)
	$(VENV)/bin/statefun-lab run module.yaml greeter/greeter.py --count 12 --seed 7

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy statefun

# Every notebook edition (en/zh, solution/practice) against its committed outputs.
notebooks: $(STAMP)
	$(PY) scripts/build_notebooks.py --check
	$(VENV)/bin/pytest --nbval notebooks/ --nbval-sanitize-with notebooks/nbval-sanitize.cfg \
		-p no:cacheprovider

# Regenerate the notebooks from notebooks/src and execute them (commit the result).
notebooks-build: $(STAMP)
	$(PY) scripts/build_notebooks.py

test: lint
	$(VENV)/bin/pytest
	$(MAKE) notebooks

protos: $(STAMP)
	PYTHON=$(PY) scripts/gen_protos.sh

bench: $(STAMP)
	$(PY) benchmarks/handler.py
	$(PY) benchmarks/runtime.py
	$(PY) benchmarks/notebooks.py
	$(PY) benchmarks/real_engine.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
