"""Notifications raised by diagrams (reminders, escalations, faults found), addressed to a role in a unit."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_to", "role", "unit_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # reminder, escalation, info
    role: Mapped[str | None] = mapped_column(String(100))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
