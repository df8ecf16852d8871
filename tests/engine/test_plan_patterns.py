"""The plan's reusable patterns through the service layer, with the manual clock: a school's report that misses its
deadline (scenario A5) and one handed in on time; a department task whose lead role comes from the start data
(`role_expression`); a city order returned, approved, signed, registered and acknowledged by each school
(scenario A11); a year-long activity with quarterly check-ins. Refused submissions change nothing."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

import engine
from engine.access.rules import can_view_instance
from engine.db import db
from engine.models import EmailOutbox, HumanTask
from engine.service.views import task_page
from tests.conftest import linear
from tests.engine.plan_patterns import (add_users, attach, deploy_patterns, instance, notes, only, ready, refused, rows,
                                        start_pattern, started_by_messages, tick)
from webui.instructions import render

SCHOOLS = [{"code": "school-12", "name": "МБОУ «СОШ №12»"}, {"code": "school-17", "name": "МБОУ «СОШ №17»"},
           {"code": "school-33", "name": "МБОУ «СОШ №33»"}]
ORDER_TITLE = "Об определении пунктов проведения экзаменов (ППЭ) и руководителей ППЭ"
PLAN_1_3 = {"number": "1.3", "title": "Подготовка приказов ГУО по организации ГИА", "section": 1}
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
        assert "element 'n1'" in refusal.value.message and f"property {name}" in refusal.value.message


# --- plan_order: scenario A11 -------------------------------------------------------------------------------------

def test_a11_order_is_returned_approved_signed_registered_and_acknowledged_by_each_school(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    order = start_pattern("plan_order", plan_item=PLAN_1_3, due="2020-12-04",
                          params={"orders": [ORDER_TITLE], "schools": SCHOOLS})
    iao, deputy, boss = people["iao"], people["deputy"], people["guo_head"]
    draft = only(order, "draft_task")
    assert draft.role == "iao_specialist" and draft.due_at.date() == date(2020, 12, 4)
    assert engine.detail(order)["data"]["draft"] == {"title": ORDER_TITLE}  # what the form shows first
    text = {"title": ORDER_TITLE, "text": "Определить ППЭ и назначить руководителей ППЭ согласно приложению."}
    engine.complete(draft.id, iao, {**text, "attachment": attach(order, "ppe.pdf", "attachment")})

    review = only(order, "review_task")
    assert review.role == "guo_deputy" and ready(order, user=iao) == []
    assert "comment" in refused(order, engine.complete, review.id, deputy, {"decision": "return"}).field_errors
    engine.complete(review.id, deputy, {"decision": "return", "comment": "Добавьте список ППЭ с адресами."})
    redraft = only(order, "draft_task")
    assert redraft.id != draft.id and redraft.name.endswith("(доработка)")
    page = task_page(redraft.id, iao)
    shown = str(render(page.instructions, page.data))
    assert "Добавьте список ППЭ с адресами." in shown and "заместитель начальника ГУО" in shown
    assert page.data["draft"]["title"] == ORDER_TITLE  # the returned draft is shown again for editing

    clock_at("2020-12-02T10:00:00+03:00")
    engine.complete(redraft.id, iao, {**text, "text": text["text"] + " Список ППЭ с адресами прилагается."})
    engine.complete(only(order, "review_task").id, deputy, {"decision": "approve"})
    sign = only(order, "sign_task")
    assert sign.role == "guo_head"
    engine.complete(sign.id, boss, {"decision": "sign"})

    clock_at("2020-12-03T10:00:00+03:00")
    register = only(order, "register_task")
    assert register.role == "iao_specialist"
    future = {"number": "2206-05/20", "signed_on": "2020-12-04"}
    assert list(refused(order, engine.complete, register.id, iao, future).field_errors) == ["signed_on"]
    engine.complete(register.id, iao, {"number": "2206-05/20", "signed_on": "2020-12-03"})
    data = engine.detail(order)["data"]
    assert data["order"] == {"number": "2206-05/20", "signed_on": "2020-12-03", "title": ORDER_TITLE}
    assert [r["comment"] for r in data["returns"]] == ["Добавьте список ППЭ с адресами."]

    # Each school acknowledges in an instance of its own, which belongs to the school and to the order's plan item.
    schools = started_by_messages("plan_order_ack")
    assert sorted(schools) == [s["code"] for s in SCHOOLS]
    assert {instance(i).plan_item_id for i in schools.values()} == {instance(order).plan_item_id}
    assert ready(order, "ack_task") == []  # the department's instance holds none of the schools' work
    acks = [only(schools[s["code"]], "ack_task") for s in SCHOOLS]
    assert sorted((t.unit_code, t.role) for t in acks) == [(s["code"], "school_head") for s in SCHOOLS]
    assert {t.due_at.date() for t in acks} == {date(2020, 12, 5)}
    by_school = {t.unit_code: t for t in acks}
    for login, code in (("head12", "school-12"), ("head17", "school-17"), ("head33", "school-33")):
        assert [t.id for t in engine.list_tasks(user=people[login])] == [by_school[code].id]
        assert [i for i in [order, *schools.values()] if can_view_instance(people[login], instance(i))] == [schools[code]]
    with pytest.raises(engine.PermissionDenied):
        engine.complete(by_school["school-17"].id, people["head12"], {"acknowledged": True})
    assert "acknowledged" in refused(schools["school-12"], engine.complete, by_school["school-12"].id,
                                     people["head12"], {"acknowledged": False}).field_errors

    clock_at("2020-12-03T15:00:00+03:00")
    engine.complete(by_school["school-12"].id, people["head12"], {"acknowledged": True})
    assert instance(schools["school-12"]).status == "completed"
    assert instance(order).status_text == "приказ № 2206-05/20 от 03.12.2020: ознакомлены 1 из 3 ОУ, срок 05.12.2020"
    engine.complete(by_school["school-17"].id, people["head17"], {"acknowledged": True})
    tick(clock_at, "2020-12-04T08:59:00")
    assert notes("reminder") == []
    tick(clock_at, "2020-12-04T09:30:00")
    assert notes("reminder") == [("reminder", "school_head", "school-33")]  # the day before the deadline, 09:00

    for _ in range(2):
        tick(clock_at, "2020-12-06T09:30:00")
    escalated = only(schools["school-33"], "ack_escalate")
    assert escalated.role == "iao_head" and "МБОУ «СОШ №33»" in escalated.name
    assert escalated.unit_code == "school-33"
    assert notes("escalation") == [("escalation", "iao_head", None)]

    clock_at("2020-12-07T10:00:00+03:00")
    engine.complete(by_school["school-33"].id, people["head33"], {"acknowledged": True})
    assert instance(order).status == "completed"
    data = engine.detail(order)["data"]
    assert sorted((a["code"], a["acknowledged_on"], a["late_days"]) for a in data["acks"]) == [
        ("school-12", "2020-12-03", 0), ("school-17", "2020-12-03", 0), ("school-33", "2020-12-07", 2)]
    assert data["order"]["number"] == "2206-05/20" and data["late_days"] == 0
    assert instance(order).status_text == ("приказ № 2206-05/20 от 03.12.2020: все ОУ ознакомлены, "
                                           "с опозданием: МБОУ «СОШ №33»")
    assert rows(schools["school-33"])["ack_escalate"] == [("CANCELLED", "iao_head")]
    assert instance(schools["school-33"]).status_text == "ознакомлен 07.12.2020, с опозданием на 2 дн."
    assert [(code, instance(i).late_days) for code, i in sorted(schools.items())] == [
        ("school-12", 0), ("school-17", 0), ("school-33", 2)]


def test_two_orders_acknowledgements_reach_only_their_own_order(people, clock_at):
    """Two orders out at once: a school's acknowledgement of one is correlated to that order (order_ref) and the
    other order keeps waiting for it."""
    clock_at("2020-12-01T10:00:00+03:00")
    orders = []
    for number in ("2206-05/20", "2207-05/20"):
        order = start_pattern("plan_order", plan_item=PLAN_1_3, due="2020-12-04", params={"schools": SCHOOLS[:1]})
        engine.complete(only(order, "draft_task").id, people["iao"], {"title": "Приказ " + number, "text": "Текст приказа ГУО."})
        engine.complete(only(order, "review_task").id, people["deputy"], {"decision": "approve"})
        engine.complete(only(order, "sign_task").id, people["guo_head"], {"decision": "sign"})
        engine.complete(only(order, "register_task").id, people["iao"], {"number": number, "signed_on": "2020-12-01"})
        orders.append(order)
    tasks = engine.list_tasks(user=people["head12"])
    assert sorted(t.name for t in tasks) == ["Ознакомиться с приказом № 2206-05/20 «Приказ 2206-05/20»",
                                             "Ознакомиться с приказом № 2207-05/20 «Приказ 2207-05/20»"]
    second = next(t for t in tasks if "2207-05/20" in t.name)
    engine.complete(second.id, people["head12"], {"acknowledged": True})
    assert [instance(o).status for o in orders] == ["waiting", "completed"]
    assert engine.detail(orders[0])["data"]["acks"] == []


def test_cancelling_an_order_cancels_the_schools_open_acknowledgements(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    order = start_pattern("plan_order", plan_item=PLAN_1_3, due="2020-12-04", params={"schools": SCHOOLS})
    engine.complete(only(order, "draft_task").id, people["iao"], {"title": "Приказ", "text": "Текст приказа ГУО."})
    engine.complete(only(order, "review_task").id, people["deputy"], {"decision": "approve"})
    engine.complete(only(order, "sign_task").id, people["guo_head"], {"decision": "sign"})
    engine.complete(only(order, "register_task").id, people["iao"], {"number": "7", "signed_on": "2020-12-01"})
    schools = started_by_messages("plan_order_ack")
    assert {instance(i).parent_id for i in schools.values()} == {order}
    engine.complete(only(schools["school-12"], "ack_task").id, people["head12"], {"acknowledged": True})

    engine.cancel(order, "iao")
    assert instance(order).status == "cancelled"
    assert {code: instance(i).status for code, i in schools.items()} == {
        "school-12": "completed", "school-17": "cancelled", "school-33": "cancelled"}
    assert engine.list_tasks(user=people["head17"]) == []


def test_a_school_instance_whose_start_names_an_unknown_unit_is_kept_in_error(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    order = start_pattern("plan_order", plan_item=PLAN_1_3, due="2020-12-04",
                          params={"schools": [{"code": "school-404", "name": "Нет такой"}]})
    engine.complete(only(order, "draft_task").id, people["iao"], {"title": "Приказ", "text": "Текст приказа ГУО."})
    engine.complete(only(order, "review_task").id, people["deputy"], {"decision": "approve"})
    engine.complete(only(order, "sign_task").id, people["guo_head"], {"decision": "sign"})
    engine.complete(only(order, "register_task").id, people["iao"], {"number": "1", "signed_on": "2020-12-01"})
    failed = started_by_messages("plan_order_ack")[None]
    assert instance(failed).status == "error"
    assert "school-404" in instance(failed).error


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


def test_an_order_with_no_schools_to_acknowledge_ends_at_registration(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    order = start_pattern("plan_order", plan_item=PLAN_1_3, due="2020-12-04", params={"schools": []})
    assert engine.detail(order)["data"]["draft"] == {"title": PLAN_1_3["title"]}  # no params.orders: the item's title
    engine.complete(only(order, "draft_task").id, people["iao"], {"title": "О ведении документации ГИА",
                                                                   "text": "Утвердить перечень документации ГИА."})
    engine.complete(only(order, "review_task").id, people["deputy"], {"decision": "approve"})
    engine.complete(only(order, "sign_task").id, people["guo_head"], {"decision": "sign"})
    result = engine.complete(only(order, "register_task").id, people["iao"],
                             {"number": "2210-05/20", "signed_on": "2020-12-01"})
    assert result.status == "completed"
    assert engine.detail(order)["data"]["order"]["title"] == "О ведении документации ГИА"
