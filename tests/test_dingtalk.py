"""The DingTalk adapter against a fake DingTalk built from DingTalk's documentation and SDK code."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.channels import Notice, Sent
from bot.dingtalk.channel import DingTalkChannel
from bot.dingtalk.client import DingTalkApiError, DingTalkAuthError, DingTalkClient, DingTalkSignInError
from bot.dingtalk.robot import GroupRobot
from bot.dingtalk.stream import DingTalkStream
from tests.fakes.dingtalk import FakeDingTalk

WEB = "https://xuefa.example"
USERS = {f"u{i:03d}": f"1380000{i:04d}" for i in range(250)}
FAST = (0.0, 0.02, 0.05, 0.1, 0.3, 0.5)


@pytest.fixture
def fake():
    with FakeDingTalk(users=USERS, redeliver_after=0.3) as server:
        yield server


def make_client(fake: FakeDingTalk, **kwargs) -> DingTalkClient:
    options = {"calls_per_second": 0, "result_delays": FAST, "login_url": fake.base_url}
    options.update(kwargs)
    return DingTalkClient(fake.app_key, fake.app_secret, fake.agent_id, oapi_url=fake.base_url,
                          api_url=fake.base_url, **options)


def notice(n: int = 0, link: str = "/quiz") -> Notice:
    return Notice(kind="round", title=f"本周测验 {n}", text=f"第{n}期测验已开放，截止周日 22:00。", link=link,
                  button="开始答题")


async def test_token_fetched_once_for_concurrent_sends_and_refreshed_when_expired_or_revoked(fake):
    client = make_client(fake)
    try:
        results = await asyncio.gather(*(client.send_work_notice([f"u{i:03d}"], {"msgtype": "text", "text": {
            "content": f"消息{i}"}}) for i in range(10)))
        assert all(result == {f"u{i:03d}": "delivered"} for i, result in enumerate(results))
        assert fake.calls["gettoken"] == 1

        fake.expire_tokens()  # 42001 on the next call
        assert await client.send_work_notice(["u001"], {"msgtype": "text", "text": {"content": "过期后"}}) == {
            "u001": "delivered"}
        assert fake.calls["gettoken"] == 2

        fake.revoke_tokens()  # 40014 on the next call
        assert await client.send_work_notice(["u002"], {"msgtype": "text", "text": {"content": "作废后"}}) == {
            "u002": "delivered"}
        assert fake.calls["gettoken"] == 3
        assert [m["text"]["content"] for m in fake.received("u001")] == ["消息1", "过期后"]
    finally:
        await client.close()


async def test_wrong_secret_is_an_auth_error(fake):
    client = DingTalkClient(fake.app_key, "wrong", fake.agent_id, oapi_url=fake.base_url, api_url=fake.base_url)
    try:
        with pytest.raises(DingTalkAuthError):
            await client.access_token()
    finally:
        await client.close()


async def test_channel_sends_250_people_in_calls_of_at_most_100_with_an_absolute_link(fake):
    channel = DingTalkChannel(make_client(fake), WEB)
    try:
        addresses = sorted(USERS)
        outcomes = await channel.send(addresses, notice())
        assert outcomes == {address: Sent("sent") for address in addresses}
        assert fake.calls["asyncsend_v2"] == 3
        assert all(len(fake.received(address)) == 1 for address in addresses)
        card = fake.received("u007")[0]
        assert card["msgtype"] == "action_card"
        assert card["action_card"]["single_url"] == "https://xuefa.example/quiz"
        assert card["action_card"]["single_title"] == "开始答题"
        assert "截止周日" in card["action_card"]["markdown"]
    finally:
        await channel.close()


async def test_the_fake_refuses_101_userids_and_the_client_never_sends_them(fake):
    client = make_client(fake)
    try:
        with pytest.raises(ValueError):
            await client.send_work_notice(sorted(USERS)[:101], {"msgtype": "text", "text": {"content": "x"}})
        with pytest.raises(DingTalkApiError):
            await client.oapi("/topapi/message/corpconversation/asyncsend_v2", {
                "agent_id": fake.agent_id, "userid_list": ",".join(sorted(USERS)[:101]),
                "msg": {"msgtype": "text", "text": {"content": "x"}}})
        assert fake.total_delivered() == 0
    finally:
        await client.close()


async def test_invalid_userid_is_blocked_and_the_rest_are_sent(fake):
    channel = DingTalkChannel(make_client(fake), WEB)
    try:
        outcomes = await channel.send(["u001", "left-the-school"], notice())
        assert outcomes["u001"] == Sent("sent")
        assert outcomes["left-the-school"].outcome == "blocked"
    finally:
        await channel.close()


async def test_same_content_twice_a_day_is_not_redelivered_and_counts_as_sent(fake):
    channel = DingTalkChannel(make_client(fake), WEB)
    try:
        assert (await channel.send(["u001"], notice(1)))["u001"] == Sent("sent")
        again = await channel.send(["u001", "u002"], notice(1))  # a resend after a crash, say
        assert again["u001"].outcome == "sent" and "duplicate" in again["u001"].error
        assert again["u002"] == Sent("sent")
        assert len(fake.received("u001")) == 1 and len(fake.received("u002")) == 1
        assert (await channel.send(["u001"], notice(2)))["u001"] == Sent("sent")  # other content
        fake.next_day()
        assert (await channel.send(["u001"], notice(1)))["u001"] == Sent("sent")
        assert len(fake.received("u001")) == 3
    finally:
        await channel.close()


async def test_a_slow_task_is_polled_and_a_task_without_result_is_failed_then_safely_resent(fake):
    fake.task_delay = 0.15
    client = make_client(fake)
    try:
        msg = {"msgtype": "text", "text": {"content": "慢任务"}}
        assert await client.send_work_notice(["u001"], msg) == {"u001": "delivered"}
        assert fake.calls["getsendprogress"] >= 2
        impatient = make_client(fake, result_delays=(0.0,))
        try:
            msg2 = {"msgtype": "text", "text": {"content": "没等到结果"}}
            assert await impatient.send_work_notice(["u002"], msg2) == {"u002": "failed"}
            time.sleep(0.2)
            channel_outcome = await client.send_work_notice(["u002"], msg2)  # the ledger's retry
            assert channel_outcome == {"u002": "duplicate"}
            assert len(fake.received("u002")) == 1
        finally:
            await impatient.close()
    finally:
        await client.close()


async def test_pacing_never_reaches_the_silent_daily_drop(fake):
    fake.daily_cap = 5
    careful = DingTalkChannel(make_client(fake, daily_cap=5, daily_cap_reserve=1), WEB)
    try:
        outcomes = [(await careful.send(["u001"], notice(n)))["u001"] for n in range(6)]
        assert [o.outcome for o in outcomes] == ["sent"] * 4 + ["failed"] * 2
        assert len(fake.received("u001")) == 4
        assert fake.dropped == []
    finally:
        await careful.close()
    # A sender that does not count gets past DingTalk's cap: the call succeeds, the message is dropped.
    careless = DingTalkChannel(make_client(fake, daily_cap=10_000), WEB)
    try:
        outcomes = [(await careless.send(["u002"], notice(n)))["u002"] for n in range(6)]
        assert outcomes[5].outcome == "failed"
        assert len(fake.received("u002")) == 5 and len(fake.dropped) == 1
    finally:
        await careless.close()


async def test_userid_by_mobile(fake):
    client = make_client(fake)
    try:
        assert await client.userid_by_mobile(USERS["u042"]) == "u042"
        assert await client.userid_by_mobile("13999999999") is None
    finally:
        await client.close()


async def test_oauth_sign_in_gives_the_userid_and_a_code_is_single_use(fake):
    client = make_client(fake)
    fake.login_as = "u123"
    try:
        url = client.authorize_url("https://xuefa.example/login/dingtalk/callback", "state-abc")
        query = parse_qs(urlsplit(url).query)
        assert query["scope"] == ["openid"] and query["prompt"] == ["consent"] and query["state"] == ["state-abc"]
        async with httpx.AsyncClient() as browser:
            redirected = await browser.get(url, follow_redirects=False)
        assert redirected.status_code == 302
        back = parse_qs(urlsplit(redirected.headers["location"]).query)
        assert back["state"] == ["state-abc"]
        code = back["authCode"][0]
        assert await client.userid_from_code(code) == "u123"
        with pytest.raises(DingTalkSignInError):
            await client.userid_from_code(code)
        with pytest.raises(DingTalkSignInError):
            await client.userid_from_code(fake.issue_code(None))  # a DingTalk account outside the organisation
        with pytest.raises(DingTalkSignInError):
            await client.userid_from_code("forged")
    finally:
        await client.close()


async def test_stream_question_is_acked_and_answered_through_the_session_webhook(fake):
    asked: list[tuple[str, str]] = []

    async def answer(userid: str, text: str) -> str:
        asked.append((userid, text))
        return f"**答复**：{text} 见《教师法》第八条。"

    client = make_client(fake)
    stream = DingTalkStream(client, answer, backoff=(0.05, 0.1))
    task = asyncio.create_task(stream.run())
    try:
        await asyncio.wait_for(stream.connected.wait(), 5)
        message_id = fake.push_text("u005", "教师有哪些义务？")
        await wait_until(lambda: fake.replies, 5)
        assert asked == [("u005", "教师有哪些义务？")]
        reply = fake.replies[0]
        assert reply["userid"] == "u005" and reply["msgtype"] == "markdown"
        assert "教师法" in reply["text"]
        assert [a["headers"]["messageId"] for a in fake.acks] == [message_id]
        await asyncio.sleep(0.5)  # past redeliver_after: an ACKed frame is not pushed again
        assert len(fake.replies) == 1 and len(fake.frames_sent) == 1

        ping_id = fake.ping()
        await wait_until(lambda: any(a["headers"]["messageId"] == ping_id for a in fake.acks), 5)

        fake.disconnect()  # the gateway moves us: we connect again and keep answering
        await wait_until(lambda: stream.connections == 2 and stream.connected.is_set(), 5)
        fake.push_text("u006", "学校能否让学生停课？")
        await wait_until(lambda: len(fake.replies) == 2, 5)
        assert fake.replies[1]["userid"] == "u006"
        assert fake.calls["connections/open"] == 2
    finally:
        await stream.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


async def test_stream_answers_a_redelivered_message_once(fake):
    async def answer(userid: str, text: str) -> str:
        return "好"

    client = make_client(fake)
    stream = DingTalkStream(client, answer, backoff=(0.05,))
    # Our ACK is lost once: the fake ignores the first ACK and pushes the frame again.
    original = fake._receive_acks

    async def drop_first_ack(websocket, unacked):
        await websocket.receive_text()
        await original(websocket, unacked)

    fake._receive_acks = drop_first_ack
    task = asyncio.create_task(stream.run())
    try:
        await asyncio.wait_for(stream.connected.wait(), 5)
        fake.push_text("u007", "你好")
        await wait_until(lambda: len(fake.frames_sent) >= 2 and fake.acks, 5)
        await asyncio.sleep(0.2)
        assert len(fake.replies) == 1
    finally:
        await stream.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.close()


async def test_group_robot_signature_is_checked(fake):
    fake.robots = {"tok-signed": "SEC-secret+/=", "tok-plain": None}
    async with httpx.AsyncClient() as http:
        good = GroupRobot(f"{fake.base_url}/robot/send?access_token=tok-signed", "SEC-secret+/=",
                          oapi_url=fake.base_url, http=http)
        await good.send_markdown("本周测验", "本周测验已开放，未完成 12 人。")
        assert fake.group_inbox["tok-signed"][0]["markdown"]["title"] == "本周测验"
        for wrong in (GroupRobot("tok-signed", "SEC-other", oapi_url=fake.base_url, http=http),
                      GroupRobot("tok-signed", None, oapi_url=fake.base_url, http=http)):
            with pytest.raises(DingTalkApiError) as refused:
                await wrong.send_markdown("x", "y")
            assert refused.value.code == 310000
        await GroupRobot("tok-plain", oapi_url=fake.base_url, http=http).send_markdown("x", "y")
        assert len(fake.group_inbox["tok-plain"]) == 1


async def test_group_robot_paces_itself_within_20_a_minute(fake):
    fake.robots = {"tok": "s"}
    fake.robot_window = 0.5  # the fake's minute, shortened; the robot is told the same window
    async with httpx.AsyncClient() as http:
        robot = GroupRobot("tok", "s", oapi_url=fake.base_url, http=http, window=0.5)
        started = time.monotonic()
        for n in range(25):
            await robot.send_markdown(f"通知{n}", "内容")
        assert time.monotonic() - started >= 0.5
        assert len(fake.group_inbox["tok"]) == 25
        hasty = GroupRobot("tok", "s", oapi_url=fake.base_url, http=http, per_minute=1000, window=0.5)
        with pytest.raises(DingTalkApiError) as refused:
            for n in range(25):
                await hasty.send_markdown(f"急{n}", "内容")
        assert refused.value.code == 410100


async def wait_until(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("not in time")
        await asyncio.sleep(0.01)
