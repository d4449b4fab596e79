"""Signing in on the web: codes shared with Telegram, admin passwords, lifetimes, rate limits, sign-out, CSRF."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from bot.web.app import create_app
from knowledge import messages as M
from knowledge.invites import BindError, bind_account
from knowledge.websessions import token_hash
from tests.webharness import PASSWORD, WEDNESDAY, Browser, web_services


@pytest.fixture
def services(tmp_path, shared):
    services = web_services(tmp_path, shared)
    yield services
    services.close()


@pytest.fixture
def browser(services):
    return Browser(services)


def audit_actions(services) -> list[str]:
    return [entry.action for entry in services.repository.audit_log(500)]


def test_a_stranger_is_sent_to_sign_in_from_every_page(browser):
    app = browser.app
    paths = {route.path for route in app.routes if hasattr(route, "methods") and route.path not in ("/", "/login",
                                                                                                    "/login/password")}
    assert len(paths) > 15
    for route in app.routes:
        if not hasattr(route, "methods") or route.path in ("/login", "/login/password"):
            continue
        for method in route.methods - {"HEAD"}:
            response = browser.client.request(method, route.path)
            assert response.status_code == 303 and response.headers["location"] == "/login", (method, route.path)


def test_a_teacher_signs_in_with_code_and_stays_signed_in_for_months(browser, services):
    code = browser.code_for("T001")
    browser.get("/login")
    response = browser.post("/login", {"staff_no": "t001 ", "code": code.lower()})
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("xuefa=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie and f"Max-Age={180 * 86400}" in cookie
    assert browser.get("/").headers["location"] == "/chat"
    assert "张伟" in browser.page("/chat")
    token = browser.client.cookies["xuefa"].rsplit(".", 1)[0]
    stored = services.repository.db.execute("SELECT token_hash, stage, user_agent FROM web_sessions").fetchall()
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(), "member", "Chrome · Android")]
    assert token not in str(services.repository.db.execute("SELECT * FROM web_sessions").fetchall())
    # A visit after 179 days keeps the teacher in, and slides the end on; 181 days of absence do not.
    services.clock.pin(WEDNESDAY + timedelta(days=179))
    assert browser.get("/chat").status_code == 200
    services.clock.pin(WEDNESDAY + timedelta(days=179 + 179))
    assert browser.get("/chat").status_code == 200
    services.clock.pin(WEDNESDAY + timedelta(days=179 + 179 + 181))
    assert browser.get("/chat").headers["location"] == "/login"
    assert "web-sign-in" in audit_actions(services)


def test_one_code_serves_one_channel_whichever_comes_first(browser, services):
    repository, keyring = services.repository, services.keyring
    code = browser.code_for("T001")
    assert browser.post("/login", {"staff_no": "T001", "code": code}, page="/login").status_code == 303
    with pytest.raises(BindError, match="已被使用"):
        bind_account(repository, keyring, "telegram", "5001", "5001", code)
    telegram_first = browser.code_for("T002")
    bind_account(repository, keyring, "telegram", "5002", "5002", telegram_first)
    other = Browser(services, browser.app)
    response = other.post("/login", {"staff_no": "T002", "code": telegram_first}, page="/login")
    assert response.status_code == 400 and M.BIND_USED_CODE in response.text


def test_a_wrong_staff_number_is_a_wrong_code_and_does_not_use_it_up(browser, services):
    code = browser.code_for("T001")
    response = browser.post("/login", {"staff_no": "T002", "code": code}, page="/login")
    assert response.status_code == 400 and M.BIND_WRONG_CODE in response.text
    unknown = browser.post("/login", {"staff_no": "T999", "code": code}, page="/login")
    wrong = browser.post("/login", {"staff_no": "T001", "code": "ABCDEFGHJK"}, page="/login")
    assert M.BIND_WRONG_CODE in unknown.text and M.BIND_WRONG_CODE in wrong.text
    assert browser.post("/login", {"staff_no": "T001", "code": code}, page="/login").status_code == 303
    failed = [e for e in services.repository.audit_log(50) if e.action == "web-sign-in-failed"]
    assert len(failed) == 3 and all("127.0.0.1" in e.detail or "testclient" in e.detail for e in failed)
    assert {e.detail.split(" · ")[0] for e in failed} == {"工号 T002", "工号 T999", "工号 T001"}


def test_failed_sign_ins_are_rate_limited_per_staff_number_and_address_pair(browser, services):
    code = browser.code_for("T001")
    for _ in range(5):
        assert browser.post("/login", {"staff_no": "T001", "code": "WRONG22222"}, page="/login").status_code == 400
    locked = browser.post("/login", {"staff_no": "T001", "code": code}, page="/login")
    assert locked.status_code == 400 and M.BIND_TOO_MANY in locked.text
    # Another 工号 from the same address still gets in (issue 17: a school shares one address).
    assert browser.post("/login", {"staff_no": "T002", "code": browser.code_for("T002")},
                        page="/login").status_code == 303
    # Passwords sprayed over many 工号 from one address lock that address's password sign-ins after 30.
    for n in range(30):
        browser.client.cookies.clear()
        browser.post("/login/password", {"staff_no": f"X{n:03d}", "password": "Wrong-guess-2030"}, page="/login")
    browser.client.cookies.clear()
    blocked = browser.post("/login/password", {"staff_no": "A001", "password": "Wrong-guess-2030"}, page="/login")
    assert M.BIND_TOO_MANY in blocked.text
    browser.client.cookies.clear()
    assert browser.post("/login", {"staff_no": "A001", "code": browser.code_for("A001")},
                        page="/login").status_code == 303  # a valid code still works from there
    browser.client.cookies.clear()
    # An hour later the window has passed.
    services.clock.pin(WEDNESDAY + timedelta(hours=1, minutes=1))
    assert browser.post("/login", {"staff_no": "T001", "code": code}, page="/login").status_code == 303


def test_an_admin_sets_a_password_first_and_is_signed_in_for_a_working_day(browser, services):
    response = browser.post("/login", {"staff_no": "B001", "code": browser.code_for("B001")}, page="/login")
    assert response.headers["location"] == "/account/password"
    for page in ("/dashboard", "/chat", "/admin/codes", "/account"):
        assert browser.get(page).headers["location"] == "/account/password"
    assert "设置密码" in browser.page("/account/password")
    for bad, reason in (("short1", M.WEB_PASSWORD_SHORT.format(n=10)), ("b001abcdefg", M.WEB_PASSWORD_PERSONAL),
                        ("1234567890", M.WEB_PASSWORD_WEAK), ("aaaaaaaaaa", M.WEB_PASSWORD_WEAK)):
        refused = browser.post("/account/password", {"new": bad, "repeat": bad})
        assert refused.status_code == 400 and reason in refused.text
    mismatch = browser.post("/account/password", {"new": PASSWORD, "repeat": PASSWORD + "x"})
    assert M.WEB_PASSWORD_MISMATCH in mismatch.text
    done = browser.post("/account/password", {"new": PASSWORD, "repeat": PASSWORD})
    assert done.headers["location"] == "/" and f"Max-Age={10 * 3600}" in done.headers["set-cookie"]
    assert browser.get("/").headers["location"] == "/dashboard"
    assert browser.get("/dashboard").status_code == 200
    stored = services.repository.web_password(services.repository.find_members("B001")[0].id)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    # A working day later, however busy, the session has ended.
    services.clock.pin(WEDNESDAY + timedelta(hours=9, minutes=59))
    assert browser.get("/dashboard").status_code == 200
    services.clock.pin(WEDNESDAY + timedelta(hours=10, minutes=1))
    assert browser.get("/dashboard").headers["location"] == "/login"
    # From then on: 工号 and password.
    again = browser.post("/login/password", {"staff_no": "b001", "password": PASSWORD}, page="/login")
    assert again.status_code == 303 and browser.get("/dashboard").status_code == 200


def test_a_wrong_password_says_nothing_about_who_exists(browser, services):
    browser.sign_in("B001")
    teacher = Browser(services, browser.app)
    teacher.sign_in("T001")
    stranger = Browser(services, browser.app)
    answers = {
        staff_no: stranger.post("/login/password", {"staff_no": staff_no, "password": password}, page="/login")
        for staff_no, password in (("B001", "wrong-password"), ("T999", PASSWORD), ("T001", PASSWORD),
                                   ("L001", PASSWORD))  # L001 never set one
    }
    for response in answers.values():
        assert response.status_code == 400 and M.WEB_WRONG_PASSWORD in response.text
    for _ in range(4):
        stranger.post("/login/password", {"staff_no": "B001", "password": "wrong-password"}, page="/login")
    locked = stranger.post("/login/password", {"staff_no": "B001", "password": PASSWORD}, page="/login")
    assert M.BIND_TOO_MANY in locked.text


def test_a_new_code_resets_a_forgotten_password_and_signs_out_everyone_else(browser, services):
    browser.sign_in("A001")
    other = Browser(services, browser.app)
    assert other.post("/login/password", {"staff_no": "A001", "password": PASSWORD},
                      page="/login").status_code == 303
    assert other.get("/dashboard").status_code == 200
    fresh = Browser(services, browser.app)
    fresh.sign_in("A001", password="新的密码New-2030")
    assert other.get("/dashboard").headers["location"] == "/login"
    assert browser.get("/dashboard").headers["location"] == "/login"
    old = Browser(services, browser.app).post("/login/password", {"staff_no": "A001", "password": PASSWORD},
                                              page="/login")
    assert old.status_code == 400


def test_changing_a_password_asks_for_the_current_one(browser):
    browser.sign_in("L001")
    assert "当前密码" in browser.page("/account/password")
    wrong = browser.post("/account/password", {"current": "nope", "new": "Another-pass-1", "repeat": "Another-pass-1"})
    assert wrong.status_code == 400 and M.WEB_PASSWORD_CURRENT_WRONG in wrong.text
    done = browser.post("/account/password", {"current": PASSWORD, "new": "Another-pass-1", "repeat": "Another-pass-1"})
    assert done.status_code == 200 and M.WEB_PASSWORD_SAVED in done.text
    teacher = Browser(browser.services, browser.app)
    teacher.sign_in("T001")
    assert teacher.get("/account/password").status_code == 403


def test_signing_out_ends_the_session_on_the_server(browser, services):
    browser.sign_in("T001")
    cookie = browser.client.cookies["xuefa"]
    response = browser.post("/logout")
    assert response.headers["location"] == "/login" and 'xuefa=""' in response.headers["set-cookie"]
    assert services.repository.db.execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 0
    replay = Browser(services, browser.app)
    replay.client.cookies.set("xuefa", cookie)
    assert replay.get("/chat").headers["location"] == "/login"


def test_a_member_sees_their_sessions_and_ends_one(browser, services):
    browser.sign_in("T001")
    phone = Browser(services, browser.app, user_agent="Mozilla/5.0 (iPhone) MicroMessenger/8.0")
    phone.sign_in("T001")
    page = browser.page("/account")
    assert "微信 · iPhone" in page and "Chrome · Android" in page and M.WEB_SESSION_THIS in page
    ids = [row[0] for row in services.repository.db.execute("SELECT id FROM web_sessions ORDER BY id")]
    ended = browser.post("/account/sessions/end", {"session": str(ids[1])})
    assert ended.status_code == 200 and M.WEB_SESSION_ENDED in ended.text
    assert phone.get("/chat").headers["location"] == "/login"
    # Another member's session cannot be ended from here.
    other = Browser(services, browser.app)
    other.sign_in("T002")
    theirs = services.repository.db.execute("SELECT max(id) FROM web_sessions").fetchone()[0]
    assert browser.post("/account/sessions/end", {"session": str(theirs)}).status_code == 404
    assert other.get("/chat").status_code == 200
    mine = browser.post("/account/sessions/end", {"session": str(ids[0])})
    assert mine.headers["location"] == "/login"


def test_a_deactivated_member_or_a_changed_role_ends_the_session(browser, services):
    browser.sign_in("T001")
    repository = services.repository
    repository.db.execute("UPDATE members SET role = 'unit_admin' WHERE staff_no = 'T001'")
    assert browser.get("/chat").headers["location"] == "/login"  # now an admin: needs a password first
    browser.sign_in("T002")
    repository.deactivate_member(repository.find_members("T002")[0].id)
    assert browser.get("/chat").headers["location"] == "/login"


def test_a_cookie_not_signed_by_this_deployment_is_ignored(browser, services):
    browser.sign_in("T001")
    token = browser.client.cookies["xuefa"].rsplit(".", 1)[0]
    forged = Browser(services, browser.app)
    forged.client.cookies.set("xuefa", token + ".forgedsignature")
    assert forged.get("/chat").headers["location"] == "/login"


def test_every_form_needs_its_csrf_token(browser, services):
    code = browser.code_for("T001")
    browser.get("/login")
    no_token = browser.post("/login", {"staff_no": "T001", "code": code}, csrf=False)
    assert no_token.status_code == 403 and M.WEB_CSRF in no_token.text
    stranger = Browser(services, browser.app)  # a token from another browser's cookie does not fit
    assert stranger.client.post("/login", data={"staff_no": "T001", "code": code,
                                                "csrf": browser.token}).status_code == 403
    browser.sign_in("B001")
    other = Browser(services, browser.app)
    other.sign_in("A001")
    other.get("/account")
    for route in browser.app.routes:
        if "POST" not in getattr(route, "methods", ()):
            continue
        assert browser.client.post(route.path, data={"q": "x"}).status_code == 403, route.path
        assert browser.client.post(route.path, data={"q": "x", "csrf": other.token}).status_code == 403, route.path
    assert services.repository.web_password(services.repository.find_members("B001")[0].id)  # nothing changed


def test_a_telegram_code_from_the_account_page_binds_telegram(browser, services):
    services.settings.bot_username = "xuefa_test_bot"
    browser = Browser(services, create_app(services))
    browser.sign_in("T001")
    page = browser.post("/account/telegram").text
    code = page.split("您的邀请码：")[1][:10]
    assert f"https://t.me/xuefa_test_bot?start={code}" in page
    bound = bind_account(services.repository, services.keyring, "telegram", "7001", "7001", code)
    assert bound.member.staff_no == "T001"
    assert browser.get("/chat").status_code == 200  # the web session stays


def test_behind_https_cookies_are_secure_and_host_only(tmp_path, shared):
    services = web_services(tmp_path, shared, web_url="https://xuefa.example.edu.cn/")
    browser = Browser(services)
    browser.client.base_url = "https://testserver"
    browser.get("/login")
    assert browser.client.cookies.get("__Host-xuefa-login")
    response = browser.client.post("/login", data={
        "staff_no": "T001", "code": browser.code_for("T001"), "csrf": browser.token})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-xuefa=") and "Secure" in cookie and "Path=/" in cookie
    assert "strict-transport-security" in response.headers
    services.close()


def test_the_session_token_is_stored_hashed(services):
    assert token_hash("abc") == hashlib.sha256(b"abc").hexdigest()


def test_without_a_bot_name_the_code_comes_with_the_command_to_send(browser):
    browser.sign_in("T001")
    page = browser.post("/account/telegram").text
    code = page.split("您的邀请码：")[1][:10]
    assert f"/start {code}" in page and "t.me" not in page
    assert browser.services.repository.audit_log(1)[0].action == "codes"
