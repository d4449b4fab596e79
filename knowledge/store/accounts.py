"""Storage of members' accounts on channels: who a person is on telegram, web, wecom, dingtalk...

The one place identity is looked up: a channel and the person's id there give the member.
"""

from __future__ import annotations

from collections.abc import Iterable

from knowledge.members import Account
from knowledge.store.database import Database

ACCOUNT_SQL = "SELECT member_id, channel, external_id, address, reachable, source FROM accounts"


def account_record(reachable: int, **row) -> Account:
    """Build an Account from an ACCOUNT_SQL row."""
    return Account(reachable=bool(reachable), **row)


class AccountTaken(Exception):
    """The account is already bound to another active member."""

    def __init__(self, member_id: int):
        super().__init__(member_id)
        self.member_id = member_id


class AccountStore(Database):
    """Accounts by channel; binding, reachability, and the account a deactivated member leaves behind."""

    def account(self, member_id: int, channel: str) -> Account | None:
        """Return a member's account on one channel."""
        return self.record(ACCOUNT_SQL + " WHERE member_id = ? AND channel = ?", [member_id, channel], account_record)

    def accounts_of(self, member_ids: Iterable[int]) -> dict[int, list[Account]]:
        """Return every account of these members, by member."""
        found: dict[int, list[Account]] = {}
        for account in self.in_chunks(ACCOUNT_SQL, "member_id", list(member_ids), account_record):
            found.setdefault(account.member_id, []).append(account)
        return found

    def bind_account(
        self, member_id: int, channel: str, external_id: str, address: str = "", source: str = "",
        account_hash: str | None = None,
    ) -> Account | None:
        """Bind an account to a member (replacing their earlier one on that channel); return the replaced one.

        An account left by a deactivated member is free again; one held by another active member
        raises AccountTaken and binds nothing.
        """
        external_id = str(external_id)
        now = self.now()
        with self.transaction():
            holder = self.scalar(
                "SELECT a.member_id FROM accounts a JOIN members m ON m.id = a.member_id "
                "WHERE a.channel = ? AND a.external_id = ? AND m.active = 1",
                [channel, external_id],
            )
            if holder is not None and holder != member_id:
                raise AccountTaken(holder)
            previous = self.account(member_id, channel)
            self.db.execute("DELETE FROM accounts WHERE channel = ? AND external_id = ?", [channel, external_id])
            self.db.execute("DELETE FROM accounts WHERE member_id = ? AND channel = ?", [member_id, channel])
            self.db.execute(
                "INSERT INTO accounts (member_id, channel, external_id, address, reachable, source, account_hash, "
                "bound_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?)",
                [member_id, channel, external_id, str(address), source, account_hash, now],
            )
            self.db.execute("UPDATE members SET updated_at = ? WHERE id = ?", [now, member_id])
        if previous is not None and previous.external_id == external_id and previous.address == str(address):
            return None
        return previous

    def note_account(self, member_id: int, channel: str, source: str = "sign-in") -> None:
        """Record that a member uses a channel that needs no address (the web), once."""
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO accounts (member_id, channel, external_id, source, bound_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [member_id, channel, str(member_id), source, self.now()],
            )

    def unbind_account(self, member_id: int, channel: str) -> bool:
        """Remove a member's account on a channel; return whether there was one."""
        with self.transaction():
            return self.db.execute(
                "DELETE FROM accounts WHERE member_id = ? AND channel = ?", [member_id, channel]
            ).rowcount == 1

    def set_account_reachable(self, member_id: int, channel: str, reachable: bool) -> None:
        """Mark a member's account on a channel reachable or not (what the platform said at the last send)."""
        with self.transaction():
            self.db.execute(
                "UPDATE accounts SET reachable = ? WHERE member_id = ? AND channel = ? AND reachable != ?",
                [int(reachable), member_id, channel, int(reachable)],
            )

    def staff_bound(self, role: str) -> bool:
        """Tell whether an active member of this role has an account on any channel."""
        return bool(self.scalar(
            "SELECT 1 FROM members m JOIN accounts a ON a.member_id = m.id WHERE m.role = ? AND m.active = 1 LIMIT 1",
            [role],
        ))

    def account_retired(self, channel: str, external_id: str, account_hash: str) -> bool:
        """Tell whether an account belonged to a member who left the roster."""
        return bool(
            self.scalar("SELECT 1 FROM retired_accounts WHERE account_hash = ?", [account_hash])
            or self.scalar(
                "SELECT 1 FROM accounts a JOIN members m ON m.id = a.member_id "
                "WHERE a.channel = ? AND a.external_id = ? AND m.active = 0 LIMIT 1",
                [channel, str(external_id)],
            )
        )

    def retire_accounts(self, member_id: int, now: str) -> None:
        """Remember a leaving member's accounts as keyed hashes only, and drop the accounts themselves."""
        self.db.execute(
            "INSERT OR IGNORE INTO retired_accounts (account_hash, retired_at) "
            "SELECT account_hash, ? FROM accounts WHERE member_id = ? AND account_hash IS NOT NULL",
            [now, member_id],
        )
        self.db.execute("DELETE FROM accounts WHERE member_id = ?", [member_id])
