"""list, claim, unclaim and complete human tasks, with every guard the library leaves to the host."""
import copy
from dataclasses import dataclass
from types import SimpleNamespace
from uuid import UUID

import forms
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import undefer
from sqlalchemy.orm.attributes import set_committed_value

from .. import actions, audit, store, task_rows
from ..access.denials import refuse
from ..access.rules import can_view_instance, is_admin, may_act, memberships, offered_filter, offered_to
from ..bpmn.properties import task_properties
from ..db import db, is_postgres
from ..errors import ConflictError, InvalidData, NotFound, PermissionDenied, ProcessError, TaskNotReady
from ..models import Attachment, HumanTask, ProcessInstance, User
from ..models.human_task import TaskStatus
from ..models.instance import InstanceStatus
from ..runtime import script_engine
from .execution import execute
from .task_forms import task_form


@dataclass
class CompleteResult:
    instance_id: int
    status: str
    next_tasks: list  # the instance's READY tasks (HumanTask rows, in engine order)
    events: list
    seen_next_tasks: list  # those of them the completer may see (her instance, or offered to her)


def get_task(task_id: str) -> HumanTask:
    task = db.session.get(HumanTask, str(task_id))
    if task is None:
        raise NotFound(_l("Task %(id)s not found."), id=task_id)
    return task


def _task_for_step(task_id: str) -> HumanTask:
    """The task's row read with its instance whole in one statement (the instance locked on PostgreSQL), so that
    the step's `store.lock` takes that instance as read instead of reading it again; the row as held when the
    caller has read it already (the task page and the API read the instance with it)."""
    session = db.session()
    held = session.identity_map.get(session.identity_key(HumanTask, str(task_id)))
    if held is not None and not inspect(held).expired_attributes:
        return held
    query = (select(HumanTask, ProcessInstance).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
             .where(HumanTask.id == str(task_id)).options(undefer(ProcessInstance.state))
             .execution_options(populate_existing=True))
    found = db.session.execute(query.with_for_update(of=ProcessInstance) if is_postgres() else query).first()
    if found is None:
        raise NotFound(_l("Task %(id)s not found."), id=task_id)
    store.remember_locked(found[1])
    return found[0]


def list_tasks(instance_id: int | None = None, user: User | None = None, all_states: bool = False):
    """Human tasks in engine order: READY ones, or every state with `all_states`. With `user`, only the tasks
    offered to that user (an administrator sees all)."""
    query = select(HumanTask).join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    if instance_id is not None:
        query = query.where(HumanTask.instance_id == instance_id)
    if not all_states:
        query = query.where(HumanTask.state == TaskStatus.READY,
                            ProcessInstance.status.notin_(InstanceStatus.FINAL))
    if user is not None:
        if not is_admin(user):
            query = query.where(offered_filter(user))
    return list(db.session.scalars(query.order_by(HumanTask.instance_id, HumanTask.seq)))


def claim(task_id: str, user: User) -> HumanTask:
    task = get_task(task_id)
    if not offered_to(user, task):
        _deny(user, task, "claim")
    with store.transaction():
        task = get_task(task_id)
        if task.state != TaskStatus.READY:
            raise TaskNotReady(_l("The task is no longer open."))
        claimed = db.session.execute(
            update(HumanTask).where(HumanTask.id == task.id, HumanTask.state == TaskStatus.READY,
                                    (HumanTask.assignee_id.is_(None)) | (HumanTask.assignee_id == user.id))
            .values(assignee_id=user.id).execution_options(synchronize_session="fetch")).rowcount
        if not claimed:
            raise ConflictError(_l("Someone else has just claimed this task."))
        audit.record("claim", user.login, instance_id=task.instance_id, task=task)
    return task


def unclaim(task_id: str, user: User) -> HumanTask:
    task = get_task(task_id)
    if task.assignee_id != user.id and not may_act(user, task):
        refuse(user, "unclaim", instance_id=task.instance_id, task=task,
               message=_l("Only the person who claimed the task can release it."))
    with store.transaction():
        task = get_task(task_id)
        task.assignee_id = None
        audit.record("unclaim", user.login, instance_id=task.instance_id, task=task)
    return task


def complete(task_id: str, user: User, data: dict | None = None, *, validated: bool = False) -> CompleteResult:
    """Complete a READY human task as `user` with `data`, checked against the task's form if it has one.
    `validated`: `data` is the clean output of that form already checked (forms.form_data of the task page's
    valid bound form), so it is not checked again; the file references are, and the task's `checks`."""
    data = {} if data is None else data
    row = _task_for_step(task_id)
    if not isinstance(data, dict):
        raise InvalidData({"data": [str(_l("Expected a JSON object."))]})
    if row.state != TaskStatus.READY:
        raise TaskNotReady(_l("The task «%(name)s» is %(state)s and cannot be completed."), name=row.name,
                          state=_state_word(row.state))
    held = memberships(user)  # read once for the checks before the transaction
    if not may_act(user, row, held):
        _deny(user, row, "complete")
    variable, clean = None, data
    if row.form_key:
        definition = task_form(row)
        try:  # a copy either way: the caller's data is left as it was given
            clean = copy.deepcopy(data) if validated else forms.validate_json(definition, data)
        except forms.FormValidationError as exc:
            raise InvalidData(exc.field_errors) from None
        _check_attachments(clean, row.instance_id)
        variable = definition.variable

    sees_instance = []

    def check(instance, workflow):
        try:
            task = workflow.get_task_from_id(UUID(row.id))
        except Exception:
            task = None
        if task is None or not task.task_spec.manual:
            raise NotFound(_l("Task %(id)s not found."), id=row.id)
        if task.state != TaskState.READY:
            raise TaskNotReady(_l("The task «%(name)s» was completed or cancelled meanwhile."), name=row.name)
        if is_postgres():  # read committed: someone may have claimed it since it was read (SQLite: locked)
            current = task_rows.task_rows(instance).get(row.id)  # the rows the save compares with, read once
            if current is None:
                db.session.refresh(row, ["assignee_id"])
            else:
                set_committed_value(row, "assignee_id", current.assignee_id)
        if not may_act(user, row, held):
            raise PermissionDenied(_DENIED)
        refused = _refusals(task, variable, clean)
        if refused:
            raise InvalidData(refused)
        sees_instance.append(can_view_instance(user, instance, held))

    caller = SimpleNamespace(id=user.id, active=user.active)  # the commit expires `user`: kept as read
    try:
        action = actions.Complete(row.id, clean, user.login, variable, as_admin=not offered_to(user, row, held))
        done = execute(row.instance_id, action, user.login, check=check, audit_task=row)
    except PermissionDenied:
        _deny(user, row, "complete")
    ready = task_rows.attached(done.ready)
    seen = [t for t in ready if sees_instance[0] or offered_to(caller, t, held)]
    return CompleteResult(done.instance_id, done.status, ready, done.outcome.events, seen)


_DENIED = _l("You may not act on this task: it is offered to another role or unit, or claimed by someone else.")


def _deny(user, row, what: str):
    refuse(user, what, instance_id=row.instance_id, task=row, message=_DENIED)


def _state_word(state: str) -> str:
    return {TaskStatus.COMPLETED: _l("already completed"), TaskStatus.CANCELLED: _l("cancelled"),
            TaskStatus.WAITING: _l("not started yet"), TaskStatus.ERROR: _l("in error")}.get(state, state)


def _refusals(task, variable, clean) -> dict[str, list[str]]:
    """The rules of the task's `checks` property: those a form cannot state because they need the process data
    or compare fields (a document the plan item requires, done ≤ total). It is an expression over the task data
    with the submission in place, giving [field, condition that must hold, message] items."""
    expression = task_properties(task.task_spec).get("checks")
    if not expression:
        return {}
    submitted = copy.deepcopy(clean)
    context = {**task.data, **({variable: submitted} if variable else submitted)}
    try:
        rules = list(script_engine().environment.evaluate(expression, context))
        refused = {}
        for field, holds, message in rules:
            if not holds:
                refused.setdefault(str(field), []).append(str(message))
    except Exception as exc:
        raise ProcessError(_l("Task %(task)s: property %(what)s (%(expr)s) failed: %(detail)s"),
                           task=task.task_spec.bpmn_id, what="checks", expr=expression, detail=exc,
                           element=task.task_spec.bpmn_id) from exc
    return refused


def _check_attachments(data, instance_id):
    for ref in _refs(data):
        attachment = db.session.get(Attachment, ref.get("attachment_id"))
        if attachment is None or attachment.instance_id not in (None, instance_id):
            raise InvalidData({"attachment": [str(_l("Unknown file reference %(id)s.",
                                                     id=ref.get("attachment_id")))]})
        ref["filename"] = attachment.filename


def _refs(value):
    if isinstance(value, dict):
        if "attachment_id" in value:
            yield value
        else:
            for v in value.values():
                yield from _refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _refs(v)


_HAS_SAMPLE: dict[tuple, bool] = {}  # (deployment, process, task): a deployment never changes


def sample_submission(task_id: str) -> dict | None:
    """What a typical valid submission of the task looks like, from its `sample` property (an expression over the
    task data, e.g. results that add up to the number of participants): the simulated year and the demo fill forms
    with it where random data could not meet the task's `checks`. None when the task has no such property."""
    row = get_task(task_id)
    instance = db.session.get(ProcessInstance, row.instance_id)
    key = (instance.deployment_id, instance.process_id, row.bpmn_id)
    if key not in _HAS_SAMPLE:
        spec = store.startable_of(instance)
        _HAS_SAMPLE[key] = any(task_properties(s).get("sample")
                               for top in (spec.spec, *spec.subprocess_specs.values())
                               for s in top.task_specs.values() if getattr(s, "bpmn_id", None) == row.bpmn_id)
    if not _HAS_SAMPLE[key]:
        return None
    task = store.workflow_of(instance).get_task_from_id(UUID(row.id))
    expression = task_properties(task.task_spec)["sample"]
    try:
        value = script_engine().environment.evaluate(expression, dict(task.data))
    except Exception as exc:
        raise ProcessError(_l("Task %(task)s: property %(what)s (%(expr)s) failed: %(detail)s"),
                           task=row.bpmn_id, what="sample", expr=expression, detail=exc,
                           element=row.bpmn_id) from exc
    return value if isinstance(value, dict) else None
