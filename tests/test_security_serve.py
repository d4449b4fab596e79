"""Security round two (issue 17) against the real server: `xuefa run` with XUEFA_WEB_PORT, over HTTP."""

from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner

from bot.cli import cli
from knowledge import messages as M
from tests.fakebotapi import FakeBotAPI
from tests.processes import TOKEN, XUEFA, free_port, prepared_data
from tests.test_web_serve import stop, wait_until_serving

PASSWORD = "学法Xuefa-2030"


@pytest.fixture
def server(tmp_path, shared, monkeypatch):
    env = prepared_data(tmp_path, shared, monkeypatch)
    (tmp_path / "admins.csv").write_text("姓名,工号,单位,角色\n王局,B001,县教育局,局管理员\n", encoding="utf-8")
    assert CliRunner().invoke(cli, ["roster", "import", str(tmp_path / "admins.csv"), "--new-units"]).exit_code == 0
    with sqlite3.connect(env["XUEFA_DB"]) as db:
        [member_id] = db.execute("SELECT id FROM members WHERE staff_no = 'B001'").fetchone()
        db.execute("INSERT INTO web_passwords (member_id, password_hash, set_at) VALUES (?, ?, '2026-01-01')",
                   [member_id, PasswordHasher().hash(PASSWORD)])
    port = free_port()
    process = subprocess.Popen(
        [str(XUEFA), "run"], env={**os.environ, **env, "XUEFA_WEB_PORT": str(port)},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_until_serving(port, process)
        yield port, env
    finally:
        stop(process)


def password_attempt(port: int, password: str) -> str:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        token = client.get("/login").text.split('name="csrf" value="')[1].split('"')[0]
        response = client.post("/login/password", data={"csrf": token, "staff_no": "B001", "password": password})
    if response.status_code == 303:
        return "in"
    return "locked" if M.BIND_TOO_MANY in response.text else "wrong" if M.WEB_WRONG_PASSWORD in response.text else "?"


def test_twelve_wrong_passwords_at_once_are_checked_no_more_than_the_limit(server):
    port, env = server
    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(lambda n: password_attempt(port, f"Wrong-guess-{n:04d}"), range(12)))
    assert sorted(outcomes) == ["locked"] * 7 + ["wrong"] * 5, outcomes  # before: twelve checked
    assert password_attempt(port, PASSWORD) == "locked"  # the right one no longer gets in this hour
    with sqlite3.connect(env["XUEFA_DB"]) as db:
        assert db.execute("SELECT count(*) FROM sign_in_attempts WHERE ok = 0 AND subject LIKE 'web:B001@%'"
                          ).fetchone() == (5,)


def test_verbose_logs_hold_no_names_questions_replies_or_codes(tmp_path, shared, monkeypatch):
    env = prepared_data(tmp_path, shared, monkeypatch)
    code = list(csv.reader(io.StringIO(CliRunner().invoke(cli, ["roster", "codes"]).stdout)))[1][3]
    with FakeBotAPI(token=TOKEN) as api:
        process = subprocess.Popen(
            [str(XUEFA), "-v", "run"],
            env={**os.environ, **env, "XUEFA_TELEGRAM_TOKEN": TOKEN, "XUEFA_TELEGRAM_BASE_URL": api.base_url,
                 "XUEFA_TELEGRAM_BASE_FILE_URL": api.base_file_url},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            api.wait_for("setMyCommands", timeout=60)
            teacher = api.user(1001, "王小明")
            api.send_command(teacher, f"/start {code}")
            api.wait_for(lambda c: c.method == "sendMessage" and c.params.get("chat_id") == 1001, timeout=30)
            api.send_text(teacher, "教师法第八条")
            api.wait_for(lambda c: c.method == "sendMessage" and "教师应当履行" in c.params.get("text", ""), timeout=30)
        finally:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-2000:]
    assert "DEBUG" in err  # verbose logging was on, and still:
    for personal in (code, "王小明", "张老师", "教师法第八条", "教师应当履行", "注册成功"):
        assert personal not in err + out, personal
