"""The process designer's drafts: a BPMN file being modelled in the browser, kept on the server between saves."""
from datetime import datetime

from sqlalchemy import Integer, String, Text
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
