"""The 法治副校长 reviewer queue: who reviews what, what enters the queue, answering, and what people are told.

A reviewer (roster role 法治副校长 or 法律顾问, or assigned by a bureau admin) answers the
questions xuefa could not: for their own unit, several units, or the whole bureau (法规安全科).
Reviewers never see who asked (PIPL: teachers ask more freely); only a bureau admin may reveal
the asker, and every reveal is audited. An entry goes to the reviewers of the asker's unit, then
(after N days, or when the unit has none) to the bureau's. Answers cite articles, resolved
against the store; a citation that does not resolve is refused. What to tell people comes back as
(member id, Notice) pairs for the scheduler to send on whatever channel each person uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from knowledge import access
from knowledge import messages as M
from knowledge.access import AccessDenied, Actor
from knowledge.answers import OUTSIDE, UNSURE, Answer
from knowledge.citations import LawCatalog, Resolved, find_citations, parse_citation, resolve
from knowledge.clock import Clock, iso
from knowledge.errors import CitationError, NotFound, XuefaError
from knowledge.members import Member
from knowledge.models import short_title
from knowledge.notices import Notice

if TYPE_CHECKING:
    from knowledge.store import Entry, Repository, ReviewedPair

BUREAU = None  # the whole bureau (法规安全科) as a reviewer scope or a routing target
REASONS = ("unsure", "outside", "not_covered", "not_solved", "asked", "law_changed")
CLOSED = ("answered", "duplicate", "out_of_scope", "missing_law")
ESCALATE_DAYS = 3  # default XUEFA_REVIEW_ESCALATE_DAYS
REVIEW_LINK = "/review"


class ReviewError(XuefaError):
    """A queue operation that cannot be done as asked (the message says why, in Chinese)."""


class CitationRefused(ReviewError):
    """An answer citing an article that does not resolve against the store: nothing is saved."""


@dataclass(frozen=True)
class QueueItem:
    """A waiting entry as a reviewer sees it: never who asked."""

    id: int
    unit: str
    at_bureau: bool
    question: str
    reason: str
    remark: str
    topic: str
    created_at: str

    def line(self, clock: Clock) -> str:
        """Return one line for a list: the id first, never the asker's name."""
        return M.REVIEW_LINE.format(
            id=self.id, at=clock.local_text(self.created_at)[:10], unit=self.unit or "—",
            where=M.REVIEW_AT_BUREAU if self.at_bureau else M.REVIEW_AT_UNIT, reason=M.REVIEW_REASONS[self.reason],
            question=self.question, remark=M.REVIEW_REMARK.format(remark=self.remark) if self.remark else "",
        )


# --- the unit tree (replaceable) -------------------------------------------------------------


def units_above(repository: Repository, unit: str | None) -> list[str]:
    """Return the units an entry may be routed through, the asker's own first, nearest first.

    The bureau is always the last stop and is not listed: a township's central school's reviewer
    answers for its village schools when these have none of their own.
    """
    return list(access.unit_chain(repository, unit)) if unit else []


# --- reviewers and what they may see -----------------------------------------------------------


def scopes(repository: Repository, actor: Actor) -> list[str | None]:
    """Return the units an actor reviews for (None = the bureau)."""
    if actor.member_id is None:
        return []
    return [scope.unit for scope in repository.reviewer_scopes(actor.member_id)]


def is_reviewer(repository: Repository, actor: Actor | None) -> bool:
    """Tell whether the actor reviews for any unit or the bureau."""
    return actor is not None and bool(scopes(repository, actor))


def queue_scope(repository: Repository, actor: Actor) -> set[str] | None:
    """Return the units whose queue the actor may read (None = every unit), or raise AccessDenied.

    Bureau admins, the operator and bureau reviewers read everything; a unit's reviewer their units.
    """
    if actor.runs_the_bureau:
        return None
    units = scopes(repository, actor)
    if BUREAU in units:
        return None
    if units:
        return set(units)
    raise AccessDenied(M.REVIEW_NOT_REVIEWER)


def _visible(repository: Repository, scope: set[str] | None, entry: Entry) -> bool:
    return scope is None or any(unit in scope for unit in units_above(repository, entry.unit))


def _item(entry: Entry) -> QueueItem:
    return QueueItem(entry.id, entry.unit or "", entry.routed_unit is None, entry.question, entry.reason,
                     entry.remark, entry.topic, entry.created_at)


def waiting(repository: Repository, actor: Actor, unit: str | None = None) -> list[QueueItem]:
    """Return the waiting entries the actor may read (of one unit with unit), oldest first, anonymised."""
    scope = queue_scope(repository, actor)
    if unit is not None and scope is not None and unit not in scope:
        raise AccessDenied(M.REVIEW_OTHER_UNIT.format(units="、".join(sorted(scope))))
    found = [e for e in repository.entries("waiting") if _visible(repository, scope, e)]
    if unit is not None:
        found = [e for e in found if e.unit == unit]
    return [_item(e) for e in found]


def _open_entry(repository: Repository, actor: Actor, entry_id: int) -> Entry:
    """Return a waiting entry the actor may close, answering someone outside their scope as 'no such entry'."""
    scope = queue_scope(repository, actor)
    entry = repository.entry(entry_id)
    if entry is None or not _visible(repository, scope, entry):
        raise NotFound(M.REVIEW_NO_ENTRY.format(id=entry_id))
    if entry.status != "waiting":
        raise ReviewError(M.REVIEW_CLOSED_ALREADY.format(id=entry_id, status=M.REVIEW_STATUS[entry.status]))
    return entry


def reveal_asker(repository: Repository, actor: Actor, entry_id: int) -> Member | None:
    """Tell a bureau admin (or the operator) who asked; audited. Reviewers and unit admins are refused."""
    if not actor.runs_the_bureau:
        access.audit(repository, actor, "refused", f"review reveal #{entry_id}")
        raise AccessDenied(M.REVIEW_REVEAL_BUREAU_ONLY)
    entry = repository.entry(entry_id)
    if entry is None:
        raise NotFound(M.REVIEW_NO_ENTRY.format(id=entry_id))
    member = repository.member(entry.asker_id) if entry.asker_id else None
    access.audit(repository, actor, "review_reveal", f"#{entry_id} {member.staff_no if member else '-'}")
    return member


def assign(repository: Repository, actor: Actor, member: Member, units: list[str] | None) -> int:
    """Make a member a reviewer of some units, or of the whole bureau (units None); bureau admins only."""
    access.check_bureau_task(actor)
    known = set(repository.units())
    for unit in units or []:
        if unit not in known:
            raise NotFound(M.REVIEW_UNKNOWN_UNIT.format(unit=unit))
    added = sum(repository.add_reviewer(member.id, unit, "assigned") for unit in (units or [BUREAU]))
    what = "、".join(units) if units else M.REVIEW_BUREAU
    access.audit(repository, actor, "review_assign", f"{member.staff_no} {what}")
    return added


def unassign(repository: Repository, actor: Actor, member: Member, units: list[str] | None) -> int:
    """Remove a member's assigned scopes (units None: all of them, the bureau included); bureau admins only."""
    access.check_bureau_task(actor)
    if units is None:
        removed = repository.remove_reviewer(member.id, every_unit=True, source="assigned")
    else:
        removed = sum(repository.remove_reviewer(member.id, unit, source="assigned") for unit in units)
    access.audit(repository, actor, "review_unassign", f"{member.staff_no} {'、'.join(units or ['*'])}")
    return removed


# --- what enters the queue ---------------------------------------------------------------------


def queue_reason(result: Answer) -> str | None:
    """Return why an answer enters the queue by itself (unsure, outside the list, not covered), or None."""
    if result.kind == OUTSIDE:
        return "outside"
    if not result.abstained:
        return None
    if result.passages and (result.kind == UNSURE):
        return "unsure"
    if not result.passages and result.citation_errors and not result.cited:
        return "not_covered"  # it names a law or article the store does not hold
    return None  # refused input, a law's overview, search not ready: nothing for a reviewer


def topic_of(result: Answer) -> str:
    """Return what a reply is about, for reports: the short title of the first law it shows."""
    shown = result.outside if result.kind == OUTSIDE else result.passages
    return short_title(shown[0].article.law_title) if shown else ""


def route_target(repository: Repository, unit: str | None) -> str | None:
    """Return where a new entry waits: the nearest unit with a reviewer, else the bureau (None)."""
    covered = {scope.unit for scope in repository.reviewer_scopes()}
    for candidate in units_above(repository, unit):
        if candidate in covered:
            return candidate
    return BUREAU


def enqueue(repository: Repository, member: Member | None, question: str, reason: str, channel: str = "",
            topic: str = "", remark: str = "") -> int | None:
    """Put an asker's question in the queue (once: a waiting copy gets the remark); return the entry id."""
    if member is None or reason not in REASONS:
        return None
    existing = repository.waiting_entry(member.id, question)
    if existing is not None:
        if remark:
            repository.add_remark(existing.id, remark)
        return existing.id
    return repository.add_entry(member.id, member.unit, route_target(repository, member.unit), question, reason,
                                channel, remark[:500], topic)


def add_remark(repository: Repository, member: Member, remark: str, clock: Clock) -> bool:
    """Attach a remark (补充：…) to the member's latest waiting entry of the last day; False if none."""
    since = iso(clock.now() - timedelta(days=1))
    entries = [e for e in repository.entries("waiting", asker_id=member.id) if e.created_at >= since]
    if not entries:
        return False
    remark = remark.strip()[:500]
    repository.add_remark(entries[-1].id, remark)
    latest = repository.latest_feedback(member.id, since)
    if latest is not None:
        repository.remark_feedback(member.id, latest["token"], remark)
    return True


# --- answering and closing ---------------------------------------------------------------------


def resolve_all(cites: list[str], catalog: LawCatalog, repository: Repository) -> list[Resolved]:
    """Resolve every cited article against the store, refusing the first that does not resolve."""
    resolved: list[Resolved] = []
    for cite in cites:
        try:
            found = resolve(parse_citation(cite.strip()), catalog, repository)
        except CitationError as exc:
            raise CitationRefused(M.REVIEW_CITATION_BAD.format(cite=cite, reason=exc)) from None
        if all(r.article.id != found.article.id for r in resolved):
            resolved.append(found)
    return resolved


def citations_in(text: str) -> list[str]:
    """Return the citations written in an answer's text (《教师法》第八条 …), for a short answer in the chat."""
    found = find_citations(text)
    return [text[c.start:c.end] for c in found]


def answer_entry(repository: Repository, catalog: LawCatalog, actor: Actor, entry_id: int, text: str,
                 cites: list[str]) -> ReviewedPair:
    """Answer a waiting entry in the reviewer's own words with cited articles; the pair joins the layer."""
    entry = _open_entry(repository, actor, entry_id)
    text = (text or "").strip()
    if not text:
        raise ReviewError(M.REVIEW_ANSWER_EMPTY)
    if not cites:
        raise ReviewError(M.REVIEW_NEEDS_CITATION)
    resolved = resolve_all(cites, catalog, repository)
    citations = [(r.label, r.article.content_hash) for r in resolved]
    topic = short_title(resolved[0].article.law_title)
    pair_id = repository.add_pair(entry.question, text, citations, topic, actor.member_id)
    repository.close_entry(entry.id, "answered", actor.member_id, answer_id=pair_id)
    access.audit(repository, actor, "review_answer", f"#{entry.id}")
    return repository.pair(pair_id)


def close_entry(repository: Repository, actor: Actor, entry_id: int, status: str, note: str = "",
                duplicate_of: int | None = None) -> Entry:
    """Close a waiting entry as a duplicate (of a reviewed pair), out of scope (a reason) or a missing law."""
    entry = _open_entry(repository, actor, entry_id)
    note = (note or "").strip()
    answer_id = None
    if status == "duplicate":
        pair = repository.pair(duplicate_of) if duplicate_of else None
        if pair is None or not pair.active:
            raise ReviewError(M.REVIEW_NO_PAIR.format(id=duplicate_of or "—"))
        answer_id = pair.id
    elif status == "out_of_scope" and not note:
        raise ReviewError(M.REVIEW_NEEDS_REASON)
    elif status == "missing_law" and not note:
        raise ReviewError(M.REVIEW_NEEDS_LAW)
    elif status not in CLOSED:
        raise ReviewError(M.REVIEW_NO_ENTRY.format(id=entry_id))
    repository.close_entry(entry.id, status, actor.member_id, note=note[:500], answer_id=answer_id)
    access.audit(repository, actor, f"review_{status}", f"#{entry.id}")
    return repository.entry(entry.id)


def missing_laws(repository: Repository) -> list[tuple[str, int]]:
    """Return the laws reviewers asked the bureau to import, with how many entries asked for each."""
    counts: dict[str, int] = {}
    for entry in repository.entries("missing_law"):
        counts[entry.note] = counts.get(entry.note, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])


# --- time: escalation ----------------------------------------------------------------------------


def escalate(repository: Repository, clock: Clock, days: int = ESCALATE_DAYS) -> int:
    """Send entries a unit's reviewers left waiting more than N days on to the bureau; return how many."""
    cutoff = iso(clock.now() - timedelta(days=days))
    moved = 0
    for entry in repository.entries("waiting"):
        if entry.routed_unit is not None and entry.created_at < cutoff:
            repository.route(entry.id, BUREAU, escalated=True)
            moved += 1
    return moved


# --- what people are told (the scheduler sends these on each person's channel) ---------------------


def reviewer_digest(repository: Repository, clock: Clock, days: int = ESCALATE_DAYS) -> list[tuple[int, Notice]]:
    """Return one daily summary per reviewer with entries waiting for them (never one per question)."""
    waiting_now = repository.entries("waiting")
    day_ago = iso(clock.now() - timedelta(days=1))
    overdue_at = iso(clock.now() - timedelta(days=days))
    by_member: dict[int, set[str | None]] = {}
    for scope in repository.reviewer_scopes():
        by_member.setdefault(scope.member_id, set()).add(scope.unit)
    notices = []
    for member_id, units in sorted(by_member.items()):
        mine = [e for e in waiting_now if e.routed_unit in units]  # bureau reviewers: entries at the bureau
        if not mine:
            continue
        new = sum(e.created_at >= day_ago for e in mine)
        overdue = sum(e.created_at < overdue_at for e in mine)
        text = M.REVIEW_DIGEST_TEXT.format(n=len(mine), new=new, overdue=overdue, days=days)
        notices.append((member_id, Notice("review_digest", M.REVIEW_DIGEST_TITLE, text, REVIEW_LINK,
                                          M.REVIEW_DIGEST_BUTTON)))
    return notices


def pair_text(repository: Repository, pair: ReviewedPair) -> str:
    """Return a reviewed answer as plain text: the mark, the answer, each cited article verbatim."""
    lines = [M.REVIEWED_MARK, pair.answer]
    for article in cited_articles(repository, pair):
        lines.append(M.REVIEWED_ARTICLE.format(label=article.citation, text=article.text))
    return "\n\n".join(lines)


def cited_articles(repository: Repository, pair: ReviewedPair, catalog: LawCatalog | None = None):
    """Return the articles a reviewed pair cites, read again from the store (those that still resolve)."""
    catalog = catalog or LawCatalog(repository.law_titles())
    found = []
    for label, _ in pair.citations:
        try:
            found.append(resolve(parse_citation(label), catalog, repository).article)
        except CitationError:
            continue
    return found


def asker_notices(repository: Repository) -> list[tuple[int, Notice]]:
    """Return what each asker is told about their closed entries, once (the entries are marked told)."""
    notices = []
    for entry in repository.claim_closed_unnotified():
        head = M.REVIEW_NOTICE_HEAD.format(question=entry.question)
        if entry.status in ("answered", "duplicate"):
            pair = repository.pair(entry.answer_id)
            body = pair_text(repository, pair) if pair else M.REVIEW_STATUS[entry.status]
        elif entry.status == "out_of_scope":
            body = M.REVIEW_NOTICE_OUT_OF_SCOPE.format(reason=entry.note)
        else:
            body = M.REVIEW_NOTICE_MISSING_LAW.format(law=entry.note)
        notices.append((entry.asker_id, Notice("review_answer", M.REVIEW_NOTICE_TITLE, head + "\n\n" + body,
                                               "/chat", personal=True)))
    return notices


# --- law re-import: citations still current? ------------------------------------------------------


def recheck(repository: Repository, catalog: LawCatalog | None = None) -> list[int]:
    """Retire every reviewed pair citing a changed or removed article and queue its question again.

    Run after laws are imported or removed; returns the new entry ids.
    """
    catalog = catalog or LawCatalog(repository.law_titles())
    entries = []
    for pair in repository.pairs():
        problem = None
        for label, digest in pair.citations:
            try:
                article = resolve(parse_citation(label), catalog, repository).article
            except CitationError:
                problem = M.REVIEW_CITATION_REMOVED.format(label=label)
                break
            if article.content_hash != digest:
                problem = M.REVIEW_CITATION_CHANGED.format(label=label)
                break
        if problem is None:
            continue
        repository.retire_pair(pair.id, problem)
        origin = next((e for e in repository.entries(None) if e.answer_id == pair.id and e.status == "answered"), None)
        unit = origin.unit if origin else None
        entries.append(repository.add_entry(None, unit, route_target(repository, unit), pair.question, "law_changed",
                                            remark=problem, topic=pair.topic))
    return entries


def days_between(start: str, end: str) -> float:
    """Return the days from one stored moment to another."""
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 86400


# --- labelled questions for `xuefa eval` and bench/calibrate.py --------------------------------------


def labelled_questions(repository: Repository) -> list[dict]:
    """Return the reviewed pairs as labelled questions (shared/eval's schema), and out-of-scope entries as
    unanswerable ones: what `xuefa eval` scores retrieval on and the abstention calibration can be refitted from."""
    catalog = LawCatalog(repository.law_titles())
    found = []
    for pair in repository.pairs():
        gold = [{"title": a.law_title, "article": a.label} for a in cited_articles(repository, pair, catalog)]
        found.append({"id": f"reviewed-{pair.id}", "question": pair.question, "gold": gold, "type": "reviewed",
                      "answer_hint": pair.answer})
    for entry in repository.entries("out_of_scope"):
        found.append({"id": f"out-of-scope-{entry.id}", "question": entry.question, "gold": [],
                      "type": "unanswerable", "answer_hint": entry.note})
    return found
