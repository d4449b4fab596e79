"""The CLI's help is Chinese throughout, click's own words included (Usage, Options, --help)."""

from __future__ import annotations

import click
from click.testing import CliRunner

from bot.cli import cli

ENGLISH = ("Usage:", "Options:", "Commands:", "Show this message and exit", "[OPTIONS]", "COMMAND [ARGS]")


def every_command(group: click.Group, path: tuple[str, ...] = ()):
    yield path
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from every_command(command, (*path, name))
        else:
            yield (*path, name)


def test_every_commands_help_is_in_chinese():
    runner = CliRunner()
    paths = list(every_command(cli))
    assert len(paths) > 40  # every topic's commands are registered
    for path in paths:
        result = runner.invoke(cli, [*path, "--help"], prog_name="xuefa")
        assert result.exit_code == 0, (path, result.output)
        text = result.output
        assert text.startswith("用法：xuefa"), (path, text[:80])
        assert "选项：" in text and "显示此帮助并退出。" in text, path
        assert not [word for word in ENGLISH if word in text], (path, text)
