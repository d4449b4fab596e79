"""`xuefa run` as a deployment starts it: webhook mode with its secret, a container with nothing to serve,
and secrets kept out of every log line."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest

from knowledge.clock import Clock
from knowledge.rounds import iso_week
from knowledge.store import Repository
from tests.fakebotapi import FakeBotAPI
from tests.processes import TOKEN, XUEFA, free_port, prepared_data

SECRET = "webhook-secret-0123456789"


@pytest.fixture
def env(tmp_path, shared, monkeypatch):
    return {**os.environ, **prepared_data(tmp_path, shared, monkeypatch)}


def update(update_id: int, text: str) -> dict:
    user = {"id": 1001, "is_bot": False, "first_name": "张老师"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()), "chat": {"id": 1001, "type": "private", "first_name": "张老师"},
        "from": user, "text": text,
    }}


def post(port: int, body: dict, secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    for _ in range(100):  # the server may still be starting
        try:
            return httpx.post(f"http://127.0.0.1:{port}/hook", json=body, headers=headers, timeout=5).status_code
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the webhook server never answered")


def test_webhook_mode_needs_its_secret_and_refuses_updates_without_it(env):
    port = free_port()
    settings = {"XUEFA_TELEGRAM_TOKEN": TOKEN, "XUEFA_WEBHOOK_URL": "https://xuefa.example.invalid/hook",
                "XUEFA_WEBHOOK_PORT": str(port)}
    refused = subprocess.run([str(XUEFA), "run"], env={**env, **settings}, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "必须同时设置 XUEFA_WEBHOOK_SECRET" in refused.stderr and refused.stderr.count("\n") == 1
    with FakeBotAPI(token=TOKEN) as api:
        process = subprocess.Popen(
            [str(XUEFA), "-v", "run"],
            env={**env, **settings, "XUEFA_WEBHOOK_SECRET": SECRET, "XUEFA_TELEGRAM_BASE_URL": api.base_url,
                 "XUEFA_TELEGRAM_BASE_FILE_URL": api.base_file_url},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            [hook] = [api.wait_for("setWebhook", timeout=60)]
            assert hook.params["url"] == "https://xuefa.example.invalid/hook" and hook.params["secret_token"] == SECRET
            assert post(port, update(1, "教师法第八条"), secret=None) == 403
            assert post(port, update(2, "教师法第八条"), secret="wrong-secret-0123456789") == 403
            time.sleep(1)
            assert not api.calls_to("sendMessage")  # a forged update is never answered
            assert post(port, update(3, "/help"), secret=SECRET) == 200
            reply = api.wait_for("sendMessage", timeout=30)
            assert reply.params["chat_id"] == 1001 and "请用单位管理员发放的邀请码注册" in reply.params["text"]
        finally:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=60)
    assert TOKEN not in err and SECRET not in err and TOKEN not in out


def test_a_container_with_nothing_to_serve_says_so_and_fails(env):
    # No token, no web port, and stdin is /dev/null: a console would read end-of-input and exit 0.
    done = subprocess.run([str(XUEFA), "run"], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "未设置 XUEFA_TELEGRAM_TOKEN（Telegram 机器人）或 XUEFA_WEB_PORT（网页版）" in done.stderr


def test_the_token_stays_out_of_verbose_logs_on_every_command(env, tmp_path):
    # This week's round exists (open until 2099), so the push reaches the Bot API whatever the day.
    repository = Repository(tmp_path / "data" / "x.db")
    week = iso_week(Clock("Asia/Shanghai").today())
    repository.create_round("T", week, "2000-01-01T00:00:00+00:00", "2099-12-31T14:00:00+00:00", 0.8, [])
    repository.close()
    with FakeBotAPI(token=TOKEN) as api:
        settings = {"XUEFA_TELEGRAM_TOKEN": TOKEN, "XUEFA_TELEGRAM_BASE_URL": api.base_url}
        done = subprocess.run([str(XUEFA), "-v", "quiz", "push"], env={**env, **settings}, capture_output=True,
                              text=True, timeout=120)
    assert "DEBUG" in done.stderr  # verbose logging was on, requests went to the Bot API, and still:
    assert api.calls and TOKEN not in done.stderr and TOKEN not in done.stdout
