# Front door of the project. `make help` lists the targets.
# Every target creates the virtual environment on first use, so a fresh clone needs only Python 3.11.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= config/example.yaml
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup report test test-fast lab example validate clean-data bench bench-themes bench-deidentify lint clean

help: ## List the targets with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-17s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first: anything that pulls torch later must find it installed,
	# or pip fetches a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install torch (CPU) and the package with its dev extras

report: $(STAMP) ## Run the whole example cycle and build reports/example/index.html
	@# The example is compared with its previous cycle, so build that first (once).
	@if [ "$(CONFIG)" = "config/example.yaml" ] && [ ! -f reports/example-2024/index.html ]; then \
		echo "Building the previous example cycle (example-2024) for comparison"; \
		$(PY) -m analysis run config/example-2024.yaml; fi
	$(PY) -m analysis run $(CONFIG)

test: $(STAMP) ## Run the full test suite (notebooks included)
	$(PY) -m pytest

test-fast: $(STAMP) ## Quick lane: skip tests marked slow (notebooks, model fits, clusters, real data at scale, subprocesses, browser)
	$(PY) -m pytest -m "not slow"

lab: $(STAMP) ## Open JupyterLab on the project's kernel
	@# Through analysis.core.numerics, so that kernels compute as `make report` does (see its notes).
	$(PY) -c 'from analysis.core.numerics import exec_with_portable_numerics as run; run(["$(VENV)/bin/jupyter", "lab", "--notebook-dir=notebooks"])'

example: $(STAMP) ## Regenerate the synthetic example data in data/raw/example
	$(PY) -m analysis make-example

validate: $(STAMP) ## Check the raw inputs of CONFIG and print every problem
	$(PY) -m analysis validate $(CONFIG)

clean-data: $(STAMP) ## Clean CONFIG's inputs into data/processed/<cycle>/ without running notebooks
	$(PY) -m analysis clean $(CONFIG)

SIZES ?= 7900 30000 100000 300000
bench: $(STAMP) ## Stage and end-to-end benchmarks at several sizes (e.g. make bench SIZES="7900 30000")
	$(PY) bench/bench_scale.py --sizes $(SIZES) --precisions fp32 bf16 int8 --agreement 30000 --dask 10000 --imports

bench-themes: $(STAMP) ## Benchmark theme modelling on the real labelled comments in ../shared
	$(PY) bench/bench_themes.py

bench-deidentify: $(STAMP) ## De-identification recall and false positives on the labelled sentences in bench/data
	$(PY) bench/bench_deidentify.py

lint: $(STAMP) ## Lint with ruff
	$(VENV)/bin/ruff check src tests bench notebooks

clean: ## Remove generated data, reports and caches (keeps .venv and the raw example)
	rm -rf data/processed/* data/interim reports/* .pytest_cache
	@touch data/processed/.gitkeep reports/.gitkeep
