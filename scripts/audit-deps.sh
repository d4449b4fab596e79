#!/usr/bin/env bash
# Check the locked dependencies (requirements.txt, requirements-test.txt) against known advisories
# with pip-audit (PyPA), which asks PyPI's JSON API for each pinned release's known vulnerabilities
# (PyPI serves the PyPA advisory database there), so it needs only the package registry.
#
# It cannot run without PyPI: no maintained checker ships its advisory database with it, and a
# vendored copy goes stale, which is worse than no check. Where PyPI is not reachable it says so
# plainly instead of passing silently:
#
#   bash scripts/audit-deps.sh            # exit 0: no known vulnerability; 1: some; 2: could not check
#   XUEFA_AUDIT_REQUIRED=1 bash scripts/audit-deps.sh   # no network is a failure too (release builds)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
if ! "$PY" - <<'PY' 2>/dev/null
import urllib.request
import json, re
pin = re.search(r"^([A-Za-z0-9_.-]+)==([^ \\]+)", open("requirements.txt", encoding="utf-8").read(), re.M)
# A registry mirror may serve the simple index but not the JSON API the advisories come from.
json.load(urllib.request.urlopen(f"https://pypi.org/pypi/{pin[1]}/{pin[2]}/json", timeout=10))["info"]
PY
then
    echo "audit-deps: PyPI's JSON API (advisories) is not reachable: dependencies NOT checked" >&2
    [ "${XUEFA_AUDIT_REQUIRED:-0}" = "1" ] && exit 2
    exit 0
fi
if ! "$PY" -m pip_audit --version >/dev/null 2>&1; then
    "$PY" -m pip install --quiet "pip-audit>=2.10,<3" || { echo "audit-deps: pip-audit not installable" >&2; exit 2; }
fi
status=0
for lock in requirements.txt requirements-test.txt; do
    echo "audit-deps: $lock"
    "$PY" -m pip_audit --vulnerability-service pypi --requirement "$lock" --no-deps --disable-pip --strict --progress-spinner off \
        || status=1
done
exit $status
