"""Every piece of code a parsed spec carries, so that deploy can compile it in the sandbox before anything runs."""
from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from .properties import task_properties

# Task properties the host evaluates as expressions (see engine.projection and engine.service.tasks).
EXPRESSION_PROPERTIES = ("due", "unit", "title", "columns", "role_expression", "checks", "sample")


@dataclass(frozen=True)
class Code:
    bpmn_id: str
    what: str
    source: str
    mode: str  # "eval" or "exec"


def _event_code(bpmn_id, definition):
    if definition is None:
        return
    for inner in getattr(definition, "event_definitions", None) or []:
        yield from _event_code(bpmn_id, inner)
    expression = getattr(definition, "expression", None)
    if isinstance(expression, str):
        yield Code(bpmn_id, "event expression", expression, "eval")
    for prop in getattr(definition, "correlation_properties", None) or []:
        if prop.retrieval_expression:
            yield Code(bpmn_id, "correlation", prop.retrieval_expression, "eval")


def code_of(spec: BpmnProcessSpec):
    for task_spec in spec.task_specs.values():
        bpmn_id = getattr(task_spec, "bpmn_id", None) or task_spec.name
        if getattr(task_spec, "script", None):
            yield Code(bpmn_id, "script", task_spec.script, "exec")
        for attr in ("prescript", "postscript"):
            if getattr(task_spec, attr, None):
                yield Code(bpmn_id, attr, getattr(task_spec, attr), "exec")
        for condition, _target in getattr(task_spec, "cond_task_specs", None) or []:
            source = condition.args[0] if hasattr(condition, "args") and condition.args else condition
            if isinstance(source, str) and source.strip():
                yield Code(bpmn_id, "condition", source, "eval")
        for attr in ("cardinality", "condition", "maximum"):
            value = getattr(task_spec, attr, None)
            if isinstance(value, str) and value.strip():
                yield Code(bpmn_id, attr, value, "eval")
        yield from _event_code(bpmn_id, getattr(task_spec, "event_definition", None))
        properties = task_properties(task_spec)
        for name in EXPRESSION_PROPERTIES:
            if properties.get(name):
                yield Code(bpmn_id, f"property {name}", properties[name], "eval")
