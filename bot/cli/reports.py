"""`xuefa stats`, `xuefa records`, `xuefa session …`: reports and records from the command line."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import click

from bot.cli.main import Context, cli, pass_context
from bot.render import Plain, record_parts, report_parts
from knowledge import messages as M
from knowledge.members import Member, find_member
from knowledge.reports import build_report, parse_period, study_record
from knowledge.sessions import make_session
from knowledge.studylists import today


def _period(ctx: Context, week: str | None, quarter: str | None, year: str | None, default: str = "本周"):
    chosen = [value for value in (week, quarter, year) if value]
    if len(chosen) > 1:
        raise click.UsageError(M.USAGE_ONE_PERIOD)
    return parse_period(chosen[0] if chosen else default, date.fromisoformat(today(ctx.settings.tz)))


@cli.command("stats", help=M.HELP_STATS)
@click.option("--week", help=M.OPT_WEEK)
@click.option("--quarter", help=M.OPT_QUARTER)
@click.option("--year", help=M.OPT_YEAR)
@click.option("--unit", help=M.OPT_STATS_UNIT)
@click.option("--xlsx", type=click.Path(path_type=Path), help=M.OPT_XLSX)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help=M.OPT_CSV)
@click.option("--chart", type=click.Path(path_type=Path), help=M.OPT_CHART)
@pass_context
def stats(ctx: Context, week, quarter, year, unit, xlsx, csv_path, chart) -> None:
    period = _period(ctx, week, quarter, year)
    report = build_report(ctx.repository, None, period, unit, ctx.settings.tz)
    click.echo("\n\n".join(report_parts(Plain(), report, not_yet_limit=50)))
    if xlsx or chart:
        from bot.exports import render_chart, write_xlsx

        if xlsx:
            write_xlsx(report, xlsx)
        if chart:
            render_chart(report, chart)
    if csv_path:
        with open(csv_path, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(M.CSV_MEMBER_HEADER)
            for m in report.members:
                best = "" if m.best_score is None else f"{m.best_score * 100:.1f}"
                writer.writerow([m.unit, m.name, m.staff_no, M.ROLE_LABELS[m.role], m.rounds, m.participated,
                                 m.passed, best, m.last_activity or "", m.phone or ""])
    written = [str(p) for p in (xlsx, csv_path, chart) if p]
    if written:
        click.echo(M.STATS_FILES.format(files="、".join(written)))


@cli.command("records", help=M.HELP_RECORDS)
@click.argument("member")
@click.option("--quarter", help=M.OPT_RECORD_QUARTER)
@click.option("--year", help=M.OPT_RECORD_YEAR)
@pass_context
def records(ctx: Context, member: str, quarter: str | None, year: str | None) -> None:
    found = find_member(ctx.repository, member)
    period = _period(ctx, None, quarter, year, default="本年")
    record = study_record(ctx.repository, None, found, period, ctx.settings.tz)
    click.echo("\n\n".join(record_parts(Plain(), record, show_phone=True)))


@cli.group("session", help=M.HELP_SESSION)
def session() -> None:
    pass


@session.command("add", help=M.HELP_SESSION_ADD)
@click.option("--date", "held_on", required=True, help=M.OPT_SESSION_DATE)
@click.option("--title", required=True, help=M.OPT_SESSION_TITLE)
@click.option("--laws", default="", help=M.OPT_SESSION_LAWS)
@click.option("--attendees", required=True, help=M.OPT_SESSION_ATTENDEES)
@click.option("--minutes", "minutes_file", type=click.Path(exists=True, path_type=Path), help=M.OPT_SESSION_MINUTES)
@click.option("--unit", help=M.OPT_SESSION_UNIT)
@pass_context
def add_session(ctx: Context, held_on, title, laws, attendees, minutes_file, unit) -> None:
    minutes = minutes_file.read_text(encoding="utf-8") if minutes_file else ""
    session = make_session(ctx.repository, _cli_admin(), held_on, title, laws, attendees, minutes, unit)
    ctx.repository.add_session(
        session.held_on, session.title, session.unit, session.laws, session.minutes,
        [m.id for m in session.attendees], None,
    )
    click.echo(M.SESSION_SAVED.format(date=session.held_on, title=session.title, n=len(session.attendees)))


@session.command("list", help=M.HELP_SESSION_LIST)
@pass_context
def list_sessions(ctx: Context) -> None:
    for item in ctx.repository.sessions():
        click.echo(M.SESSION_LINE.format(**item, unit_name=item["unit"] or "—"))


def _cli_admin() -> Member:
    # The CLI runs with the database owner's rights: a bureau admin for sessions across units.
    return Member(id=None, staff_no="cli", name=M.CLI_ACTOR, unit="", role="bureau_admin")
