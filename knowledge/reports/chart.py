"""The participation report as a chart (matplotlib, Agg): unit rates and the weekly trend, PNG or SVG."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MultipleLocator, PercentFormatter

from knowledge import messages as M
from knowledge.reports.shapes import Report, TrendPoint, percent_text

DPI = 100
PARTICIPATION_COLOR = "#2f6db5"
PASS_COLOR = "#e08a2c"
MUTED = "#6b7280"
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$")


def plain(text: str) -> str:
    """Keep text literal in a chart: matplotlib reads $…$ as mathtext, and a unit named $\\frac{x$ would fail."""
    return text.replace("$", r"\$")


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
    report: Report, path_or_buffer: str | Path | IO[bytes], *, width_px: int = 1200, height_px: int = 700,
    fmt: str = "png",
) -> None:
    """Draw the report as a PNG (or SVG) of width_px × height_px: unit rates, and the weekly trend if any."""
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
    figure.savefig(path_or_buffer, format=fmt, dpi=DPI, facecolor="white")


def _font(family: str, size: float) -> FontProperties:
    """Return font properties for the CJK family."""
    return FontProperties(family=family, size=size)


def _draw_header(header: Any, report: Report, family: str, scale: float, *, margin: float) -> None:
    """Write the title, the generation time, the totals line and the legend across the top."""
    title = plain(M.CHART_TITLE.format(title=M.REPORT_TITLE, period=report.period.text, unit=report.unit_label))
    header.text(margin, 0.9, title, va="top", ha="left", fontproperties=_font(family, 17 * scale), color="#111827")
    generated = M.CHART_GENERATED.format(generated=report.generated_at)
    header.text(1 - margin, 0.9, generated, va="top", ha="right", color=MUTED, fontproperties=_font(family, 9 * scale))
    totals = report.totals
    subtitle = M.CHART_SUBTITLE.format(
        members=f"{totals.members:,}",
        participation=percent_text(totals.participation_rate),
        passed=percent_text(totals.pass_rate),
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
            label = M.CHART_OVERALL.format(rate=word, value=percent_text(rate))
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
    axes.set_yticks(list(positions), [plain(_short(u.unit, 14)) for u in units])
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
