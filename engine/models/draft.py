"""What a person has typed into a task's form and not submitted yet: one private draft per task and person."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db


class TaskDraft(db.Model):
    """`user_id`'s unsent input for `task_id`, shaped as the task's form data (files left out). Read only by its
    author, never merged into the process data, and deleted when the task leaves READY (engine.store)."""
    __tablename__ = "task_draft"
    __table_args__ = (UniqueConstraint("task_id", "user_id", name="uq_task_draft_task_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
