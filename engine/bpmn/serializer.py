"""Workflow state to JSON and back, without the spec.

SpiffWorkflow writes the whole parsed spec into every serialized instance (about half its size and half the
restore time). We keep specs once per deployment in the spec cache and hand them to the converter on restore.

A state in an older format (the column `serializer_version`; the library's own migrations bring it forward) is
read with the spec put back where those migrations look for it, and is written in the current format at its next
save. A newer one is refused before this module is reached (engine.runtime.restore).
"""
import json
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.migration.version_migration import MIGRATIONS as LIBRARY_MIGRATIONS
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


def _each_workflow(dct):
    """(tasks, task specs) of the workflow and of each of its subprocesses, in a serialized state that carries
    its specs (a subprocess names its spec in the current format)."""
    yield dct["tasks"], dct["spec"]["task_specs"]
    for sub in dct["subprocesses"].values():
        spec = sub["spec"] if isinstance(sub["spec"], dict) else dct["subprocess_specs"][sub["spec"]]
        yield sub["tasks"], spec["task_specs"]


def _from_1_3(dct):
    """1.3 → 1.4: a reached multi-instance task is STARTED, not WAITING. The library's own step loops over the
    subprocesses with an undefined name (NameError on any state with a subprocess) and stops at 1.4."""
    looping = ("StandardLoopTask", "SequentialMultiInstanceTask", "ParallelMultiInstanceTask")
    for tasks, specs in _each_workflow(dct):
        for task in tasks.values():
            if task["state"] == 8 and specs.get(task["task_spec"], {}).get("typename") in looping:
                task["state"] = 32
    _from_1_4(dct)


def _from_1_4(dct):
    """1.4 → 1.5: an event-based gateway holds its events; the branches after it continue on a none event. The
    library's step has the same undefined name as its 1.3 one (notes §"Loading older formats")."""
    for tasks, specs in _each_workflow(dct):
        for task in tasks.values():
            spec = specs.get(task["task_spec"], {})
            if spec.get("typename") == "EventBasedGateway":
                for name in spec["outputs"]:
                    specs[name]["event_definition"] = {"description": "Default", "name": None,
                                                       "typename": "NoneEventDefinition"}


def _from_library(version):
    def migrate(dct):
        LIBRARY_MIGRATIONS[version](dct)  # 1.0 … 1.2 bring it to 1.3 and stop there
        _from_1_3(dct)
    return migrate


MIGRATIONS = {**{v: _from_library(v) for v in LIBRARY_MIGRATIONS if v < "1.3"}, "1.3": _from_1_3,
              "1.4": _from_1_4}


class _Serializer(BpmnWorkflowSerializer):

    def migrate(self, dct):
        version = dct.pop(self.VERSION_KEY)
        if version in MIGRATIONS:
            MIGRATIONS[version](dct)


SERIALIZER = _Serializer(_registry())
FORMAT_VERSION = LIBRARY_FORMAT


def dumps(workflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def loads(state: str, spec, subprocess_specs, version: str = FORMAT_VERSION):
    """The workflow `state` (written in format `version`) holds, on `spec` and its `subprocess_specs`."""
    if version != FORMAT_VERSION:
        # The migrations read the spec a state of the library's own making carries; ours does not carry it. What
        # they change in it is dropped with it: the spec restored on is the one the running library parsed.
        dct = json.loads(state)
        dct.setdefault("spec", SERIALIZER.to_dict(spec))
        dct.setdefault("subprocess_specs", {name: SERIALIZER.to_dict(sub) for name, sub in subprocess_specs.items()})
        dct.setdefault(SERIALIZER.VERSION_KEY, version)
        state = json.dumps(dct)
    token = _specs_for_restore.set((spec, subprocess_specs))
    try:
        return SERIALIZER.deserialize_json(state)
    finally:
        _specs_for_restore.reset(token)


def newer_than_library(version: str) -> bool:
    def key(v):
        return tuple(int(p) for p in str(v).split(".") if p.isdigit())
    return key(version) > key(FORMAT_VERSION)
