"""A school reports after each event of the exam calendar, retakes included (issue 15 §2, item 5.2: the final essay
and the oral interview), and each report moves when its event moves (processes/plan_event_reports.bpmn)."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import ProcessInstance
from engine.plan import catalogue
from engine.plan import dates as plan_dates, running as plans
from tests.conftest import PROCESSES, deploy_files
from tests.engine.plan_patterns import add_users, only, ready, tick

EVENTS = [{"key": "essay", "title": "итоговое сочинение"}, {"key": "interview", "title": "итоговое собеседование"},
          {"key": "essay_retake_1", "title": "итоговое сочинение, дополнительный срок"}]
PLAN_5_2 = {"number": "5.2", "title": "Проведение итогового сочинения и итогового собеседования", "section": 5}


@pytest.fixture
def reports(org, clock_at):
    clock_at("2020-09-01T09:00:00+03:00")
    people = {**org, **add_users()}
    deploy_files(PROCESSES / "plan_event_reports.bpmn")
    plan = plans.open_plan(catalogue.load_default(), actor="iao")
    clock_at("2020-11-25T10:00:00+03:00")
    started = engine.start("plan_event_reports", {
        "plan_item": PLAN_5_2, "starts": "2020-12-02", "due": "2021-05-12", "lead_role": "school_head",
        "params": {"events": EVENTS, "report": "участники, неявки, акты"}}, unit="school-12", actor="plan")
    return plan, started.instance_id, people


def next_timer(instance_id):
    db.session.rollback()
    return db.session.get(ProcessInstance, instance_id).next_timer_at


def test_a_report_follows_each_event_and_moves_with_it(reports, clock_at):
    plan, report, people = reports
    assert ready(report) == [] and next_timer(report) == datetime.fromisoformat("2020-12-03T09:00:00+03:00")

    # 30 Nov: the essay moves to 5 Apr; the interview comes first now.
    clock_at("2020-11-30T10:00:00+03:00")
    plan_dates.set_calendar_date(plan, "essay", date(2021, 4, 5), actor="iao")
    assert next_timer(report) == datetime.fromisoformat("2021-02-11T09:00:00+03:00")
    tick(clock_at, "2020-12-03T09:30:00")
    assert ready(report) == []

    for _ in range(2):
        tick(clock_at, "2021-02-11T09:30:00")
    interview = only(report, "event_report")
    assert interview.name == "Отчёт: итоговое собеседование 10.02.2021"
    assert interview.due_at == datetime.fromisoformat("2021-02-13T23:59:59+03:00")
    assert (interview.role, interview.unit_code) == ("school_head", "school-12")
    engine.complete(interview.id, people["head12"], {"summary": "Собеседование проведено", "count_done": 98,
                                                     "count_total": 101})

    # 29 Mar: the essay moves again, to 15 Apr; its report follows.
    clock_at("2021-03-29T10:00:00+03:00")
    plan_dates.set_calendar_date(plan, "essay", date(2021, 4, 15), actor="iao")
    tick(clock_at, "2021-04-06T09:30:00")
    assert ready(report) == []
    for _ in range(2):
        tick(clock_at, "2021-04-16T09:30:00")
    essay = only(report, "event_report")
    assert (essay.name, essay.due_at) == ("Отчёт: итоговое сочинение 15.04.2021",
                                          datetime.fromisoformat("2021-04-18T23:59:59+03:00"))
    clock_at("2021-04-20T10:00:00+03:00")  # two days late
    engine.complete(essay.id, people["head12"], {"summary": "Сочинение проведено"})

    for _ in range(2):
        tick(clock_at, "2021-05-13T09:30:00")
    retake = only(report, "event_report")
    assert retake.name == "Отчёт: итоговое сочинение, дополнительный срок 12.05.2021"
    engine.complete(retake.id, people["head12"], {"summary": "Пересдача проведена"})
    db.session.rollback()
    done = db.session.get(ProcessInstance, report)
    assert (done.status, done.late_days, done.status_text) == ("completed", 2,
                                                               "отчёты сданы, с опозданием до 2 дн.")
