"""What a person does around a task besides completing it, from the inbox or the task page: read it (if she may),
hand it to a colleague, snooze it, comment on it. Visibility comes from engine.access only."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, clock, roles, store
from ..access.denials import refuse
from ..access.rules import offered_to, visible_filter
from ..db import db
from ..directory.people import user_by_login
from ..errors import ConflictError, EngineError, NotFound, TaskNotReady
from ..models import HumanTask, Membership, TaskComment, TaskSnooze, Unit, User
from ..models.human_task import TaskStatus
from .tasks import get_task

def visible_task(task_id: str, user: User) -> HumanTask:
    """The task, if `user` may see it; NotFound otherwise (a foreign task is not confirmed to exist), with the
    attempt recorded in the audit trail. Call it outside a transaction."""
    task = db.session.get(HumanTask, str(task_id))
    if task is None:
        raise NotFound(_l("Task %(id)s not found."), id=task_id)
    if not db.session.scalar(select(HumanTask.id).where(HumanTask.id == task.id, visible_filter(user))):
        refuse(user, "view task", instance_id=task.instance_id, task=task)
    return task


def reassign(task_id: str, user: User, to_login: str, reason: str) -> HumanTask:
    """Hand a task to a named colleague who holds the same role for the same unit, with a reason (audited)."""
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise EngineError(_l("Give a reason for the reassignment."))
    target = user_by_login(to_login)
    task = get_task(task_id)
    if not (task.assignee_id in (None, user.id) and offered_to(user, task)):
        refuse(user, "reassign", instance_id=task.instance_id, task=task,
               message=_l("You may reassign only a task that is offered to you or claimed by you."))
    with store.transaction():
        task = get_task(task_id)
        if task.state != TaskStatus.READY:
            raise TaskNotReady(_l("The task is no longer open."))
        if task.assignee_id not in (None, user.id):
            raise ConflictError(_l("Someone else has just claimed this task."))
        if not target.active or not offered_to(target, task):
            raise EngineError(_l("%(name)s does not hold the role «%(role)s» for this unit; the task cannot be "
                                 "given to them."), name=target.full_name or target.login, role=task.role)
        previous = task.assignee_id
        task.assignee_id = target.id
        audit.record("reassign", user.login, instance_id=task.instance_id, task=task, message=reason,
                     summary={"to": target.login, "from_assignee": previous})
    return task


def colleagues_for(task: HumanTask, user: User) -> list[User]:
    """The active users, other than `user`, the task is offered to (its own holders; deputies aside): the people
    it may be reassigned to."""
    query = (select(User).join(Membership, Membership.user_id == User.id)
             .outerjoin(Unit, Unit.id == Membership.unit_id)
             .where(User.active.is_(True), User.id != user.id))
    if task.role is not None:
        query = query.where(Membership.role == task.role)
        if task.unit_code is not None and not roles.is_city_wide(task.role):
            query = query.where(Unit.code == task.unit_code)
    elif task.unit_code is not None:
        query = query.where(Unit.code == task.unit_code)
    return list(db.session.scalars(query.distinct().order_by(User.full_name, User.login)))


def snooze(task_id: str, user: User, until: date | None) -> None:
    """Hide the task from `user`'s inbox until the start of `until` (None: show it again now)."""
    task = get_task(task_id)
    if not offered_to(user, task) and task.assignee_id != user.id:
        refuse(user, "snooze", instance_id=task.instance_id, task=task,
               message=_l("This task is not offered to you."))
    with store.transaction():
        row = db.session.scalar(select(TaskSnooze).where(TaskSnooze.task_id == task.id,
                                                         TaskSnooze.user_id == user.id))
        if until is None:
            if row is not None:
                db.session.delete(row)
            audit.record("unsnooze", user.login, instance_id=task.instance_id, task=task)
            return
        moment = clock.day_start(until)
        if moment <= clock.now():
            raise EngineError(_l("Choose a date in the future."))
        if row is None:
            db.session.add(TaskSnooze(task_id=task.id, user_id=user.id, until=moment))
        else:
            row.until = moment
        audit.record("snooze", user.login, instance_id=task.instance_id, task=task,
                     summary={"until": until.isoformat()})


def comment(task_id: str, user: User, text: str, attachment_id: int | None = None) -> TaskComment:
    text = (text or "").strip()
    if not text and attachment_id is None:
        raise EngineError(_l("Write a comment or attach a file."))
    if len(text) > 5000:
        raise EngineError(_l("The comment is longer than %(n)s characters.", n=5000))
    task = visible_task(task_id, user)
    with store.transaction():
        row = TaskComment(task_id=task.id, instance_id=task.instance_id, author=user.login, text=text,
                          attachment_id=attachment_id, created_at=clock.now())
        db.session.add(row)
        audit.record("comment", user.login, instance_id=task.instance_id, task=task,
                     summary={"text": text, "attachment_id": attachment_id})
    return row


def comments(task_id: str) -> list[TaskComment]:
    return list(db.session.scalars(select(TaskComment).where(TaskComment.task_id == str(task_id))
                                   .order_by(TaskComment.id)))
