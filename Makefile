# Set-up and everyday commands. `make serve` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# axe-core for the accessibility tests, from the npm registry (tests/package.json, pinned by its lock).
NODE_STAMP := tests/node_modules/.package-lock.json
CONSTRAINTS := constraints.txt
# setuptools (80+) tells every editable install of a flat layout to beware of folders named like
# its packages in the working directory (10 lines, under pip 26 even with --quiet): ours is that
# layout on purpose, so that one notice is filtered by its message; every other warning shows.
QUIET_EDITABLE := PYTHONWARNINGS="ignore:Editable installation:UserWarning"
INDEX ?= var/index
PORT ?= 5000

.PHONY: install index serve test eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(QUIET_EDITABLE) $(BIN)/pip install --quiet -c $(CONSTRAINTS) -e .
	@touch $@

$(TEST_STAMP): $(STAMP)
	$(QUIET_EDITABLE) $(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	# The official CSL-JSON input schema (csl-data.json) ships in no CSL package on PyPI or npm;
	# commonmeta-py vendors it unchanged. Tests read that one file (its sha256 checked); the
	# package's own heavy dependencies are not needed for it, hence --no-deps.
	$(BIN)/pip install --quiet --no-deps commonmeta-py==0.312
	@touch $@

$(NODE_STAMP): tests/package.json tests/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: the accessibility tests will be skipped (see the end of the test report)"; fi

install: $(STAMP)

index: $(STAMP)
	$(BIN)/kb index --index $(INDEX)

serve: $(STAMP)
	@# incremental: verifies the index, rebuilds what changed or is damaged; silent on success
	$(BIN)/kb index --index $(INDEX) --quiet
	$(BIN)/kb serve --index $(INDEX) --host 127.0.0.1 --port $(PORT)

test: $(TEST_STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest

eval: $(TEST_STAMP)
	$(BIN)/python -m bench.evaluation.evaluate --judged tests/data/judged_queries.yaml --piaf ../shared/piaf-dev/piaf-dev.json --people tests/data/people_queries.yaml

bench: $(TEST_STAMP)
	$(BIN)/python -m bench.performance.run --extra-corpus ../shared/corpus-extra

clean:
	rm -rf $(VENV) var build *.egg-info test-artifacts tests/node_modules
