"""Writes that must never hold up a reply, made behind it: the question log.

A question is answered from reads alone; what was asked is recorded after, by one writer thread.
When another process holds the database's write lock (a backup, a long import), the writer waits
and tries again, while every member keeps getting answers; nothing queued is lost while the
process runs, and closing flushes what is left.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from knowledge.models import Article

if TYPE_CHECKING:
    from knowledge.store import Repository

log = logging.getLogger(__name__)
WRITER_BUSY_MS = 1000  # the writer's own lock wait: short, it tries again rather than hold the connection
RETRY_AFTER = 0.5  # seconds between tries while the database stays locked


def _locked(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


class WriteBehind:
    """A queue of writes and the one thread that makes them, retrying while the database is locked."""

    def __init__(self, repository: Repository, retry_after: float = RETRY_AFTER):
        self.repository = repository
        self.retry_after = retry_after
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xuefa-write-behind", daemon=True)
        self._thread.start()

    def log_question(self, member_id: int | None, channel: str, question: str, outcome: str,
                     cited: list[Article], **reply) -> None:
        """Queue a question for the log; returns at once (reply: token, topic, reviewed_id)."""
        self._queue.put(lambda: self.repository.log_question(member_id, channel, question, outcome, cited, **reply))

    def later(self, write: Callable[[], None]) -> None:
        """Queue any other write that must not hold up a reply (a question entering the review queue)."""
        self._queue.put(write)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is made; return False if the timeout came first."""
        done = threading.Event()
        self._queue.put(done.set)
        return done.wait(timeout)

    def close(self, timeout: float = 60.0) -> None:
        """Make the writes still queued (waiting out a lock up to timeout), then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)
        self._stopping.set()

    def _run(self) -> None:
        if self.repository.path != ":memory:":
            self.repository.db.execute(f"PRAGMA busy_timeout = {WRITER_BUSY_MS}")  # this thread's connection
        while True:
            write = self._queue.get()
            if write is None:
                return
            while True:
                try:
                    write()
                    break
                except sqlite3.OperationalError as exc:
                    if not _locked(exc) or self._stopping.wait(self.retry_after):
                        log.error("a queued write failed: %s", type(exc).__name__)
                        break
                except Exception as exc:  # noqa: BLE001 - a broken write is dropped, the writer goes on
                    log.error("a queued write failed: %s", type(exc).__name__)
                    break
