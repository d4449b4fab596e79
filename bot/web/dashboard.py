"""The dashboard of admins and leaders: numbers per week, quarter and year, records, group sessions, downloads.

Every page asks the same policy as Telegram's /stats, /records and /session: build_report and
study_record ask knowledge.access and write the audit log themselves (so every view and every
download is audited); sessions go through make_session. Phone numbers appear only where the
report says the viewer may see them (admins, never leaders). Names and 工号 never appear in a URL:
a record is asked for with a POST form.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from bot.web.charts import trend_svg
from bot.web.pages import Visit, Web, attachment, reply_view
from knowledge import access
from knowledge import messages as M
from knowledge.access import AccessDenied
from knowledge.errors import XuefaError
from knowledge.reports import Report, build_report, parse_period, percent_text
from knowledge.reports.csvfile import csv_bytes
from knowledge.reports.review import review_figures, write_review_xlsx
from knowledge.reports.xlsx import write_xlsx
from knowledge.sessions import make_session, save_session

# The tabs, in words parse_period understands.
PERIODS = {"week": M.WEB_PERIOD_WEEK, "quarter": M.WEB_PERIOD_QUARTER, "year": M.WEB_PERIOD_YEAR}
NOT_YET_ROWS = 100  # on a phone; the whole list is in the downloads
SESSION_ROWS = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(visit: Visit) -> tuple[str, str | None]:
    params = visit.request.query_params
    return params.get("period", "week").strip()[:20] or "week", params.get("unit", "").strip()[:100] or None


def _build(visit: Visit, chosen: str, unit: str | None) -> Report:
    """Build the report asked for; the policy (scope, phones) and the audit are build_report's."""
    services = visit.services
    period = parse_period(PERIODS.get(chosen, chosen), services.clock.today())
    return build_report(services.repository, visit.actor, period, unit, services.clock)


def _report(visit: Visit) -> Report:
    access.report_scope(visit.actor, None)  # a teacher is refused before the query is even read
    return _build(visit, *_query(visit))


def dashboard(visit: Visit) -> Response:
    """Show participation and pass rates, the trend, units ranked and who has not finished yet."""
    access.report_scope(visit.actor, None)
    chosen, unit = _query(visit)
    try:
        return _dashboard_page(visit, _build(visit, chosen, unit), chosen)
    except AccessDenied:  # another unit's numbers: 403, whatever else is wrong
        raise
    except XuefaError as exc:  # a period or unit that does not exist: say so above this week's numbers
        return _dashboard_page(visit, _build(visit, "week", None), "week", error=str(exc), status=400)


def _dashboard_page(visit: Visit, report: Report, chosen: str, error: str | None = None, status: int = 200):
    actor = visit.actor
    scope = {"period": report.period.label, **({"unit": report.unit} if report.unit else {})}
    tabs = [
        {"label": PERIODS[key], "href": "/dashboard?" + urlencode({"period": key, **_unit_param(report)}),
         "current": chosen == key}
        for key in PERIODS
    ]
    totals = report.totals
    cards = [
        (M.WEB_CARD_MEMBERS, str(totals.members)),
        (M.WEB_CARD_PARTICIPATION, percent_text(totals.participation_rate)),
        (M.WEB_CARD_PASS, percent_text(totals.pass_rate)),
        (M.WEB_CARD_AVERAGE, "—" if totals.average_score is None else f"{totals.average_score * 100:.1f}"),
        (M.WEB_CARD_ROUNDS, str(report.rounds)),
    ]
    not_yet = report.not_yet if report.rounds else []
    return visit.render(
        "dashboard.html", status=status, title=M.WEB_DASHBOARD_TITLE, report=report, error=error, tabs=tabs,
        cards=cards, chart=trend_svg(report.trend), percent=percent_text, chosen=chosen,
        units=_picker(visit), all_label=M.REPORT_ALL_UNITS if actor.sees_all_units else actor.unit,
        ranking=report.units if report.unit is None or len(report.units) > 1 else [], rollup=report.rollup,
        not_yet=not_yet[:NOT_YET_ROWS], more=max(0, len(not_yet) - NOT_YET_ROWS),
        downloads=urlencode(scope), may_read_records=access.may_use(actor, "records"),
        other_period="" if chosen in PERIODS else chosen,
        questions=review_figures(visit.services.repository, actor, report.period, visit.services.clock.tz, report.unit),
    )


def _picker(visit: Visit) -> list[str]:
    """Return the units the visitor may pick: every unit for the bureau, a unit admin's own and those below it."""
    scope = access.scope_units(visit.services.repository, visit.actor)
    return sorted(scope) if visit.actor.sees_all_units or len(scope) > 1 else []


def download_topics(visit: Visit) -> Response:
    """Download the most-asked topics (高频问题主题) of the period, for the annual report (普法工作总结)."""
    chosen, unit = _query(visit)
    services = visit.services
    period = parse_period(PERIODS.get(chosen, chosen), services.clock.today())
    figures = review_figures(services.repository, visit.actor, period, services.clock.tz, unit)
    buffer = io.BytesIO()
    write_review_xlsx(figures, buffer)
    return attachment(buffer.getvalue(), M.REVIEW_XLSX_FILE.format(period=period.label), XLSX)


def _unit_param(report: Report) -> dict[str, str]:
    return {"unit": report.unit} if report.unit else {}


def download_xlsx(visit: Visit) -> Response:
    """Download the report as the same Excel workbook as `xuefa stats --xlsx` and Telegram's /stats."""
    report = _report(visit)
    buffer = io.BytesIO()
    write_xlsx(report, buffer)
    return attachment(buffer.getvalue(), report.file_name + ".xlsx", XLSX)


def download_csv(visit: Visit) -> Response:
    """Download the member list as the same CSV file as `xuefa stats --csv`."""
    report = _report(visit)
    return attachment(csv_bytes(report), report.file_name + ".csv", "text/csv; charset=utf-8")


# --- one person's record ------------------------------------------------------------------


def _check_records(visit: Visit) -> None:
    if not access.may_use(visit.actor, "records"):
        raise AccessDenied(M.ACCESS_RECORD)


def records_page(visit: Visit) -> Response:
    """Ask whose record to show (by a POST form, so no name or 工号 lands in a URL or a log)."""
    _check_records(visit)
    return visit.render("records.html", title=M.WEB_RECORDS_TITLE, view=None, who="", period="")


def records_lookup(visit: Visit) -> Response:
    """Show a study record through the conversation's /records: same scope, same words, audited."""
    _check_records(visit)
    who = (visit.field("who").split() or [""])[0][:40]
    period = (visit.field("period").split() or [""])[0][:20]
    reply = visit.web.conversation.handle_command(visit.caller, "records", f"{who} {period}")
    return visit.render("records.html", title=M.WEB_RECORDS_TITLE, view=reply_view(reply), who=who, period=period)


# --- group study sessions ------------------------------------------------------------------


def sessions_page(visit: Visit, notice: str | None = None, error: str | None = None, values=None,
                  status: int = 200) -> Response:
    """List the group sessions the visitor may see, with a form to log one if they may."""
    actor, repository = visit.actor, visit.services.repository
    scope = access.sessions_view_units(repository, actor)
    try:
        adds_for = access.session_scope(actor)
        may_add = True
    except AccessDenied:  # leaders read sessions, they do not log them
        adds_for, may_add = None, False
    return visit.render(
        "sessions.html", status=status, title=M.WEB_SESSIONS_PAGE_TITLE, notice=notice, error=error,
        sessions=repository.sessions(units=scope)[:SESSION_ROWS], may_add=may_add,
        units=repository.units() if may_add and adds_for is None else [],
        values=values or {"held_on": visit.services.clock.today().isoformat()},
    )


def sessions_add(visit: Visit) -> Response:
    """Log a group session with its attendees, checked like /session in the chat."""
    access.session_scope(visit.actor)  # leaders: 403
    repository = visit.services.repository
    values = {name: visit.field(name) for name in ("held_on", "title", "laws", "attendees", "minutes", "unit")}
    try:
        session = make_session(
            repository, visit.actor, values["held_on"], values["title"], values["laws"], values["attendees"],
            values["minutes"], values["unit"] or None,
        )
        if not session.title:
            raise XuefaError(M.WEB_SESSION_NO_TITLE)
    except AccessDenied:
        raise
    except XuefaError as exc:
        return sessions_page(visit, error=str(exc), values=values, status=400)
    save_session(repository, visit.actor, session)
    saved = M.SESSION_SAVED.format(date=session.held_on, title=session.title, n=len(session.attendees))
    return sessions_page(visit, notice=saved)


def routes(web: Web) -> list[Route]:
    """Return the dashboard, records and sessions routes."""
    return [
        Route("/dashboard", web.page(dashboard), methods=["GET"]),
        Route("/dashboard/report.xlsx", web.page(download_xlsx), methods=["GET"]),
        Route("/dashboard/topics.xlsx", web.page(download_topics), methods=["GET"]),
        Route("/dashboard/report.csv", web.page(download_csv), methods=["GET"]),
        Route("/records", web.page(records_page), methods=["GET"]),
        Route("/records", web.page(records_lookup), methods=["POST"]),
        Route("/sessions", web.page(sessions_page), methods=["GET"]),
        Route("/sessions", web.page(sessions_add), methods=["POST"]),
    ]
