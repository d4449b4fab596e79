#!/usr/bin/env bash
# Set up, load the example study list from the bundled law corpus, build the index, start the bot.
# With XUEFA_TELEGRAM_TOKEN set the bot runs on Telegram; without it, a console chat on stdin/stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/xuefa laws import --bundled >/dev/null
.venv/bin/xuefa studylist load --example
.venv/bin/xuefa index
exec .venv/bin/xuefa run
