"""The root `xuefa` group, its shared context and the error edge."""

from __future__ import annotations

from functools import cached_property

import click

from bot import logs
from bot.services import Services, build_services
from bot.settings import Settings, load_settings
from knowledge import messages as M
from knowledge.access import Actor
from knowledge.clock import Clock
from knowledge.errors import XuefaError
from knowledge.store import Repository


class CLIError(click.ClickException):
    """A one-line error in Chinese, exit status 1 (or as given)."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:
        click.echo(M.CLI_ERROR.format(message=self.format_message()), err=True)


class ChineseHelp(click.HelpFormatter):
    """Click's help in Chinese: its own words (Usage, Options, Commands) come through here."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, M.CLI_USAGE if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{M.CLI_HEADINGS.get(heading, heading)}：\n")


class HelpContext(click.Context):
    formatter_class = ChineseHelp


class _Chinese:
    """What every xuefa command shares: Chinese help, down to the --help option's own line."""

    context_class = HelpContext

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("options_metavar", M.CLI_OPTIONS_METAVAR)
        if isinstance(self, click.Group):
            kwargs.setdefault("subcommand_metavar", M.CLI_COMMAND_METAVAR)
        super().__init__(*args, **kwargs)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = M.CLI_HELP_OPTION
        return option


class Command(_Chinese, click.Command):
    pass


class Group(_Chinese, click.Group):
    """A click group that turns the core's errors into one clear line at the edge."""

    command_class = Command
    group_class = type  # sub-groups are of this class too

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XuefaError as exc:
            raise CLIError(str(exc)) from None


class Context:
    """What every command needs, built on first use: settings, the one clock, the database, the services."""

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None):
        self._settings = settings
        self._clock = clock  # tests pin the one clock here
        self.actor = Actor.operator()  # the CLI runs with the database owner's rights

    @cached_property
    def settings(self) -> Settings:
        """Return the settings, loading them from the environment once; from then on logs never show a secret."""
        settings = self._settings or load_settings()
        logs.redact(settings.secrets)
        return settings

    @cached_property
    def clock(self) -> Clock:
        """Return the one clock, in the bureau's time zone."""
        return self._clock or Clock(self.settings.tz)

    @cached_property
    def repository(self) -> Repository:
        """Return the database at XUEFA_DB, migrated."""
        return Repository(self.settings.db_path, self.clock)

    @cached_property
    def services(self) -> Services:
        """Return the services over this command's database; the index is loaded by the commands that search."""
        return build_services(self.settings, self.repository, self.clock, load_index=False)

    def close(self) -> None:
        """Close the database if a command opened it (checkpointing the WAL)."""
        if "repository" in self.__dict__:
            self.repository.close()


pass_context = click.make_pass_decorator(Context, ensure=True)


@click.group(cls=Group, help=M.HELP_MAIN)
@click.option("-v", "--verbose", is_flag=True, help=M.OPT_VERBOSE)
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    logs.configure(verbose)
    ctx.ensure_object(Context)
    ctx.call_on_close(ctx.obj.close)


def warn(message: str) -> None:
    """Print a warning line on stderr."""
    click.echo(M.CLI_WARNING.format(message=message), err=True)


def register() -> None:
    """Attach every topic's commands to the root group."""
    # imported for the commands they register
    from bot.cli import backup, chat, laws, privacy, quiz, reports, review, roster, search, studylists, web  # noqa: F401


register()
