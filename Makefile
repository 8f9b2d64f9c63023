# Rapport — every step a fresh machine needs. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PACKAGES := shared/schemas shared/kit services/contacts services/feedback services/notifications services/metrics ops
SERVICES := contacts feedback notifications metrics
PYTEST := $(PY) -m pytest

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: constraints.txt requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -r requirements-dev.txt $(addprefix -e ,$(PACKAGES))
	@touch $@

setup: $(VENV)/.installed ## create .venv and install every package (pinned by constraints.txt)

browser: ## install Debian's chromium and chromium-driver for the browser tests (apt-get)
	bash deploy/local/browser.sh install

infra-up: setup ## start (or reuse) local Kafka 4.4 and FerretDB 1.24 on loopback
	bash deploy/local/kafka.sh start
	bash deploy/local/ferretdb.sh start

infra-down: ## stop local Kafka and FerretDB (data stays in .local/)
	-bash deploy/local/ferretdb.sh stop
	-bash deploy/local/kafka.sh stop

services-up: infra-up ## start the four services in the background (logs in .local/logs)
	bash deploy/local/services.sh start mail $(SERVICES)

services-down: ## stop the four services
	-bash deploy/local/services.sh stop $(SERVICES) mail

run: services-up ## set up and run the whole suite locally, then send demo traffic
	$(PY) deploy/local/demo.py

observe: ## start local Prometheus (alert rules loaded) and Zipkin (traces UI); `make run` exports there, before or after
	bash deploy/local/observe.sh start

stop: services-down infra-down ## stop everything started by `make run` and `make observe`
	-bash deploy/local/observe.sh stop

clean: stop ## stop everything and delete local state (.local/)
	rm -rf .local

lint: setup ## ruff, mypy --strict and the service template's import contracts (import-linter)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy $(foreach p,$(PACKAGES),-p rapport_$(notdir $(p))) -p bench
	$(VENV)/bin/lint-imports

deploy-check: ## validate alert rules, kustomize overlays and docker-compose.yml
	bash deploy/check.sh

schemas: setup ## regenerate JSON Schemas and the AsyncAPI document from the models
	$(PY) -m rapport_schemas.generate

test-unit: setup ## fast tests: pure domain, fakes, in-memory broker
	$(PYTEST) -m "not infra and not integration and not suite and not deploy and not faults" -q

test-integration: setup browser ## tests against the real Kafka broker and MongoDB-wire server
	$(PYTEST) -m "infra or integration or suite or faults" -q

test: setup browser lint ## set up and run every test tier (starts the local servers it needs)
	$(PYTEST) -q --durations=25

test-loaded: setup browser ## the test suite three times in a row, one core kept busy by stress-ng (installed if missing); never part of make test
	bash deploy/local/loaded_suite.sh

faults: setup ## fault injection at full size (~90,000 events over both prefixes, kills and server restarts; ~27 min)
	RAPPORT_FAULT_CONTACTS=1000 RAPPORT_FAULT_SCALE=22 $(PYTEST) -m faults -s -q

bench: infra-up ## throughput, latency and memory beside a raw aiokafka + PyMongo baseline
	$(PY) -m bench

lock: setup ## refresh constraints.txt from the installed packages
	{ echo "# Pinned versions of every third-party package (pip install -c constraints.txt); refresh with \`make lock\`."; \
	  $(PY) -m pip freeze --exclude-editable; } > constraints.txt

PHONY_EXTRA := browser deploy-check observe bench faults test-loaded
.PHONY: $(PHONY_EXTRA) help setup infra-up infra-down services-up services-down run stop clean lint schemas test-unit test-integration test lock
