"""Workflow state to JSON and back, without the spec.

SpiffWorkflow writes the whole parsed spec into every serialized instance (about half its size and half the
restore time). We keep specs once per deployment in the spec cache and hand them to the converter on restore.
"""
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as LIBRARY_FORMAT, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from SpiffWorkflow.spiff.serializer.event_definition import (ItemAwareEventDefinitionConverter,
                                                             MessageEventDefinitionConverter)

from .messages import MessageEventDefinition, SignalEventDefinition

_specs_for_restore: ContextVar[tuple | None] = ContextVar("gia_specs_for_restore", default=None)


class SpecFreeWorkflowConverter(BpmnWorkflowConverter):

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        spec, subprocess_specs = _specs_for_restore.get()
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry():
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SpecFreeWorkflowConverter
    config[MessageEventDefinition] = MessageEventDefinitionConverter
    config[SignalEventDefinition] = ItemAwareEventDefinitionConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Values scripts may leave in task data that JSON cannot hold (notes §8.8).
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(set, lambda v: {"value": sorted(v, key=repr)}, lambda v: set(v["value"]))
    registry.register(frozenset, lambda v: {"value": sorted(v, key=repr)}, lambda v: frozenset(v["value"]))
    return registry


SERIALIZER = BpmnWorkflowSerializer(_registry())
FORMAT_VERSION = LIBRARY_FORMAT


def dumps(workflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def loads(state: str, spec, subprocess_specs):
    token = _specs_for_restore.set((spec, subprocess_specs))
    try:
        return SERIALIZER.deserialize_json(state)
    finally:
        _specs_for_restore.reset(token)


def newer_than_library(version: str) -> bool:
    def key(v):
        return tuple(int(p) for p in str(v).split(".") if p.isdigit())
    return key(version) > key(FORMAT_VERSION)
