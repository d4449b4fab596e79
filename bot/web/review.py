"""The reviewer's page (/review): the waiting questions a 法治副校长 may answer, never who asked, each with
a form to answer in their own words with cited articles, or to close it (out of scope with a reason,
a missing law, a duplicate of a reviewed answer). The same knowledge.review calls as the CLI and chat."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.web.pages import Visit, Web
from knowledge import messages as M
from knowledge import review
from knowledge.access import AccessDenied
from knowledge.errors import XuefaError

QUEUE_ROWS = 100


def split_citations(text: str) -> list[str]:
    """Return the citations typed in one field, one per line or separated by 、，,；;."""
    for mark in "、，,；;":
        text = text.replace(mark, "\n")
    return [line.strip() for line in text.splitlines() if line.strip()]


def review_page(visit: Visit, notice: str | None = None, error: str | None = None, values=None,
                status: int = 200) -> Response:
    """List the waiting entries the visitor may answer (AccessDenied, a 403, for anyone else)."""
    services = visit.services
    items = review.waiting(services.repository, visit.actor, visit.request.query_params.get("unit") or None)
    clock = services.clock
    rows = [(item, clock.local_text(item.created_at), M.REVIEW_REASONS[item.reason]) for item in items[:QUEUE_ROWS]]
    return visit.render("review.html", status=status, title=M.WEB_REVIEW_TITLE, rows=rows, total=len(items),
                        notice=notice, error=error, values=values or {})


def review_answer(visit: Visit) -> Response:
    """Answer one entry, or close it; a citation that does not resolve is refused and nothing is saved."""
    services = visit.services
    values = {name: visit.field(name) for name in ("id", "text", "cites", "action", "note", "pair")}
    try:
        entry_id = int(values["id"])
    except ValueError:
        return review_page(visit, error=M.UNKNOWN_ACTION, status=400)
    try:
        if values["action"] == "answer":
            pair = review.answer_entry(services.repository, services.catalog, visit.actor, entry_id, values["text"],
                                       split_citations(values["cites"]))
            done = M.REVIEW_ANSWERED.format(id=entry_id, pair=pair.id, labels="、".join(pair.labels))
        else:
            status = {"out_of_scope": "out_of_scope", "missing_law": "missing_law", "duplicate": "duplicate"}.get(
                values["action"], "")
            pair_id = int(values["pair"]) if values["pair"].isdigit() else None
            entry = review.close_entry(services.repository, visit.actor, entry_id, status, values["note"], pair_id)
            done = M.REVIEW_CLOSED.format(id=entry.id, status=M.REVIEW_STATUS[entry.status])
    except AccessDenied:
        raise
    except XuefaError as exc:
        return review_page(visit, error=str(exc), values=values, status=400)
    return review_page(visit, notice=done)


def routes(web: Web) -> list[Route]:
    """Return the reviewer's routes."""
    return [
        Route("/review", web.page(review_page), methods=["GET"]),
        Route("/review", web.page(review_answer), methods=["POST"]),
    ]
