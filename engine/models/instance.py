"""A running process: its serialized state (without the spec) and what it waits for."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db


# InstanceStatus.SUSPENDED and ERROR: their READY tasks stay out of the inbox
_HIDDEN = "status IN ('suspended', 'error')"
CORRELATION_LENGTH = 500  # instance_wait.correlation, inside an index (PostgreSQL's rows are at most 2,704 bytes)


class InstanceStatus:
    RUNNING = "running"      # a human task is ready
    WAITING = "waiting"      # only timers, messages or signals can move it
    STALLED = "stalled"      # nothing ready, nothing awaited, not completed
    COMPLETED = "completed"
    ERROR = "error"
    CANCELLED = "cancelled"
    SUSPENDED = "suspended"
    ACTIVE = (RUNNING, WAITING, STALLED)
    FINAL = (COMPLETED, CANCELLED)
    # In words, for people: the pages and the refusals («Экземпляр 12 — завершён; …») say the same.
    WORDS = {RUNNING: _l("in progress"), WAITING: _l("waiting"), STALLED: _l("stalled"), COMPLETED: _l("completed"),
             ERROR: _l("error"), CANCELLED: _l("cancelled"), SUSPENDED: _l("suspended")}

    @classmethod
    def word(cls, status: str) -> str:
        return str(cls.WORDS.get(status, status))


class ProcessInstance(db.Model):
    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_process", "process_id", "status"),
                      # one instance of a plan item per unit: two sweeps starting the item race on this
                      Index("ix_process_instance_plan_unit", "plan_item_id", "unit_code", unique=True),
                      # the few instances whose READY tasks the inbox hides, read once per inbox statement (0012)
                      Index("ix_process_instance_hidden", "id", postgresql_where=text(_HIDDEN),
                            sqlite_where=text(_HIDDEN)),
                      # the instance list's default order, newest first, read a page at a time (0014)
                      Index("ix_process_instance_created", "created_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    # The deployment's content hash: the key of its parsed specs in the spec cache, so that a step finds them
    # without reading the deployment.
    definition_sha: Mapped[str | None] = mapped_column(String(64))
    process_id: Mapped[str] = mapped_column(String(255))
    process_name: Mapped[str | None] = mapped_column(String(500))
    unit_code: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # What the people following the activity read, e.g. "готов"; set by the diagram in `status_text`.
    status_text: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    # The element the failed step stopped at (a script task, a gateway), where the library says; for incidents.
    error_element: Mapped[str | None] = mapped_column(String(255))
    # The action that failed, kept so that `retry` can apply it again to the last good state.
    failed_action: Mapped[dict | None] = mapped_column(JSON)
    # Loaded only where the workflow is restored (store.lock): lists and status pages need not carry it.
    state: Mapped[str] = mapped_column(Text, deferred=True)
    serializer_version: Mapped[str] = mapped_column(String(20))
    lock_version: Mapped[int] = mapped_column(default=1)
    # The [kind, name, correlation] rows indexed in instance_wait, so that a step that changes nothing there writes
    # nothing.
    waits: Mapped[list | None] = mapped_column(JSON)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    started_by: Mapped[str | None] = mapped_column(String(100))
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("plan_item.id"))
    # The instance whose message started this one (a school's part of a department's collection).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # When the unit handed in its work and how late (data `submitted_on`, `late_days`), for coverage reports.
    submitted_on: Mapped[str | None] = mapped_column(String(10))
    late_days: Mapped[int | None]
    # The process data's top-level scalars (engine.projection.kept_variables), for the instance list's conditions
    # on any variable (`fix_days > 5`): the serialized state is not for SQL to read at a city's scale.
    variables: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": lock_version}


class InstanceWait(db.Model):
    """A message or signal an instance waits for, so that delivery finds its targets without restoring all: by
    kind, name and the correlation values awaited."""
    __tablename__ = "instance_wait"
    __table_args__ = (Index("ix_instance_wait_lookup", "kind", "name", "correlation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "message" or "signal"
    name: Mapped[str] = mapped_column(String(255))
    # The values a correlated message catch awaits, normalised (engine.bpmn.messages.normalised); NULL: it takes
    # any message of that name.
    correlation: Mapped[str | None] = mapped_column(String(CORRELATION_LENGTH))
