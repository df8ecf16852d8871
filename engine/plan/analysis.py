"""What the schools handed in for an item, as the department's analysis of it reads it (issue 15 §9: 3.49, 3.51,
4.12/4.13). The analysis (processes/plan_analysis.bpmn) asks once a day whether every school's report is in, so
the count comes from the instance rows alone; the reports themselves (text, figures, document) are read from the
task history once, when the analysis task opens."""
from sqlalchemy import select

from .. import clock
from ..db import db
from ..directory.naming import natural_key
from ..models import Plan, PlanItem, ProcessInstance, TaskSubmission, Unit
from ..models.instance import InstanceStatus
from .running import runs, share_due

REPORTED = "plan_school_report"  # the pattern of a school's report
REPORT_TASK = "report_task"  # its task whose form is the report


def school_reports(number: str, details: bool = False) -> dict:
    """Item `number` of the plan in force: its schools' deadline (`due`), how many schools report (`total`) and
    how many have handed in (`handed_in`); with `details`, a row per school in the natural order of their names
    (№2 before №10): {code, name, handed_in, submitted_on, late_days, summary, count_done, count_total,
    document}. An item with no school reports: total 0."""
    plan = _plan_in_force()
    item = plan and db.session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id,
                                                             PlanItem.number == str(number)))
    if item is None:
        return {"due": None, "total": 0, "handed_in": 0, "rows": []}
    units = dict(db.session.execute(select(Unit.code, Unit.name).where(Unit.kind == "school")).tuples().all())
    reports = [i for i in db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.plan_item_id == item.id, ProcessInstance.process_id == REPORTED,
        ProcessInstance.status != InstanceStatus.CANCELLED)) if i.unit_code in units]
    done = [i for i in reports if i.status == InstanceStatus.COMPLETED]
    due = share_due(item.due, schools_params(item))
    found = {"due": due.isoformat() if due else None, "total": len(reports), "handed_in": len(done),
             "rows": []}
    if details:
        handed = _handed_in([i.id for i in done])
        found["rows"] = sorted((_row(i, units[i.unit_code], handed.get(i.id) or {}) for i in reports),
                               key=lambda r: natural_key(r["name"]))
    return found


def schools_params(item: PlanItem) -> dict:
    """The params of the item's schools' report share: its own or that of "also" (3.51); {} without one."""
    return next((run.params for run in runs(item) if run.kind == "school" and run.process_id == REPORTED), {})


def _handed_in(instance_ids: list[int]) -> dict[int, dict]:
    """{instance id: what its school handed in for its report task}, from the task history in one statement (no
    workflow restored): the latest submission of each."""
    rows = db.session.execute(select(TaskSubmission.instance_id, TaskSubmission.data)
                              .where(TaskSubmission.instance_id.in_(instance_ids),
                                     TaskSubmission.bpmn_id == REPORT_TASK).order_by(TaskSubmission.id))
    return {instance_id: data for instance_id, data in rows if isinstance(data, dict)}


def _row(instance: ProcessInstance, name: str, report: dict) -> dict:
    handed_in = instance.status == InstanceStatus.COMPLETED
    document = report.get("document")
    return {"code": instance.unit_code, "name": name, "handed_in": handed_in,
            "submitted_on": instance.submitted_on, "late_days": instance.late_days or 0,
            "summary": report.get("summary"), "count_done": report.get("count_done"),
            "count_total": report.get("count_total"),
            "document": document.get("filename") if isinstance(document, dict) else None}


def _plan_in_force() -> Plan | None:
    """The plan whose school year includes today, else the latest (the rule calendar_date reads the calendar by)."""
    today = clock.now().astimezone(clock.local_zone()).date()
    query = select(Plan).order_by(Plan.opened_at.desc(), Plan.id.desc())
    return (db.session.scalars(query.where(Plan.school_year_starts <= today, Plan.school_year_ends >= today)
                               .limit(1)).first() or db.session.scalars(query.limit(1)).first())
