"""An operator's repairs of one instance (issue 13 §6): edit a suspended instance's data, skip a waiting task, go
back to an earlier task, move an open task's deadline. Each is one step through engine.service.execution (lock,
restore, check, act, run, save, audit, commit) and each requires a reason, which its audit record keeps.

Who may call them (an operator, or department staff for a deadline) is decided by the caller through
engine.access (may_repair, is_city_staff); what the page offers to repair is read by engine.service.instance_state.
"""
import json
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import update

from .. import clock, projection, store
from ..actions import EditData, GoBack, MoveDue, SkipTask
from ..bpmn.properties import task_properties
from ..db import db
from ..errors import EngineError, InvalidState, NotFound
from ..models import HumanTask, ProcessInstance
from ..models.human_task import TaskStatus
from .execution import execute
from .instance_state import back_to, find_task, skippable

MIN_REASON = 3
MAX_REASON = 1000
MAX_EDIT_BYTES = 64_000  # the JSON of the values an edit sets
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class MissingReason(EngineError):
    """A repair asked for without a reason worth recording."""


def reason_of(reason: str | None) -> str:
    """The operator's reason, trimmed; MissingReason when shorter than MIN_REASON characters."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise MissingReason(_l("Give the reason (at least %(count)s characters): it goes into the audit trail."),
                            count=MIN_REASON)
    return text[:MAX_REASON]


@dataclass
class _Target:
    """The task an audit record names, filled in by the step's check (a timer has no human_task row)."""
    id: str
    bpmn_id: str | None = None
    name: str | None = None


def edit_data(instance_id: int, values: dict, actor: str | None, reason: str):
    """Give a SUSPENDED instance's data new top-level values (where the tokens are; its date timers are computed
    again) without running it: it stays suspended. Keys: variables it has, or new simple names. Audited
    "edit_data" with {before, after, reason}."""
    reason = reason_of(reason)
    values = _checked_values(values)
    summary = {"before": {}, "after": values, "reason": reason}

    def check(instance, workflow):
        current = projection.process_data(workflow)
        for key in values:
            if key not in current and not _NAME.match(key):
                raise InvalidState(_l("%(key)s is neither a variable of the process nor a simple name (Latin "
                                      "letters, digits, _)."), key=key)
        summary["before"] = {key: current.get(key) for key in values}
    return execute(instance_id, EditData(values), actor, check=check, summary=summary)


def _checked_values(values) -> dict:
    if not isinstance(values, dict) or not values:
        raise InvalidState(_l("The new values must be a JSON object with at least one variable, e.g. "
                              "{\"due\": \"2021-04-01\"}."))
    try:
        text = json.dumps(values, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidState(_l("The new values cannot be stored as JSON: %(detail)s"), detail=exc) from None
    if len(text.encode()) > MAX_EDIT_BYTES:
        raise InvalidState(_l("The new values are too large (more than %(size)s KB)."), size=MAX_EDIT_BYTES // 1000)
    return json.loads(text)  # plain JSON types, as the workflow keeps them


def skip_task(instance_id: int, task_id: str, actor: str | None, reason: str):
    """Pass over a waiting task of a running instance: a READY human task is completed without a submission (its
    row shows the operator as the one who closed it), a waiting timer catch event fires now; the engine runs on.
    Audited "skip" with the reason."""
    reason = reason_of(reason)
    target = _Target(str(task_id))

    def check(instance, workflow):
        task = _task_in(instance, workflow, task_id)
        if not skippable(task):
            raise InvalidState(_l("Only a task waiting for a person or a waiting timer can be skipped."))
        _name(target, task)
    return execute(instance_id, SkipTask(str(task_id), actor), actor, check=check, audit_task=target,
                   summary={"reason": reason})


def go_back(instance_id: int, task_id: str, actor: str | None, reason: str):
    """Take a running instance back to an earlier human task (SpiffWorkflow's reset_from_task_id): what followed
    it is dropped, the task is READY again with the data it was given then, and the engine runs on. Only a task
    the workflow still holds can be returned to: finished history is cut (engine.bpmn.pruning). Audited
    "go_back" with the reason."""
    reason = reason_of(reason)
    target = _Target(str(task_id))

    def check(instance, workflow):
        task = _task_in(instance, workflow, task_id)
        if not back_to(task):
            raise InvalidState(_l("Only a completed task done by a person, still kept by the process, can be "
                                  "returned to."))
        _name(target, task)
        # The row becomes READY again with the step: it no longer tells who completed it (what was handed in
        # stays in the task history). In this step's transaction, so a failed step leaves it as it was.
        db.session.execute(update(HumanTask).where(HumanTask.id == str(task_id))
                           .values(completed_at=None, completed_by=None))
    return execute(instance_id, GoBack(str(task_id)), actor, check=check, audit_task=target,
                   summary={"reason": reason})


def move_task_due(task_id: str, due: date, actor: str | None, reason: str, *, instance_id: int | None = None):
    """Move an open task's deadline to the end of `due`: the variable its `due` property reads takes the new date,
    so the reminders and escalations computed from it follow (actions.SetData re-arms the date timers that have
    not fired), and the role and unit it is offered to get a notification. A deadline computed by an expression
    (not one variable) is refused, naming it. Every open task of the instance reading the same variable moves
    with it. Audited "move_due" with {variable, before, after, reason}. `instance_id`: the instance the caller
    found the task in (a task of another is not found)."""
    reason = reason_of(reason)
    row = db.session.get(HumanTask, str(task_id)) if len(str(task_id)) <= 36 else None
    if row is None or instance_id is not None and row.instance_id != instance_id:
        raise NotFound(_l("Task %(id)s not found."), id=task_id)
    if row.state != TaskStatus.READY:
        raise InvalidState(_l("Only an open task's deadline can be moved."))
    if not isinstance(due, date):
        raise InvalidState(_l("The new deadline must be a date."))
    if due < clock.now().astimezone(clock.local_zone()).date():
        raise InvalidState(_l("The new deadline %(due)s is in the past."), due=clock.ru_date(due))
    variable = due_variable(db.session.get(ProcessInstance, row.instance_id), row.bpmn_id)
    text = str(_l("The deadline of «%(task)s» was moved to %(due)s: %(reason)s", task=row.name or row.bpmn_id,
                  due=clock.ru_date(due), reason=reason))
    note = {"kind": "due_moved", "role": row.role, "unit": row.unit_code, "text": text}
    before = row.due_at.astimezone(clock.local_zone()).date().isoformat() if row.due_at else None
    summary = {"variable": variable, "before": before,
               "after": due.isoformat(), "reason": reason}
    task_name = _Target(row.id, row.bpmn_id, row.name)

    def check(instance, workflow):
        task = _task_in(instance, workflow, row.id)
        if task.state != TaskState.READY:
            raise InvalidState(_l("Only an open task's deadline can be moved."))
    return execute(row.instance_id, MoveDue({variable: due.isoformat()}, reason, note), actor, check=check,
                   audit_task=task_name, summary=summary)


def due_variable(instance: ProcessInstance, bpmn_id: str) -> str:
    """The variable the task's `due` property reads; InvalidState when the deadline is not one variable."""
    startable = store.startable_of(instance)
    spec = next((s.task_specs[bpmn_id] for s in (startable.spec, *startable.subprocess_specs.values())
                 if bpmn_id in s.task_specs), None)
    expression = (task_properties(spec).get("due") or "").strip() if spec is not None else ""
    if not expression:
        raise InvalidState(_l("Task %(task)s has no deadline of its own to move."), task=bpmn_id)
    if not _NAME.match(expression):
        raise InvalidState(_l("The deadline of task %(task)s is computed by %(expr)s, not read from one variable: "
                              "move the dates it is computed from instead."), task=bpmn_id, expr=expression)
    return expression


def movable(instance: ProcessInstance, bpmn_id: str) -> bool:
    """Whether a task of `bpmn_id` has a deadline move_task_due can move."""
    try:
        due_variable(instance, bpmn_id)
    except InvalidState:
        return False
    return True


def _task_in(instance, workflow, task_id):
    task = find_task(workflow, task_id)
    if task is None:
        raise NotFound(_l("Instance %(id)s has no task %(task)s (any more)."), id=instance.id, task=task_id)
    return task


def _name(target: _Target, task) -> None:
    spec = task.task_spec
    target.bpmn_id = getattr(spec, "bpmn_id", None)
    target.name = getattr(spec, "bpmn_name", None) or target.bpmn_id
