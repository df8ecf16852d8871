"""The task history: who handed in what for which task, when, and how late, one row per completion (TaskSubmission).

`record` writes it in the completion's own transaction (the step frame, engine.service.execution, calls it after
the save), so that a completion rolled back leaves no row. It is the record of what people submitted: the workflow
may drop finished tasks, and its data may be changed after them. «Что сдано» reads `handed_in_data`
(engine.service.submitted), `flask gia instance show` and the cockpit read `submissions`."""
from datetime import datetime

from sqlalchemy import insert, select

from .. import clock
from ..actions import Action, Complete, Retry
from ..db import db
from ..models import HumanTask, TaskSubmission
from .jsonsafe import jsonsafe


def record(action: Action, instance) -> None:
    """Keep the submission of a completion (or of a retried one, with the operator's corrections merged in, as
    Complete applies them); any other action keeps nothing."""
    corrections = {}
    if isinstance(action, Retry):
        action, corrections = action.action, action.corrections
    if not isinstance(action, Complete):
        return
    now = clock.now()
    task = db.session.get(HumanTask, action.task_id)  # the caller's row (in the session already), its due date kept
    data = jsonsafe({**action.data, **(corrections or {})})
    # A Core INSERT: nothing reads the row back in this transaction, and the ORM's unit of work for one new object
    # cost more than the statement.
    db.session.execute(_INSERT, {
        "task_id": action.task_id, "instance_id": instance.id, "bpmn_id": getattr(task, "bpmn_id", None),
        "task_name": getattr(task, "name", None), "submitted_by": action.by, "submitted_at": now,
        "as_admin": action.as_admin, "data": data, "files": files_in(data),
        "late_days": days_late(getattr(task, "due_at", None), now)})


_INSERT = insert(TaskSubmission.__table__)


def files_in(data, field: str = "") -> list[dict]:
    """The file references in submitted data ({"attachment_id", "filename"} wherever a file field put one), each
    with the path of its field ("jammer.photo", "rooms.0.scan")."""
    if isinstance(data, dict):
        if "attachment_id" in data:
            return [{"field": field, "attachment_id": data["attachment_id"], "filename": data.get("filename")}]
        return [ref for key, value in data.items() for ref in files_in(value, f"{field}.{key}" if field else key)]
    if isinstance(data, list):
        return [ref for n, value in enumerate(data) for ref in files_in(value, f"{field}.{n}")]
    return []


def days_late(due: datetime | None, done: datetime) -> int | None:
    """Whole days past the due date, by the department's calendar (as the diagrams' days_late counts them), and
    at least 1 once past the due moment; 0 in time; None without a due date."""
    if due is None:
        return None
    if done <= due:
        return 0
    zone = clock.local_zone()
    return max(1, (done.astimezone(zone).date() - due.astimezone(zone).date()).days)


def handed_in_data(task_id: str) -> dict | None:
    """The data of the task's latest submission; None when the history holds none (a task completed before the
    history was kept and not carried over from the audit trail)."""
    data = db.session.scalar(select(TaskSubmission.data).where(TaskSubmission.task_id == task_id)
                             .order_by(TaskSubmission.id.desc()).limit(1))
    return data if isinstance(data, dict) else None


def submissions(instance_id: int) -> list[dict]:
    """The instance's submissions in the order they were made: task, who, when (ISO), by an administrator, days
    late."""
    rows = db.session.execute(select(
        TaskSubmission.task_id, TaskSubmission.bpmn_id, TaskSubmission.task_name, TaskSubmission.submitted_by,
        TaskSubmission.submitted_at, TaskSubmission.as_admin, TaskSubmission.late_days)
        .where(TaskSubmission.instance_id == instance_id).order_by(TaskSubmission.submitted_at, TaskSubmission.id))
    return [{"task_id": r.task_id, "bpmn_id": r.bpmn_id, "name": r.task_name, "by": r.submitted_by,
             "at": r.submitted_at.isoformat(), "as_admin": r.as_admin, "late_days": r.late_days} for r in rows]
