"""advance_timers: fire every timer that is due, instance by instance, safely alongside other sweeps.

Candidates are read in due order and in batches; each is then claimed and advanced in one transaction of its own.
The claim locks the row only if it is still due (FOR UPDATE SKIP LOCKED on PostgreSQL: an instance another sweep
holds is skipped, not waited for), so that sweeps running side by side on several workers split the work and
none restores an instance another has just fired. A timer that has fired is no longer waiting, so a second sweep
finds nothing to do: firing is idempotent. One failing instance is marked `error` and the sweep goes on.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, func, select

from .. import clock, projection, store
from ..actions import FireTimers
from ..db import db
from ..errors import ConflictError, ProcessError
from ..models import ProcessInstance
from ..models.instance import InstanceStatus
from .execution import Skip, execute

_MAX_ROUNDS_PER_INSTANCE = 50


@dataclass
class TickResult:
    now: datetime
    fired: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    next_due: datetime | None = None


def advance_timers(at: datetime | None = None, batch_size: int | None = None) -> TickResult:
    """Fire what is due at `at` (default: the engine's now). With the manual clock, moving it is the caller's
    business (`clock.advance_to`)."""
    batch_size = batch_size or current_app.config["TIMER_SWEEP_BATCH"]
    with clock.pinned(clock.aware(at) if at else None) as now:
        result = TickResult(now=now)
        rounds: dict[int, int] = {}
        fired: dict[int, dict] = {}  # instance id -> its entry in result.fired
        while True:
            candidates = [i for i in _due_ids(now, batch_size) if rounds.get(i, 0) < _MAX_ROUNDS_PER_INSTANCE]
            if not candidates:
                break
            for instance_id in candidates:
                rounds[instance_id] = rounds.get(instance_id, 0) + 1
                _advance_one(instance_id, now, result, fired)
        result.next_due = db.session.scalar(
            select(func.min(ProcessInstance.next_timer_at)).where(ProcessInstance.status.in_(InstanceStatus.ACTIVE)))
        db.session.rollback()
    return result


def due(now):
    """The sweep's condition: an active instance whose next timer is due at `now` (also /metrics' timers due)."""
    return and_(ProcessInstance.next_timer_at <= now, ProcessInstance.status.in_(InstanceStatus.ACTIVE))


def has_backlog(batch_size: int | None = None) -> bool:
    """Whether more than one batch is due now: a sweep that finds a backlog asks for another sweep, so that idle
    workers join in at once instead of at the next beat."""
    batch_size = batch_size or current_app.config["TIMER_SWEEP_BATCH"]
    try:
        return db.session.scalar(
            select(ProcessInstance.id).where(due(clock.now()))
            .order_by(ProcessInstance.next_timer_at).offset(batch_size).limit(1)) is not None
    finally:
        db.session.rollback()


def _due_ids(now, batch_size) -> list[int]:
    ids = list(db.session.scalars(
        select(ProcessInstance.id).where(due(now))
        .order_by(ProcessInstance.next_timer_at, ProcessInstance.id).limit(batch_size)))
    db.session.rollback()  # end the read; each instance gets its own transaction
    return ids


def _claim(instance_id, now) -> bool:
    """Lock the instance for this transaction if it is still due, reading it whole so that the step takes it
    without a second read; False when another sweep holds it or has already fired it (no workflow restored to be
    thrown away)."""
    return store.claim(instance_id, ProcessInstance.next_timer_at <= now,
                       ProcessInstance.status.in_(InstanceStatus.ACTIVE)) is not None


def _advance_one(instance_id, now, result, fired) -> None:
    due_names = []

    def still_due(instance, workflow):
        if instance.next_timer_at is None or instance.next_timer_at > now:
            raise Skip()  # another sweep got here first
        due_names.extend(w["name"] for w in projection.waits(workflow)
                         if w["type"] == "timer" and w["due"] and datetime.fromisoformat(w["due"]) <= now)

    try:
        # The claim and the step share one transaction (execute's joins it), so the claim's lock is held until
        # the step commits.
        with store.transaction():
            if not _claim(instance_id, now):
                return
            done = execute(instance_id, FireTimers(), None, check=still_due, skip_locked=True,
                           summary={"timers": due_names})
    except ProcessError as exc:
        result.failed.append({"instance_id": instance_id, "error": exc.message})
        return
    except ConflictError:
        return  # someone else advanced it; it is re-read on the next round if still due
    if done is not None:
        # An instance advanced in several rounds (a cycle timer catching up) is reported once.
        entry = fired.get(instance_id)
        if entry is None:
            fired[instance_id] = {"instance_id": instance_id, "timers": due_names}
            result.fired.append(fired[instance_id])
        else:
            entry["timers"].extend(n for n in due_names if n not in entry["timers"])
