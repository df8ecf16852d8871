"""Delivering messages and signals: from the CLI or API, and those a step threw that its own instance did not
catch (this module subscribes to every step, engine.events). Each delivery is its own transaction, after the
sender's has committed, so locks are never nested."""
from contextvars import ContextVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import actions, audit, events, projection, store
from ..db import db
from ..errors import EngineError, NothingWaiting
from ..models import DeployedProcess, InstanceWait, ProcessInstance
from ..models.instance import InstanceStatus
from .execution import Skip, execute
from .instances import start

_depth: ContextVar[int] = ContextVar("gia_routing_depth", default=0)
_MAX_DEPTH = 20


def deliver(kind: str, name: str, payload, *, instance_id: int | None = None, actor: str | None = None,
            exclude: int | None = None, required: bool = True) -> list[int]:
    """Deliver a message or signal to the instances waiting for it (every one whose correlation matches, or just
    `instance_id`); when none takes it, start the latest process whose start event awaits it (for a signal: each
    such process). Returns the instance ids it reached."""
    action = (actions.Message if kind == "message" else actions.Signal)(name, payload)
    delivered = []

    def waiting(instance, workflow):
        if not action.waited_for(workflow):
            raise Skip()

    for target in _waiting(kind, name, instance_id, exclude):
        try:
            done = execute(target, action, actor, check=waiting)
        except NothingWaiting:  # its correlation did not match
            continue
        if done is not None:
            delivered.append(target)
    if not delivered and instance_id is None:
        for bpmn_id in _starters(kind, name):
            delivered.append(start(bpmn_id, actor=actor, action=action).instance_id)
            if kind == "message":
                break
    if not delivered and required:
        raise NothingWaiting(_l("Nothing waits for the %(kind)s %(name)s."), kind=kind, name=name)
    return delivered


def _waiting(kind, name, instance_id, exclude) -> list[int]:
    query = (select(InstanceWait.instance_id).join(ProcessInstance, ProcessInstance.id == InstanceWait.instance_id)
             .where(InstanceWait.kind == kind, InstanceWait.name == name,
                    ProcessInstance.status.in_(InstanceStatus.ACTIVE)).order_by(InstanceWait.instance_id))
    if instance_id is not None:
        query = query.where(InstanceWait.instance_id == instance_id)
    ids = [i for i in dict.fromkeys(db.session.scalars(query)) if i != exclude]
    db.session.rollback()
    return ids


def _starters(kind, name) -> list[str]:
    latest: dict[str, DeployedProcess] = {}
    for row in db.session.scalars(select(DeployedProcess).order_by(DeployedProcess.deployment_id)):
        latest[row.bpmn_id] = row
    return sorted(bpmn_id for bpmn_id, row in latest.items() if [kind, name] in (row.start_events or []))


@events.on_step_taken
def _route_after_commit(step: events.StepTaken) -> None:
    """Pass on what a step threw once its transaction has committed: each delivery is then its own transaction
    (locks are never nested), and a step rolled back throws nothing."""
    if step.thrown:
        store.after_commit(lambda: route(step.thrown, source=step.instance_id, actor=step.actor))


def route(thrown, source: int | None, actor: str | None) -> None:
    """Pass on what a step threw and did not catch itself; what nobody takes is recorded, not lost silently."""
    depth = _depth.get()
    token = _depth.set(depth + 1)
    try:
        for event in thrown:
            definition = event.event_definition
            kind = projection.kind_of(definition)
            if kind not in ("message", "signal"):
                continue
            if depth >= _MAX_DEPTH:
                _record_lost(source, kind, definition.name, "too many hops between instances")
                continue
            try:
                reached = deliver(kind, definition.name, event.payload, actor=actor, exclude=source,
                                  required=False)
            except EngineError as exc:  # the sender's step has committed: a receiver's failure is the receiver's
                _record_lost(source, kind, definition.name, f"delivery failed: {exc.message}")
                continue
            if not reached:
                _record_lost(source, kind, definition.name, "nobody waited for it")
    finally:
        _depth.reset(token)


def _record_lost(source, kind, name, why):
    with store.transaction():
        audit.record(f"{kind}_unrouted", None, instance_id=source, message=f"{kind} {name!r}: {why}")
