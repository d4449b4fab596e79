"""Storage of units, members (the roster), invite codes, bound accounts and the question log."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from knowledge.members import Member, RosterReport, RosterRow
from knowledge.models import Article
from knowledge.store.database import Database

MEMBER_SQL = (
    "SELECT m.id, m.staff_no, m.name, u.name AS unit, m.role, m.phone, m.telegram_id, m.chat_id, m.active, "
    "m.reachable, m.joined_at, m.deactivated_at FROM members m JOIN units u ON u.id = m.unit_id"
)


def member_record(active: int, reachable: int, **row) -> Member:
    """Build a Member from a MEMBER_SQL row (SQLite keeps booleans as 0/1)."""
    return Member(active=bool(active), reachable=bool(reachable), **row)


@dataclass
class Invite:
    """An issued invite code, by its hash: whose it is, whether it was used, until when it is valid."""

    member_id: int
    used_at: str | None
    expires_at: str | None
    telegram_only: bool = False  # issued on the web's account page: binds Telegram, never signs in on the web


@dataclass
class Claim:
    """One sign-in attempt counted before it is checked: its rows, the subjects that were already
    locked (then nothing was counted), and those this attempt locks should it fail."""

    ids: list[int] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)
    locks: list[str] = field(default_factory=list)


@dataclass
class LoggedQuestion:
    """A question as the question log keeps it."""

    id: int
    member_id: int | None
    asked_at: str
    channel: str
    question: str
    outcome: str
    cited: list[str]


class MemberStore(Database):
    """The roster and everything tied to one person's account."""

    # --- the roster ---------------------------------------------------------------------

    def import_roster(
        self, rows: list[RosterRow], deactivate_missing: bool = False, unit: str | None = None
    ) -> RosterReport:
        """Add or update roster rows by 工号 in one transaction; optionally deactivate those not listed."""
        report = RosterReport()
        now = self.now()
        with self.transaction():
            for row in rows:
                unit_id = self._unit_id(row.unit, now)
                current = self.record(
                    "SELECT id, name, unit_id, role, phone, active FROM members WHERE staff_no = ?", [row.staff_no]
                )
                values = {"name": row.name, "unit_id": unit_id, "role": row.role, "phone": row.phone}
                if current is None:
                    self.db["members"].insert(
                        {"staff_no": row.staff_no, **values, "joined_at": now, "updated_at": now, "active": 1}
                    )
                    report.added += 1
                elif current == {"id": current["id"], **values, "active": 1}:
                    report.unchanged += 1
                else:
                    self.db["members"].update(
                        current["id"], {**values, "active": 1, "deactivated_at": None, "updated_at": now}
                    )
                    report.updated += 1
            if deactivate_missing:
                listed = {row.staff_no for row in rows}
                for member in self.members(unit=unit):
                    if member.staff_no not in listed:
                        self._deactivate(member.id, now)
                        report.deactivated += 1
        return report

    def _unit_id(self, name: str, now: str) -> int:
        unit_id = self.scalar("SELECT id FROM units WHERE name = ?", [name])
        if unit_id is not None:
            return unit_id
        return self.db["units"].insert({"name": name, "created_at": now}).last_pk

    def _retire_account(self, member_id: int, now: str) -> None:
        # A Telegram account that leaves the roster (deactivated, forgotten) can never bootstrap an
        # admin again: it is remembered as a keyed hash only.
        self.db.execute(
            "INSERT OR IGNORE INTO retired_accounts (account_hash, retired_at) "
            "SELECT account_hash, ? FROM members WHERE id = ? AND account_hash IS NOT NULL",
            [now, member_id],
        )

    def _deactivate(self, member_id: int, now: str) -> None:
        # Keep the record (rounds, answers, sessions) but not what is needed only to reach the person:
        # the phone number and the Telegram account go.
        self._retire_account(member_id, now)
        self.db.execute(
            "UPDATE members SET active = 0, deactivated_at = ?, updated_at = ?, phone = '', telegram_id = NULL, "
            "chat_id = NULL, account_hash = NULL WHERE id = ?",
            [now, now, member_id],
        )
        self.db.execute("DELETE FROM invite_codes WHERE member_id = ? AND used_at IS NULL", [member_id])

    def deactivate_member(self, member_id: int) -> None:
        """Deactivate a member, keeping every record of theirs."""
        with self.transaction():
            self._deactivate(member_id, self.now())

    def members(self, unit: str | None = None, active_only: bool = True) -> list[Member]:
        """Return members, of one unit or all, by unit then 工号."""
        sql, params = MEMBER_SQL + " WHERE 1 = 1", []
        if active_only:
            sql += " AND m.active = 1"
        if unit is not None:
            sql += " AND u.name = ?"
            params.append(unit)
        return self.records(sql + " ORDER BY u.name, m.staff_no", params, member_record)

    def member(self, member_id: int) -> Member | None:
        """Return a member by id."""
        return self.record(MEMBER_SQL + " WHERE m.id = ?", [member_id], member_record)

    def member_by_telegram(self, telegram_id: int) -> Member | None:
        """Return the active member bound to a Telegram account."""
        return self.record(MEMBER_SQL + " WHERE m.telegram_id = ? AND m.active = 1", [telegram_id], member_record)

    def bureau_admin_bound(self) -> bool:
        """Tell whether an active bureau admin of the roster has bound an account."""
        return bool(self.scalar(
            "SELECT 1 FROM members WHERE role = 'bureau_admin' AND active = 1 AND telegram_id IS NOT NULL LIMIT 1"
        ))

    def account_retired(self, telegram_id: int, account_hash: str) -> bool:
        """Tell whether a Telegram account belonged to a deactivated member."""
        return bool(
            self.scalar("SELECT 1 FROM retired_accounts WHERE account_hash = ?", [account_hash])
            # members deactivated before accounts were retired by hash (migration 0006) still hold the id
            or self.scalar("SELECT 1 FROM members WHERE telegram_id = ? AND active = 0 LIMIT 1", [telegram_id])
        )

    def find_members(self, query: str) -> list[Member]:
        """Return members whose 工号 or 姓名 is exactly the query (active ones first)."""
        return self.records(
            MEMBER_SQL + " WHERE upper(m.staff_no) = upper(?) OR m.name = ? ORDER BY m.active DESC, m.staff_no",
            [query, query],
            member_record,
        )

    def units(self) -> list[str]:
        """Return every unit that has active members, by name."""
        return [
            row["name"]
            for row in self.records(
                "SELECT DISTINCT u.name FROM units u JOIN members m ON m.unit_id = u.id WHERE m.active = 1 "
                "ORDER BY u.name"
            )
        ]

    # --- invite codes, sign-ins and bound accounts --------------------------------------

    def replace_invite_codes(self, codes: list[tuple[int, str, str]], telegram_only: bool = False) -> None:
        """Store fresh code hashes (member, hash, expiry), invalidating each member's older unused codes."""
        now = self.now()
        with self.transaction():
            for member_id, digest, expires_at in codes:
                self.db.execute("DELETE FROM invite_codes WHERE member_id = ? AND used_at IS NULL", [member_id])
                self.db["invite_codes"].insert(
                    {"code_hash": digest, "member_id": member_id, "created_at": now, "expires_at": expires_at,
                     "telegram_only": int(telegram_only)}
                )

    def invite(self, digest: str) -> Invite | None:
        """Return the invite issued with this code hash, if any."""
        found = self.record(
            "SELECT member_id, used_at, expires_at, telegram_only FROM invite_codes WHERE code_hash = ?", [digest], Invite
        )
        if found is not None:
            found.telegram_only = bool(found.telegram_only)
        return found

    def use_code(self, digest: str, used_on: str) -> bool:
        """Mark a code used, once: False if it was used meanwhile (two attempts at once: one wins)."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE invite_codes SET used_at = ?, used_on = ? WHERE code_hash = ? AND used_at IS NULL",
                [self.now(), used_on, digest],
            )
            return cursor.rowcount == 1

    def bind_telegram(self, member_id: int, telegram_id: int, chat_id: int, account_hash: str) -> int | None:
        """Bind a Telegram account to a member; return the chat of the account it replaced, if any."""
        now = self.now()
        with self.transaction():
            previous = self.scalar("SELECT chat_id FROM members WHERE id = ?", [member_id])
            # An account that belonged to a deactivated member is free again.
            self.db.execute(
                "UPDATE members SET telegram_id = NULL, chat_id = NULL WHERE telegram_id = ? AND active = 0",
                [telegram_id],
            )
            self.db.execute(
                "UPDATE members SET telegram_id = ?, chat_id = ?, account_hash = ?, bound_at = ?, reachable = 1, "
                "updated_at = ? WHERE id = ?",
                [telegram_id, chat_id, account_hash, now, now, member_id],
            )
        return previous

    def record_sign_in(self, subject: str, ok: bool) -> None:
        """Record a sign-in or registration attempt, for rate limiting failures."""
        with self.transaction():
            self.db["sign_in_attempts"].insert({"subject": subject, "at": self.now(), "ok": int(ok)})

    def claim_sign_in(self, subjects: list[tuple[str, int]], since: str) -> Claim:
        """Count an attempt as failed against every subject, in one transaction, unless one is locked.

        Checked and counted under the write lock: of twelve attempts sent at once against a limit
        of five, five are counted and checked, and seven find the subject locked (issue 17).
        settle_sign_in() marks the attempt good once it proved right.
        """
        with self.transaction():
            counts = [(subject, most, self.failed_sign_ins(subject, since)) for subject, most in subjects]
            locked = [subject for subject, most, count in counts if count >= most]
            if locked:
                return Claim(locked=locked)
            now = self.now()
            ids = [
                self.db.execute("INSERT INTO sign_in_attempts (subject, at, ok) VALUES (?, ?, 0)", [subject, now]).lastrowid
                for subject, _, _ in counts
            ]
            return Claim(ids, locks=[subject for subject, most, count in counts if count + 1 >= most])

    def settle_sign_in(self, ids: list[int]) -> None:
        """Mark a claimed attempt as one that succeeded: it no longer counts against anyone."""
        if ids:
            with self.transaction():
                self.db.execute(f"UPDATE sign_in_attempts SET ok = 1 WHERE id IN ({','.join('?' * len(ids))})", ids)

    def failed_sign_ins(self, subject: str, since: str) -> int:
        """Count failed attempts of a subject since a time."""
        return self.scalar(
            "SELECT count(*) FROM sign_in_attempts WHERE subject = ? AND ok = 0 AND at >= ?", [subject, since]
        )

    def set_reachable(self, member_id: int, reachable: bool) -> None:
        """Mark a member reachable or not (a member who blocked the bot is unreachable)."""
        with self.transaction():
            self.db.execute(
                "UPDATE members SET reachable = ?, updated_at = ? WHERE id = ?", [int(reachable), self.now(), member_id]
            )

    # --- the question log ---------------------------------------------------------------

    def log_question(
        self, member_id: int | None, channel: str, question: str, outcome: str, cited: list[Article]
    ) -> None:
        """Record a question, how it was answered and the articles cited (as citations and ids)."""
        with self.transaction():
            self.db["question_log"].insert(
                {
                    "member_id": member_id,
                    "asked_at": self.now(),
                    "channel": channel,
                    "question": question,
                    "outcome": outcome,
                    "cited": json.dumps([a.citation for a in cited], ensure_ascii=False),
                    "article_ids": json.dumps([a.id for a in cited]),
                }
            )

    def question_log(self, member_id: int | None = None) -> list[LoggedQuestion]:
        """Return logged questions, newest first, of one member or everyone."""
        sql = "SELECT id, member_id, asked_at, channel, question, outcome, cited FROM question_log"
        params = []
        if member_id is not None:
            sql += " WHERE member_id = ?"
            params.append(member_id)
        rows = self.records(sql + " ORDER BY id DESC", params)
        return [LoggedQuestion(**(row | {"cited": json.loads(row["cited"])})) for row in rows]
