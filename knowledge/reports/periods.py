"""Reporting periods: an ISO week, a quarter or a year, read from what people type and said back in words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from knowledge import messages as M
from knowledge.errors import XuefaError

FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a report can be about


class PeriodError(XuefaError):
    """A period that cannot be understood."""


@dataclass(frozen=True)
class Period:
    """A reporting period with inclusive ISO dates."""

    kind: str  # "week", "quarter" or "year"
    label: str  # 2026-W48, 2026Q4, 2026
    start: str
    end: str

    @property
    def text(self) -> str:
        """Say the period in words: 2026年第48周, 2026年第4季度, 2026年度."""
        year = self.start[:4] if self.kind != "week" else self.label[:4]
        if self.kind == "week":
            return M.REPORT_PERIOD_WEEK.format(year=year, week=int(self.label[-2:]))
        if self.kind == "quarter":
            return M.REPORT_PERIOD_QUARTER.format(year=year, quarter=self.label[-1])
        return M.REPORT_PERIOD_YEAR.format(year=year)

    @property
    def range_text(self) -> str:
        """Say the period in words with its first and last day."""
        return M.REPORT_PERIOD_RANGE.format(label=self.text, start=self.start, end=self.end)

    def bounds(self, tz: str) -> tuple[str, str]:
        """Return the period as a UTC ISO range covering its local days."""
        zone = ZoneInfo(tz)
        start = datetime.combine(date.fromisoformat(self.start), time(0, 0), zone)
        end = datetime.combine(date.fromisoformat(self.end), time(23, 59, 59), zone)
        return (
            start.astimezone(timezone.utc).isoformat(timespec="seconds"),
            end.astimezone(timezone.utc).isoformat(timespec="seconds"),
        )


def quarter_of(day: date) -> Period:
    """Return the quarter a day falls in."""
    q = (day.month - 1) // 3 + 1
    start = date(day.year, 3 * q - 2, 1)
    end = (date(day.year + (q == 4), (3 * q) % 12 + 1, 1)) - timedelta(days=1)
    return Period("quarter", f"{day.year}Q{q}", start.isoformat(), end.isoformat())


def week_of(day: date) -> Period:
    """Return the ISO week a day falls in."""
    year, week, _ = day.isocalendar()
    monday = day - timedelta(days=day.isoweekday() - 1)
    return Period("week", f"{year}-W{week:02d}", monday.isoformat(), (monday + timedelta(days=6)).isoformat())


def year_of(year: int) -> Period:
    """Return a calendar year."""
    return Period("year", str(year), f"{year}-01-01", f"{year}-12-31")


def parse_period(text: str | None, today: date) -> Period:
    """Understand 本周/上周/本季度/上季度/本年/2026Q4/2026-W48/2026; default: this week."""
    text = (text or "本周").strip().upper().replace("第", "").replace(" ", "")
    year = re.match(r"\d{4}", text)
    if year and not FIRST_YEAR <= int(year.group()) <= LAST_YEAR:
        raise PeriodError(M.PERIOD_BAD.format(text=text))
    if text in ("本周", "THIS-WEEK", "WEEK"):
        return week_of(today)
    if text == "上周":
        return week_of(today - timedelta(days=7))
    if text in ("本季度", "本季", "QUARTER"):
        return quarter_of(today)
    if text in ("上季度", "上季"):
        return quarter_of(date.fromisoformat(quarter_of(today).start) - timedelta(days=1))
    if text in ("本年", "今年", "本年度", "YEAR"):
        return year_of(today.year)
    match = re.fullmatch(r"(\d{4})-?Q([1-4])", text) or re.fullmatch(r"(\d{4})年?([1-4])季度", text)
    if match:
        return quarter_of(date(int(match.group(1)), 3 * int(match.group(2)) - 2, 1))
    match = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text)
    if match:
        try:
            return week_of(date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1))
        except ValueError:
            raise PeriodError(M.PERIOD_BAD.format(text=text)) from None
    match = re.fullmatch(r"(\d{4})年?(度)?", text)
    if match:
        return year_of(int(match.group(1)))
    raise PeriodError(M.PERIOD_BAD.format(text=text))
