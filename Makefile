# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint typecheck pytest bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/stpplan db upgrade
	$(BIN)/stpplan demo load
	$(BIN)/stpplan token bootstrap
	$(BIN)/stpplan serve

lint: install
	$(BIN)/ruff check app models solver migrations fixtures tests benchmarks
	$(BIN)/ruff format --check app models solver migrations fixtures tests benchmarks

typecheck: install
	$(BIN)/mypy solver models app

# The pages' browser tests drive Debian's Chromium (tests/app/web/test_browser.py); installed when missing
# (as root, as CI runs; otherwise install the `chromium` package yourself).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

pytest: install chromium
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test: lint typecheck pytest

bench: install
	$(BIN)/python benchmarks/api_bench.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache
