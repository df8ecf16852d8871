"""deploy, start and instance commands."""
from pathlib import Path

import click

import engine
from . import gia
from .output import emit, fail, guarded, json_option, parse_json
from .people import ensure_unit_named


@gia.command("deploy")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--user", "login", help="Who deploys (recorded in the audit trail).")
@click.option("--comment", help="What changed in this version (shown with the process's versions).")
@json_option
@guarded
def deploy_command(files, login, comment, as_json):
    """Deploy BPMN FILES together as one version (call activities resolve across them), with the form definitions
    among them (KEY.json: the form KEY, used by this version's tasks before the catalogue's). Refused files store
    nothing: each problem is printed with its file, element and line (with --json also as fields, in `found`)."""
    contents = []
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise click.BadParameter(f"{name}: no such file")
        contents.append((engine.deployed_name(path.name), path.read_bytes()))
    try:
        result = engine.deploy(contents, actor=login, comment=comment)
    except engine.InvalidDefinition as exc:  # with --json, each problem's place too (file, element, line...)
        fail(exc.problems(), as_json, found=[p.as_dict() for p in exc.found])
    emit({"process_ids": result.process_ids, "collaborations": result.collaborations, "version": result.version},
         as_json, f"version {result.version}: processes {', '.join(result.process_ids) or '—'}; "
                  f"collaborations {', '.join(result.collaborations) or '—'}")


@gia.command("start")
@click.argument("bpmn_id")
@click.option("--data", help="Start data as a JSON object; values keep their JSON types.")
@click.option("--unit", help="The organisation unit (school, PPE) the instance runs for.")
@click.option("--user", "login", help="Who starts it (recorded in the audit trail).")
@json_option
@guarded
def start_command(bpmn_id, data, unit, login, as_json):
    """Start the latest version of process or collaboration BPMN_ID."""
    data = parse_json(data)
    ensure_unit_named(unit)
    result = engine.start(bpmn_id, data, unit=unit, actor=login)
    emit({"instance_id": result.instance_id, "status": result.status}, as_json,
         f"instance {result.instance_id}: {result.status}")


@gia.group("instance")
def instance_group():
    """Look at or act on one instance."""


@instance_group.command("show")
@click.argument("instance_id", type=int)
@json_option
@guarded
def show_command(instance_id, as_json):
    """Status, error, data, what it waits for, and its history."""
    emit(engine.detail(instance_id), as_json)


def _lifecycle_command(name: str, act, help_text: str):
    @instance_group.command(name, help=help_text)
    @click.argument("instance_id", type=int)
    @click.option("--user", "login", help="Who does it (recorded in the audit trail).")
    @json_option
    @guarded
    def command(instance_id, login, as_json):
        act(instance_id, login)
        _repaired(instance_id, as_json)
    return command


_lifecycle_command("cancel", engine.cancel, "Cancel the instance: its open tasks close, its data is kept.")
_lifecycle_command("suspend", engine.suspend, "Suspend the instance: no task can be completed, no timer fires.")
_lifecycle_command("resume", engine.resume, "Resume a suspended instance.")


@instance_group.command("retry")
@click.argument("instance_id", type=int)
@click.option("--data", help="Corrections to the data, as a JSON object.")
@click.option("--user", "login")
@json_option
@guarded
def retry_command(instance_id, data, login, as_json):
    """Apply the failed action again to the last good state (after fixing what made it fail)."""
    done = engine.retry(instance_id, login, parse_json(data))
    emit({"instance_id": instance_id, "status": done.status}, as_json, f"instance {instance_id}: {done.status}")


# An operator's repairs (engine.service.repair): each requires --reason, which the audit trail keeps.
_REASON = click.option("--reason", required=True, help="Why (at least 3 characters; recorded in the audit trail).")


def _repaired(instance_id: int, as_json: bool) -> None:
    status = engine.detail(instance_id)["status"]
    emit({"instance_id": instance_id, "status": status}, as_json, f"instance {instance_id}: {status}")


@instance_group.command("edit")
@click.argument("instance_id", type=int)
@click.option("--data", required=True, help="New values of top-level variables, as a JSON object.")
@_REASON
@click.option("--user", "login")
@json_option
@guarded
def edit_command(instance_id, data, reason, login, as_json):
    """Give a SUSPENDED instance's variables new values (it stays suspended; its timers are computed again)."""
    engine.edit_data(instance_id, parse_json(data), login, reason)
    _repaired(instance_id, as_json)


def _task_repair_command(name: str, act, help_text: str):
    @instance_group.command(name, help=help_text)
    @click.argument("instance_id", type=int)
    @click.argument("task_id")
    @_REASON
    @click.option("--user", "login")
    @json_option
    @guarded
    def command(instance_id, task_id, reason, login, as_json):
        act(instance_id, task_id, login, reason)
        _repaired(instance_id, as_json)
    return command


_task_repair_command("skip", engine.skip_task, "Close a waiting human task without a submission (or fire a "
                     "waiting timer now); the process runs on.")
_task_repair_command("back", engine.go_back, "Go back to an earlier human task the process still keeps: it is "
                     "READY again, what followed is dropped.")


@instance_group.command("move-due")
@click.argument("task_id")
@click.argument("due", type=click.DateTime(formats=["%Y-%m-%d"]))
@_REASON
@click.option("--user", "login")
@json_option
@guarded
def move_due_command(task_id, due, reason, login, as_json):
    """Move an open task's deadline to DUE (YYYY-MM-DD): its reminders follow, those it is offered to are told."""
    done = engine.move_task_due(task_id, due.date(), login, reason)
    _repaired(done.instance_id, as_json)
