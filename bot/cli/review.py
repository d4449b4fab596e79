"""`xuefa review …`: the 法治副校长 reviewer queue from the command line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import click

from bot.cli.main import Context, cli, pass_context
from knowledge import access
from knowledge import messages as M
from knowledge import review
from knowledge.access import Actor
from knowledge.citations import LawCatalog
from knowledge.private import write_private
from knowledge.reports import parse_period
from knowledge.reports.review import review_figures, write_review_xlsx


@cli.group("review", help=M.HELP_REVIEW)
def review_group() -> None:
    pass


def _actor(ctx: Context, as_member: str | None) -> Actor:
    """The operator, or a roster member (--as 工号) whose reviewer scope then applies."""
    if not as_member:
        return ctx.actor
    return Actor.of(access.find_member(ctx.repository, ctx.actor, as_member))


_AS = click.option("--as", "as_member", metavar=M.OPT_STAFF_NO, help=M.OPT_REVIEW_AS)


@review_group.command("list", help=M.HELP_REVIEW_LIST)
@click.option("--unit", metavar=M.OPT_REVIEW_UNIT, help=M.OPT_REVIEW_UNIT)
@_AS
@pass_context
def list_entries(ctx: Context, unit: str | None, as_member: str | None) -> None:
    items = review.waiting(ctx.repository, _actor(ctx, as_member), unit)
    if not items:
        click.echo(M.REVIEW_LIST_EMPTY, err=True)
    for item in items:
        click.echo(item.line(ctx.clock))


@review_group.command("answer", help=M.HELP_REVIEW_ANSWER)
@click.argument("entry_id", type=int)
@click.option("--text", required=True, help=M.OPT_REVIEW_TEXT)
@click.option("--cite", "cites", multiple=True, help=M.OPT_REVIEW_CITE)
@_AS
@pass_context
def answer(ctx: Context, entry_id: int, text: str, cites: tuple[str, ...], as_member: str | None) -> None:
    repository = ctx.repository
    catalog = LawCatalog(repository.law_titles())
    pair = review.answer_entry(repository, catalog, _actor(ctx, as_member), entry_id, text, list(cites))
    click.echo(M.REVIEW_ANSWERED.format(id=entry_id, pair=pair.id, labels="、".join(pair.labels)))


@review_group.command("close", help=M.HELP_REVIEW_CLOSE)
@click.argument("entry_id", type=int)
@click.option("--duplicate", "duplicate_of", type=int)
@click.option("--out-of-scope", "reason")
@click.option("--missing-law", "law")
@_AS
@pass_context
def close(ctx: Context, entry_id: int, duplicate_of: int | None, reason: str | None, law: str | None,
          as_member: str | None) -> None:
    chosen = [x is not None for x in (duplicate_of, reason, law)]
    if sum(chosen) != 1:
        raise click.UsageError(M.HELP_REVIEW_CLOSE)
    status = ("duplicate", "out_of_scope", "missing_law")[chosen.index(True)]
    entry = review.close_entry(ctx.repository, _actor(ctx, as_member), entry_id, status, reason or law or "",
                               duplicate_of)
    click.echo(M.REVIEW_CLOSED.format(id=entry.id, status=M.REVIEW_STATUS[entry.status]))


@review_group.command("assign", help=M.HELP_REVIEW_ASSIGN)
@click.argument("staff_no")
@click.option("--unit", "units", multiple=True, help=M.OPT_REVIEW_UNIT)
@click.option("--bureau", is_flag=True, help=M.OPT_REVIEW_BUREAU)
@pass_context
def assign(ctx: Context, staff_no: str, units: tuple[str, ...], bureau: bool) -> None:
    if bool(units) == bureau:
        raise click.UsageError(M.HELP_REVIEW_ASSIGN)
    person = access.find_member(ctx.repository, ctx.actor, staff_no)
    review.assign(ctx.repository, ctx.actor, person, list(units) if units else None)
    shown = "、".join(M.REVIEW_BUREAU if s is None else s for s in review.scopes(ctx.repository, Actor.of(person)))
    click.echo(M.REVIEW_ASSIGNED.format(name=person.name, staff_no=person.staff_no, units=shown))


@review_group.command("unassign", help=M.HELP_REVIEW_UNASSIGN)
@click.argument("staff_no")
@click.option("--unit", "units", multiple=True, help=M.OPT_REVIEW_UNIT)
@pass_context
def unassign(ctx: Context, staff_no: str, units: tuple[str, ...]) -> None:
    person = access.find_member(ctx.repository, ctx.actor, staff_no)
    n = review.unassign(ctx.repository, ctx.actor, person, list(units) if units else None)
    click.echo(M.REVIEW_UNASSIGNED.format(name=person.name, staff_no=person.staff_no, n=n))


@review_group.command("reviewers", help=M.HELP_REVIEW_REVIEWERS)
@pass_context
def reviewers(ctx: Context) -> None:
    repository = ctx.repository
    found = repository.reviewer_scopes()
    if not found:
        click.echo(M.REVIEW_NONE_REVIEWERS)
    for scope in found:
        person = repository.member(scope.member_id)
        click.echo(M.REVIEW_REVIEWERS_LINE.format(
            name=person.name, staff_no=person.staff_no, member_unit=person.unit,
            unit=scope.unit or M.REVIEW_BUREAU, source=M.REVIEW_SOURCES[scope.source]))


@review_group.command("reveal", help=M.HELP_REVIEW_REVEAL)
@click.argument("entry_id", type=int)
@_AS
@pass_context
def reveal(ctx: Context, entry_id: int, as_member: str | None) -> None:
    person = review.reveal_asker(ctx.repository, _actor(ctx, as_member), entry_id)
    if person is None:
        click.echo(M.REVIEW_REVEALED_NONE.format(id=entry_id))
    else:
        click.echo(M.REVIEW_REVEALED.format(id=entry_id, name=person.name, unit=person.unit, staff_no=person.staff_no))


@review_group.command("escalate", help=M.HELP_REVIEW_ESCALATE)
@pass_context
def escalate(ctx: Context) -> None:
    days = ctx.settings.review_escalate_days
    click.echo(M.REVIEW_ESCALATED.format(n=review.escalate(ctx.repository, ctx.clock, days), days=days))


@review_group.command("notify", help=M.HELP_REVIEW_NOTIFY)
@pass_context
def notify(ctx: Context) -> None:
    # Until the scheduler sends them on each person's channel: print who would be told what.
    repository, days = ctx.repository, ctx.settings.review_escalate_days
    review.escalate(repository, ctx.clock, days)
    for member_id, notice in review.reviewer_digest(repository, ctx.clock, days) + review.asker_notices(repository):
        person = repository.member(member_id)
        click.echo(f"[{notice.kind}] {person.staff_no if person else member_id}: {notice.title}\n{notice.text}\n")


@review_group.command("missing", help=M.HELP_REVIEW_MISSING)
@pass_context
def missing(ctx: Context) -> None:
    found = review.missing_laws(ctx.repository)
    if not found:
        click.echo(M.REVIEW_MISSING_NONE)
    for law, n in found:
        click.echo(M.REVIEW_MISSING_LINE.format(law=law.strip("《》"), n=n))


@review_group.command("recheck", help=M.HELP_REVIEW_RECHECK)
@pass_context
def recheck(ctx: Context) -> None:
    click.echo(M.REVIEW_RECHECKED.format(n=len(review.recheck(ctx.repository))))


@review_group.command("report", help=M.HELP_REVIEW_REPORT)
@click.option("--period", "period_text", metavar="本年|2026|2026Q4|2026-W48", help=M.HELP_REVIEW_REPORT)
@click.option("--unit", metavar=M.OPT_REVIEW_UNIT, help=M.OPT_REVIEW_UNIT)
@click.option("--xlsx", type=click.Path(path_type=Path))
@pass_context
def report(ctx: Context, period_text: str | None, unit: str | None, xlsx: Path | None) -> None:
    period = parse_period(period_text or "本年", ctx.clock.today())
    figures = review_figures(ctx.repository, ctx.actor, period, ctx.clock.tz, unit)
    for line in figures.lines():
        click.echo(line)
    if xlsx is not None:
        buffer = io.BytesIO()
        write_review_xlsx(figures, buffer)
        click.echo(M.REVIEW_XLSX_SAVED.format(path=write_private(xlsx, buffer.getvalue())))


@review_group.command("export-eval", help=M.HELP_REVIEW_EXPORT_EVAL)
@click.argument("path", type=click.Path(path_type=Path))
@pass_context
def export_eval(ctx: Context, path: Path) -> None:
    found = review.labelled_questions(ctx.repository)
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in found)
    write_private(path, text.encode("utf-8"))
    click.echo(M.REVIEW_EXPORTED_EVAL.format(n=len(found), path=path))
