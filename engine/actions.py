"""What can be done to an instance, one small class per kind: complete a task, fire the due timers, deliver a message
or a signal, run the steps that can run, give the data new values, cancel, suspend, resume; an operator's
repairs (edit a suspended instance's data, skip a task, go back to one, move a task's deadline); `Retry` applies a
failed one again. Each declares the statuses it may act in and, where it decides one, the status it leaves.

An action is data as well as behaviour: a failed one is stored with the instance (`as_dict`, the same
{"op": ...} shape the database has always held) and read back by `from_dict` for `retry`, which applies it to the
last good state after an operator has fixed what made it fail.
"""
from dataclasses import asdict, dataclass, field
from typing import ClassVar
from uuid import UUID

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from . import projection, runtime
from .bpmn.messages import (MessageEventDefinition, SignalEventDefinition, by_key, correlation_text,
                            matches)
from .errors import InvalidState, NothingWaiting
from .models.instance import InstanceStatus

_HOLDING = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass(frozen=True)
class Action:
    op: ClassVar[str]
    allowed: ClassVar[tuple] = InstanceStatus.ACTIVE  # the instance statuses it may be applied in
    ends_as: ClassVar[str | None] = None  # the status the instance takes whatever its diagram says
    refusal: ClassVar = _l("Instance %(id)s is %(status)s; it cannot take this action.")

    def apply(self, workflow, corrections: dict | None = None) -> runtime.StepOutcome:
        """Act on `workflow` and run it until it waits; `corrections` (an operator's, on retry) are merged into the
        data where the tokens are."""
        if corrections:
            for task in runtime.all_tasks(workflow):
                if task.state & _HOLDING:
                    task.data.update(corrections)
        return self._apply(workflow)

    def _apply(self, workflow) -> runtime.StepOutcome:
        return runtime.advance(workflow)

    @property
    def audit_as(self) -> str:
        return self.op

    def summary(self) -> dict | None:
        """What the audit trail records of it."""
        return None

    def completed_by(self) -> dict | None:
        """{task id: login} of the task it completes."""
        return None

    def as_dict(self) -> dict:
        return {"op": self.op, **asdict(self)}


@dataclass(frozen=True)
class RunSteps(Action):
    """Run what can run without anyone (a new instance's first steps)."""
    op: ClassVar[str] = "steps"


@dataclass(frozen=True)
class Complete(Action):
    op: ClassVar[str] = "complete"
    task_id: str
    data: dict
    by: str
    variable: str | None = None  # the form's variable the submission goes under, or the top level
    as_admin: bool = field(default=False, compare=False)

    def apply(self, workflow, corrections=None):
        data = {**self.data, **(corrections or {})}  # corrections go into the submission itself

        def act(wf):
            task = wf.get_task_from_id(UUID(self.task_id))
            task.set_data(**({self.variable: data} if self.variable else data))
            runtime.stamp(task)
            task.run()
        return runtime.advance(workflow, act)

    @property
    def audit_as(self):
        return "complete_as_admin" if self.as_admin else "complete"

    def completed_by(self):
        return {self.task_id: self.by}

    def summary(self):
        return self.data

    def as_dict(self):
        return {"op": self.op, "task_id": self.task_id, "data": self.data, "by": self.by, "variable": self.variable,
                "as_admin": self.as_admin}


@dataclass(frozen=True)
class FireTimers(Action):
    op: ClassVar[str] = "timers"

    def _apply(self, workflow):
        return runtime.advance(workflow, refresh_timers=True)


@dataclass(frozen=True)
class Message(Action):
    """A message from outside or thrown by another instance; `correlations` ({property: value}) are the values it
    carries (engine.bpmn.messages)."""
    op: ClassVar[str] = "message"
    name: str
    payload: object = None
    correlations: dict | None = None

    def _apply(self, workflow):
        specs = [workflow.spec, *workflow.subprocess_specs.values()]
        event = BpmnEvent(MessageEventDefinition(self.name), self.payload if self.payload is not None else {},
                          correlations=by_key(self.correlations, specs))
        return runtime.advance(workflow, lambda wf: _send(wf, event, self.op, self.correlations))

    @property
    def audit_as(self):
        return f"deliver_{self.op}"

    def summary(self):
        return {"name": self.name, "payload": self.payload,
                **({"correlations": self.correlations} if self.correlations else {})}

    def as_dict(self):
        return {"op": self.op, "name": self.name, "payload": self.payload,
                **({"correlations": self.correlations} if self.correlations else {})}

    def waited_for(self, workflow) -> bool:
        """Whether the workflow waits for it, with the correlation values it carries (projection.waits looks inside
        an event-based gateway too)."""
        return any(w["type"] == self.op and w["name"] == self.name
                   and matches(w.get("correlation"), self.correlations) for w in projection.waits(workflow))


@dataclass(frozen=True)
class Signal(Message):
    """A signal: broadcast, it carries no correlation values."""
    op: ClassVar[str] = "signal"

    def _apply(self, workflow):
        event = BpmnEvent(SignalEventDefinition(self.name), self.payload)
        return runtime.advance(workflow, lambda wf: _send(wf, event, self.op))


DEADLINE_MOVED = "deadline_moved"


@dataclass(frozen=True)
class SetData(Action):
    """New values for the data where the tokens are (moving an instance's dates). When a value is given, a diagram
    that catches the signal deadline_moved is then sent it, so that the diagram itself decides what the move
    withdraws (an escalation raised for the old date), reading the new values; no values only compute the timers
    again."""
    op: ClassVar[str] = "data"
    values: dict
    reason: str | None = field(default=None, compare=False)

    def _apply(self, workflow):
        def act(wf):
            _set_data(wf, self.values)
            if self.values and Signal(DEADLINE_MOVED).waited_for(wf):
                _send(wf, BpmnEvent(SignalEventDefinition(DEADLINE_MOVED), {}), "signal")
        return runtime.advance(workflow, act, refresh_timers=True)

    @property
    def audit_as(self):
        return "reschedule"

    def summary(self):
        return {"values": self.values, **({"reason": self.reason} if self.reason else {})}

    def as_dict(self):
        return {"op": self.op, "values": self.values}


@dataclass(frozen=True)
class Cancel(Action):
    allowed: ClassVar[tuple] = (*InstanceStatus.ACTIVE, InstanceStatus.SUSPENDED, InstanceStatus.ERROR)
    ends_as: ClassVar[str] = InstanceStatus.CANCELLED
    refusal: ClassVar = _l("Instance %(id)s is already %(status)s.")
    op: ClassVar[str] = "cancel"

    def apply(self, workflow, corrections=None):
        # A cancelled workflow counts as finished and shows its (empty) workflow data: keep what it had.
        workflow.data.update(projection.process_data(workflow))
        workflow.cancel()
        return runtime.StepOutcome()


@dataclass(frozen=True)
class Suspend(Action):
    """Hold a running instance: no timer fires, no message reaches it, its tasks cannot be completed."""
    ends_as: ClassVar[str] = InstanceStatus.SUSPENDED
    refusal: ClassVar = _l("Only a running instance can be suspended; %(id)s is %(status)s.")
    op: ClassVar[str] = "suspend"

    def apply(self, workflow, corrections=None):
        return runtime.StepOutcome()


@dataclass(frozen=True)
class Resume(Suspend):
    """Let a suspended instance go on: it takes the status its workflow shows again."""
    allowed: ClassVar[tuple] = (InstanceStatus.SUSPENDED,)
    ends_as: ClassVar[None] = None
    refusal: ClassVar = _l("Instance %(id)s is not suspended.")
    op: ClassVar[str] = "resume"


@dataclass(frozen=True)
class Retry(Action):
    """The failed action again, on the last good state, with an operator's corrections to the data."""
    allowed: ClassVar[tuple] = (InstanceStatus.ERROR,)
    refusal: ClassVar = _l("Instance %(id)s is not in error; nothing to retry.")
    op: ClassVar[str] = "retry"
    action: Action
    corrections: dict = field(default_factory=dict)

    def apply(self, workflow, corrections=None):
        return self.action.apply(workflow, self.corrections)

    def summary(self):
        return {"action": self.action.op, "corrections": self.corrections}

    def completed_by(self):
        return self.action.completed_by()

    def as_dict(self):  # what failed is still the original action
        return self.action.as_dict()


@dataclass(frozen=True)
class EditData(Action):
    """An operator's correction of a suspended instance's data: the values go where the tokens are and the date
    timers are computed again (as SetData does), but nothing runs: the instance stays suspended."""
    allowed: ClassVar[tuple] = (InstanceStatus.SUSPENDED,)
    ends_as: ClassVar[str] = InstanceStatus.SUSPENDED
    refusal: ClassVar = _l("Instance %(id)s is %(status)s: its data can be edited only while it is suspended.")
    op: ClassVar[str] = "edit_data"
    values: dict

    def apply(self, workflow, corrections=None):
        try:
            _set_data(workflow, self.values)
        except Exception as exc:  # a timer's expression fails on the new values: refused, nothing kept
            raise InvalidState(_l("The new values break a timer of the process: %(detail)s"),
                               detail=runtime.describe(exc)) from exc
        return runtime.StepOutcome()


@dataclass(frozen=True)
class SkipTask(Action):
    """An operator passes over a waiting task (engine.service.repair): a READY human task is completed without a
    submission (SpiffWorkflow's Task.complete, which does not run the task), a waiting timer catch event fires
    now (an event-based gateway takes its timer's branch); then the engine runs on."""
    op: ClassVar[str] = "skip"
    task_id: str
    by: str | None = None

    def _apply(self, workflow):
        def act(wf):
            task = wf.get_task_from_id(UUID(self.task_id))
            if task.state == TaskState.READY:
                runtime.stamp(task)
                task.complete()
                return
            definition = task.task_spec.event_definition
            timers = [d for d in getattr(definition, "event_definitions", None) or []
                      if isinstance(d, TimerEventDefinition)]
            if timers:  # an event-based gateway: its timer's branch is taken, as when the timer fires
                task._set_internal_data(seen_events=[*task.internal_data.get("seen_events", []),
                                                     BpmnEvent(timers[0])])
            else:
                task._set_internal_data(event_fired=True)
            task.task_spec._update(task)
        return runtime.advance(workflow, act)

    def completed_by(self):
        return {self.task_id: self.by} if self.by else None


@dataclass(frozen=True)
class GoBack(Action):
    """Back to an earlier human task still in the tree: SpiffWorkflow's reset_from_task_id drops what followed it
    and makes it READY again, with the data it was given then (its parent's)."""
    op: ClassVar[str] = "go_back"
    task_id: str

    def _apply(self, workflow):
        return runtime.advance(workflow, lambda wf: wf.reset_from_task_id(UUID(self.task_id)))


@dataclass(frozen=True)
class MoveDue(SetData):
    """A task's new deadline: the variable its `due` expression reads takes the new date (SetData re-arms the
    reminders and escalations), and the people it is offered to are told (`note`: a notification)."""
    op: ClassVar[str] = "move_due"
    note: dict | None = field(default=None, compare=False)

    def _apply(self, workflow):
        outcome = super()._apply(workflow)
        if self.note:
            outcome.notifications.append(dict(self.note))
        return outcome

    @property
    def audit_as(self):
        return "move_due"

    def as_dict(self):
        return {"op": self.op, "values": self.values, "note": self.note}


_KINDS = {kind.op: kind for kind in (RunSteps, Complete, FireTimers, Message, Signal, SetData, SkipTask, GoBack,
                                     MoveDue)}


def from_dict(stored: dict | None) -> Action:
    """The action a failed step stored (None: the first steps of a new instance)."""
    if not stored:
        return RunSteps()
    values = dict(stored)
    kind = _KINDS.get(values.pop("op", None))
    if kind is None:
        raise ValueError(f"unknown action {stored!r}")
    return kind(**values)


def _set_data(workflow, values: dict) -> None:
    """Give the tasks holding tokens new values ("params.check_due" sets a key inside a dict), and re-arm the date
    timers that have not fired, so that their time is computed again from the new data (a deadline, a reminder
    three days before it) or from the exam calendar. A timer that has fired stays fired."""
    holding = [t for t in runtime.all_tasks(workflow) if t.state & _HOLDING]
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


def _send(workflow, event, kind, correlations=None) -> None:
    try:
        workflow.send_event(event)
    except WorkflowException as exc:  # nobody here waits for it, or the correlation does not match
        if correlations:
            raise NothingWaiting(_l("Nothing waits for the %(kind)s %(name)s with %(carried)s."), kind=kind,
                                 name=event.event_definition.name, carried=correlation_text(correlations)) from exc
        raise NothingWaiting(_l("Nothing waits for the %(kind)s %(name)s."), kind=kind,
                             name=event.event_definition.name) from exc
