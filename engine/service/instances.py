"""start, cancel, suspend, resume, retry, and what an instance looks like from outside."""
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from .. import projection, runtime, store
from ..bpmn.spec_cache import bundle_for
from ..db import db
from ..errors import InvalidState, NotFound
from ..models import DeployedProcess, Deployment, HumanTask, ProcessInstance, Unit
from ..models.human_task import TaskStatus
from ..models.instance import InstanceStatus
from .. import actions
from ..actions import Action
from .execution import NewInstance, execute
from .history import submissions
from .jsonsafe import jsonsafe


@dataclass
class StartResult:
    instance_id: int
    status: str
    events: list


def latest(bpmn_id: str) -> DeployedProcess:
    found = db.session.scalars(select(DeployedProcess).where(DeployedProcess.bpmn_id == bpmn_id)
                               .order_by(DeployedProcess.deployment_id.desc()).limit(1)).first()
    if found is None:
        raise NotFound(_l("No deployed process or collaboration has the id %(id)s."), id=bpmn_id)
    return found


def startable_spec(bpmn_id: str):
    """The parsed spec of the latest version of `bpmn_id` (from the spec cache)."""
    target = latest(bpmn_id)
    deployment = db.session.get(Deployment, target.deployment_id)
    return bundle_for(deployment, current_app.config["MAX_BPMN_BYTES"]).get(bpmn_id)


def unit_by_code(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(_l("Unknown organisation unit %(code)s."), code=code)
    return unit


def start(bpmn_id: str, data: dict | None = None, unit: str | None = None, actor: str | None = None,
          action: Action | None = None, plan_item_id: int | None = None, parent_id: int | None = None) -> StartResult:
    """Start the latest version of a process or collaboration, run it until it waits, and save it.

    `data` seeds the process data (JSON types kept); with `unit`, the unit's description is added as
    `gia_unit`. `action` (e.g. a message) is applied to the new workflow before it runs. `plan_item_id`: the
    plan item this instance runs for `unit` (at most one per item and unit: a second start raises
    ConflictError). `parent_id`: the instance whose message starts this one."""
    target = latest(bpmn_id)
    seed = dict(data or {})
    if unit is not None:
        seed["gia_unit"] = unit_by_code(unit).as_data()
    startable = startable_spec(bpmn_id)
    row = dict(deployment_id=target.deployment_id, process_id=bpmn_id, process_name=target.name, unit_code=unit,
               started_by=actor, definition_sha=db.session.get(Deployment, target.deployment_id).sha256,
               plan_item_id=plan_item_id, parent_id=parent_id)
    new = NewInstance(row, runtime.create(startable.spec, startable.subprocess_specs, seed),
                      summary={"data": data or {}, "unit": unit})
    done = execute(new, action or actions.RunSteps(), actor)
    return StartResult(done.instance_id, done.status, done.outcome.events)


def cancel(instance_id: int, actor: str | None, reason: str | None = None) -> None:
    """Cancel the instance, and first the instances its messages started that are still open (a collection's
    school parts), each in a transaction of its own: stopped half-way, the collection is still open and cancelling
    it again goes on where it stopped. `reason` (an operator's) goes into the audit trail of each."""
    for part in db.session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.parent_id == instance_id, ProcessInstance.status.in_(actions.Cancel.allowed))).all():
        cancel(part, actor, reason)
    _execute_with_reason(instance_id, actions.Cancel(), actor, reason)


def suspend(instance_id: int, actor: str | None, reason: str | None = None) -> None:
    _execute_with_reason(instance_id, actions.Suspend(), actor, reason)


def resume(instance_id: int, actor: str | None, reason: str | None = None) -> None:
    _execute_with_reason(instance_id, actions.Resume(), actor, reason)


def retry(instance_id: int, actor: str | None, corrections: dict | None = None, reason: str | None = None):
    """Apply the failed action again to the last good state, with the operator's corrections to the data."""
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(_l("Instance %(id)s not found."), id=instance_id)
    if instance.status != InstanceStatus.ERROR:
        raise InvalidState(_l("Instance %(id)s is not in error; nothing to retry."), id=instance_id)
    return _execute_with_reason(instance_id, actions.Retry(actions.from_dict(instance.failed_action),
                                                           corrections or {}), actor, reason)


def _execute_with_reason(instance_id: int, action, actor: str | None, reason: str | None):
    """The step, its audit record carrying the operator's reason beside what the action records."""
    if not reason:
        return execute(instance_id, action, actor)
    return execute(instance_id, action, actor, summary={**(action.summary() or {}), "reason": reason})


def detail(instance_id: int) -> dict:
    """{id, status, error, data, waiting_for, history, submissions} as `flask gia instance show` prints it."""
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(_l("Instance %(id)s not found."), id=instance_id)
    workflow = store.workflow_of(instance)
    humans = {row.id: row for row in db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id))}
    history = []
    kept = runtime.trail(workflow)
    if kept is None:  # saved before the trail was kept: the tree holds what it has not cut
        kept = [[task.task_spec.bpmn_id, type(task.task_spec).__name__, task.internal_data.get("completed_at"),
                 str(task.id)] for task in sorted(runtime.all_tasks(workflow), key=lambda t: t.last_state_change)
                if task.state == TaskState.COMPLETED and getattr(task.task_spec, "bpmn_id", None)]
    for seq, (bpmn_id, kind, at, task_id) in enumerate(kept):
        spec = runtime.element(workflow, bpmn_id)
        row = humans.pop(task_id, None) if task_id else None
        history.append({"bpmn_id": bpmn_id, "name": spec.bpmn_name if spec is not None else None, "type": kind,
                        "completed_by": row.completed_by if row is not None else None, "at": at,
                        "_order": (_moment(at), 1, seq)})
    # Human tasks done before the trail's window (it keeps the last elements only) are in their rows.
    for row in humans.values():
        if row.state == TaskStatus.COMPLETED:
            spec = runtime.element(workflow, row.bpmn_id)
            at = row.completed_at.isoformat() if row.completed_at else None
            history.append({"bpmn_id": row.bpmn_id, "name": spec.bpmn_name if spec is not None else row.name,
                            "type": type(spec).__name__ if spec is not None else None,
                            "completed_by": row.completed_by, "at": at, "_order": (_moment(at), 0, row.seq)})
    history.sort(key=lambda h: h.pop("_order"))
    return {
        "id": instance.id, "process_id": instance.process_id, "version": instance.deployment_id,
        "unit": instance.unit_code, "status": instance.status, "status_text": instance.status_text,
        "error": instance.error, "data": jsonsafe(projection.process_data(workflow)),
        "waiting_for": projection.waits(workflow) if instance.status not in InstanceStatus.FINAL else [],
        "next_timer_at": instance.next_timer_at.isoformat() if instance.next_timer_at else None,
        "history": history,
        "submissions": submissions(instance_id),  # who handed in what task when, how late (the task history)
    }


def _moment(text: str | None) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc) if text else datetime.min.replace(tzinfo=timezone.utc)


def reschedule(instance_id: int, values: dict, actor: str | None, reason: str | None = None):
    """Move a running instance's dates in one transaction: its data takes `values` (e.g. {"due": "2021-04-01"}),
    the date timers that have not fired are computed again (reminders, escalations, waits until an exam day) and
    the due dates of open tasks follow. Used when the exam calendar changes (plan_dates.set_calendar_date)."""
    return execute(instance_id, actions.SetData(values, reason), actor)
