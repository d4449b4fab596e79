"""Admin pages: roster and question-bank upload, invite codes to print, study lists, the quiz schedule.

Uploads are the bot's: knowledge.uploads.import_upload recognises a roster or a bank by its
columns, applies the same scope (a unit admin imports their own unit's rows; banks are the
bureau's) and returns the same row report, under the same size limit. The body is read with a
cap and imported in a worker thread. Codes, study lists and the schedule are the bureau's
(access.check_bureau_task); codes are shown once, on a page meant for printing.
"""

from __future__ import annotations

import io
import re
import tempfile
from dataclasses import fields
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from bot.directory import directory
from bot.render import study_list_text
from bot.web.pages import Visit, Web, attachment
from bot.web.qr import qr_svg, sign_in_link
from bot.web.security import FORM_BYTES
from knowledge import access
from knowledge import messages as M
from knowledge.errors import XuefaError
from knowledge.invites import DEFAULT_EXPIRY_DAYS, issue_codes
from knowledge.rostertemplate import write_roster_template
from knowledge.rounds import Schedule, load_schedule, save_schedule
from knowledge.studysheet import END, FOCUS, LAW, QUARTER, START, TEMPLATE, TITLE, parse_study_sheet, read_study_lists
from knowledge.uploads import MAX_BYTES, import_upload

STUDYLIST_BYTES = 1_000_000
BUILDER_ROWS = 12  # laws a quarter's list built in the form can hold (the 2024 lists have 3 to 9)
_ROW = re.compile(r"第(\d+)行[：:]?")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE_NAME = re.compile(r"[^\w.\-\u4e00-\u9fff]")


def _uploaded(visit: Visit, limit: int) -> tuple[str, bytes] | None:
    """Return the posted file's (safe) name and bytes, or None when no file came."""
    upload = visit.form.get("file") if visit.form is not None else None
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise XuefaError(M.FILE_TOO_LARGE.format(mb=max(1, limit // 1_000_000)))
    # Only the last path component, without anything a file system or a message could trip on.
    name = _UNSAFE_NAME.sub("_", Path(upload.filename.replace("\\", "/")).name)[-100:].lstrip(".")
    return name or "upload", data


# --- roster and question bank --------------------------------------------------------------


def upload_page(visit: Visit, result: str | None = None, error: str | None = None, status: int = 200) -> Response:
    """Offer the upload form to whoever may import roster rows (admins)."""
    access.roster_scope(visit.actor)
    return visit.render(
        "upload.html", status=status, title=M.WEB_UPLOAD_TITLE, result=result, error=error,
        hint=M.WEB_UPLOAD_HINT.format(mb=MAX_BYTES // 1_000_000),
    )


def upload(visit: Visit) -> Response:
    """Import a roster or a question bank exactly as the bot does, and show its row report."""
    actor, services = visit.actor, visit.services
    access.roster_scope(actor)  # teachers and leaders: 403; a bank is checked again inside import_upload
    try:
        found = _uploaded(visit, MAX_BYTES)
    except XuefaError as exc:
        return upload_page(visit, error=str(exc), status=413)
    if found is None:
        return upload_page(visit, error=M.WEB_UPLOAD_NO_FILE, status=400)
    name, data = found
    caption = M.SKIP_WORDS[0] if visit.field("skip") else ""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        report = import_upload(services.repository, services.catalog, actor, path, caption,
                               new_units=bool(visit.field("new_units")), confirm=M.UNITS_CONFIRM_WEB,
                               directory=directory(services.settings))
    access.audit(services.repository, actor, "upload", f"{len(data)}")
    return upload_page(visit, result=report)


def roster_template(visit: Visit) -> Response:
    """Download the roster template (columns, examples, notes): no personal data, for any admin."""
    access.roster_scope(visit.actor)
    buffer = io.BytesIO()
    write_roster_template(buffer)
    return attachment(buffer.getvalue(), M.ROSTER_TEMPLATE_NAME, XLSX_TYPE)


# --- invite codes -------------------------------------------------------------------------


def codes_page(visit: Visit, error: str | None = None, status: int = 200) -> Response:
    """Offer to issue a unit's invite codes."""
    access.check_bureau_task(visit.actor)
    return visit.render(
        "codes.html", status=status, title=M.WEB_CODES_TITLE, error=error,
        units=visit.services.repository.units(), days=DEFAULT_EXPIRY_DAYS,
    )


def codes(visit: Visit) -> Response:
    """Issue codes for a unit's members and show them once, on a page to print and cut out."""
    actor, services = visit.actor, visit.services
    access.check_bureau_task(actor)
    repository = services.repository
    unit, staff_no = visit.field("unit"), visit.field("staff_no").strip().upper()[:32]
    rebind = bool(visit.field("rebind"))
    if staff_no:  # one person's new code: nobody else's slip is voided
        members = [m for m in repository.find_members(staff_no) if m.active and m.staff_no == staff_no]
        if not members:
            return codes_page(visit, error=M.WEB_CODES_MEMBER_UNKNOWN.format(staff_no=staff_no), status=400)
        unit, rebind = members[0].unit, True
    elif unit not in repository.units():
        return codes_page(visit, error=M.WEB_CODES_UNKNOWN_UNIT.format(unit=unit[:50]), status=400)
    else:
        members = repository.members(unit=unit)
    try:
        issued = issue_codes(repository, services.keyring, members, int(visit.field("days") or 0), rebind=rebind)
    except (ValueError, XuefaError) as exc:
        message = str(exc) if isinstance(exc, XuefaError) else M.CODES_BAD_EXPIRY.format(
            days=visit.field("days")[:10], high=366)
        return codes_page(visit, error=message, status=400)
    access.audit(repository, actor, "codes", f"{staff_no or unit} {len(issued)}")
    settings, clock = services.settings, services.clock
    expires = clock.local_text(issued[0].expires_at) if issued else ""
    url = f"{settings.web_url}/login" if settings.web_url else None
    hint = (M.WEB_CODES_PRINT_HINT.format(url=url, expires=expires) if url
            else M.WEB_CODES_PRINT_HINT_NO_URL.format(expires=expires))
    return visit.render(
        "codes_print.html", title=M.WEB_CODES_PRINT_TITLE.format(unit=unit, n=len(issued)), issued=issued,
        hint=hint, bot=settings.bot_username,
        qr={item.code: qr_svg(link) for item in issued if (link := sign_in_link(settings, item))},
    )


# --- study lists --------------------------------------------------------------------------


def studylists_page(visit: Visit, notice: str | None = None, error: str | None = None, status: int = 200):
    """Show the loaded study lists (the current one marked) and a form to load a YAML file."""
    access.check_bureau_task(visit.actor)
    services = visit.services
    current = services.current_list()
    texts = [
        study_list_text(item, current=current is not None and item.id == current.id)
        for item in services.repository.study_lists()
    ]
    form = visit.form if error and visit.form is not None else {}
    return visit.render(
        "studylists.html", status=status, title=M.WEB_STUDYLISTS_TITLE, texts=texts, notice=notice, error=error,
        titles=services.repository.law_titles(), rows=BUILDER_ROWS, form=form,
    )


def studylists_upload(visit: Visit) -> Response:
    """Load study lists from an uploaded sheet or YAML file, checked as `xuefa studylist load` checks it."""
    access.check_bureau_task(visit.actor)
    repository = visit.services.repository
    try:
        found = _uploaded(visit, STUDYLIST_BYTES)
        if found is None:
            return studylists_page(visit, error=M.WEB_UPLOAD_NO_FILE, status=400)
        name, data = found
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            try:
                lists = read_study_lists(path, repository)
            except XuefaError as exc:  # say the file's name, not the temporary folder's
                raise XuefaError(str(exc).replace(folder + "/", "")) from None
        repository.save_study_lists(lists)
    except XuefaError as exc:
        return studylists_page(visit, error=str(exc), status=400)
    access.audit(repository, visit.actor, "studylist", "、".join(item.id for item in lists))
    return studylists_page(visit, notice=M.STUDYLIST_LOADED.format(n=len(lists), ids="、".join(s.id for s in lists)))


def studylist_build(visit: Visit) -> Response:
    """Save the quarter's list an admin put together in the form: laws picked from the store, each
    with its focus, and the dates. The form is read as one sheet of the spreadsheet form, so it is
    checked exactly as an uploaded 学法清单 is, and saved only whole."""
    access.check_bureau_task(visit.actor)
    repository = visit.services.repository
    laws = [(visit.field(f"law_{n}"), visit.field(f"focus_{n}")) for n in range(1, BUILDER_ROWS + 1)]
    laws = [(law, focus) for law, focus in laws if law]
    if not laws:
        return studylists_page(visit, error=M.WEB_STUDYLIST_NO_LAW, status=400)
    first = [visit.field("quarter"), *laws[0], visit.field("start"), visit.field("end"), visit.field("title")]
    rows = [(1, [QUARTER, LAW, FOCUS, START, END, TITLE]), (2, first)]
    rows += [(n + 2, ["", law, focus, "", "", ""]) for n, (law, focus) in enumerate(laws[1:], 1)]
    try:
        lists = parse_study_sheet(Path(M.WEB_STUDYLIST_FORM), repository, rows)
    except XuefaError as exc:
        # Row n of the form's sheet is the form's law n - 1.
        text = _ROW.sub(lambda m: M.WEB_STUDYLIST_LAW.format(n=int(m.group(1)) - 1) + "：", str(exc))
        return studylists_page(visit, error=text, status=400)
    repository.save_study_lists(lists)
    access.audit(repository, visit.actor, "studylist", "、".join(item.id for item in lists))
    return studylists_page(visit, notice=M.STUDYLIST_LOADED.format(n=len(lists), ids="、".join(s.id for s in lists)))


def studylist_template(visit: Visit) -> Response:
    """The spreadsheet template of a 学法清单 (CSV with a BOM, so Excel on Chinese Windows reads it)."""
    access.check_bureau_task(visit.actor)
    return attachment(TEMPLATE.read_bytes(), "学法清单模板.csv", "text/csv; charset=utf-8")


# --- the quiz schedule --------------------------------------------------------------------


def schedule_page(visit: Visit, notice: str | None = None, error: str | None = None, values=None,
                  status: int = 200) -> Response:
    """Show the weekly quiz schedule as a form."""
    access.check_bureau_task(visit.actor)
    current = values or load_schedule(visit.services.repository)
    rows = [
        {"name": f.name, "label": M.SCHEDULE_LABELS[f.name], "kind": _kind(f.name, f.type),
         "value": getattr(current, f.name)}
        for f in fields(Schedule)
    ]
    return visit.render(
        "schedule.html", status=status, title=M.WEB_SCHEDULE_TITLE, rows=rows, notice=notice, error=error,
        weekdays=list(enumerate(M.WEEKDAYS, 1)),
    )


def _kind(name: str, type_name: str) -> str:
    if name.endswith("_weekday"):
        return "weekday"
    if name.endswith("_time"):
        return "time"
    return {"int": "int", "float": "float", "bool": "bool"}.get(type_name, "text")


def schedule_save(visit: Visit) -> Response:
    """Store a changed schedule; Schedule.validate decides what is allowed, as for `xuefa quiz schedule`."""
    access.check_bureau_task(visit.actor)
    repository = visit.services.repository
    changed = load_schedule(repository)
    for f in fields(Schedule):
        kind, raw = _kind(f.name, f.type), visit.field(f.name)
        try:
            value = {"weekday": int, "int": int, "float": float}.get(kind, str)(raw) if kind != "bool" else bool(raw)
        except ValueError:
            error = M.WEB_SCHEDULE_BAD.format(label=M.SCHEDULE_LABELS[f.name], value=raw[:20])
            return schedule_page(visit, error=error, status=400)
        setattr(changed, f.name, value)
    try:
        save_schedule(repository, changed)
    except XuefaError as exc:
        return schedule_page(visit, error=str(exc), values=changed, status=400)
    access.audit(repository, visit.actor, "schedule", changed.to_json())
    return schedule_page(visit, notice=M.QUIZ_SCHEDULE_SAVED)


def routes(web: Web) -> list[Route]:
    """Return the admin routes."""
    upload_body = MAX_BYTES + FORM_BYTES  # the file and the multipart framing around it
    return [
        Route("/admin/upload", web.page(upload_page), methods=["GET"]),
        Route("/admin/upload", web.page(upload, body=upload_body, files=1), methods=["POST"]),
        Route("/admin/roster-template.xlsx", web.page(roster_template), methods=["GET"]),
        Route("/admin/codes", web.page(codes_page), methods=["GET"]),
        Route("/admin/codes", web.page(codes), methods=["POST"]),
        Route("/admin/studylists", web.page(studylists_page), methods=["GET"]),
        Route("/admin/studylists/build", web.page(studylist_build), methods=["POST"]),
        Route("/admin/studylist-template.csv", web.page(studylist_template), methods=["GET"]),
        Route("/admin/studylists", web.page(studylists_upload, body=STUDYLIST_BYTES + FORM_BYTES, files=1),
              methods=["POST"]),
        Route("/admin/schedule", web.page(schedule_page), methods=["GET"]),
        Route("/admin/schedule", web.page(schedule_save), methods=["POST"]),
    ]
