"""The xuefa command line: one click group, one module per topic."""

from bot.cli.main import cli

__all__ = ["cli"]
