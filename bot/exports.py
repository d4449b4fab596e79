"""Export participation reports: an Excel workbook (openpyxl) and a PNG chart (matplotlib, Agg)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MultipleLocator, PercentFormatter
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from knowledge import messages as M
from knowledge.stats import MemberRow, Period, Report, TrendPoint, UnitStats

PERCENT = "0.0%"
SCORE = "0.0"
DATETIME = "yyyy-mm-dd hh:mm"
DATE = "yyyy-mm-dd"
DPI = 100
PARTICIPATION_COLOR = "#2f6db5"
PASS_COLOR = "#e08a2c"
MUTED = "#6b7280"

_SHEET_MAX = 31
_SHEET_INVALID = re.compile(r"[\[\]:*?/\\]")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


# --- shared text -------------------------------------------------------------


def period_text(period: Period) -> str:
    """Return the period in words, e.g. 2026年第4季度, falling back to its label."""
    label = period.label
    if match := _WEEK.match(label):
        return M.REPORT_PERIOD_WEEK.format(year=match[1], week=int(match[2]))
    if match := _QUARTER.match(label):
        return M.REPORT_PERIOD_QUARTER.format(year=match[1], quarter=match[2])
    if match := _YEAR.match(label):
        return M.REPORT_PERIOD_YEAR.format(year=match[1])
    return label


def _period_range(period: Period) -> str:
    """Return the period in words with its first and last day."""
    return M.REPORT_PERIOD_RANGE.format(label=period_text(period), start=period.start, end=period.end)


def _unit_text(report: Report) -> str:
    """Return the report's unit, or the words for all units."""
    return report.unit or M.REPORT_ALL_UNITS


def _timestamp_text(value: str) -> str:
    """Return an ISO timestamp as 'YYYY-MM-DD HH:MM', or the text unchanged."""
    moment = _parse_moment(value)
    return moment.strftime("%Y-%m-%d %H:%M") if isinstance(moment, datetime) else value


def _percent_text(value: float | None) -> str:
    """Return a rate as text for titles, e.g. 85.0%."""
    return "—" if value is None else f"{value:.1%}"


# --- Excel -------------------------------------------------------------------


class _Styles:
    """The few style objects of a workbook, made once and shared by every cell."""

    def __init__(self) -> None:
        self.title = Font(bold=True, size=13)
        self.header_font = Font(bold=True, color="1F2937")
        self.header_fill = PatternFill("solid", fgColor="DCE6F1")
        self.header_border = Border(bottom=Side(style="thin", color="8EA9C1"))
        self.header_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.total_font = Font(bold=True)
        self.total_border = Border(top=Side(style="thin", color="8EA9C1"))
        self.not_done = Font(color="C2410C")
        self.unreachable = Font(color="B91C1C", bold=True)


@dataclass(frozen=True)
class _Column:
    """One column of a table: its header, number format, fonts for some values and a minimum width."""

    header: str
    number_format: str | None = None
    fonts: Mapping[str, Font] | None = None
    min_width: float = 9


def write_xlsx(report: Report, path_or_buffer: str | Path | IO[bytes]) -> None:
    """Write the report as an .xlsx workbook: summary, not-yet list, trend and one sheet per unit."""
    # write_only streams rows straight to the file: a year of 10,000 members stays well under 2 s.
    workbook = Workbook(write_only=True)
    styles = _Styles()
    period = period_text(report.period)
    taken = {name.casefold() for name in (M.XLSX_SHEET_SUMMARY, M.XLSX_SHEET_NOT_YET, M.XLSX_SHEET_TREND, "history")}
    _write_summary(workbook, styles, report)
    _write_not_yet(workbook, styles, report, period)
    _write_trend(workbook, styles, report, period)
    stats = {unit.unit: unit for unit in report.units}
    for unit, members in _members_by_unit(report).items():
        counts = stats.get(unit) or UnitStats(
            unit, len(members), sum(1 for m in members if m.participated), sum(1 for m in members if m.done)
        )
        title = M.XLSX_UNIT_TITLE.format(
            unit=unit, period=period, members=counts.members, participated=counts.participated, passed=counts.passed
        )
        _write_members(workbook, styles, report, sheet_title(unit, taken), title, members, with_unit=False)
    workbook.save(path_or_buffer)


def sheet_title(name: str, taken: set[str]) -> str:
    """Return a valid Excel sheet name for name that is not in taken, and add it (casefolded) to taken."""
    base = _SHEET_INVALID.sub("_", name).strip().strip("'").strip() or M.XLSX_SHEET_UNNAMED
    candidate = _clip(base, _SHEET_MAX)
    number = 2
    while candidate.casefold() in taken:
        suffix = f"({number})"
        candidate = _clip(base, _SHEET_MAX - len(suffix)).rstrip("'") + suffix
        number += 1
    taken.add(candidate.casefold())
    return candidate


def _clip(text: str, limit: int) -> str:
    """Cut text to at most limit UTF-16 code units, the unit Excel counts sheet names in."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def _members_by_unit(report: Report) -> dict[str, list[MemberRow]]:
    """Group members by unit, in the units' ranked order, then any unit the ranking misses."""
    if not report.members:
        return {}
    groups: dict[str, list[MemberRow]] = {unit.unit: [] for unit in report.units}
    for member in report.members:
        groups.setdefault(member.unit, []).append(member)
    return groups


def _write_summary(workbook: Workbook, styles: _Styles, report: Report) -> None:
    """Add the 汇总 sheet: one row per unit and a totals row."""
    columns = [
        _Column(M.XLSX_COL_UNIT, min_width=14),
        _Column(M.XLSX_COL_MEMBERS),
        _Column(M.XLSX_COL_PARTICIPATED),
        _Column(M.XLSX_COL_PASSED),
        _Column(M.REPORT_PARTICIPATION_RATE, PERCENT),
        _Column(M.REPORT_PASS_RATE, PERCENT),
        _Column(M.XLSX_COL_AVERAGE, SCORE),
    ]
    title = M.XLSX_TITLE.format(
        title=M.REPORT_TITLE,
        period=_period_range(report.period),
        unit=_unit_text(report),
        generated=_timestamp_text(report.generated_at),
    )
    rows = [_unit_values(unit) for unit in report.units]
    totals = [M.XLSX_TOTAL_ROW, *_unit_values(report.totals)[1:]]
    _write_table(workbook, styles, M.XLSX_SHEET_SUMMARY, title, columns, rows, totals=totals)


def _unit_values(unit: UnitStats) -> list[Any]:
    """Return a unit's summary row."""
    return [
        unit.unit,
        unit.members,
        unit.participated,
        unit.passed,
        unit.participation_rate,
        unit.pass_rate,
        unit.average_score,
    ]


def _write_not_yet(workbook: Workbook, styles: _Styles, report: Report, period: str) -> None:
    """Add the 未完成名单 sheet, ordered like the units' ranking."""
    rank = {unit.unit: index for index, unit in enumerate(report.units)}
    members = sorted(report.not_yet, key=lambda m: rank.get(m.unit, len(rank)))
    title = M.XLSX_NOT_YET_TITLE.format(period=period, n=len(members))
    # Fewer columns than a unit sheet: this list repeats every member who has not finished, and a
    # year's list is most of the county, so every column costs (full-year export target: 2 s).
    columns = [
        _Column(M.XLSX_COL_UNIT, min_width=14),
        _Column(M.XLSX_COL_NAME),
        _Column(M.XLSX_COL_STAFF_NO),
        _Column(M.XLSX_COL_ROUNDS),
        _Column(M.XLSX_COL_PASSED),
        _Column(M.XLSX_COL_LAST_ACTIVITY, DATETIME, min_width=16),
        *([_Column(M.XLSX_COL_PHONE, min_width=13)] if report.show_phones else []),
    ]
    rows = [
        [m.unit, m.name, m.staff_no, m.rounds, m.passed, _parse_moment(m.last_activity),
         *([m.phone] if report.show_phones else [])]
        for m in members
    ]
    _write_table(workbook, styles, M.XLSX_SHEET_NOT_YET, title, columns, rows)


def _write_trend(workbook: Workbook, styles: _Styles, report: Report, period: str) -> None:
    """Add the 趋势 sheet: one row per week."""
    columns = [
        _Column(M.XLSX_COL_WEEK, min_width=10),
        _Column(M.XLSX_COL_MEMBERS),
        _Column(M.XLSX_COL_PARTICIPATED),
        _Column(M.XLSX_COL_PASSED),
        _Column(M.REPORT_PARTICIPATION_RATE, PERCENT),
        _Column(M.REPORT_PASS_RATE, PERCENT),
    ]
    rows = [[p.week, p.members, p.participated, p.passed, p.participation_rate, p.pass_rate] for p in report.trend]
    _write_table(workbook, styles, M.XLSX_SHEET_TREND, M.XLSX_TREND_TITLE.format(period=period), columns, rows)


def _write_members(
    workbook: Workbook,
    styles: _Styles,
    report: Report,
    name: str,
    title: str,
    members: Sequence[MemberRow],
    *,
    with_unit: bool,
) -> None:
    """Add a sheet listing members, with the phone column only when the report may show phones."""
    status_fonts = {M.XLSX_STATUS_NOT_YET: styles.not_done, M.XLSX_STATUS_UNREACHABLE: styles.unreachable}
    columns = [
        *([_Column(M.XLSX_COL_UNIT, min_width=14)] if with_unit else []),
        _Column(M.XLSX_COL_NAME),
        _Column(M.XLSX_COL_STAFF_NO),
        _Column(M.XLSX_COL_ROLE),
        _Column(M.XLSX_COL_ROUNDS),
        _Column(M.XLSX_COL_PARTICIPATED),
        _Column(M.XLSX_COL_PASSED),
        _Column(M.XLSX_COL_BEST, SCORE),
        _Column(M.XLSX_COL_LAST_ACTIVITY, DATETIME, min_width=16),
        _Column(M.XLSX_COL_STATUS, fonts=status_fonts),
        *([_Column(M.XLSX_COL_PHONE, min_width=13)] if report.show_phones else []),
    ]
    roles = M.ROLE_LABELS
    rows = []
    for member in members:
        row = [
            *([member.unit] if with_unit else []),
            member.name,
            member.staff_no,
            roles.get(member.role, member.role),
            member.rounds,
            member.participated,
            member.passed,
            member.best_score,
            _parse_moment(member.last_activity),
            status_text(member),
            *([member.phone] if report.show_phones else []),
        ]
        rows.append(row)
    _write_table(workbook, styles, name, title, columns, rows)


def status_text(member: MemberRow) -> str:
    """Return the member's status; passing every round outranks being unreachable."""
    if member.done:
        return M.XLSX_STATUS_DONE
    return M.XLSX_STATUS_NOT_YET if member.reachable else M.XLSX_STATUS_UNREACHABLE


def _parse_moment(value: str | None) -> datetime | str | None:
    """Return an ISO date or timestamp as a naive local datetime (Excel has no time zones), else the text."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return moment.replace(tzinfo=None)


def _write_table(
    workbook: Workbook,
    styles: _Styles,
    name: str,
    title: str,
    columns: Sequence[_Column],
    rows: Sequence[list[Any]],
    *,
    totals: list[Any] | None = None,
) -> None:
    """Add a sheet: a title row, a styled header row with frozen panes and a filter, then the rows."""
    sheet = workbook.create_sheet(name)
    # a write-only sheet writes its column widths and panes with the first row, so they must come first.
    for index, column in enumerate(columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = _width(column, rows, index)
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{len(rows) + 2}"
    sheet.print_title_rows = "1:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True

    heading = WriteOnlyCell(sheet, title)
    heading.font = styles.title
    sheet.append([heading])
    sheet.append([_header_cell(sheet, styles, column.header) for column in columns])
    styled = [(index, column) for index, column in enumerate(columns) if column.number_format or column.fonts]
    for values in rows:
        sheet.append(_row_cells(sheet, values, styled))
    if totals is not None:
        cells = _row_cells(sheet, totals, styled)
        for index, value in enumerate(cells):
            cell = value if isinstance(value, Cell) else WriteOnlyCell(sheet, value)
            cell.font = styles.total_font
            cell.border = styles.total_border
            cells[index] = cell
        sheet.append(cells)


def _header_cell(sheet: Any, styles: _Styles, text: str) -> Cell:
    """Return a bold, filled header cell."""
    cell = WriteOnlyCell(sheet, text)
    cell.font = styles.header_font
    cell.fill = styles.header_fill
    cell.border = styles.header_border
    cell.alignment = styles.header_align
    return cell


def _row_cells(sheet: Any, values: list[Any], styled: Sequence[tuple[int, _Column]]) -> list[Any]:
    """Return a row ready to append: plain values, and styled cells in the columns that have a format or fonts."""
    row = list(values)
    for index, column in styled:
        value = row[index]
        if value is None or (isinstance(value, str) and not column.fonts):
            continue
        font = column.fonts.get(value) if column.fonts and isinstance(value, str) else None
        if font is None and not column.number_format:
            continue
        cell = WriteOnlyCell(sheet, value)
        if font is not None:
            cell.font = font
        if column.number_format == DATETIME:
            cell.number_format = DATETIME if value.hour or value.minute else DATE
        elif column.number_format:
            cell.number_format = column.number_format
        row[index] = cell
    return row


def _width(column: _Column, rows: Iterable[list[Any]], index: int) -> float:
    """Return a column width that fits its header and values, counting CJK characters as two."""
    widest = _display_width(column.header)
    for row in rows:
        value = row[index]
        if isinstance(value, str):
            widest = max(widest, _display_width(value))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            widest = max(widest, 7 if column.number_format else len(str(value)))
    return min(max(widest + 2, column.min_width), 48)


def _display_width(text: str) -> int:
    """Return how many Latin-character widths text takes, wide characters counting two."""
    return len(text) + sum(1 for char in text if ord(char) >= 0x2E80)


# --- chart -------------------------------------------------------------------


def font_path() -> Path:
    """Return the bundled Simplified Chinese font file (Noto Sans SC) used for charts."""
    try:
        from pylopdf_fonts_zh_cn import sans_path
    except ImportError as error:
        raise FileNotFoundError(M.CHART_FONT_MISSING) from error
    path = Path(sans_path())
    if not path.is_file():
        raise FileNotFoundError(M.CHART_FONT_MISSING)
    return path


def chart_font_family() -> str:
    """Register the CJK font with matplotlib once per process and return its family name."""
    path = font_path()
    entry = next((f for f in font_manager.fontManager.ttflist if Path(f.fname) == path), None)
    if entry is None:
        font_manager.fontManager.addfont(str(path))
        entry = next(f for f in font_manager.fontManager.ttflist if Path(f.fname) == path)
    return entry.name


def render_chart(
    report: Report, path_or_buffer: str | Path | IO[bytes], *, width_px: int = 1200, height_px: int = 700
) -> None:
    """Draw the report as a PNG of exactly width_px × height_px: unit rates, and the weekly trend if any."""
    family = chart_font_family()
    figure = Figure(figsize=(width_px / DPI, height_px / DPI), dpi=DPI, facecolor="white", layout="constrained")
    figure.get_layout_engine().set(w_pad=12 / DPI, h_pad=8 / DPI, wspace=0.04)
    FigureCanvasAgg(figure)
    scale = min(width_px / 1200, height_px / 700) ** 0.5
    header_px = 84 * scale
    header, body = figure.subfigures(2, 1, height_ratios=[header_px, height_px - header_px], hspace=0)
    _draw_header(header, report, family, scale, margin=14 / width_px)
    trend = len(report.trend) >= 2
    grid = body.add_gridspec(1, 2 if trend else 1, width_ratios=[3, 2] if trend else [1])
    _draw_units(body.add_subplot(grid[0, 0]), report, family, scale)
    if trend:
        _draw_trend(body.add_subplot(grid[0, 1]), report.trend, family, scale)
    figure.savefig(path_or_buffer, format="png", dpi=DPI, facecolor="white")


def _font(family: str, size: float) -> FontProperties:
    """Return font properties for the CJK family."""
    return FontProperties(family=family, size=size)


def _draw_header(header: Any, report: Report, family: str, scale: float, *, margin: float) -> None:
    """Write the title, the generation time, the totals line and the legend across the top."""
    title = M.CHART_TITLE.format(title=M.REPORT_TITLE, period=period_text(report.period), unit=_unit_text(report))
    header.text(margin, 0.9, title, va="top", ha="left", fontproperties=_font(family, 17 * scale), color="#111827")
    generated = M.CHART_GENERATED.format(generated=_timestamp_text(report.generated_at))
    header.text(1 - margin, 0.9, generated, va="top", ha="right", color=MUTED, fontproperties=_font(family, 9 * scale))
    totals = report.totals
    subtitle = M.CHART_SUBTITLE.format(
        members=f"{totals.members:,}",
        participation=_percent_text(totals.participation_rate),
        passed=_percent_text(totals.pass_rate),
    )
    header.text(margin, 0.12, subtitle, va="bottom", ha="left", color=MUTED, fontproperties=_font(family, 10.5 * scale))
    handles = [
        Patch(color=PARTICIPATION_COLOR, label=M.REPORT_PARTICIPATION_RATE),
        Patch(color=PASS_COLOR, label=M.REPORT_PASS_RATE),
    ]
    for rate, color, word in (
        (totals.participation_rate, PARTICIPATION_COLOR, M.REPORT_PARTICIPATION_RATE),
        (totals.pass_rate, PASS_COLOR, M.REPORT_PASS_RATE),
    ):
        if rate is not None and _shows_overall(report):
            label = M.CHART_OVERALL.format(rate=word, value=_percent_text(rate))
            handles.append(Line2D([], [], color=color, linestyle="--", linewidth=1.2, label=label))
    header.legend(handles=handles, loc="lower right", bbox_to_anchor=(1 - margin, 0.04), ncols=len(handles),
                  frameon=False, borderaxespad=0, prop=_font(family, 10 * scale), handlelength=1.6,
                  columnspacing=1.4)


def _draw_units(axes: Any, report: Report, family: str, scale: float) -> None:
    """Draw horizontal grouped bars of both rates per unit, best ranked on top, on a 0–100% axis."""
    units = report.units
    count = len(units)
    label_size = max(6.5, min(10.5, 300 / max(count, 1))) * scale
    axes.set_title(M.CHART_UNITS_TITLE, loc="left", fontproperties=_font(family, 12 * scale), pad=6)
    _style_axes(axes, family, label_size)
    axes.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    axes.xaxis.set_major_locator(MultipleLocator(0.2))
    axes.set_xlim(0, 1.09)
    axes.spines["left"].set_visible(False)
    axes.tick_params(axis="y", length=0)
    axes.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    axes.grid(axis="y", visible=False)
    if not units:
        axes.set_yticks([])
        axes.text(0.5, 0.5, M.CHART_NO_DATA, transform=axes.transAxes, ha="center", va="center", color=MUTED,
                  fontproperties=_font(family, 14 * scale))
        return
    slots = max(count, 10)
    axes.set_ylim(slots - 0.5 - (slots - count) / 2, -0.5 - (slots - count) / 2)
    positions = range(count)
    height = 0.38
    participation = [u.participation_rate or 0 for u in units]
    passing = [u.pass_rate or 0 for u in units]
    axes.barh([p - height / 2 for p in positions], participation, height, color=PARTICIPATION_COLOR)
    axes.barh([p + height / 2 for p in positions], passing, height, color=PASS_COLOR)
    axes.set_yticks(list(positions), [_short(u.unit, 14) for u in units])
    value_size = label_size * 0.82
    for position, unit in zip(positions, units):
        if unit.participation_rate is None:
            axes.text(0.01, position, M.CHART_NO_MEMBERS, va="center", ha="left", color=MUTED,
                      fontproperties=_font(family, value_size))
            continue
        for offset, rate, color in ((-height / 2, unit.participation_rate, PARTICIPATION_COLOR),
                                    (height / 2, unit.pass_rate or 0, PASS_COLOR)):
            axes.text(rate + 0.008, position + offset, f"{rate:.0%}", va="center", ha="left", color=color,
                      fontproperties=_font(family, value_size))
    totals = report.totals
    for rate, color in ((totals.participation_rate, PARTICIPATION_COLOR), (totals.pass_rate, PASS_COLOR)):
        if rate is not None and _shows_overall(report):
            axes.axvline(rate, color=color, linestyle="--", linewidth=1.1, alpha=0.8, zorder=1.5)


def _shows_overall(report: Report) -> bool:
    """Tell whether the overall rates add anything to the unit bars: not when there is only one unit."""
    return len(report.units) > 1


def _draw_trend(axes: Any, trend: Sequence[TrendPoint], family: str, scale: float) -> None:
    """Draw the weekly lines of both rates on a 0–100% axis."""
    axes.set_title(M.CHART_TREND_TITLE, loc="left", fontproperties=_font(family, 12 * scale), pad=6)
    _style_axes(axes, family, 9 * scale)
    positions = list(range(len(trend)))
    marker = "o" if len(trend) <= 16 else None
    for values, color in (
        ([p.participation_rate for p in trend], PARTICIPATION_COLOR),
        ([p.pass_rate for p in trend], PASS_COLOR),
    ):
        points = [math.nan if v is None else v for v in values]
        axes.plot(positions, points, color=color, linewidth=2, marker=marker, markersize=4)
        if values[-1] is not None:
            axes.annotate(f"{values[-1]:.0%}", (positions[-1], values[-1]), xytext=(4, 0),
                          textcoords="offset points", va="center", ha="left", color=color,
                          fontproperties=_font(family, 9 * scale))
    axes.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
    axes.yaxis.set_major_locator(MultipleLocator(0.2))
    axes.set_ylim(0, 1.02)
    axes.set_xlim(-0.5, len(trend) - 0.5 + len(trend) * 0.07)
    step = max(1, math.ceil(len(trend) / 8))
    ticks = positions[::step]
    years = {match[1] for point in trend if (match := _WEEK.match(point.week))}
    axes.set_xticks(ticks, [_week_tick(trend[i].week, len(years) == 1) for i in ticks])
    axes.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    axes.set_xlabel(M.CHART_WEEK_AXIS, fontproperties=_font(family, 9.5 * scale), color=MUTED)


def _style_axes(axes: Any, family: str, size: float) -> None:
    """Give an axes the report's quiet look and the CJK font on its tick labels."""
    axes.set_axisbelow(True)
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color("#9ca3af")
    axes.tick_params(labelfontfamily=family, labelsize=size, colors="#374151")


def _week_tick(week: str, one_year: bool) -> str:
    """Return a week label short enough for a tick: 第48周 within one year, else 26-W48."""
    match = _WEEK.match(week)
    if not match:
        return week
    return M.CHART_WEEK_TICK.format(week=int(match[2])) if one_year else f"{match[1][2:]}-W{int(match[2]):02d}"


def _short(text: str, limit: int) -> str:
    """Cut text to limit characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
