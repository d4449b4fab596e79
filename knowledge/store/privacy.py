"""Storage side of data protection (PIPL): everything held about one person, forgetting a person, retention.

Forgetting keeps the anonymous aggregates reports are built from (round_results, question_results)
and the member row itself under a pseudonym with its unit and roster dates, so past reports keep
their totals; everything that says who the person was or what they did goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.store.members import MemberStore


@dataclass
class PersonalData:
    """Every row held about one member, table by table (column name -> value)."""

    tables: dict[str, list[dict]] = field(default_factory=dict)


# An audit detail names a person by staff number, as a word of its own ("A1 2026"): A10 is not A1.
MENTIONS = "instr(' ' || detail || ' ', ' ' || ? || ' ') > 0"

# What is held about a member, table by table: (table, query with one ? for the member id).
_HELD = (
    ("members", "SELECT m.staff_no, m.name, u.name AS unit, m.role, m.phone, m.active, m.joined_at, m.deactivated_at, "
                "m.bound_at, m.telegram_id IS NOT NULL AS telegram_bound, m.reachable "
                "FROM members m JOIN units u ON u.id = m.unit_id WHERE m.id = ?"),
    ("invite_codes", "SELECT created_at, expires_at, used_at, used_on FROM invite_codes WHERE member_id = ? "
                     "ORDER BY created_at"),
    ("attempts", "SELECT r.week, a.number, a.started_at, a.finished_at, a.total, a.correct, a.score, a.passed "
                 "FROM attempts a JOIN rounds r ON r.id = a.round_id WHERE a.member_id = ? ORDER BY r.week, a.number"),
    ("answers", "SELECT r.week, a.number AS attempt, an.position, q.stem, q.options, aq.option_order, an.chosen, "
                "an.correct, an.answered_at FROM answers an JOIN attempts a ON a.id = an.attempt_id "
                "JOIN rounds r ON r.id = a.round_id JOIN quiz_questions q ON q.id = an.question_id "
                "LEFT JOIN attempt_questions aq ON aq.attempt_id = an.attempt_id AND aq.position = an.position "
                "WHERE a.member_id = ? ORDER BY an.answered_at"),
    ("question_log", "SELECT asked_at, channel, question, outcome, cited FROM question_log WHERE member_id = ? "
                     "ORDER BY asked_at"),
    ("study_sessions", "SELECT s.held_on, s.title, s.laws FROM study_sessions s "
                       "JOIN session_attendees sa ON sa.session_id = s.id WHERE sa.member_id = ? ORDER BY s.held_on"),
    ("deliveries", "SELECT r.week, d.status, d.tries, d.updated_at FROM deliveries d JOIN rounds r ON r.id = d.round_id "
                   "WHERE d.member_id = ? ORDER BY r.week"),
    ("reminders", "SELECT r.week, rm.kind, rm.sent_at FROM reminders rm JOIN rounds r ON r.id = rm.round_id "
                  "WHERE rm.member_id = ? ORDER BY rm.sent_at"),
    # Never the token's hash nor the password's: what they are for, not the secrets themselves.
    ("web_sessions", "SELECT created_at, last_seen_at, expires_at, role, stage, user_agent FROM web_sessions "
                     "WHERE member_id = ? ORDER BY created_at"),
    ("web_passwords", "SELECT set_at FROM web_passwords WHERE member_id = ?"),
)


class PrivacyStore(MemberStore):
    """Reads and erases one person's data; prunes logs kept only for a while."""

    def personal_data(self, member_id: int, staff_no: str, subjects: list[str]) -> PersonalData:
        """Return every row held about a member: roster, codes, quizzes, questions, sessions, sign-ins, audit."""
        data = PersonalData({table: self.records(sql, [member_id]) for table, sql in _HELD})
        where, params = _subjects_sql(subjects)
        data.tables["sign_in_attempts"] = self.records(
            f"SELECT subject, at, ok FROM sign_in_attempts WHERE {where} ORDER BY id", params
        )
        # The audit log about them: what they asked for, and what others asked about them.
        data.tables["audit_log"] = self.records(
            f"SELECT at, actor, action, detail FROM audit_log WHERE member_id = ? OR {MENTIONS} ORDER BY id",
            [member_id, staff_no],
        )
        return data

    def forget_member(
        self, member_id: int, staff_no: str, pseudonym: str, name: str, subjects: list[str],
        said: tuple[str, ...] = (),
    ) -> None:
        """Erase a member's personal data in one transaction, keeping anonymous aggregates under a pseudonym."""
        now = self.now()
        with self.transaction():
            self._retire_account(member_id, now)
            for sql in (
                "DELETE FROM attempts WHERE member_id = ?",  # answers, sent questions and draws go with them
                "DELETE FROM question_log WHERE member_id = ?",
                "DELETE FROM deliveries WHERE member_id = ?",
                "DELETE FROM reminders WHERE member_id = ?",
                "DELETE FROM session_attendees WHERE member_id = ?",
                "DELETE FROM invite_codes WHERE member_id = ?",
                "DELETE FROM web_sessions WHERE member_id = ?",  # signed out everywhere
                "DELETE FROM web_passwords WHERE member_id = ?",
                "UPDATE study_sessions SET created_by = NULL WHERE created_by = ?",
            ):
                self.db.execute(sql, [member_id])
            where, params = _subjects_sql(subjects)
            self.db.execute(f"DELETE FROM sign_in_attempts WHERE {where}", params)
            self.db.execute("UPDATE audit_log SET actor = ? WHERE member_id = ?", [name, member_id])
            # Free text typed about them (a session's title, contents and minutes, an audit line):
            # their name and phone, wherever written, become the pseudonym's name.
            for words in said:
                for column in ("title", "laws", "minutes"):
                    self.db.execute(f"UPDATE study_sessions SET {column} = replace({column}, ?, ?) "
                                    f"WHERE instr({column}, ?) > 0", [words, name, words])
                self.db.execute("UPDATE audit_log SET detail = replace(detail, ?, ?) WHERE instr(detail, ?) > 0",
                                [words, name, words])
            self.db.execute(
                f"UPDATE audit_log SET detail = trim(replace(' ' || detail || ' ', ' ' || ? || ' ', ' ' || ? || ' ')) "
                f"WHERE {MENTIONS}",
                [staff_no, pseudonym, staff_no],
            )
            self.db.execute(
                "UPDATE members SET staff_no = ?, name = ?, phone = '', telegram_id = NULL, chat_id = NULL, "
                "account_hash = NULL, bound_at = NULL, active = 0, deactivated_at = coalesce(deactivated_at, ?), "
                "updated_at = ? WHERE id = ?",
                [pseudonym, name, now, now, member_id],
            )

    def prune(self, questions_before: str, sign_ins_before: str) -> tuple[int, int]:
        """Delete logged questions and sign-in attempts older than their retention; return how many went."""
        with self.transaction():
            asked = self.db.execute("DELETE FROM question_log WHERE asked_at < ?", [questions_before]).rowcount
            tried = self.db.execute("DELETE FROM sign_in_attempts WHERE at < ?", [sign_ins_before]).rowcount
        return asked, tried


def _subjects_sql(subjects: list[str]) -> tuple[str, list[str]]:
    """Return the condition matching sign-in subjects: exact ones, and prefixes (those ending in "@")."""
    exact = [subject for subject in subjects if not subject.endswith("@")]
    prefixes = [subject for subject in subjects if subject.endswith("@")]
    conditions = [f"subject IN ({','.join('?' * len(exact))})"] if exact else []
    conditions += ["substr(subject, 1, length(?)) = ?"] * len(prefixes)
    params = exact + [value for prefix in prefixes for value in (prefix, prefix)]
    return " OR ".join(conditions) or "0", params
