# footsim: the README's two commands are `make run` and `make test`.
# Both create .venv/ on first use (Python >= 3.12 + the dolfinx wheel) and reuse it afterwards.
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
LINT   := $(wildcard src tests benchmarks notebooks/*.py)

.PHONY: run test test-slow docs lint format env clean-env mesh

env:
	@bash tools/bootstrap.sh wheels,test

run: env
	$(BIN)/footsim run

mesh: env
	$(BIN)/footsim mesh

test: env
	$(BIN)/ruff check $(LINT)
	$(BIN)/ruff format --check $(LINT)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# the documentation site into docs/_build/html (warnings are errors; no network needed)
docs: env
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

test-slow: env
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

format: env
	$(BIN)/ruff format $(LINT)
	$(BIN)/ruff check --fix $(LINT)

clean-env:
	rm -rf $(VENV)
