"""The inbox projection: one row per human task of every instance, rebuilt from the workflow after each step."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db


class TaskStatus:
    READY = "READY"
    WAITING = "WAITING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    ERROR = "ERROR"


class HumanTask(db.Model):
    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_offer", "state", "role", "unit_code", "due_at"),
        Index("ix_human_task_instance", "instance_id", "seq"),
        Index("ix_human_task_assignee", "assignee_id", "state", "due_at"),
        # A city-wide role's open tasks in the inbox's page order (migration 0004, measured by bench/inbox.py),
        # with what the inbox tests of each, so that its counts read the index only (0012; PostgreSQL).
        Index("ix_human_task_role_due", "state", "role", "due_at", "id",
              postgresql_include=["assignee_id", "instance_id", "process_id"]),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # SpiffWorkflow's task UUID
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    seq: Mapped[int]  # engine order within the instance
    bpmn_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(500))
    lane: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str | None] = mapped_column(String(100))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    form_key: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    process_id: Mapped[str | None] = mapped_column(String(255))  # the instance's, for the inbox's activity filter
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    assignee: Mapped["User | None"] = relationship(foreign_keys=[assignee_id])
    # Values shown as inbox columns (e.g. the PPE), taken from the task data by the diagram's `columns` property.
    columns: Mapped[dict | None] = mapped_column(JSON)
    # Someone keeps a draft of the task (engine.service.drafts): the step that closes it deletes the drafts then,
    # and a step closing a task nobody drafted sends no statement for them.
    drafted: Mapped[bool] = mapped_column(default=False, server_default=false())
