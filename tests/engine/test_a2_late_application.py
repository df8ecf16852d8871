"""Scenario A2 through the service layer: a past-year graduate's ЕГЭ application registered by ИАО after the
1 Feb deadline (reason and scan required), the 14-day rule read from the exam calendar of the plan in force, the
«submit to ГЭК» task with its export row, and the ГЭК's decision (included, or refused); refused registrations
change nothing; an application in time needs no scan and no ГЭК; only ИАО is offered the tasks."""
import json
from datetime import date

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import HumanTask, Notification, Plan
from engine.plan import catalogue
from engine.plan import dates as plan_dates, running as plans
from tests.conftest import PROCESSES, deploy_files
from tests.engine.plan_patterns import PATTERNS, attach, instance, only, ready, refused, tick

PROCESS = "ege_late_application"
FORM = PROCESSES.parent / "forms" / "definitions" / "ege_late_application.json"


@pytest.fixture
def a2(org, clock_at):
    """The A2 process deployed with the plan's patterns and the A1 process (ids must not collide) and the 2020/21
    plan opened, so that calendar_date reads its exam calendar; the clock on 9 Feb 2021."""
    clock_at("2021-02-09T10:00:00+03:00")
    deploy_files(PROCESSES / f"{PROCESS}.bpmn", *(PROCESSES / f"{name}.bpmn" for name in (*PATTERNS, "ppe_tech_check")))
    plans.open_plan(catalogue.load_default(), actor="admin")
    return org


def start(actor="iao"):
    return engine.start(PROCESS, {}, unit="guo", actor=actor).instance_id


def application(**changes):
    data = {"full_name": "Магомедов Артур Русланович", "category": "vpl", "graduation_year": 2019,
            "document_type": "passport", "document_series": "8212", "document_number": "345678",
            "snils": "123-456-789 01", "subjects": ["ege_biology", "ege_history"], "received_on": "2021-02-09",
            "late_reason": "Болезнь: стационар с 25.01.2021 по 05.02.2021"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def data_of(instance_id):
    return engine.detail(instance_id)["data"]


def messages(error, field):
    return " ".join(error.field_errors[field])


def calendar_of_plan():
    return db.session.scalars(select(Plan)).one()


def test_a2_late_application_is_submitted_to_the_gek_and_included(a2, clock_at):
    iao = a2["iao"]
    app_id = start()
    register = only(app_id, "ela_register")
    assert (register.role, register.unit_code) == ("iao_specialist", "guo")
    assert instance(app_id).status_text == "регистрация заявления"

    scan = attach(app_id, "vypiska.pdf", "reason_document")
    result = engine.complete(register.id, iao, application(reason_document=scan))
    [submit] = result.next_tasks
    assert (submit.bpmn_id, submit.role) == ("ela_submit", "iao_specialist")
    assert submit.name == "Передать заявление в ГЭК: Магомедов Артур Русланович"
    assert submit.due_at.date() == date(2021, 2, 11)  # two working days
    assert submit.columns == {"Участник": "Магомедов Артур Русланович", "Ближайший экзамен": "История, 11.06.2021"}

    data = data_of(app_id)
    # The earliest chosen exam and its date come from the calendar: history (11 Jun) before biology (17 Jun).
    calendar = calendar_of_plan().calendar
    assert data["first_exam"] == {"subject": "ege_history", "name": "История",
                                  "date": calendar["ege_history"]["date"]}
    assert data["late"] is True and data["deadline"] == calendar["ege_applications_deadline"]["date"]
    export = data["exports"]["gek_submission"]
    assert export["title"] == "Заявление ВПЛ для ГЭК"
    assert len(export["rows"]) == 1 and len(export["rows"][0]) == len(export["columns"])
    row = dict(zip(export["columns"], export["rows"][0]))
    assert row["ФИО"] == "Магомедов Артур Русланович"
    assert row["Категория"] == "Выпускник прошлых лет (ВПЛ)"
    assert row["Год окончания ОО"] == 2019
    assert row["Выбранные экзамены"] == "Биология, История"
    assert row["Дата подачи заявления"] == "2021-02-09"
    assert row["Причина подачи после срока"].startswith("Болезнь")
    assert row["Подтверждающий документ"] == "vypiska.pdf"
    assert (row["Ближайший экзамен"], row["Дата экзамена"], row["Дней до экзамена"]) == ("История", "2021-06-11", 122)
    assert all(isinstance(v, (str, int, float)) for v in export["rows"][0])
    assert instance(app_id).status_text == "подано после срока: ожидает передачи в ГЭК"

    clock_at("2021-02-10T11:00:00+03:00")
    early = {"submitted_on": "2021-02-08", "outgoing_number": "ИАО-45/21"}
    assert "раньше, чем подано" in messages(refused(app_id, engine.complete, submit.id, iao, early), "submitted_on")
    [decide] = engine.complete(submit.id, iao, {"submitted_on": "2021-02-10",
                                                "outgoing_number": "ИАО-45/21"}).next_tasks
    assert (decide.bpmn_id, decide.role) == ("ela_decide", "iao_specialist")
    assert decide.due_at.date() == date(2021, 2, 17)  # five working days after the submission
    assert instance(app_id).status_text == "на рассмотрении ГЭК (исх. № ИАО-45/21 от 10.02.2021)"

    clock_at("2021-02-16T12:00:00+03:00")
    result = engine.complete(decide.id, iao, {"outcome": "accepted", "protocol_number": "12",
                                              "protocol_date": "2021-02-15"})
    assert result.status == "completed" and ready(app_id) == []
    assert instance(app_id).status_text == "включён в РИС по решению ГЭК № 12 от 15.02.2021"
    data = data_of(app_id)
    assert data["included"] is True
    assert data["gek_decision"]["protocol_number"] == "12"
    done = [(h["bpmn_id"], h["completed_by"]) for h in engine.detail(app_id)["history"] if h["completed_by"]]
    assert done == [("ela_register", "iao"), ("ela_submit", "iao"), ("ela_decide", "iao")]


def test_only_iao_is_offered_the_tasks(a2):
    app_id = start()
    register = only(app_id, "ela_register")
    assert [t.id for t in ready(app_id, user=a2["iao"])] == [register.id]
    for login in ("head12", "head17", "tech17"):
        assert ready(app_id, user=a2[login]) == []
    with pytest.raises(engine.PermissionDenied):
        engine.complete(register.id, a2["head12"], application(received_on="2021-01-20"))
    with pytest.raises(engine.PermissionDenied):
        engine.claim(register.id, a2["head17"])
    assert only(app_id, "ela_register").state == "READY"

    [submit] = engine.complete(register.id, a2["iao"], application(reason_document=attach(app_id))).next_tasks
    assert ready(app_id, user=a2["head12"]) == []
    with pytest.raises(engine.PermissionDenied):
        engine.complete(submit.id, a2["head12"], {"submitted_on": "2021-02-09", "outgoing_number": "1"})


def test_a_school_head_cannot_start_it_but_iao_can(a2):
    from engine.access import may_start
    from engine.service.instances import startable_spec
    spec = startable_spec(PROCESS).spec
    start_event = next(s for s in spec.task_specs.values() if type(s).__name__ == "StartEvent")
    assert may_start(a2["iao"], start_event) and not may_start(a2["head12"], start_event)


def test_after_the_deadline_a_scan_and_a_reason_are_required(a2):
    iao = a2["iao"]
    app_id = start()
    task = only(app_id, "ela_register")

    no_scan = refused(app_id, engine.complete, task.id, iao, application())
    assert list(no_scan.field_errors) == ["reason_document"]
    assert "01.02.2021" in messages(no_scan, "reason_document")
    assert "приложите скан" in messages(no_scan, "reason_document")

    scan = attach(app_id)
    no_reason = refused(app_id, engine.complete, task.id, iao, application(late_reason=None, reason_document=scan))
    assert list(no_reason.field_errors) == ["late_reason"]
    assert "укажите уважительную причину" in messages(no_reason, "late_reason")

    neither = refused(app_id, engine.complete, task.id, iao, application(late_reason=None))
    assert sorted(neither.field_errors) == ["late_reason", "reason_document"]

    # The form's own rules: a ВПЛ gives the year of graduation; a date in the future is not accepted.
    assert "graduation_year" in refused(app_id, engine.complete, task.id, iao,
                                        application(graduation_year=None, reason_document=scan)).field_errors
    future = refused(app_id, engine.complete, task.id, iao, application(received_on="2021-02-10",
                                                                        reason_document=scan))
    assert "позже сегодняшнего дня" in messages(future, "received_on")
    assert instance(app_id).status_text == "регистрация заявления"

    [submit] = engine.complete(task.id, iao, application(reason_document=scan)).next_tasks
    assert submit.bpmn_id == "ela_submit"


def test_an_application_in_time_needs_no_scan_and_no_gek(a2, clock_at):
    clock_at("2021-01-20T10:00:00+03:00")
    app_id = start()
    for day in ("2021-01-20", "2021-02-01"):  # 1 Feb is the last day of the deadline, still in time
        clock_at(f"{day}T10:00:00+03:00")
        other = app_id if day == "2021-01-20" else start()
        result = engine.complete(only(other, "ela_register").id, a2["iao"],
                                 application(category="current", graduation_year=None, received_on=day,
                                             late_reason=None, subjects=["ege_russian", "ege_math_profile"]))
        assert result.status == "completed" and result.next_tasks == []
        data = data_of(other)
        assert (data["late"], data["included"], data["exports"]) == (False, True, {})
        assert data["first_exam"]["name"] == "Русский язык"
        assert instance(other).status_text == "включён в РИС: заявление подано в срок (до 01.02.2021)"
    assert db.session.scalar(select(HumanTask.id).where(HumanTask.bpmn_id == "ela_submit")) is None


@pytest.mark.parametrize("received_on, accepted", [("2021-05-28", True), ("2021-05-29", False),
                                                   ("2021-06-01", False)])
def test_the_earliest_exam_must_be_at_least_14_days_away(a2, clock_at, received_on, accepted):
    clock_at(f"{received_on}T10:00:00+03:00")
    app_id = start()
    task = only(app_id, "ela_register")
    data = application(received_on=received_on, reason_document=attach(app_id))
    if accepted:
        assert [t.bpmn_id for t in engine.complete(task.id, a2["iao"], data).next_tasks] == ["ela_submit"]
        return
    error = refused(app_id, engine.complete, task.id, a2["iao"], data)
    assert list(error.field_errors) == ["subjects"]
    days = (date(2021, 6, 11) - date.fromisoformat(received_on)).days
    assert messages(error, "subjects") == (
        f"До ближайшего выбранного экзамена («История», 11.06.2021) остаётся {days} дн.: заявление принимается "
        "не позднее чем за 14 дней до экзамена.")
    # Without history, the earliest is biology (17 Jun): 16 days after 1 Jun is enough.
    if received_on == "2021-06-01":
        result = engine.complete(task.id, a2["iao"], {**data, "subjects": ["ege_biology"]})
        assert [t.bpmn_id for t in result.next_tasks] == ["ela_submit"]
        assert data_of(app_id)["first_exam"]["date"] == "2021-06-17"


def test_exam_dates_follow_the_calendar_of_the_plan(a2, clock_at):
    """A supervisor moves the history exam to 21 Jun: an application on 1 Jun for history is then in time."""
    clock_at("2021-06-01T10:00:00+03:00")
    plan_dates.set_calendar_date(calendar_of_plan(), "ege_history", date(2021, 6, 21), actor="admin")
    app_id = start()
    result = engine.complete(only(app_id, "ela_register").id, a2["iao"],
                             application(received_on="2021-06-01", subjects=["ege_history"],
                                         reason_document=attach(app_id)))
    assert [t.bpmn_id for t in result.next_tasks] == ["ela_submit"]
    assert data_of(app_id)["first_exam"]["date"] == "2021-06-21"
    assert result.next_tasks[0].columns["Ближайший экзамен"] == "История, 21.06.2021"


def test_a_subject_without_a_date_in_the_calendar_is_refused_with_its_name(a2):
    plan = calendar_of_plan()
    plan.calendar = {k: v for k, v in plan.calendar.items() if k != "ege_history"}
    db.session.commit()
    app_id = start()
    task = only(app_id, "ela_register")
    error = refused(app_id, engine.complete, task.id, a2["iao"], application(reason_document=attach(app_id)))
    assert list(error.field_errors) == ["subjects"]
    assert messages(error, "subjects") == ("В расписании ЕГЭ нет даты экзамена «История»: проверить срок подачи "
                                           "заявления нельзя. Уточните расписание в календаре ГИА.")
    assert instance(app_id).status == "running" and instance(app_id).error is None


def test_without_a_deadline_in_the_calendar_the_application_is_refused_clearly(a2):
    plan = calendar_of_plan()
    plan.calendar = {k: v for k, v in plan.calendar.items() if k != "ege_applications_deadline"}
    db.session.commit()
    app_id = start()
    error = refused(app_id, engine.complete, only(app_id, "ela_register").id, a2["iao"], application())
    assert list(error.field_errors) == ["received_on"]
    assert "нет срока подачи заявлений на ЕГЭ" in messages(error, "received_on")


def _submitted(a2, clock_at):
    app_id = start()
    engine.complete(only(app_id, "ela_register").id, a2["iao"], application(reason_document=attach(app_id)))
    clock_at("2021-02-10T11:00:00+03:00")
    engine.complete(only(app_id, "ela_submit").id, a2["iao"],
                    {"submitted_on": "2021-02-10", "outgoing_number": "ИАО-45/21"})
    return app_id


def test_the_gek_refuses_the_application(a2, clock_at):
    app_id = _submitted(a2, clock_at)
    decide = only(app_id, "ela_decide")
    clock_at("2021-02-16T12:00:00+03:00")
    no_comment = {"outcome": "rejected", "protocol_number": "12", "protocol_date": "2021-02-15"}
    assert "comment" in refused(app_id, engine.complete, decide.id, a2["iao"], no_comment).field_errors
    before = {**no_comment, "protocol_date": "2021-02-09", "comment": "Причина не уважительная"}
    assert "раньше передачи" in messages(refused(app_id, engine.complete, decide.id, a2["iao"], before),
                                         "protocol_date")
    result = engine.complete(decide.id, a2["iao"], {**no_comment, "comment": "Документ не подтверждает причину"})
    assert result.status == "completed"
    assert instance(app_id).status_text == ("отказано во включении в РИС по решению ГЭК № 12 от 15.02.2021: "
                                            "Документ не подтверждает причину")
    assert data_of(app_id)["included"] is False


def test_an_overdue_gek_decision_escalates_to_the_head_of_iao(a2, clock_at):
    app_id = _submitted(a2, clock_at)
    decide = only(app_id, "ela_decide")
    tick(clock_at, "2021-02-17T18:00:00")
    assert ready(app_id, "ela_decision_escalate") == []
    for _ in range(2):
        tick(clock_at, "2021-02-18T09:30:00")
    escalated = only(app_id, "ela_decision_escalate")
    assert escalated.role == "iao_head" and escalated.name == "Нет решения ГЭК: Магомедов Артур Русланович"
    assert [t.id for t in ready(app_id, user=a2["iao_head"])] == [escalated.id]
    notes = [(n.kind, n.role) for n in db.session.scalars(select(Notification))]
    assert notes == [("escalation", "iao_head")]
    assert only(app_id, "ela_decide").id == decide.id  # ИАО keeps the task

    clock_at("2021-02-19T10:00:00+03:00")
    engine.complete(decide.id, a2["iao"], {"outcome": "accepted", "protocol_number": "14",
                                           "protocol_date": "2021-02-19"})
    states = {t.bpmn_id: t.state for t in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == app_id))}
    assert states["ela_decision_escalate"] == "CANCELLED"
    assert instance(app_id).status_text == "включён в РИС по решению ГЭК № 14 от 19.02.2021"


def test_the_labels_of_the_process_match_the_form():
    """The process names subjects and categories in its texts and export with the form's labels."""
    form = {f["name"]: f for f in json.loads(FORM.read_text(encoding="utf-8"))["fields"]}
    text = (PROCESSES / f"{PROCESS}.bpmn").read_text(encoding="utf-8")
    for field in ("subjects", "category", "document_type"):
        for key, label in form[field]["choices"]:
            assert f"'{key}': '{label}'" in text, (field, key)
    calendar = json.loads((PROCESSES / "plan" / "calendar-2020-2021.json").read_text(encoding="utf-8"))
    # Basic maths stays a choice (a graduate of the year may take it when it is held) but was not held in 2021.
    assert {key for key, _ in form["subjects"]["choices"]} - set(calendar) == {"ege_math_base"}
