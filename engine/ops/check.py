"""`flask gia check`: what a backup must keep, verified on the database and upload folder at hand (a restored
copy in the restore drill, or the running installation):

- every instance's stored state restores with its deployed definition (engine.store.workflow_of, as a step does);
- every attachment's file is in the upload folder with the SHA-256 its row (and its name) says;
- the projections agree with the workflow states: what engine.projection.project reads from each restored workflow
  now (the READY human tasks, the status, the next timer) is what the rows say, since save wrote them from it;
- no active instance waits on a timer due longer than the grace period ago: the sweep (engine.service.timers)
  fires a due timer within TIMER_SWEEP_SECONDS, so an older one means no sweep is running for it.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import undefer

from .. import clock, projection, store
from ..attachments import path_of
from ..db import db
from ..models import Attachment, HumanTask, ProcessInstance
from ..models.human_task import TaskStatus
from ..models.instance import InstanceStatus
from .backup import sha256_of

BATCH = 200  # instances restored per read: their states together stay a few MB
SHOWN_IDS = 3  # task ids named in a problem


@dataclass
class CheckReport:
    as_of: datetime
    grace_minutes: float
    instances: int = 0
    restored: int = 0
    attachments: int = 0
    files_ok: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> list[str]:
        lines = [str(_l("Instances: %(count)s, restored with their definitions: %(restored)s",
                        count=self.instances, restored=self.restored)),
                 str(_l("Attachments: %(count)s, files present with their checksums: %(ok)s",
                        count=self.attachments, ok=self.files_ok)),
                 str(_l("Human tasks, statuses and timers compared with the workflow states of %(count)s instances",
                        count=self.restored)),
                 str(_l("Timers checked as of %(moment)s, %(minutes)s min of grace",
                        moment=self.as_of.isoformat(timespec="seconds"), minutes=self.grace_minutes))]
        if self.ok:
            lines.append(str(_l("No problems found.")))
        else:
            lines.append(str(_l("Problems found: %(count)s", count=len(self.problems))))
        return lines

    def as_dict(self) -> dict:
        return {"ok": self.ok, "as_of": self.as_of.isoformat(), "grace_minutes": self.grace_minutes,
                "instances": self.instances, "restored": self.restored, "attachments": self.attachments,
                "files_ok": self.files_ok, "problems": self.problems}


def check(as_of: datetime | None = None, grace_minutes: float = 10.0) -> CheckReport:
    report = CheckReport(clock.aware(as_of) if as_of else clock.now(), grace_minutes)
    db.session.rollback()
    _check_attachments(report)
    ids = list(db.session.scalars(select(ProcessInstance.id).order_by(ProcessInstance.id)))
    report.instances = len(ids)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        ready: dict[int, set[str]] = {}
        for instance_id, task_id in db.session.execute(
                select(HumanTask.instance_id, HumanTask.id).where(HumanTask.instance_id.in_(chunk),
                                                                   HumanTask.state == TaskStatus.READY)):
            ready.setdefault(instance_id, set()).add(task_id)
        for instance in db.session.scalars(select(ProcessInstance).options(undefer(ProcessInstance.state))
                                           .where(ProcessInstance.id.in_(chunk)).order_by(ProcessInstance.id)):
            _check_instance(instance, ready.get(instance.id, set()), report)
            db.session.expunge(instance)  # its state is let go once checked
        db.session.rollback()
    return report


def _check_instance(instance: ProcessInstance, ready_rows: set[str], report: CheckReport) -> None:
    where = str(_l("Instance %(id)s (%(process)s)", id=instance.id, process=instance.process_id))
    try:
        workflow = store.workflow_of(instance)
    except Exception as exc:  # whatever the library or a lost definition raises is this check's finding
        report.problems.append(str(_l("%(where)s: its state cannot be restored with its definition: %(detail)s",
                                      where=where, detail=f"{type(exc).__name__}: {exc}")))
        return
    report.restored += 1
    if instance.status == InstanceStatus.ERROR:
        return  # the state is the last good one; the rows are what the failed step left, kept for a retry
    try:
        seen = projection.project(workflow, instance.unit_code)
    except Exception as exc:
        report.problems.append(str(_l("%(where)s: its tasks cannot be read from the workflow: %(detail)s",
                                      where=where, detail=f"{type(exc).__name__}: {exc}")))
        return
    # Suspended and cancelled instances keep the status they were given, not the one the workflow shows.
    if instance.status not in (InstanceStatus.SUSPENDED, InstanceStatus.CANCELLED) and seen.status != instance.status:
        report.problems.append(str(_l("%(where)s: status %(stored)s in the database, %(seen)s in the workflow",
                                      where=where, stored=InstanceStatus.word(instance.status),
                                      seen=InstanceStatus.word(seen.status))))
    ready = {view.id for view in seen.views if view.state == TaskStatus.READY}
    if ready != ready_rows:
        report.problems.append(str(_l(
            "%(where)s: open tasks differ from the workflow: without a row %(missing)s, rows the workflow does not "
            "hold open %(extra)s", where=where, missing=_ids(ready - ready_rows), extra=_ids(ready_rows - ready))))
    if instance.status not in InstanceStatus.FINAL:
        _check_timer(instance, seen.next_timer, where, report)


def _check_timer(instance, next_timer, where: str, report: CheckReport) -> None:
    if instance.next_timer_at != next_timer:
        report.problems.append(str(_l("%(where)s: next timer %(stored)s in the database, %(seen)s in the workflow",
                                      where=where, stored=_moment(instance.next_timer_at), seen=_moment(next_timer))))
        return
    late = report.as_of - timedelta(minutes=report.grace_minutes)
    if instance.status in InstanceStatus.ACTIVE and next_timer is not None and next_timer <= late:
        minutes = int((report.as_of - next_timer).total_seconds() // 60)
        report.problems.append(str(_l("%(where)s: waits on a timer due at %(due)s, %(minutes)s min ago, that no "
                                      "sweep has fired (is the Celery beat and a worker running?)",
                                      where=where, due=_moment(next_timer), minutes=minutes)))


def _check_attachments(report: CheckReport) -> None:
    rows = db.session.execute(select(Attachment.id, Attachment.sha256, Attachment.size, Attachment.filename)
                              .order_by(Attachment.id)).all()
    db.session.rollback()
    report.attachments = len(rows)
    verdicts: dict[str, str | None] = {}  # sha256 -> None when the file is right, else the problem's text
    for row in rows:
        path = path_of(row)
        if row.sha256 not in verdicts:
            if not path.is_file():
                verdicts[row.sha256] = "missing"
            elif path.stat().st_size != row.size or sha256_of(path) != row.sha256:
                verdicts[row.sha256] = "differs"
            else:
                verdicts[row.sha256] = None
        verdict = verdicts[row.sha256]
        if verdict is None:
            report.files_ok += 1
        elif verdict == "missing":
            report.problems.append(str(_l("Attachment %(id)s (%(name)s): file %(path)s is missing",
                                          id=row.id, name=row.filename, path=path)))
        else:
            report.problems.append(str(_l("Attachment %(id)s (%(name)s): file %(path)s does not match its "
                                          "checksum", id=row.id, name=row.filename, path=path)))


def _ids(ids: set[str]) -> str:
    shown = sorted(ids)[:SHOWN_IDS]
    return ", ".join(shown) + (" …" if len(ids) > SHOWN_IDS else "") if ids else "—"


def _moment(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "—"
