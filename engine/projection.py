"""Reading what the database keeps beside the serialized state: human tasks, the next timer, the messages and
signals awaited, the status, and the process data. All of it is derived from the workflow after each step."""
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

from . import clock, roles
from .bpmn.messages import as_text
from .bpmn.properties import role_of, task_properties
from .errors import ProcessError
from .models.human_task import TaskStatus
from .models.instance import InstanceStatus
from .runtime import all_tasks, script_engine

_STATE = {
    TaskState.READY: TaskStatus.READY,
    TaskState.COMPLETED: TaskStatus.COMPLETED,
    TaskState.CANCELLED: TaskStatus.CANCELLED,
    TaskState.ERROR: TaskStatus.ERROR,
    TaskState.FUTURE: TaskStatus.WAITING,
    TaskState.LIKELY: TaskStatus.WAITING,
    TaskState.WAITING: TaskStatus.WAITING,
    TaskState.STARTED: TaskStatus.WAITING,
}


@dataclass
class TaskView:
    id: str
    seq: int
    bpmn_id: str
    name: str
    lane: str | None
    role: str | None
    unit_code: str | None
    form_key: str | None
    state: str
    due_at: datetime | None
    instance_id: int | None = None
    columns: dict | None = None  # business columns for the inbox (property `columns`: a dict expression)


def human_tasks(workflow, default_unit: str | None) -> list[TaskView]:
    """Manual tasks (user, manual and plain tasks) in engine order; MAYBE tasks (a branch not taken yet) are left
    out. Expression properties are evaluated only for READY tasks, whose data is complete."""
    views = []
    for seq, task in enumerate(workflow.get_tasks(manual=True)):
        state = _STATE.get(task.state)
        if state is None:
            continue
        spec = task.task_spec
        props = task_properties(spec)
        ready = task.state == TaskState.READY
        title = _evaluate(task, props.get("title"), "title") if ready and props.get("title") else None
        unit = _evaluate(task, props.get("unit"), "unit") if ready and props.get("unit") else default_unit
        role = _role(task, props["role_expression"]) if ready and props.get("role_expression") else role_of(spec)
        views.append(TaskView(
            id=str(task.id), seq=seq, bpmn_id=spec.bpmn_id or spec.name,
            name=_fit(str(title or spec.bpmn_name or spec.bpmn_id or spec.name), NAME_LENGTH), lane=spec.lane,
            role=role,
            unit_code=str(unit) if unit else None, form_key=props.get("form"), state=state,
            due_at=_due(task, props) if ready else None,
            columns=_columns(task, props) if ready and props.get("columns") else None))
    return views


NAME_LENGTH = 500  # human_task.name


def start_unit(workflow) -> str | None:
    """The unit a new instance belongs to by the property `unit` of the start event it started at, evaluated on
    what that event took (a school's instance started by the department's message names the school); None when
    the start event has no such property."""
    for task in workflow.tasks.values():
        expression = task_properties(task.task_spec).get("unit") if isinstance(task.task_spec, StartEvent) else None
        if expression and task.state == TaskState.COMPLETED:
            value = _evaluate(task, expression, "unit")
            return str(value) if value else None
    return None


def _fit(text: str, length: int) -> str:
    """A title shortened to the column (a plan item's title runs to a page), marked as shortened."""
    return text if len(text) <= length else text[:length - 1] + "…"


def _evaluate(task, expression: str, what: str):
    try:
        return script_engine().evaluate(task, expression)
    except Exception as exc:
        raise ProcessError(_l("Task %(task)s: property %(what)s (%(expr)s) failed: %(detail)s"),
                           task=task.task_spec.bpmn_id, what=what, expr=expression, detail=exc,
                           element=task.task_spec.bpmn_id) from exc


def _role(task, expression: str) -> str:
    """The role a `role_expression` names (a plan pattern's lead role comes with the start data). Only a role of
    the catalogue: a mistyped code would offer the task to nobody, silently."""
    value = _evaluate(task, expression, "role_expression")
    code = roles.canonical(value) if isinstance(value, str) else None
    if code is None or code not in roles.catalogue():
        raise ProcessError(_l("Task %(task)s: property role_expression (%(expr)s) gave %(value)s, which is not a "
                              "known role."), task=task.task_spec.bpmn_id, expr=expression, value=repr(value),
                           element=task.task_spec.bpmn_id)
    return code


def _columns(task, props) -> dict | None:
    value = _evaluate(task, props["columns"], "columns")
    if not isinstance(value, dict):
        raise ProcessError(_l("Task %(task)s: property columns must give a dict, not %(type)s."),
                           task=task.task_spec.bpmn_id, type=type(value).__name__, element=task.task_spec.bpmn_id)
    return {str(k): (v if isinstance(v, (str, int, float, bool)) or v is None else str(v))
            for k, v in value.items()}


def _due(task, props) -> datetime | None:
    if props.get("due"):
        return parse_moment(_evaluate(task, props["due"], "due"), end_of_day=True)
    # Otherwise the earliest interrupting boundary timer: the moment the task is taken away.
    dues = [timer_due(sibling) for sibling in (task.parent.children if task.parent else [])
            if sibling is not task and getattr(sibling.task_spec, "cancel_activity", False)]
    dues = [d for d in dues if d is not None]
    return min(dues) if dues else None


def parse_moment(value, end_of_day=False) -> datetime | None:
    """A due value from a diagram: a date ("2021-03-19": the end of that day, local time) or a datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return clock.aware(value)
    text = str(value)
    if len(text) == 10:
        day = datetime.fromisoformat(text).date()
        moment = datetime.combine(day, time(23, 59, 59) if end_of_day else time(0, 0), tzinfo=clock.local_zone())
        return moment.astimezone(timezone.utc)
    return clock.aware(datetime.fromisoformat(text))


def timer_due(task) -> datetime | None:
    """When a WAITING timer task fires, read from its stored event value (None if it is not a waiting timer)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if task.state != TaskState.WAITING or not _is_timer(definition):
        return None
    value = task.internal_data.get("event_value")
    if value is None:
        return clock.now()  # not computed yet: due now, so that the next sweep computes it
    if isinstance(value, dict):
        if value.get("cycles") == 0:
            return None
        value = value.get("next")
    try:
        return TimerEventDefinition.get_datetime(value)
    except (TypeError, ValueError):
        return None


def _is_timer(definition) -> bool:
    if isinstance(definition, TimerEventDefinition):
        return True
    return any(isinstance(d, TimerEventDefinition) for d in getattr(definition, "event_definitions", None) or [])


def next_timer(workflow) -> datetime | None:
    dues = [d for d in (timer_due(t) for t in all_tasks(workflow)) if d is not None]
    return min(dues) if dues else None


def waits(workflow, labelled: bool = False) -> list[dict]:
    """What the instance waits for: [{type, name, due}] with type timer, message or signal; a message catch that
    takes only some correlation values adds them as `correlation` ({property: value}). `labelled`: each with the
    name of the element waiting (`label`, None when it has none), for people to read beside the event's name."""
    return _waits_of((t for t in all_tasks(workflow) if t.state == TaskState.WAITING), labelled)


def _waits_of(waiting, labelled: bool = False) -> list[dict]:
    found = []
    for task in waiting:
        definition = getattr(task.task_spec, "event_definition", None)
        for inner in [definition, *(getattr(definition, "event_definitions", None) or [])]:
            kind = kind_of(inner)
            if kind is None:
                continue
            due = timer_due(task) if kind == "timer" else None
            name = getattr(inner, "name", None) or task.task_spec.bpmn_name or task.task_spec.bpmn_id
            found.append({"type": kind, "name": name, "due": due.isoformat() if due else None})
            if labelled:
                found[-1]["label"] = task.task_spec.bpmn_name
            awaited = inner.awaited(task) if kind == "message" and hasattr(inner, "awaited") else None
            if awaited:
                found[-1]["correlation"] = {prop: as_text(value) for prop, value in awaited.items()}
    return found


def kind_of(definition) -> str | None:
    if definition is None:
        return None
    if isinstance(definition, TimerEventDefinition):
        return "timer"
    name = type(definition).__name__
    if "Message" in name:
        return "message"
    if "Signal" in name:
        return "signal"
    return None


@dataclass
class Projection:
    """Everything the database keeps beside the serialized state, read from the workflow in one pass: saving a
    step projects once, whatever it then writes."""
    views: list[TaskView]
    status: str
    next_timer: datetime | None
    waits: list[dict]
    data: dict
    stopped_at: str | None = None  # a stalled instance: the element its tokens stopped at (incidents group by it)


def project(workflow, default_unit: str | None) -> Projection:
    views = human_tasks(workflow, default_unit)
    waiting = [t for t in all_tasks(workflow) if t.state == TaskState.WAITING]
    found = _waits_of(waiting)
    dues = [d for d in (timer_due(t) for t in waiting) if d is not None]
    seen = status(workflow, views, found)
    return Projection(views, seen, min(dues) if dues else None, found, process_data(workflow),
                      _stopped_at(workflow) if seen == InstanceStatus.STALLED else None)


def _stopped_at(workflow) -> str | None:
    """Where a stalled instance's tokens stand: the first element left waiting or started (a join whose other
    branch never comes, a task the engine started and never finished)."""
    for task in all_tasks(workflow):
        if task.state in (TaskState.WAITING, TaskState.STARTED) and getattr(task.task_spec, "bpmn_id", None):
            return task.task_spec.bpmn_id[:255]
    return None


def status(workflow, tasks: list[TaskView], waiting: list[dict] | None = None) -> str:
    if workflow.is_completed():
        return InstanceStatus.COMPLETED
    if any(t.state == TaskStatus.READY for t in tasks):
        return InstanceStatus.RUNNING
    if waiting if waiting is not None else waits(workflow):
        return InstanceStatus.WAITING
    return InstanceStatus.STALLED


VARIABLES_KEPT = 64     # keys at most: a form's fields, not a whole register
VARIABLE_TEXT = 200     # longer text is not a value anyone filters a list by
_NUMBER_RANGE = 2**53   # what a JSON number holds exactly


def kept_variables(data: dict) -> dict | None:
    """The process data's top-level numbers, yes/no values, dates (as ISO text) and short texts, in the data's
    order: what the instance list's conditions can read (ProcessInstance.variables). Lists, mappings and long
    texts are left out."""
    kept = {}
    for key, value in data.items():
        if len(kept) == VARIABLES_KEPT:
            break
        if not isinstance(key, str) or not key.isidentifier() or len(key) > 64:
            continue
        if isinstance(value, bool) or isinstance(value, int) and abs(value) < _NUMBER_RANGE:
            kept[key] = value
        elif isinstance(value, float | Decimal) and math.isfinite(value):
            kept[key] = float(value)
        elif isinstance(value, date):
            kept[key] = value.isoformat()[:10]
        elif isinstance(value, str) and len(value) <= VARIABLE_TEXT:
            kept[key] = value
    return kept or None


def process_data(workflow) -> dict:
    """The instance's data as people think of it: the final data once completed, otherwise the data of the tasks
    where the tokens are (later tasks win), which includes everything submitted so far."""
    if workflow.is_completed():
        if workflow.data or workflow.last_task is None:
            return dict(workflow.data)
        return dict(workflow.last_task.data)  # ended by a terminate end event: the end join never ran
    data = {}
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED):
        data.update(task.data)
    if not data and workflow.last_task is not None:
        data.update(workflow.last_task.data)
    return data
