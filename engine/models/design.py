"""The process designer's drafts: a BPMN file being modelled in the browser, kept on the server between saves."""
from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db


class DesignDraft(db.Model):
    """The draft of the file holding process `bpmn_id`: one per process, shared by every designer. `revision`
    grows with each save; a save that names an older one is refused (engine.service.design_drafts), so that two
    designers never overwrite each other without knowing."""
    __tablename__ = "design_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    bpmn_id: Mapped[str] = mapped_column(String(255), unique=True)
    xml: Mapped[str] = mapped_column(Text)
    saved_by: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer)


class DesignFormDraft(db.Model):
    """The draft of form `form_key` as process `bpmn_id` will use it (issue 14 §6): forms are versioned with the
    process, so a form edited here is deployed with the process's next version and running instances keep the one
    their version was deployed with. Revisions as for DesignDraft."""
    __tablename__ = "design_form_draft"
    __table_args__ = (UniqueConstraint("bpmn_id", "form_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bpmn_id: Mapped[str] = mapped_column(String(255))
    form_key: Mapped[str] = mapped_column(String(100))
    definition: Mapped[dict] = mapped_column(JSON)
    saved_by: Mapped[str] = mapped_column(String(100))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revision: Mapped[int] = mapped_column(Integer)
