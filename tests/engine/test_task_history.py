"""The task history (engine.service.history): each completion keeps what the person handed in (who, when, the data,
the files, how late) in its own transaction, and «Что сдано» reads it, whatever the workflow's data became since."""
import io
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

import engine
from engine import attachments, store
from engine.db import db
from engine.models import AuditEvent, ProcessInstance, TaskSubmission
from tests.conftest import BACKENDS, linear, own_database, process_xml
from tests.engine.a1 import checklist, only, start_check


def kept(task_id: str | None = None, instance_id: int | None = None) -> list[TaskSubmission]:
    db.session.rollback()  # what was committed, not what the session holds
    query = select(TaskSubmission).order_by(TaskSubmission.id)
    if task_id is not None:
        query = query.where(TaskSubmission.task_id == task_id)
    if instance_id is not None:
        query = query.where(TaskSubmission.instance_id == instance_id)
    return list(db.session.scalars(query))


def photo(instance_id: int, task_id: str) -> int:
    with store.transaction():
        return attachments.store(io.BytesIO(b"\x89PNG\r\n\x1a\nphoto"), "jammer.png", "photo",
                                 instance_id=instance_id, task_id=task_id, actor="tech17").id


def test_completing_a_task_keeps_who_when_what_the_files_and_the_days_late(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check(due="2021-03-19")
    task = only(instance_id, "checklist")
    photo_id = photo(instance_id, task.id)
    clock_at("2021-03-21T11:30:00+03:00")  # two days after the due day
    engine.complete(task.id, org["tech17"], checklist(faulty=["jammer"], photo=photo_id))

    [row] = kept(instance_id=instance_id)
    assert (row.task_id, row.bpmn_id, row.task_name) == (task.id, "checklist", task.name)
    assert (row.submitted_by, row.as_admin, row.late_days) == ("tech17", False, 2)
    assert row.submitted_at == datetime.fromisoformat("2021-03-21T11:30:00+03:00")
    # The submission as the workflow received it under the form's variable, the file's name filled in.
    assert row.data == engine.detail(instance_id)["data"]["checklist"]
    assert row.data["jammer"] == {"status": "faulty", "comment": "jammer: не работает",
                                  "photo": {"attachment_id": photo_id, "filename": "jammer.png"}}
    assert row.files == [{"field": "jammer.photo", "attachment_id": photo_id, "filename": "jammer.png"}]
    [shown] = engine.detail(instance_id)["submissions"]
    assert shown == {"task_id": task.id, "bpmn_id": "checklist", "name": task.name, "by": "tech17",
                     "at": row.submitted_at.isoformat(), "as_admin": False, "late_days": 2}


def test_a_task_handed_in_on_time_is_zero_days_late(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    task = only(start_check(due="2021-03-19"), "checklist")
    clock_at("2021-03-19T23:00:00+03:00")
    engine.complete(task.id, org["tech17"], checklist())
    assert [(r.late_days, r.files) for r in kept(task.id)] == [(0, [])]


def test_a_second_completion_is_refused_and_keeps_one_row(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    task = only(start_check(), "checklist")
    engine.complete(task.id, org["tech17"], checklist(faulty=["video"]))
    with pytest.raises(engine.TaskNotReady):
        engine.complete(task.id, org["tech17"], checklist())
    [row] = kept(task.id)
    assert row.data["video"]["status"] == "faulty"


def test_an_administrator_completing_a_task_not_offered_to_her_is_flagged(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    task = only(start_check(), "checklist")
    engine.complete(task.id, org["admin"], checklist())
    [row] = kept(task.id)
    assert (row.submitted_by, row.as_admin) == ("admin", True)
    audited = db.session.scalar(select(AuditEvent.action).where(AuditEvent.task_id == task.id,
                                                                AuditEvent.action.like("complete%")))
    assert audited == "complete_as_admin"


def _failing_after_the_task(boss) -> tuple[int, str]:
    """start → n1 (a user task) → a script that needs `qty` → n3; n1 completed without it: the step fails."""
    engine.deploy([("t.bpmn", linear('<bpmn:userTask id="n1"/>',
                                      '<bpmn:scriptTask id="n2"><bpmn:script>total = price * qty</bpmn:script>'
                                      '</bpmn:scriptTask>', '<bpmn:userTask id="n3"/>'))], actor="designer")
    instance_id = engine.start("p", {}, actor="boss").instance_id
    [task] = engine.list_tasks(instance_id=instance_id)
    with pytest.raises(engine.ProcessError):
        engine.complete(task.id, boss, {"price": 10})
    return instance_id, task.id


def test_a_completion_that_fails_leaves_no_row_and_its_retry_keeps_the_corrected_data(app):
    boss = engine.ensure_user("boss", "admin", None)
    instance_id, task_id = _failing_after_the_task(boss)
    assert kept(instance_id=instance_id) == []  # rolled back with the step

    with pytest.raises(engine.ProcessError):
        engine.retry(instance_id, "operator")  # the same failure: still nothing kept
    assert kept(instance_id=instance_id) == []

    engine.retry(instance_id, "operator", corrections={"qty": 3, "price": 12})
    [row] = kept(instance_id=instance_id)
    assert (row.task_id, row.submitted_by, row.data) == (task_id, "boss", {"price": 12, "qty": 3})
    assert engine.detail(instance_id)["data"]["total"] == 36


REPORT_THEN_WAIT = process_xml('''
<bpmn:startEvent id="start"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="report"/>
<bpmn:userTask id="report" name="Отчёт">
  <bpmn:extensionElements><spiffworkflow:properties>
    <spiffworkflow:property name="form" value="plan_report"/>
    <spiffworkflow:property name="role" value="iao_specialist"/>
  </spiffworkflow:properties></bpmn:extensionElements>
</bpmn:userTask>
<bpmn:sequenceFlow id="f2" sourceRef="report" targetRef="wait"/>
<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDate>until</bpmn:timeDate>
</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end"/>
<bpmn:endEvent id="end"/>
''', "report_then_wait")


def test_what_was_submitted_is_shown_after_the_process_data_changed(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    engine.deploy([("r.bpmn", REPORT_THEN_WAIT)], actor="designer")
    instance_id = engine.start("report_then_wait", {"until": "2021-06-01T00:00:00+03:00"}, unit="iao",
                               actor="iao").instance_id
    [task] = engine.list_tasks(instance_id=instance_id)
    engine.complete(task.id, org["iao"], {"summary": "Совещание проведено", "count_done": 3, "count_total": 4})
    # Moving the dates rewrites the data where the token waits, and the finished task it waits after.
    engine.reschedule(instance_id, {"report.summary": "переписано", "until": "2021-07-01T00:00:00+03:00"}, "iao")
    db.session.rollback()
    held = store.task_of(db.session.get(ProcessInstance, instance_id), task.id)
    assert held.data["report"]["summary"] == "переписано"

    shown = {item.label: item.value.text for item in engine.submitted(task.id, org["iao"])}
    assert shown["Что сделано"] == "Совещание проведено"
    assert shown["Выполнено (проведено, охвачено)"] == "3"
    assert len(kept(task.id)) == 1


def test_a_task_completed_before_the_history_is_read_from_the_workflow_as_before(org, clock_at):
    clock_at("2021-03-15T10:00:00+03:00")
    instance_id = start_check()
    task = only(instance_id, "checklist")
    engine.complete(task.id, org["tech17"], checklist(checked_on="2021-03-14"))
    db.session.execute(TaskSubmission.__table__.delete())  # as a database upgraded without carrying it over
    db.session.commit()
    shown = {item.label: item.value.text for item in engine.submitted(task.id, org["iao"]) if item.value}
    assert shown["Дата проверки"] == "14.03.2021"
    assert db.session.scalar(select(func.count()).select_from(TaskSubmission)) == 0


# --- the upgrade carries the audit trail's completions over ---------------------------------------------------------

@pytest.fixture(params=BACKENDS)
def at_0008(request, tmp_path):
    """An application on a database migrated up to revision 0008 (before the task history), per backend."""
    with own_database(request.param, tmp_path, "0008") as application:
        yield application


def _old_rows():
    """An instance with two tasks and its trail as revision 0008 kept them (naive UTC times)."""
    t = {name: sa.table(name, *(sa.column(c, kind) for c, kind in columns.items())) for name, columns in {
        "deployment": {"id": sa.Integer, "sha256": sa.String, "created_at": sa.DateTime},
        "process_instance": {"id": sa.Integer, "deployment_id": sa.Integer, "process_id": sa.String,
                             "status": sa.String, "state": sa.Text, "serializer_version": sa.String,
                             "lock_version": sa.Integer, "created_at": sa.DateTime, "updated_at": sa.DateTime},
        "human_task": {"id": sa.String, "instance_id": sa.Integer, "seq": sa.Integer, "bpmn_id": sa.String,
                       "state": sa.String, "created_at": sa.DateTime, "due_at": sa.DateTime},
        "audit_event": {"at": sa.DateTime, "actor": sa.String, "action": sa.String, "instance_id": sa.Integer,
                        "task_id": sa.String, "bpmn_id": sa.String, "task_name": sa.String, "summary": sa.JSON},
    }.items()}
    day = datetime(2021, 3, 15, 7, 0)
    db.session.execute(t["deployment"].insert(), [{"id": 1, "sha256": "0" * 64, "created_at": day}])
    db.session.execute(t["process_instance"].insert(), [{
        "id": 1, "deployment_id": 1, "process_id": "p", "status": "running", "state": "{}",
        "serializer_version": "1.5", "lock_version": 1, "created_at": day, "updated_at": day}])
    db.session.execute(t["human_task"].insert(), [
        {"id": "t1", "instance_id": 1, "seq": 1, "bpmn_id": "check", "state": "COMPLETED", "created_at": day,
         "due_at": datetime(2021, 3, 19, 20, 59, 59)},  # the end of 19 March, Moscow time
        {"id": "t2", "instance_id": 1, "seq": 2, "bpmn_id": "note", "state": "COMPLETED", "created_at": day,
         "due_at": None}])
    photo = {"attachment_id": 5, "filename": "j.png"}
    event = {"instance_id": 1, "bpmn_id": "check", "task_name": "Проверка"}
    db.session.execute(t["audit_event"].insert(), [
        {**event, "at": day, "actor": "tech17", "action": "claim", "task_id": "t1", "summary": None},
        {**event, "at": datetime(2021, 3, 21, 8, 30), "actor": "tech17", "action": "complete", "task_id": "t1",
         "summary": {"checked_on": "2021-03-15", "jammer": {"status": "faulty", "photo": photo}}},
        {**event, "at": day, "actor": "admin", "action": "complete", "task_id": None, "summary": {"x": 1}},
        {**event, "at": day, "actor": "admin", "action": "complete_as_admin", "task_id": "t2", "bpmn_id": "note",
         "summary": {"text": "x" * 300 + "…"}},  # trimmed by the trail: the workflow tells it better
        {**event, "at": day, "actor": "admin", "action": "complete_as_admin", "task_id": "t2", "bpmn_id": "note",
         "summary": {"text": "коротко"}},
    ])
    db.session.commit()


def test_the_upgrade_carries_over_the_completions_the_audit_trail_recorded(at_0008):
    _old_rows()
    upgrade()
    rows = [(r.task_id, r.bpmn_id, r.submitted_by, r.as_admin, r.data, r.files, r.late_days)
            for r in db.session.scalars(select(TaskSubmission).order_by(TaskSubmission.id))]
    assert rows == [
        ("t1", "check", "tech17", False, {"checked_on": "2021-03-15", "jammer": {
            "status": "faulty", "photo": {"attachment_id": 5, "filename": "j.png"}}},
         [{"field": "jammer.photo", "attachment_id": 5, "filename": "j.png"}], 2),
        ("t2", "note", "admin", True, {"text": "коротко"}, [], None)]
    assert db.session.scalar(select(TaskSubmission.submitted_at).where(TaskSubmission.task_id == "t1")) == \
        datetime.fromisoformat("2021-03-21T11:30:00+03:00")
    db.session.remove()
    downgrade(revision="0008")
    assert "task_submission" not in sa.inspect(db.engine).get_table_names()
