"""`xuefa stats`, `xuefa records`, `xuefa session …`: reports and records from the command line."""

from __future__ import annotations

import io
from pathlib import Path

import click

from bot.cli.main import Context, cli, pass_context
from bot.render import record_parts, report_parts
from bot.reply import Plain
from knowledge import access
from knowledge import messages as M
from knowledge.private import write_private
from knowledge.reports import Period, build_report, parse_period, study_record, unit_records
from knowledge.reports.records_xlsx import records_title, write_records_xlsx
from knowledge.reports.chart import render_chart
from knowledge.reports.csvfile import write_csv
from knowledge.reports.xlsx import write_xlsx
from knowledge.sessions import make_session, save_session


def _period(ctx: Context, week: str | None, quarter: str | None, year: str | None, default: str = "本周") -> Period:
    chosen = [value for value in (week, quarter, year) if value]
    if len(chosen) > 1:
        raise click.UsageError(M.USAGE_ONE_PERIOD)
    return parse_period(chosen[0] if chosen else default, ctx.clock.today())


@cli.command("stats", help=M.HELP_STATS)
@click.option("--week", help=M.OPT_WEEK)
@click.option("--quarter", help=M.OPT_QUARTER)
@click.option("--year", help=M.OPT_YEAR)
@click.option("--unit", help=M.OPT_STATS_UNIT)
@click.option("--xlsx", type=click.Path(path_type=Path), help=M.OPT_XLSX)
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help=M.OPT_CSV)
@click.option("--chart", type=click.Path(path_type=Path), help=M.OPT_CHART)
@click.option("--level", type=int, help=M.OPT_STATS_LEVEL)
@pass_context
def stats(ctx: Context, week, quarter, year, unit, xlsx, csv_path, chart, level) -> None:
    period = _period(ctx, week, quarter, year)
    report = build_report(ctx.repository, ctx.actor, period, unit, ctx.clock, level=level)
    click.echo("\n\n".join(report_parts(Plain(), report, not_yet_limit=50)))
    # Every export holds names (and phones): written readable by the owner only.
    for path, write in ((xlsx, write_xlsx), (chart, render_chart)):
        if path:
            buffer = io.BytesIO()
            write(report, buffer)
            write_private(path, buffer.getvalue())
    if csv_path:
        write_csv(report, csv_path)
    written = [str(p) for p in (xlsx, csv_path, chart) if p]
    if written:
        access.audit(ctx.repository, ctx.actor, "stats_export", f"{period.label} {report.unit_label}")
        click.echo(M.STATS_FILES.format(files="、".join(written)))


@cli.command("records", help=M.HELP_RECORDS)
@click.argument("member", required=False)
@click.option("--unit", help=M.OPT_RECORDS_UNIT)
@click.option("--quarter", help=M.OPT_RECORD_QUARTER)
@click.option("--year", help=M.OPT_RECORD_YEAR)
@click.option("--xlsx", type=click.Path(path_type=Path), help=M.OPT_RECORDS_XLSX)
@pass_context
def records(ctx: Context, member: str | None, unit: str | None, quarter: str | None, year: str | None,
            xlsx: Path | None) -> None:
    if bool(member) == bool(unit):
        raise click.UsageError(M.USAGE_RECORDS_CLI)
    period = _period(ctx, None, quarter, year, default="本年")
    if unit:
        if not xlsx:
            raise click.UsageError(M.RECORDS_UNIT_NEEDS_XLSX)
        found = unit_records(ctx.repository, ctx.actor, unit, period, ctx.clock)
        title = M.RECORDS_TITLE_UNIT.format(unit=unit, period=period.text, n=len(found))
    else:
        person = access.find_member(ctx.repository, ctx.actor, member)
        found = [study_record(ctx.repository, ctx.actor, person, period, ctx.clock)]
        title = records_title(found[0])
        click.echo("\n\n".join(record_parts(Plain(), found[0], show_phone=True)))
    if xlsx:
        buffer = io.BytesIO()
        write_records_xlsx(found, title, buffer, ctx.clock)
        write_private(xlsx, buffer.getvalue())  # names and results: readable by the owner only
        click.echo(M.STATS_FILES.format(files=xlsx))


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
    found = make_session(ctx.repository, ctx.actor, held_on, title, laws, attendees, minutes, unit)
    save_session(ctx.repository, ctx.actor, found)
    click.echo(M.SESSION_SAVED.format(date=found.held_on, title=found.title, n=len(found.attendees)))


@session.command("list", help=M.HELP_SESSION_LIST)
@pass_context
def list_sessions(ctx: Context) -> None:
    for item in ctx.repository.sessions():
        click.echo(M.SESSION_LINE.format(**vars(item), unit_name=item.unit or "—"))
