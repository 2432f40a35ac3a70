# The two commands of the README: `make report` and `make test`. Each creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: report test bench venv system-deps data clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,notebooks,distributed]'
	touch $(STAMP)

venv: $(STAMP)

report: $(STAMP)
	$(BIN)/python -m hamstudy report --out reports

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/run.py

system-deps:
	@sh tools/system-deps.sh

# rebuild the bundled datasets from ../shared/data (the outputs are committed)
data: $(STAMP)
	$(BIN)/python data/build_datasets.py
	$(BIN)/python data/make_synthetic_ipd.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
