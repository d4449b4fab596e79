"""DingTalk end to end: work notices through the outbox (push, reminders, the same-content rule
after a crash), sign-in into the real web app, a question over Stream mode answered by the
conversation core, the roster's look-up by 手机 and a unit's group robot with its signature.

DingTalk is tests/fakes/dingtalk.py on 127.0.0.1; what people received is read from the fake.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.dingtalk.receive import receive
from bot.outreach import close_channels, deliver_to_groups, open_channels, outreach_for
from bot.scheduler import push_round, send_reminders
from knowledge import messages as M
from knowledge.outreach import GROUP_ROUND, group_notices
from tests.fakes.dingtalk import FakeDingTalk
from tests.webharness import Browser, web_services

WEB_URL = "http://testserver"
USERS = {"ding-zhang": "13800000001", "ding-li": "13800000002", "ding-boss": "13900000001"}
ACCOUNTS = {"T001": "ding-zhang", "T002": "ding-li", "A001": "ding-boss", "A002": "ding-gone"}


@pytest.fixture
def fake():
    with FakeDingTalk(users=USERS, robots={"robot-token-1": "SECabc123"}) as server:
        yield server


def settings_of(fake: FakeDingTalk) -> dict:
    return dict(web_url=WEB_URL, dingtalk_app_key=fake.app_key, dingtalk_app_secret=fake.app_secret,
                dingtalk_agent_id=fake.agent_id, dingtalk_oapi_url=fake.base_url, dingtalk_api_url=fake.base_url,
                dingtalk_login_url=fake.base_url + "/oauth2/auth")


@pytest.fixture
def services(tmp_path, shared, fake):
    services = web_services(tmp_path, shared, **settings_of(fake))
    repository = services.repository
    for staff_no, userid in ACCOUNTS.items():
        repository.bind_account(repository.find_members(staff_no)[0].id, "dingtalk", userid, userid, "roster")
    yield services
    services.close()


def cards(fake: FakeDingTalk, userid: str, title: str) -> list[dict]:
    return [m for m in fake.received(userid) if title in str(m)]


async def test_the_round_and_reminders_go_out_as_work_notices_once_each(services, fake):
    channels = await open_channels(services)
    assert list(channels) == ["dingtalk"]
    outreach = outreach_for(services, channels)
    try:
        result = await push_round(services, outreach)
        report = result.report
        assert report.by_channel["dingtalk"] == 3
        for userid in ("ding-zhang", "ding-li", "ding-boss"):
            [card] = cards(fake, userid, "测验")
            assert card["msgtype"] == "action_card"
            assert card["action_card"]["single_url"] == WEB_URL + "/login/dingtalk?next=/quiz"
        names = {u.member.staff_no: u.reason for u in report.unreached}
        assert names["A002"] == M.UNREACHED_BLOCKED.format(channel="钉钉")  # not a userid of the organisation
        assert names["L001"] == M.UNREACHED_NO_ACCOUNT  # no account at all: named with its reason
        # Pushed again: nothing goes out twice.
        again = await push_round(services, outreach)
        assert again.report.sent == 0
        assert all(len(cards(fake, u, "测验")) == 1 for u in ("ding-zhang", "ding-li", "ding-boss"))
        # Reminders: everyone bound who has not finished, once.
        before = {u: len(fake.received(u)) for u in USERS}
        await send_reminders(services, outreach)
        assert {u: len(fake.received(u)) - before[u] for u in ("ding-zhang", "ding-li")} == {
            "ding-zhang": 1, "ding-li": 1}
    finally:
        await close_channels(channels)


async def test_after_a_crash_the_same_content_rule_makes_the_resend_harmless(services, fake):
    channels = await open_channels(services)
    outreach = outreach_for(services, channels)
    try:
        await push_round(services, outreach)
        # A crash right after DingTalk took the call: the ledger still says 'sending' for them.
        services.repository.db.execute("UPDATE outbox SET status = 'sending' WHERE kind = 'round'")
        again = await push_round(services, outreach)
        assert again.report.sent == 3  # DingTalk refused the repeat (143106): they have it already
        assert all(len(cards(fake, u, "测验")) == 1 for u in ("ding-zhang", "ding-li", "ding-boss"))
        counts = dict(services.repository.db.execute(
            "SELECT status, count(*) FROM outbox WHERE kind = 'round' AND channel = 'dingtalk' GROUP BY status"))
        assert counts.get("sent") == 3 and "sending" not in counts
    finally:
        await close_channels(channels)


def test_a_teacher_opening_xuefa_in_dingtalk_is_signed_in_without_a_code(services, fake):
    browser = Browser(services)
    with browser.client:
        start = browser.get("/login/dingtalk?next=/quiz")
        assert start.status_code == 303
        authorize = urlsplit(start.headers["location"])
        query = parse_qs(authorize.query)
        assert authorize.path == "/oauth2/auth" and query["client_id"] == [fake.app_key]
        assert query["redirect_uri"] == [WEB_URL + "/login/dingtalk/callback"]
        code = fake.issue_code("ding-zhang")
        done = browser.get(f"/login/dingtalk/callback?authCode={code}&state={query['state'][0]}")
        assert done.status_code == 303 and done.headers["location"] == "/quiz"
        assert "张伟" in browser.page("/quiz")
        # The code serves once, and someone outside the organisation is told so.
        again = Browser(services).get(f"/login/dingtalk/callback?authCode={code}&state={query['state'][0]}")
        assert again.status_code == 400
        other = Browser(services)
        start = other.get("/login/dingtalk")
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        outsider = other.get(f"/login/dingtalk/callback?authCode={fake.issue_code(None)}&state={state}")
        assert outsider.status_code == 403
        assert M.PLATFORM_SIGN_IN_NOT_MEMBER.format(channel="钉钉") in outsider.text


async def wait_until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("not in time")
        await asyncio.sleep(0.02)


async def test_a_question_typed_in_dingtalk_gets_the_verbatim_cited_answer(services, fake):
    task = asyncio.create_task(receive(services))
    try:
        await wait_until(lambda: fake.connections >= 1, 10)
        fake.push_text("ding-zhang", "教师法第八条")
        await wait_until(lambda: fake.replies, 20)
        reply = fake.replies[0]
        assert reply["userid"] == "ding-zhang"
        assert "第八条" in reply["text"] and "教师应当履行下列义务" in reply["text"]
        # In a group chat the bot answers nothing personal, for everyone reads it.
        fake.push_text("ding-zhang", "/me", conversation_type="2")
        await wait_until(lambda: len(fake.replies) == 2, 10)
        assert M.PLATFORM_PRIVATE_ONLY in fake.replies[1]["text"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_units_group_robot_gets_the_notice_signed(services, fake):
    repository = services.repository
    webhook = fake.base_url + "/robot/send?access_token=robot-token-1"
    assert repository.set_unit_group("城关一小", "dingtalk", webhook, "SECabc123")
    result = await push_round(services, outreach_for(services, {}))  # the round's push tells the groups too
    assert result is not None
    again = await deliver_to_groups(services, group_notices(repository, services.clock, result.round, GROUP_ROUND))
    assert again == 0  # once per round
    [message] = fake.group_inbox["robot-token-1"]
    assert message["msgtype"] == "markdown" and "测验" in message["markdown"]["text"]
    assert "张伟" not in str(message)  # a group hears counts and links, never names


def test_the_roster_finds_dingtalk_accounts_by_mobile(tmp_path, monkeypatch, fake):
    for key, value in {"XUEFA_DB": str(tmp_path / "x.db"), "XUEFA_DATA_DIR": str(tmp_path / "data"),
                       "XUEFA_DINGTALK_APP_KEY": fake.app_key, "XUEFA_DINGTALK_APP_SECRET": fake.app_secret,
                       "XUEFA_DINGTALK_AGENT_ID": str(fake.agent_id), "XUEFA_DINGTALK_OAPI_URL": fake.base_url,
                       "XUEFA_DINGTALK_API_URL": fake.base_url, "XUEFA_WEB_URL": WEB_URL}.items():
        monkeypatch.setenv(key, value)
    for key in ("XUEFA_TELEGRAM_TOKEN", "XUEFA_WECOM_CORP_ID", "XUEFA_WEB_PORT"):
        monkeypatch.delenv(key, raising=False)
    roster = tmp_path / "名册.csv"
    roster.write_text("姓名,工号,单位,角色,手机\n张伟,T001,城关一小,教师,13800000001\n"
                      "王芳,T003,城关一小,教师,13800000009\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["roster", "import", str(roster), "--new-units"])
    assert result.exit_code == 0, result.output
    assert "已绑定 1 个平台账号（钉钉 1 个）" in result.output
    assert "手机号 13800000009 在钉钉中找不到" in result.output
