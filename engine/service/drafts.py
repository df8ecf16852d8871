"""Drafts: what a person has typed into a task's form and not submitted yet, kept on the server so that nothing
typed is lost (a closed tab, a dead phone battery) and so that it follows her to another device.

A draft belongs to its author alone: it is read back only by her (not by a colleague of the same unit, a deputy
or an administrator), it never enters the process data, and it is deleted in the transaction that takes the task
out of READY (completed, cancelled, timed out: `discard_drafts`, a subscriber of engine.store's step event).
"""
import json
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from forms.drafts import draft_of
from forms.fields import UNSTORABLE, storable
from sqlalchemy import delete, select

from .. import clock, events, store
from ..access.denials import refuse
from ..access.guards import readable_task
from ..access.rules import may_act
from ..db import db, is_postgres
from ..errors import InvalidData, TaskNotReady
from ..models import HumanTask, ProcessInstance, TaskDraft, User
from ..models.human_task import TaskStatus
from .task_forms import task_form

MAX_DRAFT_BYTES = 256 * 1024  # far above any form of the plan; a bound on what one person can park here


@dataclass
class Draft:
    data: dict
    updated_at: datetime


def save_draft(task_id: str, user: User, data: dict) -> Draft:
    """Keep `data` (the form's data, as `complete` takes it; values may be half-typed) as `user`'s draft of the
    task, replacing her earlier one. Only someone who may act on the open task may draft it."""
    task = readable_task(task_id, user)
    _check_open(task)
    if not may_act(user, task):
        refuse(user, "save draft", instance_id=task.instance_id, task=task,
               message=_l("You may not act on this task: it is offered to another role or unit, or claimed by "
                          "someone else."))
    if not task.form_key:
        raise InvalidData({"data": [str(_l("This task has no form to keep a draft of."))]})
    clean = draft_of(task_form(task), data)
    _check_storable(clean)
    with store.transaction():
        task = _lock_open(task)
        task.drafted = True  # the step that closes the task deletes its drafts
        saved = Draft(clean, clock.now())
        row = db.session.scalar(select(TaskDraft).where(TaskDraft.task_id == task.id, TaskDraft.user_id == user.id))
        if row is None:
            db.session.add(TaskDraft(task_id=task.id, user_id=user.id, data=clean, updated_at=saved.updated_at))
        else:
            row.data, row.updated_at = clean, saved.updated_at
    return saved


def draft_for(task_id: str, user: User) -> Draft | None:
    """`user`'s own draft of the task while it is open; nobody else's, and none once the task has left READY."""
    row = db.session.execute(
        select(TaskDraft.data, TaskDraft.updated_at).join(HumanTask, HumanTask.id == TaskDraft.task_id)
        .where(TaskDraft.task_id == str(task_id), TaskDraft.user_id == user.id,
               HumanTask.state == TaskStatus.READY)).first()
    return Draft(row.data, row.updated_at) if row else None


def discard_drafts(task_ids) -> None:
    """Delete every draft of these tasks, inside the caller's transaction (the step that closed them)."""
    if task_ids:
        db.session.execute(delete(TaskDraft).where(TaskDraft.task_id.in_(sorted(task_ids))))


@events.on_step_saved
def _discard_closed(step: events.StepSaved) -> None:
    """What was typed into a task and not sent goes with the task when it leaves READY (drafts are never
    submitted data). Only the tasks marked drafted have drafts: a step closing others sends no statement."""
    discard_drafts(step.drafted)


def _check_open(task: HumanTask) -> None:
    if task.state != TaskStatus.READY:
        raise TaskNotReady(_l("The task «%(name)s» is closed; its draft is no longer kept."), name=task.name)


def _lock_open(task: HumanTask) -> HumanTask:
    """Re-read the task under its instance's lock, the one every step takes (PostgreSQL; SQLite's transaction holds
    the write lock already), so that a draft never outlives a completion committed at the same moment: a step
    either sees the task marked drafted, or has closed it before the draft is refused."""
    if is_postgres():
        db.session.execute(select(ProcessInstance.id).where(ProcessInstance.id == task.instance_id)
                           .with_for_update())
    query = select(HumanTask).where(HumanTask.id == task.id).execution_options(populate_existing=True)
    row = db.session.scalar(query)
    _check_open(row)
    return row


def _check_storable(data: dict) -> None:
    """Text the database cannot keep (NUL characters, lone surrogates) and drafts beyond MAX_DRAFT_BYTES are
    refused with a message, not cut."""
    if not all(storable(text) for text in _texts(data)):
        raise InvalidData({"data": [str(UNSTORABLE)]})
    size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    if size > MAX_DRAFT_BYTES:
        raise InvalidData({"data": [str(_l("The draft is too large: %(size)s KB, at most %(most)s KB.",
                                           size=-(-size // 1024), most=MAX_DRAFT_BYTES // 1024))]})


def _texts(value):
    """Every string in a draft (its depth is the form's: groups and rows)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _texts(inner)
