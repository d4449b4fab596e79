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
