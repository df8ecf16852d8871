"""The instance list through the service layer: every status filter, the other filters and the business-variable
conditions against a brute force over the instances, sorting and paging (each instance once, stable), and
visibility (a school head's list holds exactly the instances she may open)."""
from datetime import date

import pytest
from sqlalchemy import select

import engine
from engine import InstanceQuery, instance_list, matching_ids
from engine.access import can_view_instance
from engine.db import db
from engine.directory import natural_key
from engine import clock
from engine.models import HumanTask, Plan, PlanItem, ProcessInstance, Unit
from engine.service.instance_conditions import parse_conditions
from engine.service.instance_list import STATUSES
from tests.conftest import linear, process_xml, set_manual_clock

TASK = linear('<bpmn:userTask id="n1"/>', process_id="task")
BOOM = linear('<bpmn:userTask id="n1"/>', '<bpmn:scriptTask id="n2"><bpmn:script>x = 1 / 0</bpmn:script>'
              '</bpmn:scriptTask>', process_id="boom")
TIMER = linear('<bpmn:intermediateCatchEvent id="n1"><bpmn:timerEventDefinition><bpmn:timeDuration>"P30D"'
               '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>', process_id="timer")
# an AND join after an XOR split: one token waits at the join for ever (a modelling error)
STUCK = process_xml(
    '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="split" default="f_a"/>'
    '<bpmn:scriptTask id="a"><bpmn:script>a = 1</bpmn:script></bpmn:scriptTask>'
    '<bpmn:scriptTask id="b"><bpmn:script>b = 1</bpmn:script></bpmn:scriptTask>'
    '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
    '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split"/>'
    '<bpmn:sequenceFlow id="f_a" sourceRef="split" targetRef="a"/>'
    '<bpmn:sequenceFlow id="f_b" sourceRef="split" targetRef="b"><bpmn:conditionExpression>False'
    '</bpmn:conditionExpression></bpmn:sequenceFlow>'
    '<bpmn:sequenceFlow id="f_a2" sourceRef="a" targetRef="join"/>'
    '<bpmn:sequenceFlow id="f_b2" sourceRef="b" targetRef="join"/>'
    '<bpmn:sequenceFlow id="f1" sourceRef="join" targetRef="end"/>', "stuck")
# conditions on business variables, and malformed ones with a word the message must name
CONDITIONS = ["late_days > 1", "late_days >= 1", "late_days = 0", "late_days != 5", "late_days < 3 and late_days > 0",
              "status_text contains готов", "status_text = готов", "status_text != «не готов»",
              "status_text contains не", "submitted_on < 2021-01-23", "submitted_on >= 01.02.2021",
              "LATE_DAYS <= 2 AND status_text = 'готов'",
              # the names the page's hint gives, in Russian
              "опоздание > 1", "статус содержит готов", "сдано >= 01.02.2021", "Опоздание < 3 и опоздание > 0",
              # any variable of the process data, compared as its value reads
              "fix_days > 2", "fix_days <= 2 и опоздание < 3", "share >= 0,5", "share = 0.75", "ready = да",
              "ready != нет", "ready = false", "checked_on < 03.02.2021", "checked_on >= 2021-02-03",
              "школа содержит №1", "школа = «СОШ №2»", "школа != «СОШ №2»", "mixed = 3", "mixed = '2'",
              "mixed содержит 4"]
# variables no instance keeps: read, applied (nothing matches) and named as a likely typo
UNKNOWN = [("lateness > 3", "lateness"), ("опозданиe > 3", "опозданиe"), ("Fix_days > 1", "Fix_days"),
           ("notes содержит a", "notes")]
MALFORMED = [("late_days >> 3", "late_days"), ("late_days > soon", "soon"),
             ("submitted_on < 31.02.2021", "31.02.2021"), ("late_days contains 3", "contains"),
             ("status_text", "status_text"), ("status_text =", "status_text ="), ("status_text < б", "<"),
             ("статус > б", "статус"), ("ready > да", ">"), ("школа < abc", "abc")]
UNITS = ("school-12", "school-17", "ppe-12", "school-5")  # СОШ №5 sorts after №17 as text, before №12 as people count


@pytest.fixture
def city(org):
    return make_city()


def make_city() -> dict:
    """Instances of four small processes in every status, over four units and four days; some carry the
    projected business variables. Returns {status: [instance ids]}."""
    for name, content in (("task", TASK), ("boom", BOOM), ("timer", TIMER), ("stuck", STUCK)):
        engine.deploy([(f"{name}.bpmn", content)], actor="admin")
    admin = engine.user_by_login("admin")
    made = {status: [] for status in STATUSES}

    def start(process, unit, **data):
        return engine.start(process, data, unit=unit, actor="admin").instance_id

    for day, unit in zip((1, 2, 3, 4), UNITS):
        set_manual_clock(f"2021-02-0{day}T10:00:00+03:00")
        made["running"].append(start("task", unit, status_text="готов", late_days=day - 1,
                                     submitted_on=f"2021-01-2{day}", fix_days=day, share=day / 4,
                                     ready=day % 2 == 0, checked_on=f"2021-02-0{day}", школа=f"СОШ №{day}",
                                     mixed=day if day % 2 else str(day), notes=["a"], about="a" * 201))
        made["running"].append(start("task", unit, status_text="не готов"))
        made["waiting"].append(start("timer", unit))
        made["stalled"].append(start("stuck", unit))
        failing = start("boom", unit, late_days=5)
        with pytest.raises(engine.ProcessError):
            engine.complete(_ready(failing).id, admin, {})
        made["error"].append(failing)
        finished = start("task", unit, status_text="готов", late_days=0, submitted_on="2021-02-01")
        engine.complete(_ready(finished).id, admin, {})
        made["completed"].append(finished)
        suspended = start("task", unit)
        engine.suspend(suspended, "admin")
        made["suspended"].append(suspended)
        cancelled = start("task", unit)
        engine.cancel(cancelled, "admin")
        made["cancelled"].append(cancelled)
    # two of them, of two units, run a plan item
    plan = Plan(year="2020/21", title="План ГИА", calendar={}, school_year_starts=date(2020, 9, 1),
                school_year_ends=date(2021, 8, 31), opened_at=clock.now())
    db.session.add(plan)
    db.session.flush()
    item = PlanItem(plan_id=plan.id, seq=1, section=3, section_title="Раздел 3", number="3.32",
                    title="Техническая проверка ППЭ\nподробности", deadline_text="", windows=[], calendar_keys=[],
                    executors_text="", roles=[], lead_role="iao_specialist", scope="ppe", process_id="task",
                    params={}, anomalies=[])
    db.session.add(item)
    db.session.flush()
    made["item"] = (item.id, made["running"][::2][:2])  # one per unit (ix_process_instance_plan_unit)
    db.session.execute(ProcessInstance.__table__.update().where(ProcessInstance.id.in_(made["item"][1]))
                       .values(plan_item_id=item.id))
    # the host school's task in a PPE's instance opens that instance to the school (engine.access)
    db.session.execute(HumanTask.__table__.update().where(HumanTask.instance_id == made["running"][4])
                       .values(unit_code="school-12"))
    db.session.commit()
    return made


def _ready(instance_id):
    return db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.state == "READY")).one()


def everything():
    db.session.expire_all()
    return list(db.session.scalars(select(ProcessInstance).order_by(ProcessInstance.id)))


def ids_of(page):
    return [row.instance.id for row in page.rows]


def all_pages(user, query):
    """Every row of every page of `query`, page after page."""
    found, query.page = [], 1
    while True:
        page = instance_list(user, query)
        found += ids_of(page)
        if not page.has_next:
            return found, page.total
        query = InstanceQuery.from_params({**query.params(), "page": query.page + 1, "per_page": query.per_page})


def test_every_filter_and_condition_finds_what_a_brute_force_finds(org, city):
    rows = everything()
    assert {r.status for r in rows} == set(STATUSES)  # the fixture reached every status
    for status in STATUSES:
        expected = sorted(r.id for r in rows if r.status == status)
        assert expected == sorted(city[status])
        assert sorted(matching_ids(org["iao"], InstanceQuery(status=status))) == expected, status
    assert sorted(matching_ids(org["iao"], InstanceQuery(status="open"))) == sorted(
        r.id for r in rows if r.status not in ("completed", "cancelled"))
    assert sorted(matching_ids(org["iao"], InstanceQuery(status="problems"))) == sorted(
        city["error"] + city["stalled"])
    page = instance_list(org["iao"], InstanceQuery(status="error"))
    assert page.total == 4 and all("division by zero" in row.instance.error for row in page.rows)
    assert {r.instance.id: r.open_tasks for r in instance_list(org["iao"], InstanceQuery(status="running")).rows} \
        == {i: 1 for i in city["running"]}

    # process and version, unit, plan item, start and end dates, against a brute force
    iao = org["iao"]
    first_version = next(r.deployment_id for r in rows if r.process_id == "task")
    checks = [
        (InstanceQuery(process="task"), lambda r: r.process_id == "task"),
        (InstanceQuery(process="task", version=first_version), lambda r: r.deployment_id == first_version),
        (InstanceQuery(version=10_000), lambda r: False),
        (InstanceQuery(unit="school-17"), lambda r: r.unit_code == "school-17"),
        (InstanceQuery(unit="school-17", status="error"), lambda r: r.unit_code == "school-17" and r.status == "error"),
        (InstanceQuery(plan_item=city["item"][0]), lambda r: r.id in city["item"][1]),
        (InstanceQuery(plan_item=city["item"][0] + 1), lambda r: False),
        (InstanceQuery(started_from=date(2021, 2, 2), started_to=date(2021, 2, 3)),
         lambda r: r.unit_code in ("school-17", "ppe-12")),
        (InstanceQuery(started_to=date(2021, 2, 1)), lambda r: r.unit_code == "school-12"),
        (InstanceQuery(ended_from=date(2021, 2, 4)),
         lambda r: r.completed_at is not None and r.unit_code == "school-5"),
        (InstanceQuery(ended_to=date(2021, 2, 2)), lambda r: r.completed_at is not None
         and r.unit_code in ("school-12", "school-17")),
    ]
    for query, expected in checks:
        wanted = sorted(r.id for r in rows if expected(r))
        assert sorted(matching_ids(iao, query)) == wanted, query
        assert instance_list(iao, query).total == len(wanted), query
    assert parse_conditions("опоздание > 1 и статус содержит готов")[0] == parse_conditions(
        "late_days > 1 and status_text contains готов")[0]

    # conditions on business variables, and malformed ones reported in words
    for where in CONDITIONS:
        conditions, problems = parse_conditions(where)
        assert problems == [] and conditions, where
        wanted = sorted(r.id for r in rows if all(c.matches(r) for c in conditions))
        assert 0 < len(wanted) < len(rows), where  # each condition finds something and leaves something out
        page = instance_list(org["iao"], InstanceQuery(where=where, per_page=200))
        assert page.problems == [] and sorted(ids_of(page)) == wanted, where

    for where, name in UNKNOWN:
        page = instance_list(org["iao"], InstanceQuery(where=f"{where} and late_days >= 0", per_page=200))
        [hint] = page.unknown  # applied (nothing matches), not among the conditions left out
        assert page.total == 0 and page.problems == [] and f"«{name}»" in hint, (where, hint)

    # a malformed condition is reported in words and filters nothing
    for where, words in MALFORMED:
        page = instance_list(org["iao"], InstanceQuery(where=f"{where} and late_days >= 5", per_page=200))
        [problem] = page.problems
        assert words in problem, (where, problem)
        # the condition read is applied, the malformed one is not
        assert sorted(ids_of(page)) == sorted(r.id for r in rows if (r.late_days or 0) >= 5), where
    assert instance_list(org["iao"], InstanceQuery(where="late_days > 1" + " and late_days > 1" * 40)).problems


def test_paging_and_sorting_list_each_instance_once_in_order_and_only_those_the_user_may_open(org, city):
    rows, iao = everything(), org["iao"]
    names = dict(db.session.execute(select(Unit.code, Unit.name)).tuples().all())
    keys = {"started": lambda r: r.created_at, "updated": lambda r: r.updated_at, "ended": lambda r: r.completed_at,
            "late_days": lambda r: r.late_days, "process": lambda r: r.process_name,
            "status": lambda r: STATUSES.index(r.status), "unit": lambda r: natural_key(names[r.unit_code])}
    for sort in ("started", "-started", "updated", "-updated", "ended", "-ended", "unit", "-unit", "process",
                 "-process", "status", "-status", "late_days", "-late_days", "id", "-id"):
        found, total = all_pages(iao, InstanceQuery(sort=sort, per_page=7))
        assert total == len(rows) and sorted(found) == [r.id for r in rows], sort  # each once
        assert found == matching_ids(iao, InstanceQuery(sort=sort))
        key = keys.get(sort.lstrip("-"), lambda r: 0)
        by_id = {r.id: r for r in rows}
        valued = [key(by_id[i]) for i in found if key(by_id[i]) is not None]
        assert valued == sorted(valued, reverse=sort.startswith("-")), sort
        # those without a value come last
        assert all(key(by_id[i]) is None for i in found[len(valued):]), sort
    schools = [r.instance.unit_code for r in instance_list(iao, InstanceQuery(sort="unit", per_page=200)).rows
               if r.instance.unit_code.startswith("school")]
    assert list(dict.fromkeys(schools)) == ["school-5", "school-12", "school-17"]  # as people count, not as text
    assert len(ids_of(instance_list(iao, InstanceQuery(per_page=5)))) == 5
    past = instance_list(iao, InstanceQuery(page=100, per_page=10))  # a page past the last shows the last
    assert past.query.page == past.pages == 4 and len(past.rows) == len(rows) - 30
    assert matching_ids(iao, InstanceQuery(), limit=3) == matching_ids(iao, InstanceQuery())[:3]

    # a school head lists only what she may open
    head = org["head12"]
    visible = sorted(r.id for r in rows if can_view_instance(head, r))
    assert visible and len(visible) < len(rows)
    assert {r.unit_code for r in rows if r.id in visible} == {"school-12", "ppe-12"}
    found, total = all_pages(head, InstanceQuery(per_page=10))
    assert sorted(found) == visible and total == len(visible)
    assert matching_ids(head, InstanceQuery(unit="school-17")) == []
    assert instance_list(head, InstanceQuery(unit="school-17")).total == 0
    assert sorted(matching_ids(head, InstanceQuery(status="error"))) == sorted(
        i for i in visible if i in city["error"])
    assert [code for code, _name in engine.instance_facets(head).units] == ["school-12"]
    facets = engine.instance_facets(org["iao"], "task")
    assert len(facets.units) > 5 and facets.plan_items == [(city["item"][0], "3.32 Техническая проверка ППЭ")]
    assert facets.versions and ("task", "task") in facets.processes
    stranger = engine.ensure_user("nobody", "school_head", None)
    assert matching_ids(stranger, InstanceQuery()) == [] and instance_list(stranger).total == 0


def test_query_params_round_trip_and_saved_filters_of_the_list(org):
    query = InstanceQuery(status="error", process="task", version=3, unit="school-12", plan_item=7,
                          started_from=date(2021, 2, 1), ended_to=date(2021, 3, 1), where="late_days > 3",
                          sort="unit")
    assert InstanceQuery.from_params(query.params()) == query
    assert InstanceQuery().params() == {}
    bad = InstanceQuery.from_params({"status": "lost", "version": "x", "plan_item": "-1", "started_from": "2021-13-01",
                                     "sort": "state; drop", "page": "0", "per_page": "100000"})
    assert bad == InstanceQuery(page=1, per_page=200)

    # saved filters of the instance list are kept apart from the inbox's
    query = InstanceQuery(status="error", where="late_days > 3")
    engine.save_filter(org["iao"], "Ошибки города", "department", query, page="instances")
    engine.save_filter(org["iao"], "Моё", "private", engine.InboxQuery(overdue=True))
    assert [f.name for f in engine.saved_filters(org["iao"])] == ["Моё"]
    [kept] = engine.saved_filters(org["iao_head"], page="instances")
    assert InstanceQuery.from_params(kept.params) == query
    assert [f.name for f in engine.inbox_aside(org["iao"], engine.access.memberships(org["iao"])).saved] == ["Моё"]
    with pytest.raises(engine.EngineError):
        engine.save_filter(org["iao"], "x", "private", query, page="elsewhere")
    with pytest.raises(engine.EngineError):
        engine.delete_filter(kept.id, org["iao_head"])  # shared with her: she may use it, not delete it
    engine.delete_filter(kept.id, org["iao"])
    assert engine.saved_filters(org["iao"], page="instances") == []
