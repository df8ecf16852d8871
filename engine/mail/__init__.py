"""E-mail: written to the outbox in the step's transaction (`queue`), sent by Celery after the commit (`outbox`).

Importing this package subscribes `queue_saved_step` to the step event `store.save` emits (engine.events), which
writes the step's messages and wakes the senders after the commit (`store.after_commit`).
"""
from .. import events
from .outbox import SendResult, send_pending, wake_senders
from .queue import TEMPLATES, insert_rows, queue_saved_step, queue_step

events.on_step_saved(queue_saved_step)

__all__ = ["SendResult", "send_pending", "wake_senders", "TEMPLATES", "insert_rows", "queue_step",
           "queue_saved_step"]
