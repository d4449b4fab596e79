"""What the tests that run `xuefa` as a real process share: the command, a free port, a prepared data folder."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli

XUEFA = Path(sys.executable).with_name("xuefa")
TOKEN = "123456:SECRETtokenDoNotLog"
# Settings that choose what `xuefa run` serves: a test sets the ones it means, never the caller's.
RUN_MODE = ("XUEFA_TELEGRAM_TOKEN", "XUEFA_WEBHOOK_URL", "XUEFA_WEBHOOK_SECRET", "XUEFA_WEB_PORT")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepared_data(tmp_path: Path, shared: Path, monkeypatch) -> dict[str, str]:
    """Point xuefa at a data folder in tmp_path holding the Teachers Law and one teacher (T001).

    Return the XUEFA_ variables set, for a child process's environment.
    """
    values = {"XUEFA_DATA_DIR": str(tmp_path / "data"), "XUEFA_DB": str(tmp_path / "data" / "x.db")}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    for key in RUN_MODE:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["laws", "import", str(shared / "laws" / "teachers-law.md")]).exit_code == 0
    (tmp_path / "roster.csv").write_text("姓名,工号,单位,角色\n张老师,T001,城关一小,教师\n", encoding="utf-8")
    assert runner.invoke(cli, ["roster", "import", str(tmp_path / "roster.csv")]).exit_code == 0
    return values
