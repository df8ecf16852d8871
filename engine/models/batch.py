"""Batch repair (issue 13 §4): an operator's action on the instances a filter found, run by a worker, one
instance per transaction, with what each came to."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db


class BatchJob(db.Model):
    """`action` (retry, suspend, resume, cancel, reassign, move_due) with `params`, asked by `created_by` for
    `reason`, on the instances `query` found when she confirmed (its items). `status`: pending, running, done."""
    __tablename__ = "batch_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict] = mapped_column(JSON)  # e.g. {"assignee": "ivanova"}, {"days": 3}
    query: Mapped[dict] = mapped_column(JSON)  # the instance filter as the list's parameters, for the report
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    total: Mapped[int] = mapped_column(default=0)


class BatchItem(db.Model):
    """One instance of a batch: `outcome` is NULL until a worker has acted on it ("done" or "refused", with the
    reason in `message`), so a worker killed half-way leaves exactly the rest to do."""
    __tablename__ = "batch_item"
    __table_args__ = (Index("ix_batch_item_job", "job_id", "outcome", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("batch_job.id", ondelete="CASCADE"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    outcome: Mapped[str | None] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime | None] = mapped_column(UTCDateTime)
