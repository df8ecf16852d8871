"""Scenario A4 (plan 3.19, 3.20) through the service layer: the knowledge test of one nominated PPE staff member,
one instance per person. Organiser Y with a ФЦТ certificate scores 60% against a pass mark of 80% («не
аттестован», retake due 14 Apr), then 85% on 9 Apr (eligible); variant: two failures remove Y and ask Y's school
head to nominate a replacement."""
import pytest

import engine
from tests.conftest import PROCESSES, deploy_files
from tests.engine.plan_patterns import instance, notes, only, ready, refused

Y = {"fio": "Юсупов Ярослав Магомедович", "position": "организатор в аудитории", "email": "y@school17.example"}


@pytest.fixture
def people(org):
    deploy_files(PROCESSES / "staff_certification.bpmn")
    return org


def open_test(clock_at, **extra):
    clock_at("2021-03-02T10:00:00+03:00")
    return engine.start("staff_certification", {"staff": Y, "test_due": "2021-03-31", **extra},
                        unit="school-17", actor="iao").instance_id


def score(people, cert, tested_on, value, certificate=True):
    return engine.complete(only(cert, "staff_cert_score").id, people["iao"],
                           {"tested_on": tested_on, "score": value, "fct_certificate": certificate})


def data(cert):
    return engine.detail(cert)["data"]


def test_a4_y_fails_with_60_percent_and_passes_the_retake_with_85(people, clock_at):
    cert = open_test(clock_at)
    task = only(cert, "staff_cert_score")
    assert (task.role, task.due_at.date().isoformat()) == ("iao_specialist", "2021-03-31")
    assert task.columns == {"ОУ": "МБОУ «СОШ №17»", "Работник": Y["fio"], "Попытка": 1}
    assert instance(cert).status_text == "ожидает тестирования до 31.03.2021"
    assert [t.id for t in ready(cert, user=people["iao"])] == [task.id]
    assert ready(cert, user=people["head17"]) == []  # the school does not enter its own staff's scores

    clock_at("2021-03-20T12:00:00+03:00")
    assert score(people, cert, "2021-03-20", 60).status != "completed"
    assert instance(cert).status_text == "не аттестован (60% при проходном 80%), пересдача до 14.04.2021"
    assert data(cert)["eligible"] is False
    retake = only(cert, "staff_cert_score")
    assert retake.id != task.id and retake.due_at.date().isoformat() == "2021-04-14"
    assert retake.name.endswith(", пересдача") and retake.columns["Попытка"] == 2
    assert notes() == [("info", "school_head", "school-17")]

    clock_at("2021-04-09T12:00:00+03:00")
    assert score(people, cert, "2021-04-09", 85).status == "completed"
    result = data(cert)
    assert result["eligible"] is True and result["status_text"] == "аттестован"
    assert [(a["score"], a["passed"]) for a in result["attempts"]] == [(60, False), (85, True)]
    assert instance(cert).status_text == "аттестован"


def test_two_failures_remove_y_and_the_school_head_nominates_a_replacement(people, clock_at):
    cert = open_test(clock_at)
    clock_at("2021-03-20T12:00:00+03:00")
    score(people, cert, "2021-03-20", 60)
    clock_at("2021-04-09T12:00:00+03:00")
    score(people, cert, "2021-04-09", 70)
    assert ready(cert, "staff_cert_score") == []
    assert instance(cert).status_text == "отстранён" and data(cert)["eligible"] is False
    replace = only(cert, "staff_cert_replace")
    assert (replace.role, replace.unit_code, replace.name) == (
        "school_head", "school-17", f"Назначить замену: {Y['fio']} отстранён(а) — МБОУ «СОШ №17»")
    assert replace.due_at.date().isoformat() == "2021-04-16"
    assert [t.id for t in ready(cert, user=people["head17"])] == [replace.id]
    assert ready(cert, user=people["head12"]) == []
    with pytest.raises(engine.PermissionDenied):
        engine.complete(replace.id, people["head12"], {"fio": "Чужой Работник", "position": "учитель",
                                                       "email": "x@example.org"})
    assert "fio" in refused(cert, engine.complete, replace.id, people["head17"],
                            {"position": "учитель", "email": "z@school17.example"}).field_errors
    engine.complete(replace.id, people["head17"], {"fio": "Закирова Зарема Руслановна", "position": "учитель",
                                                   "email": "z@school17.example"})
    assert instance(cert).status == "completed"
    assert instance(cert).status_text == "отстранён, замена: Закирова Зарема Руслановна"
    assert data(cert)["eligible"] is False
    assert notes() == [("info", "school_head", "school-17")] * 2


def test_no_fct_certificate_fails_even_with_a_high_score_and_the_pass_mark_is_a_parameter(people, clock_at):
    cert = open_test(clock_at)
    clock_at("2021-03-20T12:00:00+03:00")
    score(people, cert, "2021-03-20", 95, certificate=False)
    assert instance(cert).status_text == "не аттестован (нет сертификата ФЦТ), пересдача до 14.04.2021"

    lenient = open_test(clock_at, pass_mark=50, retake_due="2021-04-20")
    clock_at("2021-03-20T12:00:00+03:00")
    assert score(people, lenient, "2021-03-20", 60).status == "completed"
    assert data(lenient)["eligible"] is True

    strict = open_test(clock_at, pass_mark=90, retake_due="2021-04-20")
    clock_at("2021-03-20T12:00:00+03:00")
    score(people, strict, "2021-03-20", 85)
    assert instance(strict).status_text == "не аттестован (85% при проходном 90%), пересдача до 20.04.2021"


def test_invalid_scores_are_refused_and_change_nothing(people, clock_at):
    cert = open_test(clock_at)
    clock_at("2021-03-20T12:00:00+03:00")
    task = only(cert, "staff_cert_score")
    iao = people["iao"]
    for bad, field in (({"tested_on": "2021-03-20", "score": 101, "fct_certificate": True}, "score"),
                       ({"tested_on": "2021-03-20", "fct_certificate": True}, "score"),
                       ({"tested_on": "2021-03-21", "score": 90, "fct_certificate": True}, "tested_on")):
        assert list(refused(cert, engine.complete, task.id, iao, bad).field_errors) == [field]
    with pytest.raises(engine.PermissionDenied):
        engine.complete(task.id, people["head17"], {"tested_on": "2021-03-20", "score": 90, "fct_certificate": True})
    assert instance(cert).status_text == "ожидает тестирования до 31.03.2021"
