"""Organisation units, users and their memberships (user × role × unit)."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db


class Unit(db.Model):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))  # department, subdepartment, school, ppe
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    host_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))  # the school a PPE is hosted by
    attrs: Mapped[dict | None] = mapped_column(JSON)
    host: Mapped["Unit | None"] = relationship(remote_side=[id], foreign_keys=[host_id])

    def as_data(self) -> dict:
        """What a process sees of its unit (as `gia_unit`)."""
        data = {"code": self.code, "name": self.name, "kind": self.kind, **(self.attrs or {})}
        if self.host is not None:
            data["host"] = self.host.code
            data["host_name"] = self.host.name
        return data


class User(db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(300))
    email: Mapped[str | None] = mapped_column(String(300))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    email_opt_out: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", cascade="all, delete-orphan")

    # Flask-Login reads these four; they carry no web knowledge.
    @property
    def is_active(self) -> bool:
        return self.active

    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


class Membership(db.Model):
    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "role", "unit_id", name="uq_membership_user_role_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(100), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    user: Mapped[User] = relationship(back_populates="memberships")
    unit: Mapped[Unit | None] = relationship()
