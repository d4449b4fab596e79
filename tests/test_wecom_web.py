"""WeCom inside the real web app: OAuth sign-in, the callback URL, a question asked in WeCom.

The web app is bot.web's create_app (the WeCom routes come through the channel hook); WeCom is
tests/fakes/wecom.py on 127.0.0.1, and the encrypted callbacks are built by its FakeCallback.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.conversation import Caller, Conversation
from bot.reply import Plain
from bot.web.platform import plain_text
from bot.wecom.web import pieces
from knowledge import messages as M
from knowledge.access import Actor
from tests.fakes.wecom import FakeCallback, FakeWeCom, new_encoding_aes_key
from tests.webharness import PASSWORD, Browser, web_services

TOKEN = "callbacktoken123"
AES_KEY = new_encoding_aes_key()
WEB_URL = "http://testserver"


@pytest.fixture
def wecom():
    with FakeWeCom(users={"zhangwei", "lina", "lixiaozhang", "stranger"}) as server:
        yield server


@pytest.fixture
def services(tmp_path, shared, wecom):
    services = web_services(
        tmp_path, shared, web_url=WEB_URL, wecom_corp_id=wecom.corp_id, wecom_agent_id=wecom.agent_id,
        wecom_secret=wecom.secret, wecom_base_url=wecom.base_url, wecom_token=TOKEN, wecom_aes_key=AES_KEY,
    )
    repository = services.repository
    for staff_no, userid in (("T001", "zhangwei"), ("T002", "lina"), ("A001", "lixiaozhang")):
        repository.bind_account(repository.find_members(staff_no)[0].id, "wecom", userid, "", "roster")
    yield services
    services.close()


@pytest.fixture
def browser(services):
    browser = Browser(services, user_agent="Mozilla/5.0 (Linux; Android 14) wxwork/4.1.22 MicroMessenger/7.0.1")
    browser.client.__enter__()  # one event loop for every request: the WeCom client and answers live on it
    yield browser
    browser.client.__exit__(None, None, None)


def wecom_sign_in(browser: Browser, wecom: FakeWeCom, userid: str | None, next_path: str = "/quiz"):
    """What WeCom's browser does: /login/wecom → WeCom's authorize page → back with a code and the state."""
    start = browser.get(f"/login/wecom?next={next_path}")
    assert start.status_code == 303
    authorize = urlsplit(start.headers["location"])
    query = parse_qs(authorize.query)
    assert authorize.path == "/connect/oauth2/authorize" and authorize.fragment == "wechat_redirect"
    assert query["scope"] == ["snsapi_base"] and query["appid"] == [wecom.corp_id]
    assert query["redirect_uri"] == [WEB_URL + "/login/wecom/callback"]
    state = query["state"][0]
    assert state.isalnum() and len(state) >= 16
    code = wecom.issue_code(userid)
    return browser.get(f"/login/wecom/callback?code={code}&state={state}"), code, state


def test_a_teacher_opening_xuefa_in_wecom_is_signed_in_without_a_code(browser, services, wecom):
    response, code, state = wecom_sign_in(browser, wecom, "zhangwei")
    assert response.status_code == 303 and response.headers["location"] == "/quiz"
    assert "xuefa=" in response.headers.get("set-cookie", "")
    page = browser.page("/quiz")
    assert "张伟" in page  # signed in as the member whose WeCom account it is
    assert services.repository.db.execute("SELECT stage FROM web_sessions").fetchall() == [("member",)]
    actions = [entry.action for entry in services.repository.audit_log(50)]
    assert "web-sign-in" in actions
    # The code is single-use (WeCom says so; the fake enforces it) and the state serves once.
    other = Browser(services)
    again = other.get(f"/login/wecom/callback?code={code}&state={state}")
    assert again.status_code == 400 and M.PLATFORM_SIGN_IN_EXPIRED.format(channel="企业微信") in again.text


def test_an_unknown_wecom_account_gets_a_clear_page_and_the_attempt_is_audited(browser, services, wecom):
    response, _, _ = wecom_sign_in(browser, wecom, "stranger")
    assert response.status_code == 403
    assert "未在名册中找到您的企业微信账号，请联系单位管理员" in response.text
    assert "xuefa=" not in response.headers.get("set-cookie", "").replace("xuefa-wecom-state", "")
    failed = [e for e in services.repository.audit_log(50) if e.action == "web-sign-in-failed"]
    assert failed and "stranger" in failed[0].detail


def test_a_forged_or_missing_state_is_refused(browser, wecom):
    browser.get("/login/wecom")
    code = wecom.issue_code("zhangwei")
    forged = browser.get(f"/login/wecom/callback?code={code}&state=abcdef0123456789")
    assert forged.status_code == 400
    fresh = Browser(browser.services)  # no state cookie at all (a link sent by someone else)
    assert fresh.get(f"/login/wecom/callback?code={code}&state=abc").status_code == 400
    assert browser.get("/chat").headers.get("location") == "/login"


def test_an_admin_with_a_password_still_needs_it_for_staff_pages(browser, services, wecom):
    # First time: like an invite code, the admin goes on to set a password.
    response, _, _ = wecom_sign_in(browser, wecom, "lixiaozhang")
    assert response.headers["location"] == "/account/password"
    browser.get("/account/password")
    assert browser.post("/account/password", {"new": PASSWORD, "repeat": PASSWORD}).status_code == 303
    # Later, from WeCom again: no session from WeCom alone, the password form with the 工号 filled in.
    later = Browser(services)
    later.client.__enter__()
    try:
        response, _, _ = wecom_sign_in(later, wecom, "lixiaozhang")
        assert response.status_code == 200 and 'value="A001"' in response.text
        assert later.get("/dashboard").headers.get("location") == "/login"
    finally:
        later.client.__exit__(None, None, None)


def test_the_callback_url_verifies_and_refuses_a_bad_signature(browser, wecom):
    callback = FakeCallback(TOKEN, AES_KEY, wecom.corp_id, wecom.agent_id)
    query, echo = callback.verify_request()
    response = browser.client.get("/wecom/callback", params=query)
    assert response.status_code == 200 and response.text == echo
    query["msg_signature"] = "0" * 40
    assert browser.client.get("/wecom/callback", params=query).status_code == 403
    params, body = callback.message_request(callback.message_xml("zhangwei", "你好"), tamper=True)
    assert browser.client.post("/wecom/callback", params=params, content=body).status_code == 403


def wait_for(predicate, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_question_asked_in_wecom_gets_the_web_answer_once_even_when_wecom_retries(browser, services, wecom):
    callback = FakeCallback(TOKEN, AES_KEY, wecom.corp_id, wecom.agent_id)
    question = "教师法第八条"
    params, body = callback.message_request(callback.message_xml("zhangwei", question, msg_id="777001"))
    started = time.monotonic()
    first = browser.client.post("/wecom/callback", params=params, content=body)
    assert first.status_code == 200 and first.text == "" and time.monotonic() - started < 5
    # WeCom retries when it thinks we were slow: the same MsgId is answered once.
    assert browser.client.post("/wecom/callback", params=params, content=body).text == ""
    member = services.repository.find_members("T001")[0]
    expected = pieces(plain_text(Conversation(services, Plain()).handle_text(
        Caller(Actor.of(member), "web"), question)))
    assert wait_for(lambda: len(wecom.received("zhangwei")) >= len(expected))
    time.sleep(0.3)
    got = [item.body["content"] for item in wecom.received("zhangwei")]
    assert got == expected and "第八条" in got[0]
    # The same article is what the web chat page shows.
    web = Browser(services)
    web.sign_in("T001")
    assert "第八条" in web.post("/chat", {"q": question}).text


def test_asking_for_the_quiz_in_wecom_links_to_the_web_quiz(browser, wecom):
    callback = FakeCallback(TOKEN, AES_KEY, wecom.corp_id, wecom.agent_id)
    for n, text in enumerate(("/quiz", "测验")):
        params, body = callback.message_request(callback.message_xml("lina", text, msg_id=f"88800{n}"))
        assert browser.client.post("/wecom/callback", params=params, content=body).text == ""
        assert wait_for(lambda: len(wecom.received("lina")) == n + 1)
        time.sleep(1.1)  # the same text within the 1 s duplicate check would be dropped by WeCom
    for item in wecom.received("lina"):
        assert item.body["content"] == M.PLATFORM_QUIZ_LINK.format(link=WEB_URL + "/login/wecom?next=/quiz")


def test_a_stranger_writing_in_wecom_is_told_how_to_register(browser, wecom):
    callback = FakeCallback(TOKEN, AES_KEY, wecom.corp_id, wecom.agent_id)
    params, body = callback.message_request(callback.message_xml("stranger", "你好", msg_id="999"))
    browser.client.post("/wecom/callback", params=params, content=body)
    assert wait_for(lambda: wecom.received("stranger"))
    assert wecom.received("stranger")[0].body["content"] == M.WELCOME_UNKNOWN


async def test_one_access_token_per_process_for_the_push_and_the_sign_in(services, wecom):
    import httpx

    from bot.outreach import close_channels, open_channels, outreach_for
    from bot.scheduler import push_round
    from bot.web.app import create_app

    channels = await open_channels(services)
    try:
        assert (await push_round(services, outreach_for(services, channels))).report.sent == 3
        transport = httpx.ASGITransport(app=create_app(services))
        async with httpx.AsyncClient(transport=transport, base_url=WEB_URL) as browser:
            start = await browser.get("/login/wecom?next=/quiz")
            state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
            done = await browser.get(f"/login/wecom/callback?code={wecom.issue_code('zhangwei')}&state={state}")
            assert done.status_code == 303 and done.headers["location"] == "/quiz"
    finally:
        await close_channels(channels)
    assert wecom.calls["gettoken"] == 1  # the push and the sign-in share the process's token
