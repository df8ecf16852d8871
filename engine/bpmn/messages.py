"""Message payloads for diagrams that do not use SpiffWorkflow's extensions.

SpiffBpmnParser sends `{}` for a message throw without `spiffworkflow:messagePayload` and drops what a catch
without `spiffworkflow:messageVariable` receives, so plain BPMN 2.0 conversations (bpmn.io and Camunda examples)
lose their data. We keep the Spiff behaviour where the extensions are used and fall back to plain BPMN's
otherwise: the sender's data is the payload, and the receiver merges it into its own data.

Signals likewise: a catch without `spiffworkflow:variableName` merges a payload sent with the signal (`flask gia
signal NAME --data`) into its data instead of dropping it. A plain throw still sends no payload: a broadcast of a
process's whole data to every listener would leak it.

Correlation, as BPMN defines it: a message's correlation properties (`bpmn:correlationProperty` with a retrieval
expression per message) give its values from the payload when it is thrown; a message from outside is given them
(`flask gia message NAME --correlation ppe=ppe-17`). A catch with correlation properties takes any message until
its conversation has values (the first message sent or taken sets them) and from then on only messages carrying
the same values. SpiffWorkflow keeps the values per correlation key ({key: {property: value}}); outside the
engine they are named by property alone ({property: value}), so that two diagrams agree on a property id
whatever their keys are called, and values compare as text (the digits a diagram computes match those typed on a
command line).
"""
import json
from copy import deepcopy
from itertools import combinations

from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition as SpiffSignalEventDefinition


class MessageEventDefinition(SpiffMessageEventDefinition):

    def awaited(self, my_task) -> dict | None:
        """The correlation values this catch takes ({property: value}); None when it takes any (it has no
        correlation properties, or its conversation has no values yet)."""
        established = my_task.workflow.correlations
        values = {prop.name: established[key][prop.name] for prop in self.correlation_properties
                  for key in prop.correlation_keys if prop.name in established.get(key, {})}
        return values or None

    def catches(self, my_task, event):
        return self == event.event_definition and matches(self.awaited(my_task), by_property(event.correlations))

    def catch(self, my_task, event=None):
        self.update_internal_data(my_task, event)
        if event is not None:
            my_task.workflow.correlations.update(self._taken(my_task, event))
        EventDefinition.catch(self, my_task, event)  # not SpiffWorkflow's: its values come from the payload alone

    def _taken(self, my_task, event) -> dict:
        """The values the conversation takes from `event`, per key of this catch: those the message carries, else
        what the retrieval expressions find in the payload (a message from outside may carry its values without
        them in the payload)."""
        carried = by_property(event.correlations)
        taken = {}
        for prop in self.correlation_properties:
            if prop.name in carried:
                value = carried[prop.name]
            else:
                try:
                    value = my_task.workflow.script_engine.environment.evaluate(
                        prop.retrieval_expression, dict(event.payload) if isinstance(event.payload, dict) else {})
                except Exception:  # the payload does not hold it: the conversation keeps no value for it
                    continue
            for key in prop.correlation_keys:
                taken.setdefault(key, {})[prop.name] = value
        return taken

    def throw(self, my_task):
        if self.expression is not None:
            return super().throw(my_task)
        payload = deepcopy(my_task.data)
        correlations = self.get_correlations(my_task, payload)
        my_task.workflow.correlations.update(correlations)
        my_task.workflow.top_workflow.catch(BpmnEvent(self, payload=payload, correlations=correlations))

    def update_task_data(self, my_task):
        if self.message_var is not None:
            return super().update_task_data(my_task)
        payload = my_task.internal_data.pop(self.name, None)
        if isinstance(payload, dict):
            my_task.set_data(**payload)
        elif payload is not None:
            my_task.data[self.name] = payload


class SignalEventDefinition(SpiffSignalEventDefinition):

    def update_task_data(self, my_task):
        if self.variable is not None:
            return super().update_task_data(my_task)
        payload = my_task.internal_data.pop(self.name, None)
        if isinstance(payload, dict):
            my_task.set_data(**payload)


def adopt(event_definition) -> None:
    """Give a parsed message or signal definition our payload semantics. Events compare by exact class, so every
    message and signal definition of every deployed spec is adopted, and events we send are built from these
    classes too."""
    if type(event_definition) is SpiffMessageEventDefinition:
        event_definition.__class__ = MessageEventDefinition
    elif type(event_definition) is SpiffSignalEventDefinition:
        event_definition.__class__ = SignalEventDefinition
    for inner in getattr(event_definition, "event_definitions", None) or []:
        adopt(inner)


def by_property(correlations: dict | None) -> dict:
    """SpiffWorkflow's {key: {property: value}} as {property: value}."""
    return {name: value for values in (correlations or {}).values() for name, value in values.items()}


def by_key(values: dict | None, specs) -> dict:
    """{property: value} given from outside as SpiffWorkflow keeps it, under the correlation keys that `specs` (a
    workflow's process specs) use for each property; a property none of them uses is dropped."""
    keyed = {}
    for spec in specs:
        for key, properties in (getattr(spec, "correlation_keys", None) or {}).items():
            for name in properties:
                if name in (values or {}):
                    keyed.setdefault(key, {})[name] = values[name]
    return keyed


def as_text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def matches(awaited: dict | None, carried: dict | None) -> bool:
    """Whether a message carrying `carried` reaches a catch awaiting `awaited` (None: any message)."""
    carried = carried or {}
    return awaited is None or all(name in carried and as_text(carried[name]) == as_text(value)
                                  for name, value in awaited.items())


def normalised(values: dict | None) -> str | None:
    """How the index of waiting instances keeps awaited values: the sorted pairs as JSON text, values as text;
    None for no values."""
    if not values:
        return None
    return json.dumps({str(name): as_text(value) for name, value in values.items()}, ensure_ascii=False,
                      sort_keys=True)


MAX_CORRELATION_PROPERTIES = 8  # a message's subsets of values are looked up: 255 at most


def reachable(values: dict | None) -> list[str]:
    """The normalised awaited values a message carrying `values` reaches: every non-empty subset of them (a catch
    awaits only its own properties; a message may carry more), so that the index is looked up by equality."""
    pairs = sorted((values or {}).items())
    if len(pairs) > MAX_CORRELATION_PROPERTIES:
        raise ValueError(f"a message carries at most {MAX_CORRELATION_PROPERTIES} correlation values")
    return [normalised(dict(subset)) for size in range(1, len(pairs) + 1) for subset in combinations(pairs, size)]


def correlation_text(values: dict | None) -> str:
    """Correlation values as people write them on the command line: "ppe=ppe-17, year=2021"."""
    return ", ".join(f"{name}={as_text(value)}" for name, value in sorted((values or {}).items()))
