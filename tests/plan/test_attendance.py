"""Trainings and events record who took part, and trial exams their date, PPE and participants (issue 15 §7: 2.1,
2.3, 3.6, 3.19, 5.1, 5.4, 5.5, processes/plan_events.bpmn); the coverage the department reports is computed from
these records (engine/plan/attendance.py), shown on the plan item's page and downloaded as Excel."""
import io
import json
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import ProcessInstance, Unit
from engine.plan import catalogue as plan_catalogue
from engine.plan import dates as plan_dates
from engine.plan import running as plans
from engine.plan.attendance import item_attendance
from tests.conftest import PROCESSES, deploy_files
from webui import exports
from tests.engine.plan_patterns import messages, notes, only, refused, tick
from tests.plan.test_catalogue import copy_files, items_data, refusal
from tests.web.conftest import IsolatedClient, csrf, posted

SCHOOL = "МБОУ «СОШ №{}»"


def test_the_items_of_events_record_them_and_trial_exams_wait_for_the_ministrys_dates():
    catalogue = plan_catalogue.load_default()
    shares = {number: [(p.scope, p.process, p.params.get("record")) for p in catalogue.entry(number).parts]
              for number in ("2.1", "2.3", "3.6", "3.19", "5.1", "5.4", "5.5")}
    assert shares == {
        "2.1": [("department", "plan_events", "people"), ("schools", "plan_events", "people")],
        "2.3": [("department", "plan_events", "people")],
        "3.6": [("department", "plan_events", "people"), ("schools", "plan_events", "people")],
        "3.19": [("department", "staff_certification", None), ("schools", "plan_events", "people")],
        "5.1": [("schools", "plan_events", "classes")],
        "5.4": [("department", "plan_events", "exam"), ("schools", "plan_events", "exam")],
        "5.5": [("schools", "plan_events", "exam")]}
    for number in ("5.4", "5.5"):
        assert (catalogue.entry(number).windows, catalogue.entry(number).calendar_keys) == ((), ("mock_exams",))


def test_the_catalogue_refuses_an_events_record_without_the_schools_to_invite(tmp_path):
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    data["2.3"]["params"] = {"record": "people"}
    data["5.5"]["params"] = {"record": "exam", "schools": "$schools"}
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert refusal(source, items, calendar) == [
        'Item 2.3: plan_events recording «people» needs params {"schools": "$schools"}.',
        'Item 5.5: plan_events recording «exam» needs params {"schools": "$schools", "ppe": "$ppe"}.']


@pytest.fixture
def plan(org, clock_at):
    clock_at("2020-09-01T09:30:00+03:00")
    deploy_files(PROCESSES / "plan_events.bpmn")
    return plans.open_plan(plan_catalogue.load_default(), actor="iao")


def start(plan, number: str, unit_code: str) -> int:
    """The item's instance for the unit, as the plan's starter starts it."""
    item = plans.item_by_number(plan, number)
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    return engine.start("plan_events", plans.start_data(item, unit), unit=unit_code, actor="plan",
                        plan_item_id=item.id).instance_id


def coverage(plan, number: str) -> dict:
    db.session.rollback()
    return item_attendance(plans.item_by_number(plan, number))


def seminar(**changes) -> dict:
    return {"action": "record", "date": "2020-10-14", "title": "Видеоконференция по организации ГИА",
            "kind": "videoconference", "invited_all": False, "invited": ["school-1", "school-3", "school-5"],
            **changes}


def record_seminar(plan, clock_at) -> int:
    """2.1: the ИАО holds a video-conference for three schools; two of them come."""
    clock_at("2020-10-15T10:00:00+03:00")
    conference = start(plan, "2.1", "guo")
    iao = engine.user_by_login("iao")
    engine.complete(only(conference, "event_task").id, iao, seminar())
    attendance = only(conference, "attendance_task")
    assert attendance.name == "2.1: участники «Видеоконференция по организации ГИА» 14.10.2020"
    engine.complete(attendance.id, iao, {"rows": [
        {"school": SCHOOL.format(1), "invited": 10, "came": 10, "names": "Иванова А.П., координатор ГИА"},
        {"school": SCHOOL.format(3), "invited": 10, "came": 10},
        {"school": SCHOOL.format(5), "invited": 10, "came": 0}]})
    return conference


def test_an_event_is_recorded_with_who_came_and_the_coverage_is_computed_from_it(plan, clock_at):
    assert coverage(plan, "2.1")["events"] == []  # «Мероприятий ещё не было»
    assert item_attendance(plans.item_by_number(plan, "1.1")) is None  # an item that records no events
    conference = record_seminar(plan, clock_at)

    found = coverage(plan, "2.1")
    [event] = found["events"]
    assert (event.day, event.kind, event.organiser, event.invited, event.came) == (
        date(2020, 10, 14), "Видеоконференция", "МКУ «Управление образования» г. Махачкалы", 30, 20)
    assert {k: found[k] for k in ("held", "invited", "came", "percent", "invited_schools", "represented",
                                  "represented_percent", "city_schools", "city_percent")} == {
        "held": 1, "invited": 30, "came": 20, "percent": 66.7, "invited_schools": 3, "represented": 2,
        "represented_percent": 66.7, "city_schools": 7, "city_percent": 28.6}
    by_school = {s["code"]: (s["events"], s["invited"], s["came"], s["percent"]) for s in found["by_school"]}
    assert by_school["school-1"] == (1, 10, 10, 100.0)
    assert by_school["school-5"] == (1, 10, 0, 0.0)
    assert by_school["school-12"] == (0, 0, 0, None)  # never invited, still listed

    # The organiser records the next event the same way, and closes the record when no more will come.
    db.session.rollback()
    assert db.session.get(ProcessInstance, conference).status_text == "мероприятий записано: 1"
    engine.complete(only(conference, "event_task").id, engine.user_by_login("iao"), {"action": "close"})
    db.session.rollback()
    done = db.session.get(ProcessInstance, conference)
    assert (done.status, done.status_text) == ("completed", "учёт завершён, мероприятий: 1")
    assert coverage(plan, "2.1")["held"] == 1


def test_a_date_outside_the_window_or_in_the_future_and_changed_schools_are_refused(plan, clock_at):
    clock_at("2020-10-15T10:00:00+03:00")
    conference = start(plan, "2.1", "guo")
    iao = engine.user_by_login("iao")
    task = only(conference, "event_task")
    before = refused(conference, engine.complete, task.id, iao, seminar(date="2020-08-31"))
    assert messages(before) == "Дата мероприятия должна быть в сроках пункта плана: с 01.09.2020 по 31.03.2021."
    future = refused(conference, engine.complete, task.id, iao, seminar(date="2020-10-16"))
    assert messages(future) == "Дата мероприятия не может быть позже сегодняшнего дня."
    nobody = refused(conference, engine.complete, task.id, iao, seminar(invited=[]))
    assert messages(nobody) == "Укажите приглашённые ОУ или отметьте «Приглашены все ОУ города»."

    engine.complete(task.id, iao, seminar(invited=["school-12"]))
    attendance = only(conference, "attendance_task")
    other = refused(conference, engine.complete, attendance.id, iao,
                    {"rows": [{"school": SCHOOL.format(17), "invited": 5, "came": 5}]})
    assert messages(other) == "Список ОУ менять нельзя: отметьте участников каждой из 1 ОУ."
    more = refused(conference, engine.complete, attendance.id, iao,
                   {"rows": [{"school": SCHOOL.format(12), "invited": 5, "came": 6}]})
    assert messages(more) == "Пришедших не может быть больше, чем приглашённых (зарегистрированных)."

    # The window's end closes the record; an event whose participants were never given is not counted, and the
    # lead's head is told that nothing was recorded.
    for _ in range(2):
        tick(clock_at, "2021-04-01T09:30:00")
    db.session.rollback()
    closed = db.session.get(ProcessInstance, conference)
    assert (closed.status, closed.status_text) == ("completed", "учёт завершён, мероприятий не было")
    assert coverage(plan, "2.1")["events"] == []
    assert notes("escalation") == [("escalation", "iao_head", None)]


def test_trial_exams_record_their_ppe_and_participants_by_school(plan, clock_at):
    clock_at("2021-01-11T10:00:00+03:00")
    plan_dates.set_calendar_date(plan, "mock_exams", date(2021, 2, 1), date(2021, 4, 30), actor="iao")
    clock_at("2021-02-10T10:00:00+03:00")
    city, school = start(plan, "5.4", "guo"), start(plan, "5.4", "school-12")
    iao, head12 = engine.user_by_login("iao"), engine.user_by_login("head12")
    approbation = {"action": "record", "date": "2021-02-06", "title": "Апробация ЕГЭ", "subject": "math_profile",
                   "ppe": ["ppe-17", "ppe-12"], "invited_all": False, "invited": ["school-12", "school-17"]}
    task = only(city, "exam_task")
    assert messages(refused(city, engine.complete, task.id, iao, approbation)) == (
        "Выберите один ППЭ: одна запись — один экзамен в одном ППЭ.")
    engine.complete(task.id, iao, {**approbation, "ppe": ["ppe-17"]})
    engine.complete(only(city, "attendance_task").id, iao, {"rows": [
        {"school": SCHOOL.format(12), "invited": 20, "came": 18}, {"school": SCHOOL.format(17), "invited": 15,
                                                                    "came": 15}]})
    # A school records its own pupils' exam: it names no schools, so the rows are its own.
    engine.complete(only(school, "exam_task").id, head12, {
        "action": "record", "date": "2021-02-09", "title": "Я сдам ЕГЭ!", "subject": "russian", "ppe": ["ppe-12"]})
    engine.complete(only(school, "attendance_task").id, head12, {"rows": [
        {"school": SCHOOL.format(12), "invited": 25, "came": 23}]})

    found = coverage(plan, "5.4")
    assert [(r["ppe"], r["day"], r["subject"], r["school"], r["registered"], r["came"]) for r in found["exams"]] == [
        ("ППЭ №12 (на базе СОШ №12)", date(2021, 2, 9), "Русский язык", SCHOOL.format(12), 25, 23),
        ("ППЭ №17 (на базе СОШ №17)", date(2021, 2, 6), "Математика (профильный уровень)", SCHOOL.format(12), 20, 18),
        ("ППЭ №17 (на базе СОШ №17)", date(2021, 2, 6), "Математика (профильный уровень)", SCHOOL.format(17), 15,
         15)]
    assert (found["held"], found["invited"], found["came"], found["represented"]) == (2, 60, 56, 2)
    book = load_workbook(exports.attendance_workbook(found))
    assert book.sheetnames == ["Мероприятия", "По ОУ", "Пробные экзамены по ППЭ"]
    exams = book["Пробные экзамены по ППЭ"].iter_rows(min_row=2, values_only=True)
    assert [r[:2] + r[3:] for r in exams] == [  # PPE, date, (title), subject, school, registered, came
        ("ППЭ №12 (на базе СОШ №12)", datetime(2021, 2, 9), "Русский язык", SCHOOL.format(12), 25, 23),
        ("ППЭ №17 (на базе СОШ №17)", datetime(2021, 2, 6), "Математика (профильный уровень)", SCHOOL.format(12), 20,
         18),
        ("ППЭ №17 (на базе СОШ №17)", datetime(2021, 2, 6), "Математика (профильный уровень)", SCHOOL.format(17), 15,
         15)]


def test_a_schools_training_counts_its_pupils_by_class(plan, clock_at):
    clock_at("2020-11-20T10:00:00+03:00")
    training = start(plan, "5.1", "school-12")
    head12 = engine.user_by_login("head12")
    task = only(training, "training_task")
    held = {"action": "record", "date": "2020-11-19", "title": "Прививка от стресса",
            "classes": [{"group": "11А", "pupils": 25, "came": 26}, {"group": "11Б", "pupils": 27, "came": 26}]}
    assert messages(refused(training, engine.complete, task.id, head12, held)) == (
        "Участвовавших не может быть больше, чем обучающихся в классе.")
    held["classes"][0]["came"] = 23
    engine.complete(task.id, head12, held)
    found = coverage(plan, "5.1")
    assert [(e.kind, e.invited, e.came) for e in found["events"]] == [("Тренинг", 52, 49)]
    [mine] = [s for s in found["by_school"] if s["code"] == "school-12"]
    assert (mine["events"], mine["invited"], mine["came"]) == (1, 52, 49)


@pytest.fixture
def site(app, plan):
    """The plan with plan_events alone deployed, and a way to sign in (tests.web.conftest.populated's, which
    would deploy every diagram)."""
    app.test_client_class = IsolatedClient

    def sign_in(login):
        client = app.test_client()
        response = client.post("/login", data={"login": login, "password": "demo",
                                               "csrf_token": csrf(client.get("/login"))})
        assert response.status_code == 302
        return client
    return plan, sign_in


def test_the_item_page_shows_participation_and_downloads_it_for_the_department_only(site, clock_at):
    plan, sign_in = site
    iao, head12 = sign_in("iao"), sign_in("head12")
    item = plans.item_by_number(plan, "2.1")
    page = iao.get(f"/plan/items/{item.id}").get_data(as_text=True)
    assert "Участие" in page and "Мероприятий ещё не было." in page
    assert iao.get(f"/plan/items/{item.id}/attendance.xlsx").status_code == 302  # nothing to export yet

    # The ИАО records the video-conference on the task pages, as a person does.
    clock_at("2020-10-15T10:00:00+03:00")
    conference = start(plan, "2.1", "guo")
    task = only(conference, "event_task")
    form = iao.get(f"/tasks/{task.id}")
    assert 'value="school-5"' in form.get_data(as_text=True)  # the schools to invite are offered
    answer = iao.post(f"/tasks/{task.id}", data={
        "csrf_token": csrf(form), "action": "record", "date": "2020-10-14",
        "title": "Видеоконференция по организации ГИА", "kind": "videoconference",
        "invited": ["school-1", "school-3", "school-5"]})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    attendance = only(conference, "attendance_task")
    form = iao.get(f"/tasks/{attendance.id}")
    assert [SCHOOL.format(n) in form.get_data(as_text=True) for n in (1, 3, 5, 12)] == [
        True, True, True, False]  # a row per invited school
    rows = [{"school": SCHOOL.format(1), "invited": 10, "came": 10, "names": "Иванова А.П., координатор ГИА"},
            {"school": SCHOOL.format(3), "invited": 10, "came": 10}, {"school": SCHOOL.format(5), "invited": 10,
                                                                       "came": 0}]
    answer = iao.post(f"/tasks/{attendance.id}", data={"csrf_token": csrf(form), **posted({"rows": rows})})
    assert answer.status_code == 302, answer.get_data(as_text=True)

    page = iao.get(f"/plan/items/{item.id}").get_data(as_text=True)
    assert "Мероприятий ещё не было." not in page
    assert "30 / 20 (66,7 %)" in page and "2 из 7 (28,6 %)" in page and "14.10.2020" in page
    assert "Участие: проведено мероприятий — 1, пришли 20 из 30 приглашённых" in page  # at the top, a jump link
    response = iao.get(f"/plan/items/{item.id}/attendance.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    events, schools = book.worksheets
    assert [c.value for c in events[1]] == ["Дата", "Мероприятие", "Вид", "Предмет", "ППЭ", "Провёл",
                                            "Приглашено (зарегистрировано)", "Пришло"]
    assert events["A2"].value.date() == date(2020, 10, 14) and events["A2"].number_format == "DD.MM.YYYY"
    assert [c.value for c in events[2]][1:] == ["Видеоконференция по организации ГИА", "Видеоконференция", None, None,
                                                "МКУ «Управление образования» г. Махачкалы", 30, 20]
    rows = {r[0]: r[1:] for r in schools.iter_rows(min_row=2, values_only=True)}
    assert rows[SCHOOL.format(1)] == (1, 10, 10, 100.0)
    assert rows[SCHOOL.format(5)] == (1, 10, 0, 0.0)
    # invited, nobody came: marked as the late rows are
    assert [r[0].value for r in schools.iter_rows(min_row=2) if r[0].fill.fgColor.rgb.endswith("F8D7DA")] == [
        SCHOOL.format(5)]

    # A school's trainings are counted by class: its head adds a row per class on the task's page.
    training = only(start(plan, "5.1", "school-12"), "training_task")
    form = head12.get(f"/tasks/{training.id}").get_data(as_text=True)
    assert "Участники по классам" in form and 'name="classes-0-group"' in form and 'data-rows="classes"' in form

    # The plan is the department's: a school head gets neither the page nor its participation.
    assert head12.get(f"/plan/items/{item.id}").status_code == 403
    assert head12.get(f"/plan/items/{item.id}/attendance.xlsx").status_code == 403
