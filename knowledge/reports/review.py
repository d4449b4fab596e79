"""What teachers ask and who answered: questions per unit and topic, the share answered by xuefa, by
reviewers (法治副校长) and still waiting, the median time to a reviewer's answer, and the most-asked
topics as an Excel sheet for the bureau's annual report (普法工作总结). No names, no question texts."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

from openpyxl import Workbook

from knowledge import access
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.reports.periods import Period
from knowledge.reports.shapes import percent_text
from knowledge.review import days_between

if TYPE_CHECKING:
    from knowledge.store import Repository

REVIEWER_DONE = ("answered", "duplicate")


@dataclass
class ReviewFigures:
    """The figures of one period (all units, or the one unit a unit admin may see)."""

    period: Period
    by_unit_topic: list[tuple[str, str, int]] = field(default_factory=list)
    asked: int = 0
    by_xuefa: int = 0
    by_reviewers: int = 0
    waiting: int = 0
    closed_other: int = 0
    median_days: float | None = None
    topics: list[tuple[str, int, int]] = field(default_factory=list)  # topic, questions, answered by reviewers

    def share(self, n: int) -> str:
        """Say a count as its share of the questions asked."""
        return f"{n}（{percent_text(n / self.asked if self.asked else None)}）"

    def lines(self) -> list[str]:
        """Return the figures as lines of text (the CLI, the chat)."""
        lines = [
            M.REVIEW_REPORT_HEAD.format(since=self.period.start, until=self.period.end),
            M.REVIEW_REPORT_SHARES.format(asked=self.asked, by_xuefa=self.share(self.by_xuefa),
                                          by_reviewers=self.share(self.by_reviewers), waiting=self.share(self.waiting),
                                          closed_other=self.share(self.closed_other)),
            M.REVIEW_REPORT_MEDIAN.format(median=M.REVIEW_REPORT_DAYS.format(days=self.median_days))
            if self.median_days is not None else M.REVIEW_REPORT_MEDIAN_NONE,
            M.REVIEW_REPORT_TOPICS,
        ]
        lines += [M.REVIEW_REPORT_TOPIC_LINE.format(rank=n, topic=topic, n=count)
                  for n, (topic, count, _) in enumerate(self.topics[:10], 1)]
        lines += [M.REVIEW_REPORT_UNIT_LINE.format(unit=unit, topic=topic, n=n) for unit, topic, n in self.by_unit_topic]
        return lines


def review_figures(repository: Repository, actor: Actor, period: Period, tz: str, unit: str | None = None) -> ReviewFigures:
    """Count the period's questions and queue entries, within the units the actor may report on."""
    unit, covered = access.report_units(repository, actor, unit)  # a unit and everything below it
    since, until = period.bounds(tz)
    figures = ReviewFigures(period)
    rows = [r for r in repository.question_counts(since, until) if covered is None or r["unit"] in covered]
    topics: dict[str, list[int]] = {}
    for row in rows:
        topic = row["topic"] or M.REVIEW_TOPIC_OTHER
        figures.by_unit_topic.append((row["unit"] or M.REVIEW_UNIT_NONE, topic, row["n"]))
        topics.setdefault(topic, [0, 0])[0] += row["n"]
        figures.asked += row["n"]
    reviewed_hits = sum(r["n"] for r in repository.reviewed_hits(since, until) if covered is None or r["unit"] in covered)
    entries = [e for e in repository.entries_between(since, until)
               if e.reason != "law_changed" and (covered is None or e.unit in covered)]
    done = [e for e in entries if e.status in REVIEWER_DONE]
    for entry in done:
        topics.setdefault(entry.topic or M.REVIEW_TOPIC_OTHER, [0, 0])[1] += 1
    figures.by_reviewers = len(done) + reviewed_hits
    figures.waiting = sum(e.status == "waiting" for e in entries)
    figures.closed_other = len(entries) - len(done) - figures.waiting
    figures.by_xuefa = max(figures.asked - len(entries) - reviewed_hits, 0)
    times = [days_between(e.created_at, e.closed_at) for e in done if e.closed_at]
    figures.median_days = statistics.median(times) if times else None
    figures.topics = sorted(((t, n[0], n[1]) for t, n in topics.items()), key=lambda item: (-item[1], item[0]))
    return figures


def write_review_xlsx(figures: ReviewFigures, out: str | Path | IO[bytes]) -> None:
    """Write the most-asked topics and the questions per unit and topic as an .xlsx workbook."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(M.REVIEW_XLSX_TOPICS)
    sheet.append([M.REVIEW_REPORT_HEAD.format(since=figures.period.start, until=figures.period.end)])
    sheet.append(list(M.REVIEW_XLSX_TOPIC_HEAD))
    for rank, (topic, n, reviewed) in enumerate(figures.topics, 1):
        sheet.append([rank, topic, n, reviewed])
    units = workbook.create_sheet(M.REVIEW_XLSX_UNITS)
    units.append(list(M.REVIEW_XLSX_UNIT_HEAD))
    for unit, topic, n in figures.by_unit_topic:
        units.append([unit, topic, n])
    workbook.save(out)
