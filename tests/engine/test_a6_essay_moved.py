"""Scenario A6: the final essay is moved twice (2 Dec 2020 → 5 Apr 2021 → 15 Apr 2021) while the schools' instances
run. A supervisor changes the exam calendar; every open instance follows: the applications' deadline (14 days
before the essay), the wait for the essay day, and the deadlines after it. Then the results, and the pupils with
«незачёт» or an excused absence registered for 12 or 19 May. Through the service layer, on the manual clock."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import AuditEvent, Notification, ProcessInstance
from engine.plan import catalogue
from engine.plan import dates as plan_dates, running as plans
from tests.conftest import PROCESSES, deploy_files
from tests.engine.plan_patterns import add_users, attach, only, ready, refused, tick

SCHOOLS = ("school-12", "school-17", "school-33")


@pytest.fixture
def essay(org, clock_at):
    clock_at("2020-09-01T09:00:00+03:00")
    add_users()
    deploy_files(PROCESSES / "final_essay.bpmn")
    plan = plans.open_plan(catalogue.load_default(), actor="iao")
    clock_at("2020-11-01T09:00:00+03:00")
    started = {unit: engine.start("final_essay", {"plan_item": {"number": "3.12", "title": "Локальные приказы",
                                                               "section": 3}}, unit=unit, actor="plan").instance_id
               for unit in SCHOOLS}
    return plan, started


def applications(instance_id, essay_count=50, statement_count=2, ovz_count=2):
    return {"order_number": "112-о", "order_date": "2020-11-02", "order_scan": attach(instance_id, "prikaz.pdf"),
            "essay_count": essay_count, "statement_count": statement_count, "ovz_count": ovz_count}


def at(text):
    return datetime.fromisoformat(text)


def timer_of(instance_id):
    db.session.rollback()
    return db.session.get(ProcessInstance, instance_id).next_timer_at


def test_a6_the_essay_moves_twice_and_every_open_instance_follows(essay, people_of_schools, clock_at):
    plan, started = essay
    first = only(started["school-17"], "essay_applications")
    assert first.due_at == at("2020-11-18T23:59:59+03:00")
    assert first.name == "Итоговое сочинение 02.12.2020: приказ ОУ и заявления"
    assert (first.role, first.unit_code) == ("school_head", "school-17")

    # School 12 hands in on 10 Nov; claiming more изложение than pupils with ОВЗ is refused and changes nothing.
    clock_at("2020-11-10T10:00:00+03:00")
    task12 = only(started["school-12"], "essay_applications")
    head12 = people_of_schools["head12"]
    error = refused(started["school-12"], engine.complete, task12.id, head12,
                    applications(started["school-12"], statement_count=3, ovz_count=2))
    assert "Изложение вправе выбрать только участники с ОВЗ" in str(error.field_errors["statement_count"])
    engine.complete(task12.id, head12, applications(started["school-12"]))
    assert timer_of(started["school-12"]) == at("2020-12-03T09:00:00+03:00")  # waits for the essay day

    # The others are reminded on 15 Nov and escalated on 19 Nov.
    tick(clock_at, "2020-11-15T09:00:00")
    reminded = {n.unit_code for n in db.session.scalars(select(Notification).where(Notification.kind == "reminder"))}
    assert reminded == {"school-17", "school-33"}
    tick(clock_at, "2020-11-19T09:00:00")
    assert len(ready(started["school-17"], "essay_escalate")) == 1

    # 24 Nov: the essay moves to 5 Apr 2021. Every open instance follows.
    clock_at("2020-11-24T10:00:00+03:00")
    result = plan_dates.set_calendar_date(plan, "essay", date(2021, 4, 5), actor="iao")
    assert result["instances"] == 3 and result["failed"] == []
    moved = only(started["school-17"], "essay_applications")
    assert moved.id == first.id  # the same task, with its new deadline and title
    assert moved.due_at == at("2021-03-22T23:59:59+03:00")
    assert moved.name == "Итоговое сочинение 05.04.2021: приказ ОУ и заявления"
    # School 17's escalation is withdrawn: its applications are not late any more (issue 15 §10).
    assert ready(started["school-17"], "essay_escalate") == []
    # School 12's order names 2 Dec: it issues a new one and confirms its applications (3.12, issue 15 §2).
    reorder = only(started["school-12"], "essay_reorder")
    assert reorder.name == "Итоговое сочинение перенесено на 05.04.2021: новый приказ ОУ"
    assert reorder.due_at == at("2021-03-22T23:59:59+03:00")
    assert timer_of(started["school-12"]) is None  # no wait for the essay day before the new order
    clock_at("2020-11-25T10:00:00+03:00")
    engine.complete(reorder.id, head12, {**applications(started["school-12"]), "order_number": "140-о",
                                         "order_date": "2020-11-25"})
    assert timer_of(started["school-12"]) == at("2021-04-06T09:00:00+03:00")
    trail = db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == started["school-12"],
                                                        AuditEvent.action == "reschedule")).all()
    assert len(trail) == 1 and trail[0].actor == "iao"
    assert trail[0].summary["reason"] == "Календарь экзаменов: «Итоговое сочинение (изложение)» — теперь 05.04.2021."

    # School 33 hands in on 1 Dec; 29 Mar: the essay moves again, to 15 Apr. The applications of school 17 are
    # now due 1 Apr, and the waits follow.
    clock_at("2020-12-01T10:00:00+03:00")
    engine.complete(only(started["school-33"], "essay_applications").id, people_of_schools["head33"],
                    applications(started["school-33"], essay_count=30, statement_count=0, ovz_count=0))
    assert ready(started["school-33"], "essay_escalate") == []  # the escalation closed with the work
    clock_at("2021-03-29T10:00:00+03:00")
    result = plan_dates.set_calendar_date(plan, "essay", date(2021, 4, 15), actor="iao")
    assert result["instances"] == 3 and result["failed"] == []
    assert only(started["school-17"], "essay_applications").due_at == at("2021-04-01T23:59:59+03:00")
    for unit, head in (("school-12", head12), ("school-33", people_of_schools["head33"])):
        reorder = only(started[unit], "essay_reorder")
        assert reorder.due_at == at("2021-04-01T23:59:59+03:00")
        engine.complete(reorder.id, head, {**applications(started[unit], essay_count=50 if unit == "school-12" else 30,
                                                          statement_count=2 if unit == "school-12" else 0,
                                                          ovz_count=2 if unit == "school-12" else 0),
                                           "order_number": "77-о", "order_date": "2021-03-29"})
    assert timer_of(started["school-12"]) == at("2021-04-16T09:00:00+03:00")
    assert timer_of(started["school-33"]) == at("2021-04-16T09:00:00+03:00")

    # Nothing happens on the old dates.
    tick(clock_at, "2021-04-06T09:00:00")
    assert ready(started["school-12"], "essay_results") == []

    # The day after the essay the results are asked for, due 25 Apr.
    tick(clock_at, "2021-04-16T09:00:00")
    db.session.rollback()
    assert db.session.get(ProcessInstance, started["school-12"]).status_text == (
        "сочинение проведено 15.04.2021, ожидаются результаты (участников: 52)")
    results = only(started["school-12"], "essay_results")
    assert results.due_at == at("2021-04-25T23:59:59+03:00")
    wrong = {"passed": 48, "failed": 2, "absent_excused": 1, "absent": 0}  # 51, not the 52 who applied
    error = refused(started["school-12"], engine.complete, results.id, head12, wrong)
    assert "должна равняться числу участников по заявлениям (52)" in str(error.field_errors["passed"])
    engine.complete(results.id, head12, {**wrong, "absent": 1})

    # «Незачёт» and the excused absence are registered for 12 or 19 May, all of them.
    retakes = only(started["school-12"], "essay_retakes")
    assert retakes.due_at == at("2021-04-28T23:59:59+03:00")
    assert "12.05.2021" in retakes.name and "19.05.2021" in retakes.name
    error = refused(started["school-12"], engine.complete, retakes.id, head12, {"first": 1, "second": 1})
    assert "3 чел." in str(error.field_errors["first"])
    engine.complete(retakes.id, head12, {"first": 2, "second": 1})
    db.session.rollback()
    done = db.session.get(ProcessInstance, started["school-12"])
    assert done.status == "completed"
    assert done.status_text == "зачёт: 48, незачёт: 2; на дополнительные сроки 12.05.2021: 2, 19.05.2021: 1"

    # School 33 had no «незачёт»: no registration task.
    engine.complete(only(started["school-33"], "essay_results").id, people_of_schools["head33"],
                    {"passed": 30, "failed": 0, "absent_excused": 0, "absent": 0})
    db.session.rollback()
    assert db.session.get(ProcessInstance, started["school-33"]).status_text == "зачёт: 30, незачёт: 0"


def test_a6_another_school_is_not_offered_the_task_and_a_finished_instance_is_left_alone(essay, people_of_schools,
                                                                                       clock_at):
    plan, started = essay
    head12 = people_of_schools["head12"]
    assert ready(started["school-17"], user=head12) == []
    with pytest.raises(engine.EngineError):
        engine.complete(only(started["school-17"], "essay_applications").id, head12,
                        applications(started["school-17"]))
    engine.cancel(started["school-33"], actor="admin")
    clock_at("2020-11-24T10:00:00+03:00")
    result = plan_dates.set_calendar_date(plan, "essay", date(2021, 4, 5), actor="iao")
    assert result["instances"] == 2  # the cancelled one is not touched
    db.session.rollback()
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == started["school-33"],
                                                       AuditEvent.action == "reschedule")).all() == []


@pytest.fixture
def people_of_schools(org):
    return {**org, **add_users()}


def test_a6_another_date_of_the_calendar_moving_asks_for_no_new_order(essay, people_of_schools, clock_at):
    plan, started = essay
    clock_at("2020-11-10T10:00:00+03:00")
    engine.complete(only(started["school-12"], "essay_applications").id, people_of_schools["head12"],
                    applications(started["school-12"]))
    clock_at("2020-11-24T10:00:00+03:00")
    plan_dates.set_calendar_date(plan, "interview", date(2021, 2, 17), actor="iao")
    assert ready(started["school-12"], "essay_reorder") == []
    assert timer_of(started["school-12"]) == at("2020-12-03T09:00:00+03:00")
    tick(clock_at, "2020-12-03T09:00:00")
    assert only(started["school-12"], "essay_results").due_at == at("2020-12-12T23:59:59+03:00")
