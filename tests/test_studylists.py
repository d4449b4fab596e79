"""Study lists: the shared 2024 example, the shipped example and every bad input."""

from __future__ import annotations

from datetime import date

import pytest

from knowledge.bundled import BundledCorpus, bundled_laws
from knowledge.errors import NotFound, SourceError
from knowledge.numerals import ArticleNo
from knowledge.studylists import EXAMPLE, current_list, parse_study_lists, scope_titles


def test_the_shared_2024_lists_load_by_file_name(loaded_repo, shared):
    lists = parse_study_lists(shared / "study-lists" / "2024.yaml", loaded_repo)
    assert [s.id for s in lists] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    q2 = lists[1]
    assert q2.start == "2024-04-01" and q2.end == "2024-06-30"
    national_security = q2.laws[-1]
    assert national_security.title == "中华人民共和国国家安全法"
    assert national_security.focus.ranges == [(ArticleNo(76), ArticleNo(80))]
    assert lists[0].laws[0].focus.chapters == ["第二章 公民的基本权利和义务"]
    loaded_repo.save_study_lists(lists)
    stored = loaded_repo.study_lists()
    assert [s.id for s in stored] == [s.id for s in lists]
    assert stored[1].laws[-1].focus.ranges == [(ArticleNo(76), ArticleNo(80))]
    assert stored[0].laws[2].article_count == 43
    assert len(scope_titles(stored)) == 25


def test_the_current_list_is_the_one_whose_dates_include_today(loaded_repo, shared):
    lists = parse_study_lists(shared / "study-lists" / "2024.yaml", loaded_repo)
    assert current_list(lists, date.fromisoformat("2024-05-20")).id == "2024-Q2"
    assert current_list(lists, date.fromisoformat("2024-12-31")).id == "2024-Q4"
    assert current_list(lists, date.fromisoformat("2025-01-01")) is None
    assert current_list(lists, date.fromisoformat("2025-01-01"), override="2024-Q3").id == "2024-Q3"
    with pytest.raises(NotFound):
        current_list(lists, date.fromisoformat("2024-05-20"), override="2099-Q1")


def test_titles_and_short_names_are_accepted(loaded_repo, tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text(
        "quarters:\n  - id: A\n    title: 测试\n    start: 2025-01-01\n    end: 2025-03-31\n"
        "    laws:\n      - 教师法\n      - title: 中华人民共和国义务教育法\n        focus:\n"
        "          articles: [第二十七条, 第二十九条-第三十一条]\n",
        encoding="utf-8",
    )
    [study_list] = parse_study_lists(path, loaded_repo)
    assert [law.title for law in study_list.laws] == ["中华人民共和国教师法", "中华人民共和国义务教育法"]
    assert study_list.laws[1].focus.describe() == "第二十七条；第二十九条至第三十一条"


def test_the_shipped_example_loads_over_the_bundled_corpus(repo):
    corpus = BundledCorpus()
    repo.import_laws([result.law for result in bundled_laws(corpus)])
    corpus.close()
    lists = parse_study_lists(EXAMPLE, repo)
    assert len(lists) == 4 and all(study_list.laws for study_list in lists)
    assert current_list(lists, date.fromisoformat("2026-11-28")).id == "2026-Q4"


BASE = "quarters:\n  - id: A\n    title: 测试\n    start: 2025-01-01\n    end: 2025-03-31\n    laws:\n"


@pytest.mark.parametrize(
    ("body", "line", "message"),
    [
        (BASE + "      - file: nowhere.md\n", 7, "“nowhere.md”不在法规库中"),
        (BASE + "      - 劳动法\n", 7, "“劳动法”不在法规库中"),
        (BASE + "      - file: teachers-law.md\n        focus:\n          chapter: 第九十章 不存在\n", 9,
         "没有“第九十章 不存在”"),
        (BASE + "      - file: teachers-law.md\n        focus:\n          articles: 第九十九条\n", 9, "没有第九十九条"),
        (BASE + "      - file: teachers-law.md\n        focus:\n          articles: 第五条到底\n", 9, "条文范围"),
        (BASE.replace("2025-03-31", "2024-03-31") + "      - 教师法\n", 2, "早于开始日期"),
        (BASE.replace("2025-01-01", "2025-13-01") + "      - 教师法\n", 2, "格式不对"),
        (BASE.replace("    title: 测试\n", "") + "      - 教师法\n", 2, "缺少字段“title”"),
        (BASE + "      - 教师法\n" + BASE[10:] + "      - 教师法\n", 8, "清单编号“A”重复"),
        ("quarters:\n  - id: A\n    title: [unclosed\n", 4, "YAML 格式错误"),
        ("year: 2025\n", 1, "缺少字段“quarters”"),
    ],
)
def test_bad_lists_name_the_file_and_line(loaded_repo, tmp_path, body, line, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        parse_study_lists(path, loaded_repo)
    assert message in str(caught.value)
    assert caught.value.line == line
    assert str(path) in str(caught.value)
    assert loaded_repo.study_lists() == []
