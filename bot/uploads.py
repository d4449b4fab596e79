"""Files admins send to the bot: a roster or a question bank, recognised by their columns."""

from __future__ import annotations

from pathlib import Path

from bot.services import Services
from knowledge import messages as M
from knowledge.errors import XuefaError
from knowledge.members import Member, parse_roster
from knowledge.tables import read_table

MAX_BYTES = 5_000_000
SKIP_WORDS = M.SKIP_WORDS


def import_upload(services: Services, admin: Member, path: Path, caption: str = "") -> str:
    """Import an uploaded roster or question bank; return the report or the reason it was refused."""
    skip_invalid = any(word in caption.lower() for word in SKIP_WORDS)
    try:
        header = read_table(path, []).header
        if set(M.ROSTER_COLUMNS) <= set(header):
            rows, skipped = parse_roster(
                path, admin=admin, skip_invalid=skip_invalid, repository=services.repository
            )
            unit = admin.unit if admin.role == "unit_admin" else None
            report = services.repository.import_roster(rows, unit=unit)
            report.skipped = skipped
            return report.describe()
        if {M.BANK_COL_KIND, M.BANK_COL_STEM, M.BANK_COL_ANSWER} <= set(header):
            if admin.role != "bureau_admin":
                return M.BANK_BUREAU_ONLY
            from bot.quizzes import import_bank

            return import_bank(services, path, skip_invalid)
        return M.FILE_UNKNOWN_KIND
    except XuefaError as exc:
        return str(exc).replace(str(path.parent) + "/", "")
