"""Two workers and beat against one PostgreSQL and one Redis, as production runs them on several machines: the
plan's first day starts each item once per unit however the plan sweeps race, and a few hundred reminders and
escalations each fire once however the timer sweeps race.

One worker consumes every queue (as `make run` starts it), the other only the timer and plan queues (as a worker
of its own for that work would); each runs two processes, so four sweeps may run at once. Everything is observed
from outside: the database (instances, notifications, audit) and the workers' logs.
"""
from collections import Counter
from datetime import datetime

import pytest
from sqlalchemy import func, select

import engine
from cli.city import deploy_processes, ensure_city
from engine import clock
from engine.db import db
from engine.models import AuditEvent, Notification, PlanItem, ProcessInstance
from engine.plan import catalogue, open_plan, start_due_items
from tests.conftest import PRIMARY
from tests.worker.conftest import BROKER_URL

pytestmark = [pytest.mark.worker, pytest.mark.skipif(
    PRIMARY != "postgresql" or not BROKER_URL.startswith(("redis", "amqp")),
    reason="several workers are tested against PostgreSQL and a broker server (DATABASE_URL, CELERY_BROKER_URL)")]

FIRST_DAY = datetime.fromisoformat("2020-09-01T09:30:00+03:00")
REMINDED = datetime.fromisoformat("2020-09-02T10:00:00+03:00")
ESCALATED = datetime.fromisoformat("2020-09-03T10:00:00+03:00")
REPORTS = 120
REPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="http://test">
  <bpmn:process id="report" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="work" name="Report"/>
    <bpmn:boundaryEvent id="remind" name="Reminder" attachedToRef="work" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDate>'2020-09-02T09:00:00+03:00'</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="escalate" name="Escalation" attachedToRef="work" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDate>'2020-09-03T09:00:00+03:00'</bpmn:timeDate></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:scriptTask id="note"><bpmn:script>notify('school_head', None, 'remind', 'reminder')</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="chase"><bpmn:script>notify('iao_head', None, 'late', 'escalation')</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"/><bpmn:endEvent id="noted"/><bpmn:endEvent id="chased"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="note"/>
    <bpmn:sequenceFlow id="f4" sourceRef="note" targetRef="noted"/>
    <bpmn:sequenceFlow id="f5" sourceRef="escalate" targetRef="chase"/>
    <bpmn:sequenceFlow id="f6" sourceRef="chase" targetRef="chased"/>
  </bpmn:process>
</bpmn:definitions>
"""


def read(query):
    """Rows read in a transaction of their own, so that none is left open while the workers run."""
    try:
        return db.session.execute(query).all()
    finally:
        db.session.rollback()


def due_items() -> int:
    """Plan items whose window has opened and that are not yet started for every unit."""
    today = clock.now().astimezone(clock.local_zone()).date()
    return read(select(func.count()).where(PlanItem.starts <= today, PlanItem.started_at.is_(None)))[0][0]


def due_timers() -> int:
    return read(select(func.count()).where(ProcessInstance.next_timer_at <= clock.now()))[0][0]


def notified(kind) -> Counter:
    return Counter(i for (i,) in read(select(Notification.instance_id).where(Notification.kind == kind)))


@pytest.mark.parametrize("celery_run", ["production"], indirect=True)
def test_two_workers_and_beat_start_each_plan_item_and_fire_each_timer_once(celery_run, monkeypatch):
    celery = celery_run
    monkeypatch.setenv("PLAN_SWEEP_SECONDS", "1")  # read by beat from the environment it inherits
    ensure_city((12, 17), (17,))  # the plan's first day starts some 40 instances for this city
    clock.set_mode("manual", FIRST_DAY)
    db.session.commit()
    deploy_processes()
    engine.deploy([("report.bpmn", REPORT)], actor="admin")
    reports = [engine.start("report", {}, actor="admin").instance_id for _ in range(REPORTS)]
    open_plan(catalogue.load_default(), actor="iao")
    db.session.commit()

    queues = f"{celery.queue}.timers,{celery.queue}.plan"
    workers = [celery.worker(), celery.worker("-Q", queues)]
    celery.beat()
    for worker in workers:
        celery.wait_ready(worker)
    celery.wait_for(lambda: due_items() == 0, "the first day's plan items started", timeout=120)

    for moment, kind in ((REMINDED, "reminder"), (ESCALATED, "escalation")):
        clock.advance_to(moment)
        db.session.commit()
        celery.wait_for(lambda: due_timers() == 0 and len(notified(kind)) == REPORTS, f"every {kind}", timeout=120)
    seen = len(celery.sweeps())
    celery.wait_for(lambda: len(celery.sweeps()) >= seen + 4, "four more sweeps after the last timer")

    # Each plan item started once per unit and recorded as started once; nothing left to start.
    started = read(select(ProcessInstance.plan_item_id, ProcessInstance.unit_code)
                   .where(ProcessInstance.plan_item_id.is_not(None)))
    assert started and max(Counter(started).values()) == 1
    starts = Counter(i for (i,) in read(select(AuditEvent.instance_id).where(AuditEvent.action == "start")))
    assert set(starts.values()) == {1} and len(starts) == REPORTS + len(started)
    items = Counter(s["item"] for (s,) in read(select(AuditEvent.summary)
                                               .where(AuditEvent.action == "plan_item_start")))
    assert items and set(items.values()) == {1}
    assert start_due_items().started == []
    # Each report's reminder and escalation fired once, in a step of its own.
    assert notified("reminder") == notified("escalation") == Counter({i: 1 for i in reports})
    fired = read(select(AuditEvent.instance_id, AuditEvent.summary).where(AuditEvent.action == "timers",
                                                                          AuditEvent.instance_id.in_(reports)))
    assert Counter(i for i, _ in fired) == Counter({i: 2 for i in reports})
    assert Counter(name for _, s in fired for name in s["timers"]) == {"Reminder": REPORTS, "Escalation": REPORTS}
    assert not read(select(ProcessInstance.id).where(ProcessInstance.status == "error"))
    sweeps = celery.sweeps()
    assert not any(s["failed"] for s in sweeps)
    print(f"{len(started)} plan starts, {2 * REPORTS} timers; sweeps that fired:",
          [s["fired"] for s in sweeps if s["fired"]])
