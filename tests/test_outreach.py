"""One notice per member, on the deployment's preferred channel, across real adapters and fake platforms.

The Telegram adapter talks to the fake Bot API and the WeCom adapter to the fake WeCom server,
both on loopback: what a member received is read from the fakes, never from our own code.
"""

from __future__ import annotations

import pytest

from bot.outreach import Outreach
from bot.scheduler import push_round
from bot.telegram.channel import TelegramChannel, push_bot
from bot.wecom.channel import WeComChannel
from bot.wecom.client import WeComClient
from knowledge import outreach
from knowledge.rounds import Schedule, save_schedule
from tests.botharness import bind, bot_services
from tests.fakebotapi import FakeBotAPI
from tests.fakes.wecom import FakeWeCom
from tests.test_bot_quiz import BANK, this_wednesday_noon

ROSTER = (
    "姓名,工号,单位,角色\n"
    "张老师,T001,城关一小,教师\n钱老师,T002,城关一小,教师\n孙老师,T003,城关一小,教师\n"
    "赵老师,T004,城关一小,教师\n李校长,A001,城关一小,单位管理员\n"
)


@pytest.fixture
def api():
    with FakeBotAPI() as server:
        yield server


@pytest.fixture
def wecom():
    # T004's WeCom account left the company: WeCom answers invaliduser for it.
    with FakeWeCom(users={"zhang", "qian", "li"}) as server:
        yield server


@pytest.fixture
def services(tmp_path, shared, api):
    from knowledge.quizbank import import_bank

    service = bot_services(tmp_path, shared, api, ROSTER)
    repository = service.repository
    save_schedule(repository, Schedule(enabled=False))
    (tmp_path / "bank.csv").write_text(BANK, encoding="utf-8")
    import_bank(repository, service.catalog, tmp_path / "bank.csv")
    service.clock.pin(this_wednesday_noon())
    # T001: WeCom and Telegram; T002: WeCom only; T003: Telegram only; T004: a WeCom account that
    # WeCom no longer knows, and Telegram; A001: WeCom.
    for staff_no, wecom_id in (("T001", "zhang"), ("T002", "qian"), ("T004", "gone"), ("A001", "li")):
        member = repository.find_members(staff_no)[0]
        repository.bind_account(member.id, "wecom", wecom_id, "", "roster")
    for staff_no, chat in (("T001", 1001), ("T003", 1003), ("T004", 1004)):
        bind(repository, staff_no, chat)
    yield service
    repository.close()


async def test_each_member_gets_the_round_once_on_the_preferred_channel_and_a_refusal_falls_back(
    services, api, wecom
):
    wecom_client = WeComClient(wecom.corp_id, wecom.agent_id, wecom.secret, base_url=wecom.base_url)
    async with push_bot(services.settings) as bot:
        channels = {"wecom": WeComChannel(wecom_client, "https://xuefa.example.edu.cn"),
                    "telegram": TelegramChannel(bot)}
        result = await push_round(services, Outreach(services, channels, ["wecom", "telegram"]))
        again = await push_round(services, Outreach(services, channels, ["wecom", "telegram"]))
    await wecom_client.close()
    report = result.report
    round_ = result.round
    # WeCom first: T001, T002 and A001 there; T003 has only Telegram; T004 was refused by WeCom and
    # reached on Telegram instead. Nobody got it twice, and a second run sends nothing.
    assert report.by_channel == {"wecom": 3, "telegram": 2} and report.unreached == []
    assert {user: len(wecom.received(user)) for user in ("zhang", "qian", "li")} == {"zhang": 1, "qian": 1, "li": 1}
    invited = [c.params["chat_id"] for c in api.calls_to("sendMessage") if "本周学法测验已开始" in c.params["text"]]
    assert sorted(invited) == [1003, 1004]
    assert again.report.sent == 0 and wecom.total_delivered() == 3
    repository = services.repository
    t004 = repository.find_members("T004")[0]
    assert repository.delivery(outreach.ROUND, str(round_.id), t004.id).channel == "telegram"
    assert repository.account(t004.id, "wecom").reachable is False  # WeCom's word is remembered
    # The batching channel got the unnamed form (one call for many people), with the quiz link.
    [card] = wecom.received("zhang")
    assert "本周学法测验已开始" in card.text and "张老师" not in card.text


async def test_a_member_with_no_push_channel_is_named_with_the_reason(services, api):
    repository = services.repository
    t002 = repository.find_members("T002")[0]
    repository.unbind_account(t002.id, "wecom")
    repository.note_account(t002.id, "web")
    async with push_bot(services.settings) as bot:
        result = await push_round(services, Outreach(services, {"telegram": TelegramChannel(bot)}, ["telegram"]))
    reasons = {u.member.staff_no: u.error for u in result.report.unreached}
    # WeCom is not configured here: A001 has only a WeCom account, T002 uses only the web.
    assert reasons == {"T002": outreach.WEB_ONLY, "A001": outreach.NO_ACCOUNT}
    assert result.report.by_channel == {"telegram": 3}


async def test_a_units_staff_group_gets_the_round_and_the_not_yet_count_once_without_names(services, tmp_path):
    from bot.scheduler import send_reminders

    with FakeWeCom(robot_keys={"robot-key-1"}) as wecom:
        services.settings = services.settings.model_copy(
            update={"wecom_base_url": wecom.base_url, "web_url": "https://xuefa.example.edu.cn"})
        repository = services.repository
        assert repository.set_unit_group("城关一小", "wecom", f"{wecom.base_url}/cgi-bin/webhook/send?key=robot-key-1")
        assert not repository.set_unit_group("城关九小", "wecom", "x")  # no such unit
        empty = Outreach(services, {})  # no push channel: the group robots still work
        await push_round(services, empty)
        await push_round(services, empty)  # a second run (a restart) sends nothing again
        await send_reminders(services, empty)
        await send_reminders(services, empty)
        inbox = wecom.robot_inbox["robot-key-1"]
    assert len(inbox) == 2
    out, reminder = inbox[0]["content"], inbox[1]["content"]
    assert "本周学法测验已开始" in out and "https://xuefa.example.edu.cn/quiz" in out
    assert "本单位还有 5 人未通过" in reminder
    names = [m.name for m in services.repository.members()]
    assert not any(name in out or name in reminder for name in names)  # a group reads it: counts only
