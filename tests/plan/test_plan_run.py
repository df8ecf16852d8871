"""The plan running: opened from the catalogue, each item started when its window opens, once per unit that acts,
and its progress read back across the city (engine.plan.running)."""
import random
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

import engine
import forms
from cli.demo import deploy_processes
from engine.db import db
from engine.errors import ConflictError
from engine.models import HumanTask, Plan, PlanItem, ProcessInstance, Unit
from engine.models.instance import InstanceStatus
from engine.plan import catalogue as plan_catalogue
from engine.plan import dates as plan_dates, running as plans
from forms.sample import sample_data
from tests.conftest import PROCESSES


@pytest.fixture
def opened(org, clock_at):
    clock_at("2020-09-01T09:30:00+03:00")
    deploy_processes()
    return plans.open_plan(plan_catalogue.load_default(), actor="iao")


def item(number) -> PlanItem:
    return db.session.scalar(select(PlanItem).where(PlanItem.number == number))


def instances(number) -> list[ProcessInstance]:
    return list(db.session.scalars(select(ProcessInstance).join(PlanItem).where(PlanItem.number == number)
                                   .order_by(ProcessInstance.unit_code)))


def units(kind) -> list[str]:
    return sorted(db.session.scalars(select(Unit.code).where(Unit.kind == kind)))


def test_opening_records_every_item_with_its_window_and_the_anomalies_of_the_source(opened):
    assert len(opened.items) == 82
    assert [i.number for i in opened.items][:3] == ["1.1", "1.2", "1.3"]
    assert item("3.10").starts == date(2021, 2, 1) and item("3.10").due == date(2021, 3, 31)
    assert [a["code"] for a in item("3.13").anomalies] == ["year_outside_school_year"]
    assert item("3.13").starts == date(2021, 1, 1)
    assert item("3.45").starts is None and item("3.45").anomalies[0]["code"] == "calendar_date_missing"
    assert opened.calendar["interview"]["date"] == "2021-02-10"


def test_a_plan_is_opened_once_per_year(opened):
    with pytest.raises(ConflictError):
        plans.open_plan(plan_catalogue.load_default(), actor="iao")
    assert db.session.scalar(select(func.count()).select_from(Plan)) == 1
    assert db.session.scalar(select(func.count()).select_from(PlanItem)) == 82


def test_items_start_when_their_window_opens_for_the_units_that_must_act(opened, clock_at):
    tick = plans.start_due_items()
    started = {number for number, _unit in tick.started}
    assert "1.1" in started and "2.2" in started   # «В течение года»: from 1 September
    assert "1.2" not in started                      # «Октябрь - ноябрь 2020г.»
    assert [i.unit_code for i in instances("1.2")] == []
    assert [i.unit_code for i in instances("1.1")] == ["guo"] + units("school")  # the department and the schools
    assert [i.unit_code for i in instances("2.2")] == units("school")  # every school
    assert item("1.1").started_at is not None and item("1.2").started_at is None
    assert not tick.failed

    assert plans.start_due_items().started == []  # nothing twice
    order = engine.detail(instances("1.3")[0].id)["data"]["params"]
    assert sorted(s["code"] for s in order["schools"]) == units("school") and len(order["orders"]) == 13
    assert "schools" not in engine.detail(instances("1.1")[0].id)["data"]["params"]  # only where asked for

    clock_at("2020-10-01T09:30:00+03:00")
    assert ("1.2", "guo") in plans.start_due_items().started
    data = engine.detail(instances("1.2")[0].id)["data"]
    assert data["due"] == "2020-11-30" and data["lead_role"] == "iao_specialist" and data["escalate_to"] == "iao_head"
    assert data["plan_item"]["number"] == "1.2"


def ready_task(instance) -> HumanTask:
    return db.session.scalar(select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "READY",
                                                     HumanTask.form_key != "collection_deadline"))


def test_the_heads_of_schools_named_beside_the_department_get_tasks_of_their_own(opened, clock_at):
    """1.1 «Изучение нормативно-правовой базы» names ИАО, МО, ООО and the heads of schools: the ИАО checks in for
    the department and every school head for her school (items.json "also")."""
    plans.start_due_items()
    clock_at("2020-11-23T10:00:00+03:00")  # a week before the first quarterly check-in (30 November)
    engine.advance_timers()
    by_unit = {i.unit_code: i for i in instances("1.1")}
    department, school = ready_task(by_unit["guo"]), ready_task(by_unit[units("school")[0]])
    assert (department.role, department.unit_code) == ("iao_specialist", "guo")
    assert (school.bpmn_id, school.role, school.unit_code) == ("checkin_task", "school_head", units("school")[0])
    data = engine.detail(by_unit[units("school")[0]].id)["data"]
    assert (data["lead_role"], data["escalate_to"]) == ("school_head", "iao_head")
    assert plans.ALSO not in data["params"] and plans.ALSO not in engine.detail(by_unit["guo"].id)["data"]["params"]
    progress = {p.item.number: p for p in plans.overview(opened)}
    assert progress["1.1"].units == 1 + len(units("school"))


def test_the_city_orders_and_each_schools_local_orders(opened):
    """1.3: the ИАО drafts the city's orders, and each school reports its own local orders (the coordinator, the
    choice of subjects, the pupils' escorts to the PPE)."""
    plans.start_due_items()
    started = sorted((i.unit_code, i.process_id) for i in instances("1.3"))
    assert started == [("guo", "plan_order")] + [(code, "plan_school_report") for code in units("school")]
    school = next(i for i in instances("1.3") if i.unit_code != "guo")
    task = ready_task(school)
    assert (task.bpmn_id, task.role, task.unit_code) == ("report_task", "school_head", school.unit_code)
    assert "Локальные приказы ОУ" in engine.detail(school.id)["data"]["params"]["report"]


@pytest.mark.parametrize("number, starts", [("1.4", "2020-12-01T09:30:00+03:00"),
                                            ("3.47", "2021-03-01T09:30:00+03:00")])
def test_the_ppe_items_go_to_the_head_of_the_host_school_not_to_a_ppe_head(opened, clock_at, number, starts):
    """1.4 (creating the PPE) and 3.47 name the ГУО and the heads of schools: the head of the school the PPE is set
    up in reports, for each PPE (3.31, its technicians, is carried by every school's nomination of PPE staff)."""
    clock_at(starts)
    plans.start_due_items()
    ppe = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.kind == "ppe"))}
    started = instances(number)
    assert sorted(i.unit_code for i in started) == sorted(ppe)
    for instance in started:
        task = ready_task(instance)
        assert (task.role, task.unit_code) == ("school_head", ppe[instance.unit_code].host.code), number


def test_an_item_is_started_once_per_unit_even_when_two_sweeps_race(opened):
    target = item("1.2")
    data = plans.start_data(target, db.session.scalar(select(Unit).where(Unit.code == "guo")))
    engine.start(target.process_id, data, unit="guo", actor="plan", plan_item_id=target.id)
    with pytest.raises(ConflictError):
        engine.start(target.process_id, data, unit="guo", actor="plan", plan_item_id=target.id)
    assert len(instances("1.2")) == 1


def test_the_ppe_check_runs_for_every_ppe_with_the_window_end_as_its_deadline(opened, clock_at):
    clock_at("2021-02-01T09:30:00+03:00")
    plans.start_due_items()
    checks = instances("3.32")
    assert [i.unit_code for i in checks] == units("ppe")
    task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == checks[0].id,
                                                     HumanTask.state == "READY"))
    assert task.bpmn_id == "checklist" and task.role == "ppe_tech"
    assert task.due_at.astimezone(engine.clock.local_zone()).date() == date(2021, 4, 30)


def test_parent_meetings_ask_each_school_in_an_instance_of_its_own_that_counts_for_the_item(opened, clock_at):
    """4.4 (A10) runs for the department, which asks every school by a message: each school's sheet is an instance
    of the school's own, joined to the item, so the overview counts the department and every school."""
    clock_at("2020-12-01T09:30:00+03:00")
    plans.start_due_items()
    started = instances("4.4")
    assert sorted((i.unit_code, i.process_id) for i in started) == [("guo", "parent_meetings")] + [
        (code, "parent_meetings_school") for code in units("school")]
    task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == started[-1].id,
                                                     HumanTask.state == "READY"))
    assert (task.bpmn_id, task.role, task.unit_code) == ("pm_sheet_task", "school_head", started[-1].unit_code)
    assert task.due_at.astimezone(engine.clock.local_zone()).date() == date(2020, 12, 30)  # params.sheet_due
    progress = {p.item.number: p for p in plans.overview(opened)}
    assert (progress["4.4"].units, progress["4.4"].done) == (1 + len(units("school")), 0)


def test_the_staff_list_asks_each_school_in_an_instance_of_its_own_that_counts_for_the_item(opened, clock_at):
    """3.46 (A9) runs for the department, which asks every school for its nominees by a message: each school's
    nomination is an instance of the school's own, joined to the item."""
    clock_at("2020-11-02T09:30:00+03:00")
    plans.start_due_items()
    started = instances("3.46")
    assert sorted((i.unit_code, i.process_id) for i in started) == [("guo", "ppe_staff_list")] + [
        (code, "ppe_staff_list_school") for code in units("school")]
    school = next(i for i in started if i.unit_code != "guo")
    task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == school.id, HumanTask.state == "READY"))
    assert (task.bpmn_id, task.role, task.unit_code) == ("staff_nominate", "school_head", school.unit_code)
    assert task.due_at.astimezone(engine.clock.local_zone()).date() == date(2020, 12, 25)  # params.nominate_due
    progress = {p.item.number: p for p in plans.overview(opened)}
    assert (progress["3.46"].units, progress["3.46"].done) == (1 + len(units("school")), 0)


def test_ege_choices_ask_each_school_in_an_instance_of_its_own_that_counts_for_the_item(opened, clock_at):
    """3.27 (A8) runs for the department, which asks every school by a message: each school's list is an instance
    of the school's own, joined to the item, so the overview counts the department and every school."""
    clock_at("2020-11-02T09:30:00+03:00")
    plans.start_due_items()
    started = instances("3.27")
    assert sorted((i.unit_code, i.process_id) for i in started) == [("guo", "ege_choices")] + [
        (code, "ege_choices_school") for code in units("school")]
    task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == started[-1].id,
                                                     HumanTask.state == "READY"))
    assert (task.bpmn_id, task.role, task.unit_code) == ("ege_entry_task", "school_head", started[-1].unit_code)
    assert task.due_at.astimezone(engine.clock.local_zone()).date() == date(2021, 1, 20)  # params.entry_due
    progress = {p.item.number: p for p in plans.overview(opened)}
    assert (progress["3.27"].units, progress["3.27"].done) == (1 + len(units("school")), 0)


def test_a_late_report_shows_in_the_overview_and_in_the_late_submissions(opened, clock_at, org):
    clock_at("2020-10-01T09:30:00+03:00")
    plans.start_due_items()
    clock_at("2020-12-03T10:00:00+03:00")  # 1.2 was due on 30.11.2020
    engine.advance_timers()
    task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == instances("1.2")[0].id,
                                                     HumanTask.state == "READY", HumanTask.form_key != "escalation"))
    evidence = _evidence_file()
    data = sample_data(forms.load(task.form_key), random.Random(1), today=date(2020, 12, 3), file_ref=evidence)
    engine.complete(task.id, org["iao"], data)

    done = instances("1.2")[0]
    assert (done.submitted_on, done.late_days) == ("2020-12-03", 3)
    progress = {p.item.number: p for p in plans.overview(opened)}
    assert (progress["1.2"].units, progress["1.2"].done, progress["1.2"].late) == (1, 1, 1)
    assert progress["1.2"].state == "done"
    assert progress["2.3"].state == "running" and progress["3.10"].state == "not_started"
    assert progress["3.45"].state == "waiting_calendar"
    late = plans.late_submissions(opened)
    assert [(i.number, inst.unit_code, name) for i, inst, name in late] == [("1.2", "guo", "МКУ «Управление образования» г. Махачкалы")]


def _evidence_file():
    from io import BytesIO
    from engine import attachments, store
    with store.transaction() as session:
        row = attachments.store(BytesIO(b"%PDF-1.4 test"), "act.pdf", "document", instance_id=None, task_id=None,
                                actor="iao")
        session.flush()
        return {"attachment_id": row.id}


def test_a_date_given_in_the_calendar_moves_the_items_that_follow_it(opened, clock_at):
    assert item("3.45").starts is None
    result = plan_dates.set_calendar_date(opened, "thematic_checks", date(2021, 2, 15), date(2021, 3, 15), actor="iao")
    assert result == {"moved": ["3.45"], "started": [], "instances": 0, "corrections": 0, "failed": []}
    assert (item("3.45").starts, item("3.45").due) == (date(2021, 2, 15), date(2021, 3, 15))
    assert item("3.45").anomalies == []
    assert db.session.get(Plan, opened.id).calendar["thematic_checks"]["starts"] == "2021-02-15"

    clock_at("2020-12-10T09:30:00+03:00")
    plans.start_due_items()  # 5.2 (a report after the essay, 2 Dec, and after the interview, 10 Feb) is running now
    running = instances("5.2")
    assert {i.process_id for i in running} == {"plan_event_reports"}
    # 5.2, the final essay (3.12), the staff list (3.46) and the council decisions (3.24) read the calendar
    # themselves: their deadlines and timers are computed again (the staff list waits for the schools' lists, in
    # instances of theirs that do not read it).
    readers = [i for i in db.session.scalars(select(ProcessInstance)
                                             .where(ProcessInstance.status.in_(InstanceStatus.ACTIVE)))
               if "calendar_date(" in (PROCESSES / f"{i.process_id}.bpmn").read_text(encoding="utf-8")]
    assert {i.process_id for i in readers} == {"final_essay", "plan_council_decisions", "plan_event_reports",
                                               "ppe_staff_list"}
    result = plan_dates.set_calendar_date(opened, "interview", date(2021, 2, 17), actor="mo")
    assert result == {"moved": [], "started": ["5.2"], "instances": len(readers), "corrections": 0, "failed": []}
    # The running instances follow: the report after the essay is asked for already, the one after the interview
    # waits for the day after its new date.
    db.session.expire_all()
    assert item("5.2").due == date(2021, 2, 17)
    for instance in instances("5.2"):
        task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                         HumanTask.state == "READY"))
        assert task.name == "Отчёт: итоговое сочинение (изложение) 02.12.2020"
        assert task.due_at == datetime.fromisoformat("2020-12-05T23:59:59+03:00")
        assert instance.next_timer_at == datetime.fromisoformat("2021-02-18T09:00:00+03:00")


def test_moving_the_exam_period_moves_the_arrangements_to_its_new_eve(opened):
    assert (item("3.37").starts, item("3.37").due) == (date(2021, 4, 24), date(2021, 5, 23))
    result = plan_dates.set_calendar_date(opened, "gia_period", date(2021, 6, 1), date(2021, 7, 17), actor="iao")
    assert result["moved"] == ["3.37", "3.38", "3.39"]
    for number in ("3.37", "3.38", "3.39"):
        assert (item(number).starts, item(number).due) == (date(2021, 5, 1), date(2021, 5, 31))


def test_mock_exams_wait_until_the_ministry_gives_their_dates(opened):
    for number in ("5.4", "5.5"):
        assert item(number).starts is None
        assert [a["code"] for a in item(number).anomalies] == ["calendar_date_missing"]
    result = plan_dates.set_calendar_date(opened, "mock_exams", date(2021, 3, 15), date(2021, 4, 16), actor="iao")
    assert result["moved"] == ["5.4", "5.5"]
    for number in ("5.4", "5.5"):
        assert (item(number).starts, item(number).due, item(number).anomalies) == (date(2021, 3, 15),
                                                                                  date(2021, 4, 16), [])


def test_a_calendar_date_in_the_past_or_outside_the_year_is_refused_and_nothing_changes(opened, clock_at):
    from engine.errors import InvalidData, NotFound
    clock_at("2020-11-24T09:30:00+03:00")
    before = dict(db.session.get(Plan, opened.id).calendar)
    with pytest.raises(InvalidData) as refused:
        plan_dates.set_calendar_date(opened, "essay", date(2020, 11, 20))
    assert "прошла" in str(refused.value)
    with pytest.raises(InvalidData):
        plan_dates.set_calendar_date(opened, "essay", date(2021, 9, 15))
    with pytest.raises(InvalidData):
        plan_dates.set_calendar_date(opened, "gia_period", date(2021, 6, 1), date(2021, 5, 1))
    with pytest.raises(NotFound):
        plan_dates.set_calendar_date(opened, "no_such_event", date(2021, 6, 1))
    db.session.expire_all()
    assert db.session.get(Plan, opened.id).calendar == before


def test_next_years_plan_is_a_copy_with_every_date_a_year_later(opened):
    nxt = plans.copy_plan(opened, "2021/22", actor="iao")
    copied = {i.number: i for i in db.session.get(Plan, nxt.id).items}
    assert len(copied) == 82 and "2021/2022" in nxt.title and nxt.school_year_starts == date(2021, 9, 1)
    assert (copied["3.10"].starts, copied["3.10"].due) == (date(2022, 2, 1), date(2022, 3, 31))
    assert copied["3.13"].anomalies == [] and copied["3.45"].anomalies[0]["code"] == "calendar_date_missing"
    assert nxt.calendar["interview"]["date"] == "2022-02-10" and nxt.calendar["thematic_checks"]["date"] is None
    assert all(i.started_at is None for i in copied.values())
    with pytest.raises(ConflictError):
        plans.copy_plan(opened, "2021/22")
    from engine.errors import InvalidData
    with pytest.raises(InvalidData):
        plans.copy_plan(opened, "2025/26")


def test_an_items_window_is_edited_and_its_running_instances_follow(opened, clock_at):
    clock_at("2020-10-01T09:30:00+03:00")
    plans.start_due_items()  # 1.2 runs for the department, due 30.11.2020
    running = instances("1.2")[0]
    result = plan_dates.set_item_window(item("1.2"), date(2020, 10, 1), date(2020, 12, 15), actor="iao")
    assert result == {"instances": 1, "corrections": 0, "failed": []}
    db.session.expire_all()
    assert (item("1.2").starts, item("1.2").due) == (date(2020, 10, 1), date(2020, 12, 15))
    assert item("1.2").windows == [["2020-10-01", "2020-12-15"]]
    assert engine.detail(running.id)["data"]["due"] == "2020-12-15"
    task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == running.id, HumanTask.state == "READY"))
    assert task.due_at == datetime.fromisoformat("2020-12-15T23:59:59+03:00")

    # An item not started yet only changes its window; it starts on the new first day.
    assert plan_dates.set_item_window(item("3.10"), date(2021, 1, 11), date(2021, 2, 26))["instances"] == 0
    assert (item("3.10").starts, item("3.10").due) == (date(2021, 1, 11), date(2021, 2, 26))


def test_an_impossible_window_is_refused_and_nothing_changes(opened, clock_at):
    from engine.errors import InvalidData
    clock_at("2020-10-01T09:30:00+03:00")
    plans.start_due_items()
    before = (item("1.2").starts, item("1.2").due, item("1.2").windows)
    for starts, due in ((date(2020, 10, 1), date(2020, 9, 20)),     # a deadline that has passed
                        (date(2020, 11, 1), date(2020, 10, 15)),    # the end before the start
                        (date(2020, 10, 1), date(2021, 9, 30))):    # outside the school year
        with pytest.raises(InvalidData):
            plan_dates.set_item_window(item("1.2"), starts, due, actor="iao")
    db.session.expire_all()
    assert (item("1.2").starts, item("1.2").due, item("1.2").windows) == before
    assert engine.detail(instances("1.2")[0].id)["data"]["due"] == "2020-11-30"
