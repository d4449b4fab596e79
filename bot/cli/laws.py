"""`xuefa laws …` and `xuefa article`: the law store from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.main import CLIError, Context, cli, pass_context, warn
from bot.render import article_text, law_outline
from knowledge import messages as M
from knowledge import review
from knowledge.bundled import BundledCorpus, bundled_laws
from knowledge.citations import LawCatalog, parse_citation, resolve
from knowledge.errors import NotFound
from knowledge.models import CURRENT, ImportReport
from knowledge.sources import load_files


@cli.group(help=M.HELP_LAWS)
def laws() -> None:
    pass


@laws.command("import", help=M.HELP_LAWS_IMPORT)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--bundled", is_flag=True, help=M.OPT_BUNDLED)
@click.option("--title", "titles", multiple=True, help=M.OPT_TITLES)
@click.option("--any-status", is_flag=True, help=M.OPT_ANY_STATUS)
@pass_context
def import_laws(ctx: Context, paths: tuple[Path, ...], bundled: bool, titles: tuple[str, ...], any_status: bool):
    if bool(paths) == bundled:
        raise click.UsageError(M.USAGE_LAWS_IMPORT)
    if bundled:
        parsed = _bundled(titles, any_status)
    else:
        parsed, errors = load_files(list(paths))
        if errors:
            for error in errors[:-1]:
                click.echo(M.CLI_ERROR.format(message=error), err=True)
            raise CLIError(str(errors[-1]) + (M.IMPORT_FILES_FAILED.format(n=len(errors)) if len(errors) > 1 else ""))
    for result in parsed:
        for warning in result.warnings:
            warn(warning)
    reports = ctx.repository.import_laws([result.law for result in parsed])
    for report in reports:
        click.echo(describe_report(report))
    counts = {outcome: sum(r.outcome == outcome for r in reports) for outcome in ("new", "changed", "unchanged")}
    click.echo(M.IMPORT_SUMMARY.format(n=len(reports), **counts))
    _recheck_reviewed(ctx)


def _recheck_reviewed(ctx: Context) -> None:
    """Send reviewed answers whose cited articles changed or went back to the reviewer queue."""
    requeued = review.recheck(ctx.repository)
    if requeued:
        click.echo(M.REVIEW_RECHECKED.format(n=len(requeued)))


def _bundled(titles: tuple[str, ...], any_status: bool):
    corpus = BundledCorpus()
    try:
        wanted = None
        if titles:
            catalog = LawCatalog(corpus.titles(status=None))
            wanted = [catalog.resolve(title) for title in titles]
        parsed = bundled_laws(corpus, wanted, None if any_status else CURRENT)
    finally:
        corpus.close()
    for result in parsed:
        if result.law.status != CURRENT:
            warn(M.BUNDLED_STATUS.format(title=result.law.short_title, status=result.law.status))
    return parsed


def describe_report(report: ImportReport) -> str:
    """Describe what an import did to one law, naming the changed articles."""
    if report.outcome == "new":
        return M.IMPORT_NEW.format(title=report.title, n=len(report.added))
    if report.outcome == "unchanged" or not (report.added or report.changed or report.removed):
        return M.IMPORT_UNCHANGED.format(title=report.title)
    lines = [
        M.IMPORT_CHANGED.format(
            title=report.title, added=len(report.added), changed=len(report.changed), removed=len(report.removed)
        )
    ]
    for kind, items in ((M.KIND_ADDED, report.added), (M.KIND_CHANGED, report.changed), (M.KIND_REMOVED, report.removed)):
        if items:
            shown = "、".join(items[:20]) + ("……" if len(items) > 20 else "")
            lines.append(M.IMPORT_DETAIL.format(kind=kind, items=shown))
    return "\n".join(lines)


@laws.command("list", help=M.HELP_LAWS_LIST)
@pass_context
def list_laws(ctx: Context) -> None:
    summaries = ctx.repository.law_summaries()
    if not summaries:
        click.echo(M.LAWS_EMPTY)
        return
    for law in summaries:
        click.echo(
            M.LAW_LINE.format(
                title=law.title, kind=law.kind, status=law.status, count=law.article_count, amended=law.amended
            )
        )


@laws.command("show", help=M.HELP_LAWS_SHOW)
@click.argument("title", nargs=-1, required=True)
@pass_context
def show_law(ctx: Context, title: tuple[str, ...]) -> None:
    catalog = LawCatalog(ctx.repository.law_titles())
    law = ctx.repository.law(catalog.resolve("".join(title)))
    click.echo(law_outline(law))


@laws.command("remove", help=M.HELP_LAWS_REMOVE)
@click.argument("title", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help=M.OPT_YES)
@pass_context
def remove_law(ctx: Context, title: tuple[str, ...], yes: bool) -> None:
    catalog = LawCatalog(ctx.repository.law_titles())
    resolved = catalog.resolve("".join(title))
    if not yes:
        click.confirm(M.CONFIRM_REMOVE_LAW.format(title=resolved), abort=True)
    try:
        count = ctx.repository.remove_law(resolved)
    except NotFound as exc:
        raise CLIError(str(exc)) from None
    click.echo(M.LAW_REMOVED.format(title=resolved, n=count))
    _recheck_reviewed(ctx)


@cli.command("article", help=M.HELP_ARTICLE)
@click.argument("citation", nargs=-1, required=True)
@pass_context
def show_article(ctx: Context, citation: tuple[str, ...]) -> None:
    catalog = LawCatalog(ctx.repository.law_titles())
    resolved = resolve(parse_citation(" ".join(citation)), catalog, ctx.repository)
    click.echo(article_text(resolved.article, clause=resolved.clause, label=resolved.label))
