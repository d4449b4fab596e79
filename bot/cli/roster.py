"""`xuefa roster …`: import the roster, print invite codes, deactivate members."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click

from bot.cli.main import CLIError, Context, cli, pass_context
from bot.directory import directory
from knowledge import access
from knowledge import messages as M
from knowledge.invites import DEFAULT_EXPIRY_DAYS, issue_codes
from knowledge.members import parse_roster, roster_units
from knowledge.rosteraccounts import match_accounts
from knowledge.private import write_private
from knowledge.rostertemplate import write_roster_template
from knowledge.units import check_new_units, parse_units
from knowledge.reports.csvfile import write_rows


@cli.group(help=M.HELP_ROSTER)
def roster() -> None:
    pass


@roster.command("import", help=M.HELP_ROSTER_IMPORT)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--skip-invalid", is_flag=True, help=M.OPT_SKIP_INVALID)
@click.option("--deactivate-missing", is_flag=True, help=M.OPT_DEACTIVATE_MISSING)
@click.option("--new-units", is_flag=True, help=M.OPT_NEW_UNITS)
@pass_context
def import_roster(ctx: Context, file: Path, skip_invalid: bool, deactivate_missing: bool, new_units: bool) -> None:
    rows, skipped = parse_roster(file, skip_invalid=skip_invalid)
    check_new_units(ctx.repository.unit_names(), roster_units(rows), new_units, M.UNITS_CONFIRM_CLI)
    rows, accounts = match_accounts(ctx.repository, rows, *directory(ctx.settings))
    report = ctx.repository.import_roster(rows, deactivate_missing=deactivate_missing)
    report.skipped, report.notes = skipped, accounts.lines()
    access.audit(ctx.repository, ctx.actor, "roster", report.summary(None))
    click.echo(report.describe())


@roster.command("units", help=M.HELP_ROSTER_UNITS)
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--new-units", is_flag=True, help=M.OPT_NEW_UNITS)
@pass_context
def units(ctx: Context, file: Path | None, new_units: bool) -> None:
    if file is not None:
        links = parse_units(file)
        named = list(dict.fromkeys(name for link in links for name in (link.parent, link.unit) if name))
        check_new_units(ctx.repository.unit_names(), named, new_units, M.UNITS_CONFIRM_CLI)
        ctx.repository.link_units([(link.unit, link.parent) for link in links])
        access.audit(ctx.repository, ctx.actor, "units", str(len(links)))
        click.echo(M.UNITS_IMPORTED.format(n=len(links)))
    lines = ctx.repository.unit_tree().lines()
    click.echo("\n".join(lines) if lines else M.UNITS_NONE)


@roster.command("template", help=M.HELP_ROSTER_TEMPLATE)
@click.argument("file", required=False, default=M.ROSTER_TEMPLATE_NAME, type=click.Path(path_type=Path))
def template(file: Path) -> None:
    write_roster_template(file)
    click.echo(M.ROSTER_TEMPLATE_WRITTEN.format(path=file))


@roster.command("codes", help=M.HELP_ROSTER_CODES)
@click.option("--unit", help=M.OPT_CODES_UNIT)
@click.option("--expires", "days", default=DEFAULT_EXPIRY_DAYS, show_default=True, type=int, help=M.OPT_CODES_EXPIRES)
@click.option("--rebind", is_flag=True, help=M.OPT_CODES_REBIND)
@click.option("--member", "staff_no", help=M.OPT_CODES_MEMBER)
@click.option("--out", type=click.Path(path_type=Path), help=M.OPT_CODES_OUT)
@pass_context
def codes(ctx: Context, unit: str | None, days: int, rebind: bool, staff_no: str | None, out: Path | None) -> None:
    if staff_no:  # one person's code, on purpose: even if they have an account; nobody else's slip changes
        members, rebind = [access.find_member(ctx.repository, ctx.actor, staff_no)], True
        unit = members[0].staff_no
    else:
        members = ctx.repository.members(unit=unit)
    issued = issue_codes(ctx.repository, ctx.services.keyring, members, days, rebind)
    if not issued:
        click.echo(M.CODES_NONE, err=True)
        return
    username = ctx.settings.bot_username
    rows = [
        [item.member.staff_no, item.member.name, item.member.unit, item.code,
         f"https://t.me/{username}?start={item.code}" if username else "", ctx.clock.local_text(item.expires_at)]
        for item in issued
    ]
    if out is not None:  # live codes: BOM for Excel on Chinese Windows, readable by the owner only
        buffer = io.StringIO(newline="")
        write_rows(buffer, M.CODES_HEADER, rows)
        write_private(out, buffer.getvalue().encode("utf-8-sig"))
        click.echo(M.CODES_WRITTEN.format(n=len(rows), path=out), err=True)
    else:
        write_rows(sys.stdout, M.CODES_HEADER, rows)
    access.audit(ctx.repository, ctx.actor, "codes", f"{unit or M.REPORT_ALL_UNITS} {len(issued)}")
    rebinding = sum(item.rebinding for item in issued)
    if rebinding:
        click.echo(M.CODES_REBINDING.format(n=rebinding), err=True)
    if not username:
        click.echo(M.CODES_NO_USERNAME, err=True)


@roster.command("list", help=M.HELP_ROSTER_LIST)
@click.option("--unit", help=M.OPT_LIST_UNIT)
@click.option("--inactive", is_flag=True, help=M.OPT_INACTIVE)
@pass_context
def list_members(ctx: Context, unit: str | None, inactive: bool) -> None:
    access.audit(ctx.repository, ctx.actor, "roster_list", unit or M.REPORT_ALL_UNITS)
    for m in ctx.repository.members(unit=unit, active_only=not inactive):
        state = "、".join(M.CHANNEL_LABELS.get(c, c) for c in m.channels) or M.MEMBER_STATE_UNBOUND
        if not m.active:
            state = M.MEMBER_STATE_INACTIVE
        click.echo("\t".join([m.staff_no, m.name, m.unit, m.role_label, m.phone, state]))


@roster.command("group", help=M.HELP_ROSTER_GROUP)
@click.argument("unit", required=False)
@click.option("--channel", type=click.Choice(["wecom", "dingtalk"]), default="wecom", show_default=True)
@click.option("--webhook", metavar="URL", help=M.OPT_GROUP_WEBHOOK)
@click.option("--secret", default="", help=M.OPT_GROUP_SECRET)
@click.option("--remove", is_flag=True, help=M.OPT_GROUP_REMOVE)
@pass_context
def group(ctx: Context, unit: str | None, channel: str, webhook: str | None, secret: str, remove: bool) -> None:
    access.check_bureau_task(ctx.actor)
    label = M.CHANNEL_LABELS[channel]
    if unit is None:  # list: which units have a group, never the webhook (it is a credential)
        for item in ctx.repository.unit_groups():
            click.echo(M.GROUP_LINE.format(unit=item.unit, channel=M.CHANNEL_LABELS.get(item.channel, item.channel)))
        return
    if remove:
        if not ctx.repository.remove_unit_group(unit, channel):
            raise CLIError(M.GROUP_NONE.format(unit=unit, channel=label))
        click.echo(M.GROUP_REMOVED.format(unit=unit, channel=label))
    else:
        if not webhook:
            raise CLIError(M.GROUP_WEBHOOK_MISSING)
        if not ctx.repository.set_unit_group(unit, channel, webhook.strip(), secret.strip()):
            raise CLIError(M.GROUP_NO_UNIT.format(unit=unit))
        click.echo(M.GROUP_SET.format(unit=unit, channel=label))
    access.audit(ctx.repository, ctx.actor, "unit_group", f"{unit} {channel} {'remove' if remove else 'set'}")


@roster.command("deactivate", help=M.HELP_ROSTER_DEACTIVATE)
@click.argument("member")
@pass_context
def deactivate(ctx: Context, member: str) -> None:
    found = access.find_member(ctx.repository, ctx.actor, member)
    ctx.repository.deactivate_member(found.id)
    click.echo(M.MEMBER_DEACTIVATED.format(name=found.name, staff_no=found.staff_no))
