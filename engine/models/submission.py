"""The task history: what a person handed in for a task, one row per completion, kept apart from the workflow
(which need not hold finished tasks) for the task page's «Что сдано», the trail and the cockpit's lateness heatmap."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db


class TaskSubmission(db.Model):
    """`submitted_by` completed the human task `task_id` at `submitted_at` with `data` (as she handed it in, an
    operator's corrections on retry merged in; files as their references). No foreign key to human_task: the
    history outlives the task's row."""
    __tablename__ = "task_submission"
    __table_args__ = (
        Index("ix_task_submission_task_id", "task_id", "id"),  # a task's latest submission
        Index("ix_task_submission_instance_id", "instance_id", "submitted_at"),  # an instance's history
        Index("ix_task_submission_submitted_at", "submitted_at"),  # the cockpit's period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[str] = mapped_column(String(36))  # SpiffWorkflow's task UUID, as human_task.id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    bpmn_id: Mapped[str | None] = mapped_column(String(255))
    task_name: Mapped[str | None] = mapped_column(String(500))
    submitted_by: Mapped[str] = mapped_column(String(100))  # a login, as human_task.completed_by
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    as_admin: Mapped[bool] = mapped_column(default=False)  # completed by an administrator it was not offered to
    data: Mapped[dict] = mapped_column(JSON)
    files: Mapped[list] = mapped_column(JSON)  # [{"field", "attachment_id", "filename"}] found in `data`
    late_days: Mapped[int | None]  # whole days after the task's due date; None when it had none
