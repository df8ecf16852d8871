"""Scenario A10 (plan 4.4) through the service layer with the manual clock: in December each school's head sends the
scanned signature sheet of the parents' meeting with its counts; a school below 100 % gets a follow-up task due
20 Jan to collect the missing signatures, a school at 100 % none; then the ИАО sees the city coverage, and the
coverage by school is offered as a table to download (`exports`). Invalid counts are refused and change nothing.
Each school works in an instance of its own (parent_meetings_school), started by the department's message and
reporting back to it by a message correlated to that collection."""
from datetime import date

import pytest
from sqlalchemy import select

import engine
from engine.access.rules import can_view_instance
from engine.db import db
from engine.models import ProcessInstance
from engine.service.exports import instance_table_export
from engine.service.views import task_page

from tests.engine.plan_patterns import (attach, instance, notes, only, ready, refused, rows, school_heads, tick,
                                        unrouted)
from webui.instructions import render

SCHOOLS = [{"code": "school-3", "name": "МБОУ «СОШ №3»"}, {"code": "school-12", "name": "МБОУ «СОШ №12»"},
           {"code": "school-17", "name": "МБОУ «СОШ №17»"}, {"code": "school-33", "name": "МБОУ «СОШ №33»"}]
HEADS = {"school-3": "head3", "school-12": "head12", "school-17": "head17", "school-33": "head33"}


@pytest.fixture
def people(org):
    return school_heads(org, HEADS)  # with every other diagram deployed, as the demo does


def start(**overrides):
    data = {"schools": SCHOOLS, "due": "2020-12-30", "followup_due": "2021-01-20", **overrides}
    return engine.start("parent_meetings", data, unit="guo", actor="iao").instance_id


def schools(collection=None) -> dict[str, int]:
    """The schools' instances by school code: of the one collection running, or of `collection` (its pm_ref)."""
    db.session.rollback()
    ref = engine.detail(collection)["data"]["pm_ref"] if collection is not None else None
    found = db.session.execute(select(ProcessInstance.unit_code, ProcessInstance.id).order_by(ProcessInstance.id)
                               .where(ProcessInstance.process_id == "parent_meetings_school")).tuples()
    return {code: i for code, i in found if ref is None or engine.detail(i)["data"]["pm_ref"] == ref}


def school_tasks(bpmn_id, collection=None) -> dict:
    """The READY tasks `bpmn_id` of the schools' instances, by school code."""
    return {t.unit_code: t for school in schools(collection).values() for t in ready(school, bpmn_id)}


def send_sheet(people, code, signed, total, held_on="2020-12-15", collection=None):
    task = school_tasks("pm_sheet_task", collection)[code]
    return engine.complete(task.id, people[HEADS[code]], {
        "held_on": held_on, "scan": attach(task.instance_id, f"list-{code}.pdf", "scan"), "signed": signed,
        "total": total})


def test_a10_sheets_follow_up_below_100_percent_and_the_city_coverage(people, clock_at):
    clock_at("2020-12-01T10:00:00+03:00")
    meeting = start()
    assert instance(meeting).unit_code == "guo"
    # Each school works in an instance of its own, which belongs to the school; the department's holds no
    # school's task.
    by_school = schools()
    assert sorted(by_school) == sorted(s["code"] for s in SCHOOLS)
    assert ready(meeting) == [] and rows(meeting) == {}
    tasks = school_tasks("pm_sheet_task")
    assert sorted(tasks) == sorted(s["code"] for s in SCHOOLS)
    assert {t.instance_id: code for code, t in tasks.items()} == {i: code for code, i in by_school.items()}
    assert {(t.role, t.due_at.date()) for t in tasks.values()} == {("school_head", date(2020, 12, 30))}
    assert instance(by_school["school-3"]).status_text == "лист ознакомления родителей до 30.12.2020"
    # Each head is offered her own school's sheet only, and sees her school's instance only.
    for code, login in HEADS.items():
        assert [t.id for t in engine.list_tasks(user=people[login])] == [tasks[code].id]
        assert [i for i in [meeting, *by_school.values()] if can_view_instance(people[login], instance(i))] \
            == [by_school[code]]
    assert all(can_view_instance(people["iao"], instance(i)) for i in [meeting, *by_school.values()])
    with pytest.raises(engine.PermissionDenied):
        engine.complete(tasks["school-3"].id, people["head12"], {})

    clock_at("2020-12-16T11:00:00+03:00")
    send_sheet(people, "school-3", 54, 56)
    send_sheet(people, "school-12", 80, 80)
    # At 100 % the school has reported: its instance is done and the department counts it.
    assert instance(by_school["school-12"]).status == "completed"
    assert instance(by_school["school-12"]).status_text == "охват родителей: 100,0 % (подписали 80 из 80)"
    assert engine.detail(meeting)["data"]["pm_missing"] == 3
    assert instance(meeting).status_text == ("листы ознакомления родителей: охват подведён в 1 из 4 ОУ "
                                             "(лист до 30.12.2020, недостающие подписи до 20.01.2021)")
    send_sheet(people, "school-17", 60, 60)
    send_sheet(people, "school-33", 78, 80)

    # Below 100 %: a follow-up task due 20 Jan for schools 3 and 33; none for 12 and 17.
    followups = school_tasks("pm_followup_task")
    assert sorted(followups) == ["school-3", "school-33"]
    assert {(t.role, t.due_at.date()) for t in followups.values()} == {("school_head", date(2021, 1, 20))}
    assert followups["school-3"].name == "Недостающие подписи родителей: МБОУ «СОШ №3» (2 из 56)"
    assert ready(meeting, "pm_iao_task") == []
    assert [t.id for t in engine.list_tasks(user=people["head12"])] == []
    page = task_page(followups["school-3"].id, people["head3"])
    assert page.data["followup"] == {"signed": 54, "total": 56}  # the form opens with the counts given so far
    assert "54 из 56" in str(render(page.instructions, page.data))

    # The updated counts may not fall below the meeting's, nor exceed the total; still short of 100 % needs a reason.
    head3, follow3, school3 = people["head3"], followups["school-3"].id, by_school["school-3"]
    scan = attach(school3, "dop-list-3.pdf", "scan")
    assert list(refused(school3, engine.complete, follow3, head3,
                        {"scan": scan, "signed": 50, "total": 56, "comment": "Ошиблись на собрании."}).field_errors
            ) == ["signed"]
    assert list(refused(school3, engine.complete, follow3, head3,
                        {"scan": scan, "signed": 55, "total": 56}).field_errors) == ["comment"]
    assert list(refused(school3, engine.complete, follow3, head3,
                        {"signed": 56, "total": 56}).field_errors) == ["scan"]

    clock_at("2021-01-18T12:00:00+03:00")
    engine.complete(follow3, head3, {"scan": scan, "signed": 55, "total": 56,
                                     "comment": "Один родитель в длительной командировке, ознакомлен по телефону."})
    assert ready(meeting, "pm_iao_task") == []  # school 33 has not finished yet
    tick(clock_at, "2021-01-21T09:30:00")  # school 33 is late with its follow-up: it is escalated
    assert ("escalation", "iao_head", None) in notes("escalation")
    assert ("reminder", "school_head", "school-33") in notes("reminder")
    clock_at("2021-01-21T12:00:00+03:00")
    engine.complete(followups["school-33"].id, people["head33"],
                    {"scan": attach(by_school["school-33"], "dop-list-33.pdf", "scan"), "signed": 80, "total": 80})
    assert {instance(i).status for i in by_school.values()} == {"completed"}
    # School 33's late follow-up puts it in the plan's list of late work (submitted_on and late_days).
    assert [(code, instance(i).submitted_on, instance(i).late_days) for code, i in sorted(by_school.items())] == [
        ("school-12", "2020-12-16", 0), ("school-17", "2020-12-16", 0), ("school-3", "2021-01-18", 0),
        ("school-33", "2021-01-21", 1)]

    # The ИАО sees the city's coverage: (55 + 80 + 60 + 80) / (56 + 80 + 60 + 80) = 275 / 276 = 99.6 %.
    final = only(meeting, "pm_iao_task")
    assert final.role == "iao_specialist" and final.unit_code == "guo"
    assert [t.id for t in engine.list_tasks(user=people["iao"])] == [final.id]
    assert final.name == "Охват родителей ознакомлением с порядком ГИА: 99,6 %"
    page = task_page(final.id, people["iao"])
    shown = str(render(page.instructions, page.data))
    assert "Охват по городу: 99,6 % (подписали 275 из 276)" in shown
    assert "МБОУ «СОШ №3»: 55 из 56 (98,2 %)" in shown
    data = engine.detail(meeting)["data"]
    assert (data["city_signed"], data["city_total"], data["city_coverage"]) == (275, 276, 99.6)
    assert instance(meeting).status_text == ("охват родителей по городу: 99,6 % (подписали 275 из 276); "
                                             "меньше 100 %: МБОУ «СОШ №3»")
    results = {r["code"]: r for r in data["pm_results"]}
    assert (results["school-3"]["first_signed"], results["school-3"]["signed"], results["school-3"]["followed_up"]) \
        == (54, 55, True)
    assert [s["filename"] for s in results["school-3"]["scans"]] == ["list-school-3.pdf", "dop-list-3.pdf"]
    assert results["school-12"]["followed_up"] is False and len(results["school-12"]["scans"]) == 1

    # The table by school, in the order of the start data, with the city's total, as the download reads it.
    table = instance_table_export(meeting, "coverage", people["iao"])
    assert table.title == "Охват родителей ознакомлением по ОУ"
    assert table.columns == ["ОУ", "Подписали", "Всего", "Охват, %"]
    assert table.rows == [["МБОУ «СОШ №3»", 55, 56, 98.2], ["МБОУ «СОШ №12»", 80, 80, 100.0],
                          ["МБОУ «СОШ №17»", 60, 60, 100.0], ["МБОУ «СОШ №33»", 80, 80, 100.0],
                          ["Итого по городу", 275, 276, 99.6]]
    assert [sum(r[1] for r in table.rows[:-1]), sum(r[2] for r in table.rows[:-1])] == table.rows[-1][1:3]

    result = engine.complete(final.id, people["iao"], {})
    assert result.status == "completed"


def test_a10_a_school_that_stays_short_after_the_follow_up_keeps_its_coverage(people, clock_at):
    """54 of 56 at the meeting and still 54 of 56 on 20 Jan (with the reason): the school's 96,4 % counts."""
    clock_at("2020-12-16T10:00:00+03:00")
    meeting = start(schools=SCHOOLS[:2])
    send_sheet(people, "school-3", 54, 56)
    send_sheet(people, "school-12", 80, 80)
    follow = only(schools()["school-3"], "pm_followup_task")
    assert follow.unit_code == "school-3" and follow.due_at.date() == date(2021, 1, 20)
    clock_at("2021-01-20T10:00:00+03:00")
    engine.complete(follow.id, people["head3"], {"scan": attach(schools()["school-3"], "dop.pdf", "scan"),
                                                 "signed": 54, "total": 56,
                                                 "comment": "Двое родителей отказались подписывать."})
    data = engine.detail(meeting)["data"]
    # 134 / 136 = 98.529... → 98.5; school 3 alone: 54 / 56 = 96.43 → 96.4
    assert data["city_coverage_text"] == "98,5 %"
    assert data["exports"]["coverage"]["rows"][0] == ["МБОУ «СОШ №3»", 54, 56, 96.4]
    assert only(meeting, "pm_iao_task").name.endswith("98,5 %")
    assert instance(schools()["school-3"]).status_text == "охват родителей: 96,4 % (подписали 54 из 56)"


def test_a10_city_coverage_text_uses_a_comma(people, clock_at):
    # 269 / 275 = 97.82 %: «97,8 %», the figure of the scenario.
    clock_at("2020-12-16T10:00:00+03:00")
    meeting = start()
    for code, signed, total in (("school-3", 54, 56), ("school-12", 80, 80), ("school-17", 59, 59),
                                ("school-33", 76, 80)):
        send_sheet(people, code, signed, total)
    for code, task in school_tasks("pm_followup_task").items():
        counts = {"school-3": (54, 56), "school-33": (76, 80)}[code]
        engine.complete(task.id, people[HEADS[code]], {"scan": attach(schools()[code], "dop.pdf", "scan"),
                                                       "signed": counts[0], "total": counts[1],
                                                       "comment": "Родители не пришли."})
    data = engine.detail(meeting)["data"]
    assert (data["city_signed"], data["city_total"], data["city_coverage_text"]) == (269, 275, "97,8 %")
    assert data["exports"]["coverage"]["rows"][-1] == ["Итого по городу", 269, 275, 97.8]


def test_a10_invalid_sheets_are_refused_in_russian_and_change_nothing(people, clock_at):
    clock_at("2020-12-10T10:00:00+03:00")
    start()
    school3 = schools()["school-3"]
    task = school_tasks("pm_sheet_task")["school-3"]
    head = people["head3"]
    scan = attach(school3, "list.pdf", "scan")
    more_than_total = refused(school3, engine.complete, task.id, head,
                              {"held_on": "2020-12-09", "scan": scan, "signed": 57, "total": 56})
    assert more_than_total.field_errors == {"signed": ["Подписавших не может быть больше, чем всего родителей."]}
    no_parents = refused(school3, engine.complete, task.id, head,
                         {"held_on": "2020-12-09", "scan": scan, "signed": 0, "total": 0})
    assert no_parents.field_errors == {"total": ["Всего родителей должно быть больше нуля."]}
    assert list(refused(school3, engine.complete, task.id, head,
                        {"held_on": "2020-12-09", "signed": 54, "total": 56}).field_errors) == ["scan"]
    assert list(refused(school3, engine.complete, task.id, head,
                        {"held_on": "2020-12-11", "scan": scan, "signed": 54, "total": 56}).field_errors) == ["held_on"]
    send_sheet(people, "school-3", 56, 56, held_on="2020-12-09")
    assert school_tasks("pm_followup_task") == {}  # 100 %: no follow-up


def test_a10_a_late_sheet_is_escalated_the_day_after_the_deadline(people, clock_at):
    clock_at("2020-12-10T10:00:00+03:00")
    meeting = start(schools=SCHOOLS[:1])
    tick(clock_at, "2020-12-31T08:59:00")
    assert notes() == []
    tick(clock_at, "2020-12-31T09:30:00")
    assert notes() == [("reminder", "school_head", "school-3"), ("escalation", "iao_head", None)]
    # The escalation is raised by the school's instance, which keeps its task; the department's waits on.
    assert only(schools()["school-3"], "pm_sheet_task").unit_code == "school-3"
    assert instance(meeting).status == "waiting"
    # Sent at last on 4 Jan at 100 %, the sheet is 5 days late: the school is in the plan's list of late work.
    clock_at("2021-01-04T10:00:00+03:00")
    send_sheet(people, "school-3", 56, 56, held_on="2020-12-28")
    assert (instance(schools()["school-3"]).submitted_on, instance(schools()["school-3"]).late_days) == (
        "2021-01-04", 5)


def test_a10_without_schools_the_coverage_is_empty_at_once(people, clock_at):
    clock_at("2020-12-10T10:00:00+03:00")
    meeting = start(schools=[])
    assert schools() == {}
    assert only(meeting, "pm_iao_task").name == "Охват родителей ознакомлением с порядком ГИА: —"


def test_two_collections_reports_reach_only_their_own(people, clock_at):
    """Two collections at once (started at the same instant, with the same dates): each has a reference of its own
    (pm_ref, with unique_id()), a school's result is correlated to its collection and the other keeps waiting."""
    clock_at("2020-12-10T10:00:00+03:00")
    collections = [start(schools=SCHOOLS[:1]) for _ in range(2)]
    refs = [engine.detail(c)["data"]["pm_ref"] for c in collections]
    assert refs[0] != refs[1] and all(r.startswith("parent_meetings 2020-12-30/2021-01-20 2020-12-10T10:00:00") for r in refs)
    tasks = engine.list_tasks(user=people["head3"])
    assert len(tasks) == 2
    second = next(t for t in tasks if engine.detail(t.instance_id)["data"]["pm_ref"] == refs[1])
    engine.complete(second.id, people["head3"], {"held_on": "2020-12-09", "signed": 56, "total": 56,
                                                 "scan": attach(second.instance_id, "list.pdf", "scan")})
    assert [instance(c).status for c in collections] == ["waiting", "running"]
    assert only(collections[1], "pm_iao_task").name.endswith("100,0 %")
    assert engine.detail(collections[0])["data"]["pm_results"] == []
    assert ready(collections[0]) == []


def test_a10_a_school_that_reports_again_replaces_its_result(people, clock_at):
    """A corrected report of a school (sent again, correlated to the collection) overwrites the earlier one and is
    not counted twice."""
    clock_at("2020-12-16T10:00:00+03:00")
    meeting = start(schools=SCHOOLS[:2])
    send_sheet(people, "school-3", 56, 56)
    ref = engine.detail(meeting)["data"]["pm_ref"]
    first = engine.detail(meeting)["data"]["pm_results"][0]
    corrected = {**first, "signed": 55, "total": 57}
    assert engine.deliver("message", "parent_meetings_report", {"pm_ref": ref, "result": corrected},
                          correlations={"pm_ref": ref}) == [meeting]
    data = engine.detail(meeting)["data"]
    assert data["pm_results"] == [corrected] and data["pm_missing"] == 1
    send_sheet(people, "school-12", 80, 80)
    assert engine.detail(meeting)["data"]["exports"]["coverage"]["rows"][0] == ["МБОУ «СОШ №3»", 55, 57, 96.5]


def test_a10_the_departments_state_does_not_grow_with_the_schools_work(people, clock_at):
    """The department's instance holds no school's tasks, only the list of schools and then one small result per
    school. Measured: a school's instance waiting for its sheet takes about 6.6 KB; the department's takes about
    100 bytes more per school while it waits and about 430 more per school's result, 10 KB in all with four
    schools' results and the city's table (in the old shape, with the schools' work inside, 36 KB at the start)."""
    clock_at("2020-12-16T10:00:00+03:00")
    one = start(schools=SCHOOLS[:1])
    clock_at("2020-12-16T10:01:00+03:00")
    meeting = start()
    school_size = min(len(instance(i).state) for i in schools(meeting).values())
    waiting = len(instance(meeting).state)
    per_school = (waiting - len(instance(one).state)) / (len(SCHOOLS) - 1)
    assert per_school < school_size / 10, (per_school, school_size)

    send_sheet(people, "school-12", 80, 80, collection=meeting)  # 100 %: both report at once
    send_sheet(people, "school-17", 60, 60, collection=meeting)
    per_result = (len(instance(meeting).state) - waiting) / 2
    assert per_result < school_size / 4, (per_result, school_size)

    send_sheet(people, "school-3", 54, 56, collection=meeting)
    send_sheet(people, "school-33", 78, 80, collection=meeting)
    for code, task in school_tasks("pm_followup_task", meeting).items():
        engine.complete(task.id, people[HEADS[code]], {"scan": attach(task.instance_id, "dop.pdf", "scan"),
                                                       "signed": 56 if code == "school-3" else 80,
                                                       "total": 56 if code == "school-3" else 80})
    assert only(meeting, "pm_iao_task")
    assert len(instance(meeting).state) < len(SCHOOLS) * school_size, (len(instance(meeting).state), school_size)


def test_a10_at_the_deadline_the_iao_sees_who_is_missing_and_closes(people, clock_at):
    """1 of 3 schools in at the deadline (two working days after 20 Jan, 09:00 the next day): the ИАО's task names
    exactly the two missing; a result that comes while she decides is counted; after the close the coverage counts
    the two schools that reported and the last school's result reaches nobody, as the audit trail records."""
    clock_at("2020-12-16T10:00:00+03:00")
    meeting = start(schools=SCHOOLS[:3])
    send_sheet(people, "school-12", 80, 80)
    send_sheet(people, "school-3", 54, 56)  # below 100 %: its follow-up is still open at the deadline
    tick(clock_at, "2021-01-23T08:59:00")
    assert ready(meeting) == []
    tick(clock_at, "2021-01-23T09:30:00")
    decide = only(meeting, "pm_decide")
    assert (decide.role, decide.name) == ("iao_specialist", "Не прислали листы ознакомления родителей: 2 из 3 ОУ")
    assert engine.detail(meeting)["data"]["missing_schools"] == ["МБОУ «СОШ №3»", "МБОУ «СОШ №17»"]
    page = task_page(decide.id, people["iao"])
    assert "Не прислали:<br>— МБОУ «СОШ №3»<br>— МБОУ «СОШ №17»<br>" in str(render(page.instructions, page.data))

    clock_at("2021-01-25T10:00:00+03:00")
    follow = school_tasks("pm_followup_task")["school-3"]
    engine.complete(follow.id, people["head3"], {"scan": attach(follow.instance_id, "dop.pdf", "scan"),
                                                 "signed": 56, "total": 56})
    assert engine.detail(meeting)["data"]["missing_schools"] == ["МБОУ «СОШ №17»"]
    engine.complete(only(meeting, "pm_decide").id, people["iao"], {"decision": "close"})
    final = only(meeting, "pm_iao_task")
    assert final.name == "Охват родителей ознакомлением с порядком ГИА: 100,0 %"
    assert instance(meeting).status_text == ("охват родителей по городу: 100,0 % (подписали 136 из 136); "
                                             "не прислали: МБОУ «СОШ №17»")
    page = task_page(final.id, people["iao"])
    assert "Сбор закрыт без итогов МБОУ «СОШ №17»" in str(render(page.instructions, page.data))

    send_sheet(people, "school-17", 60, 60, held_on="2021-01-25")
    late = schools()["school-17"]
    assert instance(late).status == "completed" and len(unrouted(late)) == 1
    assert len(engine.detail(meeting)["data"]["pm_results"]) == 2

