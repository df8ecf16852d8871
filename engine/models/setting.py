"""Engine-wide settings kept in the database so that every process (web, worker, CLI) sees the same value."""
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import db


class EngineSetting(db.Model):
    __tablename__ = "engine_setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
