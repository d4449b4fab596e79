#!/usr/bin/env bash
# Check the locked dependencies (requirements.txt, requirements-test.txt) against known advisories
# with pip-audit (PyPA), which asks the OSV / PyPI advisory databases over HTTPS.
#
# It cannot run offline: no maintained checker ships its advisory database with it (pip-audit and
# osv-scanner query OSV, safety downloads its database with an account key), and a vendored copy
# of a database goes stale, which is worse than no check. So CI runs this step where it has
# network and says plainly when it has none, instead of passing silently:
#
#   bash scripts/audit-deps.sh            # exit 0: no known vulnerability; 1: some; 2: could not check
#   XUEFA_AUDIT_REQUIRED=1 bash scripts/audit-deps.sh   # no network is a failure too (release builds)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
if ! "$PY" - <<'PY' 2>/dev/null
import urllib.request
urllib.request.urlopen("https://api.osv.dev/v1/query", data=b"{}", timeout=10)
PY
then
    echo "audit-deps: the OSV advisory database is not reachable: dependencies NOT checked" >&2
    [ "${XUEFA_AUDIT_REQUIRED:-0}" = "1" ] && exit 2
    exit 0
fi
if ! "$PY" -m pip_audit --version >/dev/null 2>&1; then
    "$PY" -m pip install --quiet "pip-audit>=2.10,<3" || { echo "audit-deps: pip-audit not installable" >&2; exit 2; }
fi
status=0
for lock in requirements.txt requirements-test.txt; do
    echo "audit-deps: $lock"
    "$PY" -m pip_audit --vulnerability-service osv --requirement "$lock" --require-hashes --disable-pip --progress-spinner off \
        || status=1
done
exit $status
