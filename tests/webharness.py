"""The web app over a real SQLite file, driven through ASGI with Starlette's TestClient (httpx).

A Browser is one cookie jar: it signs in as a roster member the way a person does (a code, and
for admins and leaders a password), reads each page's CSRF token and posts forms with it.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from bot.services import Services, build_services
from bot.settings import Settings
from bot.web.app import create_app
from knowledge.clock import Clock
from knowledge.invites import issue_codes
from knowledge.members import RosterRow
from knowledge.models import Focus, StudyList, StudyListLaw
from knowledge.sources import load_files
from knowledge.store import Repository

WEDNESDAY = datetime(2030, 3, 6, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TEACHERS = "中华人民共和国教师法"
LAWS = ("teachers-law.md", "compulsory-education-law.md")
ROSTER = [
    RosterRow(2, "T001", "张伟", "城关一小", "teacher", "13800000001"),
    RosterRow(3, "T002", "李娜", "城关二小", "teacher", "13800000002"),
    RosterRow(4, "A001", "李校长", "城关一小", "unit_admin", "13900000001"),
    RosterRow(5, "A002", "陈校长", "城关二小", "unit_admin", "13900000002"),
    RosterRow(6, "B001", "王局", "县教育局", "bureau_admin", "13700000001"),
    RosterRow(7, "L001", "赵书记", "县教育局", "leader", "13600000001"),
]
PASSWORD = "学法Xuefa-2030"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def web_services(folder: Path, shared: Path, **settings) -> Services:
    """Services over a database file: two laws, a study list spanning the century, the roster, a Wednesday."""
    clock = Clock("Asia/Shanghai", WEDNESDAY)
    repository = Repository(folder / "web.db", clock)
    parsed, _ = load_files([shared / "laws" / name for name in LAWS])
    repository.import_laws([p.law for p in parsed])
    titles = [p.law.title for p in parsed]
    repository.save_study_lists([StudyList("T", "测试清单", "2000-01-01", "2099-12-31",
                                           [StudyListLaw(title, Focus()) for title in titles])])
    repository.import_roster(ROSTER)
    config = Settings(data_dir=folder, db=folder / "web.db", _env_file=None, **settings)
    services = build_services(config, repository, clock, load_index=False)
    services.quizflow.rng = random.Random(1)  # seeded draws: the same questions every run
    return services


def csrf_of(html: str) -> str:
    """Return the CSRF token of a page's forms."""
    return _CSRF.search(html).group(1)


class Browser:
    """One browser (cookie jar) on the web app."""

    def __init__(self, services: Services, app=None, user_agent: str = "Mozilla/5.0 (Linux; Android 14) Chrome/126"):
        self.services = services
        self.app = app or create_app(services)
        self.client = TestClient(self.app, follow_redirects=False, headers={"user-agent": user_agent})
        self.token: str | None = None

    def get(self, path: str, **kwargs):
        response = self.client.get(path, **kwargs)
        if response.status_code == 200 and "text/html" in response.headers.get("content-type", ""):
            found = _CSRF.search(response.text)
            self.token = found.group(1) if found else self.token
        return response

    def post(self, path: str, data: dict | None = None, csrf: bool = True, page: str | None = None, **kwargs):
        """Post a form with the CSRF token of the page it is on (fetched first when not known)."""
        data = dict(data or {})
        if csrf:
            if (self.token is None or page is not None) and self.get(page or "/login").status_code != 200:
                self.get("/account")  # signed in: /login redirects
            data.setdefault("csrf", self.token)
        response = self.client.post(path, data=data, **kwargs)
        if "text/html" in response.headers.get("content-type", ""):
            found = _CSRF.search(response.text)
            self.token = found.group(1) if found else self.token
        return response

    def code_for(self, staff_no: str, rebind: bool = False) -> str:
        """Issue a fresh invite code for a member, as `xuefa roster codes` does."""
        repository = self.services.repository
        member = repository.find_members(staff_no)[0]
        [issued] = issue_codes(repository, self.services.keyring, [member], rebind=rebind)
        return issued.code

    def sign_in(self, staff_no: str, password: str = PASSWORD):
        """Sign in with a fresh code; an admin or leader then sets a password. Return the last response."""
        response = self.post("/login", {"staff_no": staff_no, "code": self.code_for(staff_no, rebind=True)},
                             page="/login")
        assert response.status_code == 303, response.text
        if response.headers["location"] == "/account/password":
            self.get("/account/password")
            response = self.post("/account/password", {"new": password, "repeat": password})
            assert response.status_code == 303, response.text
        self.token = None
        return response

    def page(self, path: str) -> str:
        """GET a page that must answer 200 and return its HTML."""
        response = self.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:500])
        return response.text
