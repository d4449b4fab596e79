"""A locked database loses nothing: another process holds the write lock, and members still get answers."""

from __future__ import annotations

import subprocess
import sys

from tests.test_bot import bot, register, services  # noqa: F401 - shared fixtures

HOLD = 8  # seconds the other process keeps the write lock (a backup, a long import)
LOCKER = (
    "import sqlite3, sys, time\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "c.execute('BEGIN IMMEDIATE')\n"
    "print('locked', flush=True)\n"
    f"time.sleep({HOLD})\n"
    "c.execute('COMMIT')\n"
)


async def test_a_question_is_answered_while_another_process_holds_the_write_lock(bot, services):  # noqa: F811
    teacher = await register(bot, services, 1001, "T001")
    locker = subprocess.Popen([sys.executable, "-c", LOCKER, str(services.settings.db_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"
        [reply] = await bot.text(teacher, "教师法第八条")
        assert "教师应当履行下列义务" in reply
        # Answered while the lock was still held: the reply did not wait for the question log.
        assert locker.poll() is None
        assert services.repository.question_log() == []  # not written yet: the database is locked
    finally:
        locker.wait(timeout=60)
    assert services.journal.flush(30)  # the writer tried again once the lock was gone: nothing was lost
    assert [entry.question for entry in services.repository.question_log()] == ["教师法第八条"]
