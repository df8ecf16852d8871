"""The inbox: which tasks a person sees (tabs, filters, sorting, paging). What they do around a task besides
completing it is engine.service.task_actions. Visibility comes from engine.access only."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import Integer, String, and_, bindparam, func, or_, select, union_all
from sqlalchemy.orm import joinedload

from .. import clock
from ..access.rules import memberships, offer_parts
from ..db import UTCDateTime, db
from ..models import HumanTask, ProcessInstance, TaskSnooze, Unit, User
from ..models.human_task import TaskStatus
from ..models.instance import InstanceStatus
from .query_params import FilterParams

TABS = ("mine", "group", "available")
SORTS = ("due", "-due", "created", "-created", "name", "unit")
COUNT_CAP = 1_000  # "1000+": counting further only slows the page down


@dataclass
class InboxQuery(FilterParams):
    tab: str = "available"         # mine: claimed by me; group: offered to me, unclaimed; available: all I may do
    process_id: str | None = None  # the activity
    unit: str | None = None        # the school or PPE the task is for
    overdue: bool = False
    due_from: date | None = None
    due_to: date | None = None
    text: str | None = None
    snoozed: bool = False          # show the tasks I snoozed instead of hiding them
    sort: str = "due"
    page: int = 1
    per_page: int = 50

    TEXT_LIMITS = {"text": 200}

    @classmethod
    def allowed(cls) -> dict[str, tuple]:
        return {"tab": TABS, "sort": SORTS}


@dataclass
class InboxPage:
    items: list[HumanTask]
    total: int
    total_capped: bool
    query: InboxQuery
    snoozed_until: dict[str, datetime] = field(default_factory=dict)
    unit_names: dict[str, str] = field(default_factory=dict)  # the page's units: every row names its unit
    counts: dict[str, int] | None = None  # the three tabs' counts, when asked for with the page

    def unit_name(self, task: HumanTask) -> str | None:
        """The name of the unit a task is for: the unit stored with the task (the one the unit filter matches),
        not a column a diagram may or may not give."""
        return self.unit_names.get(task.unit_code, task.unit_code) if task.unit_code else None

    def details(self, task: HumanTask) -> dict:
        """The diagram's business columns of a task (the plan item, the period, the exam), less those that only
        repeat its unit's name, which the page shows anyway."""
        unit = self.unit_name(task)
        return {key: value for key, value in (task.columns or {}).items()
                if value not in (None, "") and value != unit}

    @property
    def has_next(self) -> bool:
        return self.query.page * self.query.per_page < self.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def inbox(user: User, query: InboxQuery | None = None, held: list | None = None,
          with_counts: bool = False) -> InboxPage:
    """One page of the tasks `user` may see, by tab and filters, with the total (capped at COUNT_CAP), and with
    `with_counts` the tabs' counts (those of inbox_counts) in the same statement.

    The offer rule has two parts (engine.access.rules.offer_parts): the tasks of the user's own units, a bounded
    set, and for each city-wide role held, that role's tasks across the city. Each part is a branch ordered and
    limited on its own (a city-wide role's branch is read in page order from ix_human_task_role_due), and the
    branches are merged: a page costs about its own rows, whatever the size of the city and of its history.
    The page, its total, its tasks (with their assignees and units' names) and the tabs' counts come in one
    statement: the page the staff open most costs one round trip to the database."""
    query = query or InboxQuery()
    now = clock.now()
    held = memberships(user, on=now.astimezone(clock.local_zone()).date()) if held is None else held
    built = _built(user, held, query, with_counts)
    params = _params(query, now)
    if built.statement is None:
        return InboxPage([], 0, False, query, counts=_capped(db.session.execute(select(*built.counts), params)
                                                             .one()) if with_counts else None)
    rows = db.session.execute(built.statement, params).all()
    items = [row[0] for row in rows]
    if rows:
        count, tabs = rows[0][2], rows[0][3:3 + len(built.counts)]
    else:  # no task at all, or a page past the last one: what the rows would have brought needs a statement
        wanted = ([built.total] if query.page > 1 else []) + built.counts
        tabs = list(db.session.execute(select(*wanted), params).one()) if wanted else []
        count = tabs.pop(0) if query.page > 1 else 0
    until = {row[0].id: row[-1] for row in rows if row[-1] is not None} if query.snoozed else {}
    return InboxPage(items, min(count, COUNT_CAP), count > COUNT_CAP, query, until,
                     {row[0].unit_code: row[1] for row in rows if row[1] is not None},
                     _capped(tabs) if with_counts else None)


def inbox_counts(user: User, held: list | None = None) -> dict[str, int]:
    """How many tasks each tab holds (capped at COUNT_CAP), without loading any, in one statement."""
    now = clock.now()
    held = memberships(user, on=now.astimezone(clock.local_zone()).date()) if held is None else held
    key = (current_app.config["PROCESSES_DIR"], user.id, user.active, tuple(held), "counts")
    statement = _cached(key, lambda: select(*_tab_counts(user, held, _Aside(user))))
    return _capped(db.session.execute(statement, {"now": now}).one())


class _Built(NamedTuple):
    statement: object  # the page with its total and the tabs' counts; None when nothing is offered
    total: object
    counts: list


_BUILT: dict[tuple, object] = {}
_BUILT_MAX = 1024


def _cached(key, build):
    found = _BUILT.get(key)
    if found is None:
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.clear()
        found = _BUILT[key] = build()
    return found


def _built(user, held, query, with_counts) -> _Built:
    """The page's statement for this user and this shape of query, built once per worker: building it and
    computing its cache key cost more CPU than running it (a third of engine.inbox). What changes from request to
    request (the time, the filters' values, the page) is bound as parameters (_params); the key holds everything
    the statement is built from."""
    key = (current_app.config["PROCESSES_DIR"], user.id, user.active, tuple(held), query.tab, query.sort,
           bool(query.snoozed), bool(query.overdue), *(bool(getattr(query, name)) for name in _VALUES), with_counts)
    return _cached(key, lambda: _build(user, held, query, with_counts))


_VALUES = ("process_id", "unit", "due_from", "due_to", "text")


def _params(query, now) -> dict:
    end = query.page * query.per_page
    params = {"now": now, "end": end, "skip": end - query.per_page, "per_page": query.per_page}
    if query.process_id:
        params["process_id"] = query.process_id
    if query.unit:
        params["unit"] = query.unit
    if query.due_from:
        params["due_from"] = clock.day_start(query.due_from)
    if query.due_to:
        params["due_to"] = clock.day_start(query.due_to + timedelta(days=1))
    if query.text:
        params["text"] = f"%{_escape_like(query.text)}%"
    return params


def _build(user, held, query, with_counts) -> _Built:
    aside = _Aside(user)
    counts = _tab_counts(user, held, aside) if with_counts else []
    branches = _branches(user, held, query.tab)
    if not branches:
        return _Built(None, None, counts)
    common = _filters(query, aside)
    table = HumanTask.__table__
    keys = (table.c.id, table.c.due_at, table.c.created_at, table.c.name, table.c.unit_code)
    ranked = _merge([select(*keys).where(*common, condition).order_by(*_order(table.c, query.sort, bounded))
                     .limit(bindparam("end", type_=Integer)) for condition, bounded in branches]).subquery("inbox")
    page = (select(ranked).order_by(*_order(ranked.c, query.sort)).offset(bindparam("skip", type_=Integer))
            .limit(bindparam("per_page", type_=Integer)).subquery("page"))
    total = _counted(branches, common, in_index_order=not (query.process_id or query.text))
    statement = (select(HumanTask, Unit.name, total, *counts).join(page, page.c.id == HumanTask.id)
                 .outerjoin(Unit, Unit.code == HumanTask.unit_code))
    if query.snoozed:
        statement = statement.add_columns(TaskSnooze.until).outerjoin(TaskSnooze, and_(
            TaskSnooze.task_id == HumanTask.id, TaskSnooze.user_id == user.id, TaskSnooze.until > aside.now))
    return _Built(statement.options(joinedload(HumanTask.assignee)).order_by(*_order(page.c, query.sort)),
                  total, counts)


def _tab_counts(user, held, aside) -> list:
    """Each tab's count as a scalar subquery (TABS' order)."""
    common = _filters(InboxQuery(), aside)
    return [_counted(_branches(user, held, tab), common) for tab in TABS]


class _Aside:
    """The two small sets every branch of the statement leaves out: the instances that are suspended or failed
    (their READY tasks must not show) and the tasks the user has snoozed. Each is a CTE, read once per statement
    and tested as `NOT IN`, which PostgreSQL answers from a hash built once per branch. Tested as `NOT EXISTS`
    per task (as before), each counted task cost an index probe into process_instance and one into task_snooze:
    three quarters of the buffers a department specialist's page read (bench/inbox.py --explain)."""

    def __init__(self, user):
        self.now = bindparam("now", type_=UTCDateTime)
        self.hidden = (select(ProcessInstance.id).where(
            ProcessInstance.status.in_((InstanceStatus.SUSPENDED, InstanceStatus.ERROR))).cte("hidden"))
        self.snoozed = (select(TaskSnooze.task_id).where(TaskSnooze.user_id == user.id,
                                                         TaskSnooze.until > self.now).cte("snoozed"))


def _capped(counts) -> dict[str, int]:
    return {tab: min(n, COUNT_CAP) for tab, n in zip(TABS, counts)}


def _branches(user, held, tab) -> list[tuple]:
    """(condition, bounded) per branch: `bounded` marks the unit-bound branch, a small set better sorted than
    read in index order."""
    local, city = offer_parts(user, held)
    if tab == "mine":
        return [(HumanTask.assignee_id == user.id, True)]
    if tab == "group":
        return ([(and_(HumanTask.assignee_id.is_(None), or_(*local)), True)]
                + [(and_(HumanTask.assignee_id.is_(None), HumanTask.role == role), False) for role in city])
    mine = HumanTask.assignee_id == user.id
    if city:  # my claimed tasks of a city-wide role come with that role's branch
        mine = and_(mine, or_(HumanTask.role.is_(None), HumanTask.role.notin_(city)))
    return [(or_(*local, mine), True)] + [(HumanTask.role == role, False) for role in city]


def _filters(query, aside) -> list:
    """The conditions every branch shares; the values come as parameters (_params), so the statement is the same
    for every value."""
    conditions = [HumanTask.state == TaskStatus.READY,
                  # completed and cancelled instances hold no READY task; suspended and failed ones do
                  HumanTask.instance_id.not_in(select(aside.hidden.c.id))]
    if query.process_id:
        conditions.append(HumanTask.process_id == bindparam("process_id"))
    if query.unit:
        conditions.append(HumanTask.unit_code == bindparam("unit"))
    if query.overdue:
        conditions.append(HumanTask.due_at < aside.now)
    if query.due_from:
        conditions.append(HumanTask.due_at >= bindparam("due_from", type_=UTCDateTime))
    if query.due_to:
        conditions.append(HumanTask.due_at < bindparam("due_to", type_=UTCDateTime))
    if query.text:
        conditions.append(HumanTask.name.ilike(bindparam("text", type_=String), escape="\\"))
    snoozed = select(aside.snoozed.c.task_id)
    conditions.append(HumanTask.id.in_(snoozed) if query.snoozed else HumanTask.id.not_in(snoozed))
    return conditions


def _order(c, sort: str, bounded: bool = False) -> tuple:
    """ORDER BY for `sort` over columns `c`. For a bounded branch the due date is wrapped in an expression no index
    yields in order, so that PostgreSQL fetches the branch's few rows and sorts them rather than walking a due-date
    index over the whole table, hoping to meet the branch's rows early."""
    due = func.coalesce(c.due_at, c.due_at) if bounded else c.due_at
    return {"due": (due.asc().nulls_last(), c.id), "-due": (due.desc().nulls_last(), c.id),
            "created": (c.created_at.asc(), c.id), "-created": (c.created_at.desc(), c.id),
            "name": (c.name.asc(), c.id), "unit": (c.unit_code.asc().nulls_last(), due.asc().nulls_last(), c.id)}[sort]


def _merge(selects):
    return selects[0] if len(selects) == 1 else union_all(*[select(s.subquery()) for s in selects])


def _counted(branches, common, in_index_order: bool = True):
    """The number of tasks in the branches, counted up to COUNT_CAP + 1 (the branches do not overlap), as a
    scalar subquery. `in_index_order`: read a city-wide role's branch in the order of ix_human_task_role_due,
    where it stops at the cap (without an order PostgreSQL is apt to scan the table, completed tasks included,
    until it has met COUNT_CAP + 1 of the role's open tasks); not when a filter the index does not hold (the
    activity, the text) leaves few of the role's tasks: reading them in that order would then cost more."""
    table = HumanTask.__table__
    ids = _merge([select(table.c.id).where(*common, condition)
                  .order_by(*(_order(table.c, "due") if in_index_order and not bounded else ()))
                  .limit(COUNT_CAP + 1) for condition, bounded in branches]).subquery("inbox")
    return select(func.count()).select_from(select(ids.c.id).limit(COUNT_CAP + 1).subquery()).scalar_subquery()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
