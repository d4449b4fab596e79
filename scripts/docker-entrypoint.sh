#!/bin/sh
# The container's entrypoint: prepare the data directory, bring the index up to date, start the command.
# Every step says what it does on stderr, so `docker logs` tells where a start is and why it stopped.
#
# First start (no database yet): copy the seed the image was built with (bundled laws, example study
# list, their index); without a seed, import and load them here. Every start: `xuefa index`, which
# embeds only text that changed since the last build (seconds when nothing did).
set -eu

DATA="${XUEFA_DATA_DIR:-/data}"
DB="${XUEFA_DB:-$DATA/xuefa.db}"
SEED="${XUEFA_SEED_DIR:-/opt/xuefa/seed}"

say() { echo "xuefa-entrypoint: $*" >&2; }

mkdir -p "$DATA" 2>/dev/null || true
if [ ! -w "$DATA" ]; then
    say "the data directory $DATA is not writable by uid $(id -u); give it to that user (e.g. chown $(id -u) on the host folder) and start again"
    exit 1
fi

if [ -f "$DB" ]; then
    say "using the database $DB"
elif [ -z "${XUEFA_DB:-}" ] && [ -f "$SEED/xuefa.db" ]; then
    say "first start: copying the bundled laws, the example study list and their index from $SEED to $DATA"
    cp -R "$SEED/." "$DATA/"
    say "first start: copied ($(du -sh "$DATA" | cut -f1))"
else
    say "first start: importing the bundled law corpus into $DB"
    xuefa laws import --bundled >/dev/null
    say "first start: loading the example study list"
    xuefa studylist load --example
fi

say "updating the search index (only changed text is embedded; a full build of the example list takes minutes)"
xuefa index
say "starting: $*"
exec "$@"
