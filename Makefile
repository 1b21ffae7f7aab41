# StateFun Lab. The two quick-start commands:
#   make walkthrough   set everything up, then run the walkthrough on the local runtime
#   make test          set everything up, then run every check (lint, types, tests, notebooks)

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup walkthrough test lint protos bench clean

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

test: lint
	$(VENV)/bin/pytest

protos: $(STAMP)
	PYTHON=$(PY) scripts/gen_protos.sh

bench: $(STAMP)
	$(PY) benchmarks/handler.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build *.egg-info
