"""The city summary above the matrix (issue 13 §2): how the plan's items stand per section and per executor
department, the units with the most overdue work, and a line per week of completions against deadlines.

It summarises a computed `Matrix` (engine.plan.matrix) and nothing else decides a state: an item's state here is
read from the very cells the table below it shows, over the rows and columns it shows. Only the completion dates
of the done cells are read besides (one query): the matrix keeps a cell's state, not when it was reached.

An item's state, from its cells (the units it concerns among the columns shown), the first that applies:
- overdue: at least one of its cells is overdue (work still open past its due date);
- error: at least one cell is in error or stalled (waits for an operator), none overdue;
- done: every cell is done (on time or late; cancelled cells do not count), and at least one is;
- not started: no cell has started yet (the item's window has not opened);
- in progress: the rest (started for some units, not yet done for all, nothing overdue).
An item cancelled for every unit it concerns is not counted.
So each item counts once per section, and in the row of every executor department it names.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from .. import clock
from ..db import db
from ..directory.naming import natural_key
from ..models import PlanItem, ProcessInstance, Unit
from .matrix import CANCELLED, DONE, DONE_LATE, ERROR, EXECUTOR_ROLES, NONE, NOT_DUE, OVERDUE, Matrix

ITEM_STATES = ("overdue", "error", "done", "not_started", "in_progress")  # in the order they are decided
TOP_UNITS = 10


@dataclass
class ItemCounts:
    """How many items are in each state (ITEM_STATES), and how many in all."""
    overdue: int = 0
    error: int = 0
    done: int = 0
    not_started: int = 0
    in_progress: int = 0

    @property
    def items(self) -> int:
        return self.overdue + self.error + self.done + self.not_started + self.in_progress

    def add(self, state: str) -> None:
        setattr(self, state, getattr(self, state) + 1)


@dataclass(frozen=True)
class UnitLoad:
    """A unit's overdue work: its overdue cells and their days overdue added up."""
    unit: Unit
    overdue: int
    days: int


@dataclass(frozen=True)
class Week:
    """A week from Monday `starts`: the cells done in it (by their completion date) and the cells due in it (by
    their item's due date)."""
    starts: date
    completions: int
    deadlines: int


@dataclass
class CitySummary:
    as_of: date
    total: ItemCounts
    sections: list[tuple[int, str, ItemCounts]]
    executors: list[tuple[str, ItemCounts]]   # (role of EXECUTOR_ROLES, counts), every executor department
    units: list[UnitLoad]                      # the TOP_UNITS units with the most overdue work, worst first
    weeks: list[Week] = field(default_factory=list)

    def chart(self) -> dict:
        """The weekly line as the page's chart reads it (JSON); no completions after the day shown (null: the
        line stops there rather than falling to nought)."""
        return {"weeks": [w.starts.isoformat() for w in self.weeks],
                "completions": [w.completions if w.starts <= self.as_of else None for w in self.weeks],
                "deadlines": [w.deadlines for w in self.weeks],
                "as_of": self.as_of.isoformat()}


def city_summary(matrix: Matrix) -> CitySummary:
    """The summary of `matrix` as computed (its filters, its date, the units its reader may see): the items and
    units it shows, their cells' states. See the module's docstring for what each item state means."""
    shown = {unit.code for unit in matrix.units}
    by_item = defaultdict(list)  # item id → its cells' states in the columns shown
    for (item_id, code), cell in matrix.cells.items():
        if code in shown:
            by_item[item_id].append(cell.state)
    total, sections, executors = ItemCounts(), {}, {role: ItemCounts() for role in EXECUTOR_ROLES}
    for item in matrix.items:
        state = item_state(by_item.get(item.id, []))
        if state is None:
            continue
        total.add(state)
        sections.setdefault((item.section, item.section_title), ItemCounts()).add(state)
        for role in item.roles or ():
            if role in executors:
                executors[role].add(state)
    return CitySummary(
        as_of=matrix.as_of, total=total,
        sections=[(number, title, counts) for (number, title), counts in sections.items()],
        executors=list(executors.items()), units=_most_overdue(matrix), weeks=_weeks(matrix))


def item_state(states: list[str]) -> str | None:
    """An item's state (ITEM_STATES) from its cells' states; None when it concerns none of the units shown."""
    states = [s for s in states if s != NONE]
    if not states:
        return None
    if OVERDUE in states:
        return "overdue"
    if ERROR in states:
        return "error"
    counted = [s for s in states if s != CANCELLED]
    if not counted:  # cancelled for every unit: nothing left to do or to count
        return None
    if all(s in (DONE, DONE_LATE) for s in counted):
        return "done"
    if all(s == NOT_DUE for s in counted):
        return "not_started"
    return "in_progress"


def _most_overdue(matrix: Matrix) -> list[UnitLoad]:
    items = {item.id for item in matrix.items}
    overdue, days = defaultdict(int), defaultdict(int)
    for (item_id, code), cell in matrix.cells.items():
        if cell.state == OVERDUE and item_id in items:
            overdue[code] += 1
            days[code] += cell.days or 0
    loads = [UnitLoad(unit, overdue[unit.code], days[unit.code]) for unit in matrix.units if overdue[unit.code]]
    loads.sort(key=lambda load: (-load.overdue, -load.days, natural_key(load.unit.name)))
    return loads[:TOP_UNITS]


def _weeks(matrix: Matrix) -> list[Week]:
    """Weeks from the school year's first Monday to its last (wider when a date falls outside it)."""
    codes = {unit.code for unit in matrix.units}
    items = {item.id for item in matrix.items}
    due = {item.id: _monday(item.due) for item in matrix.items if item.due is not None}
    done, completions, deadlines = set(), defaultdict(int), defaultdict(int)
    for (item_id, code), cell in matrix.cells.items():
        if item_id not in items or code not in codes or cell.state in (NONE, CANCELLED):
            continue
        if cell.state in (DONE, DONE_LATE) and cell.completed_on is not None:
            completions[_monday(cell.completed_on)] += 1  # a carried item's task: its instance goes on
        elif cell.state in (DONE, DONE_LATE):
            done.add(cell.instance_id)
        if item_id in due:
            deadlines[due[item_id]] += 1
    for day in _completion_days(matrix, done):
        completions[_monday(day)] += 1
    plan = matrix.plan
    first = min([_monday(plan.school_year_starts), *completions, *deadlines])
    last = max([_monday(plan.school_year_ends), *completions, *deadlines])
    weeks, monday = [], first
    while monday <= last:
        weeks.append(Week(monday, completions[monday], deadlines[monday]))
        monday += timedelta(days=7)
    return weeks


def _completion_days(matrix: Matrix, instance_ids: set[int]) -> list[date]:
    """The local day each of these (done) instances completed: read for the plan's completed instances at once,
    not by a list of ids (thousands of them in a city)."""
    if not instance_ids:
        return []
    pi = ProcessInstance
    rows = db.session.execute(
        select(pi.id, pi.completed_at).where(
            pi.plan_item_id.in_(select(PlanItem.id).where(PlanItem.plan_id == matrix.plan.id)),
            pi.completed_at.is_not(None)))
    zone = clock.local_zone()
    return [clock.aware(completed).astimezone(zone).date() for instance_id, completed in rows
            if instance_id in instance_ids]


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
