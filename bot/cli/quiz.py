"""`xuefa quiz …`: preview, push, rounds, question banks and the weekly schedule."""

from __future__ import annotations

import asyncio
import random
from dataclasses import fields
from pathlib import Path

import click

from bot.cli.main import CLIError, Context, cli, pass_context
from bot.render import LETTERS
from knowledge import access
from knowledge import messages as M
from knowledge.outreach import ROUND
from knowledge.quizbank import import_bank
from knowledge.rounds import Schedule, choose_questions, load_schedule, save_schedule


@cli.group(help=M.HELP_QUIZ)
def quiz() -> None:
    pass


@quiz.command("preview", help=M.HELP_QUIZ_PREVIEW)
@click.option("--n", "count", default=5, show_default=True, type=click.IntRange(1, 50))
@click.option("--seed", type=int, help=M.OPT_SEED)
@pass_context
def preview(ctx: Context, count: int, seed: int | None) -> None:
    study_list = ctx.services.current_list()
    if study_list is None:
        raise CLIError(M.QUIZ_NO_LIST)
    questions = choose_questions(ctx.repository, study_list, count, random.Random(seed), ctx.clock.now())
    for n, question in enumerate(questions, 1):
        click.echo(f"{n}. [{M.QUIZ_KIND_LABELS[question.kind]}] {question.stem}")
        for i, option in enumerate(question.options):
            mark = "*" if i in question.answer else " "
            click.echo(f"   {mark}{LETTERS[i]}. {option}")
        click.echo(f"   {question.explanation}\n")


@quiz.command("push", help=M.HELP_QUIZ_PUSH)
@click.option("--dry-run", is_flag=True, help=M.OPT_DRY_RUN)
@pass_context
def push(ctx: Context, dry_run: bool) -> None:
    services = ctx.services
    if dry_run:  # writes nothing: no round is created, no delivery queued
        week = services.quizflow.week()
        existing = ctx.repository.round_for_week(week)
        done = ctx.repository.delivery_counts(ROUND, str(existing.id)).get("sent", 0) if existing else 0
        members = ctx.repository.members()
        click.echo(M.QUIZ_DRY_RUN.format(week=week, n=len(members), done=done))
        for member in members:
            state = "、".join(M.CHANNEL_LABELS.get(c, c) for c in member.channels) or M.MEMBER_STATE_UNBOUND
            click.echo(f"{member.staff_no}\t{member.name}\t{member.unit}\t{state}")
        return
    result = asyncio.run(_push(ctx))
    if result is None:
        raise CLIError(M.QUIZ_NO_ROUND_THIS_WEEK)
    round_, report = result.round, result.report
    if not ctx.settings.push_configured:
        click.echo(M.QUIZ_PUSH_NO_CHANNEL.format(week=round_.week), err=True)
    channels = "、".join(f"{M.CHANNEL_LABELS.get(name, name)} {n} 人" for name, n in sorted(report.by_channel.items()))
    click.echo(M.QUIZ_PUSHED.format(
        week=round_.week, sent=report.sent, channels=channels or "—", unreached=len(report.unreached),
        failed=len(report.failed),
    ))
    for item in [*report.unreached, *report.failed]:
        member = item.member
        click.echo(f"{member.staff_no}\t{member.name}\t{member.unit}\t{item.reason}")
    # This run's figures above; the round's standing totals below (a second run sends only to the rest).
    counts = ctx.repository.delivery_counts(ROUND, str(round_.id))
    click.echo(M.QUIZ_PUSH_TOTALS.format(
        sent=counts.get("sent", 0), blocked=counts.get("blocked", 0) + counts.get("unreachable", 0),
        failed=counts.get("failed", 0), pending=counts.get("pending", 0) + counts.get("sending", 0),
    ))


async def _push(ctx: Context):
    from bot.outreach import close_channels, open_channels, outreach_for
    from bot.scheduler import push_round

    channels = await open_channels(ctx.services)
    try:
        return await push_round(ctx.services, outreach_for(ctx.services, channels))
    finally:
        await close_channels(channels)


@quiz.command("rounds", help=M.HELP_QUIZ_ROUNDS)
@pass_context
def rounds(ctx: Context) -> None:
    repository = ctx.repository
    for round_ in repository.rounds():
        counts = repository.delivery_counts(ROUND, str(round_.id))
        passed = len(repository.passed_members(round_.id))
        click.echo(M.QUIZ_ROUND_LINE.format(
            week=round_.week, list=round_.study_list_id, deadline=ctx.clock.local_text(round_.deadline),
            n=round_.questions, sent=counts.get("sent", 0),
            pending=counts.get("pending", 0) + counts.get("sending", 0), blocked=counts.get("blocked", 0),
            passed=passed,
        ))


@quiz.command("import", help=M.HELP_QUIZ_IMPORT)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--skip-invalid", is_flag=True, help=M.OPT_SKIP_INVALID)
@pass_context
def import_bank_command(ctx: Context, file: Path, skip_invalid: bool) -> None:
    access.check_bank_import(ctx.actor)
    click.echo(import_bank(ctx.repository, ctx.services.catalog, file, skip_invalid, name=str(file)))
    access.audit(ctx.repository, ctx.actor, "bank", file.name)


@quiz.command("schedule", help=M.HELP_QUIZ_SCHEDULE)
@click.option("--set", "changes", multiple=True, metavar=M.OPT_FIELD_VALUE, help=M.OPT_SCHEDULE_SET)
@pass_context
def schedule(ctx: Context, changes: tuple[str, ...]) -> None:
    current = load_schedule(ctx.repository)
    if changes:
        types = {f.name: f.type for f in fields(Schedule)}
        for change in changes:
            name, _, value = change.partition("=")
            if name not in types:
                raise CLIError(M.SCHEDULE_UNKNOWN.format(field=name, fields="、".join(types)))
            kind = {"int": int, "float": float, "bool": _flag}.get(types[name], str)
            try:
                setattr(current, name, kind(value.strip()))
            except ValueError:
                raise CLIError(M.SCHEDULE_BAD_VALUE.format(field=name, value=value)) from None
        save_schedule(ctx.repository, current)
    for f in fields(Schedule):
        value = getattr(current, f.name)
        click.echo(M.SCHEDULE_LINE.format(label=M.SCHEDULE_LABELS[f.name], name=f.name, value=_shown(f.name, value)))
    if changes:
        click.echo(M.QUIZ_SCHEDULE_SAVED)


def _shown(name: str, value) -> str:
    """Say a schedule value in words: weekdays by name, yes/no for switches, the pass mark in percent."""
    if name.endswith("_weekday"):
        return f"{value}（{M.WEEKDAYS[value - 1]}）"
    if isinstance(value, bool):
        return M.YES if value else M.NO
    if name == "pass_mark":
        return f"{value}（{value * 100:.0f}%）"
    return str(value)


def _flag(value: str) -> bool:
    """Read yes/no: 1/0, true/false, yes/no, on/off, 是/否."""
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on", "是"):
        return True
    if lowered in ("0", "false", "no", "off", "否"):
        return False
    raise ValueError(value)
