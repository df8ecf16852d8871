"""The school year's plan: opened from the catalogue (processes/plan), each item started when its window opens,
for the units that must act: the department, every school or every PPE.

Starting is idempotent and safe to race: an item's instance for a unit is unique (plan_item_id, unit_code), so a
second sweep that tries the same start gets a conflict and moves on. Each start is its own transaction
(engine.start); an item is marked started once every unit has its instance.
"""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import audit, clock, store
from ..db import db
from ..errors import ConflictError, EngineError, InvalidData, NotFound, ProcessError
from ..models import DeployedProcess, Plan, PlanItem, ProcessInstance, Unit
from ..directory.naming import natural_key
from ..sandbox.helpers import add_working_days
from ..service.instances import start
from ..service.progress import NOT_STARTED, Progress, progress_by
from ..service.views import instance_table
from . import carriers
from .catalogue_checks import REPORT_DUE, report_due_days
from .carriers import STORED as CARRIED
from .catalogue import Catalogue, PlanEntry
from .executors import HEAD_OF
from .matrix import DONE as CELL_DONE, DONE_LATE, ERROR as CELL_ERROR, OVERDUE as CELL_OVERDUE, carried_cells
from .windows import Window
from .working_days import seed as seed_production_calendar

PLAN_ACTOR = "plan"  # who the audit trail names as starting the items
SCOPE_KINDS = {"schools": "school", "ppe": "ppe"}
DEPARTMENT_KIND = "department"
# An item's shares for other kinds of unit (catalogue.Part, items.json "also") are kept in its params under this
# key, so that a plan opened before them reads as it was; start_data leaves them out of the start data.
ALSO = "_also"
# An item carried by another item's task (items.json "carried_by") keeps it in its params under CARRIED
# (carriers.STORED): it starts no instance; its progress is read from the carrier's tasks (matrix.carried_cells).


@dataclass(frozen=True)
class Run:
    """What an item starts for one kind of unit: the process, its parameters and the role that leads it."""
    kind: str
    process_id: str
    params: dict
    lead_role: str


@dataclass
class PlanTick:
    started: list[tuple[str, str]] = field(default_factory=list)  # (item number, unit code)
    completed_items: list[str] = field(default_factory=list)     # items now started for every unit
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (item number, unit code, message)
    pending: int = 0  # starts left for the next sweep (the batch limit was reached)

    def as_dict(self) -> dict:
        return {"started": [list(s) for s in self.started], "completed_items": self.completed_items,
                "failed": [list(f) for f in self.failed], "pending": self.pending}


def open_plan(catalogue: Catalogue, actor: str | None = None, source_sha: str | None = None) -> Plan:
    """Record the school year's plan and its items from the catalogue, in one transaction. A plan for that
    year exists already → ConflictError, nothing changed."""
    with store.transaction() as session:
        if session.scalar(select(Plan.id).where(Plan.year == catalogue.year)) is not None:
            raise ConflictError(_l("The plan for %(year)s is open already."), year=catalogue.year)
        plan = Plan(year=catalogue.year, title=catalogue.title, status="open", calendar=catalogue.calendar,
                    school_year_starts=catalogue.school_year.starts, school_year_ends=catalogue.school_year.ends,
                    source_sha=source_sha, opened_by=actor, opened_at=clock.now())
        session.add(plan)
        session.flush()
        session.add_all(_item_row(plan.id, seq, entry) for seq, entry in enumerate(catalogue.entries, 1))
        seed_production_calendar(session)  # the working days the items' deadlines are counted in
        audit.record("plan_open", actor, summary={"year": catalogue.year, "items": len(catalogue.entries),
                                                  "anomalies": len(catalogue.anomalies)})
    return plan


def _item_row(plan_id: int, seq: int, entry: PlanEntry) -> PlanItem:
    return PlanItem(
        plan_id=plan_id, seq=seq, section=entry.section, section_title=entry.section_title, number=entry.number,
        title=entry.title, deadline_text=entry.deadline_text,
        windows=_stored(entry.windows),
        calendar_keys=list(entry.calendar_keys), starts=entry.starts, due=entry.due,
        executors_text=entry.executors_text, roles=list(entry.roles), lead_role=entry.lead_role, scope=entry.scope,
        process_id=entry.process, params={**entry.params, **_also_stored(entry), **_carried_stored(entry)},
        anomalies=[{"code": a.code, "message": str(a.message)} for a in entry.anomalies])


def _also_stored(entry: PlanEntry) -> dict:
    return {ALSO: [part.as_dict() for part in entry.also]} if entry.also else {}


def _carried_stored(entry: PlanEntry) -> dict:
    return {CARRIED: entry.carried_by.as_dict()} if entry.carried_by else {}


def runs(item: PlanItem) -> list[Run]:
    """The item's shares by kind of unit, its own scope's first; none for a carried item (it starts nothing: the
    sweep finds no unit to start it for and marks it started when its window opens)."""
    params = item.params or {}
    if CARRIED in params:
        return []
    own = Run(_scope_kind(item.scope), item.process_id, {k: v for k, v in params.items() if k != ALSO},
              item.lead_role)
    return [own] + [Run(_scope_kind(part["scope"]), part["process"], part["params"], part["lead"])
                    for part in params.get(ALSO, [])]


def _run_for(item: PlanItem, kind: str) -> Run | None:
    return next((run for run in runs(item) if run.kind == kind), None)


def _stored(windows) -> list[list[str]]:
    """Windows as plan_item.windows keeps them: [[starts, ends], ...] in ISO dates."""
    return [[w.starts.isoformat(), w.ends.isoformat()] for w in windows]


def plan_for(year: str | None = None) -> Plan:
    """The plan of `year` ("2020/21"), or the latest opened."""
    query = select(Plan).order_by(Plan.opened_at.desc(), Plan.id.desc())
    if year is not None:
        query = query.where(Plan.year == year)
    plan = db.session.scalars(query.limit(1)).first()
    if plan is None:
        raise NotFound(_l("No plan for %(year)s has been opened.") if year else _l("No plan has been opened."),
                       **({"year": year} if year else {}))
    return plan


def years() -> list[str]:
    """The school years with a plan, the latest first."""
    return list(db.session.scalars(select(Plan.year).order_by(Plan.year.desc())))


def start_due_items(limit: int = 500, actor: str = PLAN_ACTOR) -> PlanTick:
    """Start the items of open plans whose window has opened by today, for each unit that has no instance of
    the item yet; at most `limit` starts (the rest wait for the next sweep)."""
    tick = PlanTick()
    today = clock.now().astimezone(clock.local_zone()).date()
    items = list(db.session.scalars(
        select(PlanItem).join(Plan).where(Plan.status == "open", PlanItem.started_at.is_(None),
                                          PlanItem.starts.is_not(None), PlanItem.starts <= today)
        .order_by(PlanItem.starts, PlanItem.seq)))
    db.session.rollback()  # end the read: each start below is a transaction of its own
    for item in items:
        left = 0  # units still without an instance of the item after this sweep
        for unit in _units_without_instance(item):
            if len(tick.started) >= limit:
                tick.pending += 1
                left += 1
                continue
            try:
                start(_run_for(item, unit.kind).process_id, start_data(item, unit), unit=unit.code, actor=actor,
                      plan_item_id=item.id)
                tick.started.append((item.number, unit.code))
            except ConflictError:
                pass  # another sweep started it at the same moment: nothing to do
            except ProcessError as exc:
                tick.failed.append((item.number, unit.code, exc.message))  # kept as an instance in error: retry
            except EngineError as exc:
                tick.failed.append((item.number, unit.code, exc.message))
                left += 1
        if not left:
            _mark_started(item.id)
            tick.completed_items.append(item.number)
    db.session.rollback()  # end the last read (on SQLite every transaction holds the write lock)
    return tick


def _units_without_instance(item: PlanItem) -> list[Unit]:
    have = select(ProcessInstance.unit_code).where(ProcessInstance.plan_item_id == item.id)
    kinds = [run.kind for run in runs(item)]
    return list(db.session.scalars(select(Unit).where(Unit.kind.in_(kinds), Unit.code.notin_(have))
                                   .order_by(Unit.id)))


def _mark_started(item_id: int) -> None:
    with store.transaction() as session:
        # Locked: sweeps on several workers finish the same item at once, and only the first records its start.
        item = session.get(PlanItem, item_id, with_for_update=True, populate_existing=True)
        if item.started_at is None:
            item.started_at = clock.now()
            audit.record("plan_item_start", PLAN_ACTOR, summary={"item": item.number, "process": item.process_id})


def item_to_join(bpmn_id: str, unit_code: str | None) -> int | None:
    """The item of this school year's plan that `bpmn_id` runs for `unit_code`'s kind of unit, when it is the only
    one and the unit has no instance of it yet: an instance started by hand (a check launched ahead of the plan)
    then counts as the item's, so «Программа» and «Мероприятия плана» show the same work (issue 10 §13)."""
    if unit_code is None:
        return None
    today = clock.now().astimezone(clock.local_zone()).date()
    unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
    if unit is None:
        return None
    # the shares of "also" are in the items' params, so the year's items are read and matched here
    items = [item for item in db.session.scalars(select(PlanItem).join(Plan).where(
        Plan.status == "open", Plan.school_year_starts <= today, Plan.school_year_ends >= today))
        if any(run.process_id == bpmn_id for run in runs(item))]
    if len(items) != 1 or getattr(_run_for(items[0], unit.kind), "process_id", None) != bpmn_id:
        return None
    taken = db.session.scalar(select(ProcessInstance.id).where(ProcessInstance.plan_item_id == items[0].id,
                                                               ProcessInstance.unit_code == unit_code))
    return items[0].id if taken is None else None


def _scope_kind(scope: str) -> str:
    return DEPARTMENT_KIND if scope == "department" else SCOPE_KINDS[scope]


def start_data(item: PlanItem, unit: Unit) -> dict:
    """What an item's instance for `unit` starts with: the item, its window, the lead role of the unit's share and
    its parameters, where a string parameter "$due" or "$starts" stands for that date of the window (e.g. a PPE
    check's check_due), "$schools" for the city's schools (an order's acknowledgements fan out over them) and
    "$ppe" for its PPE; a share's params.report_due ("$due-Nwd") sets its own due (share_due)."""
    run = _run_for(item, unit.kind) or runs(item)[0]
    due = share_due(item.due, run.params).isoformat()
    values = {"$starts": item.starts.isoformat(), "$due": item.due.isoformat()}
    params = {}
    for key, value in run.params.items():
        if value == "$schools":
            value = [{"code": code, "name": name} for code, name in db.session.execute(
                select(Unit.code, Unit.name).where(Unit.kind == "school").order_by(Unit.id))]
        elif value == "$ppe":
            value = [_ppe_data(unit) for unit in db.session.scalars(
                select(Unit).where(Unit.kind == "ppe").order_by(Unit.id))]
        elif isinstance(value, str):
            value = values.get(value, value)
        params[key] = value
    return {**{k: v for k, v in params.items() if not isinstance(v, list)},
            "plan_item": {"number": item.number, "title": item.title, "section": item.section},
            "starts": item.starts.isoformat(), "due": due,
            "lead_role": run.lead_role, "escalate_to": HEAD_OF[run.lead_role],
            "params": params}


def share_due(due: date | None, params: dict) -> date | None:
    """A share's deadline: the item's end `due`, or N working days before it by params.report_due "$due-Nwd"."""
    days = report_due_days((params or {}).get(REPORT_DUE))
    return due if due is None or days is None else date.fromisoformat(add_working_days(due, -days))


def _ppe_data(unit: Unit) -> dict:
    """A PPE as the staff list needs it. Which schools' pupils sit there is not recorded yet (the seating comes
    from the RCOI later): the host school's pupils are, so its teachers are kept out of it."""
    attrs = unit.attrs or {}
    return {"code": unit.code, "name": unit.name, "schools": [unit.host.code] if unit.host else [],
            "rooms": attrs.get("auditoriums") or 0, "exams": attrs.get("exams") or []}  # [] holds every exam


@dataclass
class ItemProgress(Progress):
    """An item's progress across its units (engine.service.progress, as «Мероприятия плана» reads it too)."""
    item: PlanItem | None = None

    @property
    def state(self) -> str:
        if self.item.started_at is None and self.units == 0:
            return "waiting_calendar" if self.item.starts is None else NOT_STARTED
        return super().state


def overview(plan: Plan, now: datetime | None = None) -> list[ItemProgress]:
    """Each item's progress across its units, in plan order, from the instance rows (no workflow restored); a
    carried item's from its carrier's tasks."""
    now = now or clock.now()
    found = progress_by(ProcessInstance.plan_item_id,
                        ProcessInstance.plan_item_id.in_(select(PlanItem.id).where(PlanItem.plan_id == plan.id)),
                        now=now)
    for (item_id, _unit), cell in carried_cells(plan, now).items():
        counts = found.setdefault(item_id, Progress())
        counts.units += 1
        counts.done += cell.state in (CELL_DONE, DONE_LATE)
        counts.late += cell.state == DONE_LATE
        counts.overdue += cell.state == CELL_OVERDUE
        counts.errors += cell.state == CELL_ERROR
    return [ItemProgress(**vars(found.get(item.id, Progress())), item=item) for item in plan.items]


def item_by_id(item_id: int) -> PlanItem:
    item = db.session.get(PlanItem, item_id)
    if item is None:
        raise NotFound(_l("No such plan item."))
    return item


def item_by_number(plan: Plan, number: str) -> PlanItem:
    item = db.session.scalar(select(PlanItem).where(PlanItem.plan_id == plan.id, PlanItem.number == number))
    if item is None:
        raise NotFound(_l("The plan %(year)s has no item %(number)s.", year=plan.year, number=number))
    return item


def item_page(item: PlanItem, problems_only: bool = False) -> dict:
    """An item's instances by unit with their open tasks: the shape of views.activity_page, and the name of the
    process that runs it. For department staff, who see the whole city. `problems_only`: the overdue and those
    in error only. A carried item shows its carrier's instances that hold its tasks, each in the state of those
    tasks, and `carried`: the carrying item and the tasks' names."""
    carried = carriers.carried_of(item)
    if carried is not None:
        return _carried_page(item, carried, problems_only)
    instances = list(db.session.scalars(select(ProcessInstance).where(ProcessInstance.plan_item_id == item.id)))
    return {"item": item, "process_name": _process_name(item.process_id), "carried": None,
            **instance_table(instances, problems_only)}


def _process_name(bpmn_id: str) -> str:
    name = db.session.scalar(select(DeployedProcess.name).where(DeployedProcess.bpmn_id == bpmn_id)
                             .order_by(DeployedProcess.deployment_id.desc()).limit(1))
    return name or bpmn_id


def _carried_page(item: PlanItem, carried: dict, problems_only: bool) -> dict:
    carrier = item_by_number(item.plan, carried["item"])
    cells = {cell.instance_id: cell for (item_id, _unit), cell in carried_cells(item.plan, clock.now()).items()
             if item_id == item.id}
    instances = list(db.session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(cells))))
    table = instance_table(instances)
    table["states"] = {i: CELL_DONE if cell.state == DONE_LATE else cell.state for i, cell in cells.items()}
    if problems_only:
        table.update(problems_only=True, instances=[i for i in table["instances"]
                                                    if table["states"][i.id] in (CELL_OVERDUE, CELL_ERROR)])
    return {"item": item, "process_name": _process_name(carrier.process_id), **table,
            "carried": {"item": carrier, "tasks": [carriers.task_name(task) for task in carried["tasks"]]}}


def late_submissions(plan: Plan) -> list[tuple[PlanItem, ProcessInstance, str]]:
    """Every unit's work handed in late: (item, instance, unit name), by item and unit (№2 before №10)."""
    rows = list(db.session.execute(
        select(PlanItem, ProcessInstance, Unit.name).join(ProcessInstance, ProcessInstance.plan_item_id == PlanItem.id)
        .join(Unit, Unit.code == ProcessInstance.unit_code)
        .where(PlanItem.plan_id == plan.id, ProcessInstance.late_days > 0)).tuples())
    return sorted(rows, key=lambda row: (row[0].seq, natural_key(row[2]), row[1].id))


def copy_plan(plan: Plan, year: str, actor: str | None = None) -> Plan:
    """Next year's plan: this one copied with every date one year later (windows, calendar, school year), its
    items not started, in one transaction. The department then edits the calendar (exam dates change every
    year). The year must follow the source's ("2020/21" → "2021/22"); one that exists → ConflictError."""
    first = int(plan.year[:4]) + 1
    if year != f"{first}/{str(first + 1)[-2:]}":
        raise InvalidData({"year": [str(_l("The copy of the plan for %(year)s is for %(next)s.", year=plan.year,
                                           next=f"{first}/{str(first + 1)[-2:]}"))]})
    with store.transaction() as session:
        if session.scalar(select(Plan.id).where(Plan.year == year)) is not None:
            raise ConflictError(_l("The plan for %(year)s is open already."), year=year)
        source = session.get(Plan, plan.id)
        copy = Plan(year=year, title=_next_title(source.title, first - 1), status="open",
                    calendar={key: _shift_entry(value) for key, value in source.calendar.items()},
                    school_year_starts=_next_year(source.school_year_starts),
                    school_year_ends=_next_year(source.school_year_ends), source_sha=source.source_sha,
                    opened_by=actor, opened_at=clock.now())
        session.add(copy)
        session.flush()
        for item in source.items:
            windows = _stored(Window(_next_year(date.fromisoformat(a)), _next_year(date.fromisoformat(b)))
                              for a, b in item.windows)
            session.add(PlanItem(
                plan_id=copy.id, seq=item.seq, section=item.section, section_title=item.section_title,
                number=item.number, title=item.title, deadline_text=item.deadline_text, windows=windows,
                calendar_keys=list(item.calendar_keys), starts=item.starts and _next_year(item.starts),
                due=item.due and _next_year(item.due), executors_text=item.executors_text, roles=list(item.roles),
                lead_role=item.lead_role, scope=item.scope, process_id=item.process_id, params=dict(item.params),
                # the source's slips were settled in this year's windows; a date still missing is still missing
                anomalies=[a for a in item.anomalies if a["code"] == "calendar_date_missing"]))
        audit.record("plan_copy", actor, summary={"from": plan.year, "to": year})
    return copy


def _next_year(day: date) -> date:
    return day.replace(year=day.year + 1) if (day.month, day.day) != (2, 29) else date(day.year + 1, 2, 28)


def _shift_entry(value):
    if not isinstance(value, dict):
        return value
    return {key: (_next_year(date.fromisoformat(v)).isoformat() if key in ("date", "starts", "ends") and v else v)
            for key, v in value.items()}


def _next_title(title: str, first: int) -> str:
    for old, new in ((f"{first}/{first + 1}", f"{first + 1}/{first + 2}"),
                     (f"{first}/{str(first + 1)[-2:]}", f"{first + 1}/{str(first + 2)[-2:]}")):
        title = title.replace(old, new)
    return title
