"""Storage: migrations, idempotent imports, diffs, removal and atomicity."""

from __future__ import annotations

import copy
import gc
import os
import sqlite3
import threading

import pytest

from knowledge.models import Article, Law
from knowledge.numerals import ArticleNo
from knowledge.store import Repository, migration_scripts


def small_law(*texts: str, title="中华人民共和国示例法") -> Law:
    articles = [Article(ArticleNo(i), text, ("第一章 总则",), title) for i, text in enumerate(texts, 1)]
    return Law(title=title, articles=articles, source_file="example.md")


def test_migrations_applied_twice_change_nothing(tmp_path):
    path = tmp_path / "x.db"
    first = Repository(path)
    assert first.schema_version() == len(migration_scripts())
    schema = first.schema()
    first.close()
    again = Repository(path)
    assert again.migrate() == []
    assert again.schema() == schema
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_migrations_are_numbered_without_gaps():
    versions = [version for version, _, _ in migration_scripts()]
    assert versions == list(range(1, len(versions) + 1))


def test_import_twice_is_a_no_op(repo, shared_laws):
    laws = [result.law for result in shared_laws]
    first = repo.import_laws(laws)
    assert {report.outcome for report in first} == {"new"}
    ids = repo.db.execute("SELECT id, content_hash FROM articles ORDER BY id").fetchall()
    second = repo.import_laws(copy.deepcopy(laws))
    assert {report.outcome for report in second} == {"unchanged"}
    assert repo.db.execute("SELECT id, content_hash FROM articles ORDER BY id").fetchall() == ids
    assert repo.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3718


def test_a_changed_law_reports_added_changed_removed_and_keeps_ids(repo):
    repo.import_laws([small_law("甲。", "乙。", "丙。")])
    before = {a.label: a.id for a in repo.law("中华人民共和国示例法").articles}
    changed = small_law("甲。", "乙（修改）。", "丙。", "丁。")
    changed.articles.pop(2)  # 第三条 removed
    [report] = repo.import_laws([changed])
    assert report.outcome == "changed"
    assert (report.added, report.changed, report.removed) == (["第四条"], ["第二条"], ["第三条"])
    after = {a.label: a for a in repo.law("中华人民共和国示例法").articles}
    assert list(after) == ["第一条", "第二条", "第四条"]
    assert after["第一条"].id == before["第一条"] and after["第二条"].id == before["第二条"]
    assert after["第二条"].text == "乙（修改）。"


def test_removing_a_law_removes_its_articles(repo):
    repo.import_laws([small_law("甲。", "乙。"), small_law("丙。", title="中华人民共和国另一法")])
    assert repo.remove_law("中华人民共和国示例法") == 2
    assert repo.law_titles() == ["中华人民共和国另一法"]
    assert repo.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_a_failing_import_lands_nothing(repo):
    repo.import_laws([small_law("甲。")])
    broken = small_law("乙。", "丙。", title="中华人民共和国坏法")
    broken.articles[1].number = ArticleNo(1)  # two 第一条: the UNIQUE constraint fails mid-way
    with pytest.raises(sqlite3.IntegrityError):
        repo.import_laws([small_law("甲（新）。"), broken])
    assert repo.law_titles() == ["中华人民共和国示例法"]
    assert repo.law("中华人民共和国示例法").articles[0].text == "甲。"


def test_article_lookup_and_counts(loaded_repo):
    article = loaded_repo.article("中华人民共和国刑法", ArticleNo(133, 1))
    assert article.label == "第一百三十三条之一" and article.law_title == "中华人民共和国刑法"
    assert loaded_repo.article_count("中华人民共和国教师法") == (43, ArticleNo(43))
    assert loaded_repo.law_title_by_file("teachers-law.md") == "中华人民共和国教师法"
    summaries = {s.title: s for s in loaded_repo.law_summaries()}
    assert summaries["中华人民共和国民法典"].article_count == 1260


def test_a_finished_thread_leaves_no_open_connection(tmp_path):
    # A web server's worker threads and asyncio.to_thread come and go; each opens its own connection.
    repo = Repository(tmp_path / "x.db")
    repo.rounds()
    before = len(os.listdir("/proc/self/fd"))
    threads = [threading.Thread(target=repo.rounds) for _ in range(40)]
    for thread in threads:
        thread.start()
        thread.join()
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) - before < 5  # not three descriptors per finished thread
    repo.close()


def test_reachable_means_an_account_on_a_channel_the_deployment_runs():
    from knowledge.members import RosterRow

    repository = Repository()
    repository.import_roster([RosterRow(2, "T001", "张老师", "城关一小", "teacher"),
                              RosterRow(3, "T002", "钱老师", "城关一小", "teacher")])
    web_user, telegram_user = (repository.find_members(s)[0] for s in ("T001", "T002"))
    repository.note_account(web_user.id, "web")
    repository.bind_account(telegram_user.id, "telegram", "1002", "1002")

    def reachable() -> dict[str, bool]:
        return {m.staff_no: m.reachable for m in repository.members()}

    assert reachable() == {"T001": True, "T002": True}  # a bare store: any channel counts
    repository.live_channels = frozenset({"web"})  # a web-only deployment
    assert reachable() == {"T001": True, "T002": False}
    repository.live_channels = frozenset({"web", "telegram"})
    repository.set_account_reachable(telegram_user.id, "telegram", False)  # they blocked the bot
    assert reachable() == {"T001": True, "T002": False}
    people = {p.staff_no: p for p in repository.participation("2000-01-01", "2100-01-01", None)[1]}
    assert (people["T001"].reachable, people["T001"].bound) == (True, True)
    assert (people["T002"].reachable, people["T002"].bound) == (False, True)
    assert repository.find_members("T002")[0].channels == ("telegram",)


def test_telegram_bindings_pushes_and_reminders_migrate_to_accounts_and_the_outbox(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    for version, name, sql in migration_scripts():
        if version <= 10:  # the schema before channel-neutral identity
            conn.executescript(sql)
            conn.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-01-01')", [version, name])
    now = "2026-01-05T01:00:00+00:00"
    conn.execute("INSERT INTO units (id, name, created_at) VALUES (1, '城关一小', ?)", [now])
    conn.executemany(
        "INSERT INTO members (id, staff_no, name, unit_id, role, telegram_id, chat_id, reachable, joined_at, bound_at, "
        "updated_at, account_hash) VALUES (?, ?, ?, 1, 'teacher', ?, ?, ?, ?, ?, ?, ?)",
        [(1, "T001", "张老师", 1001, 1001, 1, now, now, now, "h1"), (2, "T002", "钱老师", 1002, 1002, 0, now, now, now, "h2"),
         (3, "T003", "孙老师", None, None, 1, now, None, now, None)],
    )
    conn.execute("INSERT INTO rounds (id, study_list_id, week, opens_at, deadline, pass_mark, questions, created_at) "
                 "VALUES (7, 'Q1', '2026-W02', ?, ?, 0.8, 5, ?)", [now, now, now])
    conn.executemany("INSERT INTO deliveries (round_id, member_id, status, tries, updated_at, error) VALUES (7, ?, ?, 1, ?, ?)",
                     [(1, "sent", now, ""), (2, "blocked", now, "Forbidden"), (3, "failed", now, "unbound")])
    conn.execute("INSERT INTO reminders (round_id, member_id, kind, sent_at) VALUES (7, 1, 'member', ?)", [now])
    conn.execute("INSERT INTO sign_in_attempts (subject, at, ok) VALUES ('tg:1001', ?, 1)", [now])
    conn.commit()
    conn.close()
    repository = Repository(path)
    t1, t2, t3 = (repository.find_members(s)[0] for s in ("T001", "T002", "T003"))
    assert (t1.channels, t1.reachable, t2.channels, t2.reachable, t3.channels) == (
        ("telegram",), True, ("telegram",), False, ())
    assert repository.member_by_account("telegram", "1001").staff_no == "T001"
    assert repository.delivery_counts("round", "7") == {"sent": 1, "blocked": 1, "unreachable": 1}
    assert repository.delivery("reminder", "7", t1.id).status == "sent"
    assert repository.failed_sign_ins("telegram:1001", "2000-01-01") == 0
    assert repository.scalar("SELECT count(*) FROM sign_in_attempts WHERE subject = 'telegram:1001'") == 1
