"""The instance list: every instance a person may see, across processes or of one, filtered (status, process and
version, unit, plan item, start and end dates, the projected business variables of engine.service.
instance_conditions), sorted and paged in SQL. A supervisor finds the errored and the stalled here; batch actions
(engine.service.batch) act on what a filter finds (matching_ids).

Visibility is engine.access's, as the activities page reads it (visible_units, instance_filter): a row the user
may not open is never listed, counted or exported."""
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import case, func, select

from .. import clock
from ..access.rules import instance_filter, visible_units
from ..db import db
from ..directory.naming import natural_key, unit_names
from ..models import DeployedProcess, HumanTask, Plan, PlanItem, ProcessInstance, Unit, User
from ..models.instance import InstanceStatus
from .instance_conditions import Condition, parse_conditions, unknown_variables
from .query_params import FilterParams

# InstanceStatus's values, in the order the page offers them (and sorts by status)
STATUSES = ("running", "waiting", "error", "stalled", "suspended", "completed", "cancelled")
OPEN = "open"          # any status but completed and cancelled
PROBLEMS = "problems"  # error or stalled: what a supervisor looks for first
STATUS_FILTERS = (*STATUSES, OPEN, PROBLEMS)
SORTS = ("started", "-started", "updated", "-updated", "ended", "-ended", "unit", "-unit", "process", "-process",
         "status", "-status", "late_days", "-late_days", "id", "-id")


@dataclass
class InstanceQuery(FilterParams):
    status: str | None = None      # one of STATUS_FILTERS
    process: str | None = None     # the process id (BPMN id)
    version: int | None = None     # the deployment id
    unit: str | None = None        # the unit code
    plan_item: int | None = None   # the plan item's id
    started_from: date | None = None
    started_to: date | None = None
    ended_from: date | None = None
    ended_to: date | None = None
    where: str | None = None       # conditions on business variables (engine.service.instance_conditions)
    sort: str = "-started"
    page: int = 1
    per_page: int = 50

    TEXT_LIMITS = {"where": 500}

    @classmethod
    def allowed(cls) -> dict[str, tuple]:
        return {"status": (None, *STATUS_FILTERS), "sort": SORTS}


class InstanceRow(NamedTuple):
    instance: ProcessInstance  # without its state (deferred)
    unit_name: str | None
    open_tasks: int            # READY human tasks
    plan_item: str | None = None  # the number of the plan item it runs for («3.31»)


@dataclass
class InstanceListPage:
    rows: list[InstanceRow]
    total: int
    query: InstanceQuery
    conditions: list[Condition] = field(default_factory=list)  # the business-variable conditions applied
    problems: list[str] = field(default_factory=list)          # the parts of `where` not understood, in words
    unknown: list[str] = field(default_factory=list)  # when nothing is found: the variables no instance has

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))

    @property
    def has_next(self) -> bool:
        return self.query.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.query.page > 1


def instance_list(user: User, query: InstanceQuery | None = None) -> InstanceListPage:
    """One page of the instances `user` may see that match `query`, with their total. A page past the last one
    shows the last. Four statements: the count, the page, its units' names, its open tasks' counts."""
    query = query or InstanceQuery()
    where, conditions, problems = _where(user, query)
    total = 0 if where is None else db.session.scalar(select(func.count()).select_from(ProcessInstance).where(*where))
    page = InstanceListPage([], total, query, conditions, problems,
                            unknown_variables(conditions) if not total else [])
    query.page = min(query.page, page.pages)
    if total:
        page.rows = _rows(where, query, query.per_page, (query.page - 1) * query.per_page)
    return page


def matching_ids(user: User, query: InstanceQuery, limit: int | None = None) -> list[int]:
    """Every instance `user` may see that `query` finds (all pages), in the list's order; at most `limit`."""
    where, _conditions, _problems = _where(user, query)
    if where is None:
        return []
    statement = _ordered(select(ProcessInstance.id).where(*where), query)
    return list(db.session.scalars(statement.limit(limit) if limit is not None else statement))


def matching_rows(user: User, query: InstanceQuery, limit: int) -> InstanceListPage:
    """All the instances the filter finds (for an export), at most `limit`, as rows of one page; `total` says how
    many there are in all."""
    where, conditions, problems = _where(user, query)
    if where is None:
        return InstanceListPage([], 0, query, conditions, problems)
    total = db.session.scalar(select(func.count()).select_from(ProcessInstance).where(*where))
    return InstanceListPage(_rows(where, query, limit, 0) if total else [], total, query, conditions, problems)


@dataclass
class InstanceFacets:
    """The filter form's choices."""
    processes: list[tuple[str, str]]  # (process id, the name of its latest version), by name
    versions: list[int]               # the chosen process's deployment ids, newest first
    units: list[tuple[str, str]]      # (code, name) of the units the user may see, in natural order
    plan_items: list[tuple[int, str]] = field(default_factory=list)  # (id, "3.32 title"), the plans in order


def instance_facets(user: User, process: str | None = None) -> InstanceFacets:
    """The filter form's choices for `user`; `process`: the process whose versions are offered."""
    names, versions = {}, []
    for bpmn_id, name, deployment_id in db.session.execute(
            select(DeployedProcess.bpmn_id, DeployedProcess.name, DeployedProcess.deployment_id)
            .where(DeployedProcess.kind == "process").order_by(DeployedProcess.deployment_id)):
        names[bpmn_id] = name or bpmn_id  # in deployment order: the latest version's name wins
        if bpmn_id == process:
            versions.insert(0, deployment_id)
    units = visible_units(user)
    statement = select(Unit.code, Unit.name)
    if units is not None:
        statement = statement.where(Unit.code.in_(units))
    return InstanceFacets(sorted(names.items(), key=lambda kv: natural_key(kv[1])), versions,
                          sorted(db.session.execute(statement).tuples(), key=lambda u: natural_key(u[1])),
                          _plan_items())


def _plan_items() -> list[tuple[int, str]]:
    """The plan items as people name them (number and title), the latest plan's first; the school year is named
    only when there are several plans, whose numbers repeat."""
    rows = db.session.execute(select(PlanItem.id, PlanItem.number, PlanItem.title, Plan.year)
                              .join(Plan, Plan.id == PlanItem.plan_id)
                              .order_by(Plan.school_year_starts.desc(), PlanItem.seq)).tuples().all()
    several = len({year for *_rest, year in rows}) > 1
    return [(item_id, f"{number} {(title or '').splitlines()[0] if title else ''}".strip()
             + (f" ({year})" if several else "")) for item_id, number, title, year in rows]


def _where(user: User, query: InstanceQuery):
    """(the conditions on ProcessInstance, or None when the user may see nothing; the business-variable
    conditions read; the problems with those not read)."""
    conditions, problems = parse_conditions(query.where)
    if not user.active:
        return None, conditions, problems
    pi = ProcessInstance
    where = [condition.clause() for condition in conditions]
    units = visible_units(user)
    if units is not None:
        if not units:
            return None, conditions, problems
        where.append(instance_filter(units))
    if query.status == OPEN:
        where.append(pi.status.not_in(InstanceStatus.FINAL))
    elif query.status == PROBLEMS:
        where.append(pi.status.in_((InstanceStatus.ERROR, InstanceStatus.STALLED)))
    elif query.status:
        where.append(pi.status == query.status)
    for column, value in ((pi.process_id, query.process), (pi.deployment_id, query.version),
                          (pi.unit_code, query.unit), (pi.plan_item_id, query.plan_item)):
        if value is not None:
            where.append(column == value)
    for column, since, until in ((pi.created_at, query.started_from, query.started_to),
                                 (pi.completed_at, query.ended_from, query.ended_to)):
        if since is not None:
            where.append(column >= clock.day_start(since))
        if until is not None:  # the whole of the last day
            where.append(column < clock.day_start(until + timedelta(days=1)))
    return where, conditions, problems


def _ordered(statement, query: InstanceQuery):
    """The list's order: the chosen column, then the id, so that pages neither repeat nor skip a row."""
    pi = ProcessInstance
    name = query.sort.lstrip("-")
    descending = query.sort.startswith("-")
    if name == "unit":
        key = _unit_rank()
    elif name == "status":
        key = case({status: rank for rank, status in enumerate(STATUSES)}, value=pi.status, else_=len(STATUSES))
    else:
        key = {"started": pi.created_at, "updated": pi.updated_at, "ended": pi.completed_at,
               "process": pi.process_name, "late_days": pi.late_days, "id": pi.id}[name]
    if name == "id":
        return statement.order_by(key.desc() if descending else key)
    if name == "started":  # never NULL: plain order, which ix_process_instance_created serves a page at a time
        return statement.order_by(key.desc(), pi.id.desc()) if descending else statement.order_by(key, pi.id)
    # those without a value (not ended, never late) come last either way
    return statement.order_by(key.desc().nulls_last() if descending else key.asc().nulls_last(),
                              pi.id.desc() if descending else pi.id)


def _unit_rank():
    """The instance's unit's place in the natural order of the units' names (№2 before №10): SQL sorts text
    character by character."""
    units = sorted(db.session.execute(select(Unit.code, Unit.name)).tuples(), key=lambda u: natural_key(u[1]))
    if not units:
        return ProcessInstance.unit_code
    return case({code: rank for rank, (code, _name) in enumerate(units)}, value=ProcessInstance.unit_code,
                else_=len(units))


def _rows(where, query: InstanceQuery, limit: int, offset: int) -> list[InstanceRow]:
    """The page's instances, then their units' names and their open tasks' counts for those ids only: joined
    before the LIMIT, they would be read for every match."""
    found = list(db.session.scalars(_ordered(select(ProcessInstance).where(*where), query).limit(limit)
                                    .offset(offset)))
    ids = [instance.id for instance in found]
    counts = {}
    for start in range(0, len(ids), 1000):  # an export's ids, a thousand a statement
        chunk = ids[start:start + 1000]
        counts.update(db.session.execute(
            select(HumanTask.instance_id, func.count()).where(HumanTask.instance_id.in_(chunk),
                                                              HumanTask.state == "READY")
            .group_by(HumanTask.instance_id)).tuples().all())
    names = unit_names({instance.unit_code for instance in found})
    item_ids = {instance.plan_item_id for instance in found if instance.plan_item_id}
    numbers = dict(db.session.execute(select(PlanItem.id, PlanItem.number).where(PlanItem.id.in_(item_ids)))
                   .tuples().all()) if item_ids else {}
    return [InstanceRow(instance, names.get(instance.unit_code), counts.get(instance.id, 0),
                        numbers.get(instance.plan_item_id)) for instance in found]
