# footsim: the README's two commands are `make run` and `make test`.
# Both create .venv/ on first use (Python >= 3.12 + the dolfinx wheel) and reuse it afterwards.
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run test test-slow lint format env clean-env mesh

env:
	@bash tools/bootstrap.sh wheels,test

run: env
	$(BIN)/footsim run

mesh: env
	$(BIN)/footsim mesh

test: env
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-slow: env
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

format: env
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

clean-env:
	rm -rf $(VENV)
