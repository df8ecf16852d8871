"""Items carried by another item's task (issue 15 §8): where a plan item and a scenario process ask a school for
the same thing (4.10 and the ЕГЭ choices' re-check, 3.3 and 3.31 and the PPE staff nomination, 3.15 and the oral
interview's examiners), the school gets one task, the scenario's, and both items show its progress.

items.json "carried_by": {"item": "3.27", "tasks": ["ege_recheck_task"]} on the carried item: it starts no instance
of its own; its progress for each unit is that of the named user tasks in the carrying item's instances for the
unit (engine.plan.matrix.carried_cells). Pure parsing, like the rest of the catalogue: the tasks are looked up in
the diagrams of processes/ (the carrying item's processes and those they start by message, where a school's own
part of a department's collection runs), and a name that is not there refuses the catalogue.
"""
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.etree import ElementTree

from flask_babel import lazy_gettext as _l

PROCESSES_DIR = Path(__file__).resolve().parents[2] / "processes"
_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_THROWS = ("intermediateThrowEvent", "endEvent", "sendTask")
# What a carried item cannot have: it starts nothing of its own.
_NOT_WITH = ("process", "params", "also")
STORED = "_carried_by"  # the key of plan_item.params that keeps an opened item's CarriedBy.as_dict()


@dataclass(frozen=True)
class CarriedBy:
    item: str                 # the carrying item's number
    tasks: tuple[str, ...]    # ids of user tasks in its processes; the unit's work is done when all are done

    def as_dict(self) -> dict:
        return {"item": self.item, "tasks": list(self.tasks)}


def carried_of(item) -> dict | None:
    """{"item": number, "tasks": [...]} of an opened plan item carried by another item's task, else None."""
    return (item.params or {}).get(STORED)


def read(number: str, assignment: dict, errors: list) -> CarriedBy | None:
    """The item's "carried_by" as given, or None after adding its problems to `errors`."""
    given = assignment["carried_by"]
    if not (isinstance(given, dict) and set(given) == {"item", "tasks"} and isinstance(given["item"], str)
            and isinstance(given["tasks"], list) and given["tasks"]
            and all(isinstance(t, str) and t.strip() for t in given["tasks"])):
        errors.append(_l("Item %(number)s: \"carried_by\" in items.json must be {\"item\": the carrying item's "
                         "number, \"tasks\": [ids of its user tasks]}.", number=number))
        return None
    for key in _NOT_WITH:
        if key in assignment:
            errors.append(_l("Item %(number)s is carried by item %(item)s and starts nothing of its own: remove "
                             "«%(key)s» from items.json.", number=number, item=given["item"], key=key))
    return CarriedBy(given["item"], tuple(given["tasks"]))


def check(entries: list, numbers: set[str], errors: list) -> None:
    """Each carried item's carrier exists, is not carried itself, and holds the named user tasks."""
    by_number = {entry.number: entry for entry in entries if entry is not None}
    for entry in by_number.values():
        carried = entry.carried_by
        if carried is None:
            continue
        carrier = by_number.get(carried.item)
        if carried.item not in numbers or carried.item == entry.number or (
                carrier is not None and carrier.carried_by is not None):
            errors.append(_l("Item %(number)s: it is carried by item «%(item)s», which is not an item of the plan "
                             "that runs a process of its own.", number=entry.number, item=carried.item))
            continue
        if carrier is None:
            continue  # the carrier's own problems are reported
        held = set().union(*(user_tasks(part.process) for part in carrier.parts))
        for task in carried.tasks:
            if task not in held:
                errors.append(_l("Item %(number)s: item %(item)s's processes (%(processes)s) have no user task "
                                 "«%(task)s».", number=entry.number, item=carried.item, task=task,
                                 processes=", ".join(part.process for part in carrier.parts)))


def user_tasks(process_id: str, seen: frozenset = frozenset()) -> set[str]:
    """The ids of the user tasks of `process_id` and of the processes it starts by message."""
    diagrams = _diagrams()
    if process_id in seen or process_id not in diagrams:
        return set()
    process, messages = diagrams[process_id]
    found = {task.get("id") for task in process.iter(f"{_BPMN}userTask")}
    thrown = {messages.get(ref) for tag in _THROWS for element in process.iter(f"{_BPMN}{tag}")
              for ref in [element.get("messageRef")] + [d.get("messageRef") for d in
                                                        element.iter(f"{_BPMN}messageEventDefinition")] if ref}
    thrown.discard(None)
    for other, (other_process, other_messages) in diagrams.items():
        starts = {other_messages.get(d.get("messageRef")) for start in other_process.iter(f"{_BPMN}startEvent")
                  for d in start.iter(f"{_BPMN}messageEventDefinition")}
        if (starts - {None}) & thrown:
            found |= user_tasks(other, seen | {process_id})
    return found


def task_name(task_id: str) -> str:
    """A user task's name as its diagram gives it (the id where none does)."""
    for process, _messages in _diagrams().values():
        for task in process.iter(f"{_BPMN}userTask"):
            if task.get("id") == task_id and task.get("name"):
                return task.get("name")
    return task_id


@cache
def _diagrams() -> dict:
    """Process id → (its <process> element, its file's message ids → names), for every diagram in processes/."""
    found = {}
    for path in sorted(PROCESSES_DIR.glob("*.bpmn")):
        root = ElementTree.parse(path).getroot()
        messages = {m.get("id"): m.get("name") for m in root.iter(f"{_BPMN}message")}
        for process in root.iter(f"{_BPMN}process"):
            found[process.get("id")] = (process, messages)
    return found
