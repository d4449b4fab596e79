"""`xuefa roster group`: a unit's staff-group robot is set, listed (never its address) and removed,
and every mistake gets one Chinese line and exit status 1."""

from __future__ import annotations

from click.testing import CliRunner

from bot.cli import cli
from knowledge import messages as M

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret-robot-key"


def test_a_units_group_robot_is_set_listed_and_removed_with_clear_mistakes(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "x.db"))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "roster.csv").write_text("姓名,工号,单位,角色\n张伟,T001,城关一小,教师\n", encoding="utf-8")
    run = CliRunner().invoke
    assert run(cli, ["roster", "import", str(tmp_path / "roster.csv")]).exit_code == 0
    assert run(cli, ["roster", "group", "城关一小", "--webhook", WEBHOOK]).exit_code == 0
    listed = run(cli, ["roster", "group"])
    assert "城关一小" in listed.output and "secret-robot-key" not in listed.output
    missing = run(cli, ["roster", "group", "城关一小"])
    assert missing.exit_code == 1 and M.GROUP_WEBHOOK_MISSING in missing.output
    unknown = run(cli, ["roster", "group", "火星小学", "--webhook", WEBHOOK])
    assert unknown.exit_code == 1 and M.GROUP_NO_UNIT.format(unit="火星小学") in unknown.output
    assert run(cli, ["roster", "group", "城关一小", "--remove"]).exit_code == 0
    again = run(cli, ["roster", "group", "城关一小", "--remove"])
    assert again.exit_code == 1 and M.GROUP_NONE.format(unit="城关一小", channel="企业微信") in again.output
