#!/usr/bin/env bash
# Create .venv in the repository and install xuefa with its test tools, from the project's own files.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# torch is pinned in pyproject.toml; pip takes the CPU wheel where one lies on disk.
.venv/bin/python -m pip install -qq --disable-pip-version-check -e '.[test]'
