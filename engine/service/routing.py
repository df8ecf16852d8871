"""Delivering messages and signals: from the CLI or API, and those a step threw that its own instance did not
catch (this module subscribes to every step, engine.events). Each delivery is its own transaction, after the
sender's has committed, so locks are never nested."""
import json
from contextvars import ContextVar
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from .. import actions, audit, events, projection, store
from ..access import is_admin, memberships, refuse
from ..bpmn.messages import MAX_CORRELATION_PROPERTIES, by_property, correlation_text, reachable
from ..bpmn.properties import role_of
from ..db import db
from ..errors import EngineError, NothingWaiting
from ..models import DeployedProcess, InstanceWait, ProcessInstance
from ..models.instance import InstanceStatus
from .execution import Skip, execute
from .instances import start, startable_spec

_depth: ContextVar[int] = ContextVar("gia_routing_depth", default=0)
_MAX_DEPTH = 20
_AWAITED_SHOWN = 10  # correlation values named in the error of a message that reaches nobody


def deliver(kind: str, name: str, payload, *, correlations: dict | None = None, instance_id: int | None = None,
            actor: str | None = None, sender: int | None = None, required: bool = True, user=None) -> list[int]:
    """Deliver a message or signal to the instances waiting for it (or just to `instance_id`): a message carrying
    `correlations` ({property: value}) reaches those awaiting these values and those awaiting none, found by the
    index of waiting instances. When none takes it, start the latest process whose start event awaits it (for a
    signal: each such process); an instance so started by another (`sender`) is the sender's part (its parent,
    cancelled with it) and joins the sender's plan item when it belongs to a unit (a school's part of a
    department's collection). `user` (the REST API's caller) must hold
    a role in each process it reaches. Returns the instance ids it reached."""
    correlations = {str(k): v for k, v in (correlations or {}).items()} if kind == "message" else {}
    if len(correlations) > MAX_CORRELATION_PROPERTIES:
        raise NothingWaiting(_l("A message carries at most %(count)s correlation values."),
                             count=MAX_CORRELATION_PROPERTIES)
    action = (actions.Message(name, payload, correlations or None) if kind == "message"
              else actions.Signal(name, payload))
    targets = _waiting(kind, name, correlations, instance_id, sender)
    may_send = _may_send(user) if user is not None else None
    if may_send is not None:
        _check_sender(user, kind, name, {process for _id, process in targets}, may_send)
    delivered = []

    def waiting(instance, workflow):
        if not action.waited_for(workflow):
            raise Skip()

    for target, _process in targets:
        try:
            done = execute(target, action, actor, check=waiting)
        except NothingWaiting:  # its correlation did not match
            continue
        if done is not None:
            delivered.append(target)
    if not delivered and instance_id is None:
        starters = _starters(kind, name)[:1 if kind == "message" else None]
        if may_send is not None:
            _check_sender(user, kind, name, set(starters), may_send)
        origin = db.session.get(ProcessInstance, sender) if sender is not None else None
        joins = {"plan_item_id": origin.plan_item_id, "parent_id": origin.id} if origin is not None else {}
        for bpmn_id in starters:
            delivered.append(start(bpmn_id, actor=actor, action=action, **joins).instance_id)
    if not delivered and required:
        _nothing_waits(kind, name, correlations, instance_id, may_send)
    return delivered


def _waiting(kind, name, correlations, instance_id, exclude) -> list[tuple[int, str]]:
    """(instance id, process id) of the active instances whose index entry the message reaches: those awaiting
    no correlation values, and those awaiting some of the values it carries."""
    matching = InstanceWait.correlation.is_(None)
    if correlations:
        matching = or_(matching, InstanceWait.correlation.in_(reachable(correlations)))
    query = (select(InstanceWait.instance_id, ProcessInstance.process_id)
             .join(ProcessInstance, ProcessInstance.id == InstanceWait.instance_id)
             .where(InstanceWait.kind == kind, InstanceWait.name == name, matching,
                    ProcessInstance.status.in_(InstanceStatus.ACTIVE)).order_by(InstanceWait.instance_id))
    if instance_id is not None:
        query = query.where(InstanceWait.instance_id == instance_id)
    found = [(i, process) for i, process in dict.fromkeys(db.session.execute(query).tuples()) if i != exclude]
    db.session.rollback()
    return found


def _nothing_waits(kind, name, correlations, instance_id, may_send):
    """Say which correlation values the message carried and which are awaited for its name (when a user sends it:
    only in the processes she may send to)."""
    query = (select(InstanceWait.correlation, ProcessInstance.process_id).distinct()
             .join(ProcessInstance, ProcessInstance.id == InstanceWait.instance_id)
             .where(InstanceWait.kind == kind, InstanceWait.name == name, InstanceWait.correlation.is_not(None),
                    ProcessInstance.status.in_(InstanceStatus.ACTIVE))
             .order_by(InstanceWait.correlation).limit(_AWAITED_SHOWN * 5))
    if instance_id is not None:
        query = query.where(InstanceWait.instance_id == instance_id)
    rows = db.session.execute(query).all()
    db.session.rollback()
    if may_send is not None:
        rows = [row for row in rows if may_send(row.process_id)]
    awaited = "; ".join(list(dict.fromkeys(correlation_text(json.loads(row.correlation)) for row in rows))
                        [:_AWAITED_SHOWN])
    carried = correlation_text(correlations)
    if carried and awaited:
        raise NothingWaiting(_l("Nothing waits for the %(kind)s %(name)s with %(carried)s; awaited for it: "
                                "%(awaited)s."), kind=kind, name=name, carried=carried, awaited=awaited)
    if awaited:
        raise NothingWaiting(_l("Nothing waits for the %(kind)s %(name)s without correlation values; awaited for "
                                "it: %(awaited)s."), kind=kind, name=name, awaited=awaited)
    if carried:
        raise NothingWaiting(_l("Nothing waits for the %(kind)s %(name)s with %(carried)s."), kind=kind, name=name,
                             carried=carried)
    raise NothingWaiting(_l("Nothing waits for the %(kind)s %(name)s."), kind=kind, name=name)


def _check_sender(user, kind, name, processes, may_send) -> None:
    for process in sorted(processes):
        if not may_send(process):
            refuse(user, f"send {kind} {name} to {process}",
                   message=_l("You hold no role in the process %(process)s: you may not send it the %(kind)s "
                              "%(name)s.", process=process, kind=kind, name=name))


def _may_send(user):
    """Whether `user` may send a message to a process: she holds one of its roles, or is an administrator."""
    held = memberships(user)
    if is_admin(user, held):
        return lambda process_id: True
    roles = {h.role for h in held}
    return cache(lambda process_id: bool(roles & _roles_in(process_id)))


def _roles_in(process_id: str) -> set[str]:
    """The roles of a process's tasks and lanes (its latest version's)."""
    try:
        startable = startable_spec(process_id)
    except EngineError:
        return set()
    specs = [startable.spec, *startable.subprocess_specs.values()]
    return {role for spec in specs if spec is not None for task_spec in spec.task_specs.values()
            if (role := role_of(task_spec))}


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
                reached = deliver(kind, definition.name, event.payload,
                                  correlations=by_property(event.correlations), actor=actor, sender=source,
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
