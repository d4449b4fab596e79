"""`xuefa web`: the web channel on its own (the bot, if any, runs elsewhere or in `xuefa run`)."""

from __future__ import annotations

import click

from bot.cli.main import Context, cli, pass_context
from bot.services import build_services
from knowledge import messages as M

DEFAULT_PORT = 8080


@cli.command("web", help=M.HELP_WEB)
@click.option("--host", metavar="HOST", help=M.OPT_WEB_HOST)
@click.option("--port", type=click.IntRange(1, 65535), help=M.OPT_WEB_PORT)
@pass_context
def web(ctx: Context, host: str | None, port: int | None) -> None:
    from bot.web.serve import run_web

    settings = ctx.settings
    host, port = host or settings.web_host, port or settings.web_port or DEFAULT_PORT
    services = build_services(settings, ctx.repository, ctx.clock)  # with the saved index, as the bot
    click.echo(M.WEB_LISTENING.format(host=host, port=port), err=True)
    run_web(services, host, port)
