"""What an instance's workflow holds, as the operator's page shows it (issue 13 §6): its variables, the timers
pending with their time, the messages and signals awaited, and which of its tasks can be skipped or returned to
(engine.service.repair acts on them and asks the same questions)."""
import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from .. import projection, runtime
from .jsonsafe import jsonsafe


def find_task(workflow, task_id):
    """The workflow's task `task_id` (its subprocesses' included); None when it holds none (never had it, or cut
    it as finished history)."""
    try:
        return workflow.get_task_from_id(UUID(str(task_id)))
    except Exception:
        return None


def skippable(task) -> bool:
    """A READY human task, or a waiting timer catch event (an event-based gateway with a timer among its events)
    that is not attached to a task (a boundary timer is a reminder or an escalation of its task: moving the task's
    deadline is the way to change it)."""
    spec = task.task_spec
    if task.state == TaskState.READY:
        return bool(spec.manual)
    return task.state == TaskState.WAITING and not isinstance(spec, BoundaryEvent) and bool(_timers(spec))


def _timers(spec) -> list:
    """The timer definitions a catch event (or each branch of an event-based gateway) waits on."""
    definition = getattr(spec, "event_definition", None)
    return [d for d in [definition, *(getattr(definition, "event_definitions", None) or [])]
            if projection.kind_of(d) == "timer"]


def back_to(task) -> bool:
    """A completed human task: reset_from_task_id makes it READY again."""
    return task.state == TaskState.COMPLETED and bool(task.task_spec.manual)


@dataclass
class PendingTimer:
    task_id: str
    bpmn_id: str
    name: str
    due: datetime | None
    attached: bool  # a boundary timer of a task (a reminder, an escalation)
    skippable: bool


@dataclass
class InsideView:
    """The workflow's side of the operator's page."""
    variables: dict
    variables_json: str
    timers: list[PendingTimer]
    waits: list[dict]  # messages and signals awaited: {type, name, correlation?}
    skippable: set[str]  # ids of the human tasks that can be skipped
    back_to: set[str]  # ids of the human tasks still in the tree that can be returned to


def inside(workflow, final: bool) -> InsideView:
    """Read the page's view of `workflow`; a finished instance (`final`) shows its data only."""
    variables = jsonsafe(projection.process_data(workflow))
    text = json.dumps(variables, ensure_ascii=False, indent=2, sort_keys=True)
    if final:
        return InsideView(variables, text, [], [], set(), set())
    timers, skip, back = [], set(), set()
    for task in runtime.all_tasks(workflow):
        spec = task.task_spec
        if task.state == TaskState.WAITING and _timers(spec):
            name = getattr(_timers(spec)[0], "name", None) or spec.bpmn_name or spec.bpmn_id or spec.name
            timers.append(PendingTimer(str(task.id), spec.bpmn_id or spec.name, name, projection.timer_due(task),
                                       isinstance(spec, BoundaryEvent), skippable(task)))
        elif spec.manual and skippable(task):
            skip.add(str(task.id))
        elif back_to(task):
            back.add(str(task.id))
    timers.sort(key=lambda t: (t.due is None, t.due or datetime.min))
    waits = [w for w in projection.waits(workflow, labelled=True) if w["type"] != "timer"]
    return InsideView(variables, text, timers, waits, skip, back)
