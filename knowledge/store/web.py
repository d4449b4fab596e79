"""Storage of the web channel: browser sessions (by token hash) and the passwords of admins and leaders."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.store.database import CHUNK, Database

SESSION_SQL = (
    "SELECT id, member_id, role, stage, created_at, last_seen_at, expires_at, user_agent FROM web_sessions"
)


@dataclass
class WebSession:
    """A signed-in browser: whose it is, at which stage, since and until when."""

    id: int
    member_id: int
    role: str
    stage: str  # "member" (teacher), "staff" (admin or leader with a password), "password" (must set one)
    created_at: str
    last_seen_at: str
    expires_at: str
    user_agent: str


class WebStore(Database):
    """Browser sessions and web passwords; the rules about them live in knowledge.websessions."""

    # --- sessions -----------------------------------------------------------------------

    def add_web_session(
        self, token_hash: str, member_id: int, role: str, stage: str, expires_at: str, user_agent: str
    ) -> WebSession:
        """Store a new session under the hash of its token and return it."""
        now = self.now()
        with self.transaction():
            session_id = self.db["web_sessions"].insert({
                "token_hash": token_hash, "member_id": member_id, "role": role, "stage": stage,
                "created_at": now, "last_seen_at": now, "expires_at": expires_at, "user_agent": user_agent,
            }).last_pk
        return self.record(SESSION_SQL + " WHERE id = ?", [session_id], WebSession)

    def web_session(self, token_hash: str) -> WebSession | None:
        """Return the session stored under a token hash, expired or not."""
        return self.record(SESSION_SQL + " WHERE token_hash = ?", [token_hash], WebSession)

    def touch_web_session(self, session_id: int, last_seen_at: str, expires_at: str) -> None:
        """Record that a session was used, with its (possibly extended) expiry."""
        with self.transaction():
            self.db.execute(
                "UPDATE web_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?",
                [last_seen_at, expires_at, session_id],
            )

    def promote_web_session(self, session_id: int, stage: str, expires_at: str) -> None:
        """Move a session to another stage (a password was set) with a new expiry."""
        with self.transaction():
            self.db.execute(
                "UPDATE web_sessions SET stage = ?, expires_at = ?, last_seen_at = ? WHERE id = ?",
                [stage, expires_at, self.now(), session_id],
            )

    def web_sessions(self, member_id: int, now: str) -> list[WebSession]:
        """Return a member's sessions that have not expired, most recently used first."""
        return self.records(
            SESSION_SQL + " WHERE member_id = ? AND expires_at > ? ORDER BY last_seen_at DESC, id DESC",
            [member_id, now], WebSession,
        )

    def end_web_session(self, member_id: int, session_id: int) -> bool:
        """Delete one of a member's sessions; False if the member has no such session."""
        with self.transaction():
            cursor = self.db.execute(
                "DELETE FROM web_sessions WHERE id = ? AND member_id = ?", [session_id, member_id]
            )
            return cursor.rowcount == 1

    def end_other_web_sessions(self, member_id: int, keep_id: int | None) -> int:
        """Delete every session of a member but one (or all); return how many ended."""
        with self.transaction():
            cursor = self.db.execute(
                "DELETE FROM web_sessions WHERE member_id = ? AND id IS NOT ?", [member_id, keep_id]
            )
            return cursor.rowcount

    def web_accounts(self, member_ids: list[int], now: str) -> set[int]:
        """Return which of these members use the web: a password set, or a session not expired."""
        found: set[int] = set()
        for start in range(0, len(member_ids), CHUNK // 2):  # each chunk is bound twice
            chunk = member_ids[start:start + CHUNK // 2]
            marks = ",".join("?" * len(chunk))
            rows = self.records(
                f"SELECT member_id FROM web_passwords WHERE member_id IN ({marks}) UNION "
                f"SELECT member_id FROM web_sessions WHERE expires_at > ? AND member_id IN ({marks})",
                [*chunk, now, *chunk],
            )
            found |= {row["member_id"] for row in rows}
        return found

    def purge_web_sessions(self, now: str) -> int:
        """Delete expired sessions; return how many."""
        with self.transaction():
            return self.db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [now]).rowcount

    # --- passwords ----------------------------------------------------------------------

    def web_password(self, member_id: int) -> str | None:
        """Return a member's password hash, if one was set."""
        return self.scalar("SELECT password_hash FROM web_passwords WHERE member_id = ?", [member_id])

    def set_web_password(self, member_id: int, password_hash: str) -> None:
        """Store (or replace) a member's password hash."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO web_passwords (member_id, password_hash, set_at) VALUES (?, ?, ?) "
                "ON CONFLICT(member_id) DO UPDATE SET password_hash = excluded.password_hash, set_at = excluded.set_at",
                [member_id, password_hash, self.now()],
            )
