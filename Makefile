# casesync: `make demo` and `make test` do all set-up on a fresh machine (venv, jars, services).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test bench bench-quick lint typecheck test-unit test-integration test-faults infra-up infra-down infra-status clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/casesync demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test-unit: $(STAMP)
	$(BIN)/pytest tests/unit

test-integration: $(STAMP)
	$(BIN)/pytest tests/integration

# The fault-injection tests alone (also part of `make test`).
FAULT_TESTS := $(addprefix tests/integration/consumers/,test_consume.py test_group_and_outage.py \
	test_registry_outage.py test_broker_restart.py test_malformed_traffic.py test_view_properties.py)

test-faults: $(STAMP)
	$(BIN)/pytest $(FAULT_TESTS)

test: lint typecheck
	$(BIN)/casesync schemas check --offline
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

bench-quick: $(STAMP)
	$(BIN)/python bench/run_all.py --quick --out bench/RESULTS-quick.md

infra-up: $(STAMP)
	$(BIN)/casesync infra up

infra-down: $(STAMP)
	$(BIN)/casesync infra down

infra-status: $(STAMP)
	$(BIN)/casesync infra status

clean:
	-$(BIN)/casesync infra down
	rm -rf .casesync $(VENV) .mypy_cache .ruff_cache .pytest_cache
