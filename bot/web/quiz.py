"""This week's quiz on the web: one question per page, answered with a form, through the one QuizFlow.

Every rule — whose attempt it is, whether an answer still counts, scoring, retakes — is the
QuizFlow's, shared with Telegram: an attempt started in Telegram continues here and the other
way round, and an answer given on one channel makes the same question stale on the other. A
multiple-choice question sends all its ticks at once with the form (no round trip per tick).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from bot.render import LETTERS, feedback, question_heading, quiz_intro, result_reply
from bot.reply import Html
from bot.web.pages import Visit, Web, reply_view
from knowledge import messages as M
from knowledge.quizflow import NotYourQuiz, QuizFlow, QuizStale, Step
from knowledge.rounds import QuizError


@dataclass
class Said:
    """What the page says above the quiz: the outcome of an answer, or why an action did not count."""

    text: str
    kind: str = "info"  # info, ok, error


def _present(flow: QuizFlow, step: Step) -> None:
    """Record that a question is shown on the web, once per showing after any other channel's."""
    sent = flow.repository.sent_question(step.attempt.id, step.position)
    if sent is None or sent.address is not None or sent.poll_id is not None:
        flow.presented(step)


def _open_step(visit: Visit) -> Step | None:
    """Return the member's unfinished attempt at this week's round, if any (nothing is created)."""
    flow = visit.services.quizflow
    round_ = flow.existing_round()
    if round_ is None or not round_.is_open(visit.services.clock.now()):
        return None
    attempt = flow.repository.open_attempt(round_.id, visit.member.id)
    return flow.step(round_, attempt) if attempt is not None else None


def quiz_page(visit: Visit, step: Step | None = None, said: Said | None = None, status: int = 200) -> Response:
    """Show the current question, the result of the attempt just finished, or where the member stands."""
    services = visit.services
    step = step if step is not None else _open_step(visit)
    context = {"title": M.WEB_QUIZ_TITLE, "said": said, "step": None, "result": None, "status_lines": []}
    if step is not None and step.result is None:
        _present(services.quizflow, step)
        question = step.question
        context |= {
            "step": step, "heading": question_heading(step), "letters": LETTERS,
            "intro": quiz_intro(step, services.clock) if step.opening else "",
            "multiple": question.kind == "multiple",
        }
    elif step is not None:
        context["result"] = reply_view(result_reply(Html(), step.result))
    else:
        context["status_lines"], context["started"] = _standing(visit)
    return visit.render("quiz.html", status=status, **context)


def _standing(visit: Visit) -> tuple[list[str], bool]:
    """Say this week's round and the member's attempts at it, without creating anything."""
    services = visit.services
    round_ = services.quizflow.existing_round()
    if round_ is None:
        return [M.WEB_QUIZ_NOT_STARTED], False
    lines = [M.WEB_QUIZ_STATUS.format(
        week=round_.week, n=round_.questions or len(round_.question_ids), pass_mark=round(round_.pass_mark * 100),
        deadline=services.clock.local_text(round_.deadline),
    )]
    if not round_.is_open(services.clock.now()):
        lines.append(M.QUIZ_CLOSED.format(deadline=services.clock.local_text(round_.deadline)))
    finished = [a for a in services.repository.attempts(round_.id, visit.member.id) if a.finished_at]
    if finished:
        best = services.repository.best_score(round_.id, visit.member.id) or 0.0
        history = M.WEB_QUIZ_HISTORY.format(attempts=len(finished), best=round(best * 100))
        if any(a.passed for a in finished):
            history += " " + M.WEB_QUIZ_PASSED_MARK
        lines.append(history)
    return lines, bool(finished)


def start(visit: Visit) -> Response:
    """Start or resume this week's attempt (a retake after a finished one), as /quiz does in the chat."""
    try:
        step = visit.services.quizflow.begin(visit.member)
    except QuizError as exc:
        return quiz_page(visit, said=Said(str(exc), "error"), status=400)
    return quiz_page(visit, step)


def answer(visit: Visit) -> Response:
    """Record the answer to one question (all ticks of a multiple-choice one at once) and show what is next."""
    flow = visit.services.quizflow
    try:
        attempt_id, position = int(visit.field("attempt")), int(visit.field("position"))
        # Radio buttons send one option; a forged form sending more is scored as it stands (wrong).
        chosen = [int(value) for value in visit.form.getlist("option")]
        answered = flow.answer(visit.member, attempt_id, position, chosen)
    except (ValueError, NotYourQuiz):
        return quiz_page(visit, said=Said(M.UNKNOWN_ACTION, "error"), status=400)
    except QuizStale:
        return quiz_page(visit, said=Said(M.QUIZ_STALE, "error"), status=409)
    except QuizError as exc:  # nothing ticked: the same question again
        return quiz_page(visit, said=Said(str(exc), "error"), status=400)
    return quiz_page(visit, answered.step, Said(feedback(answered), "ok" if answered.correct else "error"))


def routes(web: Web) -> list[Route]:
    """Return the quiz routes."""
    return [
        Route("/quiz", web.page(quiz_page), methods=["GET"]),
        Route("/quiz/start", web.page(start), methods=["POST"]),
        Route("/quiz/answer", web.page(answer), methods=["POST"]),
    ]
