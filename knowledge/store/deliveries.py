"""Storage of the weekly push: one delivery row per member and round, and the reminders sent once."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.members import Member
from knowledge.store.database import Database
from knowledge.store.members import MEMBER_SQL, member_record


@dataclass
class Delivery:
    """The state of one member's invitation to one round: pending → sending → sent, blocked or failed."""

    status: str
    tries: int
    error: str


class DeliveryStore(Database):
    """Deliveries are claimed before a send and recorded after it, so a crash never skips anyone."""

    def prepare_deliveries(self, round_id: int) -> int:
        """Queue the round for every active member not yet queued; return how many were added."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO deliveries (round_id, member_id, status, updated_at) "
                "SELECT ?, id, 'pending', ? FROM members WHERE active = 1",
                [round_id, self.now()],
            )
            return cursor.rowcount

    def undelivered(self, round_id: int, max_tries: int = 3) -> list[Member]:
        """Return members the round still has to reach: pending, interrupted mid-send, not yet bound
        (they may have bound since), or failed fewer than max_tries times."""
        return self.records(
            MEMBER_SQL + " JOIN deliveries d ON d.member_id = m.id "
            "WHERE d.round_id = ? AND m.active = 1 AND (d.status IN ('pending', 'sending') "
            "OR (d.status = 'failed' AND (d.error = 'unbound' OR d.tries < ?))) ORDER BY m.id",
            [round_id, max_tries],
            member_record,
        )

    def claim_delivery(self, round_id: int, member_id: int) -> bool:
        """Mark a delivery 'sending' unless it was delivered or blocked meanwhile; return whether it was claimed."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE deliveries SET status = 'sending', error = '', tries = tries + 1, updated_at = ? "
                "WHERE round_id = ? AND member_id = ? AND status IN ('pending', 'sending', 'failed')",
                [self.now(), round_id, member_id],
            )
            return cursor.rowcount == 1

    def delivery(self, round_id: int, member_id: int) -> Delivery | None:
        """Return the state of one delivery."""
        return self.record(
            "SELECT status, tries, error FROM deliveries WHERE round_id = ? AND member_id = ?",
            [round_id, member_id],
            Delivery,
        )

    def unreported_unreachable(self, round_id: int) -> list[Member]:
        """Return the members the round could not reach (blocked or not bound) whose unit admins were not yet told."""
        return self.records(
            MEMBER_SQL + " JOIN deliveries d ON d.member_id = m.id AND d.round_id = ? "
            "WHERE m.active = 1 AND (d.status = 'blocked' OR (d.status = 'failed' AND d.error = 'unbound')) "
            "AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.round_id = d.round_id AND r.member_id = m.id "
            "AND r.kind = 'unreachable') ORDER BY u.name, m.staff_no",
            [round_id],
            member_record,
        )

    def mark_delivery(self, round_id: int, member_id: int, status: str, error: str = "") -> None:
        """Record the state of one delivery."""
        with self.transaction():
            self.db.execute(
                "UPDATE deliveries SET status = ?, error = ?, tries = tries + (? = 'sending'), updated_at = ? "
                "WHERE round_id = ? AND member_id = ?",
                [status, error, status, self.now(), round_id, member_id],
            )

    def delivery_counts(self, round_id: int) -> dict[str, int]:
        """Count deliveries by status."""
        rows = self.records(
            "SELECT status, count(*) AS n FROM deliveries WHERE round_id = ? GROUP BY status", [round_id]
        )
        return {row["status"]: row["n"] for row in rows}

    def record_reminder(self, round_id: int, member_id: int, kind: str = "member") -> bool:
        """Record a reminder; return False if this one was already sent."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO reminders (round_id, member_id, kind, sent_at) VALUES (?, ?, ?, ?)",
                [round_id, member_id, kind, self.now()],
            )
            return cursor.rowcount == 1

    def forget_reminder(self, round_id: int, member_id: int, kind: str = "member") -> None:
        """Undo record_reminder for a reminder that could not be sent, so the next run tries again."""
        with self.transaction():
            self.db.execute(
                "DELETE FROM reminders WHERE round_id = ? AND member_id = ? AND kind = ?", [round_id, member_id, kind]
            )
