"""Scenario A11, the city order (plan_order): returned, approved, signed and registered in the department's
instance, then acknowledged by each school in an instance of the school's own (plan_order_ack), started by the
order's message and answering it, correlated to that order only."""
from datetime import date

import pytest

import engine
from engine.access.rules import can_view_instance
from engine.service.views import task_page
from tests.engine.plan_patterns import (add_users, attach, deploy_patterns, instance, notes, only, ready, refused, rows,
                                        start_pattern, started_by_messages, tick, unrouted)
from webui.instructions import render

SCHOOLS = [{"code": "school-12", "name": "МБОУ «СОШ №12»"}, {"code": "school-17", "name": "МБОУ «СОШ №17»"},
           {"code": "school-33", "name": "МБОУ «СОШ №33»"}]
ORDER_TITLE = "Об определении пунктов проведения экзаменов (ППЭ) и руководителей ППЭ"
PLAN_1_3 = {"number": "1.3", "title": "Подготовка приказов ГУО по организации ГИА", "section": 1}


@pytest.fixture
def people(org):
    deploy_patterns()
    return {**org, **add_users()}


def issue(order, people, number, title="Приказ"):
    """Take an order through drafting, approval, signing and registration under `number`, as the department does."""
    engine.complete(only(order, "draft_task").id, people["iao"], {"title": title, "text": "Текст приказа ГУО."})
    engine.complete(only(order, "review_task").id, people["deputy"], {"decision": "approve"})
    engine.complete(only(order, "sign_task").id, people["guo_head"], {"decision": "sign"})
    engine.complete(only(order, "register_task").id, people["iao"], {"number": number, "signed_on": "2020-12-01"})


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
        issue(order, people, number, title="Приказ " + number)
        orders.append(order)
    tasks = engine.list_tasks(user=people["head12"])
    assert sorted(t.name for t in tasks) == ["Ознакомиться с приказом № 2206-05/20 «Приказ 2206-05/20»",
                                             "Ознакомиться с приказом № 2207-05/20 «Приказ 2207-05/20»"]
    second = next(t for t in tasks if "2207-05/20" in t.name)
    engine.complete(second.id, people["head12"], {"acknowledged": True})
    assert [instance(o).status for o in orders] == ["waiting", "completed"]
    assert engine.detail(orders[0])["data"]["acks"] == []


def test_two_orders_under_one_number_at_one_instant_have_references_of_their_own(people, clock_at):
    """The same plan item and order number, registered at the same instant: each order's reference is its own
    (order_ref, with unique_id()), so a school's acknowledgement reaches the order that asked for it only."""
    clock_at("2020-12-01T10:00:00+03:00")
    orders = [start_pattern("plan_order", plan_item=PLAN_1_3, due="2020-12-04", params={"schools": SCHOOLS[:1]})
              for _ in range(2)]
    for order in orders:
        issue(order, people, "7")
    refs = [engine.detail(o)["data"]["order_ref"] for o in orders]
    assert refs[0] != refs[1] and all(r.startswith("1.3 7 ") for r in refs)
    asked = {engine.detail(t.instance_id)["data"]["order_ref"]: t for t in engine.list_tasks(user=people["head12"])}
    engine.complete(asked[refs[1]].id, people["head12"], {"acknowledged": True})
    assert [instance(o).status for o in orders] == ["waiting", "completed"]
    assert engine.detail(orders[0])["data"]["acks"] == []


def test_cancelling_an_order_cancels_the_schools_open_acknowledgements(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    order = start_pattern("plan_order", plan_item=PLAN_1_3, due="2020-12-04", params={"schools": SCHOOLS})
    issue(order, people, "7")
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
    issue(order, people, "1")
    failed = started_by_messages("plan_order_ack")[None]
    assert instance(failed).status == "error"
    assert "school-404" in instance(failed).error



def test_an_order_with_no_schools_to_acknowledge_ends_at_registration(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    order = start_pattern("plan_order", plan_item=PLAN_1_3, due="2020-12-04", params={"schools": []})
    assert engine.detail(order)["data"]["draft"] == {"title": PLAN_1_3["title"]}  # no params.orders: the item's title
    issue(order, people, "2210-05/20", title="О ведении документации ГИА")
    assert instance(order).status == "completed"
    assert engine.detail(order)["data"]["order"]["title"] == "О ведении документации ГИА"


def test_at_the_deadline_the_lead_sees_who_is_missing_and_closes_the_collection(people, clock_at):
    """Acknowledged by 1 of 3 schools at the collection's deadline (two working days after ack_due, 09:00 the next
    day): the lead's task names exactly the two missing schools; an acknowledgement that comes while she decides is
    counted and the task asked again; once she closes, the order ends with what came in, and the last school's
    acknowledgement is recorded as undelivered in the audit trail, not lost silently."""
    clock_at("2020-12-01T10:00:00+03:00")
    order = start_pattern("plan_order", plan_item=PLAN_1_3, due="2020-12-04", params={"schools": SCHOOLS})
    issue(order, people, "2206-05/20")  # ack_due 03.12 (two days from today), collect_due Monday 07.12
    schools = started_by_messages("plan_order_ack")
    engine.complete(only(schools["school-12"], "ack_task").id, people["head12"], {"acknowledged": True})
    tick(clock_at, "2020-12-08T08:59:00")
    assert ready(order) == [] and instance(order).status == "waiting"
    tick(clock_at, "2020-12-08T09:30:00")
    decide = only(order, "ack_decide")
    assert (decide.role, decide.unit_code) == ("iao_specialist", "guo")
    assert decide.name == "Не ознакомлены с приказом № 2206-05/20: 2 из 3 ОУ"
    assert engine.detail(order)["data"]["missing_schools"] == ["МБОУ «СОШ №17»", "МБОУ «СОШ №33»"]
    page = task_page(decide.id, people["iao"])
    shown = str(render(page.instructions, page.data))
    assert "Не ознакомлены:<br>— МБОУ «СОШ №17»<br>— МБОУ «СОШ №33»<br>" in shown and "СОШ №12" not in shown
    # The schools' own escalations go on chasing them, in their own instances.
    assert only(schools["school-17"], "ack_escalate").role == "iao_head"

    # A late acknowledgement while the lead decides is counted; the task comes again naming the one still missing.
    clock_at("2020-12-08T11:00:00+03:00")
    engine.complete(only(schools["school-17"], "ack_task").id, people["head17"], {"acknowledged": True})
    assert sorted(a["code"] for a in engine.detail(order)["data"]["acks"]) == ["school-12", "school-17"]
    again = only(order, "ack_decide")
    assert again.name == "Не ознакомлены с приказом № 2206-05/20: 1 из 3 ОУ"
    assert engine.detail(order)["data"]["missing_schools"] == ["МБОУ «СОШ №33»"]
    assert unrouted(schools["school-17"]) == []

    assert list(refused(order, engine.complete, again.id, people["iao"], {"decision": "wait"}).field_errors) == [
        "wait_until"]
    engine.complete(again.id, people["iao"], {"decision": "close"})
    assert instance(order).status == "completed"
    assert instance(order).status_text == ("приказ № 2206-05/20 от 01.12.2020: ознакомлены 2 из 3 ОУ, сбор закрыт; "
                                           "не ознакомлены: МБОУ «СОШ №33», с опозданием: МБОУ «СОШ №17»")

    # After the close, the last school's acknowledgement reaches nobody: the trail says so.
    clock_at("2020-12-09T10:00:00+03:00")
    engine.complete(only(schools["school-33"], "ack_task").id, people["head33"], {"acknowledged": True})
    assert instance(schools["school-33"]).status == "completed"
    assert [len(unrouted(schools[code])) for code in ("school-12", "school-17", "school-33")] == [0, 0, 1]
    assert "plan_order_acknowledged" in unrouted(schools["school-33"])[0]
    assert len(engine.detail(order)["data"]["acks"]) == 2


def test_at_the_deadline_the_lead_may_wait_until_a_new_date(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    order = start_pattern("plan_order", plan_item=PLAN_1_3, due="2020-12-04", params={"schools": SCHOOLS[:2]})
    issue(order, people, "2206-05/20")
    schools = started_by_messages("plan_order_ack")
    tick(clock_at, "2020-12-08T09:30:00")
    decide = only(order, "ack_decide")
    assert engine.detail(order)["data"]["missing_schools"] == ["МБОУ «СОШ №12»", "МБОУ «СОШ №17»"]
    assert list(refused(order, engine.complete, decide.id, people["iao"],
                        {"decision": "wait", "wait_until": "2020-12-07"}).field_errors) == ["wait_until"]
    engine.complete(decide.id, people["iao"], {"decision": "wait", "wait_until": "2020-12-11"})
    assert ready(order) == [] and instance(order).status == "waiting"
    engine.complete(only(schools["school-12"], "ack_task").id, people["head12"], {"acknowledged": True})
    tick(clock_at, "2020-12-12T08:59:00")
    assert ready(order) == []
    tick(clock_at, "2020-12-12T09:30:00")  # the new date has passed: asked again, about the one still missing
    assert engine.detail(order)["data"]["missing_schools"] == ["МБОУ «СОШ №17»"]
    engine.complete(only(schools["school-17"], "ack_task").id, people["head17"], {"acknowledged": True})
    assert instance(order).status == "completed" and ready(order) == []
    assert instance(order).status_text.startswith("приказ № 2206-05/20 от 01.12.2020: все ОУ ознакомлены")

