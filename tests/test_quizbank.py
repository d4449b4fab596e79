"""Question banks: CSV and XLSX sheets, every kind of bad row, and files that are not banks at all."""

from __future__ import annotations

import csv
import io
import random
import zipfile

import openpyxl
import pytest

from knowledge import messages as M
from knowledge.citations import LawCatalog
from knowledge.errors import SourceError, ValidationError
from knowledge.quizbank import citation_checker, load_bank, read_bank

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "答案", "解析", "出处"]
LONG_STEM = "根据《教师法》，" + "教" * 300


def row(kind, stem, options=(), answer="", explanation="", source=""):
    options = list(options) + [""] * (6 - len(options))
    return [kind, stem, *options, answer, explanation, source]


GOOD = [
    row(
        "单选",
        "教师节是每年的哪一天？",
        ["九月一日", "九月十日", "十月一日", "五月四日"],
        "B",
        "教师法第六条。",
        "教师法第六条",
    ),
    row(
        "多选题",
        "教师应当履行的义务有（　　）。",
        ["遵守宪法、法律和职业道德", "为人师表", "体罚学生", "按时获取工资报酬"],
        "A,B",
        "",
        "《中华人民共和国教师法》第八条",
    ),
    row("判断", "全社会都应当尊重教师。", answer="√", source="教师法第4条"),
    row("判断题", "教师节是每年五月四日。\n请判断。", answer="错"),
]
# (row as the spreadsheet numbers it, cells, what the reason must say)
BAD = [
    (7, row("填空", "教师节是（　　）。", ["九月十日", "十月一日"], "A"), M.BANK_KIND_UNKNOWN.format(kind="填空")),
    (8, row("单选", "", ["九月十日", "十月一日"], "A"), M.QUIZ_STEM_EMPTY),
    (9, row("单选", "只有一个选项？", ["九月十日"], "A"), M.QUIZ_OPTION_COUNT.format(n=1, low=2, high=10)),
    (10, row("单选", "选项C是空的", ["甲", "乙", "", "丁"], "C"), M.BANK_ANSWER_EMPTY_OPTION.format(letter="C")),
    (11, row("单选", "单选两个答案", ["甲", "乙", "丙"], "AB"), M.QUIZ_ANSWER_ONE.format(n=2)),
    (12, row("多选", "多选一个答案", ["甲", "乙", "丙"], "A"), M.QUIZ_ANSWER_MANY),
    (13, row("单选", "选项重复", ["学校", " 学 校 ", "幼儿园"], "A"), M.QUIZ_OPTION_DUPLICATE.format(option="学 校")),
    (14, row("单选", LONG_STEM, ["甲", "乙"], "A"), M.QUIZ_STEM_TOO_LONG.format(n=len(LONG_STEM), limit=300)),
    (
        15,
        row("单选", "选项太长", ["甲" * 101, "乙"], "B"),
        M.QUIZ_OPTION_TOO_LONG.format(option="甲" * 20, n=101, limit=100),
    ),
    (16, row("单选", "出处有误", ["甲", "乙"], "A", source="教师法第九十九条"), "《教师法》共四十三条，没有第九十九条"),
    (17, row("单选", "答案写错", ["甲", "乙"], "Z"), M.BANK_ANSWER_BAD.format(answer="Z")),
    (18, row("判断", "判断答案写错", answer="也许"), M.BANK_ANSWER_BAD.format(answer="也许")),
    (19, GOOD[0], M.BANK_DUPLICATE.format(row=2)),
    (21, row("单选", "解析太长", ["甲", "乙"], "A", "解" * 201), M.QUIZ_EXPLANATION_TOO_LONG.format(n=201, limit=200)),
]
GOOD_ROWS = [2, 3, 4, 5]  # row 6 is a good row written in another style, row 20 is left empty
STYLE = row("单选 ", "第二种写法", ["１５", "３０"], "ｂ", source="")


def sheet_rows():
    rows = [HEADER, *GOOD, STYLE]
    for number, cells, _ in BAD:
        while len(rows) + 1 < number:
            rows.append([""] * len(HEADER))
        rows.append(cells)
    return rows


@pytest.fixture
def check(loaded_repo):
    return citation_checker(LawCatalog(loaded_repo.law_titles()), loaded_repo)


def write_csv(path, rows, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for cells in rows:
        sheet.append([int(c) if c.isascii() and c.isdigit() else (c or None) for c in cells])
    book.create_sheet("说明").append(["第二个工作表不读"])
    book.save(path)
    return path


def assert_report(questions, problems):
    assert [number for number, _ in problems] == [number for number, _, _ in BAD]
    for (number, reason), (_, _, expected) in zip(problems, BAD, strict=True):
        assert expected in reason, (number, reason)
    assert [q.stem for q in questions] == [r[1] for r in GOOD] + ["第二种写法"]
    single, multiple, true, false, style = questions
    assert single.kind == "single" and single.answer == [1] and single.options[1] == "九月十日"
    assert single.explanation == "教师法第六条。" and single.citation == "教师法第六条"
    assert multiple.kind == "multiple" and multiple.answer == [0, 1]
    assert multiple.explanation == M.BANK_EXPLANATION_CITATION.format(citation="《中华人民共和国教师法》第八条")
    assert true.options == ["正确", "错误"] and true.answer == [0] and false.answer == [1]
    assert style.kind == "single" and style.answer == [1]
    assert all(q.origin == "bank" and q.generator == "bank" for q in questions)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_bank_reports_every_bad_row(tmp_path, check, encoding):
    path = write_csv(tmp_path / "题库.csv", sheet_rows(), encoding)
    assert_report(*read_bank(path, check))


def test_xlsx_bank_reports_every_bad_row(tmp_path, check):
    path = write_xlsx(tmp_path / "题库.xlsx", sheet_rows())
    questions, problems = read_bank(path, check)
    assert_report(questions, problems)
    assert questions[-1].options == ["１５", "３０"]


def test_numbers_in_xlsx_cells_read_as_written(tmp_path, check):
    path = write_xlsx(tmp_path / "数字.xlsx", [HEADER, row("单选", "几日内？", ["15", "30"], "A")])
    questions, problems = read_bank(path, check)
    assert problems == [] and questions[0].options == ["15", "30"]


def test_load_bank_imports_nothing_when_a_row_is_bad(tmp_path, check):
    path = write_csv(tmp_path / "题库.csv", sheet_rows())
    with pytest.raises(ValidationError) as caught:
        load_bank(path, check)
    assert [number for number, _ in caught.value.problems] == [number for number, _, _ in BAD]
    assert M.ROWS_REJECTED.format(path=path, n=len(BAD)) in str(caught.value)
    assert "  第7行：" in str(caught.value)
    kept = load_bank(path, check, skip_invalid=True)
    assert len(kept) == len(GOOD_ROWS) + 1


def test_a_clean_bank_loads(tmp_path, check):
    path = write_csv(tmp_path / "题库.csv", [HEADER, *GOOD])
    assert [q.stem for q in load_bank(path, check)] == [r[1] for r in GOOD]


def test_optional_columns_may_be_left_out(tmp_path, check):
    path = write_csv(
        tmp_path / "题库.csv", [["题型", "题干", "选项A", "选项B", "答案"], ["单选", "二选一", "甲", "乙", "A"]]
    )
    (question,) = load_bank(path, check)
    assert question.options == ["甲", "乙"] and question.explanation == "" and question.citation == ""


def test_missing_column_is_a_clear_error(tmp_path, check):
    path = write_csv(
        tmp_path / "题库.csv", [["题型", "题干", "选项A", "选项B", "解析"], ["单选", "题", "甲", "乙", ""]]
    )
    with pytest.raises(SourceError) as caught:
        read_bank(path, check)
    assert caught.value.line == 1
    assert caught.value.reason == M.BANK_COLUMNS_MISSING.format(columns="答案")


def test_files_that_are_not_banks(tmp_path, check):
    cases = {
        "empty.csv": (b"", M.FILE_EMPTY),
        "header.csv": (",".join(HEADER).encode() + b"\n,,,,\n", M.BANK_NO_ROWS),
        "picture.csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), M.TABLE_BINARY),
        "old.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), M.XLS_RENAMED),
    }
    for name, (data, reason) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(SourceError) as caught:
            read_bank(tmp_path / name, check)
        assert caught.value.reason == reason, name
    with pytest.raises(SourceError, match="不存在"):
        read_bank(tmp_path / "missing.csv", check)


def test_a_word_file_renamed_to_xlsx_is_refused(tmp_path, check):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    (tmp_path / "题库.xlsx").write_bytes(buffer.getvalue())
    with pytest.raises(SourceError) as caught:
        read_bank(tmp_path / "题库.xlsx", check)
    assert caught.value.reason.startswith(M.XLSX_INVALID.format(reason="")[:10])


def test_a_bank_is_read_for_what_it_is_not_its_name(tmp_path, check):
    xlsx_named_csv = write_xlsx(tmp_path / "题库.csv", [HEADER, *GOOD])
    csv_named_xlsx = write_csv(tmp_path / "题库.xlsx", [HEADER, *GOOD])
    for path in (xlsx_named_csv, csv_named_xlsx):
        questions, problems = read_bank(path, check)
        assert problems == [] and len(questions) == len(GOOD)


def test_a_question_marked_fixed_keeps_its_options_in_order(tmp_path):
    path = tmp_path / "bank.csv"
    path.write_text(
        "题型,题干,选项A,选项B,选项C,答案,固定\n"
        "单选,以下说法正确的是,甲,乙,以上都对,C,是\n"
        "单选,教师节是哪一天,九月十日,十月一日,五月四日,A,\n",
        encoding="utf-8",
    )
    fixed, free = load_bank(path, lambda citation: None)
    assert fixed.fixed and not free.fixed
    assert fixed.shuffle_order(random.Random(1)) == []
