"""Weekly quiz rounds: the schedule, choosing questions, attempts, scoring and reminders."""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from knowledge import messages as M
from knowledge.clock import Clock, iso
from knowledge.errors import XuefaError
from knowledge.models import StudyList
from knowledge.quizgen import CAPPED, WHICH_ARTICLE_CAP, draw_focused
from knowledge.quizzes import QuizQuestion

if TYPE_CHECKING:
    from knowledge.store import Repository

SCHEDULE_KEY = "quiz"
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
RECENT_ROUNDS = 8  # articles asked in this many recent rounds are avoided
POOL_FACTOR = 4  # a round's pool holds this many times the quiz length: every attempt draws anew
INTEREST_DAYS = 90
# When a study list names focus chapters or ranges, at least this share of a pool and of every
# attempt is asked about them (issue 18: a Q4 pool had 6 of 20 inside; the rest asked about marriage).
# Laws of the list without a focus of their own share the remaining part.
FOCUS_SHARE = 0.8


class QuizError(XuefaError):
    """No round can be run (no study list, no questions, deadline passed)."""


@dataclass
class Schedule:
    """When rounds open, close and remind; weekdays are ISO (1 = Monday … 7 = Sunday), times local."""

    push_weekday: int = 1
    push_time: str = "09:00"
    deadline_weekday: int = 7
    deadline_time: str = "22:00"
    questions: int = 5
    pass_mark: float = 0.8
    reminder_weekday: int = 5
    reminder_time: str = "16:00"
    digest_weekday: int = 1
    digest_time: str = "08:30"
    digest_enabled: bool = True
    enabled: bool = True

    def validate(self) -> None:
        """Raise QuizError naming the first bad field."""
        for name in ("push_weekday", "deadline_weekday", "reminder_weekday", "digest_weekday"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 7:
                raise QuizError(M.SCHEDULE_BAD_DAY.format(field=name, value=value))
        for name in ("push_time", "deadline_time", "reminder_time", "digest_time"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _TIME.fullmatch(value):
                raise QuizError(M.SCHEDULE_BAD_TIME.format(field=name, value=value))
        if not isinstance(self.questions, int) or isinstance(self.questions, bool) or not 1 <= self.questions <= 20:
            raise QuizError(M.SCHEDULE_BAD_COUNT.format(value=self.questions))
        mark = self.pass_mark
        if not isinstance(mark, (int, float)) or isinstance(mark, bool) or not 0 < mark <= 1:
            raise QuizError(M.SCHEDULE_BAD_PASS.format(value=self.pass_mark))
        # A round lives within one ISO week (Monday to Sunday): it is pushed, then reminded, then closes.
        push, reminder, deadline = self.moment("push"), self.moment("reminder"), self.moment("deadline")
        if not push < deadline:
            raise QuizError(M.SCHEDULE_DEADLINE_BEFORE_PUSH)
        if not push < reminder < deadline:
            raise QuizError(M.SCHEDULE_REMINDER_OUTSIDE)

    def moment(self, name: str) -> tuple[int, time]:
        """Return (ISO weekday, local time) of push, reminder, deadline or digest, for comparing within a week."""
        return getattr(self, f"{name}_weekday"), time.fromisoformat(getattr(self, f"{name}_time"))

    def at(self, name: str, day: date, tz: str) -> datetime:
        """Return when push, reminder, deadline or digest falls in the ISO week of a day, as an aware datetime."""
        weekday, clock = self.moment(name)
        monday = day - timedelta(days=day.isoweekday() - 1)
        return datetime.combine(monday + timedelta(days=weekday - 1), clock, ZoneInfo(tz))

    def to_json(self) -> str:
        """Serialise for the schedule table."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> Schedule:
        """Load from the schedule table, defaults for anything missing."""
        data = json.loads(text) if text else {}
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Round:
    """One week's quiz for the current study list."""

    id: int
    study_list_id: str
    week: str
    opens_at: str
    deadline: str
    pass_mark: float
    questions: int = 0  # how many questions each attempt draws from the pool
    question_ids: list[int] = field(default_factory=list)  # the pool

    def is_open(self, now: datetime) -> bool:
        """Tell whether answers still count."""
        return self.opens_at <= iso(now) <= self.deadline


@dataclass
class Attempt:
    """One go at a round by one member."""

    id: int
    round_id: int
    member_id: int
    number: int
    total: int
    answered: dict[int, list[int]] = field(default_factory=dict)  # position -> chosen options
    correct: int | None = None
    score: float | None = None
    passed: bool | None = None
    finished_at: str | None = None

    @property
    def next_position(self) -> int | None:
        """Return the first question not yet answered, or None when all are."""
        return next((p for p in range(self.total) if p not in self.answered), None)


@dataclass
class AttemptResult:
    """A finished attempt with each question's outcome, for the member's result message."""

    attempt: Attempt
    questions: list[QuizQuestion]
    best_score: float


def iso_week(day: date) -> str:
    """Return the ISO week label of a date: 2026-W48."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(day: date, schedule: Schedule, tz: str) -> tuple[datetime, datetime]:
    """Return when the week's round opens (Monday 00:00 local) and its deadline, as aware datetimes."""
    monday = day - timedelta(days=day.isoweekday() - 1)
    opens = datetime.combine(monday, time(0, 0), ZoneInfo(tz))
    return opens, schedule.at("deadline", day, tz)


def load_schedule(repository: Repository) -> Schedule:
    """Return the stored quiz schedule, or the defaults."""
    return Schedule.from_json(repository.get_setting(SCHEDULE_KEY))


def save_schedule(repository: Repository, schedule: Schedule) -> None:
    """Validate and store the quiz schedule."""
    schedule.validate()
    repository.set_setting(SCHEDULE_KEY, schedule.to_json())


def ensure_round(
    repository: Repository, study_list: StudyList | None, clock: Clock, rng: random.Random | None = None
) -> Round:
    """Return this week's round, creating it (and choosing its pool of questions) if needed."""
    schedule = load_schedule(repository)
    now, tz = clock.now(), clock.tz
    local_day = clock.today()
    week = iso_week(local_day)
    existing = repository.round_for_week(week)
    if existing is not None:
        return existing
    if study_list is None:
        raise QuizError(M.QUIZ_NO_LIST)
    opens, deadline = week_bounds(local_day, schedule, tz)
    if deadline <= now:
        # After Sunday's deadline a new round would be closed at birth and count against everyone.
        raise QuizError(M.QUIZ_CLOSED.format(deadline=deadline.strftime("%Y-%m-%d %H:%M")))
    pool = choose_questions(repository, study_list, schedule.questions * POOL_FACTOR, rng or random.Random(), now)
    if len(pool) < schedule.questions:
        raise QuizError(M.QUIZ_NO_QUESTIONS.format(list=study_list.title))
    ids = repository.save_questions(pool)
    return repository.create_round(
        study_list.id, week, iso(opens), iso(deadline), schedule.pass_mark, ids, schedule.questions
    )


def choose_questions(
    repository: Repository, study_list: StudyList, n: int, rng: random.Random, now: datetime
) -> list[QuizQuestion]:
    """Pick n questions: favour focus articles, articles members asked about or got wrong, avoid recent ones.

    Up to half come from the bureau's question bank; the rest are generated (knowledge.quizgen.draw:
    few "which article" questions, a mix of kinds, no question twice).
    """
    articles = repository.articles(law_ids=repository.law_ids([entry.title for entry in study_list.laws]))
    focus = {entry.title: entry.focus for entry in study_list.laws}
    recent = repository.recent_round_articles(RECENT_ROUNDS)
    recent_questions = repository.recent_round_questions(RECENT_ROUNDS)
    interest = repository.article_interest(iso(now - timedelta(days=INTEREST_DAYS)))
    weights = []
    for article in articles:
        weight = 1.0
        if focus.get(article.law_title):
            weight *= 4.0 if focus[article.law_title].covers(article) else 0.5
        weight *= 1.0 + min(interest.get(article.id, 0), 5)
        if article.id in recent:
            weight *= 0.05
        weights.append(weight)
    by_law: dict[str, list] = {}
    for article in articles:
        by_law.setdefault(article.law_title, []).append(article)
    titles = [entry.title for entry in study_list.laws]
    bank = repository.bank_questions(titles)
    chosen: list[QuizQuestion] = []
    if bank:
        # Up to half from the bank, questions not asked in recent rounds first.
        fresh = [q for q in bank if q.id not in recent_questions]
        stale = [q for q in bank if q.id in recent_questions]
        want = min(len(bank), n // 2)
        picked = rng.sample(fresh, min(len(fresh), want))
        picked += rng.sample(stale, want - len(picked))
        chosen += picked
        asked = {q.article_id for q in picked if q.article_id is not None}
        weights = [0.0 if article.id in asked else w for article, w in zip(articles, weights)]
    inside = [bool(focus.get(a.law_title)) and focus[a.law_title].covers(a) for a in articles]
    chosen += draw_focused(
        articles, rng, n - len(chosen), inside, FOCUS_SHARE, weights=weights, law_articles=by_law, other_titles=titles
    )
    rng.shuffle(chosen)
    return chosen[:n]


def focus_article_ids(repository: Repository, study_list: StudyList | None) -> set[int]:
    """Return the ids of the articles inside the list's focus chapters and ranges (empty without a focus)."""
    if study_list is None:
        return set()
    focused = [entry for entry in study_list.laws if entry.focus]
    if not focused:
        return set()
    focus = {entry.title: entry.focus for entry in focused}
    articles = repository.articles(law_ids=repository.law_ids(list(focus)))
    return {a.id for a in articles if a.law_title in focus and focus[a.law_title].covers(a)}


def start_or_resume(
    repository: Repository, round_: Round, member_id: int, now: datetime, rng: random.Random | None = None
) -> Attempt:
    """Resume the member's unfinished attempt, or start a new one with its own draw from the round's pool.

    A retake is a new test: its questions are drawn again, the ones the last attempt asked left out
    while the pool has enough others, and options are shuffled (a question marked fixed keeps its
    order). Retakes are allowed until the deadline; the best attempt counts.
    """
    if not round_.is_open(now):
        raise QuizError(M.QUIZ_CLOSED.format(deadline=round_.deadline))
    current = repository.open_attempt(round_.id, member_id)
    if current is not None:
        return current
    rng = rng or random.Random()
    pool = repository.pool(round_.id)
    last = repository.last_attempt_questions(round_.id, member_id)
    study_list = next((s for s in repository.study_lists() if s.id == round_.study_list_id), None)
    picked = draw_attempt(pool, round_.questions or len(pool), last, rng, focus_article_ids(repository, study_list))
    return repository.start_attempt(round_.id, member_id, [(q.id, q.shuffle_order(rng)) for q in picked], iso(now))


def draw_attempt(
    pool: list[QuizQuestion], n: int, last: set[int], rng: random.Random, focus: set[int] | frozenset[int] = frozenset()
) -> list[QuizQuestion]:
    """Draw one attempt's n questions from a pool: not those of the last attempt while enough others remain.

    At most floor(cap * n) which-article questions, as for the pool itself; the rest keeps the
    pool's mix of kinds because every question is equally likely.
    """
    capped = [q for q in pool if q.generator in CAPPED]
    allowed_capped = math.floor(WHICH_ARTICLE_CAP * n + 1e-9)
    usable = [q for q in pool if q.generator not in CAPPED] + capped[:allowed_capped]
    if len(usable) < n:
        usable = list(pool)  # a small pool: better a which-article question than a short quiz
    # Fresh questions (not in the last attempt) before stale ones; within each, FOCUS_SHARE of the
    # attempt from the focus articles first. A focus too small for both keeps retakes fresh.
    want = math.ceil(FOCUS_SHARE * n - 1e-9) if focus else 0
    picked: list[QuizQuestion] = []
    for group in ([q for q in usable if q.id not in last], [q for q in usable if q.id in last]):
        inside = [q for q in group if q.article_id in focus]
        outside = [q for q in group if q.article_id not in focus]
        have = sum(q.article_id in focus for q in picked)
        first = rng.sample(inside, min(max(0, want - have), len(inside), n - len(picked)))
        picked += first
        rest = [q for q in inside if q not in first] + outside
        picked += rng.sample(rest, min(n - len(picked), len(rest)))
    rng.shuffle(picked)
    return picked


def answer_question(repository: Repository, attempt: Attempt, position: int, chosen: list[int], now: datetime) -> bool:
    """Record an answer once (options as shown in this attempt); return whether the answer that counts is correct.

    A second answer to the same question is ignored (the first one counts, also when two arrive at once).
    """
    if not 0 <= position < attempt.total:
        raise QuizError(M.QUIZ_BAD_ANSWER)
    question = repository.attempt_question(attempt.id, position)
    if position in attempt.answered or attempt.finished_at:
        return is_correct(attempt.answered.get(position, []), question)
    chosen = sorted(set(chosen))
    if not chosen or any(not 0 <= option < len(question.options) for option in chosen):
        raise QuizError(M.QUIZ_BAD_ANSWER)
    correct = is_correct(chosen, question)
    if not repository.record_answer(attempt.id, position, question.id, chosen, correct, iso(now)):
        stored = repository.attempt(attempt.id).answered.get(position, [])  # someone else's answer won
        attempt.answered[position] = stored
        return is_correct(stored, question)
    attempt.answered[position] = chosen
    return correct


def is_correct(chosen: list[int], question: QuizQuestion) -> bool:
    """Tell whether the chosen options are exactly the correct ones."""
    return sorted(set(chosen)) == sorted(question.answer)


def finish(repository: Repository, attempt: Attempt, round_: Round, now: datetime) -> AttemptResult:
    """Score a complete attempt, store score and pass/fail, and return it with the best score so far."""
    questions = repository.attempt_questions(attempt.id)
    stored = repository.attempt(attempt.id)  # score what was recorded, not what this caller remembers
    if stored.finished_at is None:
        correct = sum(is_correct(stored.answered.get(p, []), q) for p, q in enumerate(questions))
        score = correct / attempt.total if attempt.total else 0.0
        passed = score + 1e-9 >= round_.pass_mark
        repository.finish_attempt(attempt.id, correct, score, passed, iso(now))
        stored = repository.attempt(attempt.id)
    attempt.answered = stored.answered
    attempt.correct, attempt.score, attempt.passed, attempt.finished_at = (
        stored.correct, stored.score, stored.passed, stored.finished_at
    )
    best = repository.best_score(round_.id, attempt.member_id)
    return AttemptResult(attempt, questions, best if best is not None else attempt.score)
