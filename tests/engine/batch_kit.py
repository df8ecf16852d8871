"""Instances for batch tests and the batch bench: a PPE check whose first script reads the exam calendar and fails
while the calendar has no date for «batch_day» (an honest outside cause: the supervisor has not set the date yet);
once the date is set, retrying the failed step succeeds without touching the instance's data. Its one human task
(the PPE's technician, by lane) has a deadline read from the variable `due`, so it can be moved."""
from datetime import date, datetime, timezone

import engine
from engine import clock
from engine.db import db
from engine.models import Plan, ProcessInstance
from tests.conftest import process_xml

PROCESS_ID = "batch_check"
CALENDAR_KEY = "batch_day"

DIAGRAM = process_xml(
    '<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="Технический специалист ППЭ">'
    '<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>n1</bpmn:flowNodeRef>'
    '<bpmn:flowNodeRef>n2</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>\n'
    '<bpmn:startEvent id="start"/>\n'
    f'<bpmn:scriptTask id="n1" name="Срок по календарю"><bpmn:script>due = add_days(calendar_date("{CALENDAR_KEY}"), 3)'
    '</bpmn:script></bpmn:scriptTask>\n'
    '<bpmn:userTask id="n2" name="Проверка ППЭ"><bpmn:extensionElements><spiffworkflow:properties>'
    '<spiffworkflow:property name="due" value="due"/></spiffworkflow:properties></bpmn:extensionElements>'
    '</bpmn:userTask>\n<bpmn:endEvent id="end"/>\n'
    '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="n1"/>\n'
    '<bpmn:sequenceFlow id="f1" sourceRef="n1" targetRef="n2"/>\n'
    '<bpmn:sequenceFlow id="f2" sourceRef="n2" targetRef="end"/>', PROCESS_ID)


def prepare() -> None:
    """Deploy the diagram and open a plan whose calendar has the entry but no date yet."""
    engine.deploy([("batch_check.bpmn", DIAGRAM)], actor="admin")
    with engine.transaction() as session:
        session.add(Plan(year="2020/21", title="План", status="open", calendar={CALENDAR_KEY: {"title": "День"}},
                         school_year_starts=date(2020, 9, 1), school_year_ends=date(2021, 8, 31),
                         opened_at=datetime(2020, 9, 1, tzinfo=timezone.utc)))


def set_day(day: str | None) -> None:
    """Give the calendar entry a date (None: take it away again)."""
    with engine.transaction() as session:
        plan = session.query(Plan).one()
        plan.calendar = {CALENDAR_KEY: {"title": "День", **({"date": day} if day else {})}}


def failing(n: int, unit: str = "ppe-17") -> list[int]:
    """`n` instances in error at their first script (call while the calendar has no date)."""
    ids = []
    for _ in range(n):
        try:
            engine.start(PROCESS_ID, {}, unit=unit, actor="iao")
        except engine.ProcessError as exc:
            ids.append(exc.instance_id)
        else:
            raise AssertionError("the script did not fail: the calendar has a date")
    return ids


def running(n: int, unit: str = "ppe-17") -> list[int]:
    """`n` instances waiting at the technician's task (call once the calendar has a date)."""
    return [engine.start(PROCESS_ID, {}, unit=unit, actor="iao").instance_id for _ in range(n)]


def statuses(ids) -> dict[int, str]:
    db.session.expire_all()
    rows = db.session.query(ProcessInstance.id, ProcessInstance.status).filter(ProcessInstance.id.in_(ids))
    return dict(rows.all())


def today() -> date:
    return clock.now().astimezone(clock.local_zone()).date()
