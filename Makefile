# GovPlatform. `make help` lists every target.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Django relying party of the browser tests, in an environment of its own (see its requirements.txt)
RP_VENV := .venv-onelogin-django
RP_REQUIREMENTS := tests/browser/onelogin_django/requirements.txt
# The suite runs on every core, up to four (pytest-xdist), a module's tests on one worker (--dist loadscope), so a
# module's server or database is made once. PYTEST_WORKERS=0 runs it in this process alone.
PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --maxprocesses=4 --dist loadscope
# The tests start the CLI and the server hundreds of times: with bytecode cached, each start skips compiling
# the platform's modules again (an environment that sets PYTHONDONTWRITEBYTECODE would have each compile them).
unexport PYTHONDONTWRITEBYTECODE
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run test test-unit test-integration test-browser test-fuzz lint migrations-check translations bench lock clean

help: ## List every target
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt package.json package-lock.json $(RP_REQUIREMENTS)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==25.3"
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev]"
	test -d $(RP_VENV) || $(PYTHON) -m venv $(RP_VENV)
	$(RP_VENV)/bin/pip install --quiet --upgrade "pip==25.3"
	$(RP_VENV)/bin/pip install --quiet -r $(RP_REQUIREMENTS)
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install pinned Python and npm packages

# Served on 127.0.0.1 only, but addressed by name: passkeys (issue 15, part 2) need a host name, not an IP address.
# The example relying party calls the provider and Pay at this URL, and the provider posts its back-channel
# logout tokens there, so the outbound guard allows localhost (and 127.0.0.1 for the tests' callbacks).
run: export GOVPLATFORM_BASE_URL ?= http://localhost:$(PORT)
run: export GOVPLATFORM_OUTBOUND_ALLOWED_HOSTS ?= 127.0.0.1,localhost
run: install ## Start the platform on SQLite with demo data at http://localhost:8000 (bound to 127.0.0.1)
	$(BIN)/govplatform db upgrade
	$(BIN)/govplatform demo
	$(BIN)/govplatform serve --host $(HOST) --port $(PORT) --with-worker

# The tiers, their budgets and where each runs: tests/tiers.py. `make test` is one pytest run of them all, so
# its summary counts the skips once (PostgreSQL-only tiers on SQLite, tests that need ../shared/reference).
test: install ## Run the whole test suite: every tier (browser where Chromium is found; fuzz, corpus, scale on PostgreSQL)
	$(PYTEST)

test-unit: install ## Run the unit tier (no database, no browser)
	$(PYTEST) tests/unit

test-integration: install ## Run the integration tier (SQLite, or GOVPLATFORM_TEST_DATABASE_URL=postgresql://...)
	$(PYTEST) tests/integration

test-browser: install ## Run the browser tier: pages in Chromium, with axe-core's accessibility checks
	$(PYTEST) tests/browser

test-fuzz: install ## Fuzz every machine API from its OpenAPI document (schemathesis; needs GOVPLATFORM_TEST_DATABASE_URL=postgresql://...)
	$(PYTEST) tests/fuzz

lint: install ## ruff, mypy (strict on every component) and the import contracts
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

migrations-check: install ## Upgrade a scratch database to head, then check models match migrations
	rm -f var/migrations-check.db
	GOVPLATFORM_DATABASE_URL=$${GOVPLATFORM_DATABASE_URL:-sqlite:///var/migrations-check.db} $(BIN)/alembic upgrade head
	GOVPLATFORM_DATABASE_URL=$${GOVPLATFORM_DATABASE_URL:-sqlite:///var/migrations-check.db} $(BIN)/alembic check

translations: install ## Extract messages and update the Welsh catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext_ --no-location --omit-header --sort-output \
		-o src/govplatform/core/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i src/govplatform/core/translations/messages.pot \
		-d src/govplatform/core/translations -l cy

bench: install ## Benchmark platform endpoints against the yardstick (prints ratios)
	$(BIN)/python bench/run.py

lock: ## Re-pin every Python dependency from a fresh virtual environment
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet -e ".[dev]"
	echo "# pinned by: make lock (pip freeze of a fresh .venv)" > constraints.txt
	.venv-lock/bin/pip freeze --exclude-editable | grep -v '^govplatform' >> constraints.txt
	rm -rf .venv-lock

clean: ## Remove the virtual environment, node_modules and caches (keeps var/ data)
	rm -rf $(VENV) $(RP_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
