"""backup, restore and check: the year's data saved, brought back elsewhere, and proved whole (engine.ops)."""
from pathlib import Path

import click
from flask_babel import gettext as _

from engine.ops import backup as backups
from engine.ops.check import check
from engine.ops.restore import restore
from . import gia
from .output import emit, fail, guarded, json_option, parse_moment


@gia.command("backup")
@click.argument("target", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep", type=click.IntRange(1), default=None,
              help="Remove all but this many newest backups in TARGET afterwards (default: keep all).")
@json_option
@guarded
def backup_command(target, keep, as_json):
    """Write one consistent snapshot (database, uploaded files, definitions, manifest.json) to TARGET/<UTC time>/."""
    result = backups.backup(target, keep=keep)
    text = [_("Backup written to %(path)s: %(size)s bytes in %(seconds)s s", path=result.path, size=result.size,
              seconds=round(result.seconds, 1))]
    text += [_("Attachment file missing from the upload folder: %(sha)s", sha=sha)
             for sha in result.manifest["missing_uploads"]]
    emit(result.as_dict(), as_json, "\n".join(text))


@gia.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@json_option
@guarded
def restore_command(source, as_json):
    """Put the backup SOURCE (a backup's folder, or the folder holding them: the newest) back onto an empty
    database and upload folder, after checking every file against the manifest."""
    result = restore(source)
    clock = result.manifest.get("clock") or {}
    text = [_("Restored %(source)s (taken %(taken)s): %(files)s uploaded files, %(rows)s rows",
              source=result.source, taken=result.manifest.get("taken_at"), files=result.files,
              rows=sum(result.tables.values())),
            # On the wall clock, timers fall due while a backup waits to be restored: judge them as of the backup.
            _("Now run: flask gia check") + (f" --as-of {result.manifest['taken_at']}"
                                               if clock.get("mode") != "manual" else "")]
    emit(result.as_dict(), as_json, "\n".join(text))


@gia.command("check")
@click.option("--as-of", "as_of", help="Judge late timers as of this moment (ISO), e.g. the backup's; default now.")
@click.option("--grace-minutes", type=click.FloatRange(0), default=10.0, show_default=True,
              help="How late a due timer may be before it counts as not swept.")
@json_option
@guarded
def check_command(as_of, grace_minutes, as_json):
    """Verify that every instance restores with its definition, every attachment's file is there with its checksum,
    the task and timer rows agree with the workflow states and no timer waits unswept; exit 1 on any problem."""
    report = check(parse_moment(as_of), grace_minutes)
    if as_json:
        if report.ok:
            emit(report.as_dict(), True)
        else:
            fail(report.problems, True, report=report.as_dict())
        return
    click.echo("\n".join(report.summary()))
    if not report.ok:
        fail(report.problems, False)
