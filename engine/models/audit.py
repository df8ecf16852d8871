"""The audit trail: who did what, when, to which instance and task, with a summary of what was submitted."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_instance", "instance_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(100))  # a login, or "system" for timers
    action: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="SET NULL"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(255))
    task_name: Mapped[str | None] = mapped_column(String(500))
    summary: Mapped[dict | None] = mapped_column(JSON)
    message: Mapped[str | None] = mapped_column(Text)
