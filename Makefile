# Amarktai: every target installs what it needs into .venv on first use.
PY        ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
PROTOS    := $(sort $(shell find protos -name '*.proto'))
GOOGLEAPIS = $(shell $(BIN)/python -c 'import google.api, os; print(os.path.dirname(os.path.dirname(google.api.__path__[0])))')

.PHONY: install proto proto-check run demo test test-unit test-integration test-e2e lint format bench clean \
        browser-deps test-browser reliability

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Generated code lives in amarktai/ (committed; CI checks it matches the protos).
proto: $(STAMP)
	rm -rf amarktai
	$(BIN)/python -m grpc_tools.protoc -I protos -I $(GOOGLEAPIS) \
	  --python_out=. --pyi_out=. --grpc_python_out=. $(PROTOS)

proto-check: proto
	git diff --exit-code --stat -- amarktai
	test -z "$$(git status --porcelain -- amarktai)"

run: $(STAMP)
	$(BIN)/python -m services.run

# make run plus a demo user with a funded paper account and a running paper bot
demo: $(STAMP)
	$(BIN)/python -m services.run --demo

test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

# The dashboard's browser tests drive Debian's chromium through Playwright (never a downloaded
# browser). `make test` runs them only where /usr/bin/chromium exists; this installs it first.
browser-deps:
	@if [ -x /usr/bin/chromium ]; then echo "chromium: installed"; else \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

test-browser: $(STAMP) browser-deps
	$(BIN)/python -m pytest -q -m browser tests/e2e $(PYTEST_ARGS)

# Kills and restarts (docs/RELIABILITY.md): orders and ledger SIGKILLed at named points, PostgreSQL
# restarted under load, schemathesis, the IDOR matrix. Minutes; not part of `make test`.
# RELIABILITY_ROUNDS (default 20) sets the kills per fault point.
reliability: $(STAMP)
	$(BIN)/python -m pytest -q tests/reliability $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf var .pytest_cache
