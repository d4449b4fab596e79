"""Backups while the service writes, restore that refuses what it must, and upgrades from the first schema."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from knowledge import backup as backups
from knowledge.clock import Clock
from knowledge.store import Repository, migration_scripts
from knowledge.store.backups import code_version, read_facts
from tests.processes import XUEFA

ROOT = Path(__file__).resolve().parents[1]
# The first release's schema: laws and study lists (0001), members (0002), quizzes (0003), records (0004).
FIRST_RELEASE = 4

WRITER = (
    "import pathlib, sys, time\n"
    "from knowledge.store import Repository\n"
    "repo = Repository(sys.argv[1])\n"
    "print('ready', flush=True)\n"
    "i = 0\n"
    "stop = pathlib.Path(sys.argv[2])\n"
    "while not stop.exists() or i < int(stop.read_text() or 0):\n"
    "    with repo.transaction():\n"
    "        repo.audit(None, 'writer', 'tick', 'x' * 2000)\n"
    "    i += 1\n"
    "print(i, flush=True)\n"
)


def env_for(tmp_path: Path, **extra) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), XUEFA_DATA_DIR=str(tmp_path / "data"),
               XUEFA_DB=str(tmp_path / "data" / "xuefa.db"), XUEFA_BACKUP_DIR=str(tmp_path / "backups"))
    for key in ("XUEFA_TELEGRAM_TOKEN", "XUEFA_WEB_PORT", "XUEFA_BACKUP_KEEP"):
        env.pop(key, None)
    env.update(extra)
    return env


def ticks(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute("SELECT count(*) FROM audit_log WHERE action = 'tick'").fetchone()[0]


def test_backup_while_another_process_keeps_writing(tmp_path):
    env = env_for(tmp_path)
    db = Path(env["XUEFA_DB"])
    Repository(db).close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(tmp_path / "stop")], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        while ticks(db) < 200:
            time.sleep(0.05)
        before = ticks(db)
        done = subprocess.run([str(XUEFA), "backup"], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "完整性检查通过" in done.stdout
        during = ticks(db)
        (tmp_path / "stop").write_text(str(during + 50))  # 50 more writes after the backup, then stop
    finally:
        (tmp_path / "stop").touch()
        written = int(writer.communicate(timeout=60)[0].strip())
    assert writer.returncode == 0  # the writer never met "database is locked"
    copy = backups.copies(tmp_path / "backups")[0]
    facts = read_facts(copy)
    assert facts.xuefa and facts.intact and facts.version == code_version()
    assert before <= ticks(copy) <= during <= written  # one consistent moment inside the writes
    assert not Path(f"{copy}-wal").exists()  # a single file to carry off the machine
    assert (copy.stat().st_mode & 0o777) == 0o600
    assert written > during  # writes went on after the backup


def test_keeps_the_newest_copies_only(tmp_path):
    repo = Repository(tmp_path / "x.db", Clock(pinned=datetime(2026, 12, 1, 18, tzinfo=timezone.utc)))
    folder = tmp_path / "b"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup")  # never deleted: not named as a backup
    taken = []
    for hour in range(5):
        repo.clock.pin(datetime(2026, 12, 1, 18 + hour // 2, hour, tzinfo=timezone.utc))
        taken.append(backups.take(repo, folder, keep=3).path)
    assert backups.copies(folder) == list(reversed(taken[-3:]))
    assert (folder / "notes.txt").exists()


def test_nightly_takes_one_copy_a_night(tmp_path):
    clock = Clock(pinned=datetime(2026, 12, 1, 18, 30, tzinfo=timezone.utc))  # 02:30 on 2 December in Shanghai
    repo = Repository(tmp_path / "x.db", clock)
    first = backups.nightly(repo, tmp_path / "b", keep=7)
    assert first is not None and first.path.name == "xuefa-20261202-023000.db"
    clock.pin(datetime(2026, 12, 1, 19, tzinfo=timezone.utc))  # a restart later that night
    assert backups.nightly(repo, tmp_path / "b", keep=7) is None
    clock.pin(datetime(2026, 12, 2, 18, 30, tzinfo=timezone.utc))  # the next night
    assert backups.nightly(repo, tmp_path / "b", keep=7) is not None
    assert len(backups.copies(tmp_path / "b")) == 2


def test_backup_keep_setting_and_folder_argument(tmp_path, monkeypatch):
    for key, value in env_for(tmp_path, XUEFA_BACKUP_KEEP="2").items():
        if key.startswith("XUEFA_"):
            monkeypatch.setenv(key, value)
    Repository(tmp_path / "data" / "xuefa.db").close()
    runner = CliRunner()
    for _ in range(3):
        result = runner.invoke(cli, ["backup", str(tmp_path / "elsewhere")])
        assert result.exit_code == 0, result.output
        time.sleep(1.01)  # names are to the second
    assert len(backups.copies(tmp_path / "elsewhere")) == 2
    assert "已删除较早的备份 1 份" in result.output


def _repo_with(tmp_path: Path, name: str, staff: str) -> Path:
    path = tmp_path / name
    repo = Repository(path)
    (tmp_path / f"{name}.csv").write_text(f"姓名,工号,单位,角色\n张老师,{staff},城关一小,教师\n", encoding="utf-8")
    from knowledge.members import parse_roster
    found, _ = parse_roster(tmp_path / f"{name}.csv", repository=repo)
    repo.import_roster(found)
    repo.close()
    return path


def test_restore_puts_a_backup_in_place_and_saves_the_old_database(tmp_path, monkeypatch):
    env = env_for(tmp_path)
    for key, value in env.items():
        if key.startswith("XUEFA_"):
            monkeypatch.setenv(key, value)
    old = _repo_with(tmp_path, "old.db", "OLD1")
    live = Path(env["XUEFA_DB"])
    live.parent.mkdir(parents=True)
    _repo_with(tmp_path / "data", "xuefa.db", "NEW1")
    result = CliRunner().invoke(cli, ["restore", str(old)], input="n\n")
    assert "已取消" in result.output
    result = CliRunner().invoke(cli, ["restore", str(old), "--yes"])
    assert result.exit_code == 0, result.output
    repo = Repository(live)
    assert [m.staff_no for m in repo.members()] == ["OLD1"]
    repo.close()
    saved = next((tmp_path / "backups").glob("before-restore-*.db"))
    saved_repo = Repository.snapshot(saved)
    assert [m.staff_no for m in saved_repo.members()] == ["NEW1"]


@pytest.mark.parametrize("kind", ["text", "other-sqlite", "newer", "damaged"])
def test_restore_refuses_and_leaves_the_database_untouched(tmp_path, kind):
    live = _repo_with(tmp_path, "live.db", "LIVE1")
    before = live.read_bytes()
    bad = tmp_path / "bad.db"
    if kind == "text":
        bad.write_text("姓名,工号\n", encoding="utf-8")
        expected = "不是 SQLite 数据库文件"
    elif kind == "other-sqlite":
        with sqlite3.connect(bad) as conn:
            conn.execute("CREATE TABLE photos (id INTEGER)")
        expected = "不是学法助手的数据库"
    elif kind == "newer":
        path = _repo_with(tmp_path, "newer.db", "X")
        with sqlite3.connect(path) as conn:
            conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', '2030-01-01')")
        bad = path
        expected = "由较新版本的学法助手生成（数据库版本 9999"
    else:
        path = _repo_with(tmp_path, "damaged.db", "X")
        with sqlite3.connect(path) as conn:
            page = conn.execute("PRAGMA page_size").fetchone()[0]
            root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'members'").fetchone()[0]
        data = bytearray(path.read_bytes())
        start = (root - 1) * page
        data[start:start + 12] = b"\x0d\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"  # a broken page header
        bad.write_bytes(bytes(data))
        expected = "未恢复"
    with pytest.raises(backups.BackupError, match=expected):
        backups.restore(bad, live, tmp_path / "saved")
    assert live.read_bytes() == before
    assert not list(tmp_path.glob(".live.db.restore-*"))


def test_restore_refuses_while_the_service_holds_the_database(tmp_path):
    old = _repo_with(tmp_path, "old.db", "OLD1")
    live = _repo_with(tmp_path, "live.db", "LIVE1")
    running = Repository(live)
    running.members()  # the service's open connection
    with pytest.raises(backups.BackupError, match="正在被使用"):
        backups.restore(old, live, tmp_path / "saved")
    assert [m.staff_no for m in running.members()] == ["LIVE1"]
    running.close()


def first_release_snapshot(path: Path) -> None:
    """A database as the first release left it: its migrations only, and a term's worth of its rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                 "applied_at TEXT NOT NULL)")
    for version, name, sql in migration_scripts():
        if version <= FIRST_RELEASE:
            conn.executescript(f"BEGIN;\n{sql}\n;INSERT INTO schema_migrations VALUES ({version}, '{name}', "
                               f"'2026-09-01T00:00:00+00:00');\nCOMMIT;")
    t = "2026-09-01T00:00:00+00:00"
    conn.executescript(f"""
        INSERT INTO laws (id, title, kind, content_hash, imported_at) VALUES (1, '中华人民共和国教师法', '法律', 'h', '{t}');
        INSERT INTO articles (id, law_id, number, key, position, text, content_hash)
            VALUES (1, 1, '第八条', 8000, 1, '教师应当履行下列义务。', 'a');
        INSERT INTO study_lists (id, year, title, start, "end", loaded_at)
            VALUES ('2026-Q4', 2026, '第四季度', '2026-10-01', '2026-12-31', '{t}');
        INSERT INTO study_list_laws (list_id, position, law_id) VALUES ('2026-Q4', 0, 1);
        INSERT INTO units (id, name, created_at) VALUES (1, '城关一小', '{t}');
        INSERT INTO members (id, staff_no, name, unit_id, role, phone, telegram_id, chat_id, joined_at, updated_at)
            VALUES (1, 'T001', '张老师', 1, 'teacher', '13800000000', 42, 42, '{t}', '{t}'),
                   (2, 'T002', '李老师', 1, 'teacher', '', NULL, NULL, '{t}', '{t}');
        INSERT INTO invite_codes (code_hash, member_id, created_at) VALUES ('unused', 2, '{t}');
        INSERT INTO quiz_questions (id, origin, kind, stem, options, answer, article_id, content_hash, created_at)
            VALUES (1, 'generated', 'truefalse', '教师应当履行义务。', '["对","错"]', '[0]', 1, 'q1', '{t}');
        INSERT INTO rounds (id, study_list_id, week, opens_at, deadline, pass_mark, created_at)
            VALUES (1, '2026-Q4', '2026-W41', '2026-10-04T16:00:00+00:00', '2026-10-11T14:00:00+00:00', 0.8, '{t}');
        INSERT INTO round_questions VALUES (1, 0, 1);
        INSERT INTO attempts (id, round_id, member_id, number, started_at, finished_at, correct, total, score, passed)
            VALUES (1, 1, 1, 1, '2026-10-05T01:00:00+00:00', '2026-10-05T01:05:00+00:00', 1, 1, 1.0, 1);
        INSERT INTO answers (attempt_id, position, question_id, chosen, correct, answered_at)
            VALUES (1, 0, 1, '[0]', 1, '2026-10-05T01:04:00+00:00');
    """)
    conn.close()


def columns(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        shape = {t: sorted(r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')) for t in tables}
        shape["__indexes__"] = sorted(r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"))
    return shape


def test_a_first_release_database_migrates_forward_in_one_step(tmp_path):
    old = tmp_path / "first.db"
    first_release_snapshot(old)
    assert read_facts(old).version == FIRST_RELEASE
    repo = Repository(old)  # one step: opening it applies every later migration
    assert repo.schema_version() == code_version()
    tallies, people = repo.participation("2026-10-01", "2026-12-31", None)
    assert [t.week for t in tallies] == ["2026-W41"]
    assert {p.staff_no for p in people} == {"T001", "T002"}
    repo.close()
    fresh = tmp_path / "fresh.db"
    Repository(fresh).close()
    assert columns(old) == columns(fresh)  # the same schema as a database made by this version


def test_restoring_a_first_release_backup_migrates_it(tmp_path):
    old = tmp_path / "first.db"
    first_release_snapshot(old)
    live = _repo_with(tmp_path, "live.db", "LIVE1")
    done = backups.restore(old, live, tmp_path / "saved")
    assert (done.version_before, done.version_after) == (FIRST_RELEASE, code_version())
    repo = Repository(live)
    assert repo.member_by_account("telegram", "42").staff_no == "T001"  # the first release's binding, as an account
    repo.close()
    assert read_facts(old).version == FIRST_RELEASE  # the backup itself is never written to


async def test_the_running_service_takes_one_backup_a_night_and_keeps_n(tmp_path, shared):
    from bot.outreach import Outreach
    from bot.scheduler import Scheduler
    from tests.webharness import web_services

    services = web_services(tmp_path, shared, backup_keep=2, backup_at="02:30")
    try:
        scheduler = Scheduler(services, Outreach(services, {}))
        folder = services.settings.backup_path
        assert "backup" in await scheduler.tick()  # Wednesday noon: this night's 02:30 backup was missed
        [first] = backups.copies(folder)
        assert read_facts(first).intact and read_facts(first).version == code_version()
        assert "backup" not in await scheduler.tick()  # the same night's backup is taken once
        scheduler.done.clear()  # a restart the same day: the night's copy is there already
        await scheduler.tick()
        assert backups.copies(folder) == [first]
        for _ in range(3):  # three more nights: only the newest two copies stay
            services.clock.pin(services.clock.now() + timedelta(days=1))
            assert "backup" in await scheduler.tick()
        assert len(backups.copies(folder)) == 2 and first not in backups.copies(folder)
    finally:
        services.close()
