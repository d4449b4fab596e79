"""Broadcast benchmark: push one round to many members through the fake Bot API, then kill and restart.

The fake Bot API runs in this process and answers HTTP 429 (retry_after 1) whenever more than 30
send* calls arrive in a rolling second, like Telegram. The pusher runs in a subprocess — the same
Pusher and rate-limited client as `xuefa quiz push` — so it can be killed while the server lives on:

  clean    one run from start to end
  sigterm  SIGTERM part-way (graceful: no new member is taken, sends in flight finish and are
           recorded), then a new run finishes the push
  sigkill  SIGKILL part-way (a hard crash: nothing is recorded after the kill), then a new run
           sends to everyone still pending or left 'sending'; a send that reached the server but
           whose 'sent' was never recorded is sent again, so duplicates are at most the sends in
           flight at the kill

Every member is counted from the server's log: lost = members with no invitation, duplicates =
invitations beyond one per member.

    .venv/bin/python bench/broadcast.py                      # 5,000 members clean, 2,000 per kill scenario
    .venv/bin/python bench/broadcast.py --members 1000 --restart-members 500
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.services import build_services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from knowledge.quizzes import BANK, QuizQuestion  # noqa: E402
from knowledge.rounds import iso_week  # noqa: E402
from knowledge.store import Repository  # noqa: E402
from tests.fakebotapi import DEFAULT_TOKEN, FakeBotAPI  # noqa: E402

CHAT_BASE = 10_000_000
PER_SECOND = 30
INVITATION_END = "或发送 /quiz。"


# --- the pusher subprocess ----------------------------------------------------------------


async def run_worker(db: str, base_url: str, round_id: int, concurrency: int) -> dict:
    """Push the round once; SIGTERM stops it gracefully. Return the run's report."""
    from bot.outreach import Outreach
    from bot.telegram.channel import TelegramChannel, push_bot
    from knowledge.outreach import round_batch

    settings = Settings(telegram_token=DEFAULT_TOKEN, telegram_base_url=base_url, db=db, _env_file=None)
    repository = Repository(settings.db_path)
    services = build_services(settings, repository, load_index=False)
    round_ = repository.round(round_id)
    async with push_bot(settings) as bot:
        channel = TelegramChannel(bot)
        channel.concurrency = concurrency
        pusher = Outreach(services, {"telegram": channel}, ["telegram"])
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, pusher.stop)
        print("ready", flush=True)
        report = await pusher.deliver(round_batch(repository, services.clock, round_))
    repository.close()
    return {"sent": report.sent, "failed": len(report.failed), "blocked": len(report.blocked), "left": report.left}


# --- set-up -------------------------------------------------------------------------------


def make_db(path: Path, members: int) -> int:
    """Create a database with `members` bound teachers in units of 100 and this week's round; return its id."""
    repository = Repository(path)
    now = repository.now()
    units = (members + 99) // 100
    repository.db["units"].insert_all(
        {"id": u + 1, "name": f"基准学校{u + 1:03d}", "created_at": now} for u in range(units)
    )
    repository.db["members"].insert_all(
        {
            "staff_no": f"B{i:05d}", "name": f"老师{i}", "unit_id": i // 100 + 1,
            "role": "unit_admin" if i % 100 == 0 else "teacher",
            "active": 1, "joined_at": now, "updated_at": now,
        }
        for i in range(members)
    )
    repository.db["accounts"].insert_all(
        {"member_id": i + 1, "channel": "telegram", "external_id": str(CHAT_BASE + i), "address": str(CHAT_BASE + i),
         "reachable": 1, "source": "code", "bound_at": now}
        for i in range(members)
    )
    question = QuizQuestion(
        kind="single", stem="教师节是每年的哪一天？", options=["九月一日", "九月十日"], answer=[1],
        explanation="出处：《中华人民共和国教师法》第六条。", origin=BANK,
    )
    question_id = repository.save_question(question)
    week = iso_week(datetime.now(timezone.utc).date())
    round_ = repository.create_round("BENCH", week, "2000-01-01T00:00:00+00:00", "2099-12-31T14:00:00+00:00", 0.8,
                                     [question_id])
    repository.close()
    return round_.id


# --- one scenario -------------------------------------------------------------------------


class Scenario:
    """One push, possibly interrupted and restarted, measured from the server's log."""

    def __init__(self, name: str, members: int, concurrency: int, kill: signal.Signals | None, kill_at: float):
        self.name, self.members, self.concurrency, self.kill, self.kill_at = name, members, concurrency, kill, kill_at
        self.runs: list[dict] = []
        self.killed_after = 0
        self.in_flight_at_kill = 0
        self.restarted_at: float | None = None  # time.monotonic(), the clock of the server's log

    def start(self, api: FakeBotAPI, db: Path, round_id: int) -> subprocess.Popen:
        worker = subprocess.Popen(
            [sys.executable, __file__, "--worker", "--db", str(db), "--base-url", api.base_url,
             "--round", str(round_id), "--concurrency", str(self.concurrency)],
            stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )
        assert worker.stdout.readline().strip() == "ready", "the pusher did not start"
        return worker

    def finish(self, worker: subprocess.Popen, timeout: float) -> None:
        out, _ = worker.communicate(timeout=timeout)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        run = json.loads(lines[-1]) if lines else {}
        run["exit"] = worker.returncode
        self.runs.append(run)

    def run(self) -> dict:
        with tempfile.TemporaryDirectory() as folder, FakeBotAPI() as api:
            db = Path(folder) / "bench.db"
            round_id = make_db(db, self.members)
            api.rate_limit(PER_SECOND)
            budget = self.members / 20 + 60  # seconds: far above the ~28/s the pusher keeps
            worker = self.start(api, db, round_id)
            if self.kill is not None:
                target = int(self.members * self.kill_at)
                deadline = time.monotonic() + budget
                while api.delivered("sendMessage") < target and time.monotonic() < deadline:
                    time.sleep(0.05)
                self.killed_after = api.delivered("sendMessage")
                worker.send_signal(self.kill)
                self.finish(worker, budget)
                self.in_flight_at_kill = sending(db, round_id)
                self.restarted_at = time.monotonic()
                worker = self.start(api, db, round_id)  # the restart
            self.finish(worker, budget)
            return self.measure(api, db, round_id)

    def measure(self, api: FakeBotAPI, db: Path, round_id: int) -> dict:
        sends = [c for c in api.calls if c.method == "sendMessage"]
        delivered = [c for c in sends if c.ok and c.params["text"].endswith(INVITATION_END)]
        per_chat = collections.Counter(c.params["chat_id"] for c in delivered)
        expected = {CHAT_BASE + i for i in range(self.members)}
        lost = len(expected - set(per_chat))
        duplicates = sum(n - 1 for n in per_chat.values() if n > 1)
        times = [c.time for c in delivered]
        if self.restarted_at is None:
            busy = span(times)
        else:  # each run's own sending time: the restart's start-up is left out
            cut = self.restarted_at
            busy = span([t for t in times if t < cut]) + span([t for t in times if t >= cut])
        worst = max_in_rolling_second([c.time for c in delivered])
        repository = Repository(db)
        counts = repository.delivery_counts("round", str(round_id))
        repository.close()
        return {
            "scenario": self.name,
            "members": self.members,
            "delivered": len(delivered),
            "lost": lost,
            "duplicates": duplicates,
            "429s": sum(1 for c in sends if c.status == 429),
            "msg/s": (len(delivered) - len(self.runs)) / busy if busy else 0.0,  # intervals, not sends
            "max/1s": worst,
            "killed after": self.killed_after if self.kill else "-",
            "left sending": self.in_flight_at_kill if self.kill else "-",
            "db sent": counts.get("sent", 0),
            "exits": "/".join(str(r["exit"]) for r in self.runs),
        }


def sending(db: Path, round_id: int) -> int:
    repository = Repository(db)
    try:
        return repository.delivery_counts("round", str(round_id)).get("sending", 0)
    finally:
        repository.close()


def span(times: list[float]) -> float:
    """Return the time from the first to the last of some sends."""
    return max(times) - min(times) if len(times) > 1 else 0.0


def max_in_rolling_second(times: list[float]) -> int:
    times = sorted(times)
    worst, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= 1.0:
            start += 1
        worst = max(worst, end - start + 1)
    return worst


# --- the table ----------------------------------------------------------------------------


COLUMNS = ["scenario", "members", "delivered", "lost", "duplicates", "429s", "msg/s", "max/1s", "killed after",
           "left sending", "db sent", "exits"]


def table(rows: list[dict]) -> str:
    cells = [[f"{row[c]:.1f}" if isinstance(row[c], float) else str(row[c]) for c in COLUMNS] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(COLUMNS)]
    line = "  ".join(c.rjust(w) for c, w in zip(COLUMNS, widths))
    out = [line, "-" * len(line)]
    out += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in cells]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=5000, help="members in the clean run (default 5000)")
    parser.add_argument("--restart-members", type=int, default=2000,
                        help="members in each kill-and-restart run (default 2000)")
    parser.add_argument("--concurrency", type=int, default=8, help="sends in flight (default: the Pusher's 8)")
    parser.add_argument("--kill-at", type=float, default=0.4, help="kill when this share was delivered (default 0.4)")
    parser.add_argument("--only", choices=["clean", "sigterm", "sigkill"], action="append",
                        help="run only these scenarios (repeatable)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(run_worker(args.db, args.base_url, args.round, args.concurrency))), flush=True)
        return 0
    scenarios = {
        "clean": Scenario("clean", args.members, args.concurrency, None, args.kill_at),
        "sigterm": Scenario("sigterm+restart", args.restart_members, args.concurrency, signal.SIGTERM, args.kill_at),
        "sigkill": Scenario("sigkill+restart", args.restart_members, args.concurrency, signal.SIGKILL, args.kill_at),
    }
    rows = []
    for key in args.only or list(scenarios):
        started = time.monotonic()
        print(f"running {key} ({scenarios[key].members} members) …", file=sys.stderr, flush=True)
        rows.append(scenarios[key].run())
        print(f"  done in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    print(f"\nfake Bot API: HTTP 429 beyond {PER_SECOND} send* calls in any rolling second; "
          f"pusher concurrency {args.concurrency}; python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print(table(rows))
    print("\nmsg/s: invitations delivered per second of sending (the restart gap left out); max/1s: most "
          "deliveries the server saw in any rolling second;\nleft sending: rows the killed pusher left 'sending' "
          "(sent again on restart; a duplicate only if it had reached the server).")
    graceful = [r for r in rows if r["scenario"] != "sigkill+restart"]  # a hard kill may repeat sends in flight
    ok = all(r["lost"] == 0 for r in rows) and all(r["duplicates"] == 0 for r in graceful)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
