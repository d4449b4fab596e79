"""The console channel runs the same conversation: numbered buttons, quizzes and report files."""

from __future__ import annotations

import io

from bot.console import Console
from tests.botharness import bot_services
from tests.test_bot_quiz import this_wednesday_noon

ROSTER = "姓名,工号,单位,角色\n张老师,T001,城关一小,教师\n王局,B001,县教育局,局管理员\n"


def run(console: Console, *lines: str) -> str:
    out = io.StringIO()
    console.out = out
    console.run(io.StringIO("".join(line + "\n" for line in lines)))
    return out.getvalue()


def test_a_console_member_takes_the_weekly_quiz_with_numbered_buttons(tmp_path, shared, api):
    services = bot_services(tmp_path, shared, api, ROSTER)
    teacher = services.repository.find_members("T001")[0]
    console = Console(services, teacher)
    services.clock.pin(this_wednesday_noon())
    text = run(console, "/quiz")
    assert "本周学法测验" in text and "第 1/5 题" in text and "[1] " in text
    for _ in range(5):
        if "测验完成" in text:
            break
        # Pick option A; a multiple-choice question needs a tick, then its last button (submit).
        text = run(console, "1", str(len(console.actions))) if "提交答案" in text else run(console, "1")
    assert "测验完成：答对" in text
    attempt = services.repository.attempts(services.repository.rounds()[0].id, teacher.id)[0]
    assert attempt.finished_at is not None and len(attempt.answered) == 5
    services.close()


def test_console_stats_save_the_files_under_the_data_directory(tmp_path, shared, api):
    services = bot_services(tmp_path, shared, api, ROSTER)
    admin = services.repository.find_members("B001")[0]
    text = run(Console(services, admin), "/stats 本季度")
    assert "【学法统计】" in text and "统计表和图表已生成" in text
    exports = tmp_path / "exports"
    assert sorted(p.suffix for p in exports.iterdir()) == [".png", ".xlsx"]
    services.close()
