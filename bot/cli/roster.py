"""`xuefa roster …`: import the roster, print invite codes, deactivate members."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import click

from bot.cli.main import Context, cli, pass_context
from knowledge import access
from knowledge import messages as M
from knowledge.members import code_hash, new_code, parse_roster


@cli.group(help=M.HELP_ROSTER)
def roster() -> None:
    pass


@roster.command("import", help=M.HELP_ROSTER_IMPORT)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--skip-invalid", is_flag=True, help=M.OPT_SKIP_INVALID)
@click.option("--deactivate-missing", is_flag=True, help=M.OPT_DEACTIVATE_MISSING)
@pass_context
def import_roster(ctx: Context, file: Path, skip_invalid: bool, deactivate_missing: bool) -> None:
    rows, skipped = parse_roster(file, skip_invalid=skip_invalid)
    report = ctx.repository.import_roster(rows, deactivate_missing=deactivate_missing)
    report.skipped = skipped
    click.echo(report.describe())


@roster.command("codes", help=M.HELP_ROSTER_CODES)
@click.option("--unit", help=M.OPT_CODES_UNIT)
@click.option("--all", "include_bound", is_flag=True, help=M.OPT_CODES_ALL)
@pass_context
def codes(ctx: Context, unit: str | None, include_bound: bool) -> None:
    members = [m for m in ctx.repository.members(unit=unit) if include_bound or m.telegram_id is None]
    if not members:
        click.echo(M.CODES_NONE, err=True)
        return
    issued = [(member, new_code()) for member in members]
    ctx.repository.replace_invite_codes([(member.id, code_hash(code)) for member, code in issued])
    username = ctx.settings.bot_username
    writer = csv.writer(sys.stdout)
    writer.writerow(M.CODES_HEADER)
    for member, code in issued:
        link = f"https://t.me/{username}?start={code}" if username else ""
        writer.writerow([member.staff_no, member.name, member.unit, code, link])
    if not username:
        click.echo(M.CODES_NO_USERNAME, err=True)


@roster.command("list", help=M.HELP_ROSTER_LIST)
@click.option("--unit", help=M.OPT_LIST_UNIT)
@click.option("--inactive", is_flag=True, help=M.OPT_INACTIVE)
@pass_context
def list_members(ctx: Context, unit: str | None, inactive: bool) -> None:
    for m in ctx.repository.members(unit=unit, active_only=not inactive):
        state = M.MEMBER_STATE_BOUND if m.telegram_id else M.MEMBER_STATE_UNBOUND
        if not m.active:
            state = M.MEMBER_STATE_INACTIVE
        click.echo("\t".join([m.staff_no, m.name, m.unit, m.role_label, m.phone, state]))


@roster.command("deactivate", help=M.HELP_ROSTER_DEACTIVATE)
@click.argument("member")
@pass_context
def deactivate(ctx: Context, member: str) -> None:
    found = access.find_member(ctx.repository, ctx.actor, member)
    ctx.repository.deactivate_member(found.id)
    click.echo(M.MEMBER_DEACTIVATED.format(name=found.name, staff_no=found.staff_no))
