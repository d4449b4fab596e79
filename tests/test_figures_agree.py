"""Every view of one period gives the same figures, after each kind of change to the roster or the results.

The rule (README, 数据保护): a round counts the members on the roster at its deadline (Tenure), and
only their results. Forgetting a person, like deactivating them, takes them off the roster now: a
round still open leaves them out of every figure (应参加, 参加, 通过, 平均分, trend, chart), while a
closed round keeps its totals, the pseudonymous row standing in for the person.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timezone

import openpyxl
import pytest

from bot.render import report_parts
from bot.reply import Plain
from bot.web.charts import BOTTOM, HEIGHT, TOP, trend_svg
from knowledge import privacy
from knowledge.access import Actor
from knowledge.clock import Clock
from knowledge.members import RosterRow
from knowledge.quizzes import QuizQuestion
from knowledge.reports import build_report, parse_period
from knowledge.reports.csvfile import csv_bytes
from knowledge.reports.xlsx import write_xlsx
from knowledge.store import Repository

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)  # Wednesday of 2026-W49: W48 closed, W49 open
OPERATOR = Actor.operator()
CLOSED, OPEN = "2026-W48", "2026-W49"
DEADLINES = {CLOSED: "2026-11-29T14:00:00+00:00", OPEN: "2026-12-06T14:00:00+00:00"}
# The open week of the issue: six members, three took it (100, 100, 40): average 80.
SCORES = {CLOSED: {"T1": 1.0, "T2": 1.0, "T3": 0.4, "T4": 1.0}, OPEN: {"T1": 1.0, "T2": 1.0, "T3": 0.4}}


@pytest.fixture
def school():
    clock = Clock("Asia/Shanghai", NOW)
    repo = Repository(clock=clock)
    repo.import_roster([RosterRow(n, f"T{n}", f"老师{n}", "城关一小", "teacher") for n in range(1, 7)])
    repo.db.execute("UPDATE members SET joined_at = '2026-11-01T00:00:00+00:00'")
    question = repo.save_question(QuizQuestion("truefalse", "测试题", ["正确", "错误"], [0], "出处"))
    repo.rounds = {}
    for week, deadline in DEADLINES.items():
        created = repo.create_round("2026Q4", week, deadline[:10] + "T00:00:00+00:00", deadline, 0.8, [question], 1)
        repo.rounds[week] = created.id
        for staff_no, score in SCORES[week].items():
            take(repo, week, staff_no, score, question)
    repo.question = question
    yield repo
    repo.close()


def take(repo, week, staff_no, score, question=None):
    question = question or repo.question
    member = repo.find_members(staff_no)[0]
    day = DEADLINES[week][:10] if week == CLOSED else "2026-12-01"
    attempt = repo.start_attempt(repo.rounds[week], member.id, [(question, [])], day + "T03:00:00+00:00")
    repo.record_answer(attempt.id, 0, question, [0 if score >= 0.8 else 1], score >= 0.8, day + "T03:01:00+00:00")
    repo.finish_attempt(attempt.id, int(score >= 0.8), score, score >= 0.8, day + "T03:02:00+00:00")


def views(repo, week: str) -> dict[str, tuple]:
    """Return (应参加, 参加, 通过, 平均分) of one week as each view shows it."""
    report = build_report(repo, OPERATOR, parse_period(week, date(2026, 12, 1)), None, repo.clock)
    totals = report.totals
    average = None if totals.average_score is None else round(totals.average_score * 100, 1)
    seen = {"report": (totals.members, totals.participated, totals.passed, average)}
    (point,) = report.trend
    seen["trend"] = (point.members, point.participated, point.passed, average)
    chat = "\n".join(report_parts(Plain(), report))
    numbers = re.search(r"应参加 (\d+) 人，全部参加 (\d+) 人.*全部通过 (\d+) 人.*平均分 ([\d.—]+)", chat).groups()
    seen["chat"] = (int(numbers[0]), int(numbers[1]), int(numbers[2]),
                    None if numbers[3] == "—" else float(numbers[3]))
    rows = list(csv.reader(io.StringIO(csv_bytes(report).decode("utf-8-sig"))))[1:]
    done = [r for r in rows if int(r[5]) >= int(r[4]) > 0]
    seen["csv"] = (len(rows), len(done), sum(1 for r in rows if int(r[6]) >= int(r[4]) > 0), average)
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    book = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    total = [c.value for c in list(book["汇总"].iter_rows(min_row=3))[-1]]
    seen["汇总"] = (total[1], total[2], total[3], None if total[6] is None else round(total[6], 1))
    trend_row = [c.value for c in list(book["趋势"].iter_rows(min_row=3))[0]]
    seen["趋势"] = (trend_row[1], trend_row[2], trend_row[3], average)
    # The dashboard's chart plots the trend's rates: its dot sits at the participation rate.
    svg = str(trend_svg(report.trend))
    dot = float(re.search(r'<circle cx="[\d.]+" cy="([\d.]+)"', svg).group(1))
    seen["chart"] = (round(dot, 1),)
    expected_dot = round(TOP + (1 - totals.participated / totals.members) * (HEIGHT - TOP - BOTTOM), 1)
    assert seen.pop("chart") == (expected_dot,), "the chart's dot is not at the headline participation rate"
    return seen


def assert_agree(repo, week):
    seen = views(repo, week)
    first = seen["report"]
    assert all(value == first for value in seen.values()), seen
    return first


def test_forgetting_in_an_open_week_leaves_every_view_in_agreement(school):
    assert assert_agree(school, OPEN) == (6, 3, 2, 80.0)
    closed = assert_agree(school, CLOSED)
    privacy.forget_member(school, OPERATOR, school.find_members("T3")[0])
    # The person is off the roster now: the open week no longer counts them, nor their 40.
    assert assert_agree(school, OPEN) == (5, 2, 2, 100.0)
    # A closed week keeps its totals.
    assert assert_agree(school, CLOSED) == closed == (6, 4, 3, 85.0)


def test_deactivating_in_an_open_week_leaves_every_view_in_agreement(school):
    school.deactivate_member(school.find_members("T3")[0].id)
    assert assert_agree(school, OPEN) == (5, 2, 2, 100.0)
    assert assert_agree(school, CLOSED) == (6, 4, 3, 85.0)


def test_a_new_member_mid_week_and_a_retake(school):
    school.import_roster([RosterRow(8, "T7", "老师7", "城关一小", "teacher")])
    assert assert_agree(school, OPEN) == (7, 3, 2, 80.0)
    take(school, OPEN, "T3", 1.0)  # a retake: the best attempt counts
    assert assert_agree(school, OPEN) == (7, 3, 3, 100.0)
    take(school, OPEN, "T7", 0.4)
    assert assert_agree(school, OPEN) == (7, 4, 3, 85.0)
    assert assert_agree(school, CLOSED) == (6, 4, 3, 85.0)


def test_forgetting_drops_the_open_weeks_answers_and_keeps_the_closed_ones(school):
    open_week = parse_period(OPEN, date(2026, 12, 1))
    closed_week = parse_period(CLOSED, date(2026, 12, 1))
    closed = build_report(school, OPERATOR, closed_week, None, school.clock).items
    privacy.forget_member(school, OPERATOR, school.find_members("T3")[0])
    items = build_report(school, OPERATOR, open_week, None, school.clock).items
    assert [(i.answered, i.correct) for i in items] == [(2, 2)]  # T3's wrong answer went with T3
    after = build_report(school, OPERATOR, closed_week, None, school.clock).items
    assert [(i.answered, i.correct) for i in after] == [(i.answered, i.correct) for i in closed] == [(4, 3)]
