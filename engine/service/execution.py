"""The one path every change to an instance takes, starting it included: lock (or create), restore, check, act,
run, save, audit, commit; then tell the step's subscribers (engine.events), which pass on what it threw.

When the diagram fails while acting (a script error, a time limit, a runaway loop) the transaction is rolled
back, so the instance keeps its last good state (a new one: its initial state), and a second transaction marks it
`error` with the message and the failed action, for `retry`.
"""
import logging
from dataclasses import dataclass
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, clock, events, logs, projection, runtime, store
from ..actions import Action, RunSteps
from ..errors import InvalidState, ProcessError
from ..db import db
from ..models import ProcessInstance, Unit
from ..models.instance import InstanceStatus
from . import history

log = logging.getLogger(__name__)


class Skip(Exception):
    """Raised by a check to leave the instance alone without it being an error (e.g. no longer due)."""


@dataclass
class NewInstance:
    """An instance to create as the step's first act: its row's columns, its fresh workflow, and what the audit
    trail records of its start."""
    row: dict
    workflow: object
    summary: dict

    def __post_init__(self):
        self.initial_state = runtime.dump(self.workflow)

    def create(self) -> ProcessInstance:
        return ProcessInstance(**self.row, status=InstanceStatus.RUNNING, created_at=clock.now(),
                               serializer_version="", state="")

    def place(self, instance: ProcessInstance, workflow) -> None:
        """An instance started without a unit belongs to the one its start event names, if any (a school's
        instance started by the department's message); only an instance of a unit counts towards a plan item."""
        if instance.unit_code is not None:
            return
        code = projection.start_unit(workflow)
        if code is not None and db.session.scalar(select(Unit.id).where(Unit.code == code)) is None:
            raise ProcessError(_l("The start event names the unit %(code)s, which the directory does not have."),
                               code=code)
        instance.unit_code = code
        if code is None:
            instance.plan_item_id = None

    def keep_failed(self, actor: str | None) -> int:
        """Store the instance as it was before its first steps failed, so that the failure can be retried."""
        with store.transaction() as session:
            now = clock.now()
            instance = ProcessInstance(**self.row, status=InstanceStatus.ERROR, created_at=now, updated_at=now,
                                       state=self.initial_state,
                                       serializer_version=runtime.serializer.FORMAT_VERSION)
            session.add(instance)
            session.flush()
            audit.record("start", actor, instance_id=instance.id, summary=self.summary)
            return instance.id


@dataclass
class Executed:
    """What a step did, read before the commit (after it every loaded row would be read again)."""
    instance_id: int
    status: str
    views: list
    outcome: object
    ready: list  # the READY human_task rows as the step wrote them (store.Saved.ready)


def execute(target: int | NewInstance, action: Action, actor: str | None, **options) -> Executed | None:
    """`_execute` with the instance and task on every log line it causes (engine/logs.py), and a line of its own:
    which step, on what, with what status; ids only, never the data (that may be a pupil's)."""
    task_id = getattr(options.get("audit_task"), "id", None)
    step = "start" if isinstance(target, NewInstance) else action.audit_as
    with logs.context(instance_id=target if isinstance(target, int) else None, task_id=task_id):
        try:
            done = _execute(target, action, actor, **options)
        except ProcessError as exc:
            with logs.context(instance_id=exc.instance_id):
                # INFO, not WARNING: with no logging set up (the CLI), Python writes WARNING to stderr, whose lines
                # are the CLI's «error: …» contract; the incident itself is on the instance and in the audit trail.
                log.info("%s failed (%s), instance marked error", step, type(exc).__name__)
            raise
        if done is not None:
            with logs.context(instance_id=done.instance_id):
                log.info("%s by %s: instance %s", step, actor or "system", done.status)
        return done


def _execute(target: int | NewInstance, action: Action, actor: str | None, *, check: Callable | None = None,
             audit_task=None, summary: dict | None = None, skip_locked: bool = False) -> Executed | None:
    """Apply `action` to the instance `target` (an id, or a NewInstance to create) in one transaction.
    `check(instance, workflow)` runs before acting and may raise to refuse, or raise Skip to do nothing. `summary`
    replaces what the audit trail records of the action. Returns an Executed, or None when skipped (or, with
    `skip_locked`, when another transaction holds the instance)."""
    try:
        with store.transaction():
            if isinstance(target, NewInstance):
                instance, workflow = target.create(), target.workflow
                # A message or signal start event waits (and so can catch) only once the start task has run.
                first = runtime.advance(workflow) if not isinstance(action, RunSteps) else None
                audit_as, summary = "start", target.summary
            else:
                instance = store.lock(target, skip_locked=skip_locked)
                if instance is None:
                    return None
                _check_status(instance, action)
                workflow = store.workflow_of(instance)
                if check is not None:
                    try:
                        check(instance, workflow)
                    except Skip:
                        return None
                first, audit_as = None, action.audit_as
            outcome = action.apply(workflow)
            if isinstance(target, NewInstance):
                target.place(instance, workflow)
            if first is not None:
                outcome.events[:0], outcome.notifications[:0] = first.events, first.notifications
            saved = store.save(instance, workflow, outcome, completed_by=action.completed_by(),
                               status=action.ends_as)
            history.record(action, instance)  # what a completion handed in, kept with it
            audit.record(audit_as, actor, instance_id=instance.id, task=audit_task,
                         summary=summary if summary is not None else action.summary())
            _audit_notifications(instance, outcome)
            events.step_taken(events.StepTaken(instance.id, actor, outcome.events))
            done = Executed(instance.id, instance.status, saved.views, outcome, saved.ready)
    except ProcessError as exc:
        failed = target.keep_failed(actor) if isinstance(target, NewInstance) else target
        mark_failed(failed, action, exc, actor)
        raise
    return done


def _check_status(instance, action) -> None:
    if instance.status not in action.allowed:
        raise InvalidState(action.refusal, id=instance.id, status=InstanceStatus.word(instance.status))


def mark_failed(instance_id: int, action: Action, exc: ProcessError, actor: str | None) -> None:
    exc.instance_id = instance_id
    with store.transaction():
        instance = store.lock(instance_id)
        instance.status = InstanceStatus.ERROR
        instance.error = exc.message
        instance.error_element = exc.element
        instance.failed_action = action.as_dict()
        instance.next_timer_at = None
        audit.record("error", actor, instance_id=instance_id, message=exc.message,
                     summary={"action": instance.failed_action["op"]})


def _audit_notifications(instance, outcome) -> None:
    for note in outcome.notifications:
        audit.record("notify", None, instance_id=instance.id, message=note["text"],
                     summary={"kind": note["kind"], "role": note["role"], "unit": note["unit"]})
