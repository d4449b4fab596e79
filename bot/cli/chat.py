"""`xuefa chat` and `xuefa run`: the console chat and the bot."""

from __future__ import annotations

import sys

import click

from bot.cli.main import Context, cli, pass_context
from bot.console import Console
from bot.services import build_services
from knowledge import messages as M
from knowledge.members import find_member


@cli.command("chat", help=M.HELP_CHAT)
@click.option("--as", "as_member", metavar=M.OPT_STAFF_NO, help=M.OPT_CHAT_AS)
@pass_context
def chat(ctx: Context, as_member: str | None) -> None:
    services = build_services(ctx.settings)
    try:
        member = find_member(services.repository, as_member) if as_member else None
        sys.exit(Console(services, member).run(sys.stdin))
    finally:
        services.close()


@cli.command("run", help=M.HELP_RUN)
@pass_context
def run(ctx: Context) -> None:
    settings = ctx.settings
    if settings.telegram_token is None:
        click.echo(M.RUN_CONSOLE, err=True)
        ctx_chat = click.get_current_context()
        ctx_chat.invoke(chat, as_member=None)
        return
    from bot.telegram_app import run_bot

    run_bot(settings)
