#!/usr/bin/env bash
# Set up, load the example study list from the bundled law corpus, build the index, start the bot.
# With XUEFA_TELEGRAM_TOKEN set the bot runs on Telegram; without it, a console chat on stdin/stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# A later start skips the import, the list and the index when none of their inputs changed
# (bot/startstamp.py: the bundled laws.db, the example list, the indexing code, the encoder).
if .venv/bin/python -m bot.startstamp check; then
    echo "run: laws, study list and index unchanged since the last start" >&2
else
    .venv/bin/xuefa laws import --bundled >/dev/null
    .venv/bin/xuefa studylist load --example
    .venv/bin/xuefa index
    .venv/bin/python -m bot.startstamp save
fi
exec .venv/bin/xuefa run
