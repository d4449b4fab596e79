"""Stats at county scale: 10,000 members in 30 units, 52 weekly rounds, ~2.6 million answers.

    .venv/bin/python bench/stats.py [--members 10000] [--units 30] [--weeks 52] [--keep DB]

Generates the data into a temporary SQLite file through the repository's own tables, then times
the reports the bot and the CLI produce (median of several runs) and prints the database size.
Targets: a unit-week summary <= 200 ms; a full-year Excel export <= 2 s.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from knowledge.access import Actor  # noqa: E402
from knowledge.clock import Clock  # noqa: E402
from knowledge.members import RosterRow  # noqa: E402
from knowledge.quizzes import QuizQuestion  # noqa: E402
from knowledge.reports import build_report, parse_period, study_record  # noqa: E402
from knowledge.reports.chart import render_chart  # noqa: E402
from knowledge.reports.xlsx import write_xlsx  # noqa: E402
from knowledge.store import Repository  # noqa: E402

TZ = "Asia/Shanghai"
CLOCK = Clock(TZ)
OPERATOR = Actor.operator()
YEAR = 2025
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红"


def generate(repository: Repository, members: int, units: int, weeks: int, rng: random.Random) -> dict:
    """Fill the store: roster, rounds, attempts and answers; return counts."""
    unit_names = [f"第{n + 1:02d}{kind}" for n, kind in zip(range(units), ["小学", "中学", "幼儿园"] * units)]
    rows = []
    for n in range(members):
        role = "unit_admin" if n < units else ("leader" if n < units + 5 else "teacher")
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
        rows.append(RosterRow(n + 2, f"T{n:05d}", name, unit_names[n % units], role, f"13{n:09d}"))
    repository.import_roster(rows)
    db = repository.db
    db.execute("UPDATE members SET joined_at = ?", [f"{YEAR - 1}-12-01T00:00:00+00:00"])
    questions = [
        repository.save_question(QuizQuestion("truefalse", f"测试题{i}", ["正确", "错误"], [i % 2], "出处"))
        for i in range(5)
    ]
    member_ids = [row[0] for row in db.execute("SELECT id FROM members ORDER BY id").fetchall()]
    answers = attempts = 0
    attempt_id = 0
    with repository.transaction():
        for week in range(1, weeks + 1):
            monday = date.fromisocalendar(YEAR, week, 1)
            deadline = datetime.combine(monday + timedelta(days=6), datetime.min.time(), timezone.utc) + timedelta(hours=14)
            round_ = repository.create_round(f"{YEAR}-Q{(monday.month - 1) // 3 + 1}", f"{YEAR}-W{week:02d}",
                                              f"{monday}T00:00:00+00:00", deadline.isoformat(), 0.8, questions)
            attempt_rows, answer_rows = [], []
            for member_id in member_ids:
                if rng.random() < 0.05:
                    continue  # did not take part this week
                tries = 2 if rng.random() < 0.1 else 1
                for number in range(1, tries + 1):
                    attempt_id += 1
                    correct = rng.choices([5, 4, 3, 2], weights=[50, 30, 15, 5])[0] if number == tries else 3
                    started = (datetime.combine(monday, datetime.min.time(), timezone.utc)
                               + timedelta(hours=rng.randint(1, 140)))
                    attempt_rows.append({
                        "id": attempt_id, "round_id": round_.id, "member_id": member_id, "number": number,
                        "started_at": started.isoformat(timespec="seconds"),
                        "finished_at": (started + timedelta(minutes=3)).isoformat(timespec="seconds"),
                        "correct": correct, "total": 5, "score": correct / 5, "passed": int(correct >= 4),
                    })
                    for position, question in enumerate(questions):
                        answer_rows.append({
                            "attempt_id": attempt_id, "position": position, "question_id": question,
                            "chosen": "[0]", "correct": int(position < correct),
                            "answered_at": (started + timedelta(seconds=30 * position)).isoformat(timespec="seconds"),
                        })
            db["attempts"].insert_all(attempt_rows, batch_size=5000)
            db["answers"].insert_all(answer_rows, batch_size=5000)
            attempts += len(attempt_rows)
            answers += len(answer_rows)
    db.execute("ANALYZE")
    return {"members": members, "units": units, "rounds": weeks, "attempts": attempts, "answers": answers}


def timed(function, runs: int) -> tuple[float, object]:
    """Return the median milliseconds of several runs and the last result."""
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=30)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="keep the generated database at this path")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="xuefa-stats-"))
    path = args.keep or folder / "stats.db"
    repository = Repository(path)
    started = time.perf_counter()
    counts = generate(repository, args.members, args.units, args.weeks, random.Random(7))
    generate_s = time.perf_counter() - started
    repository.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    unit = repository.units()[0]
    today = date(YEAR, 12, 31)
    week, quarter, year = (parse_period(p, today) for p in (f"{YEAR}-W20", f"{YEAR}Q2", str(YEAR)))
    member = repository.find_members("T00100")[0]
    figures = {"generate_s": round(generate_s, 1), **counts, "db_mb": round(path.stat().st_size / 2**20, 1)}
    figures["unit_week_ms"], _ = timed(lambda: build_report(repository, OPERATOR, week, unit, CLOCK), args.runs)
    figures["all_week_ms"], _ = timed(lambda: build_report(repository, OPERATOR, week, None, CLOCK), args.runs)
    figures["unit_quarter_ms"], _ = timed(lambda: build_report(repository, OPERATOR, quarter, unit, CLOCK), args.runs)
    figures["year_report_ms"], report = timed(lambda: build_report(repository, OPERATOR, year, None, CLOCK), args.runs)
    figures["year_xlsx_ms"], _ = timed(lambda: write_xlsx(report, io.BytesIO()), args.runs)
    figures["year_export_total_ms"], _ = timed(
        lambda: write_xlsx(build_report(repository, OPERATOR, year, None, CLOCK), io.BytesIO()), args.runs
    )
    figures["year_chart_ms"], _ = timed(lambda: render_chart(report, io.BytesIO()), args.runs)
    figures["record_year_ms"], _ = timed(lambda: study_record(repository, OPERATOR, member, year, CLOCK), args.runs)
    repository.close()
    figures = {k: round(v, 1) if isinstance(v, float) else v for k, v in figures.items()}
    print(json.dumps(figures, ensure_ascii=False, indent=1))
    print(f"\nunit-week summary {figures['unit_week_ms']} ms (target <= 200); "
          f"full-year Excel export {figures['year_export_total_ms']} ms (target <= 2000); "
          f"database {figures['db_mb']} MB")


if __name__ == "__main__":
    main()
