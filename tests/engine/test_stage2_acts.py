"""The stage-2 acts ППЭ-01 per exam day (issue 15 §6, plan 3.33, scenario A3): a PPE signs one act per exam day it
hosts (several ЕГЭ subjects on one date are one act; an ЕГЭ day and an ОГЭ day are two), and a participant with
disabilities (ОВЗ) blocks only the acts of the days she sits; a registration or a confirmation that reaches a day's
act after its PPE head signed it re-opens the act before the exam day, and on the day or later gives ИАО a task
naming the PPE, the day and the participant: never passes silently."""
import engine
from tests.engine.plan_patterns import attach, instance, only, ready, refused, tick
from tests.engine.test_a3_ovz import (CONFIRMATION, PUPIL, RUSSIAN, acts, hosts, people,  # noqa: F401 (fixture)
                                      registration, sign, start_act, unconfirmed)
from webui.instructions import render

EGE_RUSSIAN = "ЕГЭ 03.06.2021: русский язык"
SECOND = "Магомедова Айша Гасановна"
EGE_31_MAY = "ЕГЭ 31.05.2021: география, литература, химия"


def register_at(people, clock_at, moment, **changes):
    clock_at(moment)
    ovz = engine.start("ovz_participant", {}, unit="school-5", actor="coord5").instance_id
    engine.complete(only(ovz, "ovz_register").id, people["coord5"], registration(ovz, **changes))
    return ovz


def sign_by_ppe_head(act, people, day=RUSSIAN, on="2021-05-22"):
    return engine.complete(acts(act)[day].id, people["ppehead17"],
                           {"signed_on": on, "act_scan": attach(act, "ppe01.pdf", "act_scan")})


def test_an_ege_participants_conditions_block_the_ege_days_act_and_not_the_oge_days(people, clock_at):
    hosts("ppe-17", "ege_russian", "oge_russian")
    ovz = register_at(people, clock_at, "2020-11-20T10:00:00+03:00", exam="ege", subjects=["russian"])
    assert only(ovz, "ovz_confirm").due_at.date().isoformat() == "2021-05-24"  # 10 days before 3 June
    act = start_act("ppe-17", clock_at)
    assert unconfirmed(act) == {RUSSIAN: 0, EGE_RUSSIAN: 1}
    assert acts(act)[EGE_RUSSIAN].due_at.date().isoformat() == "2021-06-02"

    clock_at("2021-05-20T10:00:00+03:00")
    assert sign(act, people).status == "running"  # the ОГЭ day's act is signed and co-signed
    error = refused(act, sign, act, people, "ppehead17", None, EGE_RUSSIAN)
    assert PUPIL in error.field_errors["ovz"][0]
    engine.complete(only(ovz, "ovz_confirm").id, people["ppehead17"], CONFIRMATION)
    assert unconfirmed(act) == {EGE_RUSSIAN: 0}
    assert sign(act, people, day=EGE_RUSSIAN).status == "waiting"
    assert ready(act) == []


def test_three_ege_exams_on_one_date_are_one_act_that_a_literature_participant_blocks(people, clock_at):
    """The act ППЭ-01 is signed once per PPE and exam day: geography, literature and chemistry, all on 31 May 2021,
    are one act listing them, and an ОВЗ participant of one of them blocks it."""
    hosts("ppe-17", "ege_geography", "ege_literature", "ege_chemistry")
    ovz = register_at(people, clock_at, "2020-11-20T10:00:00+03:00", exam="ege", subjects=["literature"])
    act = start_act("ppe-17", clock_at)
    assert unconfirmed(act) == {EGE_31_MAY: 1}
    task = acts(act)[EGE_31_MAY]
    assert task.name == f"Акт готовности ППЭ-01: {EGE_31_MAY} — ППЭ №17 (на базе СОШ №17)"
    assert task.due_at.date().isoformat() == "2021-05-30"
    page = engine.task_page(task.id, people["ppehead17"])
    assert f"к экзаменам «{EGE_31_MAY}» вместе с руководителем ОУ не позднее 30.05.2021" in str(
        render(page.instructions, page.data))
    assert instance(act).status_text == "акты ППЭ-01 по дням экзаменов: 1, первый — до 30.05.2021"

    clock_at("2021-05-25T10:00:00+03:00")
    assert PUPIL in refused(act, sign, act, people, "ppehead17", None, EGE_31_MAY).field_errors["ovz"][0]
    engine.complete(only(ovz, "ovz_confirm").id, people["ppehead17"], CONFIRMATION)
    assert sign(act, people, day=EGE_31_MAY).status == "waiting"
    tick(clock_at, "2021-06-01T00:00:00")  # the day after 31 May: the act stops listening
    assert instance(act).status_text == "экзамены в ППЭ прошли, акты ППЭ-01 подписаны: 1 из 1"


def test_a_registration_after_the_act_is_signed_reopens_it_before_the_exam_day(people, clock_at):
    hosts("ppe-17", "oge_russian")
    act = start_act("ppe-17", clock_at)
    clock_at("2021-05-22T10:00:00+03:00")
    sign_by_ppe_head(act, people)
    cosign = only(act, "ppe_s2_cosign")
    # While the host school's head has not co-signed yet: the act goes back to the PPE head, blocked.
    first = register_at(people, clock_at, "2021-05-22T12:00:00+03:00", subjects=["russian"])
    assert ready(act, "ppe_s2_cosign") == [] and instance(act).status == "running"
    reopened = acts(act)[RUSSIAN]
    assert reopened.name == "Акт ППЭ-01 переоформить: ОГЭ 24.05.2021: русский язык — ППЭ №17 (на базе СОШ №17)"
    assert reopened.columns["Не подтверждено условий ОВЗ"] == 1
    reason = engine.task_page(reopened.id, people["ppehead17"]).data["reopen_reason"]
    assert reason == f"после подписания акта 22.05.2021 зарегистрирован участник с ОВЗ {PUPIL} (МБОУ «СОШ №5»)"
    refused(act, sign, act, people)
    engine.complete(only(first, "ovz_confirm").id, people["ppehead17"], CONFIRMATION)
    assert sign(act, people).status == "waiting"
    assert cosign.id not in [t.id for t in ready(act)]

    # After both signed, on the eve: re-opened again, with the new reason.
    second = register_at(people, clock_at, "2021-05-23T09:00:00+03:00", subjects=["russian"], fio=SECOND,
                         conditions=["extra_time"], teachers=[])
    again = acts(act)[RUSSIAN]
    assert again.name.startswith("Акт ППЭ-01 переоформить") and again.due_at.date().isoformat() == "2021-05-23"
    assert SECOND in engine.task_page(again.id, people["ppehead17"]).data["reopen_reason"]
    engine.complete(only(second, "ovz_confirm").id, people["ppehead17"], {"room": "12", "floor": 1,
                                                                            "assistant_fio": None})
    assert sign(act, people).status == "waiting"
    assert ready(act) == [] and [t.bpmn_id for t in ready(first)] == []


def test_a_registration_or_confirmation_on_the_exam_day_gives_iao_a_task(people, clock_at):
    hosts("ppe-17", "oge_russian")
    act = start_act("ppe-17", clock_at)
    clock_at("2021-05-22T10:00:00+03:00")
    sign_by_ppe_head(act, people)  # the host school's head has not co-signed by the exam day
    ovz = register_at(people, clock_at, "2021-05-24T08:00:00+03:00", subjects=["russian"])
    assert ready(act, "ppe_s2_act") == []  # too late to re-issue the act: ИАО is told instead
    told = only(act, "ppe_s2_iao")
    engine.complete(only(act, "ppe_s2_cosign").id, people["head17"], {"signed_on": "2021-05-24"})  # asked again
    assert (told.role, told.unit_code) == ("iao_specialist", "ppe-17")  # city-wide role, about PPE 17
    assert told.name == ("Акт ППЭ-01 подписан без учёта условий ОВЗ: ОГЭ 24.05.2021: русский язык — ППЭ №17 "
                         f"(на базе СОШ №17), участник {PUPIL} (МБОУ «СОШ №5»)")
    assert [t.id for t in ready(act, user=people["iao"])] == [told.id]
    assert ready(act, user=people["ppehead17"]) == []
    engine.complete(told.id, people["iao"], {"measures": "Руководитель ППЭ подтвердил аудиторию 101"})

    # The PPE head confirms the conditions the same day: ИАО is told of that too, naming the room.
    engine.complete(only(ovz, "ovz_confirm").id, people["ppehead17"], CONFIRMATION)
    confirmed = only(act, "ppe_s2_iao")
    assert confirmed.id != told.id and PUPIL in confirmed.name
    assert "(аудитория 101)" in engine.task_page(confirmed.id, people["iao"]).data["late_what"]
    engine.complete(confirmed.id, people["iao"], {"measures": "Проверено"})
    tick(clock_at, "2021-05-26T00:00:00")  # the day after the Russian exam's last day: the act stops listening
    assert instance(act).status == "completed"


def test_a_ppe_set_to_host_the_oge_only_gets_the_oge_days_acts(people, clock_at):
    """The department sets what a PPE hosts by kind as well as by calendar key (admin «Экзамены в ППЭ»: "oge")."""
    hosts("ppe-17", "oge")
    act = start_act("ppe-17", clock_at)
    assert sorted(acts(act)) == ["ОГЭ 24.05.2021: русский язык", "ОГЭ 27.05.2021: математика"]
