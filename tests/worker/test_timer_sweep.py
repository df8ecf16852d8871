"""Timers fired by real Celery processes: beat triggers a sweep every second, a deadline falls due, and the
escalation appears exactly once however many sweeps follow; two sweeps started at the same moment fire each
timer once.

Everything is observed from outside: the database (tasks, notifications, audit) and the worker's log (which
sweeps ran and what each fired). Waits are polls with a deadline, never a fixed sleep.
"""
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import select

from engine import clock
from engine.db import db
from engine.models import AuditEvent, HumanTask, Notification, ProcessInstance
from engine.models.instance import InstanceStatus
from tests.conftest import load_org
from tests.engine.a1 import start_check

pytestmark = pytest.mark.worker

BEFORE = datetime.fromisoformat("2021-03-15T10:00:00+03:00")
# The checklist is due 2021-03-19: the reminder fell due on the 18th at 09:00, the escalation to the head of IAO
# on the 20th at 09:00, the one to the head of GUO comes on the 23rd at 09:00.
AFTER_DEADLINE = datetime.fromisoformat("2021-03-20T10:00:00+03:00")
NEXT_ESCALATION = datetime.fromisoformat("2021-03-23T09:00:00+03:00")


def start_checks(count, at=BEFORE):
    load_org()
    clock.set_mode("manual", at)
    db.session.commit()
    return [start_check(ppe=("ppe-17", "ppe-12")[n % 2]) for n in range(count)]


def move_clock(at):
    clock.advance_to(at)
    db.session.commit()


def per_instance(model, **filters):
    """How many rows of `model` each instance has, read in a transaction of its own (on SQLite every
    transaction takes the write lock, so none is left open while the worker runs)."""
    try:
        return Counter(db.session.scalars(select(model.instance_id).filter_by(**filters)))
    finally:
        db.session.rollback()


def escalations():
    return per_instance(HumanTask, bpmn_id="check_escalate_iao")


def assert_fired_once(ids):
    expected = Counter({i: 1 for i in ids})
    assert escalations() == expected
    assert per_instance(HumanTask, bpmn_id="check_escalate_iao", state="READY") == expected
    assert per_instance(Notification, kind="escalation") == expected
    assert per_instance(Notification, kind="reminder") == expected
    assert per_instance(AuditEvent, action="timers") == expected
    assert not per_instance(AuditEvent, action="error")
    fired = db.session.scalars(select(AuditEvent.summary).filter_by(action="timers")).all()
    assert all(sorted(s["timers"]) == ["Напоминание", "Просрочено"] for s in fired), fired
    instances = db.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(ids))).all()
    assert {(i.status, i.next_timer_at) for i in instances} == {(InstanceStatus.RUNNING, NEXT_ESCALATION)}
    db.session.rollback()


def test_beat_fires_a_deadline_that_falls_due_exactly_once(celery_run):
    celery = celery_run
    ids = start_checks(2)
    if celery.mode == "production":
        celery.worker()
    else:  # embedded, as `make run` starts it (Procfile): a solo worker
        celery.worker(concurrency=None)
    celery.beat()  # a process of its own, as in production and in `make run`

    # Beat keeps sweeping; nothing is due yet.
    celery.wait_for(lambda: len(celery.sweeps()) >= 2, "two sweeps before the deadline")
    assert not escalations()

    move_clock(AFTER_DEADLINE)
    celery.wait_for(lambda: len(escalations()) == len(ids), "escalation of every instance")
    celery.wait_for(lambda: sum(s["fired"] for s in celery.sweeps()) >= len(ids), "the firing sweeps' log")
    seen = len(celery.sweeps())
    celery.wait_for(lambda: len(celery.sweeps()) >= seen + 3, "three more sweeps after the escalation")

    assert_fired_once(ids)
    sweeps = celery.sweeps()
    assert sum(s["fired"] for s in sweeps) == len(ids)
    assert not any(s["failed"] for s in sweeps)


def test_two_sweeps_started_at_the_same_moment_fire_each_timer_once(celery_run):
    celery = celery_run
    ids = start_checks(6)
    move_clock(AFTER_DEADLINE)
    worker = celery.worker(concurrency=2)  # no beat: only the two sweeps sent here run
    celery.wait_ready(worker)

    sent = [celery.send_sweep(), celery.send_sweep()]

    def finished():
        done = {s["id"]: s for s in celery.sweeps()}
        return [done[i] for i in sent] if all(i in done for i in sent) else None
    sweeps = celery.wait_for(finished, "both sweeps to finish")

    assert_fired_once(ids)
    assert sum(s["fired"] for s in sweeps) == len(ids)
    assert not any(s["failed"] for s in sweeps)
    # How they shared the work: on PostgreSQL SKIP LOCKED usually splits it, on SQLite the first takes it all.
    print("fired per sweep:", [s["fired"] for s in sweeps])
