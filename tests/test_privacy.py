"""Data protection (PIPL): a person's data on request, forgetting a person, deactivation, retention."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pytest

from knowledge import messages as M
from knowledge import privacy
from knowledge.access import AccessDenied, Actor
from knowledge.clock import Clock
from knowledge.members import RosterRow
from knowledge.quizzes import QuizQuestion
from knowledge.reports import build_report, parse_period
from knowledge.store import Repository

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
OPERATOR = Actor.operator()


@pytest.fixture
def school():
    clock = Clock("Asia/Shanghai", NOW)
    repo = Repository(clock=clock)
    repo.import_roster([
        RosterRow(2, "A1", "甲老师", "城关一小", "teacher", "13800000001"),
        RosterRow(3, "A2", "乙老师", "城关一小", "teacher", "13800000002"),
        RosterRow(4, "B1", "丙校长", "城关一小", "unit_admin"),
    ])
    repo.db.execute("UPDATE members SET joined_at = '2025-12-01T00:00:00+00:00'")
    question = repo.save_question(QuizQuestion("truefalse", "测试题", ["正确", "错误"], [0], "出处", citation="《教师法》第八条"))
    round_id = repo.create_round("Q1", "2026-W05", "2026-01-26T00:00:00+00:00", "2026-02-01T14:00:00+00:00", 0.8,
                                 [question], 1).id
    for staff_no, right in (("A1", True), ("A2", False)):
        member = repo.find_members(staff_no)[0]
        attempt = repo.start_attempt(round_id, member.id, [(question, [])], "2026-01-27T03:00:00+00:00")
        repo.record_answer(attempt.id, 0, question, [0 if right else 1], right, "2026-01-27T03:01:00+00:00")
        repo.finish_attempt(attempt.id, int(right), float(right), right, "2026-01-27T03:02:00+00:00")
    a1 = repo.find_members("A1")[0]
    repo.bind_account(a1.id, "telegram", "1001", "1001", "code", "account-hash-of-1001")
    repo.log_question(a1.id, "telegram", "甲老师问：能不能体罚学生", "answered", [])
    repo.add_session("2026-02-10", "会前学法", "城关一小", "教师法", "", [a1.id], None)
    repo.replace_invite_codes([(a1.id, "code-digest", "2026-04-01T00:00:00+00:00")])
    repo.record_sign_in("telegram:1001", ok=True)
    repo.add_web_session("token-hash-of-a1", a1.id, "teacher", "member", "2026-08-01T00:00:00+00:00", "微信 · Android")
    repo.set_web_password(a1.id, "argon2-hash-of-a1")
    repo.audit(None, "命令行", "record", "A1 2026")
    repo.audit(None, "命令行", "record", "A10 2026")
    yield repo
    repo.close()


def test_everything_held_about_a_person_is_exported(school):
    a1 = school.find_members("A1")[0]
    data = privacy.export_member(school, OPERATOR, a1)
    tables = data.tables
    assert tables["members"][0]["name"] == "甲老师" and tables["members"][0]["phone"] == "13800000001"
    assert [row["score"] for row in tables["attempts"]] == [1.0]
    assert tables["answers"][0]["stem"] == "测试题" and tables["answers"][0]["correct"] == 1
    assert tables["question_log"][0]["question"] == "甲老师问：能不能体罚学生"
    assert tables["study_sessions"][0]["title"] == "会前学法"
    assert tables["invite_codes"][0]["expires_at"] == "2026-04-01T00:00:00+00:00"
    assert [row["subject"] for row in tables["sign_in_attempts"]] == ["telegram:1001"]
    assert [row["user_agent"] for row in tables["web_sessions"]] == ["微信 · Android"]
    assert tables["web_passwords"][0]["set_at"]
    assert "token-hash-of-a1" not in repr(tables) and "argon2-hash-of-a1" not in repr(tables)  # no secrets
    # Someone read A1's record, and this export is audited too; A10's entry is not A1's.
    assert [row["detail"] for row in tables["audit_log"]] == ["A1 2026", "A1"]
    buffer = io.StringIO()
    privacy.write_json(data, buffer)
    assert json.loads(buffer.getvalue())["members"][0]["staff_no"] == "A1"
    workbook = io.BytesIO()
    privacy.write_xlsx(data, workbook)
    book = openpyxl.load_workbook(io.BytesIO(workbook.getvalue()))
    assert "名册信息" in book.sheetnames and book["提问记录"]["C2"].value == "甲老师问：能不能体罚学生"
    # What a person opens is in Chinese, in the bureau's time zone, on the 0-100 scale.
    for sheet in book.worksheets:
        titles = [cell.value for cell in sheet[1]]
        assert not [t for t in titles if t and t.isascii()], (sheet.title, titles)
    members = {c.value: v.value for c, v in zip(book["名册信息"][1], book["名册信息"][2])}
    assert members["工号"] == "A1" and members["角色"] in M.ROLE_LABELS.values() and members["在名册中"] == "是"
    attempts = {c.value: v.value for c, v in zip(book["测验作答"][1], book["测验作答"][2])}
    assert attempts["得分"] == 100 and attempts["通过"] == "是"
    codes = {c.value: v.value for c, v in zip(book["邀请码"][1], book["邀请码"][2])}
    assert codes["到期时间"] == "2026-04-01 08:00:00"  # 00:00 UTC is 08:00 in Asia/Shanghai
    assert school.audit_log()[0].action == "export"
    with pytest.raises(AccessDenied):  # not even a bureau admin, from a chat or a page: the operator only
        privacy.export_member(school, Actor.of(school.find_members("B1")[0]), a1)


def test_forgetting_a_person_erases_them_and_keeps_the_reports_totals(school):
    quarter = parse_period("2026Q1", date(2026, 3, 1))
    before = build_report(school, OPERATOR, quarter, None, school.clock)
    a1 = school.find_members("A1")[0]
    pseudonym = privacy.forget_member(school, OPERATOR, a1)
    assert pseudonym == f"DEL-{a1.id}" and school.find_members("A1") == [] and school.find_members("甲老师") == []
    gone = school.member(a1.id)
    assert (gone.name, gone.phone, gone.channels, gone.active) == ("已删除人员", "", (), False)
    held = school.personal_data(a1.id, pseudonym, ["telegram:1001", "web:A1"]).tables
    for table in ("attempts", "answers", "question_log", "study_sessions", "invite_codes", "sign_in_attempts",
                  "web_sessions", "web_passwords"):
        assert held[table] == [], table
    details = [entry.detail for entry in school.audit_log()]
    assert f"{pseudonym} 2026" in details and "A10 2026" in details and "A1 2026" not in details
    assert all("甲老师" not in entry.actor for entry in school.audit_log())
    after = build_report(school, OPERATOR, quarter, None, school.clock)
    assert (after.totals.members, after.totals.participated, after.totals.passed) == (
        before.totals.members, before.totals.participated, before.totals.passed
    )
    assert [(i.answered, i.correct) for i in after.items] == [(i.answered, i.correct) for i in before.items]
    assert school.account_retired("telegram", "1001", "account-hash-of-1001")


def test_deactivation_keeps_the_record_but_not_the_phone_or_the_account(school):
    a1 = school.find_members("A1")[0]
    school.deactivate_member(a1.id)
    gone = school.member(a1.id)
    assert (gone.phone, gone.channels, gone.active) == ("", (), False)
    assert school.attempts(school.rounds()[0].id, a1.id)  # the record stays
    assert school.account_retired("telegram", "1001", "account-hash-of-1001")


def test_logs_are_pruned_after_their_retention(school):
    a2 = school.find_members("A2")[0]
    school.clock.pin(NOW - timedelta(days=400))
    school.log_question(a2.id, "telegram", "很久以前的问题", "answered", [])
    school.clock.pin(NOW - timedelta(days=40))
    school.record_sign_in("tg:2002", ok=False)
    school.add_web_session("h-old", a2.id, "teacher", "member", "2026-01-01T00:00:00+00:00", "")
    school.clock.pin(NOW)
    asked, tried = privacy.prune(school, privacy.Retention(question_log_days=365, sign_in_days=30))
    assert (asked, tried) == (1, 1)
    assert [entry.question for entry in school.question_log()] == ["甲老师问：能不能体罚学生"]
    assert school.failed_sign_ins("tg:2002", "2000-01-01") == 0
    assert school.web_session("h-old") is None  # an expired web session goes too
