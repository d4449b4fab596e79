"""Units as a tree: scope below a unit, the chain above it, roll-up reports, township ranking, the typo guard."""

from __future__ import annotations

from datetime import date, datetime, timezone

import openpyxl
import pytest
from click.testing import CliRunner

from bot.cli import cli
from knowledge import access
from knowledge.access import AccessDenied, Actor
from knowledge.clock import Clock
from knowledge.errors import NotFound, SourceError, XuefaError
from knowledge.members import RosterRow, parse_roster
from knowledge.quizzes import QuizQuestion
from knowledge.reports import build_report, parse_period, study_record, unit_records
from knowledge.store import Repository
from knowledge.units import NewUnitsError, UnitError, UnitTree, check_new_units, close_names

NOW = datetime(2026, 12, 9, 8, 0, tzinfo=timezone.utc)
OPERATOR = Actor.operator()
DEADLINE = "2026-12-06T14:00:00+00:00"  # 2026-W49
# 县 → 城关镇中心学校 → 城关一小, 东村小学 ; 县 → 河口镇中心学校 → 河口小学
ROSTER = [
    RosterRow(2, "C1", "城关校长", "城关镇中心学校", "unit_admin", "", "某县教育局"),
    RosterRow(3, "C2", "城关教研员", "城关镇中心学校", "teacher", "", "某县教育局"),
    RosterRow(4, "S1", "一小校长", "城关一小", "unit_admin", "", "城关镇中心学校"),
    RosterRow(5, "S2", "一小老师", "城关一小", "teacher", "", "城关镇中心学校"),
    RosterRow(6, "V1", "村小老师", "东村小学", "teacher", "", "城关镇中心学校"),
    RosterRow(7, "H1", "河口校长", "河口镇中心学校", "unit_admin", "", "某县教育局"),
    RosterRow(8, "H2", "河口老师", "河口小学", "teacher", "", "河口镇中心学校"),
    RosterRow(9, "B1", "局管理员", "某县教育局", "bureau_admin"),
]
PASSED = {"C2": 1.0, "S2": 1.0, "V1": 0.4, "H2": 1.0}


@pytest.fixture
def county():
    repo = Repository(clock=Clock("Asia/Shanghai", NOW))
    repo.import_roster(ROSTER)
    repo.db.execute("UPDATE members SET joined_at = '2026-11-01T00:00:00+00:00'")
    question = repo.save_question(QuizQuestion("truefalse", "测试题", ["正确", "错误"], [0], "出处"))
    round_id = repo.create_round("2026Q4", "2026-W49", "2026-11-30T00:00:00+00:00", DEADLINE, 0.8, [question], 1).id
    for staff_no, score in PASSED.items():
        member = repo.find_members(staff_no)[0]
        attempt = repo.start_attempt(round_id, member.id, [(question, [])], "2026-12-01T03:00:00+00:00")
        repo.finish_attempt(attempt.id, int(score >= 0.8), score, score >= 0.8, "2026-12-01T03:02:00+00:00")
    yield repo
    repo.close()


def actor(repo, staff_no):
    return Actor.of(repo.find_members(staff_no)[0])


def week():
    return parse_period("2026-W49", date(2026, 12, 9))


def test_the_tree_below_and_above_a_unit(county):
    tree = county.unit_tree()
    assert tree.below("城关镇中心学校") == {"城关镇中心学校", "城关一小", "东村小学"}
    assert tree.chain("东村小学") == ("东村小学", "城关镇中心学校", "某县教育局")
    assert access.unit_chain(county, "河口小学") == ("河口小学", "河口镇中心学校", "某县教育局")
    assert tree.depth("东村小学") == 3 and tree.children(None) == ["某县教育局"]
    assert access.scope_units(county, actor(county, "C1")) == tree.below("城关镇中心学校")
    assert access.scope_units(county, actor(county, "S1")) == {"城关一小"}
    assert access.scope_units(county, actor(county, "B1")) == set(tree.names)
    assert access.scope_units(county, actor(county, "S2")) == frozenset()


def test_a_loop_is_refused_and_nothing_changes(county):
    with pytest.raises(UnitError, match="循环"):
        county.link_units([("某县教育局", "东村小学")])
    assert county.unit_tree().chain("某县教育局") == ("某县教育局",)
    with pytest.raises(UnitError, match="层级超过"):
        UnitTree().with_links([(f"u{n}", f"u{n + 1}") for n in range(7)])


def test_a_central_school_sees_its_schools_and_rolls_them_up(county):
    report = build_report(county, actor(county, "C1"), week(), None, county.clock)
    assert report.unit == "城关镇中心学校"
    assert {m.unit for m in report.members} == {"城关镇中心学校", "城关一小", "东村小学"}
    assert (report.totals.members, report.totals.participated, report.totals.passed) == (5, 3, 2)
    # Its own figures and each school's: the units below it are leaves, so there is nothing more to roll up.
    assert [(u.unit, u.members, u.passed) for u in report.units] == [
        ("城关一小", 2, 1), ("城关镇中心学校", 2, 1), ("东村小学", 1, 0),
    ]
    assert report.rollup == []
    assert sorted(m.staff_no for m in report.not_yet) == ["C1", "S1", "V1"]
    below = build_report(county, actor(county, "C1"), week(), "东村小学", county.clock)
    assert [m.staff_no for m in below.members] == ["V1"]
    with pytest.raises(AccessDenied):
        build_report(county, actor(county, "C1"), week(), "河口小学", county.clock)
    with pytest.raises(AccessDenied):
        build_report(county, actor(county, "S1"), week(), "城关镇中心学校", county.clock)


def test_the_bureau_ranks_townships_and_can_pick_the_depth(county):
    report = build_report(county, OPERATOR, week(), None, county.clock)
    # One top unit (the bureau): the ranking is of the townships below it, the bureau's own staff apart.
    assert [(u.unit, u.members, u.passed) for u in report.rollup] == [
        ("河口镇中心学校", 2, 1), ("城关镇中心学校", 5, 2), ("某县教育局（本级）", 1, 0),
    ]
    assert build_report(county, OPERATOR, week(), None, county.clock, level=2).rollup == report.rollup
    # Every school on a line of its own, or the whole county on one: the per-unit ranking says it already.
    assert build_report(county, OPERATOR, week(), None, county.clock, level=3).rollup == []
    assert build_report(county, OPERATOR, week(), None, county.clock, level=1).rollup == []
    # A deeper tree: a 片区 between the central school and its schools rolls up.
    county.link_units([("城关北片", "城关镇中心学校"), ("东村小学", "城关北片"), ("城关一小", "城关北片")])
    central = build_report(county, actor(county, "C1"), week(), None, county.clock)
    assert [(u.unit, u.members, u.participated, u.passed) for u in central.rollup] == [
        ("城关镇中心学校（本级）", 2, 1, 1), ("城关北片", 3, 2, 1)]  # ranked: 50% passed before 33%
    with pytest.raises(XuefaError, match="汇总层级"):
        build_report(county, OPERATOR, week(), None, county.clock, level=0)


def test_records_and_look_ups_reach_below_and_no_further(county):
    central = actor(county, "C1")
    village = access.find_member(county, central, "V1")
    assert study_record(county, central, village, week(), county.clock).member.staff_no == "V1"
    with pytest.raises(NotFound):
        access.find_member(county, central, "H2")
    with pytest.raises(AccessDenied):
        study_record(county, central, county.find_members("H2")[0], week(), county.clock)
    records = unit_records(county, central, "城关镇中心学校", week(), county.clock)
    assert {r.member.staff_no for r in records} == {"C1", "C2", "S1", "S2", "V1"}
    county.add_session("2026-12-02", "村小学法", "东村小学", "教师法", "", [village.id], None)
    assert [s.title for s in county.sessions(units=access.sessions_view_units(county, central))] == ["村小学法"]
    assert county.sessions(units=access.sessions_view_units(county, actor(county, "H1"))) == []


def test_a_roster_names_parents_and_takes_other_systems_headers(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("名字,编号,学校,身份,电话,所属学区\n张三,t9,西村小学,教师,138 0000 0009,西镇中心学校\n",
                    encoding="utf-8")
    (row,), _ = parse_roster(path)
    assert (row.name, row.staff_no, row.unit, row.role, row.phone, row.parent) == (
        "张三", "T9", "西村小学", "teacher", "13800000009", "西镇中心学校")
    path.write_text("名字,号码\n张三,1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="缺少列：工号、单位、角色。名册应有列：姓名、工号、单位、角色.*编号、学校、电话"):
        parse_roster(path)
    path.write_text("姓名,工号,单位,角色,上级单位\n甲,A,一小,教师,甲镇\n乙,B,一小,教师,乙镇\n", encoding="utf-8")
    with pytest.raises(XuefaError, match="上级单位与第2行不一致"):
        parse_roster(path)


def test_a_central_school_admin_imports_rows_of_their_schools_only(county, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("姓名,工号,单位,角色,上级单位\n新老师,N1,东村小学,教师,\n新村小,N2,西村教学点,教师,城关镇中心学校\n"
                    "外人,N3,河口小学,教师,\n自改,N4,城关镇中心学校,教师,某县教育局\n", encoding="utf-8")
    c1 = actor(county, "C1")
    rows, skipped = parse_roster(path, unit=c1.unit, units=access.scope_units(county, c1), repository=county,
                                 skip_invalid=True)
    assert [r.staff_no for r in rows] == ["N1", "N2"]
    assert [row for row, _ in skipped] == [4, 5]


def test_close_names_catch_the_typo():
    assert close_names("城关1小", ["城关一小", "县二中", "河口小学"]) == ["城关一小"]
    assert close_names("城关一小 ", ["城关一小"]) == ["城关一小"]
    assert close_names("实验幼儿园", ["城关一小", "县二中"]) == []
    check_new_units([], ["城关1小"], allowed=False, confirm="")  # the first roster creates its units
    with pytest.raises(NewUnitsError) as refused:
        check_new_units(["城关一小", "县二中"], ["城关一小", "城关1小"], allowed=False, confirm="--new-units")
    assert [u.name for u in refused.value.units] == ["城关1小"] and "城关一小" in str(refused.value)


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("XUEFA_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("XUEFA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return lambda *args: CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_the_cli_refuses_a_new_unit_until_new_units_naming_the_close_ones(run, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("姓名,工号,单位,角色\n甲,A1,城关一小,教师\n乙,B1,县二中,教师\n", encoding="utf-8")
    assert run("roster", "import", str(first)).exit_code == 0
    typo = tmp_path / "typo.csv"
    typo.write_text("姓名,工号,单位,角色\n丙,A2,城关1小,教师\n丁,A3,城关一小,教师\n", encoding="utf-8")
    refused = run("roster", "import", str(typo))
    assert refused.exit_code == 1
    assert "新单位“城关1小”——与已有单位 城关一小 相近" in refused.output and "--new-units" in refused.output
    assert "A3" not in run("roster", "list").output  # nothing of the file was imported
    allowed = run("roster", "import", "--new-units", str(typo))
    assert allowed.exit_code == 0 and "新增 2 人" in allowed.output
    assert "城关1小" in run("roster", "list").output


def test_the_cli_units_file_and_template(run, tmp_path):
    units = tmp_path / "units.csv"
    units.write_text("单位,上级单位\n城关镇中心学校,某县\n城关一小,城关镇中心学校\n", encoding="utf-8")
    done = run("roster", "units", str(units))
    assert done.exit_code == 0 and "某县\n　城关镇中心学校\n　　城关一小" in done.output
    loop = tmp_path / "loop.csv"
    loop.write_text("单位,上级单位\n某县,城关一小\n", encoding="utf-8")
    refused = run("roster", "units", str(loop))
    assert refused.exit_code == 1 and "循环" in refused.output
    made = run("roster", "template", "模板.xlsx")
    assert made.exit_code == 0
    book = openpyxl.load_workbook(tmp_path / "模板.xlsx")
    assert [c.value for c in book.worksheets[0][1]] == ["姓名", "工号", "单位", "角色", "手机", "上级单位"]
    imported = run("roster", "import", "模板.xlsx")  # its example units exist already: no --new-units needed
    assert imported.exit_code == 0 and "新增 3 人" in imported.output
    assert run("roster", "units").output == "某县\n　城关镇中心学校\n　　城关一小\n"


def test_a_central_schools_digest_names_who_has_not_passed_in_its_schools(county):
    from knowledge.outreach import unit_digest_batches

    round_ = county.round_for_week("2026-W49")
    batches = {tuple(m.staff_no for m in b.members): b.notice(None).text for b in unit_digest_batches(
        county, county.clock, round_)}
    central = batches[("C1",)]
    assert "村小老师" in central and "一小校长" in central and "城关校长" in central
    assert "河口" not in central and "一小老师" not in central  # passed, or another township's
    assert "村小老师" not in batches[("S1",)]  # a school's admin sees only their school
