# Both `make run` and `make test` set up their own virtual environment on first use, from the
# hash-locked requirements (`make lock` refreshes them from pyproject.toml).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-x -k deploy"` (CI adds coverage).
PYTEST_ARGS ?=
COVERAGE_MIN ?= 90
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.11 \
	--generate-hashes --quiet --custom-compile-command "make lock"

.PHONY: run test fuzz authorization-doc coverage lint format bench lock lock-upgrade clean

$(STAMP): pyproject.toml $(DEV_LOCK)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r $(DEV_LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; \
		echo "pyproject.toml asks for something $(DEV_LOCK) does not pin: run 'make lock'" >&2; \
		exit 1; }
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/classconnect serve

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# Property-based fuzzing of the whole API from its OpenAPI document, far larger than the run in
# `make test` (over 3,000 cases; a random seed each time, printed with the counts).
FUZZ_EXAMPLES ?= 5
FUZZ_SCENARIOS ?= 60
fuzz: $(STAMP)
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SCENARIOS=$(FUZZ_SCENARIOS) FUZZ_STEPS=12 FUZZ_MIN_CASES=3000 \
		FUZZ_SEED=$${FUZZ_SEED:-random} $(PY) -m pytest tests/fuzz -s -k conforms $(PYTEST_ARGS)

# docs/authorization.md from the table in tests/authz (a test fails while they differ).
authorization-doc: $(STAMP)
	$(PY) -m tests.authz.doc

# The whole suite with line coverage of server/ (CI): fails under COVERAGE_MIN percent.
coverage: $(STAMP)
	$(PY) -m pytest --cov=server --cov-report=term:skip-covered \
		--cov-fail-under=$(COVERAGE_MIN) $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m bench.startup

# Re-resolve both lock files from pyproject.toml, keeping every pin that still fits (uv reads
# the current lock as its preferences); `make lock-upgrade` moves everything to the newest.
# The runtime lock is constrained by the dev lock, so the two never disagree on a version.
lock:
	@test -x $(VENV)/bin/uv || { $(PYTHON) -m venv $(VENV) && \
		$(PY) -m pip install --quiet "$$(grep -o '^uv==[^ ]*' $(DEV_LOCK))"; }
	$(UV_COMPILE) $(UV_FLAGS) --extra dev -o $(DEV_LOCK)
	$(UV_COMPILE) $(UV_FLAGS) -c $(DEV_LOCK) -o $(LOCK)

lock-upgrade:
	$(MAKE) lock UV_FLAGS=--upgrade

clean:
	rm -rf $(VENV) build *.egg-info
