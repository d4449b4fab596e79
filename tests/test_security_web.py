"""Security round two (issue 17) on the web, each as the review reproduced it."""

from __future__ import annotations


import pytest

from knowledge import messages as M
from knowledge.invites import bind_account
from knowledge.limits import limit
from knowledge.websessions import PASSWORD_MIN
from tests.webharness import PASSWORD, Browser, web_services


@pytest.fixture
def services(tmp_path, shared):
    services = web_services(tmp_path, shared)
    yield services
    services.close()


@pytest.fixture
def browser(services):
    return Browser(services)


def audit(services, action: str) -> list[str]:
    return [entry.detail for entry in services.repository.audit_log(500) if entry.action == action]


def test_common_and_guessable_admin_passwords_are_refused_saying_why(browser):
    response = browser.post("/login", {"staff_no": "B001", "code": browser.code_for("B001")}, page="/login")
    assert response.headers["location"] == "/account/password"
    browser.get("/account/password")
    for weak in ("password", "12345678a", "abcd1234", "qwertyui", "1qaz2wsx", "xuefa123"):  # the review's six
        refused = browser.post("/account/password", {"new": weak, "repeat": weak})
        assert refused.status_code == 400, weak
        assert M.WEB_PASSWORD_SHORT.format(n=PASSWORD_MIN) in refused.text, weak  # 8 was the old minimum
    for guessable in ("password123", "xuefa12345", "1qaz2wsx3edc", "qwertyuiop", "Password2030!"):
        refused = browser.post("/account/password", {"new": guessable, "repeat": guessable})
        assert refused.status_code == 400 and M.WEB_PASSWORD_GUESSABLE in refused.text, guessable
    done = browser.post("/account/password", {"new": PASSWORD, "repeat": PASSWORD})
    assert done.status_code == 303


def test_a_session_title_over_the_cap_is_refused_on_the_web_with_its_length(browser, services):
    browser.sign_in("A001")
    browser.get("/sessions")
    response = browser.post("/sessions", {"held_on": "2030-03-01", "title": "x" * 60_000, "laws": "教师法",
                                          "attendees": "T001"})
    assert response.status_code == 400
    assert M.FIELD_TOO_LONG.format(field=M.FIELD_TITLE, n=limit("title"), got=60_000) in response.text
    assert services.repository.sessions() == []


def telegram_code(page: str) -> str:
    return page.split("您的邀请码：")[1][:10]


def test_a_borrowed_admin_session_cannot_turn_the_telegram_code_into_the_account(browser, services):
    browser.sign_in("B001")  # the owner, with their password
    thief = Browser(services, browser.app)
    thief.client.cookies.update(browser.client.cookies)  # only the cookie, no password
    thief.get("/account")
    refused = thief.post("/account/telegram", {"password": ""})
    assert refused.status_code == 400 and M.WEB_PASSWORD_CURRENT_WRONG in refused.text
    assert "您的邀请码" not in refused.text
    # The owner, with the password, gets a code; it binds Telegram and nothing else.
    browser.get("/account")
    code = telegram_code(browser.post("/account/telegram", {"password": PASSWORD}).text)
    stranger = Browser(services, browser.app)
    login = stranger.post("/login", {"staff_no": "B001", "code": code}, page="/login")
    assert login.status_code == 400 and M.BIND_WRONG_CODE in login.text
    assert stranger.get("/account/password").headers["location"] == "/login"
    # The owner is still signed in and their password still works.
    assert browser.get("/dashboard").status_code == 200
    again = Browser(services, browser.app).post("/login/password", {"staff_no": "B001", "password": PASSWORD},
                                                page="/login")
    assert again.status_code == 303
    bound = bind_account(services.repository, services.keyring, "telegram", "7001", "7001", code)  # what it is for
    assert bound.member.staff_no == "B001"


def test_a_teacher_needs_no_password_for_a_telegram_code_and_it_stays_off_the_web(browser, services):
    browser.sign_in("T001")
    code = telegram_code(browser.post("/account/telegram").text)
    other = Browser(services, browser.app)
    assert other.post("/login", {"staff_no": "T001", "code": code}, page="/login").status_code == 400
    assert bind_account(services.repository, services.keyring, "telegram", "7002", "7002", code).member.staff_no == "T001"


def test_guesses_lock_only_the_pair_and_a_fresh_code_still_works_with_lockouts_audited(browser, services):
    admin = Browser(services, browser.app)
    admin.sign_in("B001")
    guesser = ClientAt(services, browser.app, "203.0.113.9")
    for _ in range(5):
        assert guesser.post("/login/password", {"staff_no": "B001", "password": "Wrong-guess-2030"}).status_code == 400
    locked = guesser.post("/login/password", {"staff_no": "B001", "password": PASSWORD})
    assert M.BIND_TOO_MANY in locked.text  # that pair is locked
    # From the admin's own address, the password still works.
    assert Browser(services, browser.app).post("/login/password", {"staff_no": "B001", "password": PASSWORD},
                                               page="/login").status_code == 303
    # A school's shared address: thirty mistyped codes of other people block no teacher holding a valid one.
    school = ClientAt(services, browser.app, "198.51.100.7")
    for n in range(30):
        school.post("/login", {"staff_no": f"X{n:03d}", "code": "WRONG22222"})
    assert school.post("/login", {"staff_no": "T001", "code": browser.code_for("T001")}).status_code == 303
    lockouts = audit(services, "web-lockout")
    assert any("B001" in line and "203.0.113.9" in line for line in lockouts), lockouts
    assert not any("198.51.100.7" in line for line in lockouts)  # one typo per 工号 locks nobody


class ClientAt:
    """A browser behind a given client address (the app trusts no proxy header: ASGI's client)."""

    def __init__(self, services, app, address: str):
        from starlette.testclient import TestClient

        self.client = TestClient(app, follow_redirects=False, client=(address, 50000))
        self.browser = Browser(services, app)
        self.browser.client = self.client

    def post(self, path: str, data: dict):
        self.client.cookies.clear()
        return self.browser.post(path, data, page="/login")


def test_web_refusals_sessions_and_downloads_are_audited_each_as_itself(browser, services):
    admin = Browser(services, browser.app)
    admin.sign_in("A001")  # 城关一小's admin
    assert admin.get("/dashboard?unit=城关二小").status_code == 403
    assert admin.get("/dashboard/report.csv?unit=城关二小").status_code == 403
    teacher = Browser(services, browser.app)
    teacher.sign_in("T001")
    assert teacher.get("/admin/codes").status_code == 403
    teacher.get("/chat")
    assert teacher.post("/records", {"who": "T002"}).status_code == 403
    refused = audit(services, "refused")
    for wanted in ("GET /dashboard?unit=城关二小", "GET /dashboard/report.csv?unit=城关二小", "GET /admin/codes",
                   "POST /records"):
        assert wanted in refused, (wanted, refused)
    admin.get("/sessions")
    assert admin.post("/sessions", {"held_on": "2030-03-01", "title": "会前学法", "laws": "教师法",
                                    "attendees": "T001"}).status_code == 200
    assert any("2030-03-01" in line and "城关一小" in line for line in audit(services, "session"))
    assert admin.get("/dashboard/report.csv").status_code == 200
    assert audit(services, "download") == ["GET /dashboard/report.csv"]


def test_a_refused_roster_upload_answers_other_units_and_unknown_staff_numbers_alike(browser, services):
    admin = Browser(services, browser.app)
    admin.sign_in("A001")  # 城关一小; T002 works at 城关二小, T999 nowhere
    admin.get("/admin/upload")
    # The probe: candidate 工号 and one bad row (no name), so that nothing is imported.
    roster = "姓名,工号,单位,角色\n李娜,T002,城关一小,教师\n某某,T999,城关一小,教师\n,T998,城关一小,教师\n"
    response = admin.client.post("/admin/upload", data={"csrf": admin.token},
                                 files={"file": ("名册.csv", roster.encode(), "text/csv")})
    assert M.ROSTER_NAME_EMPTY in response.text
    assert "T002" not in response.text and "T999" not in response.text  # neither is singled out
    assert services.repository.find_members("T002")[0].unit == "城关二小" and not services.repository.find_members("T999")
