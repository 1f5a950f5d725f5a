# The two quick-start commands (make demo, make test) and a few helpers.
# Needs only Python (>= 3.12), pip and make: uv is installed on first use.

# Test that uv runs, not just that it exists: a pyenv shim can exist for another Python.
UV := $(shell uv --version >/dev/null 2>&1 && echo uv || echo python3 -m uv)

# Every sync compiles the installed packages' bytecode (once: ~15 s on a first install). Python
# then reads .pyc files instead of compiling scikit-learn and SciPy at each start where
# PYTHONDONTWRITEBYTECODE is set (as on our CI machines): 3.3 s -> 1.4 s a process.
# Extra flags for the sync every target does first: .ci/run sets --extra spark, which a plain
# sync would uninstall again (uv sync removes what the lock's default set does not name).
UV_SYNC_FLAGS ?=

.PHONY: demo test lint check sync browser-test fuzz

sync:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	@$(UV) sync --locked --quiet --compile-bytecode $(UV_SYNC_FLAGS)

demo: sync
	$(UV) run --locked devotion demo

# Tests marked slow (servers, spawned processes) run only with DEVOTION_SLOW_TESTS=1, as .ci/run sets.
test: sync
	$(UV) run --locked pytest -n 2 -q

browser-test: sync
	DEVOTION_BROWSER_TESTS=1 $(UV) run --locked pytest -q -m browser

# Schemathesis against a live server on a fresh demo database (about 3 minutes; see CONTRIBUTING.md).
# DATABASE_URL=postgres://... make fuzz runs it on PostgreSQL; FUZZ_SEED=N reruns a seed.
fuzz: sync
	$(UV) run --locked python tools/fuzz_api.py

lint: sync
	$(UV) run --locked ruff check .
	$(UV) run --locked ruff format --check .
	$(UV) run --locked mypy devotion

check: lint test
