"""Reading tasks and instances on someone's behalf, as the REST API does: the rules are engine.access.rules', and
an object the user may not see is reported as not found (its existence is not confirmed) with the attempt
recorded in the audit trail."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import undefer

from .. import audit, store
from .rules import can_view_instance, can_view_task, instance_filter, visible_units
from ..db import db
from ..errors import NotFound
from ..models import AuditEvent, HumanTask, ProcessInstance, User

MAX_ID = 2**31 - 1  # ids beyond the column's range name nothing


def record_denied(user: User, what: str, *, instance_id=None, task=None) -> None:
    """Record a refused attempt in the audit trail, in its own transaction (the refusal changes nothing else)."""
    with store.transaction():
        audit.record("denied", user.login, instance_id=instance_id, task=task, message=what)


def readable_task(task_id: str, user: User) -> HumanTask:
    """The task if `user` may see it (rules.can_view_task); NotFound otherwise, with the attempt recorded."""
    return readable_task_in(task_id, user)[0]


def readable_task_in(task_id: str, user: User, *, with_state: bool = False) -> tuple[HumanTask, ProcessInstance]:
    """readable_task, and the task's instance, read with it in one statement. `with_state`: with its stored
    workflow too, for a caller that restores it or steps it next (on SQLite the step then reads no row again:
    store.lock)."""
    found = None
    if _plausible_task_id(task_id):
        query = (select(HumanTask, ProcessInstance)
                 .outerjoin(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                 .where(HumanTask.id == str(task_id)))
        found = db.session.execute(query.options(undefer(ProcessInstance.state)) if with_state else query).first()
    if found is None:
        raise NotFound(_l("Task %(id)s not found."), id=task_id)
    task, instance = found
    if not can_view_task(user, task, instance):
        record_denied(user, "view task", instance_id=task.instance_id, task=task)
        raise NotFound(_l("Task %(id)s not found."), id=task_id)
    return task, instance


def readable_instance(instance_id: int, user: User, what: str = "view instance") -> ProcessInstance:
    """The instance if `user` may see it; NotFound otherwise, with the attempt recorded."""
    instance = db.session.get(ProcessInstance, instance_id) if 0 < instance_id <= MAX_ID else None
    if instance is None:
        raise NotFound(_l("Instance %(id)s not found."), id=instance_id)
    if not can_view_instance(user, instance):
        record_denied(user, what, instance_id=instance.id)
        raise NotFound(_l("Instance %(id)s not found."), id=instance_id)
    return instance


@dataclass
class Paged:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


def visible_instances(user: User, *, process_id: str | None = None, status: str | None = None,
                      unit: str | None = None, page: int = 1, per_page: int = 50) -> Paged:
    """The instances `user` may see (rules.can_view_instance in SQL), newest first."""
    query = select(ProcessInstance)
    units = visible_units(user)
    if not user.active:
        return Paged([], 0, page, per_page)
    if units is not None:
        query = query.where(instance_filter(units))
    if process_id:
        query = query.where(ProcessInstance.process_id == process_id)
    if status:
        query = query.where(ProcessInstance.status == status)
    if unit:
        query = query.where(ProcessInstance.unit_code == unit)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = list(db.session.scalars(query.order_by(ProcessInstance.id.desc())
                                    .offset((page - 1) * per_page).limit(per_page)))
    return Paged(items, total, page, per_page)


def instance_tasks(instance_id: int) -> list[HumanTask]:
    return list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                   .order_by(HumanTask.created_at, HumanTask.seq)))


def audit_trail(instance_id: int, user: User, page: int = 1, per_page: int = 100) -> Paged:
    """The instance's audit trail, oldest first, if `user` may see the instance."""
    instance = readable_instance(instance_id, user, "view audit")
    query = select(AuditEvent).where(AuditEvent.instance_id == instance.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = list(db.session.scalars(query.order_by(AuditEvent.id).offset((page - 1) * per_page).limit(per_page)))
    return Paged(items, total, page, per_page)


def _plausible_task_id(task_id) -> bool:
    """Task ids are SpiffWorkflow UUIDs; anything else (too long, control characters) names no task and is not
    sent to the database."""
    text = str(task_id)
    return 0 < len(text) <= 36 and text.isprintable()
