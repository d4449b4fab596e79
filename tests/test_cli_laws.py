"""The `xuefa` command line for laws, articles and study lists, on a real database file."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.cli.main import Context
from knowledge.clock import Clock

TZ = "Asia/Shanghai"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)

    def invoke(*args, today: date | None = None):
        # The CLI's one clock, pinned to a day when a test reads what "today" decides.
        clock = Clock(TZ, datetime.combine(today, time(12), ZoneInfo(TZ))) if today else None
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, obj=Context(clock=clock))

    return invoke


def test_import_then_article(run, shared):
    result = run("laws", "import", str(shared / "laws"))
    assert result.exit_code == 0, result.output
    assert "共处理 27 部法规：新增 27，更新 0，未变 0" in result.output
    result = run("article", "教师法第八条")
    assert result.exit_code == 0
    assert result.output.startswith("《教师法》第八条\n（第二章 权利和义务）\n教师应当履行下列义务")
    again = run("laws", "import", str(shared / "laws"))
    assert "新增 0，更新 0，未变 27" in again.output


def test_article_errors_are_one_line_and_exit_non_zero(run, shared):
    run("laws", "import", str(shared / "laws" / "teachers-law.md"))
    result = run("article", "教师法第99条")
    assert result.exit_code == 1
    assert result.output.strip() == "错误：《教师法》共四十三条，没有第九十九条"


def test_a_changed_file_reports_its_diff(run, shared, tmp_path):
    source = (shared / "laws" / "teachers-law.md").read_text(encoding="utf-8")
    path = tmp_path / "teachers-law.md"
    path.write_text(source, encoding="utf-8")
    run("laws", "import", str(path))
    edited = source.replace("每年九月十日为教师节。", "每年九月十日为教师节，全社会应当尊重教师。")
    edited = edited.replace("第四十三条 本法自1994年1月1日起施行。", "")
    path.write_text(edited, encoding="utf-8")
    result = run("laws", "import", str(path))
    assert result.exit_code == 0
    assert "更新 《中华人民共和国教师法》：新增 0 条，修改 1 条，删除 1 条" in result.output
    assert "修改：第六条" in result.output and "删除：第四十三条" in result.output


def test_a_bad_file_in_the_batch_imports_nothing(run, shared, tmp_path):
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    result = run("laws", "import", str(shared / "laws" / "teachers-law.md"), str(tmp_path / "empty.md"))
    assert result.exit_code == 1
    assert "empty.md：文件为空" in result.output
    assert "法规库为空" in run("laws", "list").output


def test_bundled_import_by_short_title_and_studylist(run):
    result = run("laws", "import", "--bundled", "--title", "教师法", "--title", "刑法")
    assert result.exit_code == 0, result.output
    assert "新增 《中华人民共和国教师法》 43 条" in result.output
    assert "《刑法》在内置法规库中的状态为“已被修改（内置法规库的合并文本）；已按《中华人民共和国刑法修正案（十二）》" in result.output
    listing = run("laws", "list").output
    assert "中华人民共和国刑法\t法律\t已被修改（内置法规库的合并文本）；" in listing
    assert "505条\t2023-12-29" in listing
    # 修正案（十二） restated 第三百九十条 in full: the store holds the amended text, not the 2020 one.
    amended = run("article", "刑法第三百九十条").output
    assert "（四）为谋取职务、职级晋升、调整行贿的；" in amended
    assert "醉酒驾驶机动车的" in run("article", "刑法第一百三十三条之一").output
    shown = run("laws", "show", "教师法").output
    assert "第二章 权利和义务（第七条—第九条）" in shown


def test_bundled_import_of_everything_takes_the_amended_criminal_law():
    """`laws import --bundled` takes laws in force: 刑法 (marked 已被修改) with 修正案（十二） applied."""
    from knowledge.bundled import BundledCorpus, bundled_laws

    corpus = BundledCorpus()
    try:
        laws = {p.law.title: p.law for p in bundled_laws(corpus, None)}
    finally:
        corpus.close()
    criminal = laws["中华人民共和国刑法"]
    assert criminal.amended == "2023-12-29" and "修正案（十二）" in criminal.status
    assert "第三百九十三条" in criminal.status and "未能逐字适用" not in criminal.status
    bribery = next(a for a in criminal.articles if a.label == "第三百八十七条")
    assert bribery.text.startswith("国家机关、国有公司、企业、事业单位、人民团体，索取、非法收受他人财物")
    assert bribery.text.count("\n") == 1  # 第一款 replaced, 第二款 kept
    assert "中华人民共和国环境保护法" not in laws  # 已废止 stays out


def test_studylist_load_and_show(run, shared):
    run("laws", "import", str(shared / "laws"))
    result = run("studylist", "load", str(shared / "study-lists" / "2024.yaml"))
    assert result.output.strip() == "已载入学法清单 4 份：2024-Q1、2024-Q2、2024-Q3、2024-Q4"
    shown = run("studylist", "show", "2024-Q2").output
    assert "重点：第七十六条至第八十条" in shown
    listing = run("studylist", "show", today=date(2024, 5, 20)).output
    assert "【当前】第二季度学法清单" in listing and listing.count("【当前】") == 1
    between = run("studylist", "show", today=date(2025, 3, 1)).output
    assert "今天（2025-03-01）不在任何学法清单的起止日期内" in between and "【当前】" not in between
    missing = run("studylist", "show", "2030-Q9")
    assert missing.exit_code == 1 and "没有编号为“2030-Q9”的学法清单" in missing.output


def test_studylist_naming_a_missing_law(run, shared):
    run("laws", "import", str(shared / "laws" / "teachers-law.md"))
    result = run("studylist", "load", str(shared / "study-lists" / "2024.yaml"))
    assert result.exit_code == 1
    assert "2024.yaml 第15行：学法清单中的“constitution.md”不在法规库中" in result.output


def test_usage_errors(run):
    assert run("laws", "import").exit_code == 2
    assert run("studylist", "load").exit_code == 2
