#!/usr/bin/env bash
# Refresh the lock files from pyproject.toml's ranges. Needs the package index (PyPI), nothing else.
#
#   bash scripts/lock.sh                          # after editing pyproject.toml: keep every pin that still fits
#   bash scripts/lock.sh --upgrade                # move every pin to the newest release the ranges allow
#   bash scripts/lock.sh --upgrade-package httpx  # move one package (repeatable)
#
# requirements.txt       the default install (with hashes; setup.sh, run.sh and the Dockerfile use it)
# requirements-test.txt  + the st, test and bench extras (test.sh and CI use it); it is constrained by
#                        requirements.txt, so tests run on exactly the versions the default install has.
# Both are resolved for Python 3.11 and up on every platform (--universal) by uv, which reads only the
# index (not this machine's pip configuration), so the same command gives the same files anywhere.
# scripts/lock-excludes.txt lists what is left out on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
PYTHON="${PYTHON:-python3}"

if command -v uv >/dev/null 2>&1 && [ "$(uv --version | cut -d' ' -f2)" = "$UV_VERSION" ]; then
    UV=uv
else
    tools="$(mktemp -d)"
    trap 'rm -rf "$tools"' EXIT
    echo "lock: installing uv $UV_VERSION into a temporary venv"
    "$PYTHON" -m venv "$tools"
    "$tools/bin/python" -m pip install -qq --disable-pip-version-check "uv==$UV_VERSION"
    UV="$tools/bin/uv"
fi

compile() {
    "$UV" pip compile pyproject.toml --quiet --universal --python-version 3.11 \
        --excludes scripts/lock-excludes.txt --no-emit-package pip \
        --custom-compile-command "bash scripts/lock.sh" "$@"
}

echo "lock: resolving requirements.txt"
compile --generate-hashes -o requirements.txt "$@"
echo "lock: resolving requirements-test.txt (extras st, test, bench)"
# No hashes here: pip must be free to take a local CPU build of torch 2.13.0 (2.13.0+cpu), whose file
# is not the one the index lists.
compile --extra st --extra test --extra bench --constraints requirements.txt -o requirements-test.txt "$@"

# What must never reach the locks: the default install stays free of torch; no CUDA libraries anywhere.
if grep -Eiq '^(torch|transformers|sentence-transformers|scipy|scikit-learn)==' requirements.txt; then
    echo "lock: requirements.txt must not contain torch/transformers/sentence-transformers" >&2
    exit 1
fi
if grep -Eiq '^(nvidia-|cuda-|triton)' requirements-test.txt; then
    echo "lock: CUDA packages reached requirements-test.txt; add them to scripts/lock-excludes.txt" >&2
    exit 1
fi
echo "lock: $(grep -c '^[a-z0-9]' requirements.txt) packages in requirements.txt," \
    "$(grep -c '^[a-z0-9]' requirements-test.txt) in requirements-test.txt"
