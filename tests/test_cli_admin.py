"""The admin side of the command line: roster, invite codes, stats exports, records and sessions."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from click.testing import CliRunner

from bot.cli import cli
from knowledge.keys import Keyring
from knowledge.store import Repository

ROSTER = "姓名,工号,单位,角色,手机\n张老师,t001,城关一小,教师,138 0000 0001\n李校长,A001,城关一小,单位管理员,\n赵书记,L001,县教育局,领导,\n"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("XUEFA_BOT_USERNAME", "xuefa_county_bot")
    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_roster_import_codes_and_deactivation(run, tmp_path):
    result = run("roster", "import", write(tmp_path, "roster.csv", ROSTER))
    assert result.exit_code == 0 and "新增 3 人" in result.output
    again = run("roster", "import", write(tmp_path, "roster.csv", ROSTER))
    assert "新增 0 人，更新 0 人，未变 3 人" in again.output
    codes = run("roster", "codes", "--unit", "城关一小")
    rows = list(csv.reader(io.StringIO(codes.stdout)))
    assert rows[0] == ["工号", "姓名", "单位", "邀请码", "链接", "有效期至"]
    assert [row[0] for row in rows[1:]] == ["A001", "T001"]
    code = rows[2][3]
    assert len(code) == 10 and rows[2][4] == f"https://t.me/xuefa_county_bot?start={code}"
    repository = Repository(tmp_path / "cli.db")
    keyring = Keyring.load(tmp_path / "data" / "secret.key")
    assert repository.invite(keyring.code(code)).member_id == repository.find_members("T001")[0].id
    assert repository.find_members("T001")[0].phone == "13800000001"
    repository.close()
    fresh = run("roster", "codes", "--unit", "城关一小")
    assert code not in fresh.stdout  # new codes replace the unused old ones
    gone = run("roster", "deactivate", "T001")
    assert gone.output.strip() == "已停用 张老师（T001），其学习记录保留"
    listing = run("roster", "list", "--inactive").output
    assert "T001\t张老师\t城关一小\t教师\t\t已停用" in listing  # the phone number went with the deactivation


def test_bad_roster_rows_are_reported_and_nothing_lands(run, tmp_path):
    bad = ROSTER + "钱老师,T002,城关一小,校长,\n,T003,城关一小,教师,\n孙老师,T001,城关一小,教师,\n周老师,T004,城关一小,教师,12345\n"
    path = write(tmp_path, "bad.csv", bad, "gbk")
    result = run("roster", "import", path)
    assert result.exit_code == 1
    assert "4 行有误，未导入任何数据" in result.output
    assert "第5行：角色“校长”不正确" in result.output and "第6行：姓名为空" in result.output
    assert "第7行：工号“T001”与第2行重复" in result.output and "第8行：手机号“12345”应为 11 位数字" in result.output
    assert run("roster", "list").output == ""
    skipped = run("roster", "import", "--skip-invalid", path)
    assert "新增 3 人" in skipped.output and "已跳过 4 行" in skipped.output


def test_roster_from_xlsx_with_numeric_cells(run, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "工号", "单位", "角色", "手机"])
    sheet.append(["吴老师", 20231, "实验幼儿园", "教师", 13800000009])
    workbook.save(tmp_path / "roster.xlsx")
    result = run("roster", "import", str(tmp_path / "roster.xlsx"))
    assert "新增 1 人" in result.output
    assert "20231\t吴老师\t实验幼儿园\t教师\t13800000009" in run("roster", "list").output


def test_missing_roster_column_names_the_line(run, tmp_path):
    result = run("roster", "import", write(tmp_path, "r.csv", "姓名,工号,单位\n张三,1,一小\n"))
    assert result.exit_code == 1 and "r.csv 第1行：缺少列：角色" in result.output


def test_stats_exports_and_records(run, tmp_path):
    run("roster", "import", write(tmp_path, "roster.csv", ROSTER))
    xlsx, chart, table = tmp_path / "s.xlsx", tmp_path / "s.png", tmp_path / "s.csv"
    result = run("stats", "--quarter", "2026Q4", "--xlsx", str(xlsx), "--chart", str(chart), "--csv", str(table))
    assert result.exit_code == 0, result.output
    assert "【学法统计】2026年第4季度 · 全部单位" in result.output and "该期间还没有测验" in result.output
    assert openpyxl.load_workbook(xlsx).sheetnames[0] == "汇总"
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert next(csv.reader(table.open(encoding="utf-8-sig")))[:3] == ["单位", "姓名", "工号"]
    assert run("stats", "--week", "2026-W48", "--year", "2026").exit_code == 2
    assert run("stats", "--quarter", "2026Q9").exit_code == 1
    record = run("records", "T001", "--year", "2026")
    assert "张老师（T001，城关一小，教师）2026 学法记录" in record.output
    assert run("records", "nobody").exit_code == 1


def test_sessions_from_the_cli(run, tmp_path):
    run("roster", "import", write(tmp_path, "roster.csv", ROSTER))
    added = run("session", "add", "--date", "2026-11-20", "--title", "会前学法", "--laws", "教师法", "--attendees", "T001,A001")
    assert added.output.strip() == "已登记集体学法：2026-11-20 会前学法，参加 2 人。"
    assert "2026-11-20\t会前学法\t—\t教师法\t2人" in run("session", "list").output
    bad = run("session", "add", "--date", "20-11", "--title", "x", "--attendees", "T001")
    assert bad.exit_code == 1 and "日期“20-11”格式不对" in bad.output


def test_session_text_may_contain_bars_and_the_unit_must_exist(run, tmp_path):
    run("roster", "import", write(tmp_path, "roster.csv", ROSTER))
    minutes = tmp_path / "minutes.txt"
    minutes.write_text("学习《教师法》第八条 | 第九条，讨论 | 交流", encoding="utf-8")
    added = run("session", "add", "--date", "2026-11-20", "--title", "会前学法", "--laws", "教师法 | 义务教育法",
                "--attendees", "T001", "--minutes", str(minutes), "--unit", "城关一小")
    assert added.exit_code == 0, added.output
    assert "2026-11-20\t会前学法\t城关一小\t教师法 | 义务教育法\t1人" in run("session", "list").output
    unknown = run("session", "add", "--date", "2026-11-20", "--title", "x", "--attendees", "T001", "--unit", "火星学校")
    assert unknown.exit_code == 1 and "没有名为“火星学校”的单位" in unknown.output
