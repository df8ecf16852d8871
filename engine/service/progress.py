"""How far work has got: one reading for an instance (a unit's run of an activity) and one for a set of them (a
plan item's across its units, an activity's across the units a person sees). «Программа» and «Мероприятия
плана» both show these, so they cannot disagree about the same work (issue 10 §13)."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..db import db
from ..models import HumanTask, ProcessInstance
from ..models.instance import InstanceStatus

DONE, ERROR, OVERDUE, RUNNING = "done", "error", "overdue", "running"
CANCELLED, NOT_STARTED = "cancelled", "not_started"
PROBLEMS = (OVERDUE, ERROR)  # what «только проблемы» keeps


def instance_state(instance: ProcessInstance, overdue: bool) -> str:
    """An instance's state: done, error, cancelled, overdue (an open task is past its due date) or running."""
    if instance.status == InstanceStatus.COMPLETED:
        return DONE
    if instance.status == InstanceStatus.ERROR:
        return ERROR
    if instance.status == InstanceStatus.CANCELLED:
        return CANCELLED
    return OVERDUE if overdue else RUNNING


@dataclass
class Progress:
    """Counts over a set of instances, one per unit."""
    units: int = 0      # instances (units at work)
    done: int = 0
    late: int = 0       # handed in late
    overdue: int = 0    # open with a task past its due date
    errors: int = 0

    @property
    def state(self) -> str:
        """The set's state, read the same way as one instance's: any error first, then all done, then late."""
        if not self.units:
            return NOT_STARTED
        if self.errors:
            return ERROR
        if self.done == self.units:
            return DONE
        return OVERDUE if self.overdue else RUNNING


def progress_by(key, *where, now: datetime) -> dict:
    """{value of `key`: Progress} over the instances matching `where`, grouped by `key` (a ProcessInstance column,
    or one of a joined table): counted in SQL, no workflow restored."""
    pi = ProcessInstance
    counts = db.session.execute(
        select(key, func.count().label("units"),
               func.count().filter(pi.status == InstanceStatus.COMPLETED).label("done"),
               func.count().filter(pi.late_days > 0).label("late"),
               func.count().filter(pi.status == InstanceStatus.ERROR).label("errors"))
        .select_from(pi).where(*where).group_by(key)).all()
    overdue = dict(db.session.execute(
        select(key, func.count(func.distinct(pi.id))).select_from(pi)
        .join(HumanTask, HumanTask.instance_id == pi.id)
        .where(*where, HumanTask.state == "READY", HumanTask.due_at < now, pi.status.in_(InstanceStatus.ACTIVE))
        .group_by(key)).all())
    return {row[0]: Progress(row.units, row.done, row.late, overdue.get(row[0], 0), row.errors) for row in counts}


def instance_states(instances: list[ProcessInstance], open_tasks: dict[int, list[HumanTask]],
                    now: datetime) -> dict[int, str]:
    """{instance id: state} for instances whose open tasks are at hand (views.instance_table reads them)."""
    return {i.id: instance_state(i, any(t.due_at is not None and t.due_at < now for t in open_tasks.get(i.id, [])))
            for i in instances}
