"""The plan at a glance: every item (rows) × every unit (columns: schools, then PPE, then the department), each cell
the state of that unit's work on that item on a given day, counted from the instance and task rows (no workflow is
restored), so that the whole city's year is read in two statements.

A cell's state, worst first: error (or stalled), overdue (days past the earliest due date still open that day), running,
done late (the days the unit handed in late), done, cancelled; `not_due` where the item concerns the unit but has
not started for it; `none` where the item is not the unit's at all. An item carried by another item's task
(items.json "carried_by") has no instances: its cells are that task's in the carrier's instances (carried_cells).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, func, or_, select

from .. import clock
from ..db import db
from ..directory.naming import natural_key
from ..models import HumanTask, Plan, PlanItem, ProcessInstance, Unit
from ..models.instance import InstanceStatus
from .carriers import carried_of
from .executors import EXECUTORS

ERROR, OVERDUE, RUNNING, DONE_LATE, DONE = "error", "overdue", "running", "done_late", "done"
CANCELLED, NOT_DUE, NONE = "cancelled", "not_due", "none"
WORST_FIRST = (ERROR, OVERDUE, RUNNING, DONE_LATE, DONE, CANCELLED)
PROBLEMS = (ERROR, OVERDUE)
UNIT_KINDS = ("school", "ppe", "department")  # the columns' order
SCOPE_KIND = {"schools": "school", "ppe": "ppe", "department": "department"}
EXECUTOR_ROLES = tuple(EXECUTORS.values())


@dataclass(frozen=True)
class Cell:
    state: str
    days: int | None = None       # overdue or late by
    instance_id: int | None = None
    completed_on: date | None = None  # a carried item's done cell: the day its task was done (the instance goes on)


@dataclass
class Totals:
    done: int = 0
    late: int = 0
    overdue: int = 0
    errors: int = 0

    def count(self, cell: Cell) -> None:
        self.done += cell.state in (DONE, DONE_LATE)
        self.late += cell.state == DONE_LATE
        self.overdue += cell.state == OVERDUE
        self.errors += cell.state == ERROR


@dataclass
class Matrix:
    plan: Plan
    as_of: date
    items: list[PlanItem]
    units: list[Unit]
    cells: dict[tuple[int, str], Cell]
    rows: dict[int, Totals] = field(default_factory=dict)
    columns: dict[str, Totals] = field(default_factory=dict)
    total: Totals = field(default_factory=Totals)

    def cell(self, item: PlanItem, unit: Unit) -> Cell:
        return self.cells.get((item.id, unit.code)) or Cell(NONE)

    def sections(self) -> list[tuple[tuple[int, str], list[PlanItem]]]:
        grouped: dict[tuple[int, str], list[PlanItem]] = {}
        for item in self.items:
            grouped.setdefault((item.section, item.section_title), []).append(item)
        return list(grouped.items())


@dataclass(frozen=True)
class MatrixQuery:
    as_of: date | None = None
    section: int | None = None
    executor: str | None = None   # a role of EXECUTOR_ROLES
    unit_kind: str | None = None  # one of UNIT_KINDS
    problems_only: bool = False


def plan_matrix(plan: Plan, query: MatrixQuery = MatrixQuery(), units: set[str] | None = None) -> Matrix:
    """The matrix of `plan` as `query` asks. `units`: the codes of the only columns the reader may see (a school
    head's own), None for the whole city; rows are then the items that concern those units."""
    now = clock.now()
    today = now.astimezone(clock.local_zone()).date()
    as_of = query.as_of or today
    # today: as things stand now; another day: as they stood at its end
    cutoff = now if as_of == today else clock.day_start(as_of + timedelta(days=1))
    items = [item for item in plan.items if _item_wanted(item, query)]
    columns = _units(query.unit_kind, units)
    found = _cells(plan, cutoff, {u.code for u in columns})
    found.update(carried_cells(plan, cutoff, {u.code for u in columns}))
    cells: dict[tuple[int, str], Cell] = {}
    unit_kinds = [(unit.code, unit.kind) for unit in columns]  # plain values: thousands of cells read them
    not_due = Cell(NOT_DUE)
    for item in items:
        item_id, kind = item.id, SCOPE_KIND.get(item.scope)
        for code, unit_kind in unit_kinds:
            cell = found.get((item_id, code))
            if cell is None and unit_kind == kind:
                cell = not_due
            if cell is not None:
                cells[(item_id, code)] = cell
    if units is not None:  # a unit's reader: the items that ask her units for something
        items = [item for item in items if any((item.id, u.code) in cells for u in columns)]
    if query.problems_only:
        problem = [key for key, cell in cells.items() if cell.state in PROBLEMS]
        problem_items, problem_units = {i for i, _u in problem}, {u for _i, u in problem}
        items = [item for item in items if item.id in problem_items]
        columns = [unit for unit in columns if unit.code in problem_units]
    matrix = Matrix(plan, as_of, items, columns, cells)
    for item in items:
        matrix.rows[item.id] = Totals()
    for unit in columns:
        matrix.columns[unit.code] = Totals()
    for (item_id, code), cell in cells.items():  # a cell not in `cells` is not the unit's: it counts nothing
        if item_id in matrix.rows and code in matrix.columns:
            matrix.rows[item_id].count(cell)
            matrix.columns[code].count(cell)
            matrix.total.count(cell)
    return matrix


def _item_wanted(item: PlanItem, query: MatrixQuery) -> bool:
    if query.section is not None and item.section != query.section:
        return False
    return query.executor is None or query.executor in (item.roles or [])


def _units(kind: str | None, only: set[str] | None) -> list[Unit]:
    kinds = [kind] if kind in UNIT_KINDS else list(UNIT_KINDS)
    statement = select(Unit).where(Unit.kind.in_(kinds))
    if only is not None:
        statement = statement.where(Unit.code.in_(only))
    units = list(db.session.scalars(statement))
    return sorted(units, key=lambda u: (UNIT_KINDS.index(u.kind), natural_key(u.name)))


def _cells(plan: Plan, cutoff: datetime, codes: set[str]) -> dict[tuple[int, str], Cell]:
    """(item id, unit code) → the worst state of the unit's instances of the item that had started by `cutoff`."""
    pi, ht = ProcessInstance, HumanTask
    in_plan = pi.plan_item_id.in_(select(PlanItem.id).where(PlanItem.plan_id == plan.id))
    instances = db.session.execute(
        select(pi.id, pi.plan_item_id, pi.unit_code, pi.status, pi.late_days, pi.completed_at)
        .where(in_plan, pi.created_at < cutoff)).all()
    # A task open at the cutoff: created before it and not closed before it (ready now, or closed after it).
    open_then = and_(ht.created_at < cutoff, ht.due_at < cutoff, ht.state != "WAITING",
                     or_(ht.state == "READY", ht.completed_at >= cutoff))
    earliest_due = dict(db.session.execute(
        select(ht.instance_id, func.min(ht.due_at)).join(pi, pi.id == ht.instance_id)
        .where(in_plan, pi.created_at < cutoff, open_then).group_by(ht.instance_id)).all())
    found: dict[tuple[int, str], Cell] = {}
    for row in instances:
        if row.unit_code in codes:
            key, cell = (row.plan_item_id, row.unit_code), _state(row, earliest_due.get(row.id), cutoff)
            held = found.get(key)  # most cells have one instance: the worst of several is rarely asked for
            found[key] = cell if held is None else min(held, cell, key=_worst_first)
    return found


def _worst_first(cell: Cell) -> tuple[int, int]:
    return WORST_FIRST.index(cell.state), -(cell.days or 0)


def _state(row, earliest_due: datetime | None, cutoff: datetime) -> Cell:
    finished = row.completed_at is not None and clock.aware(row.completed_at) < cutoff
    if row.status in (InstanceStatus.ERROR, InstanceStatus.STALLED):  # both wait for an operator
        return Cell(ERROR, instance_id=row.id)
    if row.status == InstanceStatus.CANCELLED and (finished or row.completed_at is None):
        return Cell(CANCELLED, instance_id=row.id)
    if finished:
        return (Cell(DONE_LATE, row.late_days, row.id) if row.late_days else Cell(DONE, instance_id=row.id))
    if earliest_due is not None:
        late = (_local_day(cutoff - timedelta(microseconds=1)) - _local_day(clock.aware(earliest_due))).days
        return Cell(OVERDUE, max(1, late), row.id)
    return Cell(RUNNING, instance_id=row.id)


def _local_day(moment: datetime) -> date:
    return moment.astimezone(clock.local_zone()).date()


def carried_cells(plan: Plan, cutoff: datetime, codes: set[str] | None = None) -> dict[tuple[int, str], Cell]:
    """(carried item id, unit code) → the state at `cutoff` of the unit's tasks that carry the item (items.json
    "carried_by") in the carrying item's instances: done when each was completed (late by the days after its due
    date), error or cancelled with its instance, overdue when one is not completed by its due date (still open,
    or closed unfinished: a re-check window that ran out), running otherwise; no cell before the unit has the
    task. One statement for the whole plan over the task rows, no workflow restored. `codes`: the units wanted."""
    ids = {item.number: item.id for item in plan.items}
    carried = {item.id: (ids.get(c["item"]), tuple(c["tasks"])) for item in plan.items
               if (c := carried_of(item)) is not None and ids.get(c["item"]) is not None}
    if not carried:
        return {}
    pi, ht = ProcessInstance, HumanTask
    rows = db.session.execute(
        select(pi.id, pi.plan_item_id, pi.unit_code, pi.status, ht.bpmn_id, ht.state, ht.due_at, ht.completed_at)
        .join(ht, ht.instance_id == pi.id)
        .where(pi.plan_item_id.in_({carrier for carrier, _tasks in carried.values()}),
               ht.bpmn_id.in_({task for _carrier, tasks in carried.values() for task in tasks}),
               ht.created_at <= cutoff, pi.unit_code.is_not(None))  # <=: a manual clock stands still
        .order_by(ht.created_at, ht.seq)).all()
    held: dict[int, dict[int, tuple]] = {}  # carrier item id → instance id → (unit, status, {task id: row})
    for row in rows:
        if codes is None or row.unit_code in codes:
            instance = held.setdefault(row.plan_item_id, {}).setdefault(row.id, (row.unit_code, row.status, {}))
            instance[2][row.bpmn_id] = row  # in creation order: a task's latest pass counts
    cells: dict[tuple[int, str], Cell] = {}
    for item_id, (carrier, tasks) in carried.items():
        for instance_id, (code, status, found) in held.get(carrier, {}).items():
            if any(task in found for task in tasks):
                cell = _carried_state(instance_id, status, [found.get(task) for task in tasks], cutoff)
                before = cells.get((item_id, code))
                cells[(item_id, code)] = cell if before is None else min(before, cell, key=_worst_first)
    return cells


def _carried_state(instance_id: int, status: str, rows: list, cutoff: datetime) -> Cell:
    """The state of one instance's carrying tasks (`rows`: each task's latest row, None where not reached)."""
    def done(row) -> bool:
        return (row is not None and row.state == "COMPLETED" and row.completed_at is not None
                and clock.aware(row.completed_at) <= cutoff)

    if all(done(row) for row in rows):
        late = max(_days_after(row.due_at, row.completed_at) for row in rows)
        last = _local_day(max(clock.aware(row.completed_at) for row in rows))
        return Cell(DONE_LATE, late, instance_id, last) if late else Cell(DONE, None, instance_id, last)
    if status in (InstanceStatus.ERROR, InstanceStatus.STALLED):
        return Cell(ERROR, instance_id=instance_id)
    if status == InstanceStatus.CANCELLED:
        return Cell(CANCELLED, instance_id=instance_id)
    past = [clock.aware(row.due_at) for row in rows
            if row is not None and not done(row) and row.due_at is not None and clock.aware(row.due_at) < cutoff]
    if past:
        late = (_local_day(cutoff - timedelta(microseconds=1)) - _local_day(min(past))).days
        return Cell(OVERDUE, max(1, late), instance_id)
    return Cell(RUNNING, instance_id=instance_id)


def _days_after(due: datetime | None, completed: datetime) -> int:
    return max(0, (_local_day(clock.aware(completed)) - _local_day(clock.aware(due))).days) if due else 0
