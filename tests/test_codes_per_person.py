"""Invite codes per person: reissuing one voids no one else's slip, a replaced code says so, slips carry a QR code,
and the codes file opens in Excel on Chinese Windows and is readable by its owner only."""

from __future__ import annotations

import csv
import io
import os
import re
import stat

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.web.qr import qr_svg, sign_in_link
from knowledge import messages as M
from knowledge.invites import BindError, IssuedCode, redeem
from knowledge.keys import Keyring
from knowledge.store import Repository
from tests.webharness import Browser, web_services

ROSTER = "姓名,工号,单位,角色\n张老师,T001,城关一小,教师\n王老师,T002,城关一小,教师\n"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False)


def codes_of(text: str) -> dict[str, str]:
    return {row[0]: row[3] for row in list(csv.reader(io.StringIO(text)))[1:]}


def test_one_persons_code_is_reissued_and_the_old_one_says_it_was_replaced(run, tmp_path):
    (tmp_path / "r.csv").write_text(ROSTER, encoding="utf-8")
    run("roster", "import", "r.csv")
    first = codes_of(run("roster", "codes", "--unit", "城关一小").stdout)
    again = run("roster", "codes", "--member", "t001")
    assert again.exit_code == 0
    second = codes_of(again.stdout)
    assert list(second) == ["T001"] and second["T001"] != first["T001"]
    repository = Repository(tmp_path / "cli.db")
    keyring = Keyring.load(tmp_path / "data" / "secret.key")
    with pytest.raises(BindError, match="已被新的邀请码取代"):
        redeem(repository, keyring, first["T001"], [("web:T001", 5)], "web", "T001")
    # Nobody else's slip was touched.
    assert redeem(repository, keyring, first["T002"], [("web:T002", 5)], "web", "T002").staff_no == "T002"
    assert redeem(repository, keyring, second["T001"], [("web:T001b", 5)], "web", "T001").staff_no == "T001"
    repository.close()


def test_the_codes_file_has_a_bom_and_is_private(run, tmp_path):
    (tmp_path / "r.csv").write_text(ROSTER, encoding="utf-8")
    run("roster", "import", "r.csv")
    done = run("roster", "codes", "--out", "codes.csv")
    assert done.exit_code == 0 and "已写入 2 个邀请码" in done.output
    data = (tmp_path / "codes.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and "邀请码" in data.decode("utf-8-sig")
    assert stat.S_IMODE(os.stat(tmp_path / "codes.csv").st_mode) == 0o600


def test_web_slips_for_one_person_carry_a_qr_code_of_the_filled_in_sign_in(tmp_path, shared):
    services = web_services(tmp_path, shared, bot_username="xuefa_county_bot")
    try:
        admin = Browser(services)
        admin.sign_in("B001")
        unit = admin.post("/admin/codes", {"unit": "城关二小", "days": "7"})
        old = dict(re.findall(r"工号 (\w+)</p>\s*<p class=\"slip-code\">邀请码 <strong>(\w+)</strong>", unit.text))
        one = admin.post("/admin/codes", {"unit": "", "staff_no": "t002", "days": "7"})
        assert one.status_code == 200
        slips = dict(re.findall(r"工号 (\w+)</p>\s*<p class=\"slip-code\">邀请码 <strong>(\w+)</strong>", one.text))
        assert list(slips) == ["T002"] and slips["T002"] != old["T002"]
        assert '<svg xmlns="http://www.w3.org/2000/svg"' in one.text and 'class="slip-qr"' in one.text
        assert "<script" not in one.text.split("<main", 1)[-1]
        item = IssuedCode(services.repository.find_members("T002")[0], slips["T002"], "")
        assert sign_in_link(services.settings, item) == f"https://t.me/xuefa_county_bot?start={slips['T002']}"
        web = services.settings.model_copy(update={"web_url": "https://xuefa.example.edu.cn"})
        assert sign_in_link(web, item) == f"https://xuefa.example.edu.cn/login?staff_no=T002&code={slips['T002']}"
        assert str(qr_svg("https://xuefa.example.edu.cn/login")).startswith("<svg")
        assert admin.post("/admin/codes", {"staff_no": "NOBODY", "days": "7"}).status_code == 400
        # The QR code opens the sign-in page filled in; the person still presses the button.
        newcomer = Browser(services, admin.app)
        page = newcomer.page(f"/login?staff_no=T002&code={slips['T002']}")
        assert f'value="{slips["T002"]}"' in page and 'value="T002"' in page
        replaced = newcomer.post("/login", {"staff_no": "T002", "code": old["T002"]}, page="/login")
        assert M.BIND_REPLACED_CODE in replaced.text
        assert newcomer.post("/login", {"staff_no": "A002", "code": old["A002"]}, page="/login").status_code == 303
    finally:
        services.close()

