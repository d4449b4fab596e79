"""Database files as whole files: an online copy while others write, checking a copy, putting one in place.

SQLite's online backup API copies the live database in one step (pages=-1): it reads inside one
read transaction, so the copy is one consistent moment, and in WAL mode the bot's and the web's
writes go on meanwhile (a reader never blocks a writer). The copy is then turned into a single
self-contained file (journal_mode DELETE: no -wal beside it) and checked with integrity_check.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from knowledge.store.database import BUSY_TIMEOUT, Database, migration_scripts

SQLITE_MAGIC = b"SQLite format 3\x00"
# Tables every xuefa database has had since its first schema (migration 0001 and the migration log).
XUEFA_TABLES = {"schema_migrations", "laws", "articles", "study_lists"}


@dataclass(frozen=True)
class FileFacts:
    """What a database file is: SQLite at all, xuefa's, which schema version, whether it is intact."""

    sqlite: bool
    xuefa: bool
    version: int
    integrity: str  # "ok", or SQLite's first complaint

    @property
    def intact(self) -> bool:
        return self.integrity == "ok"


def code_version() -> int:
    """Return the highest migration this code knows."""
    return max(version for version, _, _ in migration_scripts())


def _private_file(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def copy_online(source: Database | Path, target: Path) -> None:
    """Copy a database (a live one, or a file read-only) to a new file target, mode 0600.

    The copy is one consistent moment while others keep writing.
    """
    target = Path(target)
    _private_file(target)  # created empty and private before a byte of personal data is in it
    destination = sqlite3.connect(target)
    try:
        if isinstance(source, Database) and source.path == ":memory:":
            source.db.conn.backup(destination)
        else:
            # Our own read connection: a backup never waits on (or holds up) a thread's transaction.
            path = source.path if isinstance(source, Database) else str(source)
            reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT)
            try:
                reader.backup(destination, pages=-1)  # one step: one snapshot, never restarted by a write
            finally:
                reader.close()
        destination.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    finally:
        destination.close()


def take_over(path: Path, wait: float = 1.0) -> bool:
    """Leave WAL mode on a database nobody else has open (folding its log in); False if another has it open.

    SQLite only leaves WAL mode with no other connection open: a running bot or web app keeps
    the file as it was.
    """
    conn = sqlite3.connect(path, timeout=wait)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
        return str(mode).lower() == "delete"
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def read_facts(path: Path, check: bool = True) -> FileFacts:
    """Read what a file is without writing to it: SQLite, xuefa, schema version, integrity."""
    path = Path(path)
    with open(path, "rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            return FileFacts(sqlite=False, xuefa=False, version=0, integrity="")
    reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            tables = {row[0] for row in reader.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            return FileFacts(sqlite=True, xuefa=False, version=0, integrity=str(exc))
        if not XUEFA_TABLES <= tables:
            return FileFacts(sqlite=True, xuefa=False, version=0, integrity="")
        try:
            version = reader.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            return FileFacts(sqlite=True, xuefa=True, version=0, integrity=str(exc))
        integrity = "ok"
        if check:
            try:
                problems = [row[0] for row in reader.execute("PRAGMA integrity_check(5)")]
            except sqlite3.DatabaseError as exc:  # too damaged even to be checked
                problems = [str(exc)]
            integrity = "ok" if problems == ["ok"] else "；".join(problems)
        return FileFacts(sqlite=True, xuefa=True, version=int(version), integrity=integrity)
    finally:
        reader.close()


def applied_on_open(path: Path) -> tuple[int, int]:
    """Open a database file (migrating it forward) and return its versions before and after."""
    before = read_facts(path, check=False).version
    database = Database(path)
    try:
        return before, database.schema_version()
    finally:
        database.close()


def sidecars(path: Path) -> list[Path]:
    """Return the -wal and -shm files SQLite keeps beside a database in WAL mode."""
    return [Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")]
