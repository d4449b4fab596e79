"""Taking this week's quiz, the same on every channel: start or resume, answer, tick, finish.

QuizFlow owns the rules: whose attempt an answer belongs to, whether it still counts, what is
recorded. Telegram (polls or buttons), the console and the web only present a Step and render
what answer() says happened.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from knowledge import messages as M
from knowledge.clock import Clock
from knowledge.members import Member
from knowledge.models import Article, StudyList
from knowledge.quizzes import QuizQuestion
from knowledge.rounds import (
    Attempt,
    AttemptResult,
    QuizError,
    Round,
    answer_question,
    ensure_round,
    finish,
    iso_week,
    start_or_resume,
)

if TYPE_CHECKING:
    from knowledge.store import Repository


class QuizStale(QuizError):
    """An answer or tick to a question already answered, of a finished attempt, or after the deadline."""

    def __init__(self, message: str = M.QUIZ_STALE):
        super().__init__(message)


class NotYourQuiz(QuizError):
    """An answer to someone else's attempt (a forwarded poll, a forged button) or to one that does not exist."""

    def __init__(self, message: str = M.UNKNOWN_ACTION):
        super().__init__(message)


@dataclass
class Step:
    """What to show next: a question of an attempt (with the options ticked so far), or the result."""

    round: Round
    attempt: Attempt
    position: int | None
    question: QuizQuestion | None
    result: AttemptResult | None = None
    ticked: list[int] = field(default_factory=list)

    @property
    def opening(self) -> bool:
        """Tell whether this step opens a fresh attempt (nothing answered yet)."""
        return not self.attempt.answered and self.result is None


@dataclass
class Answered:
    """What one answer did: whether it was right, the question it answered, and the next step."""

    correct: bool
    question: QuizQuestion
    chosen: list[int]
    step: Step
    article: Article | None = None  # the article the question is on, quoted after the answer: a quiz teaches


class QuizFlow:
    """The rules of taking a quiz, built once and shared by every channel."""

    def __init__(
        self, repository: Repository, clock: Clock, study_list: Callable[[], StudyList | None],
        rng: random.Random | None = None,
    ):
        self.repository = repository
        self.clock = clock
        self.study_list = study_list  # the current study list, asked when a round must be created
        self.rng = rng or random.Random()  # draws pools, attempts and option orders; tests seed it

    def week(self) -> str:
        """Return this ISO week in the bureau's zone: 2026-W48."""
        return iso_week(self.clock.today())

    def current_round(self) -> Round:
        """Return this week's round, creating it if needed."""
        return ensure_round(self.repository, self.study_list(), self.clock, self.rng)

    def existing_round(self) -> Round | None:
        """Return this week's round if it was created, without creating it."""
        return self.repository.round_for_week(self.week())

    def waiting_round(self, member: Member | None) -> Round | None:
        """Return this week's round if it is open and the member has not passed it yet (the web's banner)."""
        if member is None:
            return None
        round_ = self.existing_round()
        if round_ is None or not round_.is_open(self.clock.now()):
            return None
        return None if self.repository.has_passed(round_.id, member.id) else round_

    def begin(self, member: Member | None) -> Step:
        """Start or resume the member's attempt at this week's round (only roster members keep records)."""
        if member is None:  # a bootstrap admin or the operator at the console: no record to keep
            raise QuizError(M.QUIZ_NEEDS_ROSTER)
        round_ = self.current_round()
        if not round_.is_open(self.clock.now()):  # say when it closed in the bureau's time, not in UTC
            raise QuizError(M.QUIZ_CLOSED.format(deadline=self.clock.local_text(round_.deadline)))
        attempt = start_or_resume(self.repository, round_, member.id, self.clock.now(), self.rng)
        return self.step(round_, attempt)

    def step(self, round_: Round, attempt: Attempt) -> Step:
        """Return the next unanswered question, or finish the attempt when none is left."""
        position = attempt.next_position
        if position is None:
            return Step(round_, attempt, None, None, finish(self.repository, attempt, round_, self.clock.now()))
        sent = self.repository.sent_question(attempt.id, position)
        return Step(
            round_, attempt, position, self.repository.attempt_question(attempt.id, position),
            ticked=sent.chosen if sent else [],
        )

    def _open_question(self, member: Member, attempt_id: int, position: int) -> tuple[Round, Attempt]:
        """Return the round and attempt a question belongs to, if the member may still answer it."""
        attempt = self.repository.attempt(attempt_id)
        if attempt is None or attempt.member_id != member.id or not 0 <= position < attempt.total:
            raise NotYourQuiz()
        round_ = self.repository.round(attempt.round_id)
        if attempt.finished_at is not None or position in attempt.answered or not round_.is_open(self.clock.now()):
            raise QuizStale()
        return round_, attempt

    def answer(self, member: Member, attempt_id: int, position: int, chosen: list[int]) -> Answered:
        """Record the member's answer to one question and return what happened.

        Raises NotYourQuiz for someone else's attempt, QuizStale when the answer no longer counts.
        """
        round_, attempt = self._open_question(member, attempt_id, position)
        question = self.repository.attempt_question(attempt.id, position)
        if not chosen:
            raise QuizError(M.QUIZ_NOTHING_CHOSEN)
        if any(not 0 <= option < len(question.options) for option in chosen):
            raise NotYourQuiz()  # an option that does not exist: a forged or stale button
        correct = answer_question(self.repository, attempt, position, chosen, self.clock.now())
        article = self.repository.articles(ids=[question.article_id]) if question.article_id else []
        return Answered(correct, question, sorted(set(chosen)), self.step(round_, attempt), article[0] if article else None)

    def submit(self, member: Member, attempt_id: int, position: int) -> Answered:
        """Answer a multiple-choice question with the options ticked on it so far."""
        sent = self.repository.sent_question(attempt_id, position)
        return self.answer(member, attempt_id, position, sent.chosen if sent else [])

    def toggle(self, member: Member, attempt_id: int, position: int, option: int) -> Step:
        """Tick or untick one option of a multiple-choice question; return the question with its ticks."""
        round_, attempt = self._open_question(member, attempt_id, position)
        sent = self.repository.sent_question(attempt_id, position)
        question = self.repository.attempt_question(attempt.id, position)
        if sent is None:
            raise QuizStale()  # never shown: nothing to tick on
        if not 0 <= option < len(question.options):
            raise NotYourQuiz()
        chosen = sorted(set(sent.chosen) ^ {option})
        self.repository.set_sent_choice(attempt_id, position, chosen)
        return Step(round_, attempt, position, question, ticked=chosen)

    def presented(self, step: Step, address: str | int | None = None, message_id: int | None = None,
                  poll_id: str | None = None) -> None:
        """Remember that a question was shown (and where), so answers and ticks can be matched to it."""
        self.repository.record_sent(step.attempt.id, step.position, poll_id, address, message_id)

    def poll_answer(self, poll_id: str, member: Member | None, chosen: list[int]) -> Answered:
        """Answer a quiz poll (a poll answer names no chat: the poll id says whose question it was).

        A forwarded poll keeps its id: only the member it was sent to answers it (NotYourQuiz otherwise).
        """
        sent = self.repository.sent_by_poll(poll_id)
        if sent is None or member is None:
            raise NotYourQuiz()
        return self.answer(member, *sent, chosen)

    def poll_address(self, poll_id: str) -> str | None:
        """Return where a quiz poll was sent (its chat)."""
        sent = self.repository.sent_by_poll(poll_id)
        address = self.repository.sent_question(*sent).address if sent else None
        return None if address is None else str(address)  # the column kept its old INTEGER affinity
