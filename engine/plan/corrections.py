"""Reports handed in before their deadline moved later stay editable until the new deadline (issue 15 §10).

A school's report (plan_school_report) ends when the school hands it in, and the plan counts it done from then
on. When a supervisor then moves the item's deadline later, each school that has handed in is offered a
correction until the new deadline: an instance of plan_report_correction for the same unit, a part of the report's
instance (parent_id) rather than of the item, so that the school's cell keeps «сдано» with its date while the
correction is open. Its task shows the report as handed in; it closes by itself at the new deadline, and moves
with the deadline if the deadline moves again (dates._follow reschedules the open ones)."""
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import aliased

from .. import clock, projection, store
from ..db import db
from ..errors import EngineError
from ..models import ProcessInstance
from ..models.instance import InstanceStatus
from ..service.instances import start

CORRECTED = "plan_school_report"  # the pattern whose handed-in reports may be corrected
CORRECTION = "plan_report_correction"
_CARRIED = ("plan_item", "lead_role", "act_unit", "params", "report")  # what the correction takes from the report


def open_corrections(item_ids) -> list[tuple[int, int, str | None]]:
    """(instance id, item id, status text) of the corrections still open for reports of these items."""
    report = aliased(ProcessInstance)
    return [tuple(row) for row in db.session.execute(
        select(ProcessInstance.id, report.plan_item_id, ProcessInstance.status_text)
        .join(report, report.id == ProcessInstance.parent_id)
        .where(ProcessInstance.process_id == CORRECTION, ProcessInstance.status.in_(InstanceStatus.ACTIVE),
               report.plan_item_id.in_(list(item_ids))))]


def offer_corrections(item_id: int, old_due: date | None, new_due: date | None,
                      actor: str | None) -> tuple[int, list[str]]:
    """Start a correction for each report of the item handed in before its deadline moved from `old_due` to the
    later `new_due` (not for one whose correction is still open: that one follows the move). Each start is its own
    transaction; one that fails is reported. Returns (started, ["instance: message"])."""
    today = clock.now().astimezone(clock.local_zone()).date()
    if old_due is None or new_due is None or new_due <= old_due or new_due < today:
        return 0, []
    handed_in = db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.plan_item_id == item_id, ProcessInstance.process_id == CORRECTED,
        ProcessInstance.status == InstanceStatus.COMPLETED)).all()
    still_open = set(db.session.scalars(select(ProcessInstance.parent_id).where(
        ProcessInstance.process_id == CORRECTION, ProcessInstance.status.in_(InstanceStatus.ACTIVE))))
    seeds = [(report.id, report.unit_code, _seed(report, new_due)) for report in handed_in
             if report.id not in still_open]
    db.session.rollback()
    started, failed = 0, []
    for report_id, unit, seed in seeds:
        try:
            start(CORRECTION, seed, unit=unit, actor=actor, parent_id=report_id)
            started += 1
        except EngineError as exc:
            failed.append(f"{report_id}: {exc.message}")
    return started, failed


def _seed(report: ProcessInstance, new_due: date) -> dict:
    data = projection.process_data(store.workflow_of(report))
    seed = {key: data.get(key) for key in _CARRIED}
    seed["act_unit"] = seed["act_unit"] or report.unit_code
    return {**seed, "due": new_due.isoformat(), "handed_in_on": report.submitted_on or data.get("submitted_on")}
