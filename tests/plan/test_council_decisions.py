"""Item 3.24 as the department reads it (issue 15 §2): three binding decisions of each school's pedagogical council,
each a task with its own deadline from the exam calendar (the ЕГЭ choices by 1 February, the ОГЭ choices by
1 March, the admission to the exams on the eve of the exam period), each handed in as the council's protocol, each
late one escalated like a report, each moving when its calendar date moves (processes/plan_council_decisions.bpmn)."""
from datetime import date

import pytest
from sqlalchemy import select

import engine
from cli.demo import deploy_processes
from engine.db import db
from engine.errors import InvalidData
from engine.models import HumanTask, PlanItem, ProcessInstance, Unit
from engine.plan import catalogue as plan_catalogue
from engine.plan import dates as plan_dates, running as plans
from tests.conftest import stored_pdf
from tests.engine.plan_patterns import tick

SCHOOL = "school-12"
EGE, OGE, ADMISSION = ("Педсовет: выбор экзаменов ЕГЭ (ГИА-11)", "Педсовет: выбор экзаменов ОГЭ (ГИА-9)",
                       "Педсовет: допуск обучающихся к ГИА")


@pytest.fixture
def decisions(org, clock_at):
    """The plan opened on 1 September; 3.24 starts on 1 November for every school."""
    clock_at("2020-09-01T09:30:00+03:00")
    deploy_processes()
    plan = plans.open_plan(plan_catalogue.load_default(), actor="iao")
    clock_at("2020-11-02T09:30:00+03:00")
    plans.start_due_items()
    return plan, _instance()


def _instance() -> int:
    return db.session.scalar(select(ProcessInstance.id).join(PlanItem).where(PlanItem.number == "3.24",
                                                                            ProcessInstance.unit_code == SCHOOL))


def open_tasks(instance_id) -> dict[str, HumanTask]:
    """The instance's open decisions by their title without the deadline («Педсовет: …, до 01.02.2021»)."""
    db.session.rollback()
    return {task.name.split(", до ")[0]: task for task in db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.bpmn_id == "decision_task",
                                HumanTask.state == "READY"))}


def escalations(instance_id, bpmn_id="decision_escalate") -> list[HumanTask]:
    db.session.rollback()
    return list(db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                           HumanTask.bpmn_id == bpmn_id, HumanTask.state == "READY")))


def due_day(task: HumanTask) -> date:
    return task.due_at.astimezone(engine.clock.local_zone()).date()


def hand_in(org, task: HumanTask, held_on: str, number: str):
    engine.complete(task.id, org["head12"], {"held_on": held_on, "number": number,
                                             "document": stored_pdf("protocol.pdf", "head12")})


def test_the_item_runs_the_three_decisions_for_every_school_until_the_eve_of_the_exams(decisions):
    entry = plan_catalogue.load_default().entry("3.24")
    assert (entry.process, entry.scope, entry.lead_role) == ("plan_council_decisions", "schools", "school_head")
    assert (entry.starts, entry.due) == (date(2020, 11, 1), date(2021, 5, 23))
    assert "window_adjusted" in [a.code for a in entry.anomalies]
    started = db.session.scalars(select(ProcessInstance.unit_code).join(PlanItem).where(PlanItem.number == "3.24"))
    assert sorted(started) == sorted(db.session.scalars(select(Unit.code).where(Unit.kind == "school")))


def test_a_school_gets_the_choices_now_and_the_admission_a_month_before_the_exams(decisions, org, clock_at):
    _, instance_id = decisions
    tasks = open_tasks(instance_id)
    assert sorted(tasks) == [EGE, OGE]
    assert due_day(tasks[EGE]) == date(2021, 2, 1) and due_day(tasks[OGE]) == date(2021, 3, 1)
    assert {(t.role, t.unit_code, t.form_key) for t in tasks.values()} == {
        ("school_head", SCHOOL, "plan_council_decision")}

    clock_at("2021-01-20T10:00:00+03:00")
    with pytest.raises(InvalidData):  # the protocol itself is what the department files
        engine.complete(tasks[EGE].id, org["head12"], {"held_on": "2021-01-18", "number": "5"})
    with pytest.raises(InvalidData):
        hand_in(org, tasks[EGE], "2021-01-21", "5")  # a council that has not met yet
    hand_in(org, tasks[EGE], "2021-01-18", "5")
    clock_at("2021-02-20T10:00:00+03:00")
    hand_in(org, tasks[OGE], "2021-02-19", "6")
    tick(clock_at, "2021-04-22T09:30:00")
    assert open_tasks(instance_id) == {}
    for _ in range(2):  # the wait ends on 23 April, a month before the eve of the exams (24 May)
        tick(clock_at, "2021-04-23T09:30:00")
    admission = open_tasks(instance_id)[ADMISSION]
    assert due_day(admission) == date(2021, 5, 23)

    clock_at("2021-05-20T10:00:00+03:00")
    hand_in(org, admission, "2021-05-20", "9")
    db.session.rollback()
    done = db.session.get(ProcessInstance, instance_id)
    data = engine.detail(instance_id)["data"]
    assert (done.status, done.late_days, done.status_text) == ("completed", 0,
                                                               "все решения педсовета представлены в срок")
    assert sorted((p["key"], p["number"], p["held_on"]) for p in data["protocols"]) == [
        ("admission", "9", "2021-05-20"), ("ege_choices", "5", "2021-01-18"), ("oge_choices", "6", "2021-02-19")]


def test_moving_the_gia9_applications_deadline_moves_the_oge_decision_only(decisions, clock_at):
    plan, instance_id = decisions
    clock_at("2020-12-01T10:00:00+03:00")
    plan_dates.set_calendar_date(plan, "gia9_applications_deadline", date(2021, 3, 5), actor="iao")
    tasks = open_tasks(instance_id)
    assert due_day(tasks[OGE]) == date(2021, 3, 5) and due_day(tasks[EGE]) == date(2021, 2, 1)
    assert tasks[OGE].name == "Педсовет: выбор экзаменов ОГЭ (ГИА-9), до 05.03.2021"

    # The exam period moved a week later: the admission is asked for a month before its new eve.
    plan_dates.set_calendar_date(plan, "gia_period", date(2021, 5, 31), date(2021, 7, 17), actor="iao")
    for _ in range(2):
        tick(clock_at, "2021-04-23T09:30:00")
    assert ADMISSION not in open_tasks(instance_id)
    for _ in range(2):
        tick(clock_at, "2021-04-30T09:30:00")
    assert due_day(open_tasks(instance_id)[ADMISSION]) == date(2021, 5, 30)


def test_a_late_decision_escalates_and_a_moved_deadline_withdraws_the_escalation(decisions, org, clock_at):
    plan, instance_id = decisions
    clock_at("2021-01-25T10:00:00+03:00")
    hand_in(org, open_tasks(instance_id)[EGE], "2021-01-22", "4")
    for _ in range(2):  # the ОГЭ choices were due on 1 March
        tick(clock_at, "2021-03-02T09:30:00")
    assert [(t.role, t.name.split(":")[0]) for t in escalations(instance_id)] == [
        ("iao_head", "Нет решения педсовета (выбор экзаменов ОГЭ (ГИА-9))")]

    # The ministry extends the ГИА-9 applications to 10 March: the escalation is withdrawn until then.
    clock_at("2021-03-02T12:00:00+03:00")
    plan_dates.set_calendar_date(plan, "gia9_applications_deadline", date(2021, 3, 10), actor="iao")
    assert escalations(instance_id) == []
    assert due_day(open_tasks(instance_id)[OGE]) == date(2021, 3, 10)
    for _ in range(2):  # the new deadline missed as well: escalated again, then to the head of the department
        tick(clock_at, "2021-03-11T09:30:00")
    assert len(escalations(instance_id)) == 1
    for _ in range(2):
        tick(clock_at, "2021-03-14T09:30:00")
    assert [t.role for t in escalations(instance_id, "decision_escalate_guo")] == ["guo_head"]

    clock_at("2021-03-15T10:00:00+03:00")
    hand_in(org, open_tasks(instance_id)[OGE], "2021-03-15", "7")
    assert escalations(instance_id) == escalations(instance_id, "decision_escalate_guo") == []
    assert sorted(open_tasks(instance_id)) == []  # the admission is asked for in April
