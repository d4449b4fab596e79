"""`xuefa index`, `xuefa ask`, `xuefa eval`: build the index, ask it, measure it."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import click

from bot.cli.main import CLIError, Context, cli, pass_context
from bot.render import answer_reply
from bot.reply import Plain
from bot.services import build_services
from knowledge import messages as M
from knowledge.citations import LawCatalog
from knowledge.evaluation import Outcome, read_questions, score
from knowledge.sources import load_files
from knowledge.store import Repository

INDEX_SCOPE = "index_scope"  # "lists" (the laws of the loaded study lists) or "all" (the whole store)


@cli.command("index", help=M.HELP_INDEX)
@click.option("--all", "scope", flag_value="all", help=M.OPT_INDEX_ALL)
@click.option("--lists", "scope", flag_value="lists", help=M.OPT_INDEX_LISTS)
@pass_context
def index(ctx: Context, scope: str | None) -> None:
    from indexer import build_index, scope_articles

    # The scope is remembered: a plain `xuefa index` (the container runs one at every start) must
    # not shrink an index built with --all back to the study-list laws.
    if scope is None:
        scope = json.loads(ctx.repository.get_setting(INDEX_SCOPE) or '"lists"')
    if not scope_articles(ctx.repository, all_laws=scope == "all"):
        raise CLIError(M.INDEX_EMPTY)
    ctx.repository.set_setting(INDEX_SCOPE, json.dumps(scope))
    click.echo(M.INDEX_SCOPE_ALL if scope == "all" else M.INDEX_SCOPE_LISTS, err=True)
    _, stats = build_index(ctx.settings, ctx.repository, all_laws=scope == "all")
    click.echo(M.INDEX_BUILT.format(
        articles=stats.articles, chunks=stats.chunks, embedded=stats.embedded, seconds=stats.seconds,
        rate=stats.articles_per_second,
    ))


@cli.command("ask", help=M.HELP_ASK)
@click.argument("question", nargs=-1, required=True)
@pass_context
def ask(ctx: Context, question: tuple[str, ...]) -> None:
    services = ctx.services
    services.reload_index()
    if services.index is None:
        click.echo(M.ANSWER_SEARCH_NOT_READY, err=True)
    click.echo("\n\n".join(answer_reply(Plain(), services.ask(" ".join(question))).parts))


@cli.command("eval", help=M.HELP_EVAL)
@click.argument("questions", type=click.Path(path_type=Path))
@click.option("--laws", type=click.Path(path_type=Path), help=M.OPT_EVAL_LAWS)
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100), help=M.OPT_EVAL_K)
@click.option("--json", "as_json", is_flag=True, help=M.OPT_JSON)
@click.option("--cache", type=click.Path(path_type=Path), help=M.OPT_EVAL_CACHE)
@pass_context
def evaluate(ctx: Context, questions: Path, laws: Path | None, k: int, as_json: bool, cache: Path | None) -> None:
    from indexer import make_encoders
    from indexer.index import build

    items = read_questions(questions)
    with tempfile.TemporaryDirectory(prefix="xuefa-eval-") as folder:
        repository = Repository(Path(folder) / "eval.db")
        _load_eval_laws(ctx, repository, laws)
        articles = repository.articles()
        index_dir = cache or Path(folder) / "index"
        started = time.perf_counter()
        built, _ = build(articles, make_encoders(ctx.settings.embedding_model), index_dir, progress=not as_json)
        index_s = time.perf_counter() - started
        services = build_services(ctx.settings, repository, ctx.clock, load_index=False)
        services.index = built
        by_id = {a.id: (a.law_title, a.label) for a in articles}
        catalog = LawCatalog(repository.law_titles())

        def run(question) -> Outcome:
            gold = [(_title(catalog, title), label) for title, label in question.gold]
            question.gold = gold
            started = time.perf_counter()
            result = services.ask(question.text)
            ms = (time.perf_counter() - started) * 1000
            return Outcome([by_id[i] for i in result.ranked[:k] if i in by_id], result.abstained, ms)

        metrics = score(items, run, index_s)
        repository.close()
    if as_json:
        click.echo(json.dumps(metrics, ensure_ascii=False))
        return
    for key in ("n", "n_answerable", "recall@1", "recall@5", "recall@10", "mrr", "multi_all@5", "abstention",
                "false_abstention", "p50_ms", "p95_ms", "index_s"):
        value = metrics[key]
        click.echo(f"{key:>18}  {value:.3f}" if isinstance(value, float) else f"{key:>18}  {value}")
    for kind, figures in metrics["by_type"].items():
        shown = "  ".join(f"{name}={value:.3f}" if isinstance(value, float) else f"{name}={value}" for name, value in figures.items())
        click.echo(f"{kind:>18}  {shown}")


def _title(catalog: LawCatalog, title: str) -> str:
    try:
        return catalog.resolve(title)
    except Exception:  # noqa: BLE001 - a gold law missing from the corpus simply never matches
        return title


def _load_eval_laws(ctx: Context, repository: Repository, laws: Path | None) -> None:
    if laws is not None:
        parsed, errors = load_files([laws])
        if errors:
            raise CLIError(str(errors[0]))
        repository.import_laws([p.law for p in parsed])
        return
    source = ctx.settings.db_path
    if not source.exists():
        raise CLIError(M.LAWS_EMPTY)
    store = Repository.snapshot(source)
    repository.import_laws([store.law(title) for title in store.law_titles()])
    store.close()

