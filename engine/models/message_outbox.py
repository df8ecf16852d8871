"""The message outbox: what a step threw for other instances, written in the step's transaction and delivered after
its commit (engine.service.routing), so that a process killed in between loses nothing."""
from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db


class MessageOutbox(db.Model):
    """A message or signal `name` thrown by the instance `source_instance_id` in a step `actor` took, not yet
    delivered. The row is deleted in the transaction that delivers it. No foreign key to the sender: what it threw
    is delivered even if it is deleted meanwhile."""
    __tablename__ = "message_outbox"
    __table_args__ = (Index("ix_message_outbox_created_at", "created_at"),)  # the sweep's rows left behind

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_instance_id: Mapped[int | None]
    actor: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # "message" or "signal"
    name: Mapped[str] = mapped_column(String(255))
    # As the workflow serializer's registry converts it (dates, Decimals and sets survive the trip).
    payload: Mapped[object | None] = mapped_column(JSON)
    correlations: Mapped[dict | None] = mapped_column(JSON)  # {property: value}
    depth: Mapped[int] = mapped_column(default=0)  # hops between instances that led to it
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
