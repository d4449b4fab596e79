"""`xuefa run` as the README runs it: the console without a token, the bot against a fake Bot API with one."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.fakebotapi import FakeBotAPI
from tests.processes import TOKEN, XUEFA, prepared_data


@pytest.fixture
def env(tmp_path, shared, monkeypatch):
    return prepared_data(tmp_path, shared, monkeypatch)


def test_without_a_token_run_is_the_console_and_ends_at_eof(env):
    result = CliRunner().invoke(cli, ["run"], input="教师法第八条\n教师法第99条\n/help\n")
    assert result.exit_code == 0
    assert "未设置 XUEFA_TELEGRAM_TOKEN，进入控制台对话模式" in result.stderr
    assert "《教师法》第八条" in result.stdout and "教师应当履行下列义务" in result.stdout
    assert "《教师法》共四十三条，没有第九十九条" in result.stdout
    assert "学法助手使用说明" in result.stdout


def test_piped_stdin_through_the_real_executable(env):
    done = subprocess.run([str(XUEFA), "chat"], input="教师法第6条\n", capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})
    assert done.returncode == 0
    assert "每年九月十日为教师节" in done.stdout


def test_with_a_token_run_serves_telegram_and_never_logs_the_token(env):
    codes = CliRunner().invoke(cli, ["roster", "codes"]).stdout
    code = list(csv.reader(io.StringIO(codes)))[1][3]
    with FakeBotAPI(token=TOKEN) as api:
        process = subprocess.Popen(
            [str(XUEFA), "-v", "run"],
            env={**os.environ, **env, "XUEFA_TELEGRAM_TOKEN": TOKEN, "XUEFA_TELEGRAM_BASE_URL": api.base_url,
                 "XUEFA_TELEGRAM_BASE_FILE_URL": api.base_file_url},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            api.wait_for("setMyCommands", timeout=60)
            teacher = api.user(1001)
            api.send_command(teacher, f"/start {code}")
            reply = api.wait_for(lambda c: c.method == "sendMessage" and c.params.get("chat_id") == 1001, timeout=30)
            assert "注册成功！张老师（城关一小，教师）" in reply.params["text"]
            api.send_text(teacher, "教师法第八条")
            api.wait_for(lambda c: c.method == "sendMessage" and "教师应当履行" in c.params.get("text", ""), timeout=30)
        finally:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err[-2000:]
    assert "DEBUG" in err  # verbose logging was on, and still:
    assert TOKEN not in err and TOKEN not in out


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("XUEFA_TZ", "Mars/Olympus", "配置 XUEFA_TZ 有误：“Mars/Olympus”不是有效的时区"),
        ("XUEFA_TELEGRAM_TOKEN", "not-a-token", "配置 XUEFA_TELEGRAM_TOKEN 有误：Telegram 令牌格式应为"),
        ("XUEFA_ADMINS", "12,abc", "配置 XUEFA_ADMINS 有误"),
        ("XUEFA_WEBHOOK_PORT", "99999", "配置 XUEFA_WEBHOOK_PORT 有误"),
    ],
)
def test_a_bad_setting_is_one_clear_line(env, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(cli, ["laws", "list"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and message in result.output
