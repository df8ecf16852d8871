"""Incidents (issue 13 §5) and the diagram's error counts (§3): the errored and stalled instances grouped by
process, version, kind, element and message, checked against a brute force over the instance rows for the city
and for each school head (who sees her own units' only); the element a failed step stopped at as the engine
records it (a script, a task's property, a stalled join), and cleared by a retry that succeeds."""
from collections import defaultdict

import pytest
from sqlalchemy import select

import engine
from engine.access import can_view_instance
from engine.db import db
from engine.models import ProcessInstance
from tests.conftest import linear
from tests.engine.incident_cases import NAMES, PROCESS, make_incidents

KINDS = {"error": "error", "stalled": "stalled"}


def brute_force(user) -> dict:
    """{(process, version, kind, element, message): (count, ids, newest)} from every instance, one by one."""
    db.session.rollback()
    groups = defaultdict(list)
    for instance in db.session.scalars(select(ProcessInstance)):
        if instance.status in KINDS and can_view_instance(user, instance):
            groups[(instance.process_id, instance.deployment_id, KINDS[instance.status], instance.error_element,
                    instance.error)].append(instance)
    return {key: (len(found), sorted((i.id for i in found), reverse=True), max(i.updated_at for i in found))
            for key, found in groups.items()}


def shown(user) -> dict:
    return {(g.process_id, g.version, g.kind, g.element, None if g.kind == "stalled" else g.message):
            (g.count, g.instance_ids, g.newest) for g in engine.incidents(user)}


@pytest.fixture
def cases(org):
    return make_incidents()


def test_incidents_are_the_errored_and_stalled_instances_grouped_as_a_brute_force_finds_them(cases):
    iao = engine.user_by_login("iao")
    expected = brute_force(iao)
    assert shown(iao) == expected
    # two messages at calc, one at tally, the stalled at the join; the running ones are no incident
    assert sorted((k[2], k[3], v[0]) for k, v in expected.items()) == [
        ("error", "calc", 1), ("error", "calc", 3), ("error", "tally", 2), ("stalled", "join", 2)]
    groups = engine.incidents(iao)
    assert [g.newest for g in groups] == sorted((g.newest for g in groups), reverse=True)
    by_element = {(g.kind, g.element, g.count): g for g in groups}
    stalled = by_element[("stalled", "join", 2)]
    assert stalled.element_name == NAMES["join"] and stalled.process_name == "Сверка сведений"
    assert str(stalled.message) == "Процесс остановился: ничего не ожидается, и он не завершён."
    zero = by_element[("error", "calc", 3)]
    assert zero.element_name == NAMES["calc"] and "ZeroDivisionError" in zero.message
    assert zero.unit_names == ["МБОУ «СОШ №12»", "МБОУ «СОШ №17»"]
    assert engine.incident_count(iao) == 8


@pytest.mark.parametrize("login", ["head12", "head17", "tech17"])
def test_a_school_head_sees_the_incidents_of_her_units_only(cases, login):
    user = engine.user_by_login(login)
    expected = brute_force(user)
    assert shown(user) == expected
    units = {unit for g in engine.incidents(user) for unit in g.unit_names}
    assert units == {"head12": {"МБОУ «СОШ №12»"}, "head17": {"МБОУ «СОШ №17»"}, "tech17": set()}[login]
    assert engine.incident_count(user) == sum(count for count, _, _ in expected.values())
    assert engine.incident_count(user) == {"head12": 4, "head17": 4, "tech17": 0}[login]


def test_the_element_a_step_stopped_at_is_recorded_and_a_successful_retry_clears_it(cases):
    elements = {i: (db.session.get(ProcessInstance, i).status, db.session.get(ProcessInstance, i).error_element)
                for i in cases}
    assert [elements[i] for i in cases] == [("error", "calc")] * 4 + [("error", "tally")] * 2 + [
        ("stalled", "join")] * 2 + [("running", None)] * 2
    engine.retry(cases[0], "admin", corrections={"total": 2})
    db.session.rollback()
    fixed = db.session.get(ProcessInstance, cases[0])
    assert (fixed.status, fixed.error, fixed.error_element) == ("running", None, None)


def test_a_tasks_failing_property_names_the_task_as_the_element(org):
    engine.deploy([("p.bpmn", linear(
        '<bpmn:userTask id="n1"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="title" value="missing_title + 1"/>'
        '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'))], actor="admin")
    with pytest.raises(engine.ProcessError) as info:
        engine.start("p", {}, actor="admin")
    db.session.rollback()
    failed = db.session.get(ProcessInstance, info.value.instance_id)
    assert (failed.status, failed.error_element) == ("error", "n1") and "missing_title" in failed.error
    [group] = engine.incidents(engine.user_by_login("iao"))
    assert (group.element, group.element_name, group.instance_ids) == ("n1", None, [failed.id])


def test_the_diagrams_error_counts_are_the_instances_stopped_at_each_element(cases):
    for login, query in (("iao", engine.DiagramQuery()), ("head12", engine.DiagramQuery()),
                         ("iao", engine.DiagramQuery(unit="school-17"))):
        user = engine.user_by_login(login)
        page = engine.process_diagram(PROCESS, user, query)
        db.session.rollback()
        expected = defaultdict(int)
        for instance in db.session.scalars(select(ProcessInstance).where(ProcessInstance.process_id == PROCESS)):
            if (instance.status in KINDS and can_view_instance(user, instance)
                    and query.unit in (None, instance.unit_code)):
                expected[instance.error_element] += 1
        counted = {bpmn: c["errors"] for bpmn, c in page["elements"].items() if c["errors"]}
        assert counted == {k: v for k, v in expected.items() if k is not None}, login
        assert page["errors_unplaced"] == expected.get(None, 0)
        assert page["errors"] == sum(expected.values())
    assert engine.process_diagram(PROCESS, engine.user_by_login("iao"))["elements"]["calc"]["errors"] == 4
