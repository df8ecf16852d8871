"""engine.advance_timers, the timer sweep: it fires what is due and only that, a second sweep fires nothing, one
failing instance is marked `error` while the sweep goes on, a cycle timer that fell behind catches up and is
reported once, candidates are read in batches of the size asked for, and one that another sweep fired since the
read is passed over without being restored."""
from datetime import datetime

import pytest
from sqlalchemy import select

import engine
from engine import store
from engine.db import db
from engine.models import Notification, ProcessInstance
from engine.service import timers
from tests.conftest import linear, process_xml


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# A timer catch event (n1) waiting until the moment the instance's data names in `until`.
WAIT = ('<bpmn:intermediateCatchEvent id="n1" name="Wait"><bpmn:timerEventDefinition><bpmn:timeDate>until'
        '</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')


def instance(instance_id: int) -> ProcessInstance:
    db.session.rollback()
    return db.session.get(ProcessInstance, instance_id)


@pytest.fixture
def timed(app, clock_at, deploy_xml):
    """`start(until)`: an instance of start → wait until `until` → user task, started on 15 March."""
    clock_at("2021-03-15T09:00:00+03:00")
    deploy_xml(linear(WAIT, '<bpmn:userTask id="n2"/>'))
    return lambda until: engine.start("p", {"until": until}, actor="admin").instance_id


def test_a_sweep_fires_what_is_due_and_only_that(timed):
    soon, later = timed("2021-03-16T09:00:00+03:00"), timed("2021-03-18T09:00:00+03:00")
    tick = engine.advance_timers(at("2021-03-16T10:00:00+03:00"))
    assert tick.now == at("2021-03-16T10:00:00+03:00")
    assert tick.fired == [{"instance_id": soon, "timers": ["Wait"]}] and tick.failed == []
    assert tick.next_due == at("2021-03-18T09:00:00+03:00")
    assert instance(soon).status == "running" and instance(soon).next_timer_at is None
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=soon)] == ["n2"]
    assert (instance(later).status, instance(later).next_timer_at) == ("waiting", at("2021-03-18T09:00:00+03:00"))


def test_a_second_sweep_fires_nothing(timed):
    first = timed("2021-03-16T09:00:00+03:00")
    sweep_at = at("2021-03-16T10:00:00+03:00")
    assert [f["instance_id"] for f in engine.advance_timers(sweep_at).fired] == [first]
    state = instance(first).state
    again = engine.advance_timers(sweep_at)
    assert again.fired == [] and again.failed == [] and again.next_due is None
    assert instance(first).state == state


def test_the_sweep_uses_the_engine_clock_when_no_time_is_given(timed, clock_at):
    due = timed("2021-03-16T09:00:00+03:00")
    assert engine.advance_timers().fired == []  # still 15 March
    clock_at("2021-03-16T09:00:00+03:00")
    assert [f["instance_id"] for f in engine.advance_timers().fired] == [due]


def test_a_failing_instance_is_marked_error_and_the_sweep_goes_on(app, clock_at, deploy_xml):
    clock_at("2021-03-15T09:00:00+03:00")
    deploy_xml(linear(WAIT,
                      '<bpmn:scriptTask id="n2"><bpmn:script>share = total / parts</bpmn:script></bpmn:scriptTask>',
                      '<bpmn:userTask id="n3"/>'))
    # Same due time: the failing one (lower id) comes first in the sweep.
    until = "2021-03-16T09:00:00+03:00"
    broken = engine.start("p", {"until": until, "total": 10, "parts": 0}, actor="admin").instance_id
    healthy = engine.start("p", {"until": until, "total": 10, "parts": 2}, actor="admin").instance_id
    state = instance(broken).state

    tick = engine.advance_timers(at("2021-03-16T10:00:00+03:00"))
    assert [f["instance_id"] for f in tick.failed] == [broken] and "элемент «n2»" in tick.failed[0]["error"]
    assert [f["instance_id"] for f in tick.fired] == [healthy]
    failed = instance(broken)
    assert (failed.status, failed.error, failed.next_timer_at) == ("error", tick.failed[0]["error"], None)
    assert failed.state == state  # its last good state: still waiting at the timer
    assert engine.detail(healthy)["data"]["share"] == 5
    assert engine.advance_timers(at("2021-03-16T11:00:00+03:00")).failed == []  # not picked up again


def test_a_cycle_timer_that_fell_behind_catches_up_and_is_reported_once(app, clock_at, deploy_xml):
    clock_at("2021-03-15T09:00:00+03:00")
    deploy_xml(process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:userTask id="work"/>\n'
        '<bpmn:boundaryEvent id="remind" name="Reminder" attachedToRef="work" cancelActivity="false">'
        '<bpmn:timerEventDefinition><bpmn:timeCycle>"R3/PT1H"</bpmn:timeCycle></bpmn:timerEventDefinition>'
        '</bpmn:boundaryEvent>\n'
        '<bpmn:scriptTask id="note"><bpmn:script>notify("iao_specialist", None, "still open")</bpmn:script>'
        '</bpmn:scriptTask>\n<bpmn:userTask id="chase"/>\n<bpmn:endEvent id="end"/>\n<bpmn:endEvent id="chased"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="end"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="remind" targetRef="note"/>\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="note" targetRef="chase"/>\n'
        '<bpmn:sequenceFlow id="f4" sourceRef="chase" targetRef="chased"/>'))
    instance_id = engine.start("p", {}, actor="admin").instance_id

    # Five hours later three ticks are owed: all are run by this sweep, and the instance is reported once.
    tick = engine.advance_timers(at("2021-03-15T14:00:00+03:00"))
    assert [f["instance_id"] for f in tick.fired] == [instance_id]
    assert tick.fired[0]["timers"] == ["Reminder"]
    assert db.session.scalars(select(Notification.text)).all() == ["still open"] * 3
    assert sorted(t.bpmn_id for t in engine.list_tasks(instance_id=instance_id)) == ["chase"] * 3 + ["work"]
    assert instance(instance_id).next_timer_at is None  # all three repetitions spent
    assert engine.advance_timers(at("2021-03-16T14:00:00+03:00")).fired == []


def test_candidates_are_read_in_batches_of_the_size_asked(timed, monkeypatch):
    due = [timed(f"2021-03-16T0{hour}:00:00+03:00") for hour in (9, 8, 7)]
    timed("2021-03-20T09:00:00+03:00")
    batches = []

    def spied(now, batch_size):
        ids = read(now, batch_size)
        batches.append(ids)
        return ids
    read = timers._due_ids
    monkeypatch.setattr(timers, "_due_ids", spied)

    tick = engine.advance_timers(at("2021-03-16T10:00:00+03:00"), batch_size=2)
    assert [f["instance_id"] for f in tick.fired] == due[::-1]  # in due order, the earliest first
    assert batches == [due[::-1][:2], due[:1], []]
    assert tick.next_due == at("2021-03-20T09:00:00+03:00")


def test_a_candidate_another_sweep_fired_meanwhile_is_passed_over_without_restoring_it(timed, monkeypatch):
    """Sweeps on several workers read the same candidates; the claim passes over one that another sweep has fired
    since the read, instead of restoring its workflow only to find nothing due."""
    first, second = timed("2021-03-16T09:00:00+03:00"), timed("2021-03-16T09:00:00+03:00")
    read, restore, restored = timers._due_ids, store.workflow_of, []

    def read_then_another_sweep_fires_first(now, batch_size):
        ids = read(now, batch_size)
        if first in ids:
            timers._advance_one(first, now, timers.TickResult(now=now), {})
        return ids
    monkeypatch.setattr(timers, "_due_ids", read_then_another_sweep_fires_first)
    monkeypatch.setattr(store, "workflow_of", lambda instance: restored.append(instance.id) or restore(instance))

    tick = engine.advance_timers(at("2021-03-16T10:00:00+03:00"))
    assert [f["instance_id"] for f in tick.fired] == [second]
    assert restored == [first, second]  # by the other sweep, then by this one: never twice
