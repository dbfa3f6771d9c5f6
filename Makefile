# Every command of the project. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help setup build test integration-test check lint typecheck demo kafka-start kafka-stop kafka-status clean

help: ## List the targets with one line each
	@grep -hE '^[a-zA-Z0-9_%-]+:.*?## ' $(MAKEFILE_LIST) | sort -u \
	  | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-24s\033[0m %s\n", $$1, $$2}'

setup: ## Install everything into .venv and fetch the JVM jars (idempotent)
	@scripts/setup.sh

build: setup ## Set up and check that every program starts (answers --help)
	@scripts/build.sh

test: setup ## Unit, PyFlink replay and deployment-file tests (no network services)
	@scripts/test.sh

integration-test: setup ## Tests against real Kafka and PostgreSQL (started when none is given)
	@scripts/integration-test.sh

check: setup ## Everything CI runs: lint, types, unit, replay and integration tests
	@scripts/check.sh

lint: setup ## ruff lint and format check
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

typecheck: setup ## mypy (strict) over the programs
	@$(VENV)/bin/mypy kafka-clients/src monitor/src $(wildcard event-generator/src)

demo: setup ## Local Kafka + the monitor + a simulated fleet, with alerts shown live
	@scripts/demo.sh

kafka-start: setup ## Start the local single-node Kafka (no Docker needed)
	@scripts/local-kafka.sh start

kafka-stop: ## Stop the local Kafka
	@scripts/local-kafka.sh stop

kafka-status: ## Is the local Kafka answering?
	@scripts/local-kafka.sh status

clean: ## Remove build outputs, caches and local data (keeps .venv and the jar cache)
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis .local
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -not -path './.venv/*' -exec rm -rf {} +

# Each area adds its own targets in make/<area>.mk.
-include make/*.mk
