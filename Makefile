# Set-up and everyday tasks. Needs only Python 3.11+ (PYTHON may name another one).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench example clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/sopkinerja demo

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m bench

# Rewrite the repository's example workspace files from the package's example data.
example: install
	rm -f sopkinerja.toml input/master.xlsx
	$(BIN)/sopkinerja init . --example

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache output/20* arsip
