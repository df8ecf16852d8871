"""Loading an instance under a lock and saving it back with its projections, inside the caller's transaction."""
from contextlib import contextmanager

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from . import clock, projection, runtime
from .bpmn import serializer
from .bpmn.spec_cache import bundle_for
from .db import db, is_postgres
from .errors import ConflictError, NotFound, ProcessError
from .models import Deployment, HumanTask, InstanceWait, Notification, ProcessInstance
from .models.human_task import TaskStatus
from .models.instance import InstanceStatus


@contextmanager
def transaction():
    """One engine call = one transaction: commit when the block ends, roll everything back on any error.

    A read transaction left open by the caller (a web request that loaded the user) is ended first, so that the
    first statement here takes the lock on SQLite and sees fresh data on PostgreSQL. The whole call sees one
    instant of the engine clock (`clock.one_instant`)."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unsaved changes in the session before an engine call")
    session.rollback()
    try:
        with clock.one_instant():
            yield session
        session.commit()
    except StaleDataError as exc:
        session.rollback()
        raise ConflictError(_l("The process was changed by someone else at the same moment; try again.")) from exc
    except OperationalError as exc:
        session.rollback()
        if "locked" in str(exc).lower() or "deadlock" in str(exc).lower():
            raise ConflictError(_l("The database is busy; try again.")) from exc
        raise
    except BaseException:
        session.rollback()
        raise


def lock(instance_id: int, skip_locked: bool = False) -> ProcessInstance | None:
    """The instance row, locked for this transaction: SELECT ... FOR UPDATE on PostgreSQL; on SQLite the
    transaction already holds the write lock (BEGIN IMMEDIATE) and lock_version guards the update. With
    `skip_locked`, None when another transaction holds the row."""
    query = select(ProcessInstance).where(ProcessInstance.id == instance_id).execution_options(
        populate_existing=True)
    if is_postgres():
        query = query.with_for_update(skip_locked=skip_locked)
    instance = db.session.execute(query).scalar_one_or_none()
    if instance is None:
        if skip_locked and db.session.get(ProcessInstance, instance_id) is not None:
            return None
        raise NotFound(_l("Instance %(id)s not found."), id=instance_id)
    return instance


def startable_of(instance: ProcessInstance):
    deployment = db.session.get(Deployment, instance.deployment_id)
    return bundle_for(deployment, current_app.config["MAX_BPMN_BYTES"]).get(instance.process_id)


def workflow_of(instance: ProcessInstance):
    startable = startable_of(instance)
    return runtime.restore(instance.state, instance.serializer_version, startable.spec, startable.subprocess_specs)


def save(instance: ProcessInstance, workflow, outcome=None, *, completed_by: dict | None = None) -> list:
    """Serialize `workflow` into `instance` and rebuild every projection from it. Returns the task views."""
    now = clock.now()
    try:
        instance.state = runtime.dump(workflow)
    except (TypeError, ValueError) as exc:
        raise ProcessError(_l("The process data holds a value that cannot be stored: %(detail)s"),
                           detail=str(exc)) from exc
    instance.serializer_version = serializer.FORMAT_VERSION
    instance.updated_at = now
    # Every column of the instance is set before the first statement below, so that it is written (and its
    # lock_version checked and bumped) by one INSERT or UPDATE, not an UPDATE per autoflush.
    views = projection.human_tasks(workflow, instance.unit_code)
    if instance.status != InstanceStatus.SUSPENDED:
        instance.status = projection.status(workflow, views)
    instance.error = None
    instance.failed_action = None
    instance.next_timer_at = (projection.next_timer(workflow)
                              if instance.status not in InstanceStatus.FINAL else None)
    if instance.status == InstanceStatus.COMPLETED and instance.completed_at is None:
        instance.completed_at = now
    text = projection.process_data(workflow).get("status_text")
    instance.status_text = str(text)[:500] if text is not None else None
    if instance.id is None:
        db.session.add(instance)
        db.session.flush()
    _sync_tasks(instance, views, now, completed_by or {})
    _sync_waits(instance, workflow)
    for note in (outcome.notifications if outcome else []):
        db.session.add(Notification(created_at=now, instance_id=instance.id, kind=note["kind"][:30],
                                    role=note["role"], unit_code=note["unit"], text=note["text"]))
    return views


def _sync_tasks(instance, views, now, completed_by):
    rows = {row.id: row for row in db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id))}
    for view in views:
        row = rows.pop(view.id, None)
        if row is None:
            row = HumanTask(id=view.id, instance_id=instance.id, created_at=now)
            db.session.add(row)
        was_ready = row.state == TaskStatus.READY
        row.seq, row.bpmn_id, row.lane, row.role, row.form_key = (view.seq, view.bpmn_id, view.lane, view.role,
                                                                   view.form_key)
        if view.state == TaskStatus.READY or row.name is None:
            row.name, row.unit_code, row.due_at = view.name, view.unit_code, view.due_at
        if view.state == TaskStatus.COMPLETED and row.state != TaskStatus.COMPLETED:
            row.completed_at, row.completed_by = now, completed_by.get(view.id)
        elif view.state == TaskStatus.CANCELLED and was_ready:
            row.completed_at = now
        row.state = view.state
    for row in rows.values():  # gone from the tree: a prediction dropped, or a task removed by a reset
        if row.state in (TaskStatus.READY, TaskStatus.WAITING):
            if row.state == TaskStatus.WAITING:
                db.session.delete(row)
            else:
                row.state, row.completed_at = TaskStatus.CANCELLED, now


def _sync_waits(instance, workflow):
    db.session.execute(delete(InstanceWait).where(InstanceWait.instance_id == instance.id))
    if instance.status in InstanceStatus.FINAL:
        return
    seen = set()
    for wait in projection.waits(workflow):
        key = (wait["type"], wait["name"])
        if wait["type"] in ("message", "signal") and key not in seen:
            seen.add(key)
            db.session.add(InstanceWait(instance_id=instance.id, kind=wait["type"], name=wait["name"]))
