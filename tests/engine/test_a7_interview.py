"""Scenario A7 through the service layer: school №8 prepares the oral interview of 10 Feb 2021 (order by 25 Jan,
applications by 27 Jan, examiners by 29 Jan, all derived from the exam calendar), reports 98 «зачёт», 2 «незачёт»
and 1 absence with a medical certificate, and those 3 pupils go to the retake of 10 Mar (applications by 24 Feb);
the one who fails again rolls over to 17 May and, failing then, is reported to ИАО. Variants: a pupil who does not
apply for 10 Mar rolls over to 17 May; an absence without a good reason is not admitted to a retake. Refused
submissions change nothing; another school's head is not offered the tasks."""
from datetime import datetime

import pytest
from sqlalchemy import select

import engine
import forms
from engine.db import db
from engine.models import Notification
from engine.plan import catalogue
from engine.plan import running as plans
from engine.service.views import task_page
from tests.conftest import PROCESSES, deploy_files
from tests.engine.plan_patterns import add_users, attach, instance, messages, only, ready, refused, tick
from webui.instructions import render


@pytest.fixture
def people(org):
    plans.open_plan(catalogue.load_default())
    deploy_files(PROCESSES / "oral_interview.bpmn")
    return {**org, **add_users()}


def start_interview(unit="school-8", **data) -> int:
    return engine.start("oral_interview", data, unit=unit, actor="plan").instance_id



def data_of(instance_id) -> dict:
    return engine.detail(instance_id)["data"]


def notes(kind=None) -> list[tuple[str, str, str | None, str]]:
    db.session.rollback()
    return [(n.kind, n.role, n.unit_code, n.text) for n in
            db.session.scalars(select(Notification).order_by(Notification.id)) if kind in (None, n.kind)]





def due(task) -> str:
    return task.due_at.astimezone(datetime.fromisoformat("2021-01-01T00:00:00+03:00").tzinfo).date().isoformat()


def prepare(instance_id, head, registered=101):
    """The three preparatory tasks, done correctly."""
    engine.complete(only(instance_id, "interview_order_task").id, head,
                    {"number": "15-од", "signed_on": "2021-01-14", "scan": attach(instance_id, "order.pdf", "scan")})
    engine.complete(only(instance_id, "interview_applications_task").id, head, {"count": registered})
    engine.complete(only(instance_id, "interview_examiners_task").id, head, {"people": [
        {"full_name": "Алиева Патимат Магомедовна", "position": "учитель русского языка", "duty": "examiner"},
        {"full_name": "Гаджиева Зарема Ахмедовна", "position": "учитель русского языка", "duty": "expert"}]})


def pupil(name, result, document=None):
    return {"pupil": name, "result": result, "document": document}


def test_a7_school_8_interview_three_go_to_10_march_and_one_fails_through_to_17_may(people, clock_at):
    clock_at("2021-01-15T10:00:00+03:00")
    interview = start_interview()
    head8, head12 = people["head8"], people["head12"]
    tasks = {t.bpmn_id: t for t in ready(interview)}
    assert set(tasks) == {"interview_order_task", "interview_applications_task", "interview_examiners_task"}
    assert {b: (t.role, t.unit_code, due(t)) for b, t in tasks.items()} == {
        "interview_order_task": ("school_head", "school-8", "2021-01-25"),
        "interview_applications_task": ("school_head", "school-8", "2021-01-27"),
        "interview_examiners_task": ("school_head", "school-8", "2021-01-29")}
    assert tasks["interview_order_task"].name == "Приказ о проведении итогового собеседования 10.02.2021"
    assert instance(interview).status_text == "подготовка к итоговому собеседованию 10.02.2021"

    # Privacy: the head of school 12 is not offered school 8's tasks and cannot complete them.
    assert {t.id for t in ready(interview, user=head8)} == {t.id for t in tasks.values()}
    assert ready(interview, user=head12) == []
    with pytest.raises(engine.PermissionDenied):
        engine.complete(tasks["interview_applications_task"].id, head12, {"count": 101})

    order = tasks["interview_order_task"]
    future = refused(interview, engine.complete, order.id, head8,
                     {"number": "15-од", "signed_on": "2021-01-16", "scan": attach(interview)})
    assert list(future.field_errors) == ["signed_on"] and "позже сегодняшнего дня" in messages(future)
    assert list(refused(interview, engine.complete, order.id, head8,
                        {"number": "15-од", "signed_on": "2021-01-14"}).field_errors) == ["scan"]
    only_examiner = {"people": [{"full_name": "Алиева П.М.", "position": "учитель", "duty": "examiner"}]}
    error = refused(interview, engine.complete, tasks["interview_examiners_task"].id, head8, only_examiner)
    assert "хотя бы один эксперт" in messages(error)

    prepare(interview, head8)
    assert ready(interview) == []
    assert instance(interview).status_text == "итоговое собеседование 10.02.2021: заявлений 101"
    tick(clock_at, "2021-02-10T08:30:00")
    assert ready(interview) == []
    for _ in range(2):
        tick(clock_at, "2021-02-10T09:30:00")
    results = only(interview, "interview_results_task")
    assert (results.role, results.unit_code, due(results)) == ("school_head", "school-8", "2021-02-15")
    assert ready(interview, user=head12) == []

    clock_at("2021-02-10T16:00:00+03:00")
    certificate = attach(interview, "spravka.pdf", "document")
    counts = {"passed": 98, "failed": 2, "absent_excused": 1, "absent_unexcused": 0}
    good_rows = [pupil("Иванов Иван", "fail"), pupil("Петров Пётр", "fail"),
                 pupil("Сидорова Сабина", "absent_excused", certificate)]
    cases = [({**counts, "passed": 97, "not_passed": good_rows}, "равняться числу поданных заявлений: 101"),
             ({**counts, "not_passed": good_rows[:1] + good_rows[2:]}, "«Незачёт»: 2"),
             ({**counts, "not_passed": good_rows[:2] + [pupil("Сидорова Сабина", "absent_excused")]},
              "приложите медицинскую справку"),
             ({**counts, "not_passed": good_rows + [pupil(None, "fail")]}, "укажите ФИО и результат"),
             ({**counts, "not_passed": good_rows[:1] + good_rows}, "повторяются")]
    for data, expected in cases:
        error = refused(interview, engine.complete, results.id, head8, data)
        assert expected in messages(error), error.field_errors

    result = engine.complete(results.id, head8, {**counts, "not_passed": good_rows})
    [applications] = result.next_tasks
    assert applications.bpmn_id == "interview_retake_applications_task"
    assert due(applications) == "2021-02-24" and applications.columns["Дополнительный срок"] == "10.03.2021"
    assert instance(interview).status_text == "зачёт: 98, на пересдачу 10.03.2021: 3"
    assert [(p["pupil"], p["reason"]) for p in data_of(interview)["retake_pupils"]] == [
        ("Иванов Иван", "fail"), ("Петров Пётр", "fail"), ("Сидорова Сабина", "absent_excused")]
    page = task_page(applications.id, head8)
    shown = str(render(page.instructions, page.data))
    assert "до 24.02.2021 включительно" in shown and "Сидорова Сабина" in shown

    names = ["Иванов Иван", "Петров Пётр", "Сидорова Сабина"]
    changed = {"pupils": [{"pupil": n, "applied": True} for n in names[:2]]}
    assert "менять нельзя" in messages(refused(interview, engine.complete, applications.id, head8, changed))
    clock_at("2021-02-20T10:00:00+03:00")
    engine.complete(applications.id, head8, {"pupils": [{"pupil": n, "applied": True} for n in names]})
    assert ready(interview) == []
    tick(clock_at, "2021-03-10T09:30:00")
    tick(clock_at, "2021-03-10T09:30:00")
    retake = only(interview, "interview_retake_results_task")
    assert due(retake) == "2021-03-15" and ready(interview, user=head12) == []
    assert data_of(interview)["retake_applicants"] == [{"pupil": n} for n in names]
    page = task_page(retake.id, head8)  # the form lists the applicants by name
    shown_rows = forms.initial_data(forms.load("interview_retake_results"), page.data)["pupils"]
    assert [row["pupil"] for row in shown_rows] == names

    clock_at("2021-03-11T10:00:00+03:00")
    excused_without_note = {"pupils": [pupil(names[0], "pass"), pupil(names[1], "absent_excused"),
                                       pupil(names[2], "pass")]}
    assert "медицинскую справку" in messages(refused(interview, engine.complete, retake.id, head8,
                                                     excused_without_note))
    result = engine.complete(retake.id, head8, {"pupils": [pupil(names[0], "pass"), pupil(names[1], "fail"),
                                                           pupil(names[2], "pass")]})
    [applications] = result.next_tasks
    assert applications.bpmn_id == "interview_retake_applications_task" and due(applications) == "2021-05-03"
    assert instance(interview).status_text == "зачёт: 100, на пересдачу 17.05.2021: 1"
    assert data_of(interview)["retake_applications"] is None  # the new round's form starts empty

    engine.complete(applications.id, head8, {"pupils": [{"pupil": "Петров Пётр", "applied": True}]})
    tick(clock_at, "2021-05-17T09:30:00")
    tick(clock_at, "2021-05-17T09:30:00")
    last = only(interview, "interview_retake_results_task")
    assert last.columns["Дополнительный срок"] == "17.05.2021"
    page = task_page(last.id, head8)
    assert "последний дополнительный срок" in str(render(page.instructions, page.data))
    clock_at("2021-05-18T10:00:00+03:00")
    result = engine.complete(last.id, head8, {"pupils": [pupil("Петров Пётр", "fail")]})
    assert result.status == "completed"
    assert instance(interview).status_text == (
        "зачёт: 100, не получили зачёт после 17.05.2021: 1 (сведения переданы в ИАО)")
    data = data_of(interview)
    assert data["interview_unresolved"] == ["Петров Пётр"] and data["passed_total"] == 100
    # What the preparatory tasks recorded survives the parallel join.
    assert (data["interview_order"]["number"], data["interview_applications"]["count"],
            len(data["interview_examiners"]["people"])) == ("15-од", 101, 2)
    assert data["retake_rounds"] == [
        {"date": "2021-03-10", "pupils": 3, "applied": 3, "passed": 2, "rolled_over": 1},
        {"date": "2021-05-17", "pupils": 1, "applied": 1, "passed": 0, "rolled_over": 1}]
    [(kind, role, unit, text)] = notes()
    assert (kind, role, unit) == ("report", "iao_specialist", None)
    assert "МБОУ «СОШ №8»" in text and "Петров Пётр" in text and "17.05.2021" in text


def test_a_pupil_who_does_not_apply_for_10_march_rolls_over_to_17_may_and_an_unexcused_absence_is_reported(
        people, clock_at):
    clock_at("2021-01-15T10:00:00+03:00")
    interview = start_interview(lead_role="school_head")
    head8 = people["head8"]
    prepare(interview, head8)
    tick(clock_at, "2021-02-10T09:30:00")
    tick(clock_at, "2021-02-10T09:30:00")
    engine.complete(only(interview, "interview_results_task").id, head8, {
        "passed": 99, "failed": 1, "absent_excused": 0, "absent_unexcused": 1,
        "not_passed": [pupil("Петров Пётр", "fail"), pupil("Козлов Кирилл", "absent_unexcused")]})
    assert instance(interview).status_text == "зачёт: 99, на пересдачу 10.03.2021: 1, не допущены к пересдаче: 1"

    # Nobody applies for 10 March: no results task for that date, the pupil goes on to 17 May.
    result = engine.complete(only(interview, "interview_retake_applications_task").id, head8,
                             {"pupils": [{"pupil": "Петров Пётр", "applied": False}]})
    [applications] = result.next_tasks
    assert applications.bpmn_id == "interview_retake_applications_task"
    assert applications.columns["Дополнительный срок"] == "17.05.2021" and due(applications) == "2021-05-03"
    assert data_of(interview)["retake_pupils"] == [{"pupil": "Петров Пётр", "reason": "no_application",
                                                    "document": None}]
    tick(clock_at, "2021-03-10T09:30:00")
    tick(clock_at, "2021-03-10T09:30:00")
    assert [t.bpmn_id for t in ready(interview)] == ["interview_retake_applications_task"]

    engine.complete(applications.id, head8, {"pupils": [{"pupil": "Петров Пётр", "applied": True}]})
    tick(clock_at, "2021-05-17T09:30:00")
    tick(clock_at, "2021-05-17T09:30:00")
    result = engine.complete(only(interview, "interview_retake_results_task").id, head8,
                             {"pupils": [pupil("Петров Пётр", "pass")]})
    assert result.status == "completed"
    assert instance(interview).status_text == "зачёт: 100, не допущены к пересдаче: 1"
    data = data_of(interview)
    assert data["interview_unresolved"] == ["Козлов Кирилл"]
    assert [r["applied"] for r in data["retake_rounds"]] == [0, 1]
    [(kind, role, _, text)] = notes()
    assert (kind, role) == ("report", "iao_specialist") and "Козлов Кирилл" in text


def test_everyone_passing_first_time_ends_without_a_retake(people, clock_at):
    clock_at("2021-01-15T10:00:00+03:00")
    interview = start_interview(lead_role="school_coordinator")
    engine.ensure_user("coord8", "school_coordinator", "school-8")
    coord8 = engine.user_by_login("coord8")
    assert {t.role for t in ready(interview)} == {"school_coordinator"}
    assert ready(interview, user=people["head8"]) == []
    prepare(interview, coord8, registered=60)
    tick(clock_at, "2021-02-10T09:30:00")
    tick(clock_at, "2021-02-10T09:30:00")
    empty_row = {"pupil": None, "result": None, "document": None}  # the form's one blank row
    result = engine.complete(only(interview, "interview_results_task").id, coord8, {
        "passed": 60, "failed": 0, "absent_excused": 0, "absent_unexcused": 0, "not_passed": [empty_row]})
    assert result.status == "completed"
    assert instance(interview).status_text == "зачёт: 60, все получили зачёт"
    assert notes() == []


def test_without_the_exam_calendar_the_instance_fails_with_a_clear_message(org, clock_at):
    deploy_files(PROCESSES / "oral_interview.bpmn")
    clock_at("2021-01-15T10:00:00+03:00")
    with pytest.raises(engine.ProcessError) as failed:
        start_interview()
    assert "нет даты итогового собеседования" in failed.value.message
