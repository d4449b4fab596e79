"""`xuefa web` and `xuefa run` with XUEFA_WEB_PORT, as real processes: serve, answer, stop cleanly on SIGTERM."""

from __future__ import annotations

import csv
import io
import os
import signal
import socket
import sqlite3
import subprocess
import time

import httpx
import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.fakebotapi import FakeBotAPI
from tests.processes import TOKEN, XUEFA, free_port, prepared_data


@pytest.fixture
def env(tmp_path, shared, monkeypatch):
    return prepared_data(tmp_path, shared, monkeypatch)


def wait_until_serving(port: int, process: subprocess.Popen, timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.communicate()[1][-2000:])
        try:
            return httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the web server did not answer")


def sign_in(port: int, code: str) -> httpx.Client:
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    page = client.get("/login").text
    token = page.split('name="csrf" value="')[1].split('"')[0]
    response = client.post("/login", data={"csrf": token, "staff_no": "T001", "code": code})
    assert response.status_code == 303, response.text
    return client


def stop(process: subprocess.Popen) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-2000:]
    return out, err


def test_run_with_only_the_web_port_serves_the_web_without_a_terminal(env):
    port = free_port()
    code = list(csv.reader(io.StringIO(CliRunner().invoke(cli, ["roster", "codes"]).stdout)))[1][3]
    with sqlite3.connect(env["XUEFA_DB"]) as db:  # a question asked long past its retention
        db.execute("INSERT INTO question_log (asked_at, channel, question, outcome) "
                   "VALUES ('2001-01-01T00:00:00+00:00', 'web', '很久以前的问题', 'answered')")
    process = subprocess.Popen(
        [str(XUEFA), "run"], env={**os.environ, **env, "XUEFA_WEB_PORT": str(port)},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert wait_until_serving(port, process).status_code == 200
        client = sign_in(port, code)
        answer = client.post("/chat", data={"csrf": client.get("/chat").text.split('name="csrf" value="')[1][:32],
                                            "q": "教师法第八条"})
        assert "《教师法》第八条" in answer.text and "教师应当履行下列义务" in answer.text
    finally:
        out, err = stop(process)
    assert "只运行网页版" in err
    with sqlite3.connect(env["XUEFA_DB"]) as db:  # without the bot's nightly job, the web prunes at start
        assert db.execute("SELECT question FROM question_log WHERE asked_at < '2002'").fetchall() == []
    assert "教师法第八条" not in err + out and "T001" not in err + out  # nothing personal in the logs


def test_run_with_a_token_and_the_web_port_serves_both_in_one_process(env):
    port = free_port()
    codes = list(csv.reader(io.StringIO(CliRunner().invoke(cli, ["roster", "codes"]).stdout)))
    with FakeBotAPI(token=TOKEN) as api:
        process = subprocess.Popen(
            [str(XUEFA), "-v", "run"],
            env={**os.environ, **env, "XUEFA_WEB_PORT": str(port), "XUEFA_TELEGRAM_TOKEN": TOKEN,
                 "XUEFA_TELEGRAM_BASE_URL": api.base_url, "XUEFA_TELEGRAM_BASE_FILE_URL": api.base_file_url},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            api.wait_for("setMyCommands", timeout=60)
            assert wait_until_serving(port, process).status_code == 200
            # The code works once, on whichever channel comes first: here the web.
            sign_in(port, codes[1][3])
            teacher = api.user(1001)
            api.send_command(teacher, f"/start {codes[1][3]}")
            reply = api.wait_for(lambda c: c.method == "sendMessage" and c.params.get("chat_id") == 1001, timeout=30)
            assert "已被使用" in reply.params["text"]
            api.send_text(teacher, "教师法第八条")
            api.wait_for(lambda c: c.method == "sendMessage" and c.params.get("chat_id") == 1001
                         and "注册" in c.params.get("text", ""), timeout=30)
        finally:
            out, err = stop(process)
    assert "网页版与 Telegram 机器人同时运行" in err
    assert TOKEN not in err and TOKEN not in out


def test_web_on_a_busy_port_says_so_in_one_line(env):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run([str(XUEFA), "web", "--port", str(port)], env={**os.environ, **env},
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"错误：无法在 127.0.0.1:{port} 上启动网页版" in done.stderr and "Traceback" not in done.stderr
