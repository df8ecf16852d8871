"""Message payloads for diagrams that do not use SpiffWorkflow's extensions.

SpiffBpmnParser sends `{}` for a message throw without `spiffworkflow:messagePayload` and drops what a catch
without `spiffworkflow:messageVariable` receives, so plain BPMN 2.0 conversations (bpmn.io and Camunda examples)
lose their data. We keep the Spiff behaviour where the extensions are used and fall back to plain BPMN's
otherwise: the sender's data is the payload, and the receiver merges it into its own data.

Signals likewise: a catch without `spiffworkflow:variableName` merges a payload sent with the signal (`flask gia
signal NAME --data`) into its data instead of dropping it. A plain throw still sends no payload: a broadcast of a
process's whole data to every listener would leak it.
"""
from copy import deepcopy

from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import SignalEventDefinition as SpiffSignalEventDefinition


class MessageEventDefinition(SpiffMessageEventDefinition):

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
