"""The root `xuefa` group, its shared context and the error edge."""

from __future__ import annotations

import logging
import sys
from functools import cached_property

import click

from bot.settings import Settings, load_settings
from knowledge import messages as M
from knowledge.errors import XuefaError
from knowledge.repository import Repository


class CLIError(click.ClickException):
    """A one-line error in Chinese, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(M.CLI_ERROR.format(message=self.format_message()), err=True)


class Group(click.Group):
    """A click group that turns the core's errors into one clear line at the edge."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XuefaError as exc:
            raise CLIError(str(exc)) from None


class Context:
    """What every command needs, built on first use."""

    def __init__(self, settings: Settings | None = None):
        self._settings = settings

    @cached_property
    def settings(self) -> Settings:
        """Return the settings, loading them from the environment once."""
        return self._settings or load_settings()

    @cached_property
    def repository(self) -> Repository:
        """Return the database at XUEFA_DB, migrated."""
        return Repository(self.settings.db_path)

    def close(self) -> None:
        """Close the database if a command opened it (checkpointing the WAL)."""
        if "repository" in self.__dict__:
            self.repository.close()


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group(cls=Group, help=M.HELP_MAIN)
@click.option("-v", "--verbose", is_flag=True, help="Log debug output.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL, and a Bot API URL carries the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    ctx.ensure_object(Context)
    ctx.call_on_close(ctx.obj.close)


def warn(message: str) -> None:
    """Print a warning line on stderr."""
    click.echo(M.CLI_WARNING.format(message=message), err=True)


def register() -> None:
    """Attach every topic's commands to the root group."""
    from bot.cli import chat, laws, quiz, reports, roster, search, studylists  # noqa: F401 - imported for their commands


register()
