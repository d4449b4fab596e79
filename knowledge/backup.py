"""Backups of the one database file, and restoring one: what `xuefa backup`, `xuefa restore` and the nightly job do.

- take(): a consistent copy while the bot and the web keep writing (SQLite's online backup API,
  knowledge.store.backups), checked with integrity_check before it gets its name, then only the
  newest `keep` copies are kept. A copy is named xuefa-YYYYMMDD-HHMMSS.db (the bureau's time) so
  that names sort by time; only files so named are ever deleted.
- nightly(): take() unless a copy of today (the bureau's date) is already there; the service's
  scheduler calls it once a night, and a restart that calls it again adds nothing.
- restore(): refuses a file that is not SQLite, not xuefa's, damaged, or newer than this code,
  and a database that a running service still holds open. The copy is built and migrated beside
  the target under a temporary name and only then renamed over it (one rename: never a
  half-written database); the database it replaces is saved first.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge import messages as M
from knowledge.clock import Clock
from knowledge.errors import XuefaError
from knowledge.store import backups as files

if TYPE_CHECKING:
    from knowledge.store import Database

NAME = re.compile(r"^xuefa-(\d{8})-(\d{6})(?:-\d+)?\.db$")
DEFAULT_KEEP = 14


class BackupError(XuefaError):
    """A backup that could not be taken, or a file that must not be restored."""


@dataclass
class Backup:
    """A backup taken: its file, size in bytes, the seconds it took, the copies removed to keep N."""

    path: Path
    size: int
    seconds: float
    removed: list[Path] = field(default_factory=list)

    def size_text(self) -> str:
        return size_text(self.size)


@dataclass
class Restored:
    """A restore done: the file restored from, the schema versions before and after, the saved old database."""

    source: Path
    target: Path
    version_before: int
    version_after: int
    saved: Path | None


def size_text(size: int) -> str:
    """Say a file size for people: 12.3 MB, 850 KB."""
    return M.SIZE_MB.format(mb=size / 1e6) if size >= 1e6 else M.SIZE_KB.format(kb=size / 1e3)


def copies(folder: Path) -> list[Path]:
    """Return the backups in a folder, newest first (only files named as take() names them)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if NAME.match(p.name) and p.is_file()), key=lambda p: p.name,
                  reverse=True)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; return the files deleted."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    removed = copies(folder)[keep:]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _prepare(folder: Path) -> Path:
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        probe = folder / f".xuefa-probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise BackupError(M.BACKUP_FOLDER_BAD.format(folder=folder, reason=exc.strerror or exc)) from None
    return folder


def _free_name(folder: Path, clock: Clock) -> Path:
    stem = f"xuefa-{clock.local_now():%Y%m%d-%H%M%S}"
    path, n = folder / f"{stem}.db", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.db"
    return path


def take(database: Database, folder: Path, keep: int = DEFAULT_KEEP, clock: Clock | None = None) -> Backup:
    """Copy the live database into folder, check the copy, keep the newest `keep` copies."""
    clock = clock or database.clock
    if database.path != ":memory:" and not Path(database.path).exists():
        raise BackupError(M.BACKUP_SOURCE_MISSING.format(path=database.path))
    folder = _prepare(folder)
    started = time.perf_counter()
    part = folder / f".xuefa-backup-{os.getpid()}-{time.monotonic_ns()}.part"
    try:
        files.copy_online(database, part)
        facts = files.read_facts(part)
        if not facts.intact:
            raise BackupError(M.BACKUP_DAMAGED.format(reason=facts.integrity))
        with open(part, "rb") as handle:
            os.fsync(handle.fileno())
        final = _free_name(folder, clock)
        os.replace(part, final)  # a copy gets its name only once it is whole and checked
    finally:
        part.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    removed = prune(folder, keep)
    return Backup(final, final.stat().st_size, seconds, removed)


def nightly(database: Database, folder: Path, keep: int = DEFAULT_KEEP, clock: Clock | None = None) -> Backup | None:
    """Take the night's backup unless today's (the bureau's date) is already in folder; None then.

    For the service's scheduler: calling it twice a night, or again after a restart, adds nothing.
    """
    clock = clock or database.clock
    today = f"{clock.today():%Y%m%d}"
    newest = copies(folder)
    if newest and NAME.match(newest[0].name).group(1) == today:
        return None
    return take(database, folder, keep, clock)


def check_restorable(source: Path) -> files.FileFacts:
    """Refuse a file that is missing, not SQLite, not xuefa's, newer than this code, or damaged."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(M.RESTORE_MISSING.format(path=source))
    facts = files.read_facts(source)
    if not facts.sqlite:
        raise BackupError(M.RESTORE_NOT_SQLITE.format(path=source))
    if not facts.xuefa:
        raise BackupError(M.RESTORE_NOT_XUEFA.format(path=source))
    known = files.code_version()
    if facts.version > known:
        raise BackupError(M.RESTORE_TOO_NEW.format(path=source, version=facts.version, known=known))
    if not facts.intact:
        raise BackupError(M.RESTORE_DAMAGED.format(path=source, reason=facts.integrity))
    return facts


def restore(source: Path, target: Path, saved_folder: Path, clock: Clock | None = None) -> Restored:
    """Put a backup in place of the database at target, migrated forward; the old one is saved first.

    Never leaves a half-written database: the new file is complete, migrated and checked under a
    temporary name beside the target before one rename puts it in place.
    """
    clock = clock or Clock()
    source, target = Path(source), Path(target)
    check_restorable(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.restore-{os.getpid()}")
    saved = None
    try:
        files.copy_online(source, part)
        before, after = files.applied_on_open(part)  # migrated forward here, not in the live file
        facts = files.read_facts(part)
        if not facts.intact:
            raise BackupError(M.RESTORE_DAMAGED.format(path=source, reason=facts.integrity))
        files.take_over(part)  # leave it a single file, its log folded in
        if target.exists():
            if not files.take_over(target):
                raise BackupError(M.RESTORE_IN_USE.format(path=target))
            folder = _prepare(saved_folder)
            saved = folder / f"before-restore-{clock.local_now():%Y%m%d-%H%M%S}.db"
            files.copy_online(target, saved)
        for stale in files.sidecars(target):  # a -wal of the old file must never be applied to the new one
            stale.unlink(missing_ok=True)
        with open(part, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(part, target)
    finally:
        for leftover in [part, *files.sidecars(part)]:
            leftover.unlink(missing_ok=True)
    return Restored(source, target, before, after, saved)
