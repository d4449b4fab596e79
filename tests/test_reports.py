"""Reports against a small hand-computed fixture: mid-quarter joins, deactivation, retakes, unreachable members."""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from bot.render import report_parts
from bot.reply import Plain
from knowledge.access import AccessDenied, Actor
from knowledge.clock import Clock
from knowledge.errors import XuefaError
from knowledge.members import RosterRow
from knowledge.quizzes import QuizQuestion
from knowledge.reports import PeriodError, build_report, parse_period, study_record, unit_records
from knowledge.reports.records_xlsx import records_title, write_records_xlsx
from knowledge.reports.xlsx import write_xlsx

TZ = "Asia/Shanghai"
CLOCK = Clock(TZ)
OPERATOR = Actor.operator()
# Round deadlines: Sundays 22:00 in Shanghai = 14:00 UTC.
ROUNDS = {"2026-W02": "2026-01-11T14:00:00+00:00", "2026-W03": "2026-01-18T14:00:00+00:00",
          "2026-W04": "2026-01-25T14:00:00+00:00"}
# (round, score of each attempt in order); 0.8 is the pass mark.
ATTEMPTS = {
    "A1": [("2026-W02", [1.0]), ("2026-W03", [0.6, 0.8]), ("2026-W04", [1.0])],
    "A2": [("2026-W02", [0.8]), ("2026-W04", [0.4])],
    "A3": [("2026-W04", [1.0])],
    "A4": [("2026-W02", [1.0])],
    "B2": [("2026-W02", [1.0]), ("2026-W03", [1.0]), ("2026-W04", [1.0])],
}


@pytest.fixture
def school(repo):
    rows = [
        RosterRow(2, "A1", "甲老师", "城关一小", "teacher", "13800000001"),
        RosterRow(3, "A2", "乙老师", "城关一小", "teacher"),
        RosterRow(4, "A3", "丙老师", "城关一小", "teacher"),
        RosterRow(5, "A4", "丁老师", "城关一小", "teacher"),
        RosterRow(6, "B1", "戊老师", "县二中", "teacher"),
        RosterRow(7, "B2", "己校长", "县二中", "unit_admin", "13900000002"),
        RosterRow(8, "L1", "庚局长", "县教育局", "leader"),
    ]
    repo.import_roster(rows)
    db = repo.db
    db.execute("UPDATE members SET joined_at = '2025-12-01T00:00:00+00:00'")
    db.execute("UPDATE members SET joined_at = '2026-01-20T02:00:00+00:00' WHERE staff_no = 'A3'")
    db.execute("UPDATE members SET active = 0, deactivated_at = '2026-01-13T02:00:00+00:00' WHERE staff_no = 'A4'")
    # The leader joins after the quarter: not counted for its rounds.
    db.execute("UPDATE members SET joined_at = '2026-06-01T00:00:00+00:00' WHERE staff_no = 'L1'")
    db.execute("INSERT INTO accounts (member_id, channel, external_id, address, bound_at) "
               "SELECT id, 'telegram', id + 1000, id + 1000, joined_at FROM members")
    db.execute("UPDATE accounts SET reachable = 0 WHERE member_id = (SELECT id FROM members WHERE staff_no = 'B1')")
    question = repo.save_question(QuizQuestion("truefalse", "测试题", ["正确", "错误"], [0], "出处"))
    round_ids = {}
    for week, deadline in ROUNDS.items():
        created = repo.create_round("2026-Q1", week, deadline[:10] + "T00:00:00+00:00", deadline, 0.8, [question])
        round_ids[week] = created.id
    for staff_no, rounds in ATTEMPTS.items():
        member = repo.find_members(staff_no)[0]
        for week, scores in rounds:
            for score in scores:
                started = ROUNDS[week][:10] + "T03:00:00+00:00"
                attempt = repo.start_attempt(round_ids[week], member.id, [(question, [])] * 5, started)
                repo.finish_attempt(attempt.id, round(score * 5), score, score >= 0.8, ROUNDS[week][:10] + "T03:05:00+00:00")
    # An unfinished attempt does not count as participation.
    b1 = repo.find_members("B1")[0]
    repo.start_attempt(round_ids["2026-W03"], b1.id, [(question, [])] * 5, "2026-01-15T03:00:00+00:00")
    return repo


def quarter():
    return parse_period("2026Q1", date(2026, 3, 1))


def test_quarter_totals_units_and_trend(school):
    report = build_report(school, OPERATOR, quarter(), None, CLOCK)
    assert report.rounds == 3
    totals = report.totals
    assert (totals.members, totals.participated, totals.passed) == (6, 4, 4)
    assert totals.average_score == pytest.approx(9.0 / 10)
    units = {u.unit: u for u in report.units}
    assert (units["城关一小"].members, units["城关一小"].participated, units["城关一小"].passed) == (4, 3, 3)
    assert (units["县二中"].members, units["县二中"].participated, units["县二中"].passed) == (2, 1, 1)
    assert units["城关一小"].participation_rate == pytest.approx(0.75)
    assert [u.unit for u in report.units] == ["城关一小", "县二中"]  # ranked by pass rate
    assert [(t.week, t.members, t.participated, t.passed) for t in report.trend] == [
        ("2026-W02", 5, 4, 4), ("2026-W03", 4, 2, 2), ("2026-W04", 5, 4, 3),
    ]
    rows = {m.staff_no: m for m in report.members}
    assert (rows["A1"].rounds, rows["A1"].participated, rows["A1"].passed) == (3, 3, 3)
    assert (rows["A2"].rounds, rows["A2"].participated, rows["A2"].passed) == (3, 2, 1)
    assert (rows["A3"].rounds, rows["A4"].rounds) == (1, 1)
    assert "L1" not in rows
    assert sorted(m.staff_no for m in report.not_yet) == ["A2", "B1"]
    assert not rows["B1"].reachable and rows["B1"].last_activity.startswith("2026-01-15")


@pytest.mark.parametrize("unit", [None, "城关一小"])
def test_both_plans_of_a_report_agree(school, monkeypatch, unit):
    # A report over many rounds (a year) adds up the covering index in member order, over a few it starts
    # from the rounds: the same figures either way.
    few = build_report(school, OPERATOR, quarter(), unit, CLOCK)
    monkeypatch.setattr("knowledge.store.reports.FEW_ROUNDS", 0)
    many = build_report(school, OPERATOR, quarter(), unit, CLOCK)
    assert (many.totals, many.units, many.trend, many.members) == (few.totals, few.units, few.trend, few.members)
    assert many.totals.participated > 0


def test_a_week_and_a_unit(school):
    week = parse_period("2026-W03", date(2026, 3, 1))
    report = build_report(school, OPERATOR, week, "城关一小", CLOCK)
    assert (report.totals.members, report.totals.participated, report.totals.passed) == (2, 1, 1)
    assert report.rounds == 1 and [m.staff_no for m in report.not_yet] == ["A2"]


def test_a_period_without_rounds_lists_active_members(school):
    report = build_report(school, OPERATOR, parse_period("2026-W30", date(2026, 3, 1)), None, CLOCK)
    assert report.rounds == 0 and report.totals.participation_rate is not None
    assert {m.staff_no for m in report.members} == {"A1", "A2", "A3", "B1", "B2", "L1"}
    assert report.not_yet == [m for m in report.members if not m.done]


def test_access_rules_and_audit(school):
    teacher, unit_admin, leader = (school.find_members(s)[0] for s in ("A1", "B2", "L1"))
    with pytest.raises(AccessDenied):
        build_report(school, Actor.of(teacher), quarter(), None, CLOCK)
    with pytest.raises(AccessDenied):
        build_report(school, Actor.of(unit_admin), quarter(), "城关一小", CLOCK)
    own = build_report(school, Actor.of(unit_admin), quarter(), None, CLOCK)
    assert own.unit == "县二中" and {m.unit for m in own.members} == {"县二中"}
    assert own.show_phones and [m.phone for m in own.members if m.staff_no == "B2"] == ["13900000002"]
    everything = build_report(school, Actor.of(leader), quarter(), None, CLOCK)
    assert not everything.show_phones and all(m.phone is None for m in everything.members)
    actions = [(entry.actor, entry.action) for entry in school.audit_log()]
    assert actions[:2] == [("庚局长（L1）", "report"), ("己校长（B2）", "report")]
    with pytest.raises(XuefaError, match="没有名为“不存在的学校”的单位"):
        build_report(school, Actor.of(leader), quarter(), "不存在的学校", CLOCK)


def test_study_record_and_its_access(school):
    a1, a2, unit_admin, leader = (school.find_members(s)[0] for s in ("A1", "A2", "B2", "L1"))
    school.log_question(a1.id, "telegram", "老师能体罚学生吗", "answered", [])
    school.add_session("2026-02-10", "教职工会前学法", "城关一小", "义务教育法", "", [a1.id, a2.id], None)
    record = study_record(school, Actor.of(leader), a1, parse_period("2026", date(2026, 3, 1)), CLOCK)
    assert [(r.week, r.attempts, r.best_score, r.passed) for r in record.rounds] == [
        ("2026-W02", 1, 1.0, True), ("2026-W03", 2, 0.8, True), ("2026-W04", 1, 1.0, True),
    ]
    assert record.questions == 1 and record.sessions == [("2026-02-10", "教职工会前学法")]
    assert [(q.quarter, q.rounds, q.done, q.passed, q.sessions) for q in record.quarters] == [("2026Q1", 3, 3, 3, 1)]
    assert study_record(school, Actor.of(a1), a1, parse_period("2026", date(2026, 3, 1)), CLOCK).member.id == a1.id
    with pytest.raises(AccessDenied):
        study_record(school, Actor.of(a1), a2, parse_period("2026", date(2026, 3, 1)), CLOCK)
    with pytest.raises(AccessDenied):
        study_record(school, Actor.of(unit_admin), a1, parse_period("2026", date(2026, 3, 1)), CLOCK)


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [("本周", "2026-W48", "2026-11-23", "2026-11-29"), ("上周", "2026-W47", "2026-11-16", "2026-11-22"),
     ("本季度", "2026Q4", "2026-10-01", "2026-12-31"), ("上季度", "2026Q3", "2026-07-01", "2026-09-30"),
     ("2026Q1", "2026Q1", "2026-01-01", "2026-03-31"), ("2024-W01", "2024-W01", "2024-01-01", "2024-01-07"),
     ("2025", "2025", "2025-01-01", "2025-12-31"), ("本年", "2026", "2026-01-01", "2026-12-31")],
)
def test_periods(text, label, start, end):
    period = parse_period(text, date(2026, 11, 28))
    assert (period.label, period.start, period.end) == (label, start, end)


@pytest.mark.parametrize("bad", ["明年", "2026Q5", "2026-W60", "abc"])
def test_bad_periods(bad):
    with pytest.raises(PeriodError):
        parse_period(bad, date(2026, 11, 28))


@pytest.mark.parametrize("bad", ["9999Q4", "0001", "1999", "2101-W01"])
def test_years_outside_the_reporting_range(bad):
    with pytest.raises(PeriodError):
        parse_period(bad, date(2026, 11, 28))


def records_book(records, title) -> object:
    buffer = io.BytesIO()
    write_records_xlsx(records, title, buffer, CLOCK)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


def rows_of(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]


def test_a_persons_record_as_a_workbook_for_the_annual_assessment(school):
    a1, a2 = (school.find_members(s)[0] for s in ("A1", "A2"))
    school.log_question(a1.id, "telegram", "老师能体罚学生吗", "answered", [])
    school.add_session("2026-02-10", "教职工会前学法", "城关一小", "义务教育法", "", [a1.id, a2.id], None)
    record = study_record(school, OPERATOR, a1, parse_period("2026", date(2026, 3, 1)), CLOCK)
    book = records_book([record], records_title(record))
    assert book.sheetnames == ["汇总", "分季度", "测验明细", "集体学法"]
    summary = book["汇总"]
    assert summary["A1"].value == "甲老师（A1，城关一小）2026年度 学法记录"
    # 3 rounds due, 3 taken, 3 passed; best scores 100, 80 (of 60 and 80) and 100: 93.3 on average.
    assert rows_of(summary) == [["甲老师", "A1", "城关一小", "教师", 3, 3, 3, pytest.approx(280 / 3), 1, 1]]
    assert rows_of(book["分季度"]) == [["甲老师", "A1", "城关一小", "2026Q1", 3, 3, 3, 1]]
    assert rows_of(book["测验明细"]) == [
        ["甲老师", "A1", "城关一小", "2026-W02", datetime(2026, 1, 11), 1, pytest.approx(100), "通过"],
        ["甲老师", "A1", "城关一小", "2026-W03", datetime(2026, 1, 18), 2, pytest.approx(80), "通过"],
        ["甲老师", "A1", "城关一小", "2026-W04", datetime(2026, 1, 25), 1, pytest.approx(100), "通过"],
    ]
    assert rows_of(book["集体学法"]) == [["甲老师", "A1", "城关一小", datetime(2026, 2, 10), "教职工会前学法"]]


def test_a_units_records_as_one_workbook(school):
    year = parse_period("2026", date(2026, 3, 1))
    records = unit_records(school, OPERATOR, "城关一小", year, CLOCK)
    book = records_book(records, "城关一小")
    # A2 passed W02, missed W03, failed W04; A3 joined before W04 only; A4 left after W02 only.
    assert [row[:2] + row[4:8] for row in rows_of(book["汇总"])] == [
        ["甲老师", "A1", 3, 3, 3, pytest.approx(280 / 3)],
        ["乙老师", "A2", 3, 2, 1, pytest.approx(60)],
        ["丙老师", "A3", 1, 1, 1, pytest.approx(100)],
        ["丁老师", "A4", 1, 1, 1, pytest.approx(100)],
    ]
    absent = [row for row in rows_of(book["测验明细"]) if row[1] == "A2" and row[3] == "2026-W03"]
    assert absent == [["乙老师", "A2", "城关一小", "2026-W03", datetime(2026, 1, 18), 0, None, "未参加"]]
    assert school.audit_log()[0].action == "records"
    with pytest.raises(AccessDenied):
        unit_records(school, Actor.of(school.find_members("B2")[0]), "城关一小", year, CLOCK)


def test_per_question_statistics_find_the_questions_most_get_wrong(school):
    easy = school.save_question(QuizQuestion("truefalse", "简单题", ["正确", "错误"], [0], "出处", citation="《教师法》第八条"))
    hard = school.save_question(QuizQuestion("truefalse", "难题", ["正确", "错误"], [1], "出处", citation="《教师法》第九条"))
    round_id = school.create_round("2026-Q1", "2026-W05", "2026-01-26T00:00:00+00:00", "2026-02-01T14:00:00+00:00",
                                   0.8, [easy, hard], 2).id
    answers = {"A1": (True, False), "A2": (True, False), "B2": (True, True), "B1": (False, False),
               "A3": (True, False), "A4": (True, False)}  # A4 left before: still, what was answered counts
    for staff_no, (easy_right, hard_right) in answers.items():
        member = school.find_members(staff_no)[0]
        attempt = school.start_attempt(round_id, member.id, [(easy, []), (hard, [])], "2026-01-27T03:00:00+00:00")
        school.record_answer(attempt.id, 0, easy, [0 if easy_right else 1], easy_right, "2026-01-27T03:01:00+00:00")
        school.record_answer(attempt.id, 1, hard, [1 if hard_right else 0], hard_right, "2026-01-27T03:02:00+00:00")
    week = parse_period("2026-W05", date(2026, 3, 1))
    report = build_report(school, OPERATOR, week, None, CLOCK)
    assert [(i.stem, i.answered, i.correct, i.hard) for i in report.items] == [("难题", 6, 1, True), ("简单题", 6, 5, False)]
    assert [(a.citation, a.answered, a.correct) for a in report.articles] == [
        ("《教师法》第九条", 6, 1), ("《教师法》第八条", 6, 5),
    ]
    text = "\n".join(report_parts(Plain(), report))
    assert "正确率最低的题目" in text and "· 正确率 16.7%（6 次作答）：难题（《教师法》第九条）" in text
    unit = build_report(school, OPERATOR, week, "县二中", CLOCK)  # B1 and B2 only
    assert [(i.stem, i.answered, i.correct, i.hard) for i in unit.items] == [("简单题", 2, 1, False), ("难题", 2, 1, False)]
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["题目统计"]
    assert [c.value for c in sheet[3]] == ["难题", "判断题", "《教师法》第九条", 6, 1, pytest.approx(1 / 6)]


def test_the_not_yet_list_labels_phone_numbers_and_shows_them_to_admins_only(school):
    school.db.execute("UPDATE members SET phone = '13900000009' WHERE staff_no = 'A2'")
    admin_view = "\n".join(report_parts(Plain(), build_report(school, OPERATOR, quarter(), None, CLOCK)))
    assert "· 乙老师（城关一小）通过 1/3 轮，最近活动 2026-01-25，手机 13900000009" in admin_view
    leader = Actor.of(school.find_members("L1")[0])
    assert "13900000009" not in "\n".join(report_parts(Plain(), build_report(school, leader, quarter(), None, CLOCK)))
