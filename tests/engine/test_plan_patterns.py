"""The plan's reusable patterns through the service layer, with the manual clock: a school's report that misses its
deadline (scenario A5) and one handed in on time; a department task whose lead role comes from the start data
(`role_expression`); a year-long activity with quarterly check-ins (the city order, scenario A11, is in
test_a11_order.py). Refused submissions change nothing."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import EmailOutbox, HumanTask
from tests.conftest import linear
from tests.engine.plan_patterns import (add_users, attach, deploy_patterns, instance, notes, only, ready, refused, rows,
                                        start_pattern, tick)

PLAN_1_1 = {"number": "1.1", "title": "Мониторинг подготовки ОУ к ГИА", "section": 1}


@pytest.fixture
def people(org):
    deploy_patterns()
    return {**org, **add_users()}







# --- plan_school_report: scenario A5 ------------------------------------------------------------------------------

def test_a5_school_33_misses_the_deadline_is_reminded_escalated_twice_and_hands_in_5_days_late(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    report = start_pattern("plan_school_report", unit="school-33", lead_role="school_head",
                           params={"report": "Отчёт о проведённых родительских собраниях", "document": "optional"})
    task = only(report, "report_task")
    assert (task.role, task.unit_code) == ("school_head", "school-33")
    assert task.name == "Отчёт: 4.13 Проведение родительских собраний по вопросам ГИА"
    assert task.due_at == datetime.fromisoformat("2020-12-07T23:59:59+03:00")
    assert task.columns == {"ОУ": "МБОУ «СОШ №33»", "Пункт плана": "4.13"}
    assert instance(report).status_text == "ожидает отчёта до 07.12.2020"

    # Privacy: the head of school 12 is not offered school 33's report, cannot open, claim or complete it.
    assert [t.id for t in ready(report, user=people["head33"])] == [task.id]
    assert ready(report, user=people["head12"]) == []
    with pytest.raises(engine.NotFound):
        engine.readable_task(task.id, people["head12"])
    with pytest.raises(engine.PermissionDenied):
        engine.claim(task.id, people["head12"])
    with pytest.raises(engine.PermissionDenied):
        engine.complete(task.id, people["head12"], {"summary": "Чужой отчёт"})

    tick(clock_at, "2020-12-04T08:59:00")
    assert notes() == []  # the reminder is due at 09:00 on 4 Dec, not before
    tick(clock_at, "2020-12-04T09:30:00")
    tick(clock_at, "2020-12-04T09:30:00")
    assert notes() == [("reminder", "school_head", "school-33")]

    tick(clock_at, "2020-12-07T18:00:00")
    assert ready(report, "report_escalate") == []
    for _ in range(2):  # a second sweep fires nothing twice
        tick(clock_at, "2020-12-08T09:30:00")
    escalated = only(report, "report_escalate")
    assert escalated.role == "iao_head" and escalated.name == "Просрочен отчёт 4.13: МБОУ «СОШ №33»"
    assert [t.id for t in ready(report, user=people["iao_head"])] == [escalated.id]
    assert notes("escalation") == [("escalation", "iao_head", None)]

    tick(clock_at, "2020-12-10T09:30:00")
    assert ready(report, "report_escalate_guo") == []
    for _ in range(2):
        tick(clock_at, "2020-12-11T09:30:00")
    assert only(report, "report_escalate_guo").role == "guo_head"
    assert notes("escalation") == [("escalation", "iao_head", None), ("escalation", "guo_head", None)]
    assert only(report, "report_task").id == task.id  # the school keeps its task

    clock_at("2020-12-12T11:00:00+03:00")
    result = engine.complete(task.id, people["head33"], {"summary": "Собрания проведены 10 и 11 декабря",
                                                         "count_done": 3, "count_total": 3})
    assert result.status == "completed" and ready(report) == []
    data = engine.detail(report)["data"]
    assert (data["submitted_on"], data["late_days"], data["status_text"]) == (
        "2020-12-12", 5, "сдано с опозданием на 5 дн.")
    assert data["report"]["count_done"] == 3
    assert instance(report).status_text == "сдано с опозданием на 5 дн."
    assert rows(report) == {"report_task": [("COMPLETED", "school_head")],
                            "report_escalate": [("CANCELLED", "iao_head")],
                            "report_escalate_guo": [("CANCELLED", "guo_head")]}
    assert len(notes()) == 3


def test_a_report_handed_in_on_time_never_escalates(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    report = start_pattern("plan_school_report", unit="school-17", lead_role="school_head")
    clock_at("2020-12-03T15:00:00+03:00")
    engine.complete(only(report, "report_task").id, people["head17"], {"summary": "Собрания проведены"})
    for day in ("2020-12-04T09:30:00", "2020-12-08T09:30:00", "2020-12-11T09:30:00", "2020-12-20T09:30:00"):
        tick(clock_at, day)
    data = engine.detail(report)["data"]
    assert (data["late_days"], data["status_text"]) == (0, "сдано в срок")
    assert instance(report).status == "completed" and notes() == []
    assert list(rows(report)) == ["report_task"]


def test_invalid_reports_are_refused_and_change_nothing(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    report = start_pattern("plan_school_report", unit="school-33", lead_role="school_head",
                           params={"document": "required"})
    task = only(report, "report_task")
    head = people["head33"]
    document = attach(report)
    cases = [({"count_done": 1, "count_total": 2, "document": document}, "summary"),
             ({"summary": "Проведено", "count_done": 5, "count_total": 3, "document": document}, "count_done"),
             ({"summary": "Проведено", "count_total": -1, "document": document}, "count_total"),
             ({"summary": "Проведено", "count_done": 2, "count_total": 3}, "document")]
    for data, field in cases:
        error = refused(report, engine.complete, task.id, head, data)
        assert list(error.field_errors) == [field], error.field_errors
    assert "Выполнено не может быть больше" in refused(report, engine.complete, task.id, head, cases[1][0]).message

    result = engine.complete(task.id, head, {"summary": "Проведено", "count_done": 3, "count_total": 3,
                                             "document": document})
    assert result.status == "completed"
    assert engine.detail(report)["data"]["report"]["document"]["filename"] == "protocol.pdf"


def test_a_ppe_report_goes_to_the_head_of_the_host_school(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    report = start_pattern("plan_school_report", unit="ppe-17", lead_role="school_head")
    task = only(report, "report_task")
    assert (task.role, task.unit_code, task.columns["ОУ"]) == ("school_head", "school-17", "ППЭ №17 (на базе СОШ №17)")
    assert [t.id for t in ready(report, user=people["head17"])] == [task.id]
    assert ready(report, user=people["head12"]) == []


# --- plan_dept_task: the lead role comes from the start data ------------------------------------------------------

def test_role_expression_offers_the_task_to_the_lead_role_of_the_start_data(people, clock_at):
    engine.ensure_user("mo", email="mo@gia.example")
    engine.ensure_user("iao", email="iao@gia.example")
    clock_at("2020-12-01T10:00:00+03:00")
    task_instance = start_pattern("plan_dept_task", lead_role="mo_specialist", escalate_to="mo_head",
                                  params={"evidence": "required"})
    task = only(task_instance, "do_task")
    assert (task.role, task.unit_code, task.name) == ("mo_specialist", "guo",
                                                      "4.13 Проведение родительских собраний по вопросам ГИА")
    mo, iao = people["mo"], people["iao"]
    assert [t.id for t in ready(task_instance, user=mo)] == [task.id]
    assert ready(task_instance, user=iao) == []
    mailed = db.session.scalars(select(EmailOutbox.to_addr).where(EmailOutbox.event_key.like(f"assign:{task.id}:%")))
    assert list(mailed) == ["mo@gia.example"]
    with pytest.raises(engine.PermissionDenied):
        engine.claim(task.id, iao)
    with pytest.raises(engine.PermissionDenied):
        engine.complete(task.id, iao, {"summary": "Сделано", "done_on": "2020-12-01"})

    engine.claim(task.id, mo)
    tomorrow = {"summary": "Семинар проведён", "done_on": "2020-12-02", "document": attach(task_instance)}
    assert list(refused(task_instance, engine.complete, task.id, mo, tomorrow).field_errors) == ["done_on"]
    no_document = {"summary": "Семинар проведён", "done_on": "2020-12-01"}
    assert list(refused(task_instance, engine.complete, task.id, mo, no_document).field_errors) == ["document"]

    result = engine.complete(task.id, mo, {**no_document, "document": attach(task_instance)})
    assert result.status == "completed"
    data = engine.detail(task_instance)["data"]
    assert (data["late_days"], data["status_text"], data["evidence"]["done_on"]) == (0, "сдано в срок", "2020-12-01")
    assert rows(task_instance) == {"do_task": [("COMPLETED", "mo_specialist")]}  # the row keeps the role it was given


def test_escalation_goes_to_the_escalate_to_role_of_the_start_data(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    task_instance = start_pattern("plan_dept_task", lead_role="mo_specialist", escalate_to="mo_head")
    tick(clock_at, "2020-12-04T09:30:00")
    assert notes() == [("reminder", "mo_specialist", "guo")]
    tick(clock_at, "2020-12-08T09:30:00")
    assert only(task_instance, "do_escalate").role == "mo_head"
    assert notes("escalation") == [("escalation", "mo_head", None)]


def test_an_unknown_lead_role_puts_the_instance_in_error_with_a_clear_message(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    with pytest.raises(engine.ProcessError) as failed:
        start_pattern("plan_dept_task", lead_role="mo_specalist")
    message = failed.value.message
    # (the wording is translated; the task, the property and the value are not)
    assert "do_task" in message and "role_expression" in message and "'mo_specalist'" in message
    row = instance(failed.value.instance_id)
    assert row.status == "error" and row.error == message
    assert db.session.scalar(select(HumanTask.id).where(HumanTask.role == "mo_specalist")) is None


def test_deploy_compiles_role_expression_and_checks(app, deploy_xml):
    for name in ("role_expression", "checks"):
        bad = linear('<bpmn:userTask id="n1"><bpmn:extensionElements><spiffworkflow:properties>'
                     f'<spiffworkflow:property name="{name}" value="lead_role +"/>'
                     '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')
        with pytest.raises(engine.InvalidDefinition) as refusal:
            deploy_xml(bad)
        [problem] = refusal.value.found
        assert (problem.element, problem.element_type, problem.line) == ("n1", "userTask", 5)
        assert problem.message == f"свойство {name}: синтаксическая ошибка в «lead_role +»: неверный синтаксис"
        assert str(problem) in refusal.value.message


# --- plan_year_activity --------------------------------------------------------------------------------------------

def test_quarterly_activity_gives_a_check_in_task_each_quarter_and_on_the_due_date_then_ends(people, clock_at):
    clock_at("2020-09-01T10:00:00+03:00")
    activity = start_pattern("plan_year_activity", plan_item=PLAN_1_1, starts="2020-09-01", due="2021-06-30",
                             params={"checkins": "quarterly"})
    dates = ["2020-11-30", "2021-02-28", "2021-05-31", "2021-06-30"]
    assert engine.detail(activity)["data"]["checkin_dates"] == dates
    assert ready(activity) == [] and instance(activity).status == "waiting"

    given, day = {}, date(2020, 9, 2)
    while day <= date(2021, 7, 10) and instance(activity).status != "completed":
        tick(clock_at, f"{day.isoformat()}T10:00:00")
        for task in ready(activity, "checkin_task"):
            given.setdefault(task.id, (day.isoformat(), task.due_at.date().isoformat()))
            due = task.due_at.date()
            # Every report is handed in two days early, except the second, which is two days late.
            if day == due + timedelta(days=2 if due.isoformat() == dates[1] else -2):
                engine.complete(task.id, people["iao"], {"summary": f"Сделано за период по {due.isoformat()}"})
        day += timedelta(days=1)

    assert instance(activity).status == "completed"
    assert sorted(given.values()) == [((date.fromisoformat(d) - timedelta(days=7)).isoformat(), d) for d in dates]
    data = engine.detail(activity)["data"]
    assert [(c["date"], c["late_days"]) for c in data["checkins"]] == [
        ("2020-11-30", 0), ("2021-02-28", 2), ("2021-05-31", 0), ("2021-06-30", 0)]
    assert data["status_text"] == "все отчёты сданы (4), с опозданием: 1"
    assert rows(activity)["checkin_escalate"] == [("CANCELLED", "iao_head")]
    assert "checkin_escalate_guo" not in rows(activity)


def test_monthly_check_ins_fall_on_month_ends_and_the_due_date(people, clock_at):
    clock_at("2021-01-15T10:00:00+03:00")
    activity = start_pattern("plan_year_activity", plan_item=PLAN_1_1, starts="2021-01-15", due="2021-03-20",
                             params={"checkins": "monthly"})
    assert engine.detail(activity)["data"]["checkin_dates"] == ["2021-01-31", "2021-02-28", "2021-03-20"]
    tick(clock_at, "2021-01-24T09:30:00")
    task = only(activity, "checkin_task")
    assert task.role == "iao_specialist" and task.name == "1.1 Мониторинг подготовки ОУ к ГИА: отчёт за период"
    assert task.columns["Отчёт"] == "1 из 3"
