"""Issue 15 §4: the plan starts the organisers' knowledge test (A4) from item 3.19. Its round (staff_certification
for the department) takes everyone the schools nominate for the PPE staff list of 3.46 and, on the day the test
opens (2 Mar 2021), starts each person's own test, due 31 Mar, whose result the staff list reads."""
from datetime import date

from sqlalchemy import select

import engine
from engine.db import db
from engine.models import HumanTask, ProcessInstance
from engine.plan import running as plans
from engine.service.certification import certification_of
from tests.engine.plan_patterns import only, tick
from tests.plan.test_plan_run import instances, opened, units  # noqa: F401 - opened is a fixture

__all__ = ["opened"]


def nominate_everyone(clock_at):
    """Each school's head nominates one organiser (one of them in capitals: e-mails are matched in any case)."""
    clock_at("2020-12-10T11:00:00+03:00")
    for school in instances("3.46"):
        if school.process_id != "ppe_staff_list_school":
            continue
        task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == school.id,
                                                         HumanTask.state == "READY"))
        engine.ensure_user(f"h-{school.unit_code}", "school_head", school.unit_code)
        engine.complete(task.id, engine.user_by_login(f"h-{school.unit_code}"), {"staff": [
            {"fio": f"Организатор {school.unit_code}", "email": f"Org@{school.unit_code}.example",
             "position": "organizer_room", "subject": "none"}]})


def test_the_plan_starts_the_round_which_tests_everyone_the_staff_list_nominates(opened, clock_at):
    clock_at("2020-11-02T09:30:00+03:00")
    plans.start_due_items()
    [round_] = [i for i in instances("3.19") if i.process_id == "staff_certification"]
    assert round_.unit_code == "guo"
    assert round_.status_text == "аттестация работников ППЭ откроется 02.03.2021: ожидаются списки работников ППЭ"
    # The schools' share of 3.19 (instructing their staff) is still theirs.
    assert sorted(i.unit_code for i in instances("3.19") if i.process_id == "plan_events") == units("school")

    nominate_everyone(clock_at)
    db.session.rollback()
    schools = units("school")
    assert db.session.get(ProcessInstance, round_.id).status_text == (
        f"аттестация работников ППЭ откроется 02.03.2021: в списке {len(schools)} чел.")

    tick(clock_at, "2021-03-02T09:30:00")
    db.session.rollback()
    assert db.session.get(ProcessInstance, round_.id).status == "completed"
    people = list(db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.process_id == "staff_certification_request").order_by(ProcessInstance.id)))
    assert {p.parent_id for p in people} == {round_.id}
    # One instance per person, each with its own school (not the last one sent).
    assert sorted(engine.detail(p.id)["data"]["gia_unit"]["code"] for p in people) == sorted(schools)
    first = people[0]
    task = only(first.id, "staff_cert_score")
    school = engine.detail(first.id)["data"]["gia_unit"]
    assert (task.role, task.due_at.date()) == ("iao_specialist", date(2021, 3, 31))
    assert task.name == f"Аттестация: Организатор {school['code']} ({school['name']})"

    email = f"org@{school['code']}.example"
    assert certification_of(email)["status"] == "pending"
    clock_at("2021-03-20T12:00:00+03:00")
    engine.complete(task.id, engine.user_by_login("iao"), {"tested_on": "2021-03-20", "score": 85,
                                                           "fct_certificate": True})
    assert certification_of(email) == {"status": "certified", "status_text": "аттестован"}
    assert certification_of("nobody@school-1.example") is None
