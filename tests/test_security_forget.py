"""Security round two (issue 17.9): what `xuefa member forget` leaves behind, in the database and on disk."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from bot.cli import cli
from knowledge.store import Repository
from tests.test_security import cli_env  # noqa: F401 - the shared fixture: 张老师 T001 13800000001, 王局 B001


def test_forgetting_scrubs_minutes_and_purges_the_exports_that_hold_the_person(cli_env, tmp_path):  # noqa: F811
    run = cli_env
    (tmp_path / "minutes.txt").write_text("张老师（13800000001）领学第八条，王局点评。", encoding="utf-8")
    assert run("session", "add", "--date", "2026-11-20", "--title", "会前学法（张老师领学）", "--laws", "教师法",
               "--attendees", "T001 B001", "--minutes", str(tmp_path / "minutes.txt")).exit_code == 0
    exports = tmp_path / "data" / "exports"
    exports.mkdir(parents=True, exist_ok=True)
    assert run("member", "export", "T001", "--json", str(exports / "export.json")).exit_code == 0
    assert run("stats", "--xlsx", str(exports / "stats.xlsx")).exit_code == 0
    chat = CliRunner().invoke(cli, ["chat"], input="/records T001\n", catch_exceptions=False)
    assert chat.exit_code == 0, chat.output
    names = sorted(path.name for path in exports.iterdir())
    assert len(names) == 3 and not any("张老师" in name for name in names), names  # no name in a file name
    (exports / "someone-else.json").write_text('{"name": "王局"}', encoding="utf-8")
    forgotten = run("member", "forget", "T001", "--yes")
    assert forgotten.exit_code == 0, forgotten.output
    assert sorted(path.name for path in exports.iterdir()) == ["someone-else.json"]
    assert "3 个文件" in forgotten.output
    with sqlite3.connect(tmp_path / "data" / "x.db") as db:
        [(title, minutes)] = db.execute("SELECT title, minutes FROM study_sessions").fetchall()
    assert "张老师" not in title + minutes and "13800000001" not in minutes and "王局点评" in minutes
    repository = Repository(tmp_path / "data" / "x.db")
    assert repository.scalar("PRAGMA secure_delete") == 1  # explicit, not the build's default
    repository.close()
