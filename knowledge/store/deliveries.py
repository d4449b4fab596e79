"""Storage of the one outbox ledger: every notice to every member, on whatever channel it went.

One row per (kind, subject, member): a round's invitation (kind 'round', subject the round's id),
a reminder, a unit digest, the unreachable list, the weekly digest, a reviewer's summary. The row
is claimed ('sending') just before the send and recorded after it, so a crash never skips anyone
and a finished notice is never sent again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.store.database import Database

@dataclass
class Delivery:
    """One member's notice: pending → sending → sent, blocked, failed or unreachable, and on which channel."""

    member_id: int
    status: str
    tries: int
    error: str
    channel: str = ""


class DeliveryStore(Database):
    """The outbox: queued before sending, claimed per member, recorded per member and channel."""

    def queue_notices(self, kind: str, subject: str, member_ids: Iterable[int]) -> int:
        """Queue a notice for these members unless already queued; return how many were added."""
        now = self.now()
        added = 0
        with self.transaction():
            for member_id in member_ids:
                added += self.db.execute(
                    "INSERT OR IGNORE INTO outbox (kind, subject, member_id, status, updated_at) "
                    "VALUES (?, ?, ?, 'pending', ?)",
                    [kind, str(subject), member_id, now],
                ).rowcount
        return added

    def open_deliveries(self, kind: str, subject: str, max_tries: int = 3) -> list[Delivery]:
        """Return the deliveries still to make: pending, interrupted mid-send, failed fewer than
        max_tries times, or unreachable at the last run (the member may have bound an account since)."""
        return self.records(
            "SELECT member_id, status, tries, error, channel FROM outbox WHERE kind = ? AND subject = ? "
            "AND (status IN ('pending', 'sending', 'unreachable') OR (status = 'failed' AND tries < ?)) "
            "ORDER BY member_id",
            [kind, str(subject), max_tries],
            Delivery,
        )

    def claim_delivery(self, kind: str, subject: str, member_id: int, channel: str) -> bool:
        """Mark a delivery 'sending' on a channel unless it was made meanwhile; return whether it was claimed."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE outbox SET status = 'sending', channel = ?, error = '', tries = tries + 1, updated_at = ? "
                "WHERE kind = ? AND subject = ? AND member_id = ? "
                "AND status IN ('pending', 'sending', 'failed', 'unreachable')",
                [channel, self.now(), kind, str(subject), member_id],
            )
            return cursor.rowcount == 1

    def mark_delivery(self, kind: str, subject: str, member_id: int, status: str, error: str = "",
                      channel: str | None = None) -> None:
        """Record the state of one delivery (and the channel, when it changes)."""
        with self.transaction():
            self.db.execute(
                "UPDATE outbox SET status = ?, error = ?, channel = coalesce(?, channel), updated_at = ? "
                "WHERE kind = ? AND subject = ? AND member_id = ?",
                [status, error, channel, self.now(), kind, str(subject), member_id],
            )

    def delivery(self, kind: str, subject: str, member_id: int) -> Delivery | None:
        """Return the state of one delivery."""
        return self.record(
            "SELECT member_id, status, tries, error, channel FROM outbox WHERE kind = ? AND subject = ? "
            "AND member_id = ?",
            [kind, str(subject), member_id],
            Delivery,
        )

    def deliveries(self, kind: str, subject: str, status: str | None = None) -> list[Delivery]:
        """Return a notice's deliveries, of one status or all."""
        sql = "SELECT member_id, status, tries, error, channel FROM outbox WHERE kind = ? AND subject = ?"
        params = [kind, str(subject)]
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        return self.records(sql + " ORDER BY member_id", params, Delivery)

    def delivery_counts(self, kind: str, subject: str) -> dict[str, int]:
        """Count a notice's deliveries by status."""
        rows = self.records(
            "SELECT status, count(*) AS n FROM outbox WHERE kind = ? AND subject = ? GROUP BY status",
            [kind, str(subject)],
        )
        return {row["status"]: row["n"] for row in rows}

    def channel_counts(self, kind: str, subject: str) -> dict[str, int]:
        """Count a notice's sent deliveries by channel."""
        rows = self.records(
            "SELECT channel, count(*) AS n FROM outbox WHERE kind = ? AND subject = ? AND status = 'sent' "
            "GROUP BY channel",
            [kind, str(subject)],
        )
        return {row["channel"]: row["n"] for row in rows}

    def notified(self, kind: str, subject: str) -> set[int]:
        """Return the members a notice reached (sent), or that a finished run gave up on."""
        return {
            row["member_id"] for row in self.records(
                "SELECT member_id FROM outbox WHERE kind = ? AND subject = ? AND status = 'sent'", [kind, str(subject)]
            )
        }
