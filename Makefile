# The two commands a new user needs:
#   make start   set everything up, train the assistant if needed, run it and the demo website
#   make test    set everything up and run the whole test suite
# Everything else here is a step of those two.

PYTHON ?= python3.10
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: start test setup check train lock

start: setup
	$(BIN)/python -m launcher start

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(STAMP)

# Rasa 3.6 needs Python 3.10: `.python-version` makes pyenv's python3.10 resolve here.
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; Rasa 3.6 needs Python 3.10 (for example: pyenv install 3.10)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==24.3.1"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]"
	touch $(STAMP)

check: setup
	$(BIN)/python -m launcher check

train: setup
	$(BIN)/python -m launcher build --retrain

# Refresh the pinned set of every installed package after changing dependencies.
lock: setup
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^leadqual' > requirements.lock
