"""Scenario A3 (plan 3.9, 3.33) through the service layer: a participant with disabilities (ОВЗ) registered by the
coordinator of school №5 with the ПМПК scan, the conditions confirmed by the head of the assigned PPE (an assistant
who is not the pupil's subject teacher), and the PPE's stage-2 act ППЭ-01 refused until then. Both orders of
starting are covered: the act instance started after the registration (it asks the open ovz instances) and
before it (the registration tells it)."""
import pytest

import engine
from engine.plan import catalogue
from engine.plan import running as plans
from tests.conftest import PROCESSES, deploy_files
from tests.engine.plan_patterns import attach, instance, notes, only, ready, refused, tick

PUPIL = "Алиев Магомед Расулович"


@pytest.fixture
def people(org):
    deploy_files(*(PROCESSES / f"{name}.bpmn" for name in ("ovz_participant", "ppe_stage2_act")))
    plans.open_plan(catalogue.load_default())  # the exam calendar that calendar_date reads
    engine.ensure_unit("school-5", "МБОУ «СОШ №5»", "school", "guo")
    for login, role, unit in (("coord5", "school_coordinator", "school-5"),
                              ("coord12", "school_coordinator", "school-12"),
                              ("ppehead17", "ppe_head", "ppe-17"), ("ppehead12", "ppe_head", "ppe-12")):
        engine.ensure_user(login, role, unit)
    return {**org, **{login: engine.user_by_login(login) for login in ("coord5", "coord12", "ppehead17",
                                                                        "ppehead12")}}


def registration(instance_id, **changes):
    data = {"fio": PUPIL, "class_name": "9Б", "exam": "oge", "subjects": ["russian", "math"],
            "conditions": ["assistant", "extra_time", "ground_floor"], "ppe": ["ppe-17"],
            "teachers": [{"fio": "Гаджиева Патимат Алиевна", "subject": "Русский язык"},
                         {"fio": "Омаров Шамиль Магомедович", "subject": "Математика"}],
            "pmpk_scan": attach(instance_id, "pmpk.pdf", "pmpk_scan"), "pmpk_date": "2020-11-10"}
    data.update(changes)
    return data


CONFIRMATION = {"room": "101", "floor": 1, "assistant_fio": "Курбанова Саида Исаевна",
                "assistant_position": "социальный педагог"}


def register(people, clock_at):
    clock_at("2020-11-20T10:00:00+03:00")
    ovz = engine.start("ovz_participant", {}, unit="school-5", actor="coord5").instance_id
    task = only(ovz, "ovz_register")
    assert (task.role, task.unit_code) == ("school_coordinator", "school-5")
    engine.complete(task.id, people["coord5"], registration(ovz))
    return ovz


def start_act(ppe, clock_at, moment="2021-05-01T10:00:00+03:00"):
    """Start the act of a PPE; its census of open ОВЗ confirmations goes out with the next timer sweep."""
    clock_at(moment)
    act = engine.start("ppe_stage2_act", {"exam": "oge"}, unit=ppe, actor="iao").instance_id
    assert ready(act) == []
    tick(clock_at, moment[:14] + "01" + moment[16:19])  # a minute later
    return act


def data(instance_id):
    return engine.detail(instance_id)["data"]


def sign(act, people, user="ppehead17", host_head=None):
    """The PPE head signs the act and the head of the host school co-signs it (plan 3.33 names the heads of
    schools): PPE №N is set up in school №N, whose head is headN."""
    engine.complete(only(act, "ppe_s2_act").id, people[user],
                    {"signed_on": "2021-05-22", "act_scan": attach(act, "ppe01.pdf", "act_scan")})
    host_head = host_head or "head" + user.removeprefix("ppehead")
    return engine.complete(only(act, "ppe_s2_cosign").id, people[host_head], {"signed_on": "2021-05-22"})


def test_a3_registered_in_november_confirmed_by_the_ppe_head_then_the_act_is_signed(people, clock_at):
    ovz = register(people, clock_at)
    confirm = only(ovz, "ovz_confirm")
    assert (confirm.role, confirm.unit_code) == ("ppe_head", "ppe-17")
    assert confirm.due_at.date().isoformat() == "2021-05-14"  # 10 days before the ОГЭ (calendar: 24 May)
    assert confirm.name == f"Условия для участника с ОВЗ: {PUPIL} (МБОУ «СОШ №5»)"
    assert confirm.columns["Условия"] == "ассистент, +1,5 часа, аудитория на первом этаже"
    assert instance(ovz).status_text == "ожидает подтверждения ППЭ до 14.05.2021"
    # Only the head of the assigned PPE is offered it.
    assert [t.id for t in ready(ovz, user=people["ppehead17"])] == [confirm.id]
    assert ready(ovz, user=people["ppehead12"]) == [] and ready(ovz, user=people["coord5"]) == []
    with pytest.raises(engine.PermissionDenied):
        engine.complete(confirm.id, people["ppehead12"], CONFIRMATION)

    # The stage-2 acts start in May, long after the registration: PPE 17's learns of the open confirmation.
    act17, act12 = start_act("ppe-17", clock_at), start_act("ppe-12", clock_at)
    assert data(act17)["ovz_open"] == {f"school-5:{PUPIL.lower()}": f"{PUPIL} (МБОУ «СОШ №5»)"}
    assert data(act12)["ovz_open"] == {}
    act_task = only(act17, "ppe_s2_act")
    assert (act_task.role, act_task.unit_code) == ("ppe_head", "ppe-17")
    assert act_task.due_at.date().isoformat() == "2021-05-23"
    assert instance(act17).status_text == "ожидает подтверждения условий ОВЗ: 1"

    # The act is refused while the confirmation is open, naming the participant; nothing changes.
    clock_at("2021-05-13T10:00:00+03:00")
    error = refused(act17, sign, act17, people)
    assert list(error.field_errors) == ["ovz"]
    assert PUPIL in error.field_errors["ovz"][0] and "не подтверждены условия" in error.field_errors["ovz"][0]

    # The PPE head names the pupil's maths teacher: refused; a room on the second floor: refused.
    teacher = {**CONFIRMATION, "assistant_fio": "  омаров  Шамиль Магомедович"}
    error = refused(ovz, engine.complete, confirm.id, people["ppehead17"], teacher)
    assert list(error.field_errors) == ["assistant_fio"] and "учитель" in error.field_errors["assistant_fio"][0]
    no_assistant = {**CONFIRMATION, "assistant_fio": None}
    assert list(refused(ovz, engine.complete, confirm.id, people["ppehead17"], no_assistant).field_errors) == [
        "assistant_fio"]
    upstairs = {**CONFIRMATION, "floor": 2}
    assert "первом этаже" in refused(ovz, engine.complete, confirm.id, people["ppehead17"],
                                     upstairs).field_errors["floor"][0]

    result = engine.complete(confirm.id, people["ppehead17"], CONFIRMATION)
    assert result.status == "completed"
    assert instance(ovz).status_text == "условия подтверждены: аудитория 101, ассистент Курбанова Саида Исаевна"
    assert data(ovz)["confirmation"]["assistant_fio"] == "Курбанова Саида Исаевна"
    assert data(act17)["ovz_open"] == {}
    assert instance(act17).status_text == "ожидает акта ППЭ-01"

    signed = engine.complete(only(act17, "ppe_s2_act").id, people["ppehead17"],
                             {"signed_on": "2021-05-22", "act_scan": attach(act17, "ppe01.pdf", "act_scan")})
    assert signed.status == "running" and data(act17)["signed"] is False
    assert instance(act17).status_text == "акт ППЭ-01 подписан руководителем ППЭ, ожидает подписи руководителя ОУ"
    cosign = only(act17, "ppe_s2_cosign")  # the head of school №17, where PPE №17 is set up, co-signs it
    assert (cosign.role, cosign.unit_code) == ("school_head", "school-17")
    assert ready(act17, user=people["head12"]) == [] and ready(act17, user=people["ppehead17"]) == []
    done = engine.complete(cosign.id, people["head17"], {"signed_on": "2021-05-22"})
    assert done.status == "completed"
    assert data(act17)["signed"] is True and instance(act17).status_text == "акт ППЭ-01 подписан 22.05.2021"
    # PPE 12 had no ОВЗ participant: its act was never blocked, and only its own head may sign it.
    assert ready(act12, user=people["ppehead17"]) == []
    assert sign(act12, people, "ppehead12").status == "completed"
    assert notes() == []


def test_the_act_started_before_the_registration_is_told_by_it(people, clock_at):
    act17 = start_act("ppe-17", clock_at, "2020-11-01T10:00:00+03:00")
    assert data(act17)["ovz_open"] == {}
    ovz = register(people, clock_at)
    assert list(data(act17)["ovz_open"].values()) == [f"{PUPIL} (МБОУ «СОШ №5»)"]
    clock_at("2021-05-12T10:00:00+03:00")
    refused(act17, sign, act17, people)
    engine.complete(only(ovz, "ovz_confirm").id, people["ppehead17"], CONFIRMATION)
    assert data(act17)["ovz_open"] == {}
    assert sign(act17, people).status == "completed"


def test_two_participants_block_the_act_until_both_are_confirmed(people, clock_at):
    first = register(people, clock_at)
    second = engine.start("ovz_participant", {}, unit="school-5", actor="coord5").instance_id
    engine.complete(only(second, "ovz_register").id, people["coord5"],
                    registration(second, fio="Магомедова Айша Гасановна", conditions=["extra_time"],
                                 teachers=[]))
    act17 = start_act("ppe-17", clock_at)
    assert len(data(act17)["ovz_open"]) == 2
    # Without an assistant in the ПМПК conditions, none is needed and the floor is free.
    engine.complete(only(second, "ovz_confirm").id, people["ppehead17"],
                    {"room": "305", "floor": 3, "assistant_fio": None})
    error = refused(act17, sign, act17, people)
    assert PUPIL in error.field_errors["ovz"][0] and "Магомедова" not in error.field_errors["ovz"][0]
    engine.complete(only(first, "ovz_confirm").id, people["ppehead17"], CONFIRMATION)
    assert sign(act17, people).status == "completed"


def test_registration_needs_the_pmpk_scan_one_ppe_and_the_teachers_and_only_the_schools_coordinator(
        people, clock_at):
    clock_at("2020-11-20T10:00:00+03:00")
    ovz = engine.start("ovz_participant", {}, unit="school-5", actor="coord5").instance_id
    task = only(ovz, "ovz_register")
    assert [t.id for t in ready(ovz, user=people["coord5"])] == [task.id]
    assert ready(ovz, user=people["coord12"]) == []
    with pytest.raises(engine.PermissionDenied):
        engine.complete(task.id, people["coord12"], registration(ovz))

    coord = people["coord5"]
    no_scan = registration(ovz)
    del no_scan["pmpk_scan"]
    assert "pmpk_scan" in refused(ovz, engine.complete, task.id, coord, no_scan).field_errors
    two_ppe = registration(ovz, ppe=["ppe-17", "ppe-12"])
    assert "ровно один ППЭ" in refused(ovz, engine.complete, task.id, coord, two_ppe).field_errors["ppe"][0]
    no_teachers = registration(ovz, teachers=[])
    assert list(refused(ovz, engine.complete, task.id, coord, no_teachers).field_errors) == ["teachers"]
    assert instance(ovz).status_text == "ожидает регистрации координатором ОУ"

    engine.complete(task.id, coord, registration(ovz))
    assert data(ovz)["ovz"]["pmpk_scan"]["filename"] == "pmpk.pdf"
    assert only(ovz, "ovz_confirm").unit_code == "ppe-17"


def test_another_ppes_confirmation_does_not_reach_the_act_nor_take_its_claim(people, clock_at):
    """The messages carry the PPE as their correlation value: PPE 17's registration and confirmation reach PPE
    17's act alone, and PPE 12's act task, claimed by its head, stays the same task with the same claim."""
    ovz = register(people, clock_at)
    act17, act12 = start_act("ppe-17", clock_at), start_act("ppe-12", clock_at)
    act_task = only(act12, "ppe_s2_act")
    engine.claim(act_task.id, people["ppehead12"])
    assert engine.detail(act12)["waiting_for"][0]["correlation"] == {"ppe": "ppe-12"}

    engine.complete(only(ovz, "ovz_confirm").id, people["ppehead17"], CONFIRMATION)
    second = engine.start("ovz_participant", {}, unit="school-5", actor="coord5").instance_id
    engine.complete(only(second, "ovz_register").id, people["coord5"],
                    registration(second, fio="Магомедова Айша Гасановна", conditions=["extra_time"], teachers=[]))
    assert list(data(act17)["ovz_open"].values()) == ["Магомедова Айша Гасановна (МБОУ «СОШ №5»)"]
    still = only(act12, "ppe_s2_act")
    assert (still.id, still.assignee_id) == (act_task.id, people["ppehead12"].id)
    assert data(act12)["ovz_open"] == {}
