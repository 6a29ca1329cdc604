# Set-up and everyday commands. `make serve` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
CONSTRAINTS := constraints.txt
INDEX ?= var/index
PORT ?= 5000

.PHONY: install index serve test eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	# The official CSL-JSON input schema (csl-data.json) ships in no CSL package on PyPI or npm;
	# commonmeta-py vendors it unchanged. Tests read that one file (its sha256 checked); the
	# package's own heavy dependencies are not needed for it, hence --no-deps.
	$(BIN)/pip install --quiet --no-deps commonmeta-py==0.312
	touch $@

install: $(STAMP)

index: $(STAMP)
	$(BIN)/kb index --index $(INDEX)

serve: $(STAMP)
	$(BIN)/kb index --index $(INDEX) --quiet  # incremental: verifies the index, rebuilds what changed or is damaged
	$(BIN)/kb serve --index $(INDEX) --host 127.0.0.1 --port $(PORT)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

eval: $(TEST_STAMP)
	$(BIN)/python -m bench.evaluation.evaluate --judged tests/data/judged_queries.yaml --piaf ../shared/piaf-dev/piaf-dev.json --people tests/data/people_queries.yaml

bench: $(TEST_STAMP)
	$(BIN)/python -m bench.performance.run --extra-corpus ../shared/corpus-extra

clean:
	rm -rf $(VENV) var build *.egg-info test-artifacts
