# footsim: the README's two commands are `make run` and `make test`.
# Both create .venv/ on first use (Python >= 3.12 + the dolfinx wheel) and reuse it afterwards.
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=
LINT   := $(wildcard src tests benchmarks notebooks/*.py)

.PHONY: run test test-slow docs lint format env clean-env mesh browser studio

env:
	@bash tools/bootstrap.sh wheels,test

run: env
	$(BIN)/footsim run

mesh: env
	$(BIN)/footsim mesh

test: env browser
	$(BIN)/ruff check $(LINT)
	$(BIN)/ruff format --check $(LINT)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian's chromium for the studio's browser test (Playwright drives it; nothing is downloaded
# from elsewhere). Installed with apt-get as root or through sudo; where neither can, the
# browser test fails and says what to install.
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)
browser:
	@if [ -n "$(CHROMIUM)" ] || [ -n "$$FOOTSIM_CHROMIUM" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "make browser: chromium is not installed and apt-get needs root:" \
	  "run 'sudo apt-get install chromium chromium-driver'" >&2; exit 0; fi; \
	echo "make browser: installing Debian's chromium (apt-get)"; \
	$$SUDO apt-get install -y -q chromium chromium-driver >/dev/null || \
	{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }

# the browser app on http://localhost:8080 (runs into results/)
studio: env
	$(BIN)/footsim studio

# the documentation site into docs/_build/html (warnings are errors; no network needed)
docs: env
	$(BIN)/sphinx-build -W --keep-going -b html docs docs/_build/html

test-slow: env browser
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

format: env
	$(BIN)/ruff format $(LINT)
	$(BIN)/ruff check --fix $(LINT)

clean-env:
	rm -rf $(VENV)
