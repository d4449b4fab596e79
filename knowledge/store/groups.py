"""Storage of units' staff groups on channels (group robots) and what was sent to them."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.store.database import Database


@dataclass(frozen=True)
class UnitGroup:
    """A unit's staff group on one channel: where its robot's webhook is."""

    unit_id: int
    unit: str
    channel: str
    address: str
    secret: str = ""


class GroupStore(Database):
    """Units' group robots, and a ledger of their notices: each goes once, a failed one again."""

    def set_unit_group(self, unit: str, channel: str, address: str, secret: str = "") -> bool:
        """Set (or replace) a unit's group on a channel; False if there is no such unit."""
        with self.transaction():
            unit_id = self.scalar("SELECT id FROM units WHERE name = ?", [unit])
            if unit_id is None:
                return False
            self.db.execute(
                "INSERT INTO unit_groups (unit_id, channel, address, secret, added_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (unit_id, channel) DO UPDATE SET address = excluded.address, secret = excluded.secret",
                [unit_id, channel, address, secret, self.now()],
            )
            return True

    def remove_unit_group(self, unit: str, channel: str) -> bool:
        """Remove a unit's group on a channel; return whether there was one."""
        with self.transaction():
            return self.db.execute(
                "DELETE FROM unit_groups WHERE channel = ? AND unit_id = (SELECT id FROM units WHERE name = ?)",
                [channel, unit],
            ).rowcount == 1

    def unit_groups(self) -> list[UnitGroup]:
        """Return every unit's groups, by unit name."""
        return self.records(
            "SELECT g.unit_id, u.name AS unit, g.channel, g.address, g.secret FROM unit_groups g "
            "JOIN units u ON u.id = g.unit_id ORDER BY u.name, g.channel",
            [],
            UnitGroup,
        )

    def claim_group_notice(self, kind: str, subject: str, unit_id: int, channel: str, max_tries: int = 3) -> bool:
        """Claim a group notice before sending: False when it was sent already (or failed too often)."""
        now = self.now()
        with self.transaction():
            inserted = self.db.execute(
                "INSERT OR IGNORE INTO group_outbox (kind, subject, unit_id, channel, status, tries, updated_at) "
                "VALUES (?, ?, ?, ?, 'sending', 1, ?)",
                [kind, str(subject), unit_id, channel, now],
            ).rowcount
            if inserted:
                return True
            return self.db.execute(
                "UPDATE group_outbox SET status = 'sending', tries = tries + 1, updated_at = ? "
                "WHERE kind = ? AND subject = ? AND unit_id = ? AND channel = ? "
                "AND status IN ('sending', 'failed') AND tries < ?",
                [now, kind, str(subject), unit_id, channel, max_tries],
            ).rowcount == 1

    def mark_group_notice(self, kind: str, subject: str, unit_id: int, channel: str, status: str,
                          error: str = "") -> None:
        """Record what became of a group notice."""
        with self.transaction():
            self.db.execute(
                "UPDATE group_outbox SET status = ?, error = ?, updated_at = ? "
                "WHERE kind = ? AND subject = ? AND unit_id = ? AND channel = ?",
                [status, error, self.now(), kind, str(subject), unit_id, channel],
            )
