"""The one path every change to a running instance takes: lock, restore, check, act, run, save, audit, commit.

When the diagram fails while acting (a script error, a time limit, a runaway loop) the transaction is rolled
back, so the instance keeps its last good state, and a second transaction marks it `error` with the message and
the failed action, for `retry`.
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .. import actions, audit, store
from . import routing
from ..errors import InvalidState, ProcessError
from ..models.instance import InstanceStatus


class Skip(Exception):
    """Raised by a check to leave the instance alone without it being an error (e.g. no longer due)."""


@dataclass
class Executed:
    """What a step did, read before the commit (after it every loaded row would be read again)."""
    instance_id: int
    status: str
    views: list
    outcome: object


def execute(instance_id: int, action: dict, actor: str | None, *, check=None, audit_action=None,
            audit_task=None, summary=None, corrections=None, allowed=InstanceStatus.ACTIVE, skip_locked=False):
    """Apply `action` to the instance in one transaction. `check(instance, workflow)` runs before acting and
    may raise to refuse, or raise Skip to do nothing. Returns an Executed, or None when skipped (or, with
    `skip_locked`, when another transaction holds the instance)."""
    try:
        with store.transaction():
            instance = store.lock(instance_id, skip_locked=skip_locked)
            if instance is None:
                return None
            if instance.status not in allowed:
                raise InvalidState(_l("Instance %(id)s is %(status)s; it cannot take this action."),
                                   id=instance.id, status=instance.status)
            workflow = store.workflow_of(instance)
            if check is not None:
                try:
                    check(instance, workflow)
                except Skip:
                    return None
            outcome = actions.apply(workflow, action, corrections)
            by = {action["task_id"]: action.get("by")} if action["op"] == "complete" else None
            views = store.save(instance, workflow, outcome, completed_by=by)
            audit.record(audit_action or action["op"], actor, instance_id=instance.id, task=audit_task,
                         summary=summary)
            _audit_notifications(instance, outcome)
            done = Executed(instance.id, instance.status, views, outcome)
    except ProcessError as exc:
        mark_failed(instance_id, action, exc, actor)
        raise
    routing.route(outcome.events, source=instance_id, actor=actor)
    return done


def mark_failed(instance_id: int, action: dict, exc: ProcessError, actor: str | None) -> None:
    exc.instance_id = instance_id
    with store.transaction():
        instance = store.lock(instance_id)
        instance.status = InstanceStatus.ERROR
        instance.error = exc.message
        instance.failed_action = action
        instance.next_timer_at = None
        audit.record("error", actor, instance_id=instance_id, message=exc.message, summary={"action": action["op"]})


def _audit_notifications(instance, outcome) -> None:
    for note in outcome.notifications:
        audit.record("notify", None, instance_id=instance.id, message=note["text"],
                     summary={"kind": note["kind"], "role": note["role"], "unit": note["unit"]})
