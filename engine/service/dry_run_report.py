"""What a dry run (engine.service.dry_run) reports: its runs, the elements each reached, and its findings, each
with the element it concerns so that the modeller can mark it; and the findings read from the diagram alone."""
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

import forms
from ..bpmn.problems import capitalized, type_name
from ..bpmn.properties import task_properties


@dataclass
class Issue:
    kind: str        # unreached, missing_form, role_unheld, timer_never_fires, not_ending, script_error
    element: str | None
    message: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "element": self.element, "message": str(self.message)}


@dataclass
class RunSummary:
    number: int
    patient: bool
    ended: bool = False
    actions: int = 0
    steps: int = 0
    message: str | None = None

    def as_dict(self) -> dict:
        return {"number": self.number, "patient": self.patient, "ended": self.ended, "actions": self.actions,
                "steps": self.steps, "message": None if self.message is None else str(self.message)}


@dataclass
class DryRunReport:
    bpmn_id: str
    runs: list[RunSummary] = field(default_factory=list)
    reached: dict[str, int] = field(default_factory=dict)   # element id → how many runs reached it
    unreached: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    start_data: dict = field(default_factory=dict)
    start_source: str = "none"  # plan, items, none: where the start data comes from
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)  # deploy's refusal: the diagram was not run
    elements: int = 0  # flow nodes of the diagram (sequence flows not counted)

    def of_kind(self, kind: str) -> list[Issue]:
        return [i for i in self.issues if i.kind == kind]

    def as_dict(self) -> dict:
        return {"bpmn_id": self.bpmn_id, "runs": [r.as_dict() for r in self.runs], "reached": self.reached,
                "unreached": self.unreached, "issues": [i.as_dict() for i in self.issues],
                "start_data": self.start_data, "start_source": self.start_source,
                "seconds": round(self.seconds, 3), "problems": [str(p) for p in self.problems],
                "elements": self.elements}


def missing_forms(specs, startable) -> list[Issue]:
    """Tasks naming a form that neither forms/definitions nor the version has, reached by a run or not."""
    found = []
    for spec in specs:
        form = task_properties(spec).get("form") if getattr(spec, "bpmn_id", None) else None
        if not form:
            continue
        try:
            startable.form(form)
        except forms.FormDefinitionError:
            found.append(Issue("missing_form", spec.bpmn_id, str(_l(
                "Task %(task)s names the form «%(form)s», which forms/definitions does not have.",
                task=spec.bpmn_id, form=form))))
    return found


def silent_timers(specs, reached: dict) -> list[Issue]:
    """Timer events (a start event's aside) that fired in no run."""
    found = []
    for spec in specs:
        definition = getattr(spec, "event_definition", None)
        if (isinstance(definition, TimerEventDefinition) and not isinstance(spec, StartEvent)
                and spec.bpmn_id and spec.bpmn_id not in reached
                and not any(i.element == spec.bpmn_id for i in found)):
            found.append(Issue("timer_never_fires", spec.bpmn_id, str(_l(
                "The timer %(id)s fired in no run.", id=spec.bpmn_id))))
    return found


def unreached_issue(element: str, tag: str | None) -> Issue:
    return Issue("unreached", element, str(_l("%(kind)s %(id)s was reached by no run.",
                                              kind=capitalized(type_name(tag) or _l("element")), id=element)))


