"""What can be done to a workflow, as data: {"op": "complete" | "timers" | "message" | "signal" | "steps" | "data", ...}.

Keeping the action as data lets a failed one be stored with the instance and applied again by `retry` to the
last good state, after an operator has fixed what made it fail.
"""
from uuid import UUID

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import runtime
from .bpmn.messages import MessageEventDefinition, SignalEventDefinition
from .errors import NothingWaiting


def complete(task_id: str, data: dict, by: str, variable: str | None = None) -> dict:
    return {"op": "complete", "task_id": task_id, "data": data, "by": by, "variable": variable}


def set_data(values: dict) -> dict:
    return {"op": "data", "values": values}


def _set_data(workflow, values: dict) -> None:
    """Give the tasks holding tokens new values ("params.check_due" sets a key inside a dict), and re-arm the date
    timers that have not fired, so that their time is computed again from the new data (a deadline, a reminder
    three days before it) or from the exam calendar. A timer that has fired stays fired."""
    holding = [t for t in runtime.all_tasks(workflow)
               if t.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED)]
    # A waiting task merges its parent's data in again whenever it is refreshed, so the parent takes them too.
    parents = [t.parent for t in holding if t.state == TaskState.WAITING and t.parent is not None]
    for task in {id(t): t for t in holding + parents}.values():
        for key, value in values.items():
            outer, _, inner = key.partition(".")
            if not inner:
                task.data[key] = value
            elif isinstance(task.data.get(outer), dict):
                task.data[outer] = {**task.data[outer], inner: value}
    for task in holding:
        definition = getattr(task.task_spec, "event_definition", None)
        if (task.state == TaskState.WAITING and isinstance(definition, TimeDateEventDefinition)
                and not task.internal_data.get("event_fired")):
            task.internal_data.pop("event_value", None)
            definition.has_fired(task)  # computed now, so the instance's next timer is known when it is saved


def _send(workflow, event, kind) -> None:
    try:
        workflow.send_event(event)
    except WorkflowException as exc:  # nobody here waits for it, or the correlation does not match
        raise NothingWaiting(_l("Nothing waits for the %(kind)s %(name)s."), kind=kind,
                             name=event.event_definition.name) from exc


def apply(workflow, action: dict, corrections: dict | None = None) -> runtime.StepOutcome:
    """Apply `action`; `corrections` (from an operator's retry) are merged into the submitted data of a
    completion, or into the data where the tokens are for any other action."""
    op = action["op"]
    if op == "complete":
        data = {**action["data"], **(corrections or {})}

        def act(wf):
            task = wf.get_task_from_id(UUID(action["task_id"]))
            task.set_data(**({action["variable"]: data} if action.get("variable") else data))
            runtime.stamp(task)
            task.run()
        return runtime.advance(workflow, act)
    if corrections:
        for task in runtime.all_tasks(workflow):
            if task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
                task.data.update(corrections)
    if op == "timers":
        return runtime.advance(workflow, refresh_timers=True)
    if op in ("message", "signal"):
        definition = (MessageEventDefinition if op == "message" else SignalEventDefinition)(action["name"])
        payload = action.get("payload")
        event = BpmnEvent(definition, payload if payload is not None or op == "signal" else {})
        return runtime.advance(workflow, lambda wf: _send(wf, event, op))
    if op == "steps":
        return runtime.advance(workflow)
    if op == "data":
        return runtime.advance(workflow, lambda wf: _set_data(wf, action["values"]), refresh_timers=True)
    raise ValueError(f"unknown action {op!r}")
