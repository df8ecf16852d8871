"""What happened in a step, told to whoever subscribed: the lower layers emit, the concerns above them listen.

Two moments of a step are told:
- `StepSaved`, by `store.save`, inside the step's transaction: e-mail written to the outbox (engine.mail) and
  drafts of closed tasks deleted (engine.service.drafts) subscribe, so that persistence never imports them;
- `StepTaken`, by the step frame (`engine.service.execution.execute`) once the step is saved and audited: passing
  on the messages and signals it threw to other instances (engine.service.routing) subscribes, and registers
  `store.after_commit` so that each delivery is its own transaction, after the sender's has committed.
Subscribers run in the order they subscribed; what must wait for the commit registers `store.after_commit`.
"""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class StepSaved:
    """One `store.save`: the instance (flushed: it has an id), its task views, the ids of the tasks that became
    READY and of those that left READY in this step (`drafted`: those of them someone kept a draft of), and the
    Notification rows it raised (flushed)."""
    instance: object
    views: list
    fresh: set
    closed: set
    notes: list
    drafted: set = frozenset()


@dataclass(frozen=True)
class StepTaken:
    """One step of one instance, saved and audited: who took it and the events it threw that no task of its
    own instance caught (SpiffWorkflow's BpmnEvent)."""
    instance_id: int
    actor: str | None
    thrown: list


class _Topic:
    def __init__(self):
        self._subscribers: list[Callable] = []

    def subscribe(self, subscriber: Callable) -> Callable:
        """Call `subscriber(event)` at every emit. Subscribing twice is once. Returns the subscriber, so that it
        can be used as a decorator."""
        if subscriber not in self._subscribers:
            self._subscribers.append(subscriber)
        return subscriber

    def emit(self, event) -> None:
        for subscriber in self._subscribers:
            subscriber(event)


_saved, _taken = _Topic(), _Topic()
on_step_saved, step_saved = _saved.subscribe, _saved.emit
on_step_taken, step_taken = _taken.subscribe, _taken.emit
