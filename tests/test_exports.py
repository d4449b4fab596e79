"""Excel and chart exports of participation reports."""

from __future__ import annotations

import io
import struct
import sys
import warnings
from datetime import datetime

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties
from matplotlib.image import imread
from openpyxl import load_workbook

from knowledge import messages as M
from knowledge.reports import MemberRow, Period, Report, TrendPoint, UnitStats
from knowledge.reports import chart as charts
from knowledge.reports import sheets
from knowledge.reports import xlsx as workbooks

SUMMARY_HEADER = [
    M.XLSX_COL_UNIT,
    M.XLSX_COL_MEMBERS,
    M.XLSX_COL_PARTICIPATED,
    M.XLSX_COL_PASSED,
    M.REPORT_PARTICIPATION_RATE,
    M.REPORT_PASS_RATE,
    M.XLSX_COL_AVERAGE,
]
MEMBER_HEADER = [
    M.XLSX_COL_NAME,
    M.XLSX_COL_STAFF_NO,
    M.XLSX_COL_ROLE,
    M.XLSX_COL_ROUNDS,
    M.XLSX_COL_PARTICIPATED,
    M.XLSX_COL_PASSED,
    M.XLSX_COL_BEST,
    M.XLSX_COL_LAST_ACTIVITY,
    M.XLSX_COL_STATUS,
]


def member(name, staff_no, unit, *, participated=2, passed=2, rounds=2, reachable=True, phone="13800000000",
           last="2026-11-20T08:30:00+08:00", role="teacher", best=0.925):
    return MemberRow(name=name, staff_no=staff_no, unit=unit, role=role, rounds=rounds, participated=participated,
                     passed=passed, best_score=best, last_activity=last, phone=phone, reachable=reachable)


def make_report(*, show_phones=False, units=None, trend_weeks=3) -> Report:
    units = units or ["城关第一小学", "县第二中学", "实验幼儿园"]
    members = [
        member("张伟", "T001", units[0]),
        member("李娜", "T002", units[0], participated=1, passed=0, role="unit_admin"),
        member("王芳", "T003", units[1], participated=0, passed=0, best=None, last=None, reachable=False),
        member("赵磊", "T004", units[1], reachable=False),
    ]
    stats = [
        UnitStats(units[0], 2, 2, 1, 0.88),
        UnitStats(units[1], 2, 1, 1, 0.905),
        *(UnitStats(unit, 0, 0, 0) for unit in units[2:]),
    ]
    trend = [TrendPoint(f"2026-W{week:02d}", 4, 2 + week % 2, 1) for week in range(40, 40 + trend_weeks)]
    return Report(
        period=Period("quarter", "2026Q4", "2026-10-01", "2026-12-31"),
        unit=None,
        totals=UnitStats("", 4, 3, 2, 0.892),
        units=stats,
        members=members,
        trend=trend,
        generated_at="2026-11-28 09:30",
        show_phones=show_phones,
    )


def written(report: Report):
    buffer = io.BytesIO()
    workbooks.write_xlsx(report, buffer)
    buffer.seek(0)
    return load_workbook(buffer)


def row_values(sheet, row: int) -> list:
    return [cell.value for cell in sheet[row]]


# --- Excel -------------------------------------------------------------------


def test_workbook_sheets_in_order_with_frozen_header_and_filter():
    book = written(make_report())
    assert book.sheetnames == [
        M.XLSX_SHEET_SUMMARY, M.XLSX_SHEET_NOT_YET, M.XLSX_SHEET_TREND, M.XLSX_SHEET_ITEMS, M.XLSX_SHEET_ARTICLES,
        "城关第一小学", "县第二中学", "实验幼儿园",
    ]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A3"
        assert sheet.auto_filter.ref.startswith("A2:")
        assert all(cell.font.b for cell in sheet[2])
        assert sheet["A2"].fill.fgColor.rgb.endswith("DCE6F1")


def test_summary_has_title_units_rates_as_percent_floats_and_totals():
    sheet = written(make_report())[M.XLSX_SHEET_SUMMARY]
    title = sheet["A1"].value
    assert "2026年第4季度" in title and "2026-10-01" in title and "2026-11-28 09:30" in title
    assert row_values(sheet, 2) == SUMMARY_HEADER
    # Scores are fractions in the core and points out of 100 everywhere people read them (chat, CSV, Excel).
    assert row_values(sheet, 3) == ["城关第一小学", 2, 2, 1, 1.0, 0.5, pytest.approx(88.0)]
    for column in "EF":
        cell = sheet[f"{column}3"]
        assert isinstance(cell.value, (int, float)) and 0 <= cell.value <= 1 and cell.number_format == "0.0%"
    assert isinstance(sheet["F3"].value, float)
    assert sheet["G3"].number_format == "0.0"
    assert row_values(sheet, 5)[:6] == ["实验幼儿园", 0, 0, 0, None, None]
    totals = row_values(sheet, 6)
    assert totals == [M.XLSX_TOTAL_ROW, 4, 3, 2, 0.75, 0.5, pytest.approx(89.2)]
    assert sheet["E6"].number_format == "0.0%" and sheet["A6"].font.b
    assert sheet.auto_filter.ref == "A2:G5"
    assert sheet.column_dimensions["A"].width >= 14


def test_unit_sheet_lists_members_with_status_role_and_dates_but_no_phone_by_default():
    book = written(make_report())
    sheet = book["县第二中学"]
    assert "县第二中学" in sheet["A1"].value
    assert row_values(sheet, 2) == MEMBER_HEADER
    unreachable, done_anyway = row_values(sheet, 3), row_values(sheet, 4)
    assert unreachable[:3] == ["王芳", "T003", M.ROLE_LABELS["teacher"]]
    assert unreachable[6:9] == [None, None, M.XLSX_STATUS_UNREACHABLE]
    assert done_anyway[8] == M.XLSX_STATUS_DONE and done_anyway[6] == pytest.approx(92.5)
    assert done_anyway[7] == datetime(2026, 11, 20, 8, 30)
    assert sheet["H4"].number_format == "yyyy-mm-dd hh:mm"
    first = book["城关第一小学"]
    assert row_values(first, 4)[2] == M.ROLE_LABELS["unit_admin"]
    assert row_values(first, 4)[8] == M.XLSX_STATUS_NOT_YET
    for sheet in book.worksheets:
        assert M.XLSX_COL_PHONE not in row_values(sheet, 2)
    assert book["实验幼儿园"].max_row == 2


def test_phone_column_only_when_the_report_shows_phones():
    book = written(make_report(show_phones=True))
    for name in ("城关第一小学", M.XLSX_SHEET_NOT_YET):
        header = row_values(book[name], 2)
        assert header[-1] == M.XLSX_COL_PHONE
        assert row_values(book[name], 3)[-1] == "13800000000"


def test_not_yet_sheet_lists_everyone_who_has_not_passed_every_round():
    sheet = written(make_report(show_phones=True))[M.XLSX_SHEET_NOT_YET]
    assert row_values(sheet, 2) == [
        M.XLSX_COL_UNIT, M.XLSX_COL_NAME, M.XLSX_COL_STAFF_NO, M.XLSX_COL_ROUNDS, M.XLSX_COL_PASSED,
        M.XLSX_COL_LAST_ACTIVITY, M.XLSX_COL_PHONE,
    ]
    rows = [row_values(sheet, row) for row in range(3, sheet.max_row + 1)]
    assert [(row[0], row[1]) for row in rows] == [("城关第一小学", "李娜"), ("县第二中学", "王芳")]
    assert "2" in sheet["A1"].value


def test_trend_sheet_has_weekly_rates_as_percent():
    sheet = written(make_report())[M.XLSX_SHEET_TREND]
    assert row_values(sheet, 2) == [
        M.XLSX_COL_WEEK, M.XLSX_COL_MEMBERS, M.XLSX_COL_PARTICIPATED, M.XLSX_COL_PASSED,
        M.REPORT_PARTICIPATION_RATE, M.REPORT_PASS_RATE,
    ]
    assert row_values(sheet, 3) == ["2026-W40", 4, 2, 1, 0.5, 0.25]
    assert sheet["E3"].number_format == "0.0%" and sheet["F5"].number_format == "0.0%"
    assert sheet.max_row == 5


def test_unit_sheet_names_are_sanitized_truncated_and_unique():
    long = "县第一中学附属实验小学城关校区教师发展中心培训部第一分部第二教研组"
    units = [f"{long}甲", f"{long}乙", "城关[东]/西:校*区?", "汇总", "  ", "'引号'"]
    report = make_report(units=units)
    report.members = [member(f"人{i}", f"T{i}", unit) for i, unit in enumerate(units)]
    names = written(report).sheetnames[5:]
    assert len(names) == len(units)
    assert len({name.casefold() for name in names + [M.XLSX_SHEET_SUMMARY]}) == len(names) + 1
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\") for name in names)
    assert len(long) > 31
    assert names[0] == long[:31] and names[1] == long[:28] + "(2)"
    assert names[2] == "城关_东__西_校_区_"
    assert names[3] == "汇总(2)"
    assert names[4] == M.XLSX_SHEET_UNNAMED
    assert names[5] == "引号"


def test_sheet_title_counts_case_insensitively():
    taken = {"abc"}
    assert sheets.sheet_title("ABC", taken) == "ABC(2)"
    assert sheets.sheet_title("abc", taken) == "abc(3)"


def test_report_without_members_has_no_unit_sheets(tmp_path):
    report = make_report()
    report.members = []
    path = tmp_path / "report.xlsx"
    workbooks.write_xlsx(report, path)
    book = load_workbook(path)
    assert book.sheetnames == [
        M.XLSX_SHEET_SUMMARY, M.XLSX_SHEET_NOT_YET, M.XLSX_SHEET_TREND, M.XLSX_SHEET_ITEMS, M.XLSX_SHEET_ARTICLES
    ]
    assert book[M.XLSX_SHEET_NOT_YET].max_row == 2


def test_a_period_says_itself_in_words():
    assert Period("week", "2026-W48", "2026-11-23", "2026-11-29").text == "2026年第48周"
    assert Period("quarter", "2026Q4", "2026-10-01", "2026-12-31").text == "2026年第4季度"
    assert Period("year", "2026", "2026-01-01", "2026-12-31").text == "2026年度"
    assert Period("week", "2027-W01", "2027-01-04", "2027-01-10").range_text == "2027年第1周（2027-01-04 至 2027-01-10）"


# --- chart -------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def rendered(report: Report, **size) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        # a CJK character the font lacks would show as a box and raise this warning
        warnings.filterwarnings("error", message=".*missing from font.*")
        charts.render_chart(report, buffer, **size)
    return buffer.getvalue()


def test_font_is_bundled_and_resolved_by_name():
    path = charts.font_path()
    assert path.is_file() and path.suffix == ".otf"
    family = charts.chart_font_family()
    assert family == "Noto Sans SC"
    assert charts.chart_font_family() == family
    assert sum(1 for entry in font_manager.fontManager.ttflist if entry.fname == str(path)) == 1
    assert font_manager.findfont(FontProperties(family=family), fallback_to_default=False) == str(path)


def test_missing_font_package_is_reported_in_chinese(monkeypatch):
    monkeypatch.setitem(sys.modules, "pylopdf_fonts_zh_cn", None)
    with pytest.raises(FileNotFoundError, match=M.CHART_FONT_MISSING[:8]):
        charts.font_path()


def test_chart_is_a_png_of_the_exact_size_and_not_blank():
    data = rendered(make_report())
    assert png_size(data) == (1200, 700)
    assert len(data) > 20_000
    pixels = imread(io.BytesIO(data))
    assert pixels.shape[:2] == (700, 1200)
    assert pixels[..., :3].std() > 0.1
    blue = (abs(pixels[..., 0] - 0x2F / 255) < 0.02) & (abs(pixels[..., 2] - 0xB5 / 255) < 0.02)
    assert blue.sum() > 1000


@pytest.mark.parametrize("width, height", [(801, 451), (1600, 900)])
def test_chart_honours_odd_and_large_sizes(width, height):
    assert png_size(rendered(make_report(), width_px=width, height_px=height)) == (width, height)


def test_chart_of_thirty_units_and_a_year_of_weeks():
    towns = "城关东关西河南山北岭石桥柳营桃源青龙白沙马集高庄李寨城南城北"
    units = [f"{towns[i % 15 * 2:i % 15 * 2 + 2]}镇第{i + 1}中心学校" for i in range(30)]
    report = make_report(units=units)
    report.units = [UnitStats(unit, 100, 100 - i, 90 - 2 * i, 80.0) for i, unit in enumerate(units)]
    report.trend = [TrendPoint(f"2026-W{week:02d}", 3000, 1500 + week * 20, 900 + week * 25) for week in range(1, 53)]
    assert png_size(rendered(report)) == (1200, 700)


def test_chart_without_units_or_trend_still_renders():
    report = make_report(trend_weeks=1)
    report.units = []
    report.totals = UnitStats("", 0, 0, 0)
    assert png_size(rendered(report, width_px=640, height_px=400)) == (640, 400)


def test_rendering_leaves_global_matplotlib_settings_alone():
    before = dict(matplotlib.rcParams)
    rendered(make_report())
    assert dict(matplotlib.rcParams) == before
