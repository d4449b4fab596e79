"""The conversation every channel shares, as plain calls on an in-memory store: no Telegram, no network."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.conversation import Caller, Conversation
from bot.reply import Plain
from bot.services import build_services
from bot.settings import Settings
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.clock import Clock
from knowledge.members import RosterRow
from knowledge.models import Focus, StudyList, StudyListLaw
from knowledge.store import Repository

WEDNESDAY = datetime(2030, 3, 6, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TEACHERS = "中华人民共和国教师法"
ROSTER = [
    RosterRow(2, "T001", "张伟", "城关一小", "teacher", "13800000001"),
    RosterRow(3, "A001", "李校长", "城关一小", "unit_admin"),
    RosterRow(4, "T101", "张伟", "城关二小", "teacher"),  # the same name in another unit
    RosterRow(5, "B001", "王局", "县教育局", "bureau_admin"),
    RosterRow(6, "L001", "赵书记", "县教育局", "leader"),
]


@pytest.fixture
def talk(tmp_path, shared_laws):
    clock = Clock("Asia/Shanghai", WEDNESDAY)
    repository = Repository(clock=clock)
    repository.import_laws([p.law for p in shared_laws if p.law.title == TEACHERS])
    repository.save_study_lists([StudyList("T", "测试清单", "2000-01-01", "2099-12-31", [StudyListLaw(TEACHERS, Focus())])])
    repository.import_roster(ROSTER)
    services = build_services(Settings(data_dir=tmp_path, _env_file=None), repository, clock, load_index=False)
    conversation = Conversation(services, Plain())
    yield conversation
    services.close()


def caller(talk: Conversation, staff_no: str | None, telegram_id: int | None = None) -> Caller:
    account = str(telegram_id) if telegram_id is not None else None
    if staff_no is None:
        return Caller(None, "telegram", account, account, may_bind=True)
    member = talk.services.repository.find_members(staff_no)[0]
    return Caller(Actor.of(member), "telegram", account, account, may_bind=True)


def say(talk: Conversation, who: Caller, line: str) -> str:
    if line.startswith("/"):
        name, _, args = line[1:].partition(" ")
        return "\n".join(talk.handle_command(who, name, args).parts)
    return "\n".join(talk.handle_text(who, line).parts)


def test_strangers_only_learn_how_to_register(talk):
    stranger = caller(talk, None, 4004)
    for line in ("/list", "/me", "教师法第八条", "/stats", "/nope"):
        assert say(talk, stranger, line) == M.WELCOME_UNKNOWN


def test_a_code_binds_the_account_and_the_caller_becomes_that_member(talk):
    repository = talk.services.repository
    member = repository.find_members("T001")[0]
    repository.replace_invite_codes([(member.id, talk.services.keyring.code("GOODCODE22"), "2999-01-01T00:00:00+00:00")])
    stranger = caller(talk, None, 4004)
    assert "注册成功！张伟（城关一小，教师）" in say(talk, stranger, "/start goodcode22")
    assert stranger.actor.member.staff_no == "T001" and repository.member_by_account("telegram", str(4004)).staff_no == "T001"


def test_a_command_a_role_is_not_offered_is_refused_without_its_usage(talk):
    teacher = caller(talk, "T001")
    assert say(talk, teacher, "/stats") == M.ACCESS_REPORTS
    assert say(talk, teacher, "/records T101") == M.ACCESS_RECORD
    assert say(talk, teacher, "/session 2030-03-01 学法 | 教师法 | T001") == M.ADMIN_ONLY
    unknown = say(talk, teacher, "/foo")
    assert unknown.startswith("没有 /foo 这个命令。") and "学法助手使用说明" in unknown


def test_name_look_ups_see_only_what_the_asker_may_see(talk):
    unit_admin = caller(talk, "A001")
    own = say(talk, unit_admin, "/records 张伟")  # two 张伟, one in the admin's unit
    assert "张伟（T001，城关一小，教师）" in own and "城关二小" not in own
    other = say(talk, unit_admin, "/records T101")
    unknown = say(talk, unit_admin, "/records T999")
    assert other == M.MEMBER_NOT_FOUND_IN_UNIT.format(query="T101", unit="城关一小")
    assert unknown == M.MEMBER_NOT_FOUND_IN_UNIT.format(query="T999", unit="城关一小")  # existing and unknown alike
    leader = caller(talk, "L001")
    both = say(talk, leader, "/records 张伟")
    assert "对应多人" in both and "T001" in both and "T101" in both


def test_leaders_read_sessions_but_do_not_log_them(talk):
    admin, leader = caller(talk, "A001"), caller(talk, "L001")
    assert say(talk, admin, "/session 2030-03-01 会前学法 | 教师法第八条 | T001") == M.SESSION_SAVED.format(
        date="2030-03-01", title="会前学法", n=1
    )
    listing = say(talk, leader, "/session")
    assert "2030-03-01\t会前学法\t城关一小" in listing and "用法" not in listing
    refused = say(talk, leader, "/session 2030-03-02 学法 | 教师法 | T001")
    assert refused == M.ADMIN_ONLY
    assert len(talk.services.repository.sessions()) == 1


def test_the_console_operator_takes_no_quiz_but_a_member_does(talk):
    operator = Caller(Actor.operator(M.CONSOLE_USER), channel="console")
    assert say(talk, operator, "/quiz") == M.QUIZ_NEEDS_ROSTER
    assert say(talk, operator, "/me") == M.RECORD_NEEDS_ROSTER
    teacher = caller(talk, "T001")
    opened = talk.handle_command(teacher, "quiz", "")
    assert "本周学法测验" in opened.parts[0] and opened.buttons
    answered = talk.handle_action(teacher, opened.buttons[0][0].action)
    assert answered.parts[0].startswith(("✓ 回答正确", "✗ 回答错误"))
    assert talk.handle_action(teacher, opened.buttons[0][0].action).parts == [M.QUIZ_STALE]
    assert talk.handle_action(caller(talk, "T101"), opened.buttons[0][0].action).parts == [M.UNKNOWN_ACTION]
