"""What happened in a step, told to whoever subscribed: the persistence layer emits, the concerns above it listen.

`store.save` writes an instance and its projections; what else a step causes inside its transaction (e-mail
written to the outbox by engine.mail, drafts of closed tasks deleted by engine.service.drafts) subscribes here at
import time, so that the lowest layer never imports the layers above it. Subscribers run in the step's
transaction, in the order they subscribed; what must wait for the commit registers `store.after_commit`.
"""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class StepSaved:
    """One `store.save`: the instance (flushed: it has an id), its task views, the ids of the tasks that became
    READY and of those that left READY in this step, and the Notification rows it raised (flushed)."""
    instance: object
    views: list
    fresh: set
    closed: set
    notes: list


_step_saved: list[Callable[[StepSaved], None]] = []


def on_step_saved(subscriber: Callable[[StepSaved], None]) -> Callable[[StepSaved], None]:
    """Call `subscriber(step)` after every `store.save`, inside its transaction. Subscribing twice is once.
    Returns the subscriber, so that it can be used as a decorator."""
    if subscriber not in _step_saved:
        _step_saved.append(subscriber)
    return subscriber


def step_saved(step: StepSaved) -> None:
    """Tell every subscriber (called by `store.save`)."""
    for subscriber in _step_saved:
        subscriber(step)
