"""Delivering messages and signals: from the CLI or API, and those a step threw that its own instance did not
catch (this module subscribes to every step, engine.events).

What a step throws goes through the message outbox (table message_outbox): written in the step's transaction,
delivered once it has committed, each row in a transaction of its own that also removes it, so that a process
killed between the sender's commit and the end of the routing loses nothing (the sweep, gia.drain_outbox, delivers
what it left) and no row is delivered twice, however many drainers run. Each delivery is its own transaction, after
the sender's has committed, so locks are never nested."""
import json
import logging
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, or_, select, update

from .. import actions, audit, events, projection, store
from ..access import is_admin, memberships, refuse
from ..bpmn import serializer
from ..bpmn.messages import MAX_CORRELATION_PROPERTIES, by_property, correlation_text, reachable
from ..bpmn.properties import role_of
from ..db import db, is_postgres
from ..errors import EngineError, NothingWaiting
from ..models import DeployedProcess, InstanceWait, MessageOutbox, ProcessInstance
from ..models.instance import InstanceStatus
from .execution import Skip, execute
from .instances import start, startable_spec

log = logging.getLogger(__name__)

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
    _end_read()
    return found


def _end_read() -> None:
    """End the read, so that each receiver's step is a transaction of its own; but not while an outbox row is being
    delivered: its claim opened this transaction, and the first step commits the two together."""
    if _delivering.get() is None:
        db.session.rollback()


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
    _end_read()
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


@dataclass
class DrainResult:
    delivered: int = 0  # rows delivered, or recorded as unrouted
    skipped: int = 0  # gone already, or held by another drainer
    failed: list[int] = field(default_factory=list)  # left in the outbox after an unexpected error


class _Claim:
    """The outbox row being delivered; consumed once a step (or the record of its loss) removing it commits."""

    def __init__(self, row_id: int):
        self.row_id, self.consumed = row_id, False

    def mark_consumed(self) -> None:
        self.consumed = True


class _TakenElsewhere(Exception):
    """The row was delivered by another drainer while this one worked on it."""


_delivering: ContextVar[_Claim | None] = ContextVar("gia_outbox_row", default=None)
_MAX_ATTEMPTS = 5
_REGISTRY = serializer.SERIALIZER.registry


@events.on_step_taken
def _write_outbox(step: events.StepTaken) -> None:
    """Keep what a step threw in the outbox, in the step's transaction: a step rolled back throws nothing, and one
    committed cannot lose it. Once it has committed, the rows are delivered (`drain`). A step that delivers an
    outbox row consumes that row here too, so that the delivery and the row's removal commit together."""
    claim = _delivering.get()
    if claim is not None and not claim.consumed:
        if not _consume(claim.row_id):
            raise _TakenElsewhere()  # another drainer delivered it: roll this delivery back
        store.after_commit(claim.mark_consumed)
    rows = [{"created_at": _wall_now(), "source_instance_id": step.instance_id, "actor": step.actor, "kind": kind,
             "name": event.event_definition.name, "payload": _REGISTRY.convert(event.payload),
             "correlations": _REGISTRY.convert(by_property(event.correlations)) if kind == "message" else None,
             "depth": _depth.get(), "attempts": 0}
            for event in step.thrown if (kind := projection.kind_of(event.event_definition)) in ("message", "signal")]
    if rows:
        ids = list(db.session.scalars(insert(MessageOutbox).returning(MessageOutbox.id, sort_by_parameter_order=True),
                                      rows))
        store.after_commit(lambda: drain(ids))


def drain(ids: list[int], inline_limit: int | None = None) -> DrainResult:
    """Deliver the outbox rows `ids` (those still there), each in a transaction of its own. Past `inline_limit`
    (default GIA_OUTBOX_INLINE_LIMIT) the rest is left to a worker (Celery task gia.drain_outbox), so that a request
    that sent a message to 1,600 schools need not start them all itself. Never raises: a row whose delivery broke
    is left for the sweep (`drain_stale`)."""
    limit = current_app.config.get("GIA_OUTBOX_INLINE_LIMIT", 100_000) if inline_limit is None else inline_limit
    result = DrainResult()
    for row_id in ids[:limit]:
        _deliver_row(row_id, result)
    if ids[limit:]:
        _wake_worker(ids[limit:])
    return result


def drain_stale(min_age_seconds: float | None = None, batch: int = 500) -> DrainResult:
    """Deliver the rows older than `min_age_seconds` (default GIA_OUTBOX_STALE_SECONDS): those a process killed
    after its commit left behind, or a worker was asked to deliver and has not. A row whose delivery broke
    unexpectedly `_MAX_ATTEMPTS` times is left for an operator (its last_error says why)."""
    age = current_app.config.get("GIA_OUTBOX_STALE_SECONDS", 10) if min_age_seconds is None else min_age_seconds
    result, after = DrainResult(), 0
    while True:
        ids = list(db.session.scalars(
            select(MessageOutbox.id).where(MessageOutbox.id > after, MessageOutbox.attempts < _MAX_ATTEMPTS,
                                           MessageOutbox.created_at <= _wall_now() - timedelta(seconds=age))
            .order_by(MessageOutbox.id).limit(batch)))
        db.session.rollback()
        if not ids:
            return result
        for row_id in ids:
            _deliver_row(row_id, result)
        after = ids[-1]


def outbox_backlog() -> dict:
    """What the outbox holds: rows waiting for delivery, those whose delivery broke (and are retried by the
    sweep) and those given up after `_MAX_ATTEMPTS`, and the age in seconds of the oldest (for the metrics)."""
    count, failing, given_up, oldest = db.session.execute(select(
        func.count(), func.count().filter(MessageOutbox.attempts.between(1, _MAX_ATTEMPTS - 1)),
        func.count().filter(MessageOutbox.attempts >= _MAX_ATTEMPTS), func.min(MessageOutbox.created_at))).one()
    db.session.rollback()
    age = (_wall_now() - oldest).total_seconds() if oldest is not None else None
    return {"pending": count, "failing": failing, "given_up": given_up, "oldest_seconds": age}


def _wall_now() -> datetime:
    # Wall-clock time, not the engine's (manual in tests and the demo): the age of a row is an operational lease.
    return datetime.now(timezone.utc)


def _deliver_row(row_id: int, result: DrainResult) -> None:
    """Claim the row and deliver it: the claim (FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite the transaction
    holds the write lock from its first statement) opens the transaction that the first step of the delivery (or
    the record that it went nowhere) joins and commits, removing the row with it. A later receiver of the same row
    (a signal to several instances) is its own transaction, as any delivery is."""
    claim = _Claim(row_id)
    token = _delivering.set(claim)
    try:
        query = select(MessageOutbox.__table__).where(MessageOutbox.id == row_id)
        if is_postgres():
            query = query.with_for_update(skip_locked=True)
        row = db.session.execute(query).one_or_none()
        if row is None:
            db.session.rollback()
            result.skipped += 1
            return
        depth = _depth.set(row.depth + 1)
        try:
            _route_row(row, claim)
        finally:
            _depth.reset(depth)
        if not claim.consumed:  # defensive: every path above consumes the row or raises
            with store.transaction():
                _consume(row_id)
        result.delivered += 1
    except _TakenElsewhere:
        db.session.rollback()
        result.skipped += 1
    except Exception as exc:  # noqa: BLE001 - the sender has committed; the row waits for the sweep
        db.session.rollback()
        log.exception("outbox row %s: delivery broke, left for the sweep", row_id)
        if not claim.consumed:
            _note_failure(row_id, exc)
            result.failed.append(row_id)
    finally:
        _delivering.reset(token)


def _route_row(row, claim: _Claim) -> None:
    """Pass on one thrown message or signal; what nobody takes is recorded, not lost silently."""
    source, kind, name = row.source_instance_id, row.kind, row.name
    if row.depth >= _MAX_DEPTH:
        _record_lost(claim, source, kind, name, "too many hops between instances")
        return
    try:
        reached = deliver(kind, name, _REGISTRY.restore(row.payload),
                          correlations=_REGISTRY.restore(row.correlations) if row.correlations else None,
                          actor=row.actor, sender=source, required=False)
    except EngineError as exc:  # the sender's step has committed: a receiver's failure is the receiver's
        _record_lost(claim, source, kind, name, f"delivery failed: {exc.message}")
        return
    if not reached:
        _record_lost(claim, source, kind, name, "nobody waited for it")


def _consume(row_id: int) -> bool:
    """Remove the row in the current transaction; False when another drainer has already removed it."""
    return db.session.execute(delete(MessageOutbox).where(MessageOutbox.id == row_id)).rowcount == 1


def _record_lost(claim: _Claim, source, kind, name, why):
    """Record it in the transaction that removes the row (unless a step of this delivery removed it already)."""
    with store.transaction():
        if not claim.consumed:
            if not _consume(claim.row_id):
                return  # another drainer has it
            store.after_commit(claim.mark_consumed)
        audit.record(f"{kind}_unrouted", None, instance_id=source, message=f"{kind} {name!r}: {why}")


def _note_failure(row_id: int, exc: Exception) -> None:
    try:
        with store.transaction():
            db.session.execute(update(MessageOutbox).where(MessageOutbox.id == row_id).values(
                attempts=MessageOutbox.attempts + 1, last_error=f"{type(exc).__name__}: {exc}"[:4000]))
    except Exception:  # noqa: BLE001 - the database itself may be what broke
        log.exception("outbox row %s: could not record the failure", row_id)


def _wake_worker(ids: list[int]) -> None:
    """Ask a worker to deliver the rows this request leaves; when the broker cannot be reached they wait for the
    sweep (gia.drain_outbox without ids, every GIA_OUTBOX_SWEEP_SECONDS)."""
    try:
        celery = current_app.extensions["celery"]
        with celery.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            celery.send_task("gia.drain_outbox", args=[ids], producer=producer, retry=False)
    except Exception as exc:  # noqa: BLE001 - the rows are committed; the sweep delivers them
        log.warning("could not queue gia.drain_outbox (%s rows wait for the sweep): %s", len(ids), exc)
