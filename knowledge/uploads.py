"""Files admins upload (Telegram or web): a roster or a question bank, recognised by their columns."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from knowledge import access
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.citations import LawCatalog
from knowledge.errors import XuefaError
from knowledge.members import is_roster, parse_roster, roster_units
from knowledge.quizbank import import_bank
from knowledge.tables import read_rows, read_table
from knowledge.units import check_new_units

if TYPE_CHECKING:
    from knowledge.store import Repository

MAX_BYTES = 5_000_000


def import_upload(
    repository: Repository, catalog: LawCatalog, actor: Actor, path: Path, caption: str = "",
    new_units: bool | None = None, confirm: str = M.UNITS_CONFIRM_CHAT,
) -> str:
    """Import an uploaded roster or question bank; return the report or the reason it was refused.

    A roster that names a unit the database does not hold is refused, naming the close existing
    names, unless new_units (the web's checkbox; in the chat, a caption word such as 新单位).
    """
    skip_invalid = any(word in caption.lower() for word in M.SKIP_WORDS)
    if new_units is None:
        new_units = any(word in caption.lower() for word in M.NEW_UNITS_WORDS)
    try:
        if path.stat().st_size > MAX_BYTES:  # what was downloaded, not what the sender declared
            return M.FILE_TOO_LARGE.format(mb=MAX_BYTES // 1_000_000)
        rows = read_rows(path)  # once: recognising the file and importing it read the same rows
        header = read_table(path, [], rows=rows).header
        if is_roster(header):
            unit = access.roster_scope(actor)
            units = access.scope_units(repository, actor) if unit is not None else None
            found, skipped = parse_roster(path, unit=unit, skip_invalid=skip_invalid, repository=repository, rows=rows,
                                          units=units)
            check_new_units(repository.unit_names(), roster_units(found), new_units, confirm)
            report = repository.import_roster(found, unit=unit)
            report.skipped = skipped
            access.audit(repository, actor, "roster", report.summary(unit))
            return report.describe()
        if {M.BANK_COL_KIND, M.BANK_COL_STEM, M.BANK_COL_ANSWER} <= set(header):
            access.check_bank_import(actor)
            described = import_bank(repository, catalog, path, skip_invalid, rows=rows)
            access.audit(repository, actor, "bank", path.name)
            return described
        return M.FILE_UNKNOWN_KIND
    except XuefaError as exc:
        return str(exc).replace(str(path.parent) + "/", "")
