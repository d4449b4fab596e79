"""`xuefa stats`, `xuefa records`, `xuefa session …`: reports and records from the command line."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import click

from bot.cli.main import Context, cli, pass_context
from bot.render import Plain, record_parts, report_parts
from knowledge import messages as M
from knowledge.members import find_member
from knowledge.reports import build_report, parse_period, study_record
from knowledge.sessions import parse_session
from knowledge.studylists import today


def _period(ctx: Context, week: str | None, quarter: str | None, year: str | None, default: str = "本周"):
    chosen = [value for value in (week, quarter, year) if value]
    if len(chosen) > 1:
        raise click.UsageError("--week、--quarter、--year 只能选一个")
    return parse_period(chosen[0] if chosen else default, date.fromisoformat(today(ctx.settings.tz)))


@cli.command("stats", help=M.HELP_STATS)
@click.option("--week", help="周，如 2026-W48 或 本周、上周。")
@click.option("--quarter", help="季度，如 2026Q4 或 本季度。")
@click.option("--year", help="年度，如 2026。")
@click.option("--unit", help="只统计该单位。")
@click.option("--xlsx", type=click.Path(path_type=Path), help="导出 Excel 文件。")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="导出人员明细 CSV 文件。")
@click.option("--chart", type=click.Path(path_type=Path), help="导出图表 PNG 文件。")
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
@click.option("--quarter", help="季度，如 2026Q4。")
@click.option("--year", help="年度，默认本年。")
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
@click.option("--date", "held_on", required=True, help="日期 YYYY-MM-DD。")
@click.option("--title", required=True, help="标题，如 教职工会前学法。")
@click.option("--laws", default="", help="学习内容：法规或条文。")
@click.option("--attendees", required=True, help="参加人员工号或姓名，逗号分隔。")
@click.option("--minutes", "minutes_file", type=click.Path(exists=True, path_type=Path), help="纪要文本文件。")
@click.option("--unit", help="所属单位（不填为全局）。")
@pass_context
def add_session(ctx: Context, held_on, title, laws, attendees, minutes_file, unit) -> None:
    minutes = minutes_file.read_text(encoding="utf-8") if minutes_file else ""
    admin = _cli_admin(unit)
    parsed = parse_session(f"{held_on} {title} | {laws} | {attendees} | {minutes}", ctx.repository, admin)
    ctx.repository.add_session(
        parsed.held_on, parsed.title, unit, parsed.laws, parsed.minutes, [m.id for m in parsed.attendees], None
    )
    click.echo(M.SESSION_SAVED.format(date=parsed.held_on, title=parsed.title, n=len(parsed.attendees)))


@session.command("list", help=M.HELP_SESSION_LIST)
@pass_context
def list_sessions(ctx: Context) -> None:
    for item in ctx.repository.sessions():
        click.echo(f"{item['held_on']}\t{item['title']}\t{item['unit'] or '—'}\t{item['laws']}\t{item['attendees']}人")


def _cli_admin(unit: str | None):
    from knowledge.members import Member

    # The CLI runs with the database owner's rights: a bureau admin for sessions across units.
    return Member(id=None, staff_no="cli", name="命令行", unit=unit or "", role="bureau_admin")
