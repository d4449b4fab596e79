"""`xuefa quiz …` on a real database file: preview, schedule, bank import, rounds and push (dry and real)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from bot.cli import cli
from knowledge import messages as M
from knowledge.store import Repository
from tests.botharness import bind
from tests.fakebotapi import FakeBotAPI

LIST = (
    "quarters:\n  - id: T-Q1\n    title: 测试季度学法清单\n    start: 2000-01-01\n    end: 2099-12-31\n    laws:\n"
    "      - file: teachers-law.md\n        focus:\n          chapter: 第二章 权利和义务\n"
    "      - file: compulsory-education-law.md\n"
)
ROSTER = (
    "姓名,工号,单位,角色\n张老师,T001,城关一小,教师\n钱老师,T002,城关一小,教师\n孙老师,T003,城关一小,教师\n"
    "李校长,A001,城关一小,单位管理员\n"
)
BOUND = {"T001": 1001, "T002": 1002, "A001": 1009}
HEADER = "题型,题干,选项A,选项B,选项C,选项D,答案,解析,出处\n"
GOOD_ROWS = (
    "单选,教师节是每年的哪一天？,九月一日,九月十日,十月一日,五月四日,B,教师法第六条。,教师法第六条\n"
    "判断,全社会都应当尊重教师。,,,,,正确,,教师法第四条\n"
)
BAD_ROW = "单选,只有一个选项？,九月十日,,,,A,,\n"


@pytest.fixture
def db(tmp_path, monkeypatch, shared):
    path = tmp_path / "cli.db"
    monkeypatch.setenv("XUEFA_DB", str(path))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("XUEFA_TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("XUEFA_TELEGRAM_BASE_URL", raising=False)
    monkeypatch.delenv("XUEFA_STUDYLIST", raising=False)
    monkeypatch.chdir(tmp_path)
    laws = [str(shared / "laws" / name) for name in ("teachers-law.md", "compulsory-education-law.md")]
    assert run("laws", "import", *laws).exit_code == 0
    (tmp_path / "list.yaml").write_text(LIST, encoding="utf-8")
    assert run("studylist", "load", "list.yaml").exit_code == 0
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    assert run("roster", "import", "roster.csv").exit_code == 0
    repository = Repository(path)
    for staff_no, user_id in BOUND.items():
        bind(repository, staff_no, user_id)
    repository.close()
    return path


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def count(path, table: str) -> int:
    repository = Repository(path)
    try:
        return repository.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        repository.close()


def test_preview_shows_questions_with_answers_and_saves_nothing(db):
    result = run("quiz", "preview", "--n", "3", "--seed", "7")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    heads = [line for line in lines if re.match(r"^\d\. \[(单选题|多选题|判断题)\] ", line)]
    assert [h[:2] for h in heads] == ["1.", "2.", "3."]
    assert sum(line.startswith("   *") for line in lines) >= 3  # every question marks its answer
    assert "出处：《" in result.output
    assert run("quiz", "preview", "--n", "3", "--seed", "7").output == result.output  # a seed reproduces it
    assert count(db, "quiz_questions") == 0 and count(db, "rounds") == 0


def test_schedule_set_then_show_and_bad_values_change_nothing(db):
    shown = run("quiz", "schedule")
    assert "推送日（push_weekday）：1（周一）\n推送时间（push_time）：09:00" in shown.output
    assert "及格线（pass_mark）：0.8（80%）\n" in shown.output
    changed = run("quiz", "schedule", "--set", "pass_mark=0.6", "--set", "questions=8", "--set", "digest_enabled=否")
    assert changed.exit_code == 0, changed.output
    assert "（pass_mark）：0.6（60%）\n" in changed.output and M.QUIZ_SCHEDULE_SAVED in changed.output
    again = run("quiz", "schedule")
    assert "（pass_mark）：0.6（60%）\n" in again.output and "（questions）：8\n" in again.output
    assert "发送每周简报（digest_enabled）：否\n" in again.output
    for change, message in [
        ("pass_mark=abc", M.SCHEDULE_BAD_VALUE.format(field="pass_mark", value="abc")),
        ("pass_mark=1.5", M.SCHEDULE_BAD_PASS.format(value=1.5)),
        ("push_weekday=8", M.SCHEDULE_BAD_DAY.format(field="push_weekday", value=8)),
        ("push_time=9点", M.SCHEDULE_BAD_TIME.format(field="push_time", value="9点")),
        ("enabled=maybe", M.SCHEDULE_BAD_VALUE.format(field="enabled", value="maybe")),
        ("deadline_weekday=1", M.SCHEDULE_REMINDER_OUTSIDE),  # Monday 22:00: before Friday's reminder
    ]:
        bad = run("quiz", "schedule", "--set", change)
        assert bad.exit_code == 1, change
        assert bad.output.strip() == M.CLI_ERROR.format(message=message), change
    unknown = run("quiz", "schedule", "--set", "colour=red")
    assert unknown.exit_code == 1 and "没有“colour”这一项" in unknown.output
    assert run("quiz", "schedule").output == again.output


def test_import_rejects_a_bank_with_a_bad_row_unless_told_to_skip(db, tmp_path):
    (tmp_path / "bank.csv").write_text(HEADER + GOOD_ROWS + BAD_ROW, encoding="utf-8")
    refused = run("quiz", "import", "bank.csv")
    assert refused.exit_code == 1
    assert "1 行有误，未导入任何数据" in refused.output
    assert "第4行：" + M.QUIZ_OPTION_COUNT.format(n=1, low=2, high=10) in refused.output
    assert count(db, "quiz_questions") == 0
    skipped = run("quiz", "import", "bank.csv", "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert M.BANK_IMPORTED.format(n=2, added=2, duplicates=0) in skipped.output
    assert "已跳过 1 行" in skipped.output and "第4行" in skipped.output
    assert count(db, "quiz_questions") == 2
    again = run("quiz", "import", "bank.csv", "--skip-invalid")
    assert M.BANK_IMPORTED.format(n=2, added=0, duplicates=2) in again.output


def test_push_dry_run_lists_members_and_writes_nothing(db):
    tables = ("rounds", "outbox", "quiz_questions", "attempts", "schedule")
    before = {table: count(db, table) for table in tables}
    result = run("quiz", "push", "--dry-run")
    assert result.exit_code == 0, result.output
    assert re.match(r"^\d{4}-W\d\d 测验将推送给 4 人（已送达 0 人）：", result.output)
    assert "T001\t张老师\t城关一小\tTelegram" in result.output and "T003\t孙老师\t城关一小\t未绑定" in result.output
    assert {table: count(db, table) for table in tables} == before


def test_push_without_a_push_channel_opens_the_round_and_names_whom_it_cannot_reach(db, monkeypatch):
    # A bureau in mainland China runs the web alone: the round still opens, and the output says who
    # hears nothing and why (a web sign-in is not a push channel).
    monkeypatch.setenv("XUEFA_WEB_URL", "https://xuefa.example.edu.cn")
    repository = Repository(db)
    repository.note_account(repository.find_members("T003")[0].id, "web")
    repository.close()
    result = run("quiz", "push")
    assert result.exit_code == 0, result.output
    assert count(db, "rounds") == 1
    assert "未配置推送渠道" in result.output and "送达 0 人" in result.output
    assert "T003\t孙老师\t城关一小\t" + M.UNREACHED_WEB_ONLY in result.output
    assert "T001\t张老师\t城关一小\t" + M.UNREACHED_NO_ACCOUNT in result.output


def test_push_through_the_bot_api_then_rounds(db, monkeypatch):
    with FakeBotAPI() as api:
        monkeypatch.setenv("XUEFA_TELEGRAM_TOKEN", api.token)
        monkeypatch.setenv("XUEFA_TELEGRAM_BASE_URL", api.base_url)
        result = run("quiz", "push")
        assert result.exit_code == 0, result.output
        assert "测验推送完成：送达 3 人（Telegram 3 人），收不到推送 1 人，发送失败 0 人" in result.output
        assert "T003\t孙老师\t城关一小\t" + M.UNREACHED_NO_ACCOUNT in result.output
        invitations = [c for c in api.calls_to("sendMessage") if c.params["text"].endswith("或发送 /quiz。")]
        assert sorted(c.params["chat_id"] for c in invitations) == sorted(BOUND.values())
        # The unit admin learns who is not registered.
        assert any("孙老师" in text and "收不到推送" in text for text in api.sent_messages(BOUND["A001"]))
        again = run("quiz", "push")
        assert "送达 0 人" in again.output
        assert len([c for c in api.calls_to("sendMessage") if c.params["text"].endswith("或发送 /quiz。")]) == 3
    rounds = run("quiz", "rounds")
    assert rounds.exit_code == 0
    [line] = rounds.output.splitlines()
    assert re.match(r"^\d{4}-W\d\d\tT-Q1\t截止 \d{4}-\d\d-\d\d 22:00\t5 题\t送达 3\t待送 0\t屏蔽 0\t通过 0$", line), line
