"""The department's programme for a school year: the plan, its items, and which instances run each item."""
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db


class Plan(db.Model):
    """A school year's programme, opened from the catalogue (processes/plan). Its exam calendar is data a
    supervisor edits: the windows of items that follow an external schedule are read from it."""
    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[str] = mapped_column(String(20), unique=True)  # "2020/21"
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="open")
    calendar: Mapped[dict] = mapped_column(JSON)
    school_year_starts: Mapped[date] = mapped_column(Date)
    school_year_ends: Mapped[date] = mapped_column(Date)
    source_sha: Mapped[str | None] = mapped_column(String(64))
    opened_by: Mapped[str | None] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)

    items: Mapped[list["PlanItem"]] = relationship(back_populates="plan", order_by="PlanItem.seq")


class PlanItem(db.Model):
    """One activity of the plan as the department wrote it, with its parsed window and the process that runs it
    for its units (the department, every school or every PPE)."""
    __tablename__ = "plan_item"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    section: Mapped[int]
    section_title: Mapped[str] = mapped_column(String(500))
    number: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(Text)
    deadline_text: Mapped[str] = mapped_column(String(500))
    windows: Mapped[list] = mapped_column(JSON)  # [[starts, ends], ...] as ISO dates
    calendar_keys: Mapped[list] = mapped_column(JSON)
    starts: Mapped[date | None] = mapped_column(Date, index=True)
    due: Mapped[date | None] = mapped_column(Date)
    executors_text: Mapped[str] = mapped_column(String(500))
    roles: Mapped[list] = mapped_column(JSON)
    lead_role: Mapped[str] = mapped_column(String(50))
    scope: Mapped[str] = mapped_column(String(20))  # department | schools | ppe
    process_id: Mapped[str] = mapped_column(String(255))
    params: Mapped[dict] = mapped_column(JSON)
    anomalies: Mapped[list] = mapped_column(JSON)  # [{"code", "message"}]
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    start_error: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="items")
