"""Scenario A3 (plan 3.9, 3.33) through the service layer: a participant with disabilities (ОВЗ) registered by the
coordinator of school №5 with the ПМПК scan, the conditions confirmed by the head of the assigned PPE (an assistant
who is not the pupil's subject teacher), and the PPE's stage-2 acts ППЭ-01 of the ОГЭ days the pupil sits (Russian
and maths; PPE №17 and №12 host those two) refused until then. Both orders of starting are covered: the act
instance started after the registration (each day's act asks the open ovz instances) and before it (the
registration tells it)."""
import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import Unit
from engine.plan import catalogue
from engine.plan import running as plans
from tests.conftest import PROCESSES, deploy_files
from tests.engine.plan_patterns import attach, instance, notes, only, ready, refused, tick

PUPIL = "Алиев Магомед Расулович"
RUSSIAN, MATHS = "ОГЭ 24.05.2021: русский язык", "ОГЭ 27.05.2021: математика"  # the acts' days


def hosts(ppe, *keys):
    """The exams (calendar keys) PPE `ppe` hosts, as its unit's attrs give them (default: every exam)."""
    unit = db.session.scalar(select(Unit).where(Unit.code == ppe))
    unit.attrs = {**(unit.attrs or {}), "exams": list(keys)}
    db.session.commit()


@pytest.fixture
def people(org):
    deploy_files(*(PROCESSES / f"{name}.bpmn" for name in ("ovz_participant", "ppe_stage2_act")))
    plans.open_plan(catalogue.load_default())  # the exam calendar that calendar_date reads
    engine.ensure_unit("school-5", "МБОУ «СОШ №5»", "school", "guo")
    for login, role, unit in (("coord5", "school_coordinator", "school-5"),
                              ("coord12", "school_coordinator", "school-12"),
                              ("ppehead17", "ppe_head", "ppe-17"), ("ppehead12", "ppe_head", "ppe-12")):
        engine.ensure_user(login, role, unit)
    for ppe in ("ppe-17", "ppe-12"):
        hosts(ppe, "oge_russian", "oge_math")
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
    """Start the acts of a PPE; each day's act starts with the next timer sweep and sends its census of open ОВЗ
    confirmations."""
    clock_at(moment)
    act = engine.start("ppe_stage2_act", {}, unit=ppe, actor="iao").instance_id
    assert ready(act) == []
    tick(clock_at, moment[:14] + "01" + moment[16:19])  # a minute later
    return act


def data(instance_id):
    return engine.detail(instance_id)["data"]


def acts(act, bpmn_id="ppe_s2_act"):
    """{exam day's title: its open task} of an act instance (one act per exam day)."""
    return {t.columns["Экзамен"]: t for t in ready(act, bpmn_id)}


def unconfirmed(act):
    """{exam day's title: how many ОВЗ participants' conditions block its act}."""
    return {day: t.columns["Не подтверждено условий ОВЗ"] for day, t in acts(act).items()}


def sign(act, people, user="ppehead17", host_head=None, day=RUSSIAN):
    """The PPE head signs a day's act and the head of the host school co-signs it (plan 3.33 names the heads of
    schools): PPE №N is set up in school №N, whose head is headN."""
    engine.complete(acts(act)[day].id, people[user],
                    {"signed_on": "2021-05-22", "act_scan": attach(act, "ppe01.pdf", "act_scan")})
    host_head = host_head or "head" + user.removeprefix("ppehead")
    return engine.complete(acts(act, "ppe_s2_cosign")[day].id, people[host_head], {"signed_on": "2021-05-22"})


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

    # The stage-2 acts start in May, long after the registration: both of PPE 17's ОГЭ days learn of the open
    # confirmation, one act per day, each due the day before its exam.
    act17, act12 = start_act("ppe-17", clock_at), start_act("ppe-12", clock_at)
    assert unconfirmed(act17) == {RUSSIAN: 1, MATHS: 1}
    assert unconfirmed(act12) == {RUSSIAN: 0, MATHS: 0}
    act_task = acts(act17)[RUSSIAN]
    assert (act_task.role, act_task.unit_code) == ("ppe_head", "ppe-17")
    assert act_task.due_at.date().isoformat() == "2021-05-23"
    assert acts(act17)[MATHS].due_at.date().isoformat() == "2021-05-26"
    assert act_task.name == "Акт готовности ППЭ-01: ОГЭ 24.05.2021: русский язык — ППЭ №17 (на базе СОШ №17)"
    assert instance(act17).status_text == "акты ППЭ-01 по дням экзаменов: 2, первый — до 23.05.2021"

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
    assert unconfirmed(act17) == {RUSSIAN: 0, MATHS: 0}

    signed = engine.complete(acts(act17)[RUSSIAN].id, people["ppehead17"],
                             {"signed_on": "2021-05-22", "act_scan": attach(act17, "ppe01.pdf", "act_scan")})
    assert signed.status == "running"
    cosign = only(act17, "ppe_s2_cosign")  # the head of school №17, where PPE №17 is set up, co-signs it
    assert (cosign.role, cosign.unit_code) == ("school_head", "school-17")
    assert cosign.columns["Экзамен"] == RUSSIAN
    assert ready(act17, user=people["head12"]) == []
    assert [t.bpmn_id for t in ready(act17, user=people["ppehead17"])] == ["ppe_s2_act"]  # the maths day's
    engine.complete(cosign.id, people["head17"], {"signed_on": "2021-05-22"})
    assert list(acts(act17)) == [MATHS] and ready(act17, "ppe_s2_cosign") == []
    assert sign(act17, people, day=MATHS).status == "waiting"  # the acts listen until their exam is over
    assert ready(act17) == []
    tick(clock_at, "2021-05-29T00:00:00")  # the day after the maths exam's last day
    assert instance(act17).status == "completed" and data(act17)["signed"] is True
    assert instance(act17).status_text == "экзамены в ППЭ прошли, акты ППЭ-01 подписаны: 2 из 2"
    # PPE 12 had no ОВЗ participant: its acts were never blocked, and only its own head may sign them.
    assert ready(act12, user=people["ppehead17"]) == []
    assert sign(act12, people, "ppehead12").status == "running"  # its maths act is open
    assert notes() == []


def test_the_act_started_before_the_registration_is_told_by_it(people, clock_at):
    act17 = start_act("ppe-17", clock_at, "2020-11-01T10:00:00+03:00")
    assert unconfirmed(act17) == {RUSSIAN: 0, MATHS: 0}
    ovz = register(people, clock_at)
    assert unconfirmed(act17) == {RUSSIAN: 1, MATHS: 1}
    clock_at("2021-05-12T10:00:00+03:00")
    error = refused(act17, sign, act17, people)
    assert f"{PUPIL} (МБОУ «СОШ №5»)" in error.field_errors["ovz"][0]
    engine.complete(only(ovz, "ovz_confirm").id, people["ppehead17"], CONFIRMATION)
    assert unconfirmed(act17) == {RUSSIAN: 0, MATHS: 0}
    assert sign(act17, people).status == "running"
    assert list(acts(act17)) == [MATHS]


def test_two_participants_block_the_act_until_both_are_confirmed(people, clock_at):
    first = register(people, clock_at)
    second = engine.start("ovz_participant", {}, unit="school-5", actor="coord5").instance_id
    engine.complete(only(second, "ovz_register").id, people["coord5"],
                    registration(second, fio="Магомедова Айша Гасановна", conditions=["extra_time"],
                                 teachers=[], subjects=["russian"]))
    act17 = start_act("ppe-17", clock_at)
    assert unconfirmed(act17) == {RUSSIAN: 2, MATHS: 1}  # the second pupil sits the Russian exam only
    # Without an assistant in the ПМПК conditions, none is needed and the floor is free.
    engine.complete(only(second, "ovz_confirm").id, people["ppehead17"],
                    {"room": "305", "floor": 3, "assistant_fio": None})
    error = refused(act17, sign, act17, people)
    assert PUPIL in error.field_errors["ovz"][0] and "Магомедова" not in error.field_errors["ovz"][0]
    engine.complete(only(first, "ovz_confirm").id, people["ppehead17"], CONFIRMATION)
    sign(act17, people)
    assert sign(act17, people, day=MATHS).status == "waiting"
    assert ready(act17) == []


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
    """The messages carry the PPE and the exam day as their correlation values: PPE 17's registration and
    confirmation reach PPE 17's acts alone, and PPE 12's act task, claimed by its head, stays the same task with
    the same claim."""
    ovz = register(people, clock_at)
    act17, act12 = start_act("ppe-17", clock_at), start_act("ppe-12", clock_at)
    act_task = acts(act12)[RUSSIAN]
    engine.claim(act_task.id, people["ppehead12"])
    assert {"ppe": "ppe-12", "day": "oge:2021-05-24"} in [
        w.get("correlation") for w in engine.detail(act12)["waiting_for"]]

    engine.complete(only(ovz, "ovz_confirm").id, people["ppehead17"], CONFIRMATION)
    second = engine.start("ovz_participant", {}, unit="school-5", actor="coord5").instance_id
    engine.complete(only(second, "ovz_register").id, people["coord5"],
                    registration(second, fio="Магомедова Айша Гасановна", conditions=["extra_time"], teachers=[]))
    assert unconfirmed(act17) == {RUSSIAN: 1, MATHS: 1}
    assert list(engine.task_page(acts(act17)[RUSSIAN].id, people["ppehead17"]).data["ovz_open"].values()) == [
        "Магомедова Айша Гасановна (МБОУ «СОШ №5»)"]
    still = acts(act12)[RUSSIAN]
    assert (still.id, still.assignee_id) == (act_task.id, people["ppehead12"].id)
    assert unconfirmed(act12) == {RUSSIAN: 0, MATHS: 0}
