"""Taking a weekly quiz, channel-agnostic: start or resume, present, answer, finish, show the result."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from bot.render import Button, Reply
from bot.services import Services
from knowledge import messages as M
from knowledge.members import Member
from knowledge.quizzes import QuizQuestion
from knowledge.rounds import (
    Attempt,
    AttemptResult,
    QuizError,
    Round,
    answer_question,
    ensure_round,
    finish,
    is_correct,
    iso_week,
    start_or_resume,
)

LETTERS = "ABCDEFGHIJ"


@dataclass
class Step:
    """What to show next: a question of an attempt, or the finished attempt's result."""

    round: Round
    attempt: Attempt
    position: int | None
    question: QuizQuestion | None
    result: AttemptResult | None = None


def local_time(iso: str, tz: str) -> str:
    """Format a stored UTC time in the bureau's zone: 2026-11-29 22:00."""
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def answer_label(question: QuizQuestion) -> str:
    """Name the correct answer: its letters (AC), or the word for a true/false question (正确)."""
    if question.kind == "truefalse":
        return question.options[question.answer[0]]
    return "".join(LETTERS[i] for i in question.answer)


class QuizFlow:
    """The rules of taking a quiz, shared by Telegram and the console."""

    def __init__(self, services: Services, fmt, clock: Callable[[], datetime] | None = None):
        self.services = services
        self.fmt = fmt
        self.clock = clock  # tests and the benchmark pin the time; None is the real clock

    def now(self) -> datetime:
        """Return the current time (UTC, aware)."""
        return self.clock() if self.clock is not None else datetime.now(timezone.utc)

    def week(self) -> str:
        """Return the ISO week of now in the bureau's zone: 2026-W48."""
        return iso_week(self.now().astimezone(ZoneInfo(self.services.settings.tz)).date())

    def today(self) -> date:
        """Return today's date in the bureau's zone."""
        return self.now().astimezone(ZoneInfo(self.services.settings.tz)).date()

    def current_round(self, rng: random.Random | None = None) -> Round:
        """Return this week's round, creating it if needed."""
        services = self.services
        study_list = services.current_list()
        return ensure_round(services.repository, study_list, self.now(), services.settings.tz, rng)

    def existing_round(self) -> Round | None:
        """Return this week's round if it was created, without creating it."""
        return self.services.repository.round_for_week(self.week())

    def begin(self, member: Member) -> Step:
        """Start or resume the member's attempt at this week's round."""
        if member.id is None:  # a bootstrap admin or the console's local user: no record to keep
            raise QuizError(M.QUIZ_NEEDS_ROSTER)
        round_ = self.current_round()
        if not round_.is_open(self.now()):  # say when it closed in the bureau's time, not in UTC
            raise QuizError(M.QUIZ_CLOSED.format(deadline=local_time(round_.deadline, self.services.settings.tz)))
        attempt = start_or_resume(self.services.repository, round_, member.id, self.now())
        return self.step(round_, attempt)

    def step(self, round_: Round, attempt: Attempt) -> Step:
        """Return the next unanswered question, or finish the attempt when none is left."""
        position = attempt.next_position
        if position is None:
            result = finish(self.services.repository, attempt, round_, self.now())
            return Step(round_, attempt, None, None, result)
        return Step(round_, attempt, position, self.services.repository.round_question(round_.id, position))

    def answer(self, attempt_id: int, position: int, chosen: list[int]) -> tuple[bool, Step] | None:
        """Record an answer and return whether it was right and the next step; None if it no longer counts."""
        repository = self.services.repository
        attempt = repository.attempt(attempt_id)
        if attempt is None or attempt.finished_at is not None or position in attempt.answered:
            return None
        round_ = repository.round(attempt.round_id)
        if not round_.is_open(self.now()):
            return None
        try:
            correct = answer_question(repository, attempt, position, chosen, self.now())
        except QuizError:  # a position or option that does not exist: a forged or stale button
            return None
        return correct, self.step(round_, attempt)

    def presented(self, step: Step, chat_id: int | None = None, message_id: int | None = None,
                  poll_id: str | None = None) -> None:
        """Remember that a question was shown (and where), so answers and ticks can be matched to it."""
        self.services.repository.record_sent(step.attempt.id, step.position, poll_id, chat_id, message_id)

    def toggle(self, attempt_id: int, position: int, option: int) -> tuple[Step, list[int]]:
        """Tick or untick one option of a multiple-choice question; raise QuizError if it no longer counts."""
        repository = self.services.repository
        attempt = repository.attempt(attempt_id)
        sent = repository.sent_question(attempt_id, position)
        round_ = repository.round(attempt.round_id) if attempt else None
        if (
            sent is None or attempt.finished_at is not None or position in attempt.answered
            or not 0 <= position < attempt.total or not round_.is_open(self.now())
        ):
            raise QuizError(M.QUIZ_STALE)
        question = repository.round_question(round_.id, position)
        if not 0 <= option < len(question.options):
            raise QuizError(M.UNKNOWN_ACTION)
        chosen = sorted(set(sent["chosen"]) ^ {option})
        repository.set_sent_choice(attempt_id, position, chosen)
        return Step(round_, attempt, position, question), chosen

    def ticked(self, attempt_id: int, position: int) -> list[int]:
        """Return the options ticked so far on a multiple-choice question."""
        sent = self.services.repository.sent_question(attempt_id, position)
        return sent["chosen"] if sent else []

    # --- rendering ------------------------------------------------------------

    def intro(self, step: Step) -> str:
        """Return the line that opens an attempt."""
        deadline = local_time(step.round.deadline, self.services.settings.tz)
        return M.QUIZ_INTRO.format(
            week=step.round.week, n=step.attempt.total, deadline=deadline, attempt=step.attempt.number,
            pass_mark=round(step.round.pass_mark * 100),
        )

    def question_reply(self, step: Step, toggled: list[int] = ()) -> Reply:
        """Render a question with one button per option (multiple choice: toggles and a submit button)."""
        question, fmt = step.question, self.fmt
        kind = M.QUIZ_KIND_LABELS[question.kind]
        lines = [fmt.bold(M.QUIZ_QUESTION_HEAD.format(n=step.position + 1, total=step.attempt.total, kind=kind))]
        lines.append(fmt.esc(question.stem))
        lines += [fmt.esc(f"{LETTERS[i]}. {option}") for i, option in enumerate(question.options)]
        prefix = f"{step.attempt.id}:{step.position}"
        if question.kind == "multiple":
            buttons = [
                [Button(("☑ " if i in toggled else "☐ ") + LETTERS[i], f"qt:{prefix}:{i}") for i in range(len(question.options))],
                [Button(M.QUIZ_SUBMIT, f"qs:{prefix}")],
            ]
        elif question.kind == "truefalse":
            buttons = [[Button(option, f"qa:{prefix}:{i}") for i, option in enumerate(question.options)]]
        else:
            buttons = [[Button(LETTERS[i], f"qa:{prefix}:{i}") for i in range(len(question.options))]]
        return Reply(parts=["\n".join(lines)], buttons=buttons)

    def feedback(self, question: QuizQuestion, correct: bool) -> str:
        """Return the right/wrong line with the explanation."""
        head = M.QUIZ_RIGHT if correct else M.QUIZ_WRONG.format(answer=answer_label(question))
        return f"{head}\n{question.explanation}"

    def result_reply(self, result: AttemptResult) -> Reply:
        """Render the finished attempt: score, pass or fail, each question with its explanation."""
        attempt, fmt = result.attempt, self.fmt
        verdict = M.QUIZ_PASSED if attempt.passed else M.QUIZ_FAILED
        lines = [
            fmt.bold(M.QUIZ_RESULT.format(correct=attempt.correct, total=attempt.total, score=round(attempt.score * 100)))
            + "\n" + fmt.esc(verdict.format(best=round(result.best_score * 100)))
        ]
        for position, question in enumerate(result.questions):
            mark = "✓" if is_correct(attempt.answered.get(position, []), question) else "✗"
            answer = answer_label(question)
            lines.append(fmt.esc(f"{mark} {position + 1}. {M.QUIZ_ANSWER_IS.format(answer=answer)} {question.explanation}"))
        buttons = [] if attempt.passed else [[Button(M.QUIZ_RETAKE, "quiz:")]]
        # One part per question: a long round is split between messages, never cut inside a tag.
        return Reply(parts=lines, buttons=buttons)
