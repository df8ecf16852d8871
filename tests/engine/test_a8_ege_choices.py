"""Scenario A8 (plan 3.25, 3.27, 4.10) through the service layer with the manual clock: four schools enter their
11th-graders' ЕГЭ choices by 20 Jan 2021; on 22–26 Jan each school re-checks its own list, pre-filled with what it
entered, and school №3 moves one pupil from basic to profile maths; a list not confirmed by the end of the window
stands as entered. On 27 Jan the ИАО gets the school × subject summary for the RCOI, whose totals are the sums of
the school lists, and the pupils without SNILS or passport as open issues, both offered as tables to download
(`exports`). Choices without Russian or with both maths levels are refused in Russian and change nothing.
Each school works in an instance of its own (ege_choices_school), which reports its row of the summary to the
department's instance (ege_choices) by a message correlated to that collection."""
from datetime import date

import pytest
from sqlalchemy import select

import engine
import forms
from engine.access.rules import can_view_instance
from engine.db import db
from engine.models import ProcessInstance
from engine.service.exports import instance_table_export
from engine.service.views import task_page

from tests.engine.plan_patterns import instance, notes, only, ready, refused, rows, school_heads, tick, unrouted
from webui.instructions import render

SCHOOLS = [{"code": "school-3", "name": "МБОУ «СОШ №3»"}, {"code": "school-12", "name": "МБОУ «СОШ №12»"},
           {"code": "school-17", "name": "МБОУ «СОШ №17»"}, {"code": "school-33", "name": "МБОУ «СОШ №33»"}]
HEADS = {"school-3": "head3", "school-12": "head12", "school-17": "head17", "school-33": "head33"}
DATES = {"entry_due": "2021-01-20", "recheck_starts": "2021-01-22", "recheck_ends": "2021-01-26",
         "export_on": "2021-01-27", "documents_due": "2020-12-30"}
RU, BASE, PROFILE = "ege_russian", "ege_math_base", "ege_math_profile"


def pupil(name, *subjects, snils="123-456-789 01", passport="8214 123456"):
    return {"full_name": name, "snils": snils, "passport": passport, "subjects": [RU, *subjects]}


LISTS = {
    "school-3": [pupil("Абдуллаев Магомед Русланович", BASE, "ege_social"),
                 pupil("Гаджиева Патимат Алиевна", PROFILE, "ege_physics"),
                 pupil("Курбанов Ислам Шамилевич", BASE, "ege_history", snils=None)],
    "school-12": [pupil("Алиева Аминат Магомедовна", PROFILE, "ege_informatics"),
                  pupil("Исаев Шамиль Гаджиевич", BASE, "ege_biology", "ege_chemistry", passport=None)],
    "school-17": [pupil("Омаров Рамазан Камилович", PROFILE, "ege_physics", "ege_informatics"),
                  pupil("Мусаева Зарема Ибрагимовна", BASE, "ege_literature", "ege_foreign", "ege_foreign_oral"),
                  pupil("Сулейманов Али Расулович", BASE, snils=None, passport=None)],
    "school-33": [pupil("Рамазанова Саида Тимуровна", PROFILE, "ege_geography"),
                  pupil("Халилов Арсен Маратович", BASE, "ege_social", "ege_history")],
}


@pytest.fixture
def people(org):
    return school_heads(org, HEADS)  # with every other diagram deployed, as the demo does


def start(schools=SCHOOLS, **overrides):
    return engine.start("ege_choices", {"schools": schools, **DATES, **overrides}, unit="guo",
                        actor="iao").instance_id


def schools_of(choices) -> dict[str, int]:
    """The schools' instances of the collection `choices` (those its messages started), by school code."""
    ref = engine.detail(choices)["data"]["ege_ref"]
    db.session.rollback()
    found = db.session.execute(select(ProcessInstance.unit_code, ProcessInstance.id).where(
        ProcessInstance.process_id == "ege_choices_school").order_by(ProcessInstance.id)).tuples().all()
    return {code: i for code, i in found if engine.detail(i)["data"]["ege_ref"] == ref}


def by_school(choices, bpmn_id) -> dict:
    """The open tasks `bpmn_id` of the collection's schools, by school code."""
    return {code: t for code, i in schools_of(choices).items() for t in ready(i, bpmn_id)}


def offered(choices, user) -> list[str]:
    """The ids of the tasks of the collection (the department's and the schools' instances) offered to `user`."""
    return [t.id for i in [choices, *schools_of(choices).values()] for t in ready(i, user=user)]


def copy(pupils):
    return [{**p, "subjects": list(p["subjects"])} for p in pupils]


def test_a8_entry_recheck_with_a_change_summary_for_the_rcoi_and_open_issues(people, clock_at):
    clock_at("2021-01-11T10:00:00+03:00")
    choices = start()
    assert instance(choices).unit_code == "guo"
    # Each school works in an instance of its own, which belongs to the school; the department's holds no
    # school's task.
    schools = schools_of(choices)
    assert sorted(schools) == sorted(s["code"] for s in SCHOOLS)
    assert {code: instance(i).unit_code for code, i in schools.items()} == {code: code for code in schools}
    assert rows(choices) == {}
    entry = by_school(choices, "ege_entry_task")
    assert sorted(entry) == sorted(s["code"] for s in SCHOOLS)
    assert {(t.role, t.unit_code, t.due_at.date()) for t in entry.values()} == {
        ("school_head", code, date(2021, 1, 20)) for code in HEADS}
    assert entry["school-3"].name == "Выбор предметов ЕГЭ выпускниками 11-х классов: МБОУ «СОШ №3»"
    # A school's head is offered her own school's list only, sees only her school's instance, and cannot submit
    # another school's list.
    for code, login in HEADS.items():
        assert offered(choices, people[login]) == [entry[code].id]
        assert [i for i in [choices, *schools.values()] if can_view_instance(people[login], instance(i))] == [
            schools[code]]
    assert offered(choices, people["iao"]) == []
    with pytest.raises(engine.PermissionDenied):
        engine.complete(entry["school-3"].id, people["head12"], {"pupils": LISTS["school-3"]})
    # The entry form opens with one empty row.
    page = task_page(entry["school-3"].id, people["head3"])
    assert page.data["choices"] == {"pupils": []}
    definition = forms.load("ege_choices")
    shown = forms.bind_initial(definition, page.data)
    assert [entry.form.full_name.data for entry in shown.pupils.entries] == [None]

    clock_at("2021-01-19T15:00:00+03:00")
    department = (instance(choices).lock_version, instance(choices).state)
    for code in HEADS:
        engine.complete(entry[code].id, people[HEADS[code]], {"pupils": LISTS[code]})
    assert offered(choices, None) == []  # nothing to do until the re-check window opens
    assert instance(choices).status == "waiting"
    assert {instance(i).status for i in schools.values()} == {"waiting"}
    # A school's step restores and saves its own instance only: the department's is as it was.
    assert (instance(choices).lock_version, instance(choices).state) == department

    tick(clock_at, "2021-01-21T23:59:00")
    assert offered(choices, None) == []
    tick(clock_at, "2021-01-22T00:30:00")
    recheck = by_school(choices, "ege_recheck_task")
    assert sorted(recheck) == sorted(HEADS)
    assert {(t.role, t.due_at.date()) for t in recheck.values()} == {("school_head", date(2021, 1, 26))}
    for code, login in HEADS.items():
        assert offered(choices, people[login]) == [recheck[code].id]
        # Each school sees its own list as it entered it: the form's rows are pre-filled from the submission.
        page = task_page(recheck[code].id, people[login])
        assert page.data["choices"]["pupils"] == LISTS[code]
        shown = forms.bind_initial(forms.load("ege_choices_recheck"), page.data)
        assert [(e.form.full_name.data, e.form.subjects.data) for e in shown.pupils.entries] == [
            (p["full_name"], p["subjects"]) for p in LISTS[code]]
    assert "МБОУ «СОШ №33» и выбранные ими предметы ЕГЭ (2 участн.)" in str(render(page.instructions, page.data))

    # School №3 moves Абдуллаев from basic to profile maths; the rules apply to the re-check too.
    clock_at("2021-01-25T11:00:00+03:00")
    changed = copy(LISTS["school-3"])
    changed[0]["subjects"] = [RU, PROFILE, "ege_social"]
    both = copy(changed)
    both[0]["subjects"].append(BASE)
    error = refused(schools["school-3"], engine.complete, recheck["school-3"].id, people["head3"], {"pupils": both})
    assert error.field_errors == {"pupils-0-subjects": [
        "Математику можно выбрать только одного уровня, базового или профильного: Абдуллаев Магомед Русланович."]}
    engine.complete(recheck["school-3"].id, people["head3"], {"pupils": changed})
    engine.complete(recheck["school-12"].id, people["head12"], {"pupils": LISTS["school-12"]})
    engine.complete(recheck["school-17"].id, people["head17"], {"pupils": LISTS["school-17"]})
    assert ready(choices, "ege_rcoi_task") == []
    assert [instance(schools[code]).status for code in ("school-3", "school-12", "school-17")] == ["completed"] * 3
    assert instance(choices).status_text == ("списки выбора предметов ЕГЭ зафиксированы в 3 из 4 ОУ, "
                                             "сверка 22.01.2021–26.01.2021")

    # School №33 does not confirm: at the end of 26 Jan its list stands as entered and the ИАО head is told.
    tick(clock_at, "2021-01-26T23:00:00")
    assert list(by_school(choices, "ege_recheck_task")) == ["school-33"]
    tick(clock_at, "2021-01-27T00:30:00")
    tick(clock_at, "2021-01-27T00:30:00")
    assert by_school(choices, "ege_recheck_task") == {}
    assert notes("escalation") == [("escalation", "iao_head", None)]
    assert instance(schools["school-33"]).status_text == ("список не сверен, принят введённый 19.01.2021: 2 участн., "
                                                         "без СНИЛС или паспорта: 0")

    rcoi = only(choices, "ege_rcoi_task")
    assert (rcoi.role, rcoi.unit_code, rcoi.due_at.date()) == ("iao_specialist", "guo", date(2021, 1, 27))
    assert offered(choices, people["iao"]) == [rcoi.id]
    assert offered(choices, people["head3"]) == []
    assert rows(choices) == {"ege_rcoi_task": [("READY", "iao_specialist")]}

    # What the summary must hold, recomputed from what the schools submitted last.
    final = {**LISTS, "school-3": changed}
    keys = [key for key, _ in forms.load("ege_choices").field_named("pupils").fields[3].choices]
    expected_rows = [[s["name"]] + [sum(key in p["subjects"] for p in final[s["code"]]) for key in keys]
                     + [len(final[s["code"]])] for s in SCHOOLS]
    totals = ["Итого"] + [sum(row[i] for row in expected_rows) for i in range(1, len(keys) + 2)]

    table = instance_table_export(choices, "rcoi_summary", people["iao"])
    assert table.title == "Сводка выбора предметов ЕГЭ по ОУ для РЦОИ"
    labels = [label for _, label in forms.load("ege_choices").field_named("pupils").fields[3].choices]
    assert table.columns == ["ОУ", *labels, "Всего участников"]
    assert table.rows == [*expected_rows, totals]
    assert totals[-1] == 10 and totals[1 + keys.index(RU)] == 10
    # School №3's change shows: one pupil on basic maths (was two), two on profile (was one).
    row3 = table.rows[0]
    assert (row3[1 + keys.index(BASE)], row3[1 + keys.index(PROFILE)]) == (1, 2)
    assert (totals[1 + keys.index(BASE)], totals[1 + keys.index(PROFILE)]) == (5, 5)

    issues = instance_table_export(choices, "open_issues", people["iao"])
    assert issues.title == "Участники без СНИЛС или паспорта"
    assert issues.columns == ["ОУ", "ФИО", "Не хватает", "Срок представления"]
    assert [row[:3] for row in issues.rows] == [
        ["МБОУ «СОШ №3»", "Курбанов Ислам Шамилевич", "СНИЛС"],
        ["МБОУ «СОШ №12»", "Исаев Шамиль Гаджиевич", "паспорт"],
        ["МБОУ «СОШ №17»", "Сулейманов Али Расулович", "СНИЛС, паспорт"]]
    assert {row[3] for row in issues.rows} == {date(2020, 12, 30)}

    data = engine.detail(choices)["data"]
    lists = {item["code"]: item for item in data["ege_lists"]}
    assert {code: (item["rechecked"], item["changed"]) for code, item in lists.items()} == {
        "school-3": (True, 1), "school-12": (True, 0), "school-17": (True, 0), "school-33": (False, 0)}
    assert lists["school-33"]["rechecked_on"] is None and lists["school-33"]["participants"] == 2
    # The pupils' rows stay in the schools' instances: school №33's list stands as it was entered.
    assert engine.detail(schools["school-33"])["data"]["choices"]["pupils"] == LISTS["school-33"]
    assert engine.detail(schools["school-3"])["data"]["choices"]["pupils"] == changed
    assert all("pupils" not in item for item in data["ege_lists"])
    assert instance(choices).status_text == ("сводка готова: 10 участн. из 4 ОУ, без СНИЛС или паспорта: 3; "
                                             "не сверили: МБОУ «СОШ №33»")
    page = task_page(rcoi.id, people["iao"])
    shown = str(render(page.instructions, page.data))
    assert "10 участн. из 4 ОУ" in shown and "Русский язык: 10" in shown
    assert "Математика (профильный уровень): 5" in shown and "МБОУ «СОШ №17»: 3 участн." in shown
    assert "Участников без СНИЛС или паспорта: 3" in shown

    clock_at("2021-01-27T10:00:00+03:00")
    assert list(refused(choices, engine.complete, rcoi.id, people["iao"],
                        {"sent_on": "2021-01-28"}).field_errors) == ["sent_on"]
    result = engine.complete(rcoi.id, people["iao"], {"sent_on": "2021-01-27", "comment": "Письмо № 14-01/21"})
    assert result.status == "completed"
    assert instance(choices).status_text == ("сводка отправлена в РЦОИ 27.01.2021: 10 участн., "
                                             "без СНИЛС или паспорта: 3")
    assert engine.detail(choices)["data"]["rcoi"]["sent_on"] == "2021-01-27"


def test_a8_choices_without_russian_or_with_both_maths_are_refused_in_russian(people, clock_at):
    clock_at("2021-01-11T10:00:00+03:00")
    choices = start(schools=SCHOOLS[:1])
    school = schools_of(choices)["school-3"]
    task = only(school, "ege_entry_task")
    head = people["head3"]
    no_russian = copy(LISTS["school-3"])
    no_russian[1]["subjects"] = [PROFILE, "ege_physics"]
    error = refused(school, engine.complete, task.id, head, {"pupils": no_russian})
    assert error.field_errors == {"pupils-1-subjects": [
        "Русский язык обязателен для каждого участника ЕГЭ: Гаджиева Патимат Алиевна."]}
    assert "Русский язык обязателен" in error.message

    both = copy(LISTS["school-3"])
    both[2]["subjects"] = [RU, BASE, PROFILE]
    error = refused(school, engine.complete, task.id, head, {"pupils": both})
    assert list(error.field_errors) == ["pupils-2-subjects"]
    assert "только одного уровня" in error.message

    nothing = copy(LISTS["school-3"])
    nothing[0]["subjects"] = []
    assert list(refused(school, engine.complete, task.id, head, {"pupils": nothing}).field_errors) == [
        "pupils-0-subjects"]
    unknown = copy(LISTS["school-3"])
    unknown[0]["subjects"] = [RU, "ege_astronomy"]
    assert list(refused(school, engine.complete, task.id, head, {"pupils": unknown}).field_errors) == [
        "pupils-0-subjects"]
    assert ready(school, "ege_entry_task")[0].id == task.id

    engine.complete(task.id, head, {"pupils": LISTS["school-3"]})
    assert ready(school) == [] and ready(choices) == []


def test_a8_a_late_list_is_escalated_and_goes_straight_to_the_recheck(people, clock_at):
    clock_at("2021-01-11T10:00:00+03:00")
    choices = start(schools=SCHOOLS[:2])
    entry = by_school(choices, "ege_entry_task")
    engine.complete(entry["school-12"].id, people["head12"], {"pupils": LISTS["school-12"]})
    tick(clock_at, "2021-01-21T08:59:00")
    assert notes() == []
    tick(clock_at, "2021-01-21T09:30:00")
    assert notes() == [("reminder", "school_head", "school-3"), ("escalation", "iao_head", None)]
    tick(clock_at, "2021-01-22T00:30:00")
    assert list(by_school(choices, "ege_recheck_task")) == ["school-12"]

    clock_at("2021-01-23T12:00:00+03:00")  # inside the window: school 3's list goes to the re-check at once
    engine.complete(entry["school-3"].id, people["head3"], {"pupils": LISTS["school-3"]})
    recheck = by_school(choices, "ege_recheck_task")
    assert sorted(recheck) == ["school-12", "school-3"]
    for code in ("school-3", "school-12"):
        engine.complete(recheck[code].id, people[HEADS[code]], {"pupils": LISTS[code]})
    rcoi = only(choices, "ege_rcoi_task")
    assert rcoi.due_at.date() == date(2021, 1, 27)
    data = engine.detail(choices)["data"]
    assert data["exports"]["rcoi_summary"]["rows"][-1][-1] == 5
    # School 3's late list puts it in the plan's list of late work (the instance's submitted_on and late_days).
    assert [(code, instance(i).submitted_on, instance(i).late_days) for code, i in sorted(schools_of(choices).items())
            ] == [("school-12", "2021-01-11", 0), ("school-3", "2021-01-23", 3)]
    assert [row[0] for row in data["exports"]["rcoi_summary"]["rows"]] == ["МБОУ «СОШ №3»", "МБОУ «СОШ №12»",
                                                                             "Итого"]


def test_the_summary_subjects_are_the_forms_choices_and_both_forms_have_the_same_fields(people, clock_at):
    clock_at("2021-01-11T10:00:00+03:00")
    choices = start(schools=SCHOOLS[:1])
    data = engine.detail(choices)["data"]
    entry, recheck = forms.load("ege_choices"), forms.load("ege_choices_recheck")
    subjects = entry.field_named("pupils").fields[3]
    assert subjects.name == "subjects" and subjects.type == "multichoice"
    assert [list(c) for c in subjects.choices] == data["ege_subjects"]
    # A school counts its list by the summary's subjects, in the summary's order.
    school = engine.detail(schools_of(choices)["school-3"])["data"]
    assert school["subject_keys"] == [key for key, _ in data["ege_subjects"]]
    assert entry.fields == recheck.fields and entry.variable == recheck.variable == "choices"
    assert entry.field_named("pupils").add_rows is True


def test_a8_start_data_from_the_plan_under_params(people, clock_at):
    """The plan's starter gives lists only under params (and plain values at the top level too)."""
    clock_at("2021-01-11T10:00:00+03:00")
    plan_data = {"plan_item": {"number": "4.10", "title": "Перепроверка предметов ЕГЭ", "section": 4},
                 "starts": "2021-01-11", "due": "2021-01-20", "lead_role": "iao_specialist", "escalate_to": "iao_head",
                 "recheck_starts": "2021-01-22", "recheck_ends": "2021-01-26", "export_on": "2021-01-27",
                 "params": {"schools": SCHOOLS[:2], "recheck_starts": "2021-01-22", "recheck_ends": "2021-01-26",
                            "export_on": "2021-01-27"}}
    choices = engine.start("ege_choices", plan_data, unit="guo", actor="plan").instance_id
    entry = by_school(choices, "ege_entry_task")
    assert sorted(entry) == ["school-12", "school-3"]
    assert {t.due_at.date() for t in entry.values()} == {date(2021, 1, 20)}  # `due` is the entry deadline
    assert engine.detail(choices)["data"]["ege_ref"].startswith("выбор предметов ЕГЭ, п. 4.10, начат 2021-01-11T10:00")


def test_a8_two_collections_at_once_each_gets_only_its_own_schools_lists(people, clock_at):
    """Two collections out at once, started at the same instant with the same dates and school: each has a reference
    of its own (ege_ref, with unique_id()), a school's report to one is correlated to that one, and the other keeps
    waiting for the list of its own school instance."""
    clock_at("2021-01-23T10:00:00+03:00")  # inside the re-check window: an entered list goes to the re-check at once
    first = start(schools=SCHOOLS[:1])
    second = start(schools=SCHOOLS[:1])
    refs = [engine.detail(c)["data"]["ege_ref"] for c in (first, second)]
    assert refs[0] != refs[1] and all(r.startswith("выбор предметов ЕГЭ, начат 2021-01-23T10:00:00+03:00 ") for r in refs)
    school = schools_of(second)["school-3"]
    assert school != schools_of(first)["school-3"]
    assert len(offered(first, people["head3"]) + offered(second, people["head3"])) == 2

    engine.complete(only(school, "ege_entry_task").id, people["head3"], {"pupils": LISTS["school-3"]})
    engine.complete(only(school, "ege_recheck_task").id, people["head3"], {"pupils": LISTS["school-3"]})
    assert instance(school).status == "completed"
    assert [t.bpmn_id for t in ready(second)] == ["ege_rcoi_task"]
    assert ready(first) == [] and engine.detail(first)["data"]["ege_lists"] == []
    assert [t.bpmn_id for t in ready(schools_of(first)["school-3"])] == ["ege_entry_task"]


def test_a8_the_departments_state_does_not_hold_the_schools_lists(people, clock_at):
    """The department's instance keeps each school's row of the summary, not its pupils: ten times longer lists
    leave its state about as it was, while each school's own instance grows with its list."""
    sizes = {}
    for pupils in (3, 30):
        clock_at("2021-01-23T10:00:00+03:00")
        choices = start()
        schools = schools_of(choices)
        for code, i in schools.items():
            listed = [pupil(f"Выпускник {n}, {code}", BASE if n % 2 else PROFILE, "ege_history") for n in range(pupils)]
            engine.complete(only(i, "ege_entry_task").id, people[HEADS[code]], {"pupils": listed})
            engine.complete(only(i, "ege_recheck_task").id, people[HEADS[code]], {"pupils": listed})
        assert [t.bpmn_id for t in ready(choices)] == ["ege_rcoi_task"]
        sizes[pupils] = (len(instance(choices).state), min(len(instance(i).state) for i in schools.values()))
    (department, school), (department_after, school_after) = sizes[3], sizes[30]
    # Measured: the department's state grew by ~0.1 KB while each school's grew by ~22 KB (SQLite, 4 schools).
    assert department_after - department < (school_after - school) / 10
    assert department_after < len(SCHOOLS) * school_after / 2


def test_a8_at_the_deadline_the_iao_sees_who_entered_nothing_and_closes(people, clock_at):
    """The morning after the re-check window, 2 of 4 schools have reported: the ИАО's task names exactly the other
    two; a list entered while she decides is counted (it stands as entered: the window is over); after the close
    the summary covers the three schools, and the fourth school's list reaches nobody, as the audit trail says."""
    clock_at("2021-01-11T10:00:00+03:00")
    choices = start()
    entry = by_school(choices, "ege_entry_task")
    clock_at("2021-01-19T15:00:00+03:00")
    for code in ("school-3", "school-12"):
        engine.complete(entry[code].id, people[HEADS[code]], {"pupils": LISTS[code]})
    tick(clock_at, "2021-01-27T00:30:00")  # their lists stand as entered at the end of the window, and are reported
    tick(clock_at, "2021-01-27T08:59:00")
    assert ready(choices) == [] and len(engine.detail(choices)["data"]["ege_lists"]) == 2
    tick(clock_at, "2021-01-27T09:30:00")
    decide = only(choices, "ege_decide")
    assert (decide.role, decide.name) == ("iao_specialist", "Не сдали выбор предметов ЕГЭ: 2 из 4 ОУ")
    assert engine.detail(choices)["data"]["missing_schools"] == ["МБОУ «СОШ №17»", "МБОУ «СОШ №33»"]

    clock_at("2021-01-27T11:00:00+03:00")
    engine.complete(entry["school-17"].id, people["head17"], {"pupils": LISTS["school-17"]})
    assert sorted(i["code"] for i in engine.detail(choices)["data"]["ege_lists"]) == [
        "school-12", "school-17", "school-3"]
    engine.complete(only(choices, "ege_decide").id, people["iao"], {"decision": "close"})
    rcoi = only(choices, "ege_rcoi_task")
    rows_ = engine.detail(choices)["data"]["exports"]["rcoi_summary"]["rows"]
    assert [row[0] for row in rows_] == ["МБОУ «СОШ №3»", "МБОУ «СОШ №12»", "МБОУ «СОШ №17»", "Итого"]
    assert instance(choices).status_text.endswith("; не сдали: МБОУ «СОШ №33»")
    page = task_page(rcoi.id, people["iao"])
    assert "Сбор закрыт без списков МБОУ «СОШ №33»." in str(render(page.instructions, page.data))

    engine.complete(entry["school-33"].id, people["head33"], {"pupils": LISTS["school-33"]})
    late = schools_of(choices)["school-33"]
    assert instance(late).status == "completed" and len(unrouted(late)) == 1
    assert len(engine.detail(choices)["data"]["ege_lists"]) == 3

