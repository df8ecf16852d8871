"""The production calendar (производственный календарь) a supervisor keeps: the days that break the Monday–Friday
rule. Every working-day computation reads it through engine.plan.working_days."""
from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db


class ProductionCalendarDay(db.Model):
    """A weekday that is a day off (holiday, transferred day off, decree non-working day) or a Saturday/Sunday made a
    working day, with the note saying why. A day not listed follows the week: Monday–Friday work."""
    __tablename__ = "production_calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    working: Mapped[bool]
    note: Mapped[str] = mapped_column(String(500), default="")
    changed_by: Mapped[str | None] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
