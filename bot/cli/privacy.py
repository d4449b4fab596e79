"""`xuefa member export|forget`, `xuefa prune`, `xuefa audit`: data protection from the command line."""

from __future__ import annotations

import io
from datetime import date, datetime, time
from pathlib import Path

import click

from bot.cli.main import Context, cli, pass_context
from knowledge import access
from knowledge import messages as M
from knowledge.clock import iso
from knowledge.privacy import exports_holding, export_member, forget_member, prune, write_json, write_xlsx
from knowledge.private import open_private, write_private


@cli.group("member", help=M.HELP_MEMBER)
def member() -> None:
    pass


@member.command("export", help=M.HELP_MEMBER_EXPORT)
@click.argument("staff_no")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help=M.OPT_EXPORT_JSON)
@click.option("--xlsx", type=click.Path(path_type=Path), help=M.OPT_EXPORT_XLSX)
@pass_context
def export(ctx: Context, staff_no: str, json_path: Path | None, xlsx: Path | None) -> None:
    if bool(json_path) == bool(xlsx):
        raise click.UsageError(M.USAGE_EXPORT_ONE)
    person = access.find_member(ctx.repository, ctx.actor, staff_no)
    data = export_member(ctx.repository, ctx.actor, person)
    if json_path:
        with open_private(json_path, "w", encoding="utf-8") as handle:
            write_json(data, handle)
    else:
        buffer = io.BytesIO()
        write_xlsx(data, buffer, ctx.clock)
        write_private(xlsx, buffer.getvalue())
    click.echo(M.MEMBER_EXPORTED.format(name=person.name, staff_no=person.staff_no, path=json_path or xlsx))


@member.command("forget", help=M.HELP_MEMBER_FORGET)
@click.argument("staff_no")
@click.option("--yes", is_flag=True, help=M.OPT_YES)
@pass_context
def forget(ctx: Context, staff_no: str, yes: bool) -> None:
    person = access.find_member(ctx.repository, ctx.actor, staff_no)
    if not yes:
        click.confirm(M.CONFIRM_FORGET.format(name=person.name, staff_no=person.staff_no), abort=True)
    exports = ctx.settings.data_dir / "exports"
    holding = exports_holding(exports, person)  # read before the roster forgets who they were
    pseudonym = forget_member(ctx.repository, ctx.actor, person)
    for path in holding:  # a report, a record, an export of theirs: it goes with them
        path.unlink(missing_ok=True)
    access.audit(ctx.repository, ctx.actor, "forget-files", f"{pseudonym} {len(holding)}")
    click.echo(M.MEMBER_FORGOTTEN.format(name=person.name, staff_no=person.staff_no, pseudonym=pseudonym))
    click.echo(M.FORGET_FILES.format(n=len(holding), folder=exports))


@cli.command("prune", help=M.HELP_PRUNE)
@pass_context
def prune_logs(ctx: Context) -> None:
    retention = ctx.settings.retention
    asked, tried = prune(ctx.repository, retention)
    click.echo(M.PRUNED.format(asked=asked, tried=tried, question_days=retention.question_log_days,
                               sign_in_days=retention.sign_in_days))


@cli.command("audit", help=M.HELP_AUDIT)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help=M.OPT_AUDIT_SINCE)
@click.option("--who", metavar=M.OPT_STAFF_NO, help=M.OPT_AUDIT_WHO)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100000), help=M.OPT_AUDIT_LIMIT)
@pass_context
def audit(ctx: Context, since: datetime | None, who: str | None, limit: int) -> None:
    start = None
    if since is not None:  # a local day: from its first moment in the bureau's zone
        start = datetime.combine(date(since.year, since.month, since.day), time(0), ctx.clock.zone)
    person = access.find_member(ctx.repository, ctx.actor, who) if who else None
    entries = ctx.repository.audit_log(
        limit, since=iso(start) if start else None, member_id=person.id if person else None,
        mentioning=person.staff_no if person else None,
    )
    for entry in entries:
        click.echo(M.AUDIT_LINE.format(at=ctx.clock.local_text(entry.at), actor=entry.actor,
                                       action=M.AUDIT_ACTIONS.get(entry.action, entry.action), detail=entry.detail))

