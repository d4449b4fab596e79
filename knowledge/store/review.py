"""Storage of the reviewer queue: reviewers and their units, queue entries, reviewed pairs, feedback."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from knowledge.store.database import Database

BUREAU = None  # a reviewer scope or a routing target that is the whole bureau (法规安全科)


@dataclass
class ReviewerScope:
    """One unit (or the bureau, unit None) a member reviews for."""

    member_id: int
    unit: str | None
    source: str
    assigned_at: str


@dataclass
class Entry:
    """A question waiting for (or closed by) a reviewer. asker_id is never shown to a reviewer."""

    id: int
    asker_id: int | None
    unit: str | None
    routed_unit: str | None
    question: str
    reason: str
    channel: str
    remark: str
    topic: str
    status: str
    note: str
    created_at: str
    escalated_at: str | None
    closed_at: str | None
    closed_by: int | None
    answer_id: int | None
    notified_at: str | None


@dataclass
class ReviewedPair:
    """A reviewed question and answer, with its citations as [label, content hash] pairs."""

    id: int
    question: str
    answer: str
    citations: list[tuple[str, str]] = field(default_factory=list)
    topic: str = ""
    reviewer_id: int | None = None
    answered_at: str = ""
    active: bool = True

    @property
    def labels(self) -> list[str]:
        """Return the cited articles' labels (《教师法》第八条)."""
        return [label for label, _ in self.citations]


@dataclass
class LoggedReply:
    """What the question log says about one reply, found by the token its feedback buttons carry."""

    id: int
    member_id: int | None
    unit_id: int | None
    question: str
    outcome: str
    channel: str
    topic: str
    reviewed_id: int | None
    asked_at: str


_ENTRY_SQL = (
    "SELECT e.id, e.member_id AS asker_id, u.name AS unit, r.name AS routed_unit, e.question, e.reason, e.channel, "
    "e.remark, e.topic, e.status, e.note, e.created_at, e.escalated_at, e.closed_at, e.closed_by, e.answer_id, "
    "e.notified_at FROM review_entries e LEFT JOIN units u ON u.id = e.unit_id "
    "LEFT JOIN units r ON r.id = e.routed_unit_id"
)
_PAIR_SQL = "SELECT id, question, answer, citations, topic, reviewer_id, answered_at, active FROM reviewed_answers"


def _pair(citations: str, active: int, **row) -> ReviewedPair:
    return ReviewedPair(citations=[tuple(c) for c in json.loads(citations)], active=bool(active), **row)


class ReviewStore(Database):
    """Reviewers, the queue, reviewed pairs and feedback."""

    # --- reviewers --------------------------------------------------------------------------

    def _unit_of(self, name: str | None) -> int | None:
        if name is None:
            return None
        unit_id = self.scalar("SELECT id FROM units WHERE name = ?", [name])
        if unit_id is None:
            unit_id = self.db["units"].insert({"name": name, "created_at": self.now()}).last_pk
        return unit_id

    def add_reviewer(self, member_id: int, unit: str | None, source: str) -> bool:
        """Make a member a reviewer of a unit (None = the bureau); False if they already were."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO reviewers (member_id, unit_id, source, assigned_at) VALUES (?, ?, ?, ?)",
                [member_id, self._unit_of(unit), source, self.now()],
            )
            return cursor.rowcount == 1

    def remove_reviewer(self, member_id: int, unit: str | None = None, source: str | None = None,
                        every_unit: bool = False) -> int:
        """Remove a member's reviewer scopes: one unit (None = the bureau), or all with every_unit."""
        sql, params = "DELETE FROM reviewers WHERE member_id = ?", [member_id]
        if not every_unit:
            sql += " AND coalesce(unit_id, 0) = coalesce((SELECT id FROM units WHERE name = ?), 0)"
            params.append(unit)
        if source is not None:
            sql += " AND source = ?"
            params.append(source)
        with self.transaction():
            return self.db.execute(sql, params).rowcount

    def reviewer_scopes(self, member_id: int | None = None) -> list[ReviewerScope]:
        """Return reviewer scopes of one member or everyone (active members only), bureau first."""
        sql = (
            "SELECT rv.member_id, u.name AS unit, rv.source, rv.assigned_at FROM reviewers rv "
            "JOIN members m ON m.id = rv.member_id AND m.active = 1 LEFT JOIN units u ON u.id = rv.unit_id"
        )
        params = []
        if member_id is not None:
            sql += " WHERE rv.member_id = ?"
            params.append(member_id)
        return self.records(sql + " ORDER BY u.name IS NOT NULL, u.name, rv.member_id", params, ReviewerScope)

    # --- the queue --------------------------------------------------------------------------

    def add_entry(self, asker_id: int | None, unit: str | None, routed_unit: str | None, question: str,
                  reason: str, channel: str = "", remark: str = "", topic: str = "") -> int:
        """Put a question in the queue; return its id."""
        with self.transaction():
            return self.db["review_entries"].insert({
                "member_id": asker_id, "unit_id": self._unit_of(unit), "routed_unit_id": self._unit_of(routed_unit),
                "question": question, "reason": reason, "channel": channel, "remark": remark, "topic": topic,
                "status": "waiting", "created_at": self.now(),
            }).last_pk

    def entry(self, entry_id: int) -> Entry | None:
        """Return one queue entry."""
        return self.record(_ENTRY_SQL + " WHERE e.id = ?", [entry_id], Entry)

    def entries(self, status: str | None = "waiting", asker_id: int | None = None) -> list[Entry]:
        """Return queue entries (waiting ones by default), oldest first."""
        sql, params = _ENTRY_SQL + " WHERE 1 = 1", []
        if status is not None:
            sql += " AND e.status = ?"
            params.append(status)
        if asker_id is not None:
            sql += " AND e.member_id = ?"
            params.append(asker_id)
        return self.records(sql + " ORDER BY e.created_at, e.id", params, Entry)

    def waiting_entry(self, asker_id: int, question: str) -> Entry | None:
        """Return the asker's waiting entry for the same question, if any (a question is queued once)."""
        return self.record(
            _ENTRY_SQL + " WHERE e.member_id = ? AND e.question = ? AND e.status = 'waiting'", [asker_id, question], Entry
        )

    def add_remark(self, entry_id: int, remark: str) -> None:
        """Attach the asker's remark to an entry."""
        with self.transaction():
            self.db.execute("UPDATE review_entries SET remark = ? WHERE id = ?", [remark, entry_id])

    def route(self, entry_id: int, routed_unit: str | None, escalated: bool) -> None:
        """Send an entry to another unit's reviewers (None = the bureau)."""
        with self.transaction():
            self.db.execute(
                "UPDATE review_entries SET routed_unit_id = ?, escalated_at = CASE WHEN ? THEN ? ELSE escalated_at END "
                "WHERE id = ?",
                [self._unit_of(routed_unit), int(escalated), self.now(), entry_id],
            )

    def close_entry(self, entry_id: int, status: str, reviewer_id: int | None, note: str = "",
                    answer_id: int | None = None) -> bool:
        """Close a waiting entry (answered, duplicate, out_of_scope, missing_law); False if it was not waiting."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE review_entries SET status = ?, note = ?, answer_id = ?, closed_by = ?, closed_at = ? "
                "WHERE id = ? AND status = 'waiting'",
                [status, note, answer_id, reviewer_id, self.now(), entry_id],
            )
            return cursor.rowcount == 1

    def claim_closed_unnotified(self) -> list[Entry]:
        """Return closed entries whose asker was not yet told, marking them told (handed to the sender once)."""
        with self.transaction():
            found = self.records(
                _ENTRY_SQL + " WHERE e.status != 'waiting' AND e.notified_at IS NULL AND e.member_id IS NOT NULL "
                "ORDER BY e.closed_at, e.id", [], Entry,
            )
            if found:
                self.db.execute(
                    f"UPDATE review_entries SET notified_at = ? WHERE id IN ({','.join('?' * len(found))})",
                    [self.now(), *[e.id for e in found]],
                )
            return found

    # --- reviewed pairs ---------------------------------------------------------------------

    def add_pair(self, question: str, answer: str, citations: list[tuple[str, str]], topic: str,
                 reviewer_id: int | None) -> int:
        """Store a reviewed question and answer; return its id."""
        with self.transaction():
            return self.db["reviewed_answers"].insert({
                "question": question, "answer": answer, "citations": json.dumps(citations, ensure_ascii=False),
                "topic": topic, "reviewer_id": reviewer_id, "answered_at": self.now(), "active": 1,
            }).last_pk

    def pair(self, pair_id: int) -> ReviewedPair | None:
        """Return one reviewed pair."""
        return self.record(_PAIR_SQL + " WHERE id = ?", [pair_id], _pair)

    def pairs(self, active_only: bool = True) -> list[ReviewedPair]:
        """Return reviewed pairs, oldest first."""
        sql = _PAIR_SQL + (" WHERE active = 1" if active_only else "")
        return self.records(sql + " ORDER BY id", [], _pair)

    def retire_pair(self, pair_id: int, why: str) -> None:
        """Take a reviewed pair out of the searchable layer (a citation changed or was removed)."""
        with self.transaction():
            self.db.execute(
                "UPDATE reviewed_answers SET active = 0, retired_at = ?, retired_why = ? WHERE id = ?",
                [self.now(), why, pair_id],
            )

    def pairs_marker(self) -> tuple:
        """Return what changes when pairs are added or retired (the layer reloads on change)."""
        row = self.db.execute("SELECT count(*), max(id), sum(active) FROM reviewed_answers").fetchone()
        return tuple(row)

    # --- replies and feedback ---------------------------------------------------------------

    def logged_reply(self, token: str) -> LoggedReply | None:
        """Return the logged question a reply's token names."""
        return self.record(
            "SELECT q.id, q.member_id, m.unit_id, q.question, q.outcome, q.channel, q.topic, q.reviewed_id, q.asked_at "
            "FROM question_log q LEFT JOIN members m ON m.id = q.member_id WHERE q.token = ?",
            [token], LoggedReply,
        )

    def add_feedback(self, member_id: int, token: str, helpful: bool, reviewed_id: int | None) -> int:
        """Record 有帮助 / 没有解决 under a reply (once per member and reply: a second press replaces it)."""
        with self.transaction():
            self.db.execute("DELETE FROM answer_feedback WHERE member_id = ? AND token = ?", [member_id, token])
            return self.db.execute(
                "INSERT INTO answer_feedback (member_id, unit_id, token, helpful, reviewed_id, at) "
                "SELECT ?, unit_id, ?, ?, ?, ? FROM members WHERE id = ?",
                [member_id, token, int(helpful), reviewed_id, self.now(), member_id],
            ).lastrowid

    def remark_feedback(self, member_id: int, token: str, remark: str) -> None:
        """Attach a remark to a member's feedback on a reply."""
        with self.transaction():
            self.db.execute(
                "UPDATE answer_feedback SET remark = ? WHERE member_id = ? AND token = ?", [remark, member_id, token]
            )

    def latest_feedback(self, member_id: int, since: str) -> dict | None:
        """Return the member's latest 没有解决 since a moment (for a remark typed after it)."""
        return self.record(
            "SELECT token, helpful, at FROM answer_feedback WHERE member_id = ? AND at >= ? AND helpful = 0 "
            "ORDER BY id DESC LIMIT 1", [member_id, since],
        )

    def feedback_counts(self) -> dict[str, int]:
        """Return how many replies were marked helpful and not solved."""
        row = self.record("SELECT coalesce(sum(helpful), 0) AS helpful, count(*) - coalesce(sum(helpful), 0) "
                          "AS not_solved FROM answer_feedback")
        return row

    # --- reports ----------------------------------------------------------------------------

    def question_counts(self, since: str, until: str) -> list[dict]:
        """Return questions asked per unit and topic in a period (from the question log)."""
        return self.records(
            "SELECT coalesce(u.name, '') AS unit, q.topic, count(*) AS n FROM question_log q "
            "LEFT JOIN members m ON m.id = q.member_id LEFT JOIN units u ON u.id = m.unit_id "
            "WHERE q.asked_at >= ? AND q.asked_at < ? AND q.outcome != 'article' AND q.outcome != 'search' "
            "AND q.outcome != 'refused' GROUP BY 1, 2 ORDER BY 1, 3 DESC",
            [since, until],
        )

    def reviewed_hits(self, since: str, until: str) -> list[dict]:
        """Return questions answered from the reviewed layer per unit in a period."""
        return self.records(
            "SELECT coalesce(u.name, '') AS unit, count(*) AS n FROM question_log q "
            "LEFT JOIN members m ON m.id = q.member_id LEFT JOIN units u ON u.id = m.unit_id "
            "WHERE q.asked_at >= ? AND q.asked_at < ? AND q.outcome = 'reviewed' GROUP BY 1",
            [since, until],
        )

    def entries_between(self, since: str, until: str) -> list[Entry]:
        """Return queue entries created in a period."""
        return self.records(_ENTRY_SQL + " WHERE e.created_at >= ? AND e.created_at < ? ORDER BY e.id",
                            [since, until], Entry)
