"""Every item's work reaches the people its «Ответственные исполнители» column names (issue 15 §3), and no one else
but the deliberate exceptions below, each with its reason.

Read statically: for each share of an item (its scope and those of items.json "also") the tasks of its process and
of the processes it starts by message (an order's acknowledgements, a school's own list), with the role each is
offered to — its `role`, its lane, or the share's lead role for `role_expression: lead_role`. Escalations are not
work (every late task ends at the Начальник ГУО), so they count for no one.
"""
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

import pytest

from engine.plan.catalogue import ROOT, load_default
from engine.plan.executors import EXECUTORS
from tests.plan.test_catalogue import catalogue, copy_files, items_data, refusal  # noqa: F401 (a fixture)

PROCESSES = ROOT / "processes"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
NAMES = {role: name for name, role in EXECUTORS.items()}


@dataclass(frozen=True)
class Deviation:
    unreached: frozenset = frozenset()  # written in the column, but no task of the item is offered to them
    unwritten: frozenset = frozenset()  # offered a task, but not written in the column
    why: str = ""


def _d(unreached=(), unwritten=(), why=""):
    return Deviation(frozenset(unreached), frozenset(unwritten), why)


GUO, DEPUTY, IAO, MO, OOO, ODOVR = ("guo_head", "guo_deputy", "iao_specialist", "mo_specialist", "ooo_specialist",
                                    "odovr_specialist")
SCHOOL, PPE_HEAD, PPE_TECH = "school_head", "ppe_head", "ppe_tech"

# The department's share runs once (an instance per item and unit, and the department is one unit), so it has one
# lead: the first department named, or items.json "lead". The other departments named contribute to its reports.
ONE_LEAD = "the department's share has one lead, who reports for it; the other departments named contribute"
# The department named beside the heads of schools, where the schools do the work: it follows their reports on the
# plan's pages (the item, the matrix, the city summary), and the ИАО's head gets the late ones.
FOLLOWS = "the schools do the work; the department named with them follows their reports on the plan's pages"
# Every order of the ГУО is approved by the deputy head, signed by the Начальник ГУО and acknowledged by the heads
# of schools (scenario A11), whoever the plan names as its author.
ORDER = "a city order: the deputy head approves it, the Начальник ГУО signs it, the schools acknowledge it"

EXCEPTIONS = {
    "1.1": _d({MO, OOO}, why=ONE_LEAD),
    "1.2": _d({MO, OOO}, why=ONE_LEAD),
    "1.3": _d(unwritten={DEPUTY}, why=ORDER),
    "1.4": _d({GUO, IAO}, why="the ГУО determines the PPE by 1.3's order «Об определении пунктов проведения экзаменов "
              "(ППЭ) и руководителей ППЭ» (drafted by the ИАО, signed by the Начальник ГУО); here the head of each "
              "host school reports on the PPE set up in her school"),
    "1.5": _d({MO}, why=ONE_LEAD),
    "2.1": _d({MO, OOO, ODOVR}, why=ONE_LEAD),
    "2.2": _d({MO}, why=FOLLOWS),
    "2.6": _d({IAO, ODOVR}, why=ONE_LEAD),
    "3.1": _d({GUO}, why="the ИАО prepares the meeting on the results of ГИА-2020 and records it (items.json "
              "\"lead\"); the Начальник ГУО holds it"),
    "3.3": _d({IAO}, why=FOLLOWS),
    "3.4": _d({IAO}, why=FOLLOWS),
    "3.5": _d({IAO, MO}, why=FOLLOWS),
    "3.6": _d({IAO}, why=ONE_LEAD),
    "3.7": _d({IAO}, why=FOLLOWS),
    "3.8": _d({IAO}, why=FOLLOWS),
    "3.10": _d({MO}, why=FOLLOWS),
    "3.11": _d({MO}, why=FOLLOWS),
    "3.16": _d({MO}, why=FOLLOWS),
    "3.20": _d({IAO}, why=FOLLOWS),
    "3.21": _d({IAO}, why=ONE_LEAD),
    "3.22": _d(unwritten={DEPUTY, GUO, SCHOOL}, why=ORDER),
    "3.23": _d({MO}, why=FOLLOWS),
    "3.30": _d({IAO, MO, OOO}, why=FOLLOWS),
    "3.31": _d({IAO}, why=FOLLOWS),
    "3.32": _d(unwritten={PPE_TECH}, why="the PPE's technical specialist fills the checklist of its equipment "
               "(scenario A1); the ИАО starts and accepts the check, the host school's head fixes the faults"),
    "3.33": _d(unwritten={PPE_HEAD}, why="the act ППЭ-01 is the PPE head's, signed together with the host school's "
               "head (domain.md §1.2), who co-signs it in a task of her own"),
    "3.42": _d({IAO, MO}, why=FOLLOWS),
    "3.47": _d({IAO}, why=FOLLOWS),
    "3.49": _d({OOO}, why=ONE_LEAD),  # the schools report, the ИАО analyses what they sent (issue 15 §9)
    "3.51": _d({OOO}, unwritten={SCHOOL}, why="the medallists' ЕГЭ results are the schools' to report (each school "
               "knows its medallists and their scores); the ИАО analyses what they sent for the department, the "
               "ООО contributing (" + ONE_LEAD + ")"),
    "4.3": _d({IAO}, why=FOLLOWS),
    "4.5": _d({IAO}, why=FOLLOWS),
    "4.7": _d({IAO}, why=FOLLOWS),
    "4.10": _d({IAO}, why=FOLLOWS),
    "4.11": _d({IAO}, why=FOLLOWS),
    "5.2": _d({IAO, MO}, why=FOLLOWS),
    "5.5": _d({IAO, MO}, why=FOLLOWS),
}


@cache
def _diagrams() -> dict[str, tuple[ElementTree.Element, dict[str, str]]]:
    """Process id → (its <process> element, its file's message ids → names), for every diagram in processes/."""
    found = {}
    for path in sorted(Path(PROCESSES).glob("*.bpmn")):
        root = ElementTree.parse(path).getroot()
        messages = {m.get("id"): m.get("name") for m in root.iter(f"{BPMN}message")}
        for process in root.iter(f"{BPMN}process"):
            found[process.get("id")] = (process, messages)
    return found


@cache
def _role_codes() -> dict[str, str]:
    """A lane's name (a role's code or title, any case) → the role's code, as engine.roles matches them."""
    roles = json.loads((PROCESSES / "roles.json").read_text(encoding="utf-8"))["roles"]
    return {key.casefold(): role["code"] for role in roles for key in (role["code"], role["title"])}


def _properties(task) -> dict:
    return {p.get("name"): p.get("value") for p in task.iter(f"{SPIFF}property")}


def _lanes(process) -> dict[str, str]:
    """Element id → its lane's name; what a sub-process holds is in the sub-process's lane."""
    lanes = {ref.text: lane.get("name") for lane in process.iter(f"{BPMN}lane")
             for ref in lane.iter(f"{BPMN}flowNodeRef")}
    for sub in process.iter(f"{BPMN}subProcess"):
        if sub.get("id") in lanes:
            lanes.update({e.get("id"): lanes[sub.get("id")] for e in sub.iter() if e.get("id") not in lanes})
    return lanes


def _message_names(process_id: str, elements) -> set[str]:
    """The names of the messages that `process_id`'s elements of these kinds send or catch."""
    process, messages = _diagrams()[process_id]
    names = set()
    for tag in elements:
        for element in process.iter(f"{BPMN}{tag}"):
            refs = [element.get("messageRef")] + [d.get("messageRef")
                                                  for d in element.iter(f"{BPMN}messageEventDefinition")]
            names |= {messages[ref] for ref in refs if ref}
    return names


def _started_by_message(names: set[str]) -> list[str]:
    return [pid for pid in _diagrams() if _message_names(pid, ("startEvent",)) & names]


def roles_reached(process_id: str, lead: str, seen=None, only=None) -> set[str]:
    """The roles offered the work of `process_id` run with `lead` as its lead role, and of the processes it starts
    or calls; `only`: of these user tasks only (a carried item's, items.json "carried_by")."""
    seen = set() if seen is None else seen
    if process_id in seen:
        return set()
    seen.add(process_id)
    process, reached = _diagrams()[process_id][0], set()
    lanes = _lanes(process)
    for task in process.iter(f"{BPMN}userTask"):
        props = _properties(task)
        if props.get("form") == "escalation" or (only is not None and task.get("id") not in only):
            continue
        expression = props.get("role_expression")
        if expression is not None:
            assert expression == "lead_role", (process_id, task.get("id"), expression)
            reached.add(lead)
        else:
            role = props.get("role") or lanes.get(task.get("id"))
            assert role, f"{process_id}: task {task.get('id')} is offered to no role"
            reached.add(_role_codes().get(role.casefold(), role))
    thrown = _message_names(process_id, ("sendTask", "intermediateThrowEvent", "endEvent"))
    for started in _started_by_message(thrown):
        reached |= roles_reached(started, lead, seen, only)
    for call in process.iter(f"{BPMN}callActivity"):  # a called process's tasks are the caller's (ppe_staff_day)
        reached |= roles_reached(call.get("calledElement"), lead, seen, only)
    return reached


def deviations() -> dict[str, Deviation]:
    """Item → how the roles its tasks reach differ from the column, for every item where they do."""
    found, catalogue = {}, load_default()
    for entry in catalogue.entries:
        # a carried item starts nothing: it reaches whom its carrier's tasks reach (issue 15 §8)
        parts, only = entry.parts, None
        if entry.carried_by is not None:
            parts, only = catalogue.entry(entry.carried_by.item).parts, set(entry.carried_by.tasks)
        reached = set().union(*(roles_reached(part.process, part.lead_role, only=only) for part in parts))
        written = set(entry.roles)
        if reached != written:
            found[entry.number] = Deviation(frozenset(written - reached), frozenset(reached - written))
    return found


def test_the_reading_follows_the_diagrams():
    """The analysis itself, on processes whose people are known: an order reaches its author, the deputy, the
    Начальник ГУО and (by the acknowledgement it starts) the school heads; the PPE check follows its lanes."""
    assert roles_reached("plan_order", "iao_specialist") == {"iao_specialist", "guo_deputy", "guo_head",
                                                             "school_head"}
    assert roles_reached("ppe_tech_check", "ppe_head") == {"ppe_tech", "school_head", "iao_specialist"}
    assert roles_reached("plan_school_report", "school_head") == {"school_head"}
    assert roles_reached("ppe_stage2_act", "ppe_head") == {"ppe_head", "school_head"}  # 3.33: the co-signature


def test_the_city_orders_come_with_a_local_orders_task_for_every_school():
    """1.3's orders include the schools' own: besides acknowledging the city's, each school reports its local
    orders."""
    shares = {part.scope: part for part in load_default().entry("1.3").parts}
    assert shares["department"].process == "plan_order"
    assert (shares["schools"].process, shares["schools"].lead_role) == ("plan_school_report", SCHOOL)
    assert "Локальные приказы ОУ" in shares["schools"].params["report"]


def test_no_item_asks_a_ppe_head_for_work_the_plan_gives_to_the_department_or_the_schools():
    """1.4 (creating the PPE), 3.31 (its technical specialists) and 3.47 (its auditoriums) name the Начальник ГУО,
    the ИАО and the heads of schools: the PPE head, who does not exist before 1.4 is done, gets none of them."""
    found = deviations()
    for number in ("1.4", "3.31", "3.47"):
        assert "ppe_head" not in found.get(number, Deviation()).unwritten, number
        assert "school_head" not in found.get(number, Deviation()).unreached, number


@pytest.mark.parametrize("number", ["1.1", "1.3", "2.1", "3.19", "5.4"])
def test_school_heads_named_by_the_plan_get_their_tasks(number):
    assert "school_head" not in deviations().get(number, Deviation()).unreached


def test_every_item_reaches_the_executors_written_or_is_a_listed_exception():
    found = deviations()
    unexplained = {number: (sorted(NAMES.get(r, r) for r in d.unreached), sorted(d.unwritten))
                   for number, d in found.items()
                   if (d.unreached, d.unwritten) != (EXCEPTIONS.get(number, Deviation()).unreached,
                                                     EXCEPTIONS.get(number, Deviation()).unwritten)}
    assert unexplained == {}, "item: (written but unreached, reached but unwritten)"
    assert sorted(set(EXCEPTIONS) - set(found)) == [], "exceptions no longer needed"
    assert all(EXCEPTIONS[number].why for number in EXCEPTIONS)


def test_shares_for_other_units_default_to_the_items_process_and_their_scopes_lead(catalogue):
    """items.json "also": where the plan names the heads of schools beside the department, each has a share."""
    also = catalogue.entry("1.1").also
    assert [(p.scope, p.process, p.params, p.lead_role) for p in also] == [
        ("schools", "plan_year_activity", {"checkins": "quarterly"}, "school_head")]
    [local] = catalogue.entry("1.3").also
    assert (local.scope, local.process, local.lead_role) == ("schools", "plan_school_report", "school_head")
    assert "Локальные приказы ОУ" in local.params["report"]
    assert [p.scope for p in catalogue.entry("1.3").parts] == ["department", "schools"]
    assert catalogue.entry("1.2").also == ()


@pytest.mark.parametrize("also, says", [
    ([{"scope": "department"}], "department"),                       # the item's own scope again
    ([{"scope": "schools"}, {"scope": "schools"}], "schools"),       # one share per kind of unit
    ([{"scope": "ppe", "process": "plan_order"}], "plan_order"),      # an order is the department's
    ([{"scope": "schools", "lead": "janitor"}], "janitor"),
    ([{"scope": "schools", "proces": "typo"}], "proces"),
    ({"scope": "schools"}, "also"),                                   # a list, not one object
])
def test_refuses_a_share_that_cannot_run(tmp_path, also, says):
    source, items, calendar = copy_files(tmp_path)
    data = items_data()
    data["2.3"]["also"] = also  # a year activity of the department
    items.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    [problem] = refusal(source, items, calendar)
    assert "2.3" in problem and says in problem, problem
