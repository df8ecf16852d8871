"""Message payloads for diagrams that do not use SpiffWorkflow's extensions.

SpiffBpmnParser sends `{}` for a message throw without `spiffworkflow:messagePayload` and drops what a catch
without `spiffworkflow:messageVariable` receives, so plain BPMN 2.0 conversations (bpmn.io and Camunda examples)
lose their data. We keep the Spiff behaviour where the extensions are used and fall back to plain BPMN's
otherwise: the sender's data is the payload, and the receiver merges it into its own data.
"""
from copy import deepcopy

from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition as SpiffMessageEventDefinition


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


def adopt(event_definition) -> None:
    """Give a parsed message definition our payload semantics. Events compare by exact class, so every message
    definition of every deployed spec is adopted, and events we send are built from this class too."""
    if type(event_definition) is SpiffMessageEventDefinition:
        event_definition.__class__ = MessageEventDefinition
    for inner in getattr(event_definition, "event_definitions", None) or []:
        adopt(inner)
