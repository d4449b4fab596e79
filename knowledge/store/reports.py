"""Storage read by reports and records: quiz results per member and round, group sessions, the audit log.

This module only fetches; who counts for a round (应参加) is decided by knowledge.members.Tenure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from knowledge.store.members import MemberStore

FEW_ROUNDS = 16  # up to this many rounds (a quarter and a bit) a report starts from the rounds
# A member counts for a round when on the roster at its deadline: members.Tenure.covers, in SQL.
COVERS = "m.joined_at <= r.deadline AND (m.deactivated_at IS NULL OR r.deadline < m.deactivated_at)"
_SUMS = ("sum(rr.attempts > 0) AS done, sum(rr.passed) AS passed, max(rr.best_score) AS best, "
         "sum(CASE WHEN rr.attempts > 0 THEN rr.best_score END) AS score_sum, max(rr.last_at) AS last")


def unit_filter(column: str, units: frozenset[str] | None) -> tuple[str, list[str]]:
    """Return an SQL condition (with its parameters) keeping rows whose unit is one of units (None: all)."""
    if units is None:
        return "", []
    names = sorted(units)
    return f" AND {column} IN ({','.join('?' * len(names))})" if names else " AND 0", names


@dataclass
class RoundTally:
    """A round of a period with how many members took and passed it (best attempt each)."""

    id: int
    week: str
    deadline: str
    done: int = 0
    passed: int = 0


@dataclass
class Participant:
    """A member as a report sees them, with their quiz results over the period's rounds."""

    id: int
    staff_no: str
    name: str
    unit: str
    role: str
    phone: str
    reachable: bool
    bound: bool
    active: bool
    joined_at: str
    deactivated_at: str | None
    done: int = 0  # rounds with a finished attempt
    passed: int = 0  # rounds passed
    best: float | None = None  # best score of any round
    score_sum: float = 0.0  # sum of the best scores of the rounds taken
    last_activity: str | None = None  # latest quiz activity or question, UTC


@dataclass
class MemberRound:
    """One round of a period with one member's attempts at it."""

    week: str
    deadline: str
    attempts: int
    best_score: float | None
    passed: bool


@dataclass
class QuestionTally:
    """How one question was answered over some rounds: answers given and how many were right."""

    question_id: int
    stem: str
    kind: str
    citation: str
    article_id: int | None
    answered: int
    correct: int


@dataclass
class SessionSummary:
    """A group study session with its attendee count."""

    id: int
    held_on: str
    title: str
    unit: str
    laws: str
    attendees: int


@dataclass
class AuditEntry:
    """Who asked for what, and when."""

    at: str
    member_id: int | None
    actor: str
    action: str
    detail: str


class ReportStore(MemberStore):
    """What reports, records and the audit log read and write (sessions name units, kept with members)."""

    # --- the audit log ------------------------------------------------------------------

    def audit(self, member_id: int | None, actor: str, action: str, detail: str) -> None:
        """Record who asked for which report or record, and when."""
        with self.transaction():
            self.db["audit_log"].insert(
                {"at": self.now(), "member_id": member_id, "actor": actor, "action": action, "detail": detail}
            )

    def audit_log(self, limit: int = 100, since: str | None = None, member_id: int | None = None,
                  mentioning: str | None = None) -> list[AuditEntry]:
        """Return the latest audit entries, newest first: since a time, by or about one member."""
        sql, params = "SELECT at, member_id, actor, action, detail FROM audit_log WHERE at >= ?", [since or ""]
        if member_id is not None:
            sql += " AND (member_id = ? OR instr(' ' || detail || ' ', ' ' || ? || ' ') > 0)"
            params += [member_id, mentioning or "\0"]
        return self.records(sql + " ORDER BY id DESC LIMIT ?", [*params, limit], AuditEntry)

    # --- participation ------------------------------------------------------------------

    def participation(
        self, since: str, until: str, units: frozenset[str] | None
    ) -> tuple[list[RoundTally], list[Participant]]:
        """Return the rounds whose deadline lies in [since, until] and every member (of a set of units) with results.

        Per round, the best finished attempt counts (table round_results, kept by triggers), and only
        for a member on the roster at the round's deadline (COVERS, the rule of members.Tenure): a
        result in a round its member had left before, or joined after, counts in no figure.
        """
        rounds = self.records(
            "SELECT id, week, deadline FROM rounds WHERE deadline BETWEEN ? AND ? ORDER BY deadline",
            [since, until],
            RoundTally,
        )
        in_units, unit_params = unit_filter("u.name", units)
        people = self.records(
            "SELECT m.id, m.staff_no, m.name, u.name AS unit, m.role, m.phone, "
            "EXISTS (SELECT 1 FROM accounts a WHERE a.member_id = m.id AND a.reachable = 1 "
            "AND live_channel(a.channel)) AS reachable, "
            "EXISTS (SELECT 1 FROM accounts a WHERE a.member_id = m.id) AS bound, m.active, m.joined_at, "
            "m.deactivated_at "
            "FROM members m JOIN units u ON u.id = m.unit_id WHERE 1 = 1" + in_units,
            unit_params,
        )
        in_unit = (
            f" AND rr.member_id IN (SELECT m.id FROM members m JOIN units u ON u.id = m.unit_id WHERE 1 = 1{in_units})"
            if units is not None else ""
        )
        # Two plans, chosen by measurement (bench/web.py, 10,000 members): for a few rounds, from the
        # rounds into round_results by its key (CROSS JOIN fixes that order; the planner otherwise walked
        # all of round_results to group it, ~20x slower for a week); for many, one pass over the covering
        # index in member order, which needs no sorting.
        if len(rounds) <= FEW_ROUNDS:
            source = "rounds r CROSS JOIN round_results rr ON rr.round_id = r.id WHERE r.deadline BETWEEN ? AND ?"
        else:
            source = "round_results rr WHERE rr.round_id IN (SELECT id FROM rounds WHERE deadline BETWEEN ? AND ?)"
        results = {
            row["member_id"]: row
            for row in self.records(f"SELECT rr.member_id, {_SUMS} FROM {source}{in_unit} GROUP BY rr.member_id",
                                    [since, until, *unit_params])
        }
        per_round = {  # grouped by the outer table's key: rows arrive in that order, nothing to sort
            row["round_id"]: row
            for row in self.records(
                "SELECT r.id AS round_id, sum(rr.attempts > 0) AS done, sum(rr.passed) AS passed "
                "FROM rounds r CROSS JOIN round_results rr ON rr.round_id = r.id "
                f"WHERE r.deadline BETWEEN ? AND ?{in_unit} GROUP BY r.id",
                [since, until, *unit_params],
            )
        }
        self._count_only_tenures(since, until, in_unit, unit_params, results, per_round)
        for tally in rounds:
            counts = per_round.get(tally.id)
            if counts:
                tally.done, tally.passed = counts["done"] or 0, counts["passed"] or 0
        asked = {
            row["member_id"]: row["last"]
            for row in self.records("SELECT member_id, max(asked_at) AS last FROM question_log GROUP BY member_id")
        }
        participants = []
        for person in people:
            found = results.get(person["id"], {})
            last = max(filter(None, (found.get("last"), asked.get(person["id"]))), default=None)
            participants.append(Participant(
                **(person | {"reachable": bool(person["reachable"]), "bound": bool(person["bound"]),
                             "active": bool(person["active"])}),
                done=found.get("done") or 0, passed=found.get("passed") or 0, best=found.get("best"),
                score_sum=found.get("score_sum") or 0.0, last_activity=last,
            ))
        return rounds, participants

    def _count_only_tenures(
        self, since: str, until: str, in_unit: str, unit_params: list, results: dict, per_round: dict
    ) -> None:
        """Take out of the sums every result of a round its member was not on the roster for.

        Only members who joined or left within the period can have such results, a handful of a
        county's thousands: the fast sums above stay as they are, and these few are summed again.
        """
        partial = "rr.member_id IN (SELECT id FROM members WHERE joined_at > ? OR deactivated_at <= ?)"
        params = [since, until, since, until, *unit_params]
        source = (f"round_results rr JOIN rounds r ON r.id = rr.round_id JOIN members m ON m.id = rr.member_id "
                  f"WHERE {partial} AND r.deadline BETWEEN ? AND ?{in_unit}")
        recounted = {row["member_id"]: row for row in self.records(
            f"SELECT rr.member_id, {_SUMS} FROM {source} AND {COVERS} GROUP BY rr.member_id", params)}
        for row in self.records(f"SELECT DISTINCT rr.member_id FROM {source}", params):
            member_id = row["member_id"]
            last = results.get(member_id, {}).get("last")  # activity is activity, counted or not
            results[member_id] = {**recounted.get(member_id, {}), "last": last}
        for row in self.records(
            f"SELECT r.id AS round_id, sum(rr.attempts > 0) AS done, sum(rr.passed) AS passed FROM {source} "
            f"AND NOT ({COVERS}) GROUP BY r.id", params,
        ):
            counts = per_round[row["round_id"]]
            per_round[row["round_id"]] = {"done": (counts["done"] or 0) - (row["done"] or 0),
                                          "passed": (counts["passed"] or 0) - (row["passed"] or 0)}

    def question_tallies(self, since: str, until: str, units: frozenset[str] | None) -> list[QuestionTally]:
        """Return every question answered in the rounds whose deadline lies in [since, until] (of a set of units)."""
        in_units, params = unit_filter("name", units)
        unit_sql = f" AND qr.unit_id IN (SELECT id FROM units WHERE 1 = 1{in_units})" if units is not None else ""
        return self.records(
            "SELECT q.id AS question_id, q.stem, q.kind, q.citation, q.article_id, sum(qr.answered) AS answered, "
            "sum(qr.correct) AS correct FROM question_results qr JOIN quiz_questions q ON q.id = qr.question_id "
            f"WHERE qr.round_id IN (SELECT id FROM rounds WHERE deadline BETWEEN ? AND ?){unit_sql} "
            "GROUP BY q.id",
            [since, until, *params],
            QuestionTally,
        )

    # --- one person's record ------------------------------------------------------------

    def member_rounds(self, member_id: int, since: str, until: str) -> list[MemberRound]:
        """Return every round whose deadline lies in [since, until] with the member's attempts at it."""
        rows = self.records(
            """SELECT r.week, r.deadline, count(a.finished_at) AS attempts, max(a.score) AS best_score,
                coalesce(max(a.passed), 0) AS passed
            FROM rounds r LEFT JOIN attempts a ON a.round_id = r.id AND a.member_id = ?
            WHERE r.deadline BETWEEN ? AND ? GROUP BY r.id ORDER BY r.week""",
            [member_id, since, until],
        )
        return [MemberRound(**(row | {"passed": bool(row["passed"])})) for row in rows]

    def member_questions(self, member_id: int, since: str, until: str) -> tuple[int, list[tuple[str, int]]]:
        """Return how many questions a member asked and, per law, how many cited it."""
        rows = self.records(
            "SELECT cited FROM question_log WHERE member_id = ? AND asked_at BETWEEN ? AND ?",
            [member_id, since, until],
        )
        laws: dict[str, int] = {}
        for row in rows:
            for title in {c.split("》")[0].lstrip("《") for c in json.loads(row["cited"])}:
                laws[title] = laws.get(title, 0) + 1
        return len(rows), sorted(laws.items(), key=lambda item: -item[1])

    def member_sessions(self, member_id: int, start: str, end: str) -> list[tuple[str, str]]:
        """Return (date, title) of the group study sessions a member attended in a date range."""
        rows = self.records(
            "SELECT s.held_on, s.title FROM study_sessions s JOIN session_attendees a ON a.session_id = s.id "
            "WHERE a.member_id = ? AND s.held_on BETWEEN ? AND ? ORDER BY s.held_on",
            [member_id, start, end],
        )
        return [(row["held_on"], row["title"]) for row in rows]

    # --- group study sessions -----------------------------------------------------------

    def add_session(
        self, held_on: str, title: str, unit: str | None, laws: str, minutes: str, attendee_ids: list[int],
        created_by: int | None,
    ) -> int:
        """Record a group study session and its attendees."""
        with self.transaction():
            unit_id = self._unit_id(unit, self.now()) if unit else None
            session_id = self.db["study_sessions"].insert(
                {"held_on": held_on, "title": title, "unit_id": unit_id, "laws": laws, "minutes": minutes,
                 "created_by": created_by, "created_at": self.now()}
            ).last_pk
            self.db["session_attendees"].insert_all(
                {"session_id": session_id, "member_id": member_id} for member_id in sorted(set(attendee_ids))
            )
        return session_id

    def sessions(
        self, since: str | None = None, unit: str | None = None, units: frozenset[str] | None = None
    ) -> list[SessionSummary]:
        """Return group study sessions (of one unit, of a set of units, or all) with attendee counts, newest first."""
        sql = (
            "SELECT s.id, s.held_on, s.title, coalesce(u.name, '') AS unit, s.laws, count(a.member_id) AS attendees "
            "FROM study_sessions s LEFT JOIN units u ON u.id = s.unit_id "
            "LEFT JOIN session_attendees a ON a.session_id = s.id WHERE s.held_on >= ?"
        )
        params: list = [since or ""]
        if unit is not None:
            sql += " AND u.name = ?"
            params.append(unit)
        in_units, names = unit_filter("u.name", units)
        sql, params = sql + in_units, params + names
        return self.records(sql + " GROUP BY s.id ORDER BY s.held_on DESC, s.id DESC", params, SessionSummary)
