# Front door of the project. `make help` lists the targets.
# Every target creates the virtual environment on first use, so a fresh clone needs only Python 3.11.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
CONFIG ?= config/example.yaml
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup lock report test test-fast lab example validate clean-data bench bench-scale bench-themes bench-deidentify lint clean

help: ## List the targets with one line each
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-17s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

LOCK := requirements/lock.txt

# Exactly the lock: every package at its pinned version, every file checked against its SHA-256.
# Torch is locked as the CPU build (torch==2.13.0+cpu, with the hash of the wheel pip finds on this
# machine), so no CUDA build can be chosen whatever the order. The project itself comes last with
# --no-deps (the lock holds all it needs) and --no-build-isolation (the lock's setuptools builds it,
# so no unpinned build environment is fetched). See requirements/README.md.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv and install exactly requirements/lock.txt (torch CPU, dev tools) and the package

lock: $(STAMP) ## Refresh requirements/lock.txt from pyproject.toml's ranges (keeps pins still allowed; LOCK_UPGRADE=1 takes the newest)
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --extra dev \
		--all-build-deps --allow-unsafe --no-emit-find-links --no-emit-index-url \
		$(if $(LOCK_UPGRADE),--upgrade) --output-file $(LOCK) pyproject.toml
	$(PY) -m pytest -q -p no:cacheprovider tests/test_lock.py

report: $(STAMP) ## Run the example cycle (or CONFIG) and build its report; unchanged steps are reused (RERUN_ALL=1: execute all)
	@# The example is compared with its previous cycle: the first time, both are built together (the
	@# example waits for example-2024 only at the steps that compare with it).
	@if [ "$(CONFIG)" = "config/example.yaml" ] && [ ! -f reports/example-2024/index.html ]; then \
		echo "Building the previous example cycle (example-2024) at the same time, for comparison"; \
		$(PY) -m analysis run config/example-2024.yaml $(CONFIG) $(if $(RERUN_ALL),--rerun-all); \
	else $(PY) -m analysis run $(CONFIG) $(if $(RERUN_ALL),--rerun-all); fi

# Two workers by default (this project's 2-core machine: 7 min instead of 12); a test module stays on one
# worker (--dist loadfile), so module and session fixtures such as the example run are built once per module.
TEST_WORKERS ?= 2
test: $(STAMP) ## Run the full test suite (notebooks included), TEST_WORKERS in parallel (default 2)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

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

# ONNX Runtime and OpenVINO for the encoder table of `make bench` only: pinned, outside the lock, in their
# own folder that only bench/bench_cycle.py puts on its path (the project never imports them).
BENCH_EXTRAS := $(VENV)/bench-extras
BENCH_EXTRAS_PINS := onnxruntime==1.32.0 openvino==2026.4.1 openvino-telemetry==2025.2.0 onnx==1.23.2 \
	ml_dtypes==0.7.0 flatbuffers==25.12.19 protobuf==7.36.2
$(BENCH_EXTRAS)/.installed: | $(STAMP)
	$(PY) -m pip install --quiet --no-deps --target $(BENCH_EXTRAS) $(BENCH_EXTRAS_PINS)
	@touch $@

bench: $(STAMP) ## Example cycle cold and warm per stage + encoder table, vs the previous run (BENCH_TESTS=1: + test suite)
	@$(MAKE) --no-print-directory $(BENCH_EXTRAS)/.installed || echo "ONNX Runtime/OpenVINO not installed: their rows will say so"
	$(PY) bench/bench_cycle.py $(if $(BENCH_TESTS),--tests)

SIZES ?= 7900 30000 100000 300000
bench-scale: $(STAMP) ## Theme engine at several sizes, precisions, Dask, imports (e.g. make bench-scale SIZES="7900 30000")
	$(PY) bench/bench_scale.py --sizes $(SIZES) --precisions fp32 bf16 int8 --agreement 30000 --dask 10000 --imports

bench-themes: $(STAMP) ## Benchmark theme modelling on the real labelled comments in ../shared
	$(PY) bench/bench_themes.py

bench-theme-names: $(STAMP) ## Theme names and stances against the human codes of the labelled comments in ../shared
	$(PY) bench/bench_theme_names.py

bench-deidentify: $(STAMP) ## De-identification recall and false positives on the labelled sentences in bench/data
	$(PY) bench/bench_deidentify.py

lint: $(STAMP) ## Lint with ruff
	$(VENV)/bin/ruff check src tests bench notebooks

clean: ## Remove generated data, reports and caches (keeps .venv and the raw example)
	rm -rf data/processed/* data/interim reports/* .pytest_cache
	@touch data/processed/.gitkeep reports/.gitkeep
