"""Time `xuefa backup` of a county-sized database while another process keeps writing to it.

Builds a temporary database (by default 5,000 members in 27 units, 52 weekly rounds of 5 questions,
every member one finished attempt with 5 answers a round: a year of results), starts a writer
process that commits small transactions (like the web's quiz answers) as fast as it can, runs the
real `xuefa backup` command, and prints the backup's time and size, the writes committed during it
and the slowest write meanwhile.

    .venv/bin/python bench/backup.py                      # 5,000 members, 52 weeks
    .venv/bin/python bench/backup.py --members 500 --weeks 10
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from knowledge.store import Repository

ROOT = Path(__file__).resolve().parents[1]
XUEFA = Path(sys.executable).with_name("xuefa")
WRITER = (
    "import pathlib, sys, time\n"
    "from knowledge.store import Repository\n"
    "repo = Repository(sys.argv[1]); stop = pathlib.Path(sys.argv[2]); n = 0; worst = 0.0\n"
    "print('ready', flush=True)\n"
    "while not stop.exists():\n"
    "    t = time.perf_counter()\n"
    "    with repo.transaction():\n"
    "        repo.audit(None, 'bench', 'answer', 'x' * 200)\n"
    "    worst = max(worst, time.perf_counter() - t); n += 1\n"
    "print(n, worst, flush=True)\n"
)


def build(path: Path, members: int, weeks: int) -> None:
    Repository(path).close()
    t = "2026-01-01T00:00:00+00:00"
    rng = random.Random(7)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO laws (id, title, kind, content_hash, imported_at) VALUES (1, '教师法', '法律', 'h', ?)", [t])
    conn.execute("INSERT INTO articles (id, law_id, number, key, position, text, content_hash) "
                 "VALUES (1, 1, '第八条', 8000, 1, '教师应当履行下列义务。', 'a')")
    conn.executemany("INSERT INTO units (id, name, created_at) VALUES (?, ?, ?)",
                     [(u, f"第{u}中心学校", t) for u in range(1, 28)])
    conn.executemany(
        "INSERT INTO members (id, staff_no, name, unit_id, role, phone, joined_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'teacher', '13800000000', ?, ?)",
        [(m, f"T{m:05d}", f"教师{m}", 1 + m % 27, t, t) for m in range(1, members + 1)])
    conn.executemany(
        "INSERT INTO quiz_questions (id, origin, kind, stem, options, answer, article_id, content_hash, created_at) "
        "VALUES (?, 'generated', 'single', ?, '[\"甲\",\"乙\",\"丙\",\"丁\"]', '[0]', 1, ?, ?)",
        [(q, f"题目{q}：教师应当履行哪一项义务？", f"q{q}", t) for q in range(1, 5 * weeks + 1)])
    conn.execute("COMMIT")
    for week in range(1, weeks + 1):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO rounds (id, study_list_id, week, opens_at, deadline, pass_mark, created_at) "
                     "VALUES (?, 'L', ?, ?, ?, 0.8, ?)", [week, f"2026-W{week:02d}", t, t, t])
        conn.executemany("INSERT INTO round_questions VALUES (?, ?, ?)",
                         [(week, p, 5 * (week - 1) + p + 1) for p in range(5)])
        base = (week - 1) * members
        conn.executemany(
            "INSERT INTO attempts (id, round_id, member_id, number, started_at, finished_at, correct, total, score, "
            "passed) VALUES (?, ?, ?, 1, ?, ?, 4, 5, 0.8, 1)",
            [(base + m, week, m, t, t) for m in range(1, members + 1)])
        conn.executemany(
            "INSERT INTO answers (attempt_id, position, question_id, chosen, correct, answered_at) "
            "VALUES (?, ?, ?, '[0]', ?, ?)",
            [(base + m, p, 5 * (week - 1) + p + 1, int(rng.random() < 0.8), t)
             for m in range(1, members + 1) for p in range(5)])
        conn.execute("COMMIT")
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--weeks", type=int, default=52)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        db = folder / "xuefa.db"
        started = time.perf_counter()
        build(db, args.members, args.weeks)
        print(f"built: {args.members} members, {args.weeks} rounds, {db.stat().st_size / 1e6:.1f} MB "
              f"in {time.perf_counter() - started:.1f} s")
        env = dict(os.environ, PYTHONPATH=str(ROOT), XUEFA_DATA_DIR=str(folder), XUEFA_DB=str(db),
                   XUEFA_BACKUP_DIR=str(folder / "backups"))
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(folder / "stop")], env=env,
                                  stdout=subprocess.PIPE, text=True)
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(1.0)
        started = time.perf_counter()
        done = subprocess.run([str(XUEFA), "backup"], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        (folder / "stop").touch()
        writes, worst = writer.communicate(timeout=60)[0].split()
        print(done.stdout.strip() or done.stderr.strip())
        copy = sorted((folder / "backups").glob("xuefa-*.db"))[-1]
        print(f"backup: {copy.stat().st_size / 1e6:.1f} MB, `xuefa backup` wall time {wall:.1f} s "
              f"(process start included); writer committed {writes} writes over the run, "
              f"slowest write {float(worst) * 1000:.0f} ms; writer exit {writer.returncode}")
        return done.returncode or writer.returncode


if __name__ == "__main__":
    sys.exit(main())
