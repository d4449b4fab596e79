"""The SQLite connection every topic of the store shares: transactions, migrations, typed rows."""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from knowledge.clock import Clock

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
T = TypeVar("T")
# SQLite caps the number of bound parameters; a whole-store index asks for ~25,000 ids.
CHUNK = 900
BUSY_TIMEOUT = 30.0  # seconds a write waits for another process's lock before it fails


class _ThreadConnection:
    """One thread's connection, closed when the thread ends and its thread-locals are dropped.

    Threads come and go (a web server's worker pool, asyncio.to_thread): without this, every
    finished thread would leave an open connection and three file descriptors behind.
    """

    __slots__ = ("db", "__weakref__")

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def close(self) -> None:
        self.db.conn.close()

    def __del__(self) -> None:
        self.close()


class Database:
    """One SQLite database (WAL, foreign keys on), migrated on open; the base of every store topic."""

    def __init__(self, path: str | Path | None = None, clock: Clock | None = None):
        self.clock = clock or Clock()
        # The channels this deployment runs (telegram, web, wecom, ...), set by the services at start-up:
        # a member is reachable when reachable on one of them. None: any channel counts (a bare store).
        self.live_channels: frozenset[str] | None = None
        self.path = str(path) if path else ":memory:"
        self._lock = threading.RLock()  # serialises this process's writes, whatever thread they come from
        self._local = threading.local()
        self._open: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()  # to close them all at close()
        self._shared: sqlite_utils.Database | None = None
        if path is None:
            # An in-memory database lives in its one connection: every thread shares it.
            self._shared = sqlite_utils.Database(self._connect(":memory:"))
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            _create_private(Path(path))
            self.db.enable_wal()
        self.migrate()

    def _connect(self, target: str) -> sqlite3.Connection:
        # isolation_level None: no implicit transactions; transaction() and sqlite-utils begin and commit.
        conn = sqlite3.connect(target, check_same_thread=False, timeout=BUSY_TIMEOUT, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
        # SQL reads "is this channel one the deployment runs" through live_channel(channel), so every
        # query (rosters, reports, the push) says reachable the same way, on every thread's connection.
        conn.create_function("live_channel", 1, self._live, deterministic=False)
        # Deleted rows are overwritten, not left in free pages: forgetting a person forgets them on disk
        # too, whatever default the SQLite build has (issue 17).
        conn.execute("PRAGMA secure_delete = ON")
        return conn

    def _live(self, channel: str) -> int:
        live = self.live_channels
        return int(live is None or channel in live)

    @property
    def db(self) -> sqlite_utils.Database:
        """Return this thread's connection to the database file (the shared one of an in-memory database).

        A connection per thread: a write waiting on another process's lock holds up its own thread
        only, and every other thread still reads (WAL lets readers past a writer).
        """
        if self._shared is not None:
            return self._shared
        held = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = _ThreadConnection(sqlite_utils.Database(self._connect(self.path)))
            self._open.add(held)
        return held.db

    def close(self) -> None:
        """Close every connection, of every thread."""
        with self._lock:
            if self._shared is not None:
                self._shared.conn.close()
            for held in list(self._open):
                held.close()
        self._local = threading.local()

    @classmethod
    def snapshot(cls, path: str | Path):
        """Copy a database into memory through a read-only connection, so the original is never written."""
        copy = cls()
        reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            reader.backup(copy.db.conn)
        finally:
            reader.close()
        copy.migrate()  # a snapshot of an older database gets the newer tables in memory only
        return copy

    def now(self) -> str:
        """Return the time to stamp a row with, from the one clock."""
        return self.clock.stamp()

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

    # --- typed rows -----------------------------------------------------------------

    def records(self, sql: str, params: Iterable = (), make: Callable[..., T] | None = None) -> list[T]:
        """Run a query and return its rows by column name: dicts, or make(**row) records."""
        cursor = self.db.execute(sql, list(params))
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
        return [make(**row) for row in rows] if make else rows

    def record(self, sql: str, params: Iterable = (), make: Callable[..., T] | None = None) -> T | None:
        """Run a query and return its first row by column name, or None."""
        found = self.records(sql, params, make)
        return found[0] if found else None

    def scalar(self, sql: str, params: Iterable = ()) -> Any:
        """Run a query and return the first column of its first row."""
        row = self.db.execute(sql, list(params)).fetchone()
        return row[0] if row else None

    def in_chunks(self, sql: str, column: str, values: Iterable, make: Callable[..., T] | None = None) -> list:
        """Run `sql WHERE column IN (...)` over values in chunks under SQLite's parameter cap."""
        values = list(values)
        found: list = []
        for start in range(0, len(values), CHUNK):
            chunk = values[start:start + CHUNK]
            found += self.records(f"{sql} WHERE {column} IN ({','.join('?' * len(chunk))})", chunk, make)
        return found

    # --- migrations -----------------------------------------------------------------

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
                f"VALUES ({version}, '{name}', '{self.now()}');\nCOMMIT;"
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
        return self.scalar("SELECT max(version) FROM schema_migrations") or 0

    def schema(self) -> str:
        """Return the schema as SQL text, for comparing databases."""
        return self.db.schema


def migration_scripts() -> list[tuple[int, str, str]]:
    """Return the numbered migrations (version, name, SQL) in order."""
    scripts = []
    for path in sorted(MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql")):
        version = int(path.name[:4])
        scripts.append((version, path.stem[5:], path.read_text(encoding="utf-8")))
    return scripts


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only: it holds names, phones and results."""
    if path.exists():
        return
    # O_EXCL: another process creating it at the same moment keeps its own file and mode.
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
