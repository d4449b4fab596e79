"""Admin pages: uploads checked as in the bot, printable invite codes, study lists and the quiz schedule."""

from __future__ import annotations

import html
import re

import pytest

from knowledge import messages as M
from knowledge.access import Actor
from knowledge.rounds import load_schedule
from knowledge.uploads import MAX_BYTES, import_upload
from tests.webharness import Browser, web_services

ROSTER_CSV = "姓名,工号,单位,角色,手机\n孙老师,T301,城关一小,教师,13800000301\n周老师,T302,城关一小,教师,138\n"
BANK_CSV = (
    "题型,题干,选项A,选项B,答案,解析,出处\n"
    "判断,教师节是每年的9月10日。,正确,错误,正确,教师法第六条,教师法第六条\n"
)


@pytest.fixture(scope="module")
def site(tmp_path_factory, shared):
    services = web_services(tmp_path_factory.mktemp("admin"), shared)
    browsers = {}
    for staff_no in ("B001", "A001", "T001"):
        browsers[staff_no] = Browser(services, browsers["B001"].app if browsers else None)
        browsers[staff_no].sign_in(staff_no)
    yield services, browsers
    services.close()


def upload(browser: Browser, name: str, data: bytes, skip: bool = False, path: str = "/admin/upload"):
    browser.get(path)
    fields = {"csrf": browser.token, **({"skip": "1"} if skip else {})}
    return browser.client.post(path, data=fields, files={"file": (name, data, "text/csv")})


def test_a_roster_upload_gives_the_bots_row_report(site, tmp_path):
    services, browsers = site
    refused = upload(browsers["B001"], "名册.csv", ROSTER_CSV.encode())
    assert refused.status_code == 200
    (tmp_path / "名册.csv").write_text(ROSTER_CSV, encoding="utf-8")
    expected = import_upload(services.repository, services.catalog, Actor.operator(), tmp_path / "名册.csv")
    assert html.escape(expected, quote=False) in refused.text  # the very report the bot sends, file name and all
    assert "第3行" in expected and not services.repository.find_members("T301")
    done = upload(browsers["B001"], "名册.csv", ROSTER_CSV.encode(), skip=True)
    assert "新增 1 人" in done.text and services.repository.find_members("T301")
    assert services.repository.audit_log(1)[0].action == "upload"


def test_a_unit_admin_uploads_their_own_unit_only_and_no_bank(site):
    services, browsers = site
    admin = browsers["A001"]
    other_unit = upload(admin, "r.csv", "姓名,工号,单位,角色\n吴老师,T401,城关二小,教师\n".encode())
    assert M.ROSTER_OTHER_UNIT.format(value="城关二小", unit="城关一小") in other_unit.text
    bank = upload(admin, "bank.csv", BANK_CSV.encode())
    assert M.BANK_BUREAU_ONLY in bank.text
    assert "题库导入完成" in upload(browsers["B001"], "bank.csv", BANK_CSV.encode()).text
    assert upload(browsers["T001"], "r.csv", ROSTER_CSV.encode()).status_code == 403


def test_an_upload_over_the_limit_is_cut_off_whatever_it_claims(site):
    services, browsers = site
    admin = browsers["B001"]
    admin.get("/admin/upload")
    big = upload(admin, "big.csv", b"x" * (MAX_BYTES + 100_000))
    assert big.status_code == 413 and M.WEB_TOO_LARGE in big.text
    # A chunked body without Content-Length is counted as it arrives.
    boundary = "xuefa-boundary"

    def body():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{admin.token}\r\n"
               f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n"
               "Content-Type: text/csv\r\n\r\n").encode()
        for _ in range(60):
            yield b"y" * 100_000
        yield f"\r\n--{boundary}--\r\n".encode()

    chunked = admin.client.post("/admin/upload", content=body(),
                                headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert chunked.status_code == 413
    small_form = admin.client.post("/chat", content=(b"q=" + b"a" * 70_000 + f"&csrf={admin.token}".encode()),
                                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert small_form.status_code == 413


def test_printed_codes_sign_people_in(site):
    services, browsers = site
    admin = browsers["B001"]
    assert "城关二小" in admin.page("/admin/codes")
    printed = admin.post("/admin/codes", {"unit": "城关二小", "days": "7"})
    assert printed.status_code == 200 and "城关二小 学法助手邀请码" in printed.text
    codes = dict(re.findall(r"工号 (\w+)</p>\s*<p class=\"slip-code\">邀请码 <strong>(\w+)</strong>", printed.text))
    assert set(codes) == {"T002", "A002"}  # everyone of the unit without a bound account
    assert services.repository.audit_log(1)[0].detail == "城关二小 2"
    newcomer = Browser(services, admin.app)
    assert newcomer.post("/login", {"staff_no": "T002", "code": codes["T002"]}, page="/login").status_code == 303
    bad = admin.post("/admin/codes", {"unit": "城关二小", "days": "999"})
    assert bad.status_code == 400 and "邀请码有效期应为 1 到 366 天" in bad.text
    assert admin.post("/admin/codes", {"unit": "火星小学", "days": "7"}).status_code == 400


def test_study_lists_are_shown_and_loaded_from_yaml(site):
    services, browsers = site
    admin = browsers["B001"]
    assert "【当前】测试清单" in admin.page("/admin/studylists")
    good = ("quarters:\n  - id: 2030-Q2\n    title: 2030年第二季度学法清单\n    start: 2030-04-01\n"
            "    end: 2030-06-30\n    laws:\n      - title: 教师法\n"
            "        focus:\n          chapter: 第二章 权利和义务\n")
    loaded = upload(admin, "list.yaml", good.encode(), path="/admin/studylists")
    assert M.STUDYLIST_LOADED.format(n=1, ids="2030-Q2") in loaded.text
    assert "2030年第二季度学法清单" in loaded.text
    broken = upload(admin, "bad.yaml", "quarters:\n  - id: X\n    laws: [{title: 火星法}]\n".encode(),
                    path="/admin/studylists")
    assert broken.status_code == 400 and "bad.yaml" in broken.text and "/tmp" not in broken.text


def test_the_schedule_is_edited_and_checked(site):
    services, browsers = site
    admin = browsers["B001"]
    page = admin.page("/admin/schedule")
    assert "截止时间" in page and "周日" in page
    values = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    values |= {"push_weekday": "1", "deadline_weekday": "7", "reminder_weekday": "5", "digest_weekday": "1",
               "questions": "8", "enabled": "1", "digest_enabled": "1"}
    values.pop("csrf")
    saved = admin.post("/admin/schedule", values)
    assert saved.status_code == 200 and M.QUIZ_SCHEDULE_SAVED in saved.text
    assert load_schedule(services.repository).questions == 8
    wrong = admin.post("/admin/schedule", values | {"reminder_weekday": "7", "reminder_time": "23:00"})
    assert wrong.status_code == 400 and M.SCHEDULE_REMINDER_OUTSIDE in wrong.text
    assert load_schedule(services.repository).reminder_weekday == 5
    typo = admin.post("/admin/schedule", values | {"pass_mark": "八成"})
    assert typo.status_code == 400 and "及格线" in typo.text


def test_printed_codes_skip_people_already_on_the_web_unless_asked(site):
    services, browsers = site
    admin = browsers["B001"]
    # A001 set a password on the web: a slip for them would be a password reset in anyone's hands.
    plain = admin.post("/admin/codes", {"unit": "城关一小", "days": "7"}).text
    printed = set(re.findall(r"工号 (\w+)</p>", plain))
    assert "A001" not in printed and "T001" not in printed and "T301" in printed
    forced = admin.post("/admin/codes", {"unit": "城关一小", "days": "7", "rebind": "1"}).text
    assert {"A001", "T001"} <= set(re.findall(r"工号 (\w+)</p>", forced))


def test_an_upload_naming_a_new_unit_asks_first_naming_the_close_ones(site):
    services, browsers = site
    admin = browsers["B001"]
    typo = "姓名,工号,单位,角色\n钱老师,T501,城关1小,教师\n".encode()
    refused = upload(admin, "r.csv", typo)
    assert "新单位“城关1小”——与已有单位 城关一小" in refused.text and M.UNITS_CONFIRM_WEB in refused.text
    assert not services.repository.find_members("T501") and "城关1小" not in services.repository.unit_names()
    admin.get("/admin/upload")
    confirmed = admin.client.post("/admin/upload", data={"csrf": admin.token, "new_units": "1"},
                                  files={"file": ("r.csv", typo, "text/csv")})
    assert "新增 1 人" in confirmed.text and services.repository.find_members("T501")[0].unit == "城关1小"


def test_the_roster_template_downloads_for_admins(site):
    _, browsers = site
    got = browsers["A001"].get("/admin/roster-template.xlsx")
    assert got.status_code == 200 and got.content.startswith(b"PK")
    assert browsers["T001"].get("/admin/roster-template.xlsx").status_code == 403


def test_a_quarters_list_is_built_in_the_form_from_the_stores_laws(site):
    services, browsers = site
    admin = browsers["B001"]
    page = admin.page("/admin/studylists")
    assert '<option value="中华人民共和国教师法">' in page  # laws are picked from the store
    before = [item.id for item in services.repository.study_lists()]
    wrong = admin.post("/admin/studylists/build", {
        "quarter": "2030Q3", "law_1": "教师法", "focus_1": "第八条", "law_2": "火星法", "focus_2": ""},
        page="/admin/studylists")
    assert wrong.status_code == 400 and "法规 2：" in html.unescape(wrong.text) and "火星法" in wrong.text
    assert 'value="第八条"' in wrong.text  # what was typed stays in the form
    assert [item.id for item in services.repository.study_lists()] == before  # nothing half-saved
    built = admin.post("/admin/studylists/build", {
        "quarter": "2030年第三季度", "title": "", "start": "", "end": "",
        "law_1": "中华人民共和国教师法", "focus_1": "第八条；第三十五条至第三十七条",
        "law_2": "义务教育法", "focus_2": ""}, page="/admin/studylists")
    assert built.status_code == 200 and M.STUDYLIST_LOADED.format(n=1, ids="2030-Q3") in built.text
    [made] = [item for item in services.repository.study_lists() if item.id == "2030-Q3"]
    assert (made.start, made.end) == ("2030-07-01", "2030-09-30")
    assert [law.title for law in made.laws] == ["中华人民共和国教师法", "中华人民共和国义务教育法"]
    assert made.laws[0].focus.describe() == "第八条；第三十五条至第三十七条"
    template = admin.get("/admin/studylist-template.csv")
    assert template.status_code == 200 and template.content.startswith(b"\xef\xbb\xbf\xe5\xad\xa3\xe5\xba\xa6")
    sheet = "季度,法规名称,重点章节\n2030Q4,教师法,第二章\n".encode("utf-8-sig")
    loaded = upload(admin, "清单.csv", sheet, path="/admin/studylists")  # the spreadsheet form uploads too
    assert M.STUDYLIST_LOADED.format(n=1, ids="2030-Q4") in loaded.text
    teacher = Browser(services, admin.app)
    teacher.sign_in("T001")
    assert teacher.post("/admin/studylists/build", {"quarter": "2030Q1", "law_1": "教师法"},
                        page="/quiz").status_code == 403
