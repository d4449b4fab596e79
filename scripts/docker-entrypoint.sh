#!/bin/sh
# First start: load the bundled corpus and the example study list, and build the index; later starts reuse them.
set -e
if [ ! -f "${XUEFA_DATA_DIR:-/data}/xuefa.db" ]; then
    xuefa laws import --bundled >/dev/null
    xuefa studylist load --example
fi
xuefa index
exec "$@"
