"""Storage of quiz questions, weekly rounds, attempts and answers, and the questions sent to chats."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from knowledge.quizzes import QuizQuestion
from knowledge.rounds import Attempt, Round
from knowledge.store.database import Database

QUESTION_COLUMNS = (
    "q.id, q.origin, q.kind, q.stem, q.options, q.answer, q.explanation, q.citation, q.article_id, q.generator, "
    "q.fixed"
)
QUESTION_SQL = f"SELECT {QUESTION_COLUMNS} FROM quiz_questions q"
ROUND_SQL = "SELECT id, study_list_id, week, opens_at, deadline, pass_mark, questions FROM rounds"


def question_record(options: str, answer: str, fixed: int, **row) -> QuizQuestion:
    """Build a QuizQuestion from a QUESTION_SQL row (options and answer are stored as JSON)."""
    return QuizQuestion(options=json.loads(options), answer=json.loads(answer), fixed=bool(fixed), **row)


def _shown(row: dict) -> QuizQuestion:
    """Build the question of an attempt_questions row as the attempt showed it."""
    order = json.loads(row.pop("option_order"))
    return question_record(**row).shown(order)


@dataclass
class SentQuestion:
    """Where a question of an attempt was shown (chat, message, poll) and the options ticked on it."""

    poll_id: str | None
    address: str | None  # where it was shown: a chat on a channel; None on the web
    message_id: int | None
    chosen: list[int] = field(default_factory=list)


class QuizStore(Database):
    """Questions, rounds, attempts and answers; plus the small settings table the schedule lives in."""

    # --- settings -----------------------------------------------------------------------

    def get_setting(self, name: str) -> str | None:
        """Return a stored setting (JSON text), if any."""
        return self.scalar("SELECT value FROM schedule WHERE name = ?", [name])

    def set_setting(self, name: str, value: str) -> None:
        """Store a setting (JSON text)."""
        with self.transaction():
            self.db["schedule"].upsert({"name": name, "value": value, "updated_at": self.now()}, pk="name")

    # --- questions ----------------------------------------------------------------------

    def save_question(self, question: QuizQuestion) -> int:
        """Store a question once (by content hash) and return its id."""
        with self.transaction():
            existing = self.scalar("SELECT id FROM quiz_questions WHERE content_hash = ?", [question.content_hash])
            if existing is not None:
                self.db.execute("UPDATE quiz_questions SET active = 1 WHERE id = ?", [existing])
                return existing
            return self.db["quiz_questions"].insert(
                {
                    "origin": question.origin,
                    "kind": question.kind,
                    "stem": question.stem,
                    "options": json.dumps(question.options, ensure_ascii=False),
                    "answer": json.dumps(question.answer),
                    "explanation": question.explanation,
                    "citation": question.citation,
                    "article_id": question.article_id,
                    "generator": question.generator,
                    "fixed": int(question.fixed),
                    "content_hash": question.content_hash,
                    "active": 1,
                    "created_at": self.now(),
                }
            ).last_pk

    def save_questions(self, questions: list[QuizQuestion]) -> list[int]:
        """Store several questions in one transaction."""
        with self.transaction():
            return [self.save_question(q) for q in questions]

    def question(self, question_id: int) -> QuizQuestion | None:
        """Return a question by id."""
        return self.record(QUESTION_SQL + " WHERE q.id = ?", [question_id], question_record)

    def bank_questions(self, law_titles: list[str] | None = None) -> list[QuizQuestion]:
        """Return active bank questions, those whose 出处 is an article of these laws or that cite nothing."""
        sql = QUESTION_SQL + " WHERE q.origin = 'bank' AND q.active = 1"
        params: list = []
        if law_titles is not None:
            # Import resolved each 出处 (教师法第七条 or the full title alike) to an article id.
            sql += (
                " AND (q.citation = '' OR q.article_id IN (SELECT a.id FROM articles a JOIN laws l ON l.id = a.law_id"
                f" WHERE l.title IN ({','.join('?' * len(law_titles))})))"
            )
            params = list(law_titles)
        return self.records(sql + " ORDER BY q.id", params, question_record)

    def recent_round_articles(self, rounds: int) -> set[int]:
        """Return the articles asked in the last few rounds."""
        rows = self.records(
            "SELECT DISTINCT q.article_id FROM round_questions rq JOIN quiz_questions q ON q.id = rq.question_id "
            "WHERE rq.round_id IN (SELECT id FROM rounds ORDER BY week DESC LIMIT ?) AND q.article_id IS NOT NULL",
            [rounds],
        )
        return {row["article_id"] for row in rows}

    def recent_round_questions(self, rounds: int) -> set[int]:
        """Return the questions asked in the last few rounds."""
        rows = self.records(
            "SELECT DISTINCT question_id FROM round_questions "
            "WHERE round_id IN (SELECT id FROM rounds ORDER BY week DESC LIMIT ?)",
            [rounds],
        )
        return {row["question_id"] for row in rows}

    def article_interest(self, since: str) -> dict[int, int]:
        """Count, per article, the questions asked about it and the wrong quiz answers on it since a time."""
        counts: dict[int, int] = {}
        for row in self.records("SELECT article_ids FROM question_log WHERE asked_at >= ?", [since]):
            for article_id in json.loads(row["article_ids"]):
                counts[article_id] = counts.get(article_id, 0) + 1
        for row in self.records(
            "SELECT q.article_id, count(*) AS wrong FROM answers a JOIN quiz_questions q ON q.id = a.question_id "
            "WHERE a.correct = 0 AND a.answered_at >= ? AND q.article_id IS NOT NULL GROUP BY q.article_id",
            [since],
        ):
            counts[row["article_id"]] = counts.get(row["article_id"], 0) + row["wrong"]
        return counts

    # --- rounds -------------------------------------------------------------------------

    def create_round(
        self, study_list_id: str, week: str, opens_at: str, deadline: str, pass_mark: float, question_ids: list[int],
        questions: int | None = None,
    ) -> Round:
        """Create a week's round with its pool of questions (each attempt draws `questions` of them).

        If another process just created the week's round, return that one.
        """
        try:
            with self.transaction():
                round_id = self.db["rounds"].insert(
                    {
                        "study_list_id": study_list_id,
                        "week": week,
                        "opens_at": opens_at,
                        "deadline": deadline,
                        "pass_mark": pass_mark,
                        "questions": len(question_ids) if questions is None else questions,
                        "created_at": self.now(),
                    }
                ).last_pk
                self.db["round_questions"].insert_all(
                    {"round_id": round_id, "position": i, "question_id": qid} for i, qid in enumerate(question_ids)
                )
        except sqlite3.IntegrityError:
            existing = self.round_for_week(week)
            if existing is None:
                raise
            return existing
        return self.round(round_id)

    def round(self, round_id: int) -> Round | None:
        """Return a round with the ids of its pool of questions."""
        found = self.record(ROUND_SQL + " WHERE id = ?", [round_id], Round)
        if found is not None:
            found.question_ids = [
                row["question_id"]
                for row in self.records(
                    "SELECT question_id FROM round_questions WHERE round_id = ? ORDER BY position", [round_id]
                )
            ]
        return found

    def round_for_week(self, week: str) -> Round | None:
        """Return the round of an ISO week, if created."""
        round_id = self.scalar("SELECT id FROM rounds WHERE week = ?", [week])
        return self.round(round_id) if round_id is not None else None

    def rounds(self, since: str | None = None, until: str | None = None) -> list[Round]:
        """Return rounds whose deadline falls in [since, until], oldest first."""
        sql, params = "SELECT id FROM rounds WHERE 1 = 1", []
        if since:
            sql += " AND deadline >= ?"
            params.append(since)
        if until:
            sql += " AND deadline <= ?"
            params.append(until)
        return [self.round(row["id"]) for row in self.records(sql + " ORDER BY week", params)]

    def pool(self, round_id: int) -> list[QuizQuestion]:
        """Return a round's pool of questions, as written, in pool order."""
        return self.records(
            QUESTION_SQL + " JOIN round_questions rq ON rq.question_id = q.id WHERE rq.round_id = ? "
            "ORDER BY rq.position",
            [round_id],
            question_record,
        )

    # --- attempts and answers -----------------------------------------------------------

    def start_attempt(self, round_id: int, member_id: int, draws: list[tuple[int, list[int]]], now: str) -> Attempt:
        """Start the member's next attempt at a round with its own questions: (question id, option order) each."""
        with self.transaction():
            number = self.scalar(
                "SELECT coalesce(max(number), 0) + 1 FROM attempts WHERE round_id = ? AND member_id = ?",
                [round_id, member_id],
            )
            attempt_id = self.db["attempts"].insert(
                {"round_id": round_id, "member_id": member_id, "number": number, "started_at": now,
                 "total": len(draws)}
            ).last_pk
            self.db["attempt_questions"].insert_all(
                {"attempt_id": attempt_id, "position": position, "question_id": question_id,
                 "option_order": json.dumps(order)}
                for position, (question_id, order) in enumerate(draws)
            )
        return self.attempt(attempt_id)

    def attempt_questions(self, attempt_id: int) -> list[QuizQuestion]:
        """Return the questions of an attempt in order, each as it was shown (options in the attempt's order)."""
        rows = self.records(
            f"SELECT {QUESTION_COLUMNS}, aq.option_order FROM attempt_questions aq "
            "JOIN quiz_questions q ON q.id = aq.question_id WHERE aq.attempt_id = ? ORDER BY aq.position",
            [attempt_id],
        )
        return [_shown(row) for row in rows]

    def attempt_question(self, attempt_id: int, position: int) -> QuizQuestion | None:
        """Return one question of an attempt as it was shown."""
        row = self.record(
            f"SELECT {QUESTION_COLUMNS}, aq.option_order FROM attempt_questions aq "
            "JOIN quiz_questions q ON q.id = aq.question_id WHERE aq.attempt_id = ? AND aq.position = ?",
            [attempt_id, position],
        )
        return _shown(row) if row is not None else None

    def last_attempt_questions(self, round_id: int, member_id: int) -> set[int]:
        """Return the questions of the member's latest attempt at a round (none before the first)."""
        rows = self.records(
            "SELECT aq.question_id FROM attempt_questions aq WHERE aq.attempt_id = (SELECT id FROM attempts "
            "WHERE round_id = ? AND member_id = ? ORDER BY number DESC LIMIT 1)",
            [round_id, member_id],
        )
        return {row["question_id"] for row in rows}

    def attempt(self, attempt_id: int) -> Attempt | None:
        """Return an attempt with the answers given so far."""
        found = self.record(
            "SELECT id, round_id, member_id, number, total, correct, score, passed, finished_at FROM attempts "
            "WHERE id = ?",
            [attempt_id],
        )
        if found is None:
            return None
        answered = {
            row["position"]: json.loads(row["chosen"])
            for row in self.records("SELECT position, chosen FROM answers WHERE attempt_id = ?", [attempt_id])
        }
        passed = None if found["passed"] is None else bool(found["passed"])
        return Attempt(**(found | {"passed": passed}), answered=answered)

    def open_attempt(self, round_id: int, member_id: int) -> Attempt | None:
        """Return the member's unfinished attempt at a round, if any."""
        attempt_id = self.scalar(
            "SELECT id FROM attempts WHERE round_id = ? AND member_id = ? AND finished_at IS NULL "
            "ORDER BY number DESC LIMIT 1",
            [round_id, member_id],
        )
        return self.attempt(attempt_id) if attempt_id is not None else None

    def attempts(self, round_id: int, member_id: int) -> list[Attempt]:
        """Return every attempt of a member at a round, in order."""
        rows = self.records(
            "SELECT id FROM attempts WHERE round_id = ? AND member_id = ? ORDER BY number", [round_id, member_id]
        )
        return [self.attempt(row["id"]) for row in rows]

    def record_answer(
        self, attempt_id: int, position: int, question_id: int, chosen: list[int], correct: bool, now: str
    ) -> bool:
        """Record one answer; return False when the position was already answered (the first answer counts).

        The trigger answers_counted (migration 0009) adds it to question_results, the per-question
        statistics of reports.
        """
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO answers (attempt_id, position, question_id, chosen, correct, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [attempt_id, position, question_id, json.dumps(chosen), int(correct), now],
            )
            return cursor.rowcount == 1

    def finish_attempt(self, attempt_id: int, correct: int, score: float, passed: bool, now: str) -> bool:
        """Store an attempt's score and pass/fail once; return False if it was already finished.

        The trigger attempts_finished (migration 0005) folds the result into round_results, the
        per-member-per-round table every report reads: nothing else needs to be written here.
        """
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE attempts SET finished_at = ?, correct = ?, score = ?, passed = ? "
                "WHERE id = ? AND finished_at IS NULL",
                [now, correct, score, int(passed), attempt_id],
            )
            return cursor.rowcount == 1

    def best_score(self, round_id: int, member_id: int) -> float | None:
        """Return the member's best finished score at a round."""
        return self.scalar(
            "SELECT max(score) FROM attempts WHERE round_id = ? AND member_id = ? AND finished_at IS NOT NULL",
            [round_id, member_id],
        )

    def passed_members(self, round_id: int) -> set[int]:
        """Return the members with a passed attempt at a round."""
        rows = self.records("SELECT DISTINCT member_id FROM attempts WHERE round_id = ? AND passed = 1", [round_id])
        return {row["member_id"] for row in rows}

    def has_passed(self, round_id: int, member_id: int) -> bool:
        """Tell whether one member has passed a round."""
        return bool(self.scalar(
            "SELECT passed FROM round_results WHERE round_id = ? AND member_id = ?", [round_id, member_id]
        ))

    # --- sent questions (poll and message ids) ------------------------------------------

    def record_sent(self, attempt_id: int, position: int, poll_id: str | None, address: str | None,
                    message_id: int | None) -> None:
        """Remember which poll or message carries a question of an attempt (poll answers carry no chat).

        A question sent again (the member resumed) gets a row of its own, so an answer to the older
        poll still counts.
        """
        with self.transaction():
            self.db.execute(
                "INSERT INTO sent_questions (attempt_id, position, poll_id, address, message_id, sent_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [attempt_id, position, poll_id, None if address is None else str(address), message_id, self.now()],
            )

    def sent_by_poll(self, poll_id: str) -> tuple[int, int] | None:
        """Return (attempt_id, position) of a sent poll."""
        row = self.record("SELECT attempt_id, position FROM sent_questions WHERE poll_id = ?", [poll_id])
        return (row["attempt_id"], row["position"]) if row else None

    def sent_question(self, attempt_id: int, position: int) -> SentQuestion | None:
        """Return what was last sent for a question of an attempt (chat, message, poll, ticked options)."""
        row = self.record(
            "SELECT poll_id, address, message_id, chosen FROM sent_questions WHERE attempt_id = ? AND position = ? "
            "ORDER BY id DESC LIMIT 1",
            [attempt_id, position],
        )
        return SentQuestion(**(row | {"chosen": json.loads(row["chosen"])})) if row else None

    def set_sent_choice(self, attempt_id: int, position: int, chosen: list[int]) -> None:
        """Store the options ticked so far on a multiple-choice question (on every copy sent of it)."""
        with self.transaction():
            self.db.execute(
                "UPDATE sent_questions SET chosen = ? WHERE attempt_id = ? AND position = ?",
                [json.dumps(chosen), attempt_id, position],
            )
