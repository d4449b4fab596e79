"""Data protection (PIPL): a person's data on request, forgetting a person, and how long logs are kept.

Only the operator (the CLI, run by the bureau's data owner) exports or forgets a person; every
export and every erasure is written to the audit log, under the pseudonym once the person is gone.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from knowledge import access
from knowledge import messages as M
from knowledge.access import AccessDenied, Actor
from knowledge.clock import Clock, iso
from knowledge.members import Member
from knowledge.store.privacy import PersonalData

if TYPE_CHECKING:
    from knowledge.store import Repository

QUESTION_LOG_DAYS = 365  # questions asked feed interest-weighted quizzes and the year's record
SIGN_IN_DAYS = 30  # failed sign-ins only matter for rate limiting: an hour; a month for looking into abuse


@dataclass
class Retention:
    """How many days the logs that hold what people typed or tried are kept."""

    question_log_days: int = QUESTION_LOG_DAYS
    sign_in_days: int = SIGN_IN_DAYS


def _check_operator(actor: Actor) -> None:
    if not actor.is_operator:
        raise AccessDenied(M.PRIVACY_OPERATOR_ONLY)


def _subjects(repository: Repository, member: Member) -> list[str]:
    """Return how sign-in attempts name this person: their accounts on channels, their staff number on the web."""
    subjects = [f"web:{member.staff_no}", f"web:{member.staff_no}@"]  # "@": per 工号 and address
    for account in repository.accounts_of([member.id]).get(member.id, []):
        if account.source != "sign-in":  # a web account is the staff number above
            subjects.append(access.account_subject(account.channel, account.external_id))
    return subjects


def export_member(repository: Repository, actor: Actor, member: Member) -> PersonalData:
    """Return everything held about a person (the right to a copy), and audit it."""
    _check_operator(actor)
    access.audit(repository, actor, "export", member.staff_no)
    return repository.personal_data(member.id, member.staff_no, _subjects(repository, member))


def forget_member(repository: Repository, actor: Actor, member: Member) -> str:
    """Erase a person's personal data, keeping the anonymous counts past reports are made of; return the pseudonym."""
    _check_operator(actor)
    pseudonym = M.PRIVACY_PSEUDONYM_STAFF.format(id=member.id)
    # A name of one character would match inside other words; a phone only as written on the roster.
    said = tuple(words for words in (member.name, member.phone or "") if len(words) >= 2)
    repository.forget_member(member.id, member.staff_no, pseudonym, M.PRIVACY_PSEUDONYM_NAME, _subjects(repository, member), said)
    access.audit(repository, actor, "forget", pseudonym)
    return pseudonym


def exports_holding(folder: Path, member: Member) -> list[Path]:
    """Return the files in an exports folder that hold a person: their name, 工号 or phone, in any sheet or text.

    A workbook is searched in its unpacked XML parts (names are stored as written, in UTF-8), a
    JSON or CSV file as text; a file name counts too.
    """
    needles = [words for words in (member.name, member.staff_no, member.phone or "") if len(words) >= 2]
    found = []
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file() and (any(words in path.name for words in needles) or _holds(path, needles)):
            found.append(path)
    return found


def _holds(path: Path, needles: list[str]) -> bool:
    encoded = [words.encode("utf-8") for words in needles]
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.file_size <= 200_000_000 and info.filename.endswith(".xml"):
                        data = archive.read(info)
                        if any(words in data for words in encoded):
                            return True
            return False
        data = path.read_bytes()
    except (OSError, zipfile.BadZipFile):
        return False
    text = data.decode("utf-8", "replace")  # JSON exports are written with ensure_ascii=False
    return any(words in text for words in needles)


def prune(repository: Repository, retention: Retention) -> tuple[int, int]:
    """Delete logged questions and sign-in attempts past their retention, and expired web sessions.

    Return how many questions and sign-in attempts went.
    """
    now = repository.clock.now()
    repository.purge_web_sessions(iso(now))
    return repository.prune(
        iso(now - timedelta(days=retention.question_log_days)), iso(now - timedelta(days=retention.sign_in_days))
    )


def write_json(data: PersonalData, out: IO[str]) -> None:
    """Write the data as one JSON object, table by table."""
    json.dump(data.tables, out, ensure_ascii=False, indent=1, default=str)


def write_xlsx(data: PersonalData, out: str | Path | IO[bytes], clock: Clock | None = None) -> None:
    """Write the data as a workbook a person can read: one sheet per table, Chinese column titles,
    times in the bureau's zone, scores on the 0-100 scale, yes/no and lists as words, every text a
    text cell. The JSON export keeps the held names and values, for machines."""
    from openpyxl import Workbook  # only the export needs it; settings import this module for its defaults

    from knowledge.reports.sheets import text_cell

    clock = clock or Clock()
    workbook = Workbook(write_only=True)
    for table, rows in data.tables.items():
        sheet = workbook.create_sheet(M.PRIVACY_SHEETS.get(table, table))
        columns = list(rows[0]) if rows else []
        titles = [M.PRIVACY_COLUMNS.get(name, name) for name in columns]
        sheet.append([text_cell(sheet, title) for title in titles] or [text_cell(sheet, M.PRIVACY_NOTHING_HELD)])
        for row in rows:
            values = [readable(name, value, clock) for name, value in row.items()]
            sheet.append([text_cell(sheet, value) if isinstance(value, str) else value for value in values])
    workbook.save(out)


_FLAGS = {"active", "reachable", "passed", "helpful", "ok"}
_CHANNELS = {"channel", "used_on"}
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?([+-]\d{2}:\d{2}|Z)?$")


def readable(column: str, value: Any, clock: Clock) -> Any:
    """One held value as a person reads it (see write_xlsx)."""
    if value is None:
        return ""
    if column == "score" and isinstance(value, (int, float)):
        return round(value * 100, 1)
    if column in _FLAGS and isinstance(value, int):
        return M.PRIVACY_YES if value else M.PRIVACY_NO
    if column == "role":
        return M.ROLE_LABELS.get(str(value), value)
    if column in _CHANNELS:
        return M.CHANNEL_LABELS.get(str(value), value)
    if isinstance(value, str) and _MOMENT.match(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)  # the store's times are UTC
        return moment.astimezone(clock.zone).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str) and value[:1] in "[{":
        try:
            held = json.loads(value)
        except ValueError:
            return value
        if isinstance(held, list):
            return "、".join(str(item) for item in held)
        if isinstance(held, dict):
            return "；".join(f"{key}：{item}" for key, item in held.items())
    return value
