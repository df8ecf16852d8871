"""Scenario A9 (plan items 3.3, 3.31, 3.46) through the service layer with the manual clock: three schools nominate
PPE staff once for the ЕГЭ period (here maths and history), each in an instance of its own that reports to the
department's list by a correlated message (one late, after a reminder and an escalation); the ИАО places them per
exam day: a maths teacher on the maths day, a teacher where their own pupils sit, an unknown PPE or no auditorium is
refused with a Russian message naming the person and changes nothing; valid placements pass with warnings about thin
auditoriums, which the Начальник ГУО sees for the whole list; a return and an approval; the ЦКО ДИРО table has one
row per placed person and exam day in a stable order; the dispatch is recorded. Two lists out at once each get their
own schools' answers, and the department's instance does not carry the schools' work. The days' own rules (PPE
head, the subject per day) are in test_a9_staff_days.py."""
from datetime import date

import pytest
from sqlalchemy import select

import engine
import forms
from engine.access.rules import can_view_instance
from engine.db import db
from engine.models import Notification, ProcessInstance
from engine.sandbox.helpers import format_date
from engine.service.views import task_page
from tests.conftest import PROCESSES, deploy_files
from tests.engine.plan_patterns import instance, only, ready, refused, rows, snapshot, tick
from webui.instructions import render

EXAM = {"subject": "math", "title": "ЕГЭ по математике (профильный уровень)", "date": "2021-06-07"}
HISTORY = {"subject": "history", "title": "ЕГЭ по истории", "date": "2021-06-11"}
PERIOD = "ГИА, основной период"  # the list's title when it holds more than one exam
SCHOOLS = [{"code": "school-12", "name": "МБОУ «СОШ №12»"}, {"code": "school-17", "name": "МБОУ «СОШ №17»"},
           {"code": "school-33", "name": "МБОУ «СОШ №33»"}]
# Pupils of schools 12 and 17 sit in PPE №17, those of school 33 in PPE №12.
PPE = [{"code": "ppe-17", "name": "ППЭ №17 (на базе СОШ №17)", "schools": ["school-12", "school-17"], "rooms": 2},
       {"code": "ppe-12", "name": "ППЭ №12 (на базе СОШ №12)", "schools": ["school-33"], "rooms": 2}]


def person(fio, email, position, subject):
    return {"fio": fio, "email": email, "position": position, "subject": subject}


NOMINATED = {
    "school-12": [person("Магомедов Арсен Маратович", "magomedov@school12.example", "organizer_room", "math"),
                  person("Алиева Патимат Гасановна", "alieva@school12.example", "organizer_room", "russian"),
                  person("Гаджиев Руслан Ильясович", "gadzhiev@school12.example", "tech", "informatics")],
    "school-17": [person("Омаров Шамиль Абдулаевич", "omarov@school17.example", "organizer_room", "history"),
                  person("Саидова Зарема Магомедовна", "saidova@school17.example", "organizer_out", "none"),
                  person("Юсупова Аминат Расуловна", "yusupova@school17.example", "ppe_head", "none")],
    "school-33": [person("Курбанов Ильяс Рашидович", "kurbanov@school33.example", "organizer_room", "physics"),
                  person("Исаева Мадина Алиевна", "isaeva@school33.example", "organizer_room", "primary"),
                  person("Абдуллаев Марат Саидович", "abdullaev@school33.example", "organizer_room", "chemistry"),
                  person("Гасанов Ахмед Магомедович", "gasanov@school33.example", "ppe_head", "none")],
}
# The nominees in list order (schools in the order of the start data, each school's rows in its order).
ORDER = [p["fio"] for code in ("school-12", "school-17", "school-33") for p in NOMINATED[code]]
VALID = {"Магомедов Арсен Маратович": (None, None),  # the maths teacher stays in reserve
         "Алиева Патимат Гасановна": ("ppe-12", "1"),
         "Гаджиев Руслан Ильясович": ("ppe-17", None),  # a technical specialist may work where his pupils sit
         "Омаров Шамиль Абдулаевич": ("ppe-12", "1"),
         "Саидова Зарема Магомедовна": ("ppe-17", None),  # not a teacher: may work where her school's pupils sit
         "Юсупова Аминат Расуловна": ("ppe-17", None),  # each PPE with staff has one head
         "Курбанов Ильяс Рашидович": ("ppe-17", "1"),
         "Исаева Мадина Алиевна": ("ppe-17", "1"),
         "Абдуллаев Марат Саидович": ("ppe-17", "2"),  # alone in auditorium 2: a warning, not a refusal
         "Гасанов Ахмед Магомедович": ("ppe-12", None)}
# The history day: the maths teacher works, the history teacher stays in reserve.
VALID_HISTORY = {**VALID, "Магомедов Арсен Маратович": ("ppe-12", "1"), "Омаров Шамиль Абдулаевич": (None, None)}


@pytest.fixture
def people(org):
    deploy_files(PROCESSES / "ppe_staff_list.bpmn", PROCESSES / "ppe_staff_day.bpmn",
                 PROCESSES / "ppe_staff_send.bpmn", PROCESSES / "ppe_staff_list_school.bpmn")
    engine.ensure_user("head33", "school_head", "school-33")
    return {**org, "head33": engine.user_by_login("head33")}


def start(clock_at, exams=(EXAM, HISTORY), schools=SCHOOLS, ppe=PPE):
    clock_at("2020-12-01T10:00:00+03:00")
    data = {"exams": list(exams), "nominate_due": "2020-12-25", "approve_due": "2021-04-15", "schools": schools,
            "ppe": ppe}
    return engine.start("ppe_staff_list", data, unit="guo", actor="iao").instance_id


def school_instances(staff_list) -> dict[str, int]:
    """The schools' instances (ppe_staff_list_school) that answer `staff_list`, by unit code."""
    ref = engine.detail(staff_list)["data"]["staff_ref"]
    db.session.rollback()
    found = db.session.execute(select(ProcessInstance.unit_code, ProcessInstance.id)
                               .where(ProcessInstance.process_id == "ppe_staff_list_school")).tuples().all()
    return {unit: i for unit, i in found if engine.detail(i)["data"]["staff_ref"] == ref}


def nomination_tasks(staff_list) -> dict:
    """The open nomination tasks of the schools answering `staff_list`, by unit code."""
    return {unit: t for unit, i in school_instances(staff_list).items() for t in ready(i, "staff_nominate")}


def day_task(staff_list, day):
    """The ИАО's open placement task of the exam day `day` (ISO)."""
    [task] = [t for t in ready(staff_list, "staff_assign") if t.columns["Дата экзамена"] == format_date(day)]
    return task


def placement(labels, changes=None, valid=VALID):
    """The ИАО's form data: one row per nominee in list order, placed as `valid` says unless `changes` differ."""
    chosen = {**valid, **(changes or {})}
    return {"staff": [{"person": label, "ppe": chosen[fio][0], "auditorium": chosen[fio][1]}
                      for label, fio in zip(labels, ORDER)]}


def notes(kind=None):
    db.session.rollback()
    return [(n.kind, n.role, n.unit_code) for n in db.session.scalars(select(Notification).order_by(Notification.id))
            if kind in (None, n.kind)]


def nominate_all(staff_list, people, clock_at):
    """Schools 33 and 12 nominate on time (in that order), school 17 a day late after the reminder and the
    escalation; returns the instance id."""
    by_school = nomination_tasks(staff_list)
    clock_at("2020-12-10T11:00:00+03:00")
    engine.complete(by_school["school-33"].id, people["head33"], {"staff": NOMINATED["school-33"]})
    engine.complete(by_school["school-12"].id, people["head12"], {"staff": NOMINATED["school-12"]})
    tick(clock_at, "2020-12-22T09:30:00")
    assert notes("reminder") == [("reminder", "school_head", "school-17")]
    for _ in range(2):
        tick(clock_at, "2020-12-26T09:30:00")
    escalated = only(school_instances(staff_list)["school-17"], "staff_nominate_escalate")
    assert (escalated.role, escalated.unit_code) == ("iao_head", "school-17")
    assert ready(staff_list) == []
    clock_at("2020-12-26T12:00:00+03:00")
    engine.complete(by_school["school-17"].id, people["head17"], {"staff": NOMINATED["school-17"]})


def test_the_nomination_form_choices_match_the_titles_the_process_exports(people, clock_at):
    staff_list = start(clock_at)
    data = engine.detail(staff_list)["data"]
    row = forms.load("ppe_staff_nominate").field_named("staff")
    choices = {f.name: dict(f.choices) for f in row.fields if f.type == "choice"}
    assert {k: v for k, v in choices["position"].items() if k} == data["position_titles"]
    assert {k: v for k, v in choices["subject"].items() if k} == data["subject_titles"]
    assert EXAM["subject"] in data["subject_titles"]


def test_each_school_head_gets_only_the_own_schools_nomination_task(people, clock_at):
    staff_list = start(clock_at)
    # Each school nominates in an instance of its own, which belongs to the school; the department's instance
    # holds none of the schools' work.
    schools = school_instances(staff_list)
    assert sorted(schools) == [s["code"] for s in SCHOOLS]
    assert ready(staff_list) == [] and instance(staff_list).status == "waiting"
    by_school = nomination_tasks(staff_list)
    tasks = list(by_school.values())
    assert sorted((t.unit_code, t.role) for t in tasks) == [(s["code"], "school_head") for s in SCHOOLS]
    assert {t.due_at.date() for t in tasks} == {date(2020, 12, 25)}
    assert by_school["school-17"].name == "Работники ППЭ от ОУ: ГИА, основной период"  # one list for all exams
    assert by_school["school-17"].columns == {"ОУ": "МБОУ «СОШ №17»", "Экзамены": PERIOD, "Экзаменов": 2}
    page = task_page(by_school["school-17"].id, people["head17"])
    shown = str(render(page.instructions, page.data))
    assert "— ЕГЭ по математике (профильный уровень): 07.06.2021<br>— ЕГЭ по истории: 11.06.2021" in shown
    assert ("Учитель по предмету экзамена (математика, история) не может быть руководителем ППЭ, организатором или "
            "ассистентом в день экзамена по своему предмету") in shown
    for login, code in (("head12", "school-12"), ("head17", "school-17"), ("head33", "school-33")):
        assert [t.id for t in engine.list_tasks(user=people[login])] == [by_school[code].id]
        assert [i for i in [staff_list, *schools.values()] if can_view_instance(people[login], instance(i))] == [
            schools[code]]
    with pytest.raises(engine.PermissionDenied):
        engine.claim(by_school["school-17"].id, people["head12"])
    with pytest.raises(engine.PermissionDenied):
        engine.complete(by_school["school-17"].id, people["head12"], {"staff": NOMINATED["school-12"]})
    assert instance(staff_list).status_text == "выдвижение кандидатур ОУ до 25.12.2020"
    assert instance(schools["school-17"]).status_text == "выдвижение кандидатур до 25.12.2020"


def test_a_nomination_needs_an_email_for_everyone_and_no_email_twice(people, clock_at):
    staff_list = start(clock_at)
    school = school_instances(staff_list)["school-12"]
    task = only(school, "staff_nominate")
    head = people["head12"]
    no_email = [{**NOMINATED["school-12"][0], "email": None}, *NOMINATED["school-12"][1:]]
    assert list(refused(school, engine.complete, task.id, head, {"staff": no_email}).field_errors) == [
        "staff-0-email"]
    bad_email = [{**NOMINATED["school-12"][0], "email": "magomedov-school12"}]
    assert list(refused(school, engine.complete, task.id, head, {"staff": bad_email}).field_errors) == [
        "staff-0-email"]
    twice = [*NOMINATED["school-12"], {**NOMINATED["school-12"][1], "fio": "Алиева П.Г."}]
    error = refused(school, engine.complete, task.id, head, {"staff": twice})
    assert set(error.field_errors) == {"staff-1-email", "staff-3-email"}
    assert error.field_errors["staff-3-email"] == [
        "E-mail alieva@school12.example указан в списке несколько раз (Алиева П.Г.)."]
    no_position = [{**NOMINATED["school-12"][0], "position": None}]
    assert list(refused(school, engine.complete, task.id, head, {"staff": no_position}).field_errors) == [
        "staff-0-position"]
    engine.complete(task.id, head, {"staff": NOMINATED["school-12"]})
    assert engine.list_tasks(user=head) == []
    assert instance(school).status == "completed"
    assert instance(staff_list).status_text == "выдвижение кандидатур ОУ до 25.12.2020: списки направили 1 из 3 ОУ"


def test_a9_staff_list_is_nominated_placed_with_the_rules_approved_exported_and_sent(people, clock_at):
    staff_list = start(clock_at)
    nominate_all(staff_list, people, clock_at)
    schools = school_instances(staff_list)
    assert rows(schools["school-17"])["staff_nominate_escalate"] == [("CANCELLED", "iao_head")]
    assert notes("escalation") == [("escalation", "iao_head", None)]
    assert {instance(i).status for i in schools.values()} == {"completed"}
    assert instance(schools["school-17"]).status_text == "список направлен в ГУО 26.12.2020, с опозданием на 1 дн."
    # The late school is in the plan's list of late work (the instance's submitted_on and late_days).
    assert [(code, instance(i).submitted_on, instance(i).late_days) for code, i in sorted(schools.items())] == [
        ("school-12", "2020-12-10", 0), ("school-17", "2020-12-26", 1), ("school-33", "2020-12-10", 0)]
    assert "staff_nominate" not in rows(staff_list)
    assert "school" not in engine.detail(staff_list)["data"]  # the request loop's item is not left behind

    data = engine.detail(staff_list)["data"]
    assert [n["fio"] for n in data["nominees"]] == ORDER  # school order, not the order the schools handed in
    assert {(n["fio"], n["school"], n["email"]) for n in data["nominees"]} == {
        (p["fio"], code, p["email"]) for code, staff in NOMINATED.items() for p in staff}
    assert sorted((r["code"], r["late_days"]) for r in data["nominations"]) == [
        ("school-12", 0), ("school-17", 1), ("school-33", 0)]

    clock_at("2021-04-12T10:00:00+03:00")
    iao = people["iao"]
    # One placement per exam day, both open at once; nothing for the approver before both are in.
    assert sorted(t.columns["Дата экзамена"] for t in ready(staff_list, "staff_assign")) == ["07.06.2021",
                                                                                           "11.06.2021"]
    assign = day_task(staff_list, "2021-06-07")
    assert (assign.role, assign.due_at.date()) == ("iao_specialist", date(2021, 4, 13))
    assert assign.name == "Распределение работников по ППЭ: 07.06.2021, ЕГЭ по математике (профильный уровень)"
    assert ready(staff_list, user=people["head12"]) == []
    page = task_page(assign.id, iao)
    shown = str(render(page.instructions, page.data))
    assert "ppe-17 — ППЭ №17 (на базе СОШ №17), аудиторий: 2; сдают обучающиеся: МБОУ «СОШ №12», МБОУ «СОШ №17»" in shown
    assert "Списки с опозданием: МБОУ «СОШ №17»" in shown
    form = forms.bind_initial(forms.load("ppe_staff_assign"), page.data)
    labels = [entry.form.person.data for entry in form.staff.entries]
    assert labels[0] == ("1. Магомедов Арсен Маратович — МБОУ «СОШ №12»; Организатор в аудитории; "
                         "предмет: Математика")
    assert labels[5] == "6. Юсупова Аминат Расуловна — МБОУ «СОШ №17»; Руководитель ППЭ; предмет: Не преподаёт"
    assert len(labels) == len(ORDER)

    # The maths teacher on the maths exam: refused, naming him, and nothing changes.
    error = refused(staff_list, engine.complete, assign.id, iao,
                    placement(labels, {"Магомедов Арсен Маратович": ("ppe-12", "2")}))
    assert error.field_errors == {"staff-0-ppe": [
        "Магомедов Арсен Маратович преподаёт предмет экзамена (математика): учителя этого предмета нельзя "
        "назначать в ППЭ на экзамен «ЕГЭ по математике (профильный уровень)» (07.06.2021)."]}
    # A history teacher of school 17 in PPE №17, where school 17's pupils sit.
    error = refused(staff_list, engine.complete, assign.id, iao,
                    placement(labels, {"Омаров Шамиль Абдулаевич": ("ppe-17", "2")}))
    assert error.field_errors == {"staff-3-ppe": [
        "Омаров Шамиль Абдулаевич — учитель МБОУ «СОШ №17», а в ППЭ №17 (на базе СОШ №17) сдают экзамен "
        "обучающиеся этой ОУ: назначьте работника в другой ППЭ."]}
    assert "Омаров Шамиль Абдулаевич" in error.message
    # Both at once, an unknown PPE, an organiser in an auditorium without its number, a row missing.
    error = refused(staff_list, engine.complete, assign.id, iao,
                    placement(labels, {"Магомедов Арсен Маратович": ("ppe-17", "2"),
                                       "Алиева Патимат Гасановна": ("ppe-99", "1"),
                                       "Курбанов Ильяс Рашидович": ("ppe-17", None)}))
    assert sorted(error.field_errors) == ["staff-0-ppe", "staff-1-ppe", "staff-6-auditorium"]
    assert len(error.field_errors["staff-0-ppe"]) == 2  # the subject and the own pupils
    assert error.field_errors["staff-1-ppe"] == [
        "Алиева Патимат Гасановна: нет ППЭ с кодом «ppe-99» среди ППЭ экзаменов 07.06.2021."]
    short = placement(labels)
    short["staff"] = short["staff"][:-1]
    assert list(refused(staff_list, engine.complete, assign.id, iao, short).field_errors) == ["staff"]

    engine.complete(assign.id, iao, placement(labels))
    assert ready(staff_list, "staff_approve") == []  # the history day is still open
    engine.complete(day_task(staff_list, "2021-06-11").id, iao, placement(labels, valid=VALID_HISTORY))
    approve = only(staff_list, "staff_approve")
    assert (approve.role, approve.due_at.date()) == ("guo_head", date(2021, 4, 15))
    assert approve.columns == {"Экзамены": PERIOD, "Дней экзаменов": 2, "Назначений": 18, "Предупреждений": 4}
    assert instance(staff_list).status_text == "на утверждении у начальника ГУО"
    day_warnings = ["ППЭ №17 (на базе СОШ №17), аудитория 2: 1 организатор в аудитории, нужно не меньше двух.",
                    "ППЭ №12 (на базе СОШ №12): организаторы назначены в 1 из 2 аудиторий."]
    warnings = [f"{day}, {w}" for day in ("07.06.2021", "11.06.2021") for w in day_warnings]
    assert engine.detail(staff_list)["data"]["warnings"] == warnings
    boss = people["guo_head"]
    page = task_page(approve.id, boss)
    shown = str(render(page.instructions, page.data))
    assert "07.06.2021, ЕГЭ по математике (профильный уровень): назначено 9 из 10 выдвинутых ОУ, в резерве 1" in shown
    assert "11.06.2021, ЕГЭ по истории: назначено 9 из 10 выдвинутых ОУ, в резерве 1" in shown
    assert "ПРЕДУПРЕЖДЕНИЯ (4)" in shown
    assert all(str(render("{{ w }}", {"w": w})) in shown for w in warnings)
    assert "ППЭ №17 (на базе СОШ №17), ауд. 2: Абдуллаев Марат Саидович — организатор в аудитории, МБОУ «СОШ №33»" \
        in shown
    assert "ППЭ №12 (на базе СОШ №12): Гасанов Ахмед Магомедович — руководитель ппэ, МБОУ «СОШ №33»" in shown

    # Returned with a comment, the ИАО sees it and each day's placement it sent; sent again unchanged, then approved.
    clock_at("2021-04-14T10:00:00+03:00")
    assert "comment" in refused(staff_list, engine.complete, approve.id, boss, {"decision": "return"}).field_errors
    engine.complete(approve.id, boss, {"decision": "return", "comment": "Во 2-ю аудиторию ППЭ №17 нужен второй "
                                                                        "организатор."})
    again = day_task(staff_list, "2021-06-07")
    assert again.id != assign.id and again.name.endswith("(доработка)")
    page = task_page(again.id, iao)
    shown = str(render(page.instructions, page.data))
    assert "Во 2-ю аудиторию ППЭ №17 нужен второй организатор." in shown
    assert "аудитория 2: 1 организатор в аудитории" in shown
    for day, valid in (("2021-06-07", VALID), ("2021-06-11", VALID_HISTORY)):
        form = forms.bind_initial(forms.load("ppe_staff_assign"), task_page(day_task(staff_list, day).id, iao).data)
        assert [(e.form.ppe.data, e.form.auditorium.data) for e in form.staff.entries] == [valid[fio] for fio in ORDER]
        engine.complete(day_task(staff_list, day).id, iao, placement(labels, valid=valid))
    clock_at("2021-04-15T10:00:00+03:00")
    engine.complete(only(staff_list, "staff_approve").id, boss, {"decision": "approve"})

    data = engine.detail(staff_list)["data"]
    table = data["exports"]["ckodiro"]
    assert table["title"] == "Список работников ППЭ для ЦКО ДИРО"
    assert table["columns"] == ["№ п/п", "Код ППЭ", "ППЭ", "ФИО", "Должность в ППЭ", "Место работы (ОУ)",
                                "Преподаваемый предмет", "E-mail", "Аудитория", "Экзамен", "Дата экзамена"]
    ppe17, ppe12 = PPE[0]["name"], PPE[1]["name"]
    maths = [EXAM["title"], "2021-06-07"]
    assert table["rows"][:9] == [
        [1, "ppe-17", ppe17, "Юсупова Аминат Расуловна", "Руководитель ППЭ", "МБОУ «СОШ №17»", "Не преподаёт",
         "yusupova@school17.example", "", *maths],
        [2, "ppe-17", ppe17, "Исаева Мадина Алиевна", "Организатор в аудитории", "МБОУ «СОШ №33»",
         "Начальные классы", "isaeva@school33.example", "1", *maths],
        [3, "ppe-17", ppe17, "Курбанов Ильяс Рашидович", "Организатор в аудитории", "МБОУ «СОШ №33»", "Физика",
         "kurbanov@school33.example", "1", *maths],
        [4, "ppe-17", ppe17, "Абдуллаев Марат Саидович", "Организатор в аудитории", "МБОУ «СОШ №33»", "Химия",
         "abdullaev@school33.example", "2", *maths],
        [5, "ppe-17", ppe17, "Саидова Зарема Магомедовна", "Организатор вне аудитории", "МБОУ «СОШ №17»",
         "Не преподаёт", "saidova@school17.example", "", *maths],
        [6, "ppe-17", ppe17, "Гаджиев Руслан Ильясович", "Технический специалист", "МБОУ «СОШ №12»",
         "Информатика и ИКТ", "gadzhiev@school12.example", "", *maths],
        [7, "ppe-12", ppe12, "Гасанов Ахмед Магомедович", "Руководитель ППЭ", "МБОУ «СОШ №33»", "Не преподаёт",
         "gasanov@school33.example", "", *maths],
        [8, "ppe-12", ppe12, "Алиева Патимат Гасановна", "Организатор в аудитории", "МБОУ «СОШ №12»",
         "Русский язык", "alieva@school12.example", "1", *maths],
        [9, "ppe-12", ppe12, "Омаров Шамиль Абдулаевич", "Организатор в аудитории", "МБОУ «СОШ №17»", "История",
         "omarov@school17.example", "1", *maths]]
    # The history day follows, with its own exam and date: the maths teacher works, the history teacher does not.
    history = table["rows"][9:]
    assert {tuple(r[-2:]) for r in history} == {(HISTORY["title"], "2021-06-11")}
    assert [r[0] for r in history] == list(range(10, 19))
    assert [(r[1], r[3]) for r in history if r[1] == "ppe-12"] == [
        ("ppe-12", "Гасанов Ахмед Магомедович"), ("ppe-12", "Алиева Патимат Гасановна"),
        ("ppe-12", "Магомедов Арсен Маратович")]
    assert "Омаров Шамиль Абдулаевич" not in {r[3] for r in history}
    assert [r["comment"] for r in data["returns"]] == ["Во 2-ю аудиторию ППЭ №17 нужен второй организатор."]
    assert instance(staff_list).status_text == "утверждён 15.04.2021, не отправлен в ЦКО ДИРО"

    send = only(staff_list, "staff_send")
    assert (send.role, send.due_at.date()) == ("iao_specialist", date(2021, 4, 19))
    clock_at("2021-04-16T10:00:00+03:00")
    tomorrow = {"sent_on": "2021-04-17", "number": "01-12/345"}
    assert list(refused(staff_list, engine.complete, send.id, iao, tomorrow).field_errors) == ["sent_on"]
    before_approval = {"sent_on": "2021-04-14", "number": "01-12/345"}
    error = refused(staff_list, engine.complete, send.id, iao, before_approval)
    assert error.field_errors == {"sent_on": ["Список утверждён 15.04.2021: отправить его раньше нельзя."]}
    result = engine.complete(send.id, iao, {"sent_on": "2021-04-16", "number": "01-12/345"})
    assert result.status == "completed"
    row = instance(staff_list)
    assert row.status_text == "отправлен в ЦКО ДИРО 16.04.2021 (исх. № 01-12/345)"
    assert (row.submitted_on, row.late_days) == ("2021-04-16", 0)
    assert engine.detail(staff_list)["data"]["exports"]["ckodiro"]["rows"] == table["rows"]


def test_a_list_started_by_the_plan_reads_the_lists_from_params(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    data = {"plan_item": {"number": "3.46", "title": "Формирование списочных составов", "section": 3},
            "starts": "2020-11-01", "due": "2021-04-30", "nominate_due": "2020-12-25", "approve_due": "2021-04-15",
            "list_title": "ЕГЭ-2021", "params": {"schools": SCHOOLS[:2], "ppe": PPE[:1],
                                                 "exams": ["oge_russian", "ege_math_profile", "ege_foreign_oral"]}}
    staff_list = engine.start("ppe_staff_list", data, unit="guo", actor="iao").instance_id
    assert sorted(nomination_tasks(staff_list)) == ["school-12", "school-17"]
    found = engine.detail(staff_list)["data"]
    assert [p["code"] for p in found["ppe"]] == ["ppe-17"]
    assert snapshot(staff_list)["status"] == "waiting"  # for the schools' lists
    assert found["staff_ref"].startswith("3.46 2020-12-01T10:00:00+03:00 ")
    # The exams as the calendar names them: the subject the exclusions compare, the title; the date is read from the
    # calendar when the days are placed.
    assert [(e["key"], e["subject"], e["title"]) for e in found["exams"]] == [
        ("oge_russian", "russian", "ОГЭ по русскому языку"),  # the ОГЭ's PPE staff too (ГИА-9 and ГИА-11)
        ("ege_math_profile", "math", "ЕГЭ по математике (профильный уровень)"),
        ("ege_foreign_oral", "foreign", "ЕГЭ по иностранным языкам (устная часть)")]
    assert found["list_title"] == "ЕГЭ-2021"
