"""`xuefa backup [DIR]` and `xuefa restore FILE`: copies of the one database file, and putting one back."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.main import Context, cli, pass_context
from knowledge import backup as backups
from knowledge import messages as M


@cli.command("backup", help=M.HELP_BACKUP)
@click.argument("folder", required=False, type=click.Path(path_type=Path))
@click.option("--keep", type=click.IntRange(1, 3650), default=None, help=M.OPT_BACKUP_KEEP)
@pass_context
def backup(ctx: Context, folder: Path | None, keep: int | None) -> None:
    settings = ctx.settings
    if not settings.db_path.exists():
        raise backups.BackupError(M.BACKUP_SOURCE_MISSING.format(path=settings.db_path))
    keep = keep or settings.backup_keep
    taken = backups.take(ctx.repository, folder or settings.backup_path, keep, ctx.clock)
    click.echo(M.BACKUP_DONE.format(path=taken.path, size=taken.size_text(), seconds=taken.seconds))
    if taken.removed:
        click.echo(M.BACKUP_PRUNED.format(n=len(taken.removed), keep=keep))


@cli.command("restore", help=M.HELP_RESTORE)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--yes", is_flag=True, help=M.OPT_RESTORE_YES)
@pass_context
def restore(ctx: Context, file: Path, yes: bool) -> None:
    settings = ctx.settings
    target = settings.db_path
    backups.check_restorable(file)  # refuse before asking
    if not yes and not click.confirm(M.RESTORE_CONFIRM.format(source=file, target=target), default=False):
        click.echo(M.RESTORE_CANCELLED)
        return
    done = backups.restore(file, target, settings.backup_path, ctx.clock)
    click.echo(M.RESTORE_DONE.format(target=done.target, source=done.source, before=done.version_before,
                                     after=done.version_after))
    if done.saved:
        click.echo(M.RESTORE_SAVED.format(path=done.saved))
