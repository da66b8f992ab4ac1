# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lock lint typecheck pytest docs bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs come from requirements.lock (exact versions: a new HiGHS release has changed answers on this
# model before); the project itself goes in editable, without letting pip pick other versions.
$(STAMP): $(BIN)/python pyproject.toml requirements.lock requirements-dev.lock
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# Refresh the lock files after changing dependencies in pyproject.toml (then `make install`):
# requirements.lock is what production installs (the Dockerfile), requirements-dev.lock adds the dev tools
# at the same versions. `make lock UPGRADE=--upgrade` moves every pin to the newest release.
LOCK := $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --quiet
lock: install
	$(LOCK) $(UPGRADE) -o requirements.lock
	$(LOCK) $(UPGRADE) --extra dev --constraints requirements.lock -o requirements-dev.lock

run: install
	$(BIN)/stpplan db upgrade
	$(BIN)/stpplan demo load
	$(BIN)/stpplan token bootstrap
	$(BIN)/stpplan serve

lint: install
	$(BIN)/ruff check app models solver migrations fixtures tests benchmarks docsite docs/examples
	$(BIN)/ruff format --check app models solver migrations fixtures tests benchmarks docsite docs/examples

# benchmarks too: nothing else runs them, and a script that no longer fits the code is found here first.
typecheck: install
	$(BIN)/mypy solver models app docsite benchmarks

# The pages' browser tests drive Debian's Chromium (tests/app/web/test_browser.py); installed when missing
# (as root, as CI runs; otherwise install the `chromium` package yourself).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

# --dist loadfile: a test file runs on one worker, so its module fixtures (the pages' solved demo, for one)
# are built once per backend instead of once per worker; the whole suite takes as long as with the default
# `load` (319 s against 322 s, one run each, back to back). (loadgroup would do it per mark, but pytest-xdist 3.8 cannot
# rename test ids under pytest 9.2, so its groups are silently ignored.)
pytest: install chromium
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

# The documentation site (mkdocs.yml) into site/, strict: a broken link, a page missing from the nav or a
# failing hook stops the build. Last in `make test`, so it takes the screenshots the browser tests just saved.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --quiet

test: lint typecheck pytest docs

bench: install
	$(BIN)/python benchmarks/api_bench.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache site
