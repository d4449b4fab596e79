"""The spreadsheet form of a 学法清单 (季度, 法规名称, 重点章节) and its template."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import cli
from knowledge.errors import SourceError
from knowledge.studysheet import TEMPLATE, parse_study_sheet, read_study_lists


@pytest.fixture
def store(loaded_repo):
    return loaded_repo


def sheet(tmp_path, text, name="清单.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_the_template_loads(store):
    lists = parse_study_sheet(TEMPLATE, store)
    assert [s.id for s in lists] == ["2025-Q1", "2025-Q2"]
    q1, q2 = lists
    assert (q1.start, q1.end, q2.start, q2.end) == ("2025-01-01", "2025-03-31", "2025-04-01", "2025-06-30")
    assert [law.title for law in q1.laws] == ["中华人民共和国宪法", "中华人民共和国教师法", "中华人民共和国未成年人保护法"]
    assert q1.laws[0].focus.chapters == ["第二章 公民的基本权利和义务"]  # 第二章 alone found its heading
    assert q1.laws[1].focus.describe() == "第八条；第三十五条至第三十七条"
    assert q2.laws[0].focus.describe() == "第九百八十九条至第一千零一条"  # the 人格权编's first chapter only
    assert q2.title == "2025年第二季度学法清单"


def test_an_xlsx_with_merged_quarter_cells(store, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet_ = book.active
    sheet_.append(["季度", "法规名称", "重点章节"])
    sheet_.append(["2024年第三季度", "《教师法》", "第二章"])
    sheet_.append([None, "宪法", None])
    sheet_.merge_cells("A2:A3")
    book.save(tmp_path / "list.xlsx")
    (only,) = read_study_lists(tmp_path / "list.xlsx", store)
    assert only.id == "2024-Q3" and only.start == "2024-07-01" and only.end == "2024-09-30"
    assert [law.title for law in only.laws] == ["中华人民共和国教师法", "中华人民共和国宪法"]


@pytest.mark.parametrize("row, expected", [
    ("2024Q5,教师法,", "第3行：季度“2024Q5”看不懂"),
    ("2024Q1,不存在的法,", "第3行：学法清单中的“不存在的法”不在法规库中"),
    ("2024Q1,教师法,第十九章", "第3行：《教师法》中没有“第十九章”"),
    ("2024Q1,教师法,第九百条", "第3行：《教师法》中没有第九百条"),
    ("2024Q1,民法典,第一章", "个“第一章”，请写上所属的编，如“第一编 总则 / 第一章”"),
    ("2024Q1,宪法,", "第3行：《中华人民共和国宪法》在 2024-Q1 中出现了两次"),
])
def test_errors_name_the_row(store, tmp_path, row, expected):
    path = sheet(tmp_path, f"季度,法规名称,重点章节\n2024Q1,宪法,\n{row}\n")
    with pytest.raises(SourceError) as caught:
        parse_study_sheet(path, store)
    assert expected in str(caught.value)
    assert "清单.csv" in str(caught.value)


def test_missing_columns_are_named(store, tmp_path):
    with pytest.raises(SourceError, match="缺少列：法规名称"):
        parse_study_sheet(sheet(tmp_path, "季度,法规\n2024Q1,宪法\n"), store)


def test_cli_loads_a_sheet_and_prints_the_templates(tmp_path, monkeypatch, shared):
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "data" / "x.db"))
    runner = CliRunner()
    assert runner.invoke(cli, ["laws", "import", str(shared / "laws" / "teachers-law.md")]).exit_code == 0
    path = sheet(tmp_path, "季度,法规名称,重点章节\n2026Q4,教师法,第八条-第九条\n")
    result = runner.invoke(cli, ["studylist", "load", str(path)])
    assert result.exit_code == 0, result.output
    assert "2026-Q4" in result.output
    shown = runner.invoke(cli, ["studylist", "show", "2026-Q4"]).output
    assert "第八条至第九条" in shown
    assert runner.invoke(cli, ["studylist", "template"]).output.startswith("季度,法规名称,重点章节")
    assert "quarters:" in runner.invoke(cli, ["studylist", "template", "--yaml"]).output
    bad = sheet(tmp_path, "季度,法规名称\n2026Q4,教师法\n2026Q4,刑法\n", "坏.csv")
    result = runner.invoke(cli, ["studylist", "load", str(bad)])
    assert result.exit_code == 1 and "坏.csv 第3行" in result.output


def test_the_template_loads_on_the_bundled_store_whose_codes_get_their_parts_back(repo):
    from knowledge.bundled import BundledCorpus, bundled_laws

    corpus = BundledCorpus()
    try:
        titles = ["中华人民共和国宪法", "中华人民共和国教师法", "中华人民共和国未成年人保护法", "中华人民共和国民法典",
                  "中华人民共和国家庭教育促进法"]
        parsed = bundled_laws(corpus, titles)
    finally:
        corpus.close()
    repo.import_laws([p.law for p in parsed])
    code = next(p.law for p in parsed if p.law.title == "中华人民共和国民法典")
    firsts = [a.path for a in code.articles if len(a.path) > 1 and a.path[1].startswith("第一章")]
    assert len({path[1] for path in firsts}) < len(set(firsts))  # seven 第一章, told apart by their 编 now
    assert code.articles[988].path[:2] == ("第四编 人格权", "第一章 一般规定")  # 第九百八十九条
    assert code.articles[-1].path == ("附则",)  # not filed under 侵权责任's last chapter
    lists = parse_study_sheet(TEMPLATE, repo)
    assert lists[1].laws[0].focus.describe() == "第九百八十九条至第一千零一条"
