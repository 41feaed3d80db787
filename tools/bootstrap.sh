#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv/ with footsim installed.
# Usage: tools/bootstrap.sh [EXTRAS]   (default extras: wheels,test)
# Finds a Python >= 3.12: $FOOTSIM_PYTHON, then python3.13/python3.12/python3 on PATH, then pyenv's.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-wheels,test}"
venv=.venv
stamp="$venv/.footsim-installed-$extras"

ok_python() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
  local c
  for c in "${FOOTSIM_PYTHON:-}" python3.13 python3.12 python3 python; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && ok_python "$(command -v "$c")"; then command -v "$c"; return 0; fi
  done
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  for c in "$root"/versions/3.1[2-9]*/bin/python3.1[2-9] /root/.pyenv/versions/3.1[2-9]*/bin/python3.1[2-9]; do
    if [ -x "$c" ] && ok_python "$c"; then echo "$c"; return 0; fi
  done
  return 1
}

if [ -x "$venv/bin/python" ] && ok_python "$venv/bin/python" && [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then
  exit 0  # environment present and up to date: no reinstall
fi

if [ ! -x "$venv/bin/python" ] || ! ok_python "$venv/bin/python"; then
  if ! py=$(find_python); then
    echo "footsim needs Python >= 3.12 and none was found." >&2
    echo "Install one (e.g. 'pyenv install 3.12', 'apt-get install python3.12 python3.12-venv')," >&2
    echo "or point FOOTSIM_PYTHON at it, or use conda: 'conda env create -f environment.yml'." >&2
    exit 1
  fi
  echo "footsim: creating $venv with $py"
  rm -rf "$venv"
  "$py" -m venv "$venv"
fi
echo "footsim: installing footsim[$extras] into $venv"
pip_quiet() {  # pip, without the noise of find-links folders this machine's pip.conf may name
  "$venv/bin/python" -m pip --quiet --disable-pip-version-check "$@" 2>&1 |
    { grep -v "^WARNING: Location 'file://" || true; }
}
pip_quiet install --upgrade pip
pip_quiet install -e ".[$extras]"
touch "$stamp"
