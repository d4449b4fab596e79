"""The WeCom adapter against a fake WeCom built from WeCom's documentation (tests/fakes/wecom.py)."""

from __future__ import annotations

import asyncio
import math
import time
import xml.etree.ElementTree as ElementTree
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.channels import Notice, Sent
from bot.wecom import limits, push_seconds
from bot.wecom.callback import parse_message, reply_text
from bot.wecom.channel import WeComChannel
from bot.wecom.client import WeComClient, WeComError, WeComInvalidCode, WeComNotMember, authorize_url
from bot.wecom.crypto import DecryptError, ReceiverError, SignatureError, WeComCrypto
from bot.wecom.robot import GroupRobot
from bot.wecom.xmlsafe import XMLRefused
from tests.fakes.wecom import FakeCallback, FakeWeCom, new_encoding_aes_key

WEB = "https://xuefa.example.edu.cn"
ROUND = Notice(kind="round", title="本周测验已发布", text="请在周五前完成本周学法测验。", link="/quiz", button="开始答题")


@pytest.fixture
def wecom():
    with FakeWeCom(users={"zhangsan", "lisi", "wangwu"}, mobiles={"13800000001": "zhangsan"}) as server:
        yield server


def client_of(server: FakeWeCom, **kwargs) -> WeComClient:
    return WeComClient(server.corp_id, server.agent_id, server.secret, base_url=server.base_url, **kwargs)


# --- access token ----------------------------------------------------------------------------


async def test_token_is_fetched_once_across_50_concurrent_sends():
    users = {f"t{i:03d}" for i in range(50)}
    with FakeWeCom(users=users) as server:
        client = client_of(server)
        results = await asyncio.gather(*(client.send_text([user], f"第{user}号") for user in sorted(users)))
        await client.close()
    assert server.calls["gettoken"] == 1 and client.token_fetches == 1
    assert all(result.users("sent") for result in results)
    assert server.total_delivered() == 50


async def test_an_expired_token_is_refetched_once_and_the_send_retried():
    # WeCom says 7200 s, but the token dies after 0.3 s ("may expire early"): the send meets 42001.
    with FakeWeCom(users={"zhangsan"}, token_ttl=0.3, reported_expires_in=7200) as server:
        client = client_of(server)
        await client.send_text(["zhangsan"], "一")
        await asyncio.sleep(0.4)
        result = await client.send_text(["zhangsan"], "二")
        await client.close()
    assert result.outcomes == {"zhangsan": "sent"}
    assert server.calls["gettoken"] == 2
    assert server.calls["message/send"] == 3  # one refused with 42001, then retried
    assert [item.text for item in server.received("zhangsan")] == ["一", "二"]


async def test_a_revoked_token_40014_is_refetched(wecom):
    client = client_of(wecom)
    await client.send_text(["zhangsan"], "一")
    wecom.revoke_tokens()
    await client.send_text(["zhangsan"], "二")
    await client.close()
    assert wecom.calls["gettoken"] == 2 and len(wecom.received("zhangsan")) == 2


async def test_a_wrong_secret_raises_and_does_not_loop(wecom):
    client = WeComClient(wecom.corp_id, wecom.agent_id, "wrong", base_url=wecom.base_url)
    with pytest.raises(WeComError) as caught:
        await client.send_text(["zhangsan"], "一")
    await client.close()
    assert caught.value.errcode == 40001 and "wrong" not in str(caught.value)
    assert wecom.calls["gettoken"] == 1 and wecom.calls["message/send"] == 0


async def test_concurrent_sends_behind_a_failed_gettoken_do_not_hammer_it(wecom):
    client = WeComClient(wecom.corp_id, wecom.agent_id, "wrong", base_url=wecom.base_url)
    channel = WeComChannel(client, WEB)
    outcomes = await asyncio.gather(*(channel.send([f"u{i}"], ROUND) for i in range(20)))
    await channel.close()
    assert all(next(iter(outcome.values())).outcome == "failed" for outcome in outcomes)
    assert wecom.calls["gettoken"] == 1


# --- messages --------------------------------------------------------------------------------


async def test_a_round_notice_becomes_a_textcard_into_the_web_app(wecom):
    channel = WeComChannel(client_of(wecom), WEB)
    outcome = await channel.send(["zhangsan", "lisi"], ROUND)
    await channel.close()
    assert outcome == {"zhangsan": Sent("sent"), "lisi": Sent("sent")}
    card = wecom.received("lisi")[0]
    assert card.msgtype == "textcard"
    assert card.body == {"title": ROUND.title, "description": ROUND.text, "url": WEB + "/quiz", "btntxt": "开始答题"}


async def test_invaliduser_is_blocked_and_the_others_are_sent(wecom):
    channel = WeComChannel(client_of(wecom), WEB)
    outcome = await channel.send(["zhangsan", "Ghost", "LiSi"], ROUND)
    await channel.close()
    # invaliduser comes back lower-cased; userids are case-insensitive
    assert outcome == {"zhangsan": Sent("sent"), "Ghost": Sent("blocked", "invaliduser"), "LiSi": Sent("sent")}
    assert "ghost" not in wecom.inbox and len(wecom.received("lisi")) == 1


async def test_all_receivers_invalid_81013_is_blocked_not_failed(wecom):
    channel = WeComChannel(client_of(wecom), WEB)
    outcome = await channel.send(["ghost1", "ghost2"], ROUND)
    await channel.close()
    assert outcome == {"ghost1": Sent("blocked", "invaliduser"), "ghost2": Sent("blocked", "invaliduser")}


async def test_unlicensed_members_are_blocked():
    with FakeWeCom(users={"zhangsan", "lisi"}, unlicensed={"lisi"}) as server:
        channel = WeComChannel(client_of(server), WEB)
        outcome = await channel.send(["zhangsan", "lisi"], ROUND)
        await channel.close()
    assert outcome["lisi"] == Sent("blocked", "unlicenseduser") and outcome["zhangsan"] == Sent("sent")


async def test_a_transport_error_fails_every_address_and_delivers_nothing(wecom):
    wecom.fail_next_sends(1, status=502)
    channel = WeComChannel(client_of(wecom), WEB)
    outcome = await channel.send(["zhangsan", "lisi"], ROUND)
    assert {sent.outcome for sent in outcome.values()} == {"failed"}
    assert wecom.total_delivered() == 0
    # the ledger tries again later: then it goes through
    assert (await channel.send(["zhangsan", "lisi"], ROUND))["lisi"] == Sent("sent")
    await channel.close()


async def test_more_than_1000_members_go_in_calls_of_at_most_1000():
    users = {f"m{i:05d}" for i in range(2500)}
    with FakeWeCom(users=users) as server:
        client = client_of(server)
        result = await client.send_textcard(sorted(users), "本周测验", "请完成", WEB + "/quiz")
        await client.close()
    assert server.send_sizes == [1000, 1000, 500]
    assert len(result.users("sent")) == 2500 and server.total_delivered() == 2500
    assert WeComChannel.batch_size == 1000


async def test_the_description_is_cut_to_512_bytes_on_a_character_boundary(wecom):
    long_text = "依法执教，" * 60  # 900 bytes of UTF-8
    channel = WeComChannel(client_of(wecom), WEB)
    await channel.send(["zhangsan"], Notice("round", "本周测验", long_text, "/quiz"))
    await channel.close()
    description = wecom.received("zhangsan")[0].body["description"]
    assert "\ufffd" not in description  # WeCom's own cut would have broken a character
    assert len(description.encode()) <= 512 and long_text.startswith(description)


async def test_a_notice_with_a_document_goes_as_text_with_its_link(wecom):
    notice = Notice("digest", "本周汇总", "城关一小完成率 80%。", "/reports/week", document=("汇总.xlsx", b"PK"))
    channel = WeComChannel(client_of(wecom), WEB)
    assert (await channel.send(["zhangsan"], notice)) == {"zhangsan": Sent("sent")}
    await channel.close()
    message = wecom.received("zhangsan")[0]
    assert message.msgtype == "text"
    assert "城关一小完成率 80%。" in message.text and WEB + "/reports/week" in message.text


async def test_the_duplicate_check_keeps_a_resend_from_arriving_twice(wecom):
    # A crash after WeCom took the call but before the ledger recorded it: the same card again.
    client = client_of(wecom)
    await client.send_textcard(["zhangsan", "lisi"], "本周测验", "请完成", WEB + "/quiz")
    await client.send_textcard(["zhangsan", "lisi"], "本周测验", "请完成", WEB + "/quiz")
    await client.send_textcard(["zhangsan"], "提醒", "还没完成", WEB + "/quiz")  # other content: delivered
    await client.close()
    assert [item.body["title"] for item in wecom.received("zhangsan")] == ["本周测验", "提醒"]
    assert len(wecom.received("lisi")) == 1 and wecom.duplicates["zhangsan"] == 1


# --- pacing ----------------------------------------------------------------------------------


async def test_the_fake_drops_past_the_member_limit_silently():
    """The control: a client that does not pace loses messages, and WeCom still says ok."""
    with FakeWeCom(users={"zhangsan"}, member_limits=((3, 1.0),)) as server:
        client = client_of(server, member_limits=((1000, 1.0),))
        results = [await client.send_text(["zhangsan"], f"第{i}条") for i in range(5)]
        await client.close()
    assert all(result.outcomes == {"zhangsan": "sent"} for result in results)
    assert len(server.received("zhangsan")) == 3 and server.dropped["zhangsan"] == 2


async def test_pacing_keeps_every_message_within_the_member_limit():
    with FakeWeCom(users={"zhangsan", "lisi"}, member_limits=((3, 1.0), (5, 3.0))) as server:
        client = client_of(server, member_limits=((3, 1.0), (5, 3.0)), pacing_margin=0.15)
        started = time.monotonic()
        await asyncio.gather(*(client.send_text(["zhangsan", "lisi"], f"第{i}条") for i in range(7)))
        elapsed = time.monotonic() - started
        await client.close()
    assert server.dropped == {} and len(server.received("zhangsan")) == 7 and len(server.received("lisi")) == 7
    assert elapsed >= 3.0  # 5 in the first 3 s, the last 2 after


async def test_a_member_held_back_too_long_is_deferred_as_failed():
    with FakeWeCom(users={"zhangsan", "lisi"}, member_limits=((1, 60.0),)) as server:
        client = client_of(server, member_limits=((1, 60.0),), max_member_wait=0.5)
        await client.send_text(["zhangsan"], "一")
        channel = WeComChannel(client, WEB)
        outcome = await channel.send(["zhangsan", "lisi"], ROUND)
        await channel.close()
    assert outcome["lisi"] == Sent("sent") and outcome["zhangsan"].outcome == "failed"
    assert server.dropped == {}


def test_the_documented_limits_and_push_times():
    numbers = limits()
    assert numbers["message_batch"] == 1000 and numbers["member_per_minute"] == 30
    assert numbers["member_per_hour"] == 1000 and numbers["robot_per_minute"] == 20
    assert push_seconds(5000, seconds_per_call=0.2) == pytest.approx(1.0)
    assert push_seconds(60000, seconds_per_call=0.2) == pytest.approx(12.0)
    assert push_seconds(60000, seconds_per_call=0.2, account_cap=200) == math.inf


# --- directory and sign-in -------------------------------------------------------------------


async def test_userid_by_mobile(wecom):
    client = client_of(wecom)
    assert await client.userid_by_mobile("13800000001") == "zhangsan"
    assert await client.userid_by_mobile("13900000000") is None
    assert await client.userid_by_mobile("12") is None
    await client.close()


async def test_a_sign_in_code_gives_the_userid_once(wecom):
    client = client_of(wecom)
    code = wecom.issue_code("lisi")
    assert await client.userid_from_code(code) == "lisi"
    with pytest.raises(WeComInvalidCode):
        await client.userid_from_code(code)  # single-use
    with pytest.raises(WeComInvalidCode):
        await client.userid_from_code("forged")
    with pytest.raises(WeComNotMember):
        await client.userid_from_code(wecom.issue_code(None))
    await client.close()


def test_the_authorize_url_is_snsapi_base_with_state_and_agentid():
    url = authorize_url("wwcorp", 1000002, WEB + "/login/wecom/done?next=/quiz", "s7Ab9")
    assert url.startswith("https://open.weixin.qq.com/connect/oauth2/authorize?") and url.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(url.removesuffix("#wechat_redirect")).query)
    assert query == {"appid": ["wwcorp"], "redirect_uri": [WEB + "/login/wecom/done?next=/quiz"],
                     "response_type": ["code"], "scope": ["snsapi_base"], "state": ["s7Ab9"],
                     "agentid": ["1000002"]}
    with pytest.raises(ValueError):
        authorize_url("wwcorp", 1, WEB, "not allowed!")


# --- callbacks -------------------------------------------------------------------------------


@pytest.fixture
def keys():
    token, aes_key, corp = "xuefaCallbackToken", new_encoding_aes_key(), "wwfakecorp0001"
    return WeComCrypto(token, aes_key, corp), FakeCallback(token, aes_key, corp)


def test_callback_url_verification(keys):
    crypto, wecom_side = keys
    query, echo = wecom_side.verify_request()
    assert crypto.verify_url(query["msg_signature"], query["timestamp"], query["nonce"], query["echostr"]) == echo
    # a "+" of the base64 that arrived as a space is still verified
    for _ in range(50):
        query, echo = wecom_side.verify_request()
        if "+" in query["echostr"]:
            spaced = query["echostr"].replace("+", " ")
            assert crypto.verify_url(query["msg_signature"], query["timestamp"], query["nonce"], spaced) == echo
            break
    else:
        pytest.fail("no echostr with a + in 50 tries")


def test_angle_brackets_in_a_card_stay_text():
    from bot.wecom.channel import card_description

    assert card_description("a<div>b") == "a＜div＞b"


def test_a_question_is_decrypted_and_the_reply_opens_on_wecoms_side(keys):
    crypto, wecom_side = keys
    query, body = wecom_side.message_request(wecom_side.message_xml("zhangsan", "教师的权利有哪些？"))
    plain = crypto.decrypt_message(query["msg_signature"], query["timestamp"], query["nonce"], body)
    incoming = parse_message(plain)
    assert (incoming.userid, incoming.msgtype, incoming.content) == ("zhangsan", "text", "教师的权利有哪些？")
    answer = "《教师法》第七条规定了教师的权利。]]> <b>"
    envelope = crypto.encrypt_reply(reply_text(incoming.userid, crypto.receive_id, answer, 1700000000))
    opened = ElementTree.fromstring(wecom_side.open_reply(envelope.xml))
    assert opened.findtext("ToUserName") == "zhangsan" and opened.findtext("FromUserName") == crypto.receive_id
    assert opened.findtext("MsgType") == "text" and opened.findtext("Content") == answer


def test_an_event_is_read(keys):
    crypto, wecom_side = keys
    query, body = wecom_side.message_request(wecom_side.message_xml("lisi", msgtype="event", event="click",
                                                                    event_key="quiz"))
    incoming = parse_message(crypto.decrypt_message(query["msg_signature"], query["timestamp"], query["nonce"], body))
    assert (incoming.userid, incoming.msgtype, incoming.content) == ("lisi", "event", "click:quiz")


def test_a_bad_signature_is_refused(keys):
    crypto, wecom_side = keys
    query, body = wecom_side.message_request(wecom_side.message_xml("zhangsan", "你好"), tamper=True)
    with pytest.raises(SignatureError):
        crypto.decrypt_message(query["msg_signature"], query["timestamp"], query["nonce"], body)
    query, echo = wecom_side.verify_request()
    with pytest.raises(SignatureError):
        crypto.verify_url(query["msg_signature"], query["timestamp"] + "1", query["nonce"], query["echostr"])


def test_a_message_for_another_corp_is_refused(keys):
    crypto, wecom_side = keys
    query, body = wecom_side.message_request(wecom_side.message_xml("zhangsan", "你好"), receive_id="wwother")
    with pytest.raises(ReceiverError):
        crypto.decrypt_message(query["msg_signature"], query["timestamp"], query["nonce"], body)


def test_another_key_cannot_decrypt(keys):
    _, wecom_side = keys
    stranger = WeComCrypto(wecom_side.token, new_encoding_aes_key(), wecom_side.corp_id)
    query, body = wecom_side.message_request(wecom_side.message_xml("zhangsan", "你好"))
    with pytest.raises((DecryptError, ReceiverError)):
        stranger.decrypt_message(query["msg_signature"], query["timestamp"], query["nonce"], body)


def test_xml_with_a_dtd_is_refused(keys):
    crypto, _ = keys
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    with pytest.raises(XMLRefused):
        crypto.decrypt_message("x", "1", "n", bomb)
    with pytest.raises(XMLRefused):
        parse_message("<xml><FromUserName>a</FromUserName>")


# --- group robot -----------------------------------------------------------------------------


async def test_the_robot_paces_itself_within_its_per_minute_limit():
    with FakeWeCom(robot_keys={"k-paced"}, robot_limit=(3, 1.0)) as server:
        robot = GroupRobot(f"{server.base_url}/cgi-bin/webhook/send?key=k-paced", base_url=server.base_url,
                           limits=((3, 1.0),), pacing_margin=0.15)
        started = time.monotonic()
        for i in range(7):
            await robot.send_markdown(f"**本周测验**：城关一小还有 {7 - i} 人未完成")
        elapsed = time.monotonic() - started
        await robot.close()
    assert server.robot_refused == 0 and len(server.robot_inbox["k-paced"]) == 7
    assert elapsed >= 2.0


async def test_an_unpaced_robot_meets_45009():
    with FakeWeCom(robot_keys={"k-fast"}, robot_limit=(3, 60.0)) as server:
        robot = GroupRobot("k-fast", base_url=server.base_url, limits=((100, 60.0),))
        for _ in range(3):
            await robot.send_text("通知")
        with pytest.raises(WeComError) as caught:
            await robot.send_text("通知")
        await robot.close()
    assert caught.value.errcode == 45009 and "k-fast" not in str(caught.value)


async def test_a_split_send_keeps_what_went_through_when_a_later_call_fails():
    users = {f"m{i:04d}" for i in range(1500)}
    with FakeWeCom(users=users) as server:
        client = client_of(server)
        server.fail_next_sends(1, status=503, after=1)
        channel = WeComChannel(client, WEB)
        channel.batch_size = 2000
        outcome = await channel.send(sorted(users), ROUND)
        await channel.close()
    sent = [user for user, got in outcome.items() if got.outcome == "sent"]
    failed = [user for user, got in outcome.items() if got.outcome == "failed"]
    assert len(sent) == 1000 and len(failed) == 500 and server.total_delivered() == 1000
    assert "HTTP 503" in outcome[failed[0]].error


def test_a_retried_callback_is_seen_once():
    from bot.wecom.callback import Seen

    seen = Seen(size=2)
    assert seen.first_time("m1") and not seen.first_time("m1")
    assert seen.first_time("m2") and seen.first_time("m3") and seen.first_time("m1")  # m1 fell out


def test_the_fake_runs_as_its_own_process_and_reports_its_state():
    import json
    import subprocess
    import sys

    import httpx

    from tests.conftest import ROOT

    child = subprocess.Popen([sys.executable, "-m", "tests.fakes.wecom", "--users", "3"], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(child.stdout.readline())

        async def push():
            client = WeComClient(info["corp_id"], info["agent_id"], info["secret"], base_url=info["base_url"])
            result = await client.send_text(["m00000", "m00001", "nobody"], "本周测验已发布")
            await client.close()
            return result

        result = asyncio.run(push())
        state = httpx.get(info["base_url"] + "/_fake/state").json()
    finally:
        child.kill()
        child.wait(10)
    assert result.outcomes == {"m00000": "sent", "m00001": "sent", "nobody": "invalid"}
    assert state["received"] == {"m00000": 1, "m00001": 1} and state["calls"]["gettoken"] == 1


async def test_without_the_duplicate_check_the_fake_shows_every_resend():
    with FakeWeCom(users={"zhangsan"}, honour_duplicate_check=False) as server:
        client = client_of(server)
        for _ in range(2):
            await client.send_text(["zhangsan"], "同一条")
        await client.close()
    assert len(server.received("zhangsan")) == 2
