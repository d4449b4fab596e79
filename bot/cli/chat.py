"""`xuefa chat` and `xuefa run`: the console chat, and the bot."""

from __future__ import annotations

import sys

import click

from bot.cli.main import CLIError, Context, cli, pass_context
from bot.console import Console, has_input
from knowledge import access
from knowledge import messages as M


@cli.command("chat", help=M.HELP_CHAT)
@click.option("--as", "as_member", metavar=M.OPT_STAFF_NO, help=M.OPT_CHAT_AS)
@pass_context
def chat(ctx: Context, as_member: str | None) -> None:
    services = ctx.services
    member = access.find_member(services.repository, ctx.actor, as_member) if as_member else None
    services.reload_index()
    sys.exit(Console(services, member).run(sys.stdin))


@cli.command("run", help=M.HELP_RUN)
@pass_context
def run(ctx: Context) -> None:
    settings = ctx.settings
    with_bot = settings.telegram_token is not None
    if settings.web_port is not None or with_bot or settings.push_configured:
        # The service: the web app (when its port is set), the bot (when its token is), WeCom and
        # DingTalk (when configured), and the scheduler in every case, on one event loop.
        from bot.runner import run_service
        from bot.services import build_services

        services = build_services(settings, ctx.repository, ctx.clock)
        web = (settings.web_host, settings.web_port) if settings.web_port is not None else None
        if web is not None:
            message = M.WEB_AND_BOT if with_bot else M.RUN_WEB_ONLY + M.WEB_LISTENING
            click.echo(message.format(host=settings.web_host, port=settings.web_port), err=True)
        run_service(services, web, with_bot=with_bot)
        return
    if not has_input(sys.stdin):
        # A container started without a token and without a terminal would read end-of-input at
        # once and exit 0 as if it had served: say what it needs instead, and fail.
        raise CLIError(M.RUN_NOTHING_TO_SERVE, exit_code=2)
    click.echo(M.RUN_CONSOLE, err=True)
    click.get_current_context().invoke(chat, as_member=None)
