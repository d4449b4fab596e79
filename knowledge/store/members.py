"""Storage of units, members (the roster), invite codes, bound accounts and the question log."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from knowledge.members import Member, RosterReport, RosterRow
from knowledge.models import Article
from knowledge.store.accounts import AccountStore
from knowledge.units import UnitTree

# reachable: an account the platform did not refuse, on a channel this deployment runs (live_channel()).
MEMBER_SQL = (
    "SELECT m.id, m.staff_no, m.name, u.name AS unit, m.role, m.phone, "
    "(SELECT group_concat(a.channel) FROM accounts a WHERE a.member_id = m.id) AS channels, m.active, "
    "EXISTS (SELECT 1 FROM accounts a WHERE a.member_id = m.id AND a.reachable = 1 AND live_channel(a.channel)) "
    "AS reachable, m.joined_at, m.deactivated_at FROM members m JOIN units u ON u.id = m.unit_id"
)


def member_record(active: int, reachable: int, channels: str | None, **row) -> Member:
    """Build a Member from a MEMBER_SQL row (SQLite keeps booleans as 0/1)."""
    names = tuple(sorted(channels.split(","))) if channels else ()
    return Member(active=bool(active), reachable=bool(reachable), channels=names, **row)


@dataclass
class Invite:
    """An issued invite code, by its hash: whose it is, whether it was used, until when it is valid."""

    member_id: int
    used_at: str | None
    expires_at: str | None
    replaced_at: str | None = None
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


class MemberStore(AccountStore):
    """The roster and everything tied to one person's account."""

    # --- the roster ---------------------------------------------------------------------

    def import_roster(
        self, rows: list[RosterRow], deactivate_missing: bool = False, unit: str | None = None
    ) -> RosterReport:
        """Add or update roster rows by 工号 in one transaction; optionally deactivate those not listed."""
        report = RosterReport()
        now = self.now()
        with self.transaction():
            self._link_units([(row.unit, row.parent) for row in rows if row.parent], now)
            for row in rows:
                unit_id = self._unit_id(row.unit, now)
                current = self.record(
                    "SELECT id, name, unit_id, role, phone, active FROM members WHERE staff_no = ?", [row.staff_no]
                )
                values = {"name": row.name, "unit_id": unit_id, "role": row.role, "phone": row.phone}
                if current is None:
                    member_id = self.db["members"].insert(
                        {"staff_no": row.staff_no, **values, "joined_at": now, "updated_at": now, "active": 1}
                    ).last_pk
                    report.added += 1
                else:
                    member_id = current["id"]
                    if current == {"id": current["id"], **values, "active": 1}:
                        report.unchanged += 1
                    else:
                        self.db["members"].update(
                            current["id"], {**values, "active": 1, "deactivated_at": None, "updated_at": now}
                        )
                        report.updated += 1
                self._roster_reviewer(member_id, unit_id, row.reviewer, now)
            if deactivate_missing:
                listed = {row.staff_no for row in rows}
                for member in self.members(unit=unit):
                    if member.staff_no not in listed:
                        self._deactivate(member.id, now)
                        report.deactivated += 1
        return report

    def _roster_reviewer(self, member_id: int, unit_id: int, reviewer: bool, now: str) -> None:
        # Roster role 法治副校长: reviewer of their own unit (knowledge.review), as long as the roster says so.
        self.db.execute("DELETE FROM reviewers WHERE member_id = ? AND source = 'roster'", [member_id])
        if reviewer:
            self.db.execute(
                "INSERT OR IGNORE INTO reviewers (member_id, unit_id, source, assigned_at) VALUES (?, ?, 'roster', ?)",
                [member_id, unit_id, now],
            )

    def _unit_id(self, name: str, now: str) -> int:
        unit_id = self.scalar("SELECT id FROM units WHERE name = ?", [name])
        if unit_id is not None:
            return unit_id
        return self.db["units"].insert({"name": name, "created_at": now}).last_pk

    def unit_tree(self) -> UnitTree:
        """Return every unit with its parent."""
        return UnitTree({
            row["name"]: row["parent"] for row in self.records(
                "SELECT u.name, p.name AS parent FROM units u LEFT JOIN units p ON p.id = u.parent_id")
        })

    def unit_names(self) -> list[str]:
        """Return every unit, with members or not, by name."""
        return [row["name"] for row in self.records("SELECT name FROM units ORDER BY name")]

    def link_units(self, links: list[tuple[str, str | None]]) -> None:
        """Create units and set their parents (None: a top unit) in one transaction; loops are refused."""
        with self.transaction():
            self._link_units(links, self.now(), detach=True)

    def _link_units(self, links: list[tuple[str, str | None]], now: str, detach: bool = False) -> None:
        self.unit_tree().with_links(links)  # raises UnitError on a loop or too deep a tree: nothing written
        for unit, parent in links:
            unit_id = self._unit_id(unit, now)
            if parent:
                self.db.execute("UPDATE units SET parent_id = ? WHERE id = ?", [self._unit_id(parent, now), unit_id])
            elif detach:
                self.db.execute("UPDATE units SET parent_id = NULL WHERE id = ?", [unit_id])

    def _retire_account(self, member_id: int, now: str) -> None:
        # An account that leaves the roster (deactivated, forgotten) can never bootstrap an admin
        # again: it is remembered as a keyed hash only.
        self.retire_accounts(member_id, now)

    def _deactivate(self, member_id: int, now: str) -> None:
        # Keep the record (rounds, answers, sessions) but not what is needed only to reach the person:
        # the phone number and the accounts on every channel go.
        self._retire_account(member_id, now)
        self.db.execute(
            "UPDATE members SET active = 0, deactivated_at = ?, updated_at = ?, phone = '' WHERE id = ?",
            [now, now, member_id],
        )
        self.db.execute("DELETE FROM invite_codes WHERE member_id = ? AND used_at IS NULL", [member_id])

    def deactivate_member(self, member_id: int) -> None:
        """Deactivate a member, keeping every record of theirs."""
        with self.transaction():
            self._deactivate(member_id, self.now())

    def members(
        self, unit: str | None = None, active_only: bool = True, units: frozenset[str] | None = None
    ) -> list[Member]:
        """Return members, of one unit, of a set of units (a scope) or all, by unit then 工号."""
        sql, params = MEMBER_SQL + " WHERE 1 = 1", []
        if active_only:
            sql += " AND m.active = 1"
        if unit is not None:
            sql += " AND u.name = ?"
            params.append(unit)
        if units is not None:
            names = sorted(units)
            sql += f" AND u.name IN ({','.join('?' * len(names))})" if names else " AND 0"
            params += names
        return self.records(sql + " ORDER BY u.name, m.staff_no", params, member_record)

    def member(self, member_id: int) -> Member | None:
        """Return a member by id."""
        return self.record(MEMBER_SQL + " WHERE m.id = ?", [member_id], member_record)

    def member_by_account(self, channel: str, external_id: str) -> Member | None:
        """Return the active member who holds this account."""
        return self.record(
            MEMBER_SQL + " JOIN accounts a ON a.member_id = m.id WHERE a.channel = ? AND a.external_id = ? "
            "AND m.active = 1",
            [channel, str(external_id)],
            member_record,
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
                # Replaced, not deleted: typing an old slip's code then says so (until it would have expired).
                self.db.execute(
                    "UPDATE invite_codes SET replaced_at = ? WHERE member_id = ? AND used_at IS NULL "
                    "AND replaced_at IS NULL", [now, member_id])
                self.db.execute("DELETE FROM invite_codes WHERE member_id = ? AND used_at IS NULL AND expires_at <= ?",
                                [member_id, now])
                self.db["invite_codes"].insert(
                    {"code_hash": digest, "member_id": member_id, "created_at": now, "expires_at": expires_at,
                     "telegram_only": int(telegram_only)}
                )

    def invite(self, digest: str) -> Invite | None:
        """Return the invite issued with this code hash, if any."""
        found = self.record(
            "SELECT member_id, used_at, expires_at, replaced_at, telegram_only FROM invite_codes WHERE code_hash = ?", [digest], Invite
        )
        if found is not None:
            found.telegram_only = bool(found.telegram_only)
        return found

    def use_code(self, digest: str, used_on: str) -> bool:
        """Mark a code used, once: False if it was used meanwhile (two attempts at once: one wins)."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE invite_codes SET used_at = ?, used_on = ? WHERE code_hash = ? AND used_at IS NULL "
                "AND replaced_at IS NULL",
                [self.now(), used_on, digest],
            )
            return cursor.rowcount == 1

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

    # --- the question log ---------------------------------------------------------------

    def log_question(
        self, member_id: int | None, channel: str, question: str, outcome: str, cited: list[Article],
        token: str | None = None, topic: str = "", reviewed_id: int | None = None,
    ) -> None:
        """Record a question, how it was answered and the articles cited (as citations and ids).

        token names the reply for its feedback buttons; topic is the law the reply is about;
        reviewed_id the reviewed pair it gave, if any (knowledge.review).
        """
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
                    "token": token,
                    "topic": topic,
                    "reviewed_id": reviewed_id,
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
