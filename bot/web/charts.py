"""The dashboard's weekly trend as a small inline SVG, drawn here from the report's trend points.

The files (Excel, PNG) keep their matplotlib chart; on a phone the page wants a chart that scales
to the screen, costs microseconds instead of a quarter second, and carries no <style> element or
style attribute, which the Content-Security-Policy (style-src 'self') would block: every colour
and size here is an SVG presentation attribute.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from knowledge import messages as M
from knowledge.reports import TrendPoint

WIDTH, HEIGHT = 360, 210  # about a phone's width in CSS pixels: the text keeps its size on the main screen
LEFT, RIGHT, TOP, BOTTOM = 38, 8, 30, 28
PARTICIPATION, PASSED, GRID, TEXT = "#2f6db5", "#e08a2c", "#d9dde3", "#6b7280"
MAX_LABELS = 6


def trend_svg(trend: list[TrendPoint]) -> Markup:
    """Return the participation and pass rate per week as an SVG element (empty when there are no rounds)."""
    if not trend:
        return Markup("")
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = width / len(trend)

    def x(i: int) -> float:
        return LEFT + (i + 0.5) * step

    def y(value: float) -> float:
        return TOP + (1 - value) * height

    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'aria-label="{escape(M.WEB_TREND_TITLE)}"><title>{escape(M.WEB_TREND_TITLE)}</title>'
    ]
    for level in (0, 0.25, 0.5, 0.75, 1):
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(level):.1f}" y2="{y(level):.1f}" '
                   f'stroke="{GRID}" stroke-width="1"/>')
        out.append(f'<text x="{LEFT - 5}" y="{y(level) + 4:.1f}" font-size="11" fill="{TEXT}" '
                   f'text-anchor="end">{level:.0%}</text>')
    every = max(1, math.ceil(len(trend) / MAX_LABELS))
    for i, point in enumerate(trend):
        if i % every == 0:
            label = escape(M.CHART_WEEK_TICK.format(week=int(point.week[-2:])))
            out.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 17}" font-size="11" fill="{TEXT}" '
                       f'text-anchor="middle">{label}</text>')
    for color, rate in ((PARTICIPATION, "participation_rate"), (PASSED, "pass_rate")):
        points = [(x(i), y(getattr(p, rate))) for i, p in enumerate(trend) if getattr(p, rate) is not None]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2" '
                       f'stroke-linejoin="round"/>')
        radius = 2 if len(points) > 20 else 3.5
        out += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{radius}" fill="{color}"/>' for px, py in points]
    for n, (color, label) in enumerate(((PARTICIPATION, M.WEB_CARD_PARTICIPATION), (PASSED, M.WEB_CARD_PASS))):
        left = LEFT + n * 80
        out.append(f'<rect x="{left}" y="8" width="12" height="12" rx="2" fill="{color}"/>')
        out.append(f'<text x="{left + 17}" y="18" font-size="12" fill="{TEXT}">{escape(label)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
