#!/usr/bin/env bash
# Set up .venv with the test lock (default install + the st, test and bench extras), make sure the
# browser tests have Chromium and ChromeDriver, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/install-browser.sh
exec .venv/bin/python -m pytest "$@"
