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
    ("members", "SELECT m.staff_no, m.name, u.name AS unit, m.role, m.phone, m.active, m.joined_at, m.deactivated_at "
                "FROM members m JOIN units u ON u.id = m.unit_id WHERE m.id = ?"),
    # Which channels, bound when and how, never the id there: that is for sending, not for reading.
    ("accounts", "SELECT channel, source, reachable, bound_at FROM accounts WHERE member_id = ? ORDER BY channel"),
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
    ("outbox", "SELECT kind, subject, channel, status, tries, updated_at FROM outbox WHERE member_id = ? "
               "ORDER BY updated_at"),
    # Never the token's hash nor the password's: what they are for, not the secrets themselves.
    ("web_sessions", "SELECT created_at, last_seen_at, expires_at, role, stage, user_agent FROM web_sessions "
                     "WHERE member_id = ? ORDER BY created_at"),
    ("web_passwords", "SELECT set_at FROM web_passwords WHERE member_id = ?"),
    # The reviewer queue (issue 19): their questions sent to a 法治副校长, their feedback, their reviewer scopes.
    ("review_entries", "SELECT created_at, question, reason, remark, status, note, closed_at FROM review_entries "
                       "WHERE member_id = ? ORDER BY id"),
    ("answer_feedback", "SELECT at, helpful, remark FROM answer_feedback WHERE member_id = ? ORDER BY id"),
    ("reviewers", "SELECT u.name AS unit, rv.source, rv.assigned_at FROM reviewers rv LEFT JOIN units u "
                  "ON u.id = rv.unit_id WHERE rv.member_id = ?"),
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
            self._drop_open_rounds(member_id, now)
            for sql in (
                "DELETE FROM attempts WHERE member_id = ?",  # answers, sent questions and draws go with them
                "DELETE FROM question_log WHERE member_id = ?",
                "DELETE FROM outbox WHERE member_id = ?",
                "DELETE FROM session_attendees WHERE member_id = ?",
                "DELETE FROM invite_codes WHERE member_id = ?",
                "DELETE FROM web_sessions WHERE member_id = ?",  # signed out everywhere
                "DELETE FROM web_passwords WHERE member_id = ?",
                "UPDATE study_sessions SET created_by = NULL WHERE created_by = ?",
                # The queue: what they asked goes, except an answered question, which is the reviewed
                # pair's (it serves others and names no one): it stays without its asker and remark.
                "DELETE FROM review_entries WHERE member_id = ? AND status != 'answered'",
                "UPDATE review_entries SET member_id = NULL, remark = '' WHERE member_id = ?",
                "UPDATE review_entries SET closed_by = NULL WHERE closed_by = ?",
                "UPDATE reviewed_answers SET reviewer_id = NULL WHERE reviewer_id = ?",
                "DELETE FROM answer_feedback WHERE member_id = ?",
                "DELETE FROM reviewers WHERE member_id = ?",
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
                "UPDATE members SET staff_no = ?, name = ?, phone = '', active = 0, "
                "deactivated_at = coalesce(deactivated_at, ?), updated_at = ? WHERE id = ?",
                [pseudonym, name, now, now, member_id],
            )

    def _drop_open_rounds(self, member_id: int, now: str) -> None:
        """Take a forgotten member's results out of the rounds still open when they left the roster.

        Such a round will not count them (members.Tenure), so no report keeps a total with them in
        it: their row of round_results and their answers in question_results go. Closed rounds keep both.
        """
        left = self.scalar("SELECT coalesce(deactivated_at, ?) FROM members WHERE id = ?", [now, member_id])
        self.db.execute(
            "UPDATE question_results SET answered = max(0, question_results.answered - x.n), "
            "correct = max(0, question_results.correct - x.c) "
            "FROM (SELECT a.round_id, an.question_id, count(*) AS n, sum(an.correct) AS c "
            "      FROM answers an JOIN attempts a ON a.id = an.attempt_id JOIN rounds r ON r.id = a.round_id "
            "      WHERE a.member_id = ? AND r.deadline >= ? GROUP BY a.round_id, an.question_id) AS x "
            "WHERE question_results.round_id = x.round_id AND question_results.question_id = x.question_id "
            "AND question_results.unit_id = (SELECT unit_id FROM members WHERE id = ?)",
            [member_id, left, member_id],
        )
        self.db.execute("DELETE FROM question_results WHERE answered = 0")
        self.db.execute(
            "DELETE FROM round_results WHERE member_id = ? AND round_id IN (SELECT id FROM rounds WHERE deadline >= ?)",
            [member_id, left],
        )

    def prune(self, questions_before: str, sign_ins_before: str) -> tuple[int, int]:
        """Delete logged questions and sign-in attempts older than their retention; return how many went."""
        with self.transaction():
            asked = self.db.execute("DELETE FROM question_log WHERE asked_at < ?", [questions_before]).rowcount
            tried = self.db.execute("DELETE FROM sign_in_attempts WHERE at < ?", [sign_ins_before]).rowcount
            # The review queue and feedback are kept as long as questions: then the asker is unlinked
            # (a waiting entry stays until answered) and feedback loses who gave it and the remark.
            self.db.execute(
                "UPDATE review_entries SET member_id = NULL, remark = '' WHERE status != 'waiting' AND closed_at < ? "
                "AND member_id IS NOT NULL", [questions_before])
            self.db.execute(
                "UPDATE answer_feedback SET member_id = NULL, remark = '' WHERE at < ? AND member_id IS NOT NULL",
                [questions_before])
        return asked, tried


def _subjects_sql(subjects: list[str]) -> tuple[str, list[str]]:
    """Return the condition matching sign-in subjects: exact ones, and prefixes (those ending in "@")."""
    exact = [subject for subject in subjects if not subject.endswith("@")]
    prefixes = [subject for subject in subjects if subject.endswith("@")]
    conditions = [f"subject IN ({','.join('?' * len(exact))})"] if exact else []
    conditions += ["substr(subject, 1, length(?)) = ?"] * len(prefixes)
    params = exact + [value for prefix in prefixes for value in (prefix, prefix)]
    return " OR ".join(conditions) or "0", params
