"""Issue 15 §4: the knowledge test (A4, plan 3.19) feeds the PPE staff list (A9, plan 3.46). The staff list reads
each nominee's latest staff_certification by e-mail when the ИАО places them: an organiser removed after two
failures is refused, naming the person; one not (yet) certified is placed but flagged for the ИАО and the
approver; a certified one passes unflagged."""
import pytest

import engine
import forms
from engine.service.views import task_page
from tests.conftest import PROCESSES, deploy_files
from tests.engine.plan_patterns import only, refused
from tests.engine.test_a9_staff_list import EXAM, ORDER, nominate_all, placement, start
from webui.instructions import render

CERTIFIED = {"fio": "Алиева Патимат Гасановна", "email": "ALIEVA@school12.example"}  # case does not matter
REMOVED = {"fio": "Курбанов Ильяс Рашидович", "email": "kurbanov@school33.example"}
RETAKE = {"fio": "Исаева Мадина Алиевна", "email": "isaeva@school33.example"}


@pytest.fixture
def people(org):
    deploy_files(PROCESSES / "ppe_staff_list.bpmn", PROCESSES / "ppe_staff_day.bpmn",
                 PROCESSES / "ppe_staff_send.bpmn", PROCESSES / "ppe_staff_list_school.bpmn",
                 PROCESSES / "staff_certification.bpmn")
    engine.ensure_user("head33", "school_head", "school-33")
    return {**org, "head33": engine.user_by_login("head33")}


def labels_of(task_id, user):
    """The nominee labels of the ИАО's placement form, as the page fills it."""
    form = forms.bind_initial(forms.load("ppe_staff_assign"), task_page(task_id, user).data)
    return [entry.form.person.data for entry in form.staff.entries]


def certify(people, clock_at, person, unit, scores):
    """Open the test on 2 Mar 2021 (due 31 Mar, retake 14 Apr) and enter `scores` ((day, per cent), ...)."""
    clock_at("2021-03-02T10:00:00+03:00")
    cert = engine.start("staff_certification", {"staff": {**person, "position": "организатор в аудитории"},
                                                "test_due": "2021-03-31"}, unit=unit, actor="iao").instance_id
    for day, score in scores:
        clock_at(f"{day}T12:00:00+03:00")
        engine.complete(only(cert, "staff_cert_score").id, people["iao"],
                        {"tested_on": day, "score": score, "fct_certificate": True})
    return cert


def test_a_removed_organiser_is_refused_an_uncertified_one_flagged_a_certified_one_placed(people, clock_at):
    staff_list = start(clock_at, exams=[EXAM])  # one exam day: one placement task
    nominate_all(staff_list, people, clock_at)
    certify(people, clock_at, CERTIFIED, "school-12", [("2021-03-20", 85)])
    certify(people, clock_at, REMOVED, "school-33", [("2021-03-20", 60), ("2021-04-09", 70)])
    certify(people, clock_at, RETAKE, "school-33", [("2021-03-20", 60)])

    clock_at("2021-04-12T10:00:00+03:00")
    iao = people["iao"]
    assign = only(staff_list, "staff_assign")
    page = task_page(assign.id, iao)
    shown = str(render(page.instructions, page.data))
    assert "Не аттестованы (9):" in shown  # all but the certified one, read now, not when the task opened
    assert f"— {REMOVED['fio']} (МБОУ «СОШ №33»): отстранён(а), назначать нельзя" in shown
    assert f"— {RETAKE['fio']} (МБОУ «СОШ №33»): не аттестован (60% при проходном 80%), пересдача до 14.04.2021" in shown
    assert "— Омаров Шамиль Абдулаевич (МБОУ «СОШ №17»): аттестация не проводилась" in shown
    assert f"{CERTIFIED['fio']} (" not in shown

    labels = labels_of(assign.id, iao)
    error = refused(staff_list, engine.complete, assign.id, iao, placement(labels))
    removed_row = ORDER.index(REMOVED["fio"])
    assert error.field_errors == {f"staff-{removed_row}-ppe": [
        "Курбанов Ильяс Рашидович (МБОУ «СОШ №33») отстранён(а) по итогам аттестации работников ППЭ: назначать "
        "в ППЭ нельзя, оставьте в резерве (пустой код ППЭ)."]}

    # In reserve he is no obstacle; the others are placed, the uncertified flagged for the approver.
    engine.complete(assign.id, iao, placement(labels, {REMOVED["fio"]: (None, None)}))
    data = engine.detail(staff_list)["data"]
    flags = {a["fio"]: (a["certified"], a["certification"]) for a in data["assigned"]}
    assert REMOVED["fio"] not in flags
    assert flags[CERTIFIED["fio"]] == (True, "аттестован")
    assert flags[RETAKE["fio"]] == (False, "не аттестован (60% при проходном 80%), пересдача до 14.04.2021")
    assert flags["Омаров Шамиль Абдулаевич"] == (False, "аттестация не проводилась")
    assert len(data["uncertified"]) == 7 and all(CERTIFIED["fio"] not in u for u in data["uncertified"])
    approve = only(staff_list, "staff_approve")
    page = task_page(approve.id, people["guo_head"])
    shown = str(render(page.instructions, page.data))
    assert "НЕ АТТЕСТОВАНЫ (7):" in shown
    assert f"— {RETAKE['fio']} (МБОУ «СОШ №33»): не аттестован (60% при проходном 80%), пересдача до 14.04.2021" in shown


def test_a_retake_passed_after_the_placement_was_returned_clears_the_flag(people, clock_at):
    staff_list = start(clock_at, exams=[EXAM])  # one exam day: one placement task
    nominate_all(staff_list, people, clock_at)
    cert = certify(people, clock_at, RETAKE, "school-33", [("2021-03-20", 60)])
    clock_at("2021-04-12T10:00:00+03:00")
    iao = people["iao"]
    assign = only(staff_list, "staff_assign")
    engine.complete(assign.id, iao, placement(labels_of(assign.id, iao)))
    assert RETAKE["fio"] + " (МБОУ «СОШ №33»): не аттестован" in " ".join(engine.detail(staff_list)["data"]["uncertified"])

    clock_at("2021-04-13T12:00:00+03:00")
    engine.complete(only(cert, "staff_cert_score").id, iao, {"tested_on": "2021-04-13", "score": 85,
                                                             "fct_certificate": True})
    engine.complete(only(staff_list, "staff_approve").id, people["guo_head"],
                    {"decision": "return", "comment": "Проверьте аттестацию"})
    assign = only(staff_list, "staff_assign")
    engine.complete(assign.id, iao, placement(labels_of(assign.id, iao)))
    assert all(RETAKE["fio"] not in u for u in engine.detail(staff_list)["data"]["uncertified"])


def test_the_simulated_placement_leaves_out_a_removed_head_with_the_ppe_he_would_head(people, clock_at):
    """The placement's `sample` (what the simulated year hands in) stays valid when the knowledge test has removed
    a PPE head after the task opened: his PPE is left empty rather than headless."""
    staff_list = start(clock_at, exams=[EXAM])
    nominate_all(staff_list, people, clock_at)
    head = {"fio": "Гасанов Ахмед Магомедович", "email": "gasanov@school33.example"}
    certify(people, clock_at, head, "school-33", [("2021-03-20", 60), ("2021-04-09", 70)])
    assign = only(staff_list, "staff_assign")
    sample = engine.sample_submission(assign.id)
    placed = {row["person"]: row["ppe"] for row in sample["staff"]}
    assert placed[head["fio"]] == "" and placed["Юсупова Аминат Расуловна"] == "ppe-17"
    engine.complete(assign.id, people["iao"], sample)
    data = engine.detail(staff_list)["data"]
    assert {a["ppe"] for a in data["assigned"]} == {"ppe-17"} and len(data["assigned"]) > 1
