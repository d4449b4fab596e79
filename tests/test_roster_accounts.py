"""The roster's 企业微信账号 / 钉钉账号 columns, and accounts found by 手机 through WeCom's
user/getuserid (the fake on 127.0.0.1), as `xuefa roster import` and uploads do them."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import cli
from knowledge.errors import ValidationError
from knowledge.members import parse_roster
from knowledge.store import Repository
from tests.fakes.wecom import FakeWeCom

HEADER = "姓名,工号,单位,角色,手机,企业微信账号\n"


def write(tmp_path, text, name="名册.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_account_columns_are_read_and_checked_row_by_row(tmp_path):
    rows, _ = parse_roster(write(tmp_path, HEADER + "张伟,T001,城关一小,教师,,zhang.wei\n李娜,T002,城关一小,教师,,\n"))
    assert [row.accounts for row in rows] == [(("wecom", "zhang.wei"),), ()]
    rows, _ = parse_roster(write(tmp_path, "姓名,工号,单位,角色,钉钉UserID\n张伟,T001,城关一小,教师,0123abc\n"))
    assert rows[0].accounts == (("dingtalk", "0123abc"),)  # another system's header word
    bad = HEADER + "张伟,T001,城关一小,教师,,张 伟\n李娜,T002,城关一小,教师,,Zhang.Wei\n王五,T003,城关一小,教师,,zhang.wei\n"
    with pytest.raises(ValidationError) as caught:
        parse_roster(write(tmp_path, bad))
    text = str(caught.value)
    assert "第2行" in text and "企业微信账号“张 伟”只能包含字母、数字和 _ - . @" in text
    assert "第4行" in text and "账号“zhang.wei”已属于另一名人员" in text  # the same userid twice (any case)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "x.db"))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    for key in ("XUEFA_TELEGRAM_TOKEN", "XUEFA_WEB_PORT", "XUEFA_DINGTALK_APP_KEY"):
        monkeypatch.delenv(key, raising=False)
    return tmp_path


def accounts(db) -> dict[str, str]:
    repository = Repository(db)
    try:
        return {m.staff_no: a.external_id for m in repository.members() if (a := repository.account(m.id, "wecom"))}
    finally:
        repository.close()


def test_import_binds_the_column_and_finds_the_rest_by_mobile_naming_who_was_not_matched(env, monkeypatch):
    roster = HEADER + (
        "张伟,T001,城关一小,教师,13800000001,zhangwei\n"  # given: never looked up
        "李娜,T002,城关一小,教师,13800000002,\n"  # WeCom knows this number
        "王芳,T003,城关一小,教师,13800000003,\n"  # WeCom does not
        "赵强,T004,城关一小,教师,,\n"  # nothing to look up with
    )
    with FakeWeCom(users={"zhangwei", "lina"}, mobiles={"13800000002": "lina", "13800000001": "other"}) as wecom:
        for key, value in {"XUEFA_WECOM_CORP_ID": wecom.corp_id, "XUEFA_WECOM_AGENT_ID": str(wecom.agent_id),
                           "XUEFA_WECOM_SECRET": wecom.secret, "XUEFA_WECOM_BASE_URL": wecom.base_url,
                           "XUEFA_WEB_URL": "https://xuefa.example.edu.cn"}.items():
            monkeypatch.setenv(key, value)
        result = CliRunner().invoke(cli, ["roster", "import", str(write(env, roster)), "--new-units"])
        assert result.exit_code == 0, result.output
        assert wecom.calls["user/getuserid"] == 2  # only the numbers of rows without an account
        assert "已绑定 2 个平台账号（企业微信 2 个）" in result.output
        assert "以下 2 人未能匹配企业微信账号：" in result.output
        assert "第4行 王芳（T003）：手机号 13800000003 在企业微信中找不到" in result.output
        assert "第5行 赵强（T004）：没有填写账号，也没有手机号" in result.output
        assert accounts(env / "x.db") == {"T001": "zhangwei", "T002": "lina"}
        # Importing again asks nothing for those already bound, and keeps their accounts.
        again = CliRunner().invoke(cli, ["roster", "import", str(write(env, roster))])
        assert again.exit_code == 0, again.output
        assert wecom.calls["user/getuserid"] == 3  # only 王芳's number again
        assert accounts(env / "x.db") == {"T001": "zhangwei", "T002": "lina"}
    listed = CliRunner().invoke(cli, ["roster", "list"]).output
    assert "企业微信" in listed


def test_without_a_platform_configured_nothing_is_looked_up_and_the_column_still_binds(env):
    roster = HEADER + "张伟,T001,城关一小,教师,13800000001,zhangwei\n李娜,T002,城关一小,教师,13800000002,\n"
    result = CliRunner().invoke(cli, ["roster", "import", str(write(env, roster)), "--new-units"])
    assert result.exit_code == 0, result.output
    assert "未能匹配" not in result.output
    assert accounts(env / "x.db") == {"T001": "zhangwei"}
