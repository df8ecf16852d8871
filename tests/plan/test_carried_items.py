"""Items carried by another item's task (issue 15 §8, items.json "carried_by"): where an item and a scenario process
ask a school for the same thing, the school gets one task, the scenario's, and the item's progress is that task's:
in «Программа», in the matrix and on the item's page."""
import json
import random
from datetime import date

import pytest
from sqlalchemy import select

import engine
import forms
from engine.db import db
from engine.errors import InvalidData
from engine.models import HumanTask, PlanItem, ProcessInstance, Unit
from engine.plan import MatrixQuery, plan_matrix
from engine.plan import running as plans
from engine.plan.dates import set_item_window
from forms.sample import sample_data
from tests.plan.test_catalogue import copy_files, items_data, refusal
from tests.plan.test_plan_run import item, opened  # noqa: F401 (a fixture)

STAFF_ITEMS = ("3.3", "3.31", "3.46")  # who the school proposes for the PPE: heads, organisers, technicians


def _staff_tasks(user) -> list[HumanTask]:
    """The tasks offered to `user` (as the inbox offers them) that belong to the PPE staff items."""
    numbers = dict(db.session.execute(select(PlanItem.id, PlanItem.number)).all())
    instance_items = dict(db.session.execute(select(ProcessInstance.id, ProcessInstance.plan_item_id)).all())
    return [t for t in engine.list_tasks(user=user) if numbers.get(instance_items.get(t.instance_id)) in STAFF_ITEMS]


def test_a_school_gets_one_task_for_the_staff_items_and_both_items_show_its_progress(app, opened, org, clock_at):
    clock_at("2020-11-02T09:30:00+03:00")  # 3.3 runs since October, 3.31 and 3.46 since November
    plans.start_due_items()
    head = org["head17"]  # СОШ №17, which hosts ППЭ №17: 3.31 once went to her for that PPE
    [task] = _staff_tasks(head)
    assert task.bpmn_id == "staff_nominate"
    assert not db.session.scalars(select(ProcessInstance).where(ProcessInstance.plan_item_id.in_(
        [item("3.3").id, item("3.31").id]))).all()  # the carried items start nothing of their own
    assert item("3.3").started_at is not None    # but they count as started when their window opens
    school = db.session.get(ProcessInstance, task.instance_id).unit_code
    schools = len(db.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.plan_item_id == item("3.46").id, ProcessInstance.unit_code != "guo")).all())

    before = {p.item.number: p for p in plans.overview(opened)}
    for number in ("3.3", "3.4", "3.31"):
        assert (before[number].units, before[number].done, before[number].state) == (schools, 0, "running")

    engine.complete(task.id, head, engine.sample_submission(task.id)
                    or sample_data(forms.load(task.form_key), random.Random(3), today=date(2020, 11, 2)))

    after = {p.item.number: p for p in plans.overview(opened)}
    for number in ("3.3", "3.4", "3.31"):
        assert (after[number].units, after[number].done, after[number].late) == (schools, 1, 0), number
    matrix = plan_matrix(opened)
    assert matrix.cell(item("3.3"), _unit(school)).state == "done"
    assert {matrix.cell(item("3.31"), u).state for u in matrix.units if u.kind == "school" and u.code != school} \
        == {"running"}

    page = plans.item_page(item("3.3"))
    assert page["carried"]["item"].number == "3.46" and page["carried"]["tasks"] == ["Выдвинуть работников ППЭ"]
    assert len(page["instances"]) == schools and page["states"][task.instance_id] == "done"
    html = _signed_in(app, "iao").get(f"/plan/items/{item('3.3').id}").get_data(as_text=True)
    assert f'href="/plan/items/{item("3.46").id}"' in html and "«Выдвинуть работников ППЭ»" in html
    # Its dates are the carrying task's: a window of its own would move nothing, so none is offered or taken.
    assert "Изменить сроки" not in html
    with pytest.raises(InvalidData) as refused:
        set_item_window(item("3.3"), date(2020, 10, 1), date(2021, 1, 15), actor="iao")
    assert refused.value.field_errors == {"due": ["Пункт 3.3 выполняется в пункте 3.46: меняйте сроки там."]}

    clock_at("2020-12-28T10:00:00+03:00")  # the nomination was due on 25 December: the others are late
    late = {p.item.number: p for p in plans.overview(opened)}
    assert (late["3.3"].done, late["3.3"].overdue, late["3.3"].state) == (1, schools - 1, "overdue")
    overdue = plan_matrix(opened, MatrixQuery(problems_only=True))
    assert {(c.state, c.days) for (i, u), c in overdue.cells.items() if i == item("3.31").id and u != school} \
        == {("overdue", 3)}
    assert overdue.cell(item("3.31"), _unit(school)).state == "done"
    assert plans.item_page(item("3.3"), problems_only=True)["instances"] and all(
        i.unit_code != school for i in plans.item_page(item("3.3"), problems_only=True)["instances"])


def _signed_in(app, login):
    from tests.web.conftest import IsolatedClient, csrf
    app.test_client_class = IsolatedClient
    client = app.test_client()
    client.post("/login", data={"login": login, "password": "demo", "csrf_token": csrf(client.get("/login"))})
    return client


def _unit(code):
    return db.session.scalar(select(Unit).where(Unit.code == code))


@pytest.mark.parametrize("carried_by, says", [
    ({"item": "9.99", "tasks": ["staff_nominate"]}, "9.99"),              # no such item
    ({"item": "3.3", "tasks": ["staff_nominate"]}, "«3.3»"),              # carried by itself
    ({"item": "3.46", "tasks": ["no_such_task"]}, "no_such_task"),        # not a task of 3.46's processes
    ({"item": "3.27", "tasks": ["staff_nominate"]}, "staff_nominate"),    # a task of another item's process
    ({"item": "3.46"}, "carried_by"),                                     # no tasks named
])
def test_the_catalogue_refuses_a_carrier_that_does_not_hold_the_task(tmp_path, carried_by, says):
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    data["3.3"] = {"scope": "schools", "carried_by": carried_by}
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    [problem] = refusal(source, items, calendar)
    assert "3.3" in problem and says in problem, problem


def test_a_carried_item_starts_nothing_of_its_own(tmp_path):
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    data["4.10"]["process"] = "plan_school_report"
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    [problem] = refusal(source, items, calendar)
    assert "4.10" in problem and "3.27" in problem and "process" in problem, problem
