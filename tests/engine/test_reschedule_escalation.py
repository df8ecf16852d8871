"""Moving a date moves what depends on it (issue 15 §10): a school's report escalated for the old deadline has its
escalations withdrawn when the deadline moves past today, and they are raised again only if the new deadline is
missed too (plan_school_report catches the signal deadline_moved that rescheduling sends)."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import AuditEvent, HumanTask, Notification
from tests.engine.plan_patterns import add_users, deploy_patterns, instance, only, ready, rows, start_pattern, tick


@pytest.fixture
def people(org):
    deploy_patterns()
    return {**org, **add_users()}


def overdue_report(clock_at, until="2020-12-08T09:30:00"):
    """School 33's report for 4.13, due 7 Dec 2020, left undone until `until` (escalated on 8 Dec, again on 11)."""
    clock_at("2020-12-01T10:00:00+03:00")
    report = start_pattern("plan_school_report", unit="school-33", lead_role="school_head",
                           params={"report": "Отчёт о родительских собраниях"})
    for _ in range(2):
        tick(clock_at, until)
    return report


def texts(kind) -> list[str]:
    db.session.rollback()
    return [n.text for n in db.session.scalars(select(Notification).where(Notification.kind == kind)
                                               .order_by(Notification.id))]


def test_school_33s_escalation_is_withdrawn_when_its_deadline_moves_and_raised_again_after_the_new_one(people,
                                                                                                       clock_at):
    report = overdue_report(clock_at)
    escalated = only(report, "report_escalate")
    assert escalated.role == "iao_head"

    clock_at("2020-12-09T11:00:00+03:00")
    engine.reschedule(report, {"due": "2020-12-14"}, "iao", reason="4.13: срок продлён до 14.12.2020")

    assert ready(report, "report_escalate") == []
    assert rows(report)["report_escalate"][0] == ("CANCELLED", "iao_head")  # then the one foreseen after the new date
    assert only(report, "report_task").due_at == datetime.fromisoformat("2020-12-14T23:59:59+03:00")
    assert texts("info") == ["Эскалация отозвана: срок отчёта МБОУ «СОШ №33» по пункту плана 4.13 перенесён на "
                             "14.12.2020."]
    history = [h["name"] for h in engine.detail(report)["history"]]
    assert "Эскалация отозвана: срок перенесён" in history
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.instance_id == report,
                                                        AuditEvent.action == "reschedule")).one()
    assert audit.summary["reason"] == "4.13: срок продлён до 14.12.2020"
    # The escalation waits for the new deadline: the day after it, at 09:00 (the reminder has fired already).
    assert instance(report).next_timer_at == datetime.fromisoformat("2020-12-15T09:00:00+03:00")

    tick(clock_at, "2020-12-14T18:00:00")
    assert ready(report, "report_escalate") == []
    for _ in range(2):
        tick(clock_at, "2020-12-15T09:30:00")
    again = only(report, "report_escalate")
    assert again.id != escalated.id and again.role == "iao_head"
    assert texts("escalation")[-1] == ("Эскалация: МБОУ «СОШ №33» не сдал(а) отчёт по пункту плана 4.13 к "
                                       "14.12.2020.")


def test_both_escalations_are_withdrawn_and_the_long_one_waits_four_days_after_the_new_deadline(people, clock_at):
    report = overdue_report(clock_at, until="2020-12-11T09:30:00")
    assert only(report, "report_escalate_guo").role == "guo_head"

    clock_at("2020-12-11T12:00:00+03:00")
    engine.reschedule(report, {"due": "2020-12-14"}, "iao", reason="4.13: срок продлён")
    assert [t.bpmn_id for t in ready(report)] == ["report_task"]
    assert rows(report)["report_escalate_guo"][0] == ("CANCELLED", "guo_head")

    for _ in range(2):
        tick(clock_at, "2020-12-15T09:30:00")
    assert only(report, "report_escalate").role == "iao_head" and ready(report, "report_escalate_guo") == []
    for _ in range(2):
        tick(clock_at, "2020-12-18T09:30:00")
    assert only(report, "report_escalate_guo").role == "guo_head"

    # Handing the report in ends every escalation, as before the move.
    task = only(report, "report_task")
    clock_at("2020-12-18T12:00:00+03:00")
    assert engine.complete(task.id, people["head33"], {"summary": "Собрания проведены"}).status == "completed"
    assert engine.detail(report)["data"]["late_days"] == 4
    assert ready(report) == []


def test_an_escalation_stands_when_the_deadline_is_moved_to_a_day_that_has_passed_too(people, clock_at):
    report = overdue_report(clock_at)
    clock_at("2020-12-09T11:00:00+03:00")
    engine.reschedule(report, {"due": "2020-12-08"}, "iao", reason="4.13: срок уточнён")
    assert only(report, "report_escalate").role == "iao_head"
    assert texts("info") == []


def test_a_department_tasks_escalation_is_withdrawn_when_its_deadline_moves(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    task = start_pattern("plan_dept_task")
    for _ in range(2):
        tick(clock_at, "2020-12-08T09:30:00")
    assert only(task, "do_escalate").role == "iao_head"
    clock_at("2020-12-09T11:00:00+03:00")
    engine.reschedule(task, {"due": "2020-12-21"}, "iao", reason="4.13: срок продлён")
    assert [t.bpmn_id for t in ready(task)] == ["do_task"]
    assert rows(task)["do_escalate"][0] == ("CANCELLED", "iao_head")
    assert instance(task).next_timer_at == datetime.fromisoformat("2020-12-22T09:00:00+03:00")


def test_an_operator_moving_the_reports_deadline_withdraws_the_escalation_too(people, clock_at):
    report = overdue_report(clock_at)
    clock_at("2020-12-09T11:00:00+03:00")
    engine.move_task_due(only(report, "report_task").id, date(2020, 12, 11), "operator", "школа на карантине")
    assert ready(report, "report_escalate") == []
    assert texts("info") == ["Эскалация отозвана: срок отчёта МБОУ «СОШ №33» по пункту плана 4.13 перенесён на "
                             "11.12.2020."]
