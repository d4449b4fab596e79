"""Every role against every page, through the ASGI app over a real database: the one access policy holds."""

from __future__ import annotations

import csv
import io
import logging
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from knowledge import messages as M
from knowledge.access import Actor
from knowledge.reports import build_report, parse_period
from knowledge.reports.xlsx import write_xlsx
from tests.webharness import ROSTER, WEDNESDAY, Browser, web_services

MEMBER_PAGES = ["/chat", "/browse", "/me", "/quiz", "/account"]
STAFF_PAGES = ["/dashboard", "/dashboard/report.xlsx", "/dashboard/report.csv", "/dashboard/topics.xlsx", "/records",
               "/sessions"]
UPLOAD_PAGES = ["/admin/upload"]
BUREAU_PAGES = ["/admin/codes", "/admin/studylists", "/admin/schedule", "/review"]  # the reviewer queue: bureau admins too
ALLOWED = {
    "T001": MEMBER_PAGES,
    "A001": MEMBER_PAGES + STAFF_PAGES + UPLOAD_PAGES,
    "B001": MEMBER_PAGES + STAFF_PAGES + UPLOAD_PAGES + BUREAU_PAGES,
    "L001": MEMBER_PAGES + STAFF_PAGES,
}


@pytest.fixture(scope="module")
def site(tmp_path_factory, shared):
    """One database with every role signed in, and a finished round with results (module-wide: argon2 is slow)."""
    services = web_services(tmp_path_factory.mktemp("web"), shared)
    browsers = {}
    first = None
    for staff_no in ALLOWED:
        browsers[staff_no] = Browser(services, first.app if first else None)
        browsers[staff_no].sign_in(staff_no)
        first = first or browsers[staff_no]
    # T001 passes this week's round; T002 (the other unit) has not taken it.
    flow = services.quizflow
    teacher = services.repository.find_members("T001")[0]
    step = flow.begin(teacher)
    while step.result is None:
        step = flow.answer(teacher, step.attempt.id, step.position, step.question.answer).step
    yield services, browsers
    services.close()


@pytest.mark.parametrize("staff_no", list(ALLOWED))
def test_every_role_gets_exactly_its_pages(site, staff_no):
    services, browsers = site
    browser = browsers[staff_no]
    for path in MEMBER_PAGES + STAFF_PAGES + UPLOAD_PAGES + BUREAU_PAGES:
        response = browser.get(path)
        expected = 200 if path in ALLOWED[staff_no] else 403
        assert response.status_code == expected, (staff_no, path, response.status_code)
        if expected == 403:
            assert M.WEB_FORBIDDEN_TITLE in response.text
    # The menu offers exactly the pages the role may open.
    page = browser.page("/chat")
    offered = set(re.findall(r'<li><a href="(/[a-z/]*)"', page))
    assert offered == {p for p in ALLOWED[staff_no] if not p.startswith("/dashboard/")}


def test_forms_a_role_may_not_use_are_refused(site):
    services, browsers = site
    posts = {
        "/sessions": {"held_on": "2030-03-01", "title": "学法", "attendees": "T001"},
        "/records": {"who": "T001"},
        "/admin/codes": {"unit": "城关一小", "days": "3"},
        "/admin/schedule": {"push_weekday": "1"},
        "/admin/upload": {},
        "/admin/studylists": {},
    }
    refused = {
        "T001": set(posts),
        "L001": {"/sessions", "/admin/codes", "/admin/schedule", "/admin/upload", "/admin/studylists"},
        "A001": {"/admin/codes", "/admin/schedule", "/admin/studylists"},
    }
    before = len(services.repository.sessions())
    for staff_no, paths in refused.items():
        browser = browsers[staff_no]
        browser.get("/account")
        for path in paths:
            assert browser.post(path, posts[path]).status_code == 403, (staff_no, path)
    assert len(services.repository.sessions()) == before


def test_a_unit_admin_sees_only_their_unit(site):
    services, browsers = site
    admin = browsers["A001"]
    page = admin.page("/dashboard")
    assert "城关一小" in page and "城关二小" not in page and "李娜" not in page
    assert M.WEB_RANKING_TITLE not in page  # one unit: nothing to rank
    assert admin.get("/dashboard?unit=城关二小").status_code == 403
    assert admin.get("/dashboard/report.csv?unit=城关二小").status_code == 403
    rows = list(csv.reader(io.StringIO(admin.get("/dashboard/report.csv").content.decode("utf-8-sig"))))
    assert {row[0] for row in rows[1:]} == {"城关一小"}
    other = admin.post("/records", {"who": "T002"}).text
    unknown = admin.post("/records", {"who": "T999"}).text
    assert M.MEMBER_NOT_FOUND_IN_UNIT.format(query="T002", unit="城关一小") in other
    assert M.MEMBER_NOT_FOUND_IN_UNIT.format(query="T999", unit="城关一小") in unknown
    own = admin.post("/records", {"who": "张伟"}).text
    assert "张伟（T001，城关一小，教师）" in own and "13800000001" in own


def test_phone_numbers_are_for_admins_only(site):
    services, browsers = site
    bureau, leader = browsers["B001"], browsers["L001"]
    assert "13800000002" in bureau.page("/dashboard")  # T002 has not finished: listed with the phone
    leader_page = leader.page("/dashboard")
    assert "李娜" in leader_page and "13800000002" not in leader_page and M.WEB_COL_PHONE not in leader_page
    assert "13800000002" not in leader.get("/dashboard/report.csv").content.decode("utf-8-sig")
    record = leader.post("/records", {"who": "T002"}).text
    assert "李娜（T002，城关二小，教师）" in record and "13800000002" not in record


def test_the_dashboard_shows_rates_trend_ranking_and_the_not_yet_list(site):
    services, browsers = site
    page = browsers["B001"].page("/dashboard")
    assert "<svg" in page and M.WEB_TREND_TITLE in page and M.WEB_RANKING_TITLE in page
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>")[0]  # nothing the CSP would block
    assert M.WEB_NOT_YET_TITLE.format(n=5) in page  # everyone but T001
    for period in ("quarter", "year", "2030Q1", "2030-W10", "2030"):
        assert browsers["B001"].get(f"/dashboard?period={period}").status_code == 200
    bad = browsers["B001"].get("/dashboard?period=someday")
    assert bad.status_code == 400 and "无法识别的统计期间" in bad.text
    unknown = browsers["B001"].get("/dashboard?unit=火星小学")
    assert unknown.status_code == 400 and M.UNIT_UNKNOWN.format(unit="火星小学") in unknown.text


def test_downloads_are_the_cli_files_never_cached_and_audited(site):
    services, browsers = site
    before = sum(e.action == "report" for e in services.repository.audit_log(1000))
    response = browsers["B001"].get("/dashboard/report.xlsx?period=2030Q1")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    web = load_workbook(io.BytesIO(response.content))
    expected = io.BytesIO()
    write_xlsx(build_report(services.repository, Actor.operator(), parse_period("2030Q1", WEDNESDAY.date()), None,
                            services.clock), expected)
    cli = load_workbook(expected)
    assert web.sheetnames == cli.sheetnames
    for name in web.sheetnames:
        assert [[c.value for c in row] for row in web[name].iter_rows(min_row=2)] == \
               [[c.value for c in row] for row in cli[name].iter_rows(min_row=2)]  # row 1 holds the time
    after = sum(e.action == "report" for e in services.repository.audit_log(1000))
    assert after == before + 2  # the download and the comparison


def test_every_report_and_record_view_is_audited(site):
    services, browsers = site
    leader = browsers["L001"]
    leader.page("/dashboard")
    leader.post("/records", {"who": "T001", "period": "2030"})
    entries = services.repository.audit_log(2)
    assert [(e.action, e.actor) for e in entries] == [("record", "赵书记（L001）"), ("report", "赵书记（L001）")]
    assert entries[0].detail == "T001 2030"


def test_sessions_are_listed_by_scope_and_logged_by_admins(site):
    services, browsers = site
    admin, leader, bureau = browsers["A001"], browsers["L001"], browsers["B001"]
    admin.get("/sessions")
    saved = admin.post("/sessions", {"held_on": "2030-03-04", "title": "会前学法", "laws": "教师法第八条",
                                     "attendees": "T001 张伟"})
    assert saved.status_code == 200 and M.SESSION_SAVED.format(date="2030-03-04", title="会前学法", n=1) in saved.text
    outside = admin.post("/sessions", {"held_on": "2030-03-04", "title": "学法", "attendees": "T002"})
    assert outside.status_code == 400
    assert M.MEMBER_NOT_FOUND_IN_UNIT.format(query="T002", unit="城关一小") in outside.text
    bad_date = admin.post("/sessions", {"held_on": "03/04", "title": "学法", "attendees": "T001"})
    assert bad_date.status_code == 400 and M.SESSION_BAD_DATE.format(value="03/04") in bad_date.text
    listing = leader.page("/sessions")
    assert "会前学法" in listing and M.WEB_SESSIONS_ADD not in listing
    assert M.WEB_SESSIONS_ADD in bureau.page("/sessions")


def test_no_personal_data_in_any_address_or_log(site, caplog):
    services, browsers = site
    names = [row.name for row in ROSTER] + [row.staff_no for row in ROSTER] + [row.phone for row in ROSTER if row.phone]
    caplog.set_level(logging.DEBUG)
    for staff_no, browser in browsers.items():
        for path in ALLOWED[staff_no]:
            response = browser.get(path)
            if "text/html" not in response.headers["content-type"]:
                continue
            for address in re.findall(r'(?:href|action|src)="([^"]*)"', response.text):
                assert not any(name in address for name in names), (staff_no, path, address)
            # Nothing the Content-Security-Policy would block (and nothing from elsewhere).
            assert "<script" not in response.text and "style=" not in response.text and "<style" not in response.text
            assert "http://" not in response.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        browser.post("/chat", {"q": "张伟老师可以体罚学生吗"})
    assert not any(name in record.getMessage() for record in caplog.records for name in names + ["体罚"])


def test_security_headers_on_every_kind_of_response(site):
    services, browsers = site
    teacher = browsers["T001"]
    for response in (teacher.get("/chat"), teacher.get("/nowhere"), teacher.get("/static/web.css"),
                     teacher.get("/dashboard"), teacher.client.get("/login")):
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
    assert teacher.get("/chat").headers["cache-control"] == "no-store"
    assert "max-age" in teacher.get("/static/web.css").headers["cache-control"]
    assert teacher.get("/nowhere").status_code == 404
    page = teacher.page("/chat")
    assert "<script" not in page and "style=" not in page and "<style" not in page


def test_the_core_never_imports_a_web_framework():
    root = Path(__file__).resolve().parents[1] / "knowledge"
    for path in root.rglob("*.py"):
        imports = re.findall(r"^\s*(?:from|import)\s+(\w+)", path.read_text(encoding="utf-8"), flags=re.M)
        assert not {"starlette", "jinja2", "uvicorn", "telegram", "bot"} & set(imports), path


def test_the_weeks_quiz_banner_shows_with_its_deadline_until_the_member_has_passed(tmp_path, shared):
    services = web_services(tmp_path, shared)
    try:
        browser = Browser(services)
        browser.sign_in("T001")
        assert M.WEB_QUIZ_BANNER[:8] not in browser.page("/chat")  # no round opened yet this week
        round_ = services.quizflow.current_round()  # what the scheduler does at the push time
        deadline = services.clock.local_text(round_.deadline)
        page = browser.page("/chat")
        assert M.WEB_QUIZ_BANNER.format(deadline=deadline) in page and 'href="/quiz"' in page
        teacher = services.repository.find_members("T001")[0]
        flow = services.quizflow
        step = flow.begin(teacher)
        while step.result is None:
            step = flow.answer(teacher, step.attempt.id, step.position, step.question.answer).step
        assert step.result.attempt.passed
        assert M.WEB_QUIZ_BANNER[:8] not in browser.page("/chat")
        # Using the web counts as a channel: the teacher is reachable where the web runs, and listed so.
        assert services.repository.find_members("T001")[0].channels == ("web",)
    finally:
        services.close()


def test_the_quiz_page_counts_the_questions_an_attempt_asks_not_the_pool(site):
    services, browsers = site
    round_ = services.quizflow.existing_round()
    assert len(round_.question_ids) > round_.questions == 5  # a pool of 20, attempts of 5
    page = browsers["A001"].page("/quiz")  # a member who has not taken it: the standing line
    assert "每次作答 5 题" in page and f"共 {len(round_.question_ids)} 题" not in page


def test_a_reply_that_says_send_a_command_links_to_the_page_on_the_web():
    from bot.reply import Reply
    from bot.web.pages import reply_view

    [part] = reply_view(Reply([M.ACCESS_REPORTS])).parts
    assert "发送 /me" not in part and '<a href="/me">' in part and M.WEB_NAV_ME in part
    [quiz] = reply_view(Reply([M.QUIZ_STALE])).parts
    assert '<a href="/quiz">' in quiz
