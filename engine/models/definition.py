"""Deployed BPMN: one deployment is one version, holding all the files deployed together."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db


class Deployment(db.Model):
    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(primary_key=True)  # the version number shown to users
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(Text)  # what changed in this version, in the deployer's words
    files: Mapped[list["DeploymentFile"]] = relationship(back_populates="deployment", order_by="DeploymentFile.id")
    processes: Mapped[list["DeployedProcess"]] = relationship(back_populates="deployment")


class DeploymentFile(db.Model):
    __tablename__ = "deployment_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    deployment: Mapped[Deployment] = relationship(back_populates="files")


class DeployedProcess(db.Model):
    """A startable id of a deployment: an executable process or a collaboration."""
    __tablename__ = "deployed_process"
    __table_args__ = (Index("ix_deployed_process_lookup", "bpmn_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployment.id"))
    bpmn_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))  # "process" or "collaboration"
    # [["message", name], ["signal", name]]: the events that start it, so delivery can find it without parsing.
    start_events: Mapped[list | None] = mapped_column(JSON)
    deployment: Mapped[Deployment] = relationship(back_populates="processes")
