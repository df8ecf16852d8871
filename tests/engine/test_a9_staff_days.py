"""Scenario A9, the staff list placed per exam day (issue 15 §5): the subject rule applies on the day of the
subject's exam only (a maths teacher is refused on the maths day and placed on the history day, a history teacher the
other way round); a PPE with placed staff needs exactly one PPE head that day; a PPE that holds only some exams is
offered on their days only. Also the list's instances: two lists out at once, the schools' work kept out of the
department's instance, the collection's deadline."""
import json

import engine
import forms
from cli.city import ensure_city
from engine.service.views import task_page
from tests.conftest import PROCESSES
from tests.engine.plan_patterns import instance, only, ready, refused, tick, unrouted
from tests.engine.test_a9_staff_list import (EXAM, HISTORY, NOMINATED, ORDER, PPE, SCHOOLS, VALID,  # noqa: F401
                                             VALID_HISTORY, day_task, nominate_all, nomination_tasks, notes,
                                             people, placement, school_instances, start)  # people: a fixture
from tests.plan.test_catalogue import copy_files, items_data, refusal
from webui.instructions import render

MATHS_TEACHER, HISTORY_TEACHER = "Магомедов Арсен Маратович", "Омаров Шамиль Абдулаевич"


def days_open(people, clock_at, **start_with):
    """A list nominated by the three schools, on 12 Apr 2021 when the ИАО places it; returns (instance, labels)."""
    staff_list = start(clock_at, **start_with)
    nominate_all(staff_list, people, clock_at)
    clock_at("2021-04-12T10:00:00+03:00")
    page = task_page(day_task(staff_list, "2021-06-07").id, people["iao"])
    return staff_list, [e.form.person.data for e in forms.bind_initial(forms.load("ppe_staff_assign"),
                                                                       page.data).staff.entries]


def test_the_subject_rule_holds_on_its_exam_day_only(people, clock_at):
    staff_list, labels = days_open(people, clock_at)
    iao = people["iao"]
    maths, history = day_task(staff_list, "2021-06-07"), day_task(staff_list, "2021-06-11")
    row = f"staff-{ORDER.index(MATHS_TEACHER)}-ppe"
    on_maths_day = placement(labels, {MATHS_TEACHER: ("ppe-12", "1")})
    assert refused(staff_list, engine.complete, maths.id, iao, on_maths_day).field_errors == {row: [
        "Магомедов Арсен Маратович преподаёт предмет экзамена (математика): учителя этого предмета нельзя "
        "назначать в ППЭ на экзамен «ЕГЭ по математике (профильный уровень)» (07.06.2021)."]}
    # The history day: the history teacher is refused there, in the same PPE the maths teacher is accepted in.
    row = f"staff-{ORDER.index(HISTORY_TEACHER)}-ppe"
    error = refused(staff_list, engine.complete, history.id, iao,
                    placement(labels, {HISTORY_TEACHER: ("ppe-12", "1")}, valid=VALID_HISTORY))
    assert error.field_errors == {row: [
        "Омаров Шамиль Абдулаевич преподаёт предмет экзамена (история): учителя этого предмета нельзя назначать "
        "в ППЭ на экзамен «ЕГЭ по истории» (11.06.2021)."]}
    assert VALID_HISTORY[MATHS_TEACHER] == ("ppe-12", "1")
    engine.complete(history.id, iao, placement(labels, valid=VALID_HISTORY))
    engine.complete(maths.id, iao, placement(labels))
    by_day = {r["date"]: {a["fio"]: a["ppe"] for a in r["assigned"]}
              for r in engine.detail(staff_list)["data"]["day_results"]}
    assert (by_day["2021-06-07"].get(MATHS_TEACHER), by_day["2021-06-11"][MATHS_TEACHER]) == (None, "ppe-12")
    assert (by_day["2021-06-07"][HISTORY_TEACHER], by_day["2021-06-11"].get(HISTORY_TEACHER)) == ("ppe-12", None)
    # Nobody is certified yet: each person placed on any day is flagged once, not once per day.
    data = engine.detail(staff_list)["data"]
    assert (len(data["assigned"]), len(data["uncertified"])) == (18, len(ORDER))
    # What the days' subprocesses worked with stays in them.
    assert not {"day", "placement", "day_sample", "day_result"} & set(engine.detail(staff_list)["data"])


def test_a_ppe_with_staff_has_exactly_one_head_that_day(people, clock_at):
    staff_list, labels = days_open(people, clock_at)
    iao, maths = people["iao"], day_task(staff_list, "2021-06-07")
    # No head in PPE №17: refused for the list as a whole.
    error = refused(staff_list, engine.complete, maths.id, iao,
                    placement(labels, {"Юсупова Аминат Расуловна": (None, None)}))
    assert error.field_errors == {"staff": [
        "В ППЭ №17 (на базе СОШ №17) 07.06.2021 назначены работники, но нет руководителя ППЭ: назначьте одного из "
        "выдвинутых руководителей ППЭ."]}
    # Both heads in PPE №17: the second is refused, naming the first, and PPE №12 is left without one.
    error = refused(staff_list, engine.complete, maths.id, iao,
                    placement(labels, {"Гасанов Ахмед Магомедович": ("ppe-17", None)}))
    assert error.field_errors == {
        f"staff-{ORDER.index('Гасанов Ахмед Магомедович')}-ppe": [
            "Гасанов Ахмед Магомедович: в ППЭ №17 (на базе СОШ №17) 07.06.2021 уже назначен руководитель ППЭ — "
            "Юсупова Аминат Расуловна; руководитель ППЭ в ППЭ один."],
        "staff": ["В ППЭ №12 (на базе СОШ №12) 07.06.2021 назначены работники, но нет руководителя ППЭ: назначьте "
                  "одного из выдвинутых руководителей ППЭ."]}
    # A PPE nobody works in needs no head: everyone of PPE №12 in reserve passes.
    empty12 = {fio: (None, None) for fio, (code, _room) in VALID.items() if code == "ppe-12"}
    engine.complete(maths.id, iao, placement(labels, empty12))
    engine.complete(day_task(staff_list, "2021-06-11").id, iao, placement(labels, valid=VALID_HISTORY))
    [day] = [r for r in engine.detail(staff_list)["data"]["day_results"] if r["date"] == "2021-06-07"]
    assert [(a["ppe"], a["fio"]) for a in day["assigned"] if a["position"] == "ppe_head"] == [
        ("ppe-17", "Юсупова Аминат Расуловна")]


def test_a_ppe_that_holds_some_exams_is_offered_on_their_days_only(people, clock_at):
    """PPE №12 holds the history exam only (its `exams`, as a PPE unit's attrs give it): on the maths day it is not
    among the day's PPE and a placement there is refused."""
    exams = (dict(EXAM, calendar="ege_math_profile"), dict(HISTORY, calendar="ege_history"))
    ppe = [PPE[0], {**PPE[1], "exams": ["ege_history"]}]
    staff_list, labels = days_open(people, clock_at, exams=exams, ppe=ppe)
    iao, maths = people["iao"], day_task(staff_list, "2021-06-07")
    page = task_page(maths.id, iao)
    shown = str(render(page.instructions, page.data))
    assert "ppe-17 — ППЭ №17" in shown and "ppe-12 — ППЭ №12" not in shown
    error = refused(staff_list, engine.complete, maths.id, iao, placement(labels))
    assert error.field_errors[f"staff-{ORDER.index('Алиева Патимат Гасановна')}-ppe"] == [
        "Алиева Патимат Гасановна: нет ППЭ с кодом «ppe-12» среди ППЭ экзаменов 07.06.2021."]
    history_page = task_page(day_task(staff_list, "2021-06-11").id, iao)
    assert "ppe-12 — ППЭ №12" in str(render(history_page.instructions, history_page.data))


def test_two_lists_nominations_reach_only_their_own_list(people, clock_at):
    """Two lists out at once for the same exam, started at the same instant: each has a reference of its own
    (staff_ref, with unique_id()), a school's nomination for one is correlated to that list and the other list
    keeps waiting for it."""
    lists = [start(clock_at, schools=SCHOOLS[:1]) for _ in range(2)]
    refs = [engine.detail(i)["data"]["staff_ref"] for i in lists]
    assert refs[0] != refs[1] and all(r.startswith("- 2020-12-01T10:00:00+03:00 ") for r in refs)
    tasks = engine.list_tasks(user=people["head12"])
    assert [t.name for t in tasks] == ["Работники ППЭ от ОУ: ГИА, основной период"] * 2
    second = next(t for t in tasks if t.instance_id == school_instances(lists[1])["school-12"])
    engine.complete(second.id, people["head12"], {"staff": NOMINATED["school-12"]})
    assert [instance(i).status for i in lists] == ["waiting", "running"]
    assert engine.detail(lists[0])["data"]["nominations"] == []
    assert [n["fio"] for n in engine.detail(lists[1])["data"]["nominees"]] == [
        p["fio"] for p in NOMINATED["school-12"]]
    assert [t.role for t in ready(lists[1], "staff_assign")] == ["iao_specialist"] * 2  # one per exam day


def test_the_lists_instance_carries_none_of_the_schools_work(people, clock_at):
    """Twenty schools are asked: their reminders and escalations run in their own instances and leave the list's
    instance untouched; a nomination changes it once, and its state stays a fraction of the schools' together."""
    ensure_city(range(1, 21), ())
    many = [{"code": f"school-{n}", "name": f"МБОУ «СОШ №{n}»"} for n in range(1, 21)]
    staff_list = start(clock_at, schools=many)
    schools = school_instances(staff_list)
    assert len(schools) == 20
    before = instance(staff_list).lock_version
    engine.complete(nomination_tasks(staff_list)["school-12"].id, people["head12"], {"staff": NOMINATED["school-12"]})
    for _ in range(2):
        tick(clock_at, "2020-12-26T09:30:00")
    assert len(notes("escalation")) == 19
    row = instance(staff_list)
    assert row.lock_version == before + 1  # the one nomination; no school's timer touched it
    assert row.status_text == "выдвижение кандидатур ОУ до 25.12.2020: списки направили 1 из 20 ОУ"
    # The schools' work (tasks, timers, escalations) lives in their instances: the list's state holds the start data
    # and the one nomination, far less than the twenty instances hold together (a fourteenth, measured).
    assert len(row.state) * 5 < sum(len(instance(i).state) for i in schools.values())


def test_at_the_deadline_the_iao_sees_who_sent_nothing_and_places_the_others(people, clock_at):
    """2 of 3 lists missing at the deadline (two working days after 25 Dec, 09:00 the next day): the ИАО's task names
    exactly those schools; a list sent while she decides is counted; after the close the last one reaches nobody,
    as the audit trail records, and the placement holds the schools that answered."""
    staff_list = start(clock_at)
    by_school = nomination_tasks(staff_list)
    engine.complete(by_school["school-33"].id, people["head33"], {"staff": NOMINATED["school-33"]})
    tick(clock_at, "2020-12-30T08:59:00")
    assert ready(staff_list) == []
    tick(clock_at, "2020-12-30T09:30:00")
    decide = only(staff_list, "staff_decide")
    assert (decide.role, decide.name) == ("iao_specialist", "Не направили работников ППЭ (ГИА, основной период): "
                                                            "2 из 3 ОУ")
    assert engine.detail(staff_list)["data"]["missing_schools"] == ["МБОУ «СОШ №12»", "МБОУ «СОШ №17»"]

    clock_at("2020-12-30T11:00:00+03:00")
    engine.complete(by_school["school-12"].id, people["head12"], {"staff": NOMINATED["school-12"]})
    assert engine.detail(staff_list)["data"]["missing_schools"] == ["МБОУ «СОШ №17»"]
    engine.complete(only(staff_list, "staff_decide").id, people["iao"], {"decision": "close"})
    assign = day_task(staff_list, "2021-06-07")
    data = engine.detail(staff_list)["data"]
    assert [n["school"] for n in data["nominees"]] == ["school-12"] * 3 + ["school-33"] * 4
    page = task_page(assign.id, people["iao"])
    assert "Не направили списки (сбор закрыт): МБОУ «СОШ №17»." in str(render(page.instructions, page.data))

    engine.complete(by_school["school-17"].id, people["head17"], {"staff": NOMINATED["school-17"]})
    late = school_instances(staff_list)["school-17"]
    assert instance(late).status == "completed" and len(unrouted(late)) == 1
    assert len(engine.detail(staff_list)["data"]["nominations"]) == 2



def test_the_catalogue_refuses_staff_list_exams_the_calendar_does_not_have(tmp_path):
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    assert "ege_history" in data["3.46"]["params"]["exams"]  # the plan's list covers the ЕГЭ days
    data["3.46"]["params"]["exams"] = ["ege_math_profile", "ege_astrology"]
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    [problem] = refusal(source, items, calendar)
    assert "3.46" in problem and "ege_astrology" in problem, problem


def test_the_instances_diagram_marks_the_call_activity_whose_placement_is_open(people, clock_at):
    """The day's placement runs in the called process ppe_staff_day, which is not on the list's drawing: the
    diagram marks the call activity that holds it, not an element the drawing lacks."""
    from engine.service.instance_diagram import instance_diagram
    staff_list, _labels = days_open(people, clock_at)
    diagram = instance_diagram(staff_list, people["iao"])
    assert "staff_per_day" in diagram["current"]
    assert diagram["elements"]["staff_per_day"]["name"] in diagram["xml"]


def test_the_plans_staff_list_covers_every_exam_of_the_calendar_ege_and_oge():
    """Issue 15 §5: item 3.46 places staff for every exam a PPE may host, the ОГЭ's days included, not one exam."""
    from engine.plan import catalogue
    calendar = json.loads((PROCESSES / "plan" / "calendar-2020-2021.json").read_text(encoding="utf-8"))
    exams = {key for key, value in calendar.items() if key.startswith(("ege_", "oge_")) and isinstance(value, dict)
             and (value.get("date") or value.get("starts")) and "deadline" not in key}
    assert set(catalogue.load_default().entry("3.46").params["exams"]) == exams
    assert {"oge_russian", "oge_math", "ege_math_profile", "ege_history"} <= exams
