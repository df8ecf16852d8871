"""tasks, claim and complete commands."""
import click

import engine
from . import gia
from .output import emit, guarded, json_option, parse_json, task_json


@gia.command("tasks")
@click.option("--instance", "instance_id", type=int, help="Only this instance.")
@click.option("--user", "login", help="Only the tasks offered to this user.")
@click.option("--all", "all_states", is_flag=True, help="Every state, not only READY.")
@json_option
@guarded
def tasks_command(instance_id, login, all_states, as_json):
    """Human tasks (user, manual and plain tasks) in engine order."""
    user = engine.user_by_login(login) if login else None
    found = [task_json(t) for t in engine.list_tasks(instance_id=instance_id, user=user, all_states=all_states)]
    lines = [f"{t['id']}  #{t['instance_id']}  {t['state']:9}  {t['bpmn_id']}  {t['name']}"
             + (f"  due {t['due']}" if t["due"] else "") for t in found]
    emit(found, as_json, "\n".join(lines) if lines else "no tasks")


@gia.command("claim")
@click.argument("task_id")
@click.option("--user", "login", required=True)
@json_option
@guarded
def claim_command(task_id, login, as_json):
    task = engine.claim(task_id, engine.user_by_login(login))
    emit(task_json(task), as_json, f"{task.id} claimed by {login}")


@gia.command("complete")
@click.argument("task_id")
@click.option("--user", "login", required=True, help="Who completes it.")
@click.option("--data", help="The submitted data as a JSON object.")
@json_option
@guarded
def complete_command(task_id, login, data, as_json):
    """Complete a READY task; the instance runs until it waits again."""
    result = engine.complete(task_id, engine.user_by_login(login), parse_json(data))
    emit({"instance_id": result.instance_id, "status": result.status,
          "next_tasks": [task_json(t) for t in result.next_tasks]}, as_json,
         f"instance {result.instance_id}: {result.status}; next: "
         + (", ".join(f"{t.bpmn_id} ({t.id})" for t in result.next_tasks) or "—"))
