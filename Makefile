# watchkeeper — the commands a newcomer and CI use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install dovecot test score-samples lint typecheck demo bench clean

help:
	@echo "make demo           run the whole desk on embedded mail servers (no configuration)"
	@echo "make test           install everything the tests need, then run them"
	@echo "make score-samples  score the parser on the contract's shared samples, if beside"
	@echo "make lint           ruff"
	@echo "make typecheck      mypy --strict"
	@echo "make bench          print the benchmark figures"

# Debian's python3 creates venvs only with python3-venv installed: installed with apt when
# missing (as root), like Dovecot below.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Dovecot is installed from Debian's packages when missing (the test harness needs root for
# apt; it runs its own private instance and never touches a system one).
dovecot:
	@command -v dovecot >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends dovecot-imapd >/dev/null; }

# Two workers, each with its own Dovecot, SMTP sink and PostgreSQL database: most tests
# wait on a daemon or a server, so the suite takes about half the time.
TEST_WORKERS ?= 2

test: $(STAMP) dovecot
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n $(TEST_WORKERS)

# The contract's shared samples (corpus, truth, scorer) beside the project: an optional extra
# check of the parser, never a dependency of the tests, which use tests/data/corpus.
SAMPLES ?= ../shared/samples

score-samples:
	@if [ ! -d "$(SAMPLES)" ]; then \
	  echo "score-samples: skipped, $(SAMPLES) does not exist (SAMPLES=DIR names another place)"; \
	else \
	  $(MAKE) --no-print-directory install && \
	  out=$$(mktemp) && trap 'rm -f "$$out"' EXIT && \
	  $(BIN)/watchkeeper parse --json --directory "$(SAMPLES)/directory.toml" \
	    "$(SAMPLES)"/corpus/*.eml > "$$out" && \
	  $(BIN)/python "$(SAMPLES)/score.py" "$$out" --truth "$(SAMPLES)/truth.json" $(SCORE_ARGS); \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

demo: $(STAMP)
	$(BIN)/watchkeeper demo

bench: $(STAMP) dovecot
	$(BIN)/python bench/parse.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/idle_latency.py
	$(BIN)/python bench/fault_visibility.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
