"""Scenario A12 through the service layer: pupil Z appeals against the scores at school №41; the school forwards
the appeal to the conflict commission (КК) within one working day, the task showing the commission's limit of four
working days; ИАО records the outcome (upheld with changed scores, or rejected), kept for the results analysis
(3.49). Variants: a late forward escalates to ИАО and moves the commission's limit; the commission's limit
passing alerts the head of ИАО. Refused submissions change nothing; another school's staff are not offered the
tasks."""
from datetime import datetime

import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import HumanTask
from engine.service.views import task_page
from tests.conftest import PROCESSES, deploy_files
from tests.engine.plan_patterns import attach, instance, messages, notes, only, ready, refused, tick
from webui.instructions import render

APPEAL = {"pupil": "Закиров Заур Магомедович", "exam": "ЕГЭ", "subject": "Русский язык",
          "results_on": "2021-06-21", "appeal_on": "2021-06-22"}


@pytest.fixture
def people(org):
    deploy_files(PROCESSES / "score_appeal.bpmn")
    engine.ensure_unit("school-41", "МБОУ «СОШ №41»", "school", "guo")
    for login, role, unit in (("coord41", "school_coordinator", "school-41"),
                              ("coord12", "school_coordinator", "school-12")):
        engine.ensure_user(login, role, unit)
    db.session.commit()
    return {**org, "coord41": engine.user_by_login("coord41"), "coord12": engine.user_by_login("coord12")}


def start_appeal(**changes) -> int:
    return engine.start("score_appeal", {**APPEAL, **changes}, unit="school-41", actor="coord41").instance_id







def test_a12_appeal_is_forwarded_next_day_and_upheld_with_changed_scores(people, clock_at):
    clock_at("2021-06-22T11:00:00+03:00")
    appeal = start_appeal()
    forward = only(appeal, "appeal_forward")
    assert (forward.role, forward.unit_code) == ("school_coordinator", "school-41")
    assert forward.name == "Передать апелляцию в КК: Закиров Заур Магомедович (ЕГЭ, Русский язык)"
    assert forward.due_at == datetime.fromisoformat("2021-06-23T23:59:59+03:00")  # 1 working day after 22 Jun
    # 23 Jun (Wed) + 4 working days = 29 Jun (Thu, Fri, Mon, Tue)
    assert forward.columns == {"ОУ": "МБОУ «СОШ №41»", "Обучающийся": APPEAL["pupil"], "Экзамен": "ЕГЭ, Русский язык",
                               "Решение КК до": "29.06.2021"}
    assert instance(appeal).status_text == "апелляция подана 22.06.2021, передать в КК до 23.06.2021"
    page = task_page(forward.id, people["coord41"])
    shown = str(render(page.instructions, page.data))
    assert "не позднее 23.06.2021" in shown and "в течение 4 рабочих дней" in shown and "не позднее 29.06.2021" in shown
    assert "Внимание" not in shown  # filed within 2 working days of the results

    # Privacy: another school's coordinator or head is not offered the task and cannot complete it.
    coord41 = people["coord41"]
    assert [t.id for t in ready(appeal, user=coord41)] == [forward.id]
    for other in (people["coord12"], people["head12"]):
        assert ready(appeal, user=other) == []
        with pytest.raises(engine.PermissionDenied):
            engine.complete(forward.id, other, {"forwarded_on": "2021-06-22", "appeal_scan": attach(appeal)})

    clock_at("2021-06-23T10:00:00+03:00")
    scan = attach(appeal, "appeal.pdf", "appeal_scan")
    early = refused(appeal, engine.complete, forward.id, coord41, {"forwarded_on": "2021-06-21", "appeal_scan": scan})
    assert list(early.field_errors) == ["forwarded_on"] and "раньше, чем она подана (22.06.2021)" in messages(early)
    future = refused(appeal, engine.complete, forward.id, coord41, {"forwarded_on": "2021-06-24", "appeal_scan": scan})
    assert "позже сегодняшнего дня" in messages(future)
    no_scan = refused(appeal, engine.complete, forward.id, coord41, {"forwarded_on": "2021-06-23"})
    assert list(no_scan.field_errors) == ["appeal_scan"]

    result = engine.complete(forward.id, coord41, {"forwarded_on": "2021-06-23", "appeal_scan": scan})
    [outcome] = result.next_tasks
    assert (outcome.bpmn_id, outcome.role) == ("appeal_outcome_task", "iao_specialist")
    assert outcome.due_at == datetime.fromisoformat("2021-06-29T23:59:59+03:00")
    assert instance(appeal).status_text == "передана в КК 23.06.2021, решение КК до 29.06.2021"
    assert ready(appeal, user=coord41) == [] and [t.id for t in ready(appeal, user=people["iao"])] == [outcome.id]
    tick(clock_at, "2021-06-24T09:30:00")
    assert notes("escalation") == []  # forwarded in time: no escalation

    clock_at("2021-06-28T15:00:00+03:00")
    iao = people["iao"]
    upheld = {"decision": "upheld", "old_score": 54, "decided_on": "2021-06-28"}
    cases = [(upheld, "укажите баллы после апелляции"),
             ({**upheld, "new_score": 54}, "должны отличаться от прежних (54)"),
             ({"decision": "rejected", "old_score": 54, "new_score": 60, "decided_on": "2021-06-28"},
              "баллы не меняются"),
             ({**upheld, "new_score": 61, "decided_on": "2021-06-22"}, "не раньше передачи апелляции в КК (23.06.2021)")]
    for data, expected in cases:
        error = refused(appeal, engine.complete, outcome.id, iao, data)
        assert expected in messages(error), error.field_errors
    assert list(refused(appeal, engine.complete, outcome.id, iao, {**upheld, "new_score": 101}).field_errors) == [
        "new_score"]

    result = engine.complete(outcome.id, iao, {**upheld, "new_score": 61, "protocol": attach(appeal, "kk.pdf", "protocol")})
    assert result.status == "completed"
    assert instance(appeal).status_text == "апелляция удовлетворена: баллы 54 → 61"
    data = engine.detail(appeal)["data"]
    assert data["appeal_outcome"] == {"decision": "upheld", "decision_text": "удовлетворена с изменением баллов",
                                      "old_score": 54, "new_score": 61, "decided_on": "2021-06-28", "late_days": 0}
    assert data["exports"] == {"appeal": {
        "title": "Апелляция о несогласии с баллами: Закиров Заур Магомедович, ЕГЭ, Русский язык",
        "columns": ["ОУ", "Обучающийся", "Форма ГИА", "Предмет", "Результаты объявлены", "Апелляция подана",
                    "Передана в КК", "Срок КК", "Решение КК", "Дата решения", "Баллы до", "Баллы после",
                    "Изменение баллов"],
        "rows": [["МБОУ «СОШ №41»", "Закиров Заур Магомедович", "ЕГЭ", "Русский язык", "2021-06-21", "2021-06-22",
                  "2021-06-23", "2021-06-29", "удовлетворена с изменением баллов", "2021-06-28", 54, 61, 7]]}}
    assert notes() == [("info", "school_coordinator", "school-41")]  # the school hears the outcome


def test_a_late_forward_escalates_to_iao_and_moves_the_commission_limit_then_the_appeal_is_rejected(people,
                                                                                                    clock_at):
    clock_at("2021-06-22T11:00:00+03:00")
    appeal = start_appeal()
    forward = only(appeal, "appeal_forward")
    tick(clock_at, "2021-06-23T18:00:00")
    tick(clock_at, "2021-06-24T08:59:00")
    assert ready(appeal, "appeal_forward_escalate") == []
    for _ in range(2):  # a second sweep fires nothing twice
        tick(clock_at, "2021-06-24T09:30:00")
    escalated = only(appeal, "appeal_forward_escalate")
    assert escalated.role == "iao_head"
    assert escalated.name == "Апелляция не передана в КК: МБОУ «СОШ №41», Закиров Заур Магомедович"
    assert [t.id for t in ready(appeal, user=people["iao_head"])] == [escalated.id]
    assert notes("escalation") == [("escalation", "iao_head", None)]
    assert only(appeal, "appeal_forward").id == forward.id  # the school keeps its task

    clock_at("2021-06-25T10:00:00+03:00")
    result = engine.complete(forward.id, people["coord41"],
                             {"forwarded_on": "2021-06-25", "appeal_scan": attach(appeal, "appeal.pdf", "appeal_scan")})
    [outcome] = result.next_tasks
    assert ready(appeal, "appeal_forward_escalate") == []  # forwarding closes the escalation
    # 25 Jun (Fri) + 4 working days = 1 Jul
    assert outcome.due_at == datetime.fromisoformat("2021-07-01T23:59:59+03:00")
    assert instance(appeal).status_text == "передана в КК 25.06.2021 (с опозданием на 2 дн.), решение КК до 01.07.2021"

    clock_at("2021-06-30T10:00:00+03:00")
    result = engine.complete(outcome.id, people["iao"], {"decision": "rejected", "old_score": 54,
                                                         "decided_on": "2021-06-30"})
    assert result.status == "completed"
    assert instance(appeal).status_text == "апелляция отклонена, баллы 54 сохранены"
    data = engine.detail(appeal)["data"]
    assert data["appeal_outcome"]["decision"] == "rejected" and data["appeal_outcome"]["new_score"] == 54
    assert data["exports"]["appeal"]["rows"][0][6:] == ["2021-06-25", "2021-07-01", "отклонена", "2021-06-30", 54, 54, 0]
    assert rows_of(appeal) == {"appeal_forward": ["COMPLETED"], "appeal_forward_escalate": ["CANCELLED"],
                               "appeal_outcome_task": ["COMPLETED"]}


def test_the_commission_limit_passing_alerts_the_head_of_iao_once(people, clock_at):
    clock_at("2021-06-22T11:00:00+03:00")
    appeal = start_appeal()
    engine.complete(only(appeal, "appeal_forward").id, people["coord41"],
                    {"forwarded_on": "2021-06-22", "appeal_scan": attach(appeal, "appeal.pdf", "appeal_scan")})
    outcome = only(appeal, "appeal_outcome_task")
    assert outcome.due_at.date().isoformat() == "2021-06-28"  # 22 Jun (Tue) + 4 working days
    tick(clock_at, "2021-06-28T18:00:00")
    assert notes("escalation") == []
    for _ in range(2):
        tick(clock_at, "2021-06-29T09:30:00")
    assert notes("escalation") == [("escalation", "iao_head", None)]
    assert only(appeal, "appeal_outcome_task").id == outcome.id
    clock_at("2021-06-30T10:00:00+03:00")
    engine.complete(outcome.id, people["iao"], {"decision": "rejected", "old_score": 70, "decided_on": "2021-06-29"})
    assert engine.detail(appeal)["data"]["appeal_outcome"]["late_days"] == 1


def test_an_appeal_filed_late_is_flagged_and_one_before_the_results_is_refused(people, clock_at):
    clock_at("2021-06-25T11:00:00+03:00")
    appeal = start_appeal(appeal_on="2021-06-25")  # the results of 21 Jun allow appeals until 23 Jun
    page = task_page(only(appeal, "appeal_forward").id, people["coord41"])
    assert "позже двух рабочих дней после объявления результатов (срок — 23.06.2021)" in str(
        render(page.instructions, page.data))
    with pytest.raises(engine.ProcessError) as failed:
        start_appeal(appeal_on="2021-06-20")
    assert "раньше дня объявления результатов" in failed.value.message


def rows_of(instance_id) -> dict[str, list[str]]:
    found = {}
    for row in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id)
                                  .order_by(HumanTask.created_at, HumanTask.seq)):
        found.setdefault(row.bpmn_id, []).append(row.state)
    return found
