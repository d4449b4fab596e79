"""`xuefa studylist …`: load and show the quarterly study lists."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.main import Context, cli, pass_context
from bot.render import study_list_text
from knowledge import messages as M
from knowledge.errors import NotFound
from knowledge.studylists import EXAMPLE, current_list, parse_study_lists
from knowledge.studysheet import TEMPLATE, YAML_TEMPLATE, read_study_lists


@cli.group(help=M.HELP_STUDYLIST)
def studylist() -> None:
    pass


@studylist.command("load", help=M.HELP_STUDYLIST_LOAD)
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--example", is_flag=True, help=M.OPT_EXAMPLE_LIST)
@pass_context
def load(ctx: Context, file: Path | None, example: bool) -> None:
    if bool(file) == example:
        raise click.UsageError(M.USAGE_STUDYLIST_LOAD)
    lists = parse_study_lists(EXAMPLE, ctx.repository) if example else read_study_lists(file, ctx.repository)
    ctx.repository.save_study_lists(lists)
    click.echo(M.STUDYLIST_LOADED.format(n=len(lists), ids="、".join(s.id for s in lists)))


@studylist.command("show", help=M.HELP_STUDYLIST_SHOW)
@click.argument("list_id", required=False)
@pass_context
def show(ctx: Context, list_id: str | None) -> None:
    lists = ctx.repository.study_lists()
    if not lists:
        click.echo(M.STUDYLIST_NONE)
        return
    day = ctx.clock.today()
    current = current_list(lists, day, ctx.settings.studylist)
    if list_id:
        chosen = [s for s in lists if s.id == list_id]
        if not chosen:
            raise NotFound(M.STUDYLIST_NOT_FOUND.format(id=list_id))
        lists = chosen
    elif current is None:
        click.echo(M.STUDYLIST_NO_CURRENT.format(today=day))
    click.echo("\n\n".join(study_list_text(s, current=current is not None and s.id == current.id) for s in lists))


@studylist.command("template", help=M.HELP_STUDYLIST_TEMPLATE)
@click.option("--yaml", "as_yaml", is_flag=True, help=M.OPT_TEMPLATE_YAML)
@click.option("--out", type=click.Path(path_type=Path), help=M.OPT_TEMPLATE_OUT)
def template(as_yaml: bool, out: Path | None) -> None:
    source = YAML_TEMPLATE if as_yaml else TEMPLATE
    if out:
        out.write_bytes(source.read_bytes())  # the CSV keeps its BOM: Excel on Chinese Windows reads it right
        click.echo(M.TEMPLATE_WRITTEN.format(path=out))
    else:
        click.echo(source.read_text(encoding="utf-8-sig"), nl=False)
