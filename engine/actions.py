"""What can be done to a workflow, as data: {"op": "complete" | "timers" | "message" | "signal" | "steps", ...}.

Keeping the action as data lets a failed one be stored with the instance and applied again by `retry` to the
last good state, after an operator has fixed what made it fail.
"""
from uuid import UUID

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import runtime
from .bpmn.messages import MessageEventDefinition, SignalEventDefinition
from .errors import NothingWaiting


def complete(task_id: str, data: dict, by: str, variable: str | None = None) -> dict:
    return {"op": "complete", "task_id": task_id, "data": data, "by": by, "variable": variable}


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
    raise ValueError(f"unknown action {op!r}")
