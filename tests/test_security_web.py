"""Security round two (issue 17) on the web, each as the review reproduced it."""

from __future__ import annotations

import pytest

from knowledge import messages as M
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
