"""The shapes a participation report takes, shared by every channel and every file format."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge import messages as M
from knowledge.reports.periods import Period


def rate(part: int, whole: int) -> float | None:
    """Return part/whole, or None when there is no one to count."""
    return part / whole if whole else None


def percent_text(value: float | None) -> str:
    """Say a rate in percent (85.0%), or a dash when nobody counted: the chat, the web and the chart alike."""
    return "—" if value is None else f"{value:.1%}"


class Rates:
    """Participation and pass rates of anything that counts members, participants and passes."""

    members: int
    participated: int
    passed: int

    @property
    def participation_rate(self) -> float | None:
        """Return the share of members who took every quiz they had."""
        return rate(self.participated, self.members)

    @property
    def pass_rate(self) -> float | None:
        """Return the share of members who passed every quiz they had."""
        return rate(self.passed, self.members)


@dataclass
class UnitStats(Rates):
    """Counts for one unit (or for all units together) over a period."""

    unit: str
    members: int
    participated: int
    passed: int
    average_score: float | None = None


@dataclass
class MemberRow:
    """One member's line in a report."""

    name: str
    staff_no: str
    unit: str
    role: str
    rounds: int
    participated: int
    passed: int
    best_score: float | None
    last_activity: str | None
    phone: str | None = None
    reachable: bool = True

    @property
    def done(self) -> bool:
        """Tell whether the member passed every round of the period."""
        return self.rounds > 0 and self.passed >= self.rounds


@dataclass
class TrendPoint(Rates):
    """Counts of one week, for the trend line."""

    week: str
    members: int
    participated: int
    passed: int


HARD_BELOW = 0.5  # a correct rate under this marks a question most members get wrong
MIN_ANSWERED = 5  # fewer answers than this say nothing about a question yet


@dataclass
class ItemStat:
    """One question over a period: answers given and answered right."""

    stem: str
    kind: str
    citation: str
    answered: int
    correct: int

    @property
    def correct_rate(self) -> float | None:
        """Return the share of answers that were right."""
        return rate(self.correct, self.answered)

    @property
    def hard(self) -> bool:
        """Tell whether most answers were wrong, with enough answers to tell."""
        return self.answered >= MIN_ANSWERED and (self.correct_rate or 0) < HARD_BELOW


@dataclass
class ArticleStat:
    """One article over a period: the answers to every question on it."""

    citation: str
    questions: int
    answered: int
    correct: int

    @property
    def correct_rate(self) -> float | None:
        """Return the share of answers that were right."""
        return rate(self.correct, self.answered)


@dataclass
class Report:
    """A participation report for a period and one unit or all units."""

    period: Period
    unit: str | None
    totals: UnitStats
    units: list[UnitStats] = field(default_factory=list)  # ranked, best first
    members: list[MemberRow] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)
    generated_at: str = ""
    show_phones: bool = False
    items: list[ItemStat] = field(default_factory=list)  # per question answered, hardest first
    articles: list[ArticleStat] = field(default_factory=list)  # per article asked, hardest first
    rollup: list[UnitStats] = field(default_factory=list)  # per branch below the unit (a unit tree), ranked

    @property
    def unit_label(self) -> str:
        """Return the report's unit, or the words for all units."""
        return self.unit or M.REPORT_ALL_UNITS

    @property
    def file_name(self) -> str:
        """Return the name its files go by, without the extension: 学法统计-2026Q4-城关一小."""
        return M.STATS_FILE_NAME.format(period=self.period.label, unit=self.unit_label)

    @property
    def rounds(self) -> int:
        """Return how many rounds the period holds (one trend point each)."""
        return len(self.trend)

    @property
    def not_yet(self) -> list[MemberRow]:
        """Return the members who have not passed every round yet."""
        return [m for m in self.members if not m.done]
