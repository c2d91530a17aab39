# Two entry points: `make demo` (generate a task on the embedded model) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
IDEA ?= Students keep asking how to pick a sample size for an A/B test
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup system-deps demo test lint clean

# The venv is rebuilt only when pyproject.toml changes or the interpreter is gone;
# pip's wheel cache keeps llama-cpp-python's ~5 minute compile to the first install.
$(STAMP): pyproject.toml
	@$(BIN)/python -c 'import sys' 2>/dev/null || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip wheel
	$(BIN)/python -m pip install --quiet -e '.[local,dev]'
	@touch $(STAMP)

# Debian packages the sandbox needs; installed only where missing, and only as root.
system-deps:
	@if ! command -v bwrap >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing bubblewrap (sandbox isolation)"; \
	    (apt-get install -y -qq bubblewrap >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null && apt-get install -y -qq bubblewrap >/dev/null)) || \
	    echo "warning: could not install bubblewrap; the sandbox falls back to weaker isolation"; \
	  else \
	    echo "note: bubblewrap is not installed; install it (e.g. sudo apt-get install bubblewrap) for full sandbox isolation"; \
	  fi; \
	fi

setup: $(STAMP) system-deps

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
