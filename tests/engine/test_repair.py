"""An operator's repairs (engine.service.repair): editing a suspended instance's data, skipping a task or a timer,
going back to an earlier task, moving a task's deadline with its reminder following. What each changes in the
workflow and its projections (task rows, next_timer_at, notifications), what the audit trail keeps (the reason,
before and after), and what is refused. On the manual clock, SQLite and PostgreSQL."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.errors import InvalidState, NotFound
from engine.models import AuditEvent, HumanTask, Notification, ProcessInstance
from engine.service.repair import MissingReason
from tests.conftest import process_xml

# fill (due: the variable `due`, a reminder 3 days before it at 9:00) → check → wait until `until` → review;
# other (due computed by an expression) runs beside fill.
FLOW = process_xml("""
<bpmn:startEvent id="start"/>
<bpmn:parallelGateway id="split"/>
<bpmn:userTask id="fill" name="Заполнить"><bpmn:extensionElements><spiffworkflow:properties>
  <spiffworkflow:property name="role" value="school_head"/>
  <spiffworkflow:property name="due" value="due"/></spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
<bpmn:boundaryEvent id="reminder" name="Напоминание" attachedToRef="fill" cancelActivity="false">
  <bpmn:timerEventDefinition><bpmn:timeDate>day_at(add_days(due, -3), 9)</bpmn:timeDate></bpmn:timerEventDefinition>
</bpmn:boundaryEvent>
<bpmn:scriptTask id="remind"><bpmn:script>notify('school_head', 'school-17', 'Напомнить', 'reminder')</bpmn:script>
</bpmn:scriptTask>
<bpmn:endEvent id="reminded"/>
<bpmn:userTask id="check" name="Проверить"/>
<bpmn:intermediateCatchEvent id="wait" name="Ждать"><bpmn:timerEventDefinition><bpmn:timeDate>until</bpmn:timeDate>
</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:userTask id="review" name="Рассмотреть"/>
<bpmn:userTask id="other" name="Другое"><bpmn:extensionElements><spiffworkflow:properties>
  <spiffworkflow:property name="due" value="add_days(due, 1)"/></spiffworkflow:properties></bpmn:extensionElements>
</bpmn:userTask>
<bpmn:endEvent id="other_end"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split"/>
<bpmn:sequenceFlow id="f1" sourceRef="split" targetRef="fill"/>
<bpmn:sequenceFlow id="f1b" sourceRef="split" targetRef="other"/>
<bpmn:sequenceFlow id="f1c" sourceRef="other" targetRef="other_end"/>
<bpmn:sequenceFlow id="f2" sourceRef="fill" targetRef="check"/>
<bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="wait"/>
<bpmn:sequenceFlow id="f4" sourceRef="wait" targetRef="review"/>
<bpmn:sequenceFlow id="f5" sourceRef="review" targetRef="end"/>
<bpmn:sequenceFlow id="f6" sourceRef="reminder" targetRef="remind"/>
<bpmn:sequenceFlow id="f7" sourceRef="remind" targetRef="reminded"/>
""")
REASON = "школа попросила"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def started(org, clock_at, deploy_xml):
    """`start()`: an instance for school 17 on 15 March 2021, fill due 25 March, the wait until 1 April."""
    clock_at("2021-03-15T09:00:00+03:00")
    deploy_xml(FLOW)
    return lambda: engine.start("p", {"due": "2021-03-25", "until": "2021-04-01T09:00:00+03:00"}, unit="school-17",
                                actor="admin").instance_id


def rows(instance_id) -> dict:
    db.session.rollback()
    return {t.bpmn_id: t for t in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id))}


def instance(instance_id) -> ProcessInstance:
    db.session.rollback()
    return db.session.get(ProcessInstance, instance_id)


def audited(instance_id, action) -> list[AuditEvent]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == instance_id,
                                                            AuditEvent.action == action)))


def reminders() -> list[Notification]:
    db.session.rollback()
    return list(db.session.scalars(select(Notification).where(Notification.kind == "reminder")))


def test_editing_a_suspended_instance_keeps_it_suspended_and_audits_before_and_after(started):
    first = started()
    with pytest.raises(InvalidState, match="suspended|приостановлен"):
        engine.edit_data(first, {"due": "2021-03-30"}, "operator", REASON)
    engine.suspend(first, "operator", REASON)
    engine.edit_data(first, {"due": "2021-03-30", "note": "исправлено"}, "operator", REASON)
    assert instance(first).status == "suspended"
    data = engine.detail(first)["data"]
    assert (data["due"], data["note"]) == ("2021-03-30", "исправлено")
    assert instance(first).next_timer_at == at("2021-03-27T09:00:00+03:00")  # the reminder follows the new due
    [record] = audited(first, "edit_data")
    assert record.actor == "operator"
    assert record.summary == {"before": {"due": "2021-03-25", "note": None},
                              "after": {"due": "2021-03-30", "note": "исправлено"}, "reason": REASON}
    engine.resume(first, "operator", REASON)
    assert instance(first).status == "running"


def test_an_edit_of_bad_values_is_refused_and_changes_nothing(started):
    first = started()
    engine.suspend(first, "operator", REASON)
    state = instance(first).state
    for values in ([1], {}, {"not a name": 1}, {"x": "y" * 70_000}, {"due": "not a date"}):
        with pytest.raises(InvalidState):
            engine.edit_data(first, values, "operator", REASON)
    assert instance(first).state == state and audited(first, "edit_data") == []


def test_every_repair_wants_a_reason(started):
    first = started()
    fill = rows(first)["fill"]
    engine.suspend(first, "operator", REASON)
    for reason in (None, "  ", "ок"):
        calls = (lambda: engine.edit_data(first, {"due": "2021-03-30"}, "operator", reason),
                 lambda: engine.skip_task(first, fill.id, "operator", reason),
                 lambda: engine.go_back(first, fill.id, "operator", reason),
                 lambda: engine.move_task_due(fill.id, date(2021, 4, 1), "operator", reason))
        for call in calls:
            with pytest.raises(MissingReason, match="3"):
                call()
    assert audited(first, "edit_data") == [] and instance(first).status == "suspended"


def test_skipping_a_task_completes_it_without_a_submission_and_the_process_runs_on(started):
    first = started()
    fill = rows(first)["fill"]
    engine.skip_task(first, fill.id, "operator", REASON)
    found = rows(first)
    assert (found["fill"].state, found["fill"].completed_by) == ("COMPLETED", "operator")
    assert found["check"].state == "READY"
    assert instance(first).next_timer_at is None or instance(first).next_timer_at > at("2021-03-25T00:00:00+03:00")
    [record] = audited(first, "skip")
    assert (record.task_id, record.bpmn_id, record.summary) == (fill.id, "fill", {"reason": REASON})
    assert engine.detail(first)["submissions"] == []  # nothing was handed in
    with pytest.raises(InvalidState):  # done: nothing to skip any more
        engine.skip_task(first, fill.id, "operator", REASON)


def test_skipping_a_waiting_timer_fires_it_now(started):
    first = started()
    engine.complete(rows(first)["fill"].id, engine.user_by_login("admin"), {})
    engine.complete(rows(first)["check"].id, engine.user_by_login("admin"), {})
    assert instance(first).next_timer_at == at("2021-04-01T09:00:00+03:00")
    wait = next(t for t in engine.instance_page(first, engine.user_by_login("operator"))["inside"].timers
                if t.bpmn_id == "wait")
    assert wait.skippable and wait.due == at("2021-04-01T09:00:00+03:00")
    engine.skip_task(first, wait.task_id, "operator", REASON)
    assert rows(first)["review"].state == "READY"
    assert audited(first, "skip")[0].bpmn_id == "wait"


def test_a_reminder_timer_cannot_be_skipped(started):
    first = started()
    reminder = next(t for t in engine.instance_page(first, engine.user_by_login("operator"))["inside"].timers
                    if t.bpmn_id == "reminder")
    assert reminder.attached and not reminder.skippable
    with pytest.raises(InvalidState):
        engine.skip_task(first, reminder.task_id, "operator", REASON)


def test_going_back_makes_the_earlier_task_ready_again_with_its_data_of_then(started):
    first = started()
    fill = rows(first)["fill"]
    engine.complete(fill.id, engine.user_by_login("admin"), {"count": 7})
    assert engine.detail(first)["data"]["count"] == 7
    check = rows(first)["check"]
    page = engine.instance_page(first, engine.user_by_login("operator"))
    assert fill.id in page["inside"].back_to and check.id in page["inside"].skippable
    engine.go_back(first, fill.id, "operator", REASON)
    found = rows(first)
    assert (found["fill"].id, found["fill"].state, found["fill"].completed_by) == (fill.id, "READY", None)
    assert db.session.get(HumanTask, check.id).state == "CANCELLED"  # what followed it is dropped
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=first)] == ["fill", "other"]
    assert "count" not in engine.detail(first)["data"]
    assert instance(first).next_timer_at == at("2021-03-22T09:00:00+03:00")  # its reminder is armed again
    assert [s["task_id"] for s in engine.detail(first)["submissions"]] == [fill.id]  # history keeps it
    [record] = audited(first, "go_back")
    assert (record.task_id, record.summary) == (fill.id, {"reason": REASON})
    with pytest.raises(InvalidState):  # a READY task is not one to go back to
        engine.go_back(first, fill.id, "operator", REASON)


def test_unknown_tasks_and_another_instances_tasks_are_not_found(started):
    first, second = started(), started()
    theirs = rows(second)["fill"]
    for call in (engine.skip_task, engine.go_back):
        with pytest.raises(NotFound):
            call(first, theirs.id, "operator", REASON)
        with pytest.raises(NotFound):
            call(first, "00000000-0000-4000-8000-000000000000", "operator", REASON)
    with pytest.raises(NotFound):
        engine.move_task_due("00000000-0000-4000-8000-000000000000", date(2021, 4, 1), "operator", REASON)
    assert rows(second)["fill"].state == "READY" and audited(first, "skip") == []


def test_moving_a_deadline_moves_the_reminder_and_tells_the_assignees(started, clock_at):
    first = started()
    fill = rows(first)["fill"]
    assert fill.due_at == at("2021-03-25T23:59:59+03:00")
    engine.move_task_due(fill.id, date(2021, 4, 10), "iao", REASON)
    moved = rows(first)["fill"]
    assert (moved.id, moved.state, moved.due_at) == (fill.id, "READY", at("2021-04-10T23:59:59+03:00"))
    assert instance(first).next_timer_at == at("2021-04-07T09:00:00+03:00")  # the reminder, 3 days before
    told = db.session.scalars(select(Notification).where(Notification.kind == "due_moved")).all()
    assert [(n.role, n.unit_code, n.instance_id) for n in told] == [("school_head", "school-17", first)]
    assert "10.04.2021" in told[0].text and REASON in told[0].text
    [record] = audited(first, "move_due")
    assert record.actor == "iao" and record.task_id == fill.id
    assert record.summary == {"variable": "due", "before": "2021-03-25", "after": "2021-04-10", "reason": REASON}

    clock_at("2021-03-22T10:00:00+03:00")  # the old reminder day: nothing
    engine.advance_timers(at("2021-03-22T10:00:00+03:00"))
    assert reminders() == []
    clock_at("2021-04-07T10:00:00+03:00")  # three days before the new deadline
    engine.advance_timers(at("2021-04-07T10:00:00+03:00"))
    assert [n.unit_code for n in reminders()] == ["school-17"]


def test_a_deadline_computed_by_an_expression_or_in_the_past_or_of_a_closed_task_is_not_moved(started):
    first = started()
    found = rows(first)
    with pytest.raises(InvalidState, match=r"add_days\(due, 1\)"):
        engine.move_task_due(found["other"].id, date(2021, 4, 10), "iao", REASON)
    with pytest.raises(InvalidState):
        engine.move_task_due(found["fill"].id, date(2021, 3, 1), "iao", REASON)
    engine.complete(found["fill"].id, engine.user_by_login("admin"), {})
    with pytest.raises(InvalidState):
        engine.move_task_due(found["fill"].id, date(2021, 4, 10), "iao", REASON)
    assert audited(first, "move_due") == []
    page = engine.instance_page(first, engine.user_by_login("operator"))
    assert page["movable"] == set()  # check has no deadline; other's is an expression


def test_skipping_the_deadline_of_an_event_based_wait_closes_the_wait_now(org, clock_at):
    """«All reported, or the deadline» (an event-based gateway): firing its timer now stops waiting for the
    message, as the deadline would."""
    from tests.engine.test_history_pruning import WAIT_FOR_ANSWERS
    clock_at("2021-03-15T09:00:00+03:00")
    engine.deploy([("e.bpmn", WAIT_FOR_ANSWERS)], actor="designer")
    first = engine.start("answers", {}, actor="designer").instance_id
    inside = engine.instance_page(first, org["operator"])["inside"]
    [silence] = inside.timers
    assert silence.skippable and [w["name"] for w in inside.waits] == ["answer"]
    engine.skip_task(first, silence.task_id, "operator", REASON)
    assert instance(first).status == "completed" and engine.detail(first)["data"]["closed"] is True
    assert engine.detail(first)["waiting_for"] == []


