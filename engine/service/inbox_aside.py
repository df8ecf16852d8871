"""What the inbox page shows beside its list: the notifications, the saved filters and the filter bar's choices
(activities, units). Four small lists, read in one statement (a UNION ALL of four branches with one row shape),
because the inbox is the page the staff open most and each statement is a round trip and its Python. And the
saved filters themselves: kept, shared with a unit or the department, deleted.

The rules stay where they are: notifications addressed to a role held (engine.service.views), saved filters
visible to the user (saved_filter_condition, below), the units whose work the user may see (engine.access)."""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, String, Text, and_, cast, func, literal, null, or_, select, union_all

from .. import clock, store
from ..access.denials import conceal, refuse
from ..access.rules import is_city_staff, memberships, visible_units
from ..db import UTCDateTime, db
from ..directory.naming import natural_key
from ..errors import EngineError, NotFound, PermissionDenied
from ..models import DeployedProcess, Notification, SavedFilter, Unit, User
from .views import notification_filter

NOTES_SHOWN = 20  # the latest notifications, as engine.notifications gives them


class Note(NamedTuple):
    """A Notification as the page reads it: a plain record, not an ORM object (a few dozen of those cost more
    than the statement)."""
    id: int
    created_at: datetime
    instance_id: int | None
    kind: str
    role: str | None
    unit_code: str | None
    text: str


class Filter(NamedTuple):
    """A SavedFilter as the page reads it."""
    id: int
    created_at: datetime
    owner_id: int
    scope: str
    unit_code: str | None
    name: str
    params: dict


@dataclass
class InboxAside:
    notes: list[Note]                 # newest first
    saved: list[Filter]               # by name
    processes: list[tuple[str, str]]  # (process id, the name of its latest version), by name
    units: list[tuple[str, str]]      # (code, name) of the schools and PPE the user may filter by, as people count


def inbox_aside(user: User, held: list) -> InboxAside:
    """`held`: the user's memberships (engine.access.memberships), read once for the whole page."""
    rows = db.session.execute(_statement(user, held)).all()
    rows.sort(key=lambda r: (r.kind, r.ord))
    aside = InboxAside([], [], [], [])
    names = {}
    for r in rows:
        if r.kind == "n":
            aside.notes.append(Note(r.id, r.at, r.ref, r.k, r.s, r.v, r.text))
        elif r.kind == "f":
            aside.saved.append(Filter(r.id, r.at, r.ref, r.k, r.s, r.v, r.params))
        elif r.kind == "p":
            names[r.k] = r.v or r.k  # in deployment order: the latest version's name wins
        else:
            aside.units.append((r.k, r.v))
    aside.processes = sorted(names.items(), key=lambda kv: kv[1])
    aside.units = list(_as_people_count(tuple(sorted(aside.units))))
    return aside


_BUILT: dict[tuple, object] = {}
_BUILT_MAX = 1024


def _statement(user, held):
    """The statement for this user and these memberships, built once per worker (as the list's, in
    engine.service.inbox): it holds no value that changes from request to request, and building it and its cache
    key cost about as much CPU as running it."""
    key = (current_app.config["PROCESSES_DIR"], user.id, user.active, tuple(held))
    found = _BUILT.get(key)
    if found is None:
        branches = [_saved(user, held), _processes(), _units(user, held)]
        addressed = notification_filter(held)
        if addressed is not None:
            branches.insert(0, _notes(addressed))
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.clear()
        found = _BUILT[key] = union_all(*[select(b.subquery()) for b in branches])
    return found


@lru_cache(maxsize=64)
def _as_people_count(units: tuple) -> tuple:
    """The units by name as people count them (№2 before №10): the same few lists every request, sorted once."""
    return tuple(sorted(units, key=lambda u: natural_key(u[1])))


def _row(kind, ord_, id_=None, ref=None, at=None, k=None, s=None, v=None, text=None, params=None):
    """One row shape for every branch, typed so that the union reads back the same on SQLite and PostgreSQL."""
    def typed(value, type_):
        if value is None:
            return cast(null(), type_)
        return literal(value, type_) if isinstance(value, (int, str)) else value
    return (typed(kind, String).label("kind"), typed(ord_, Integer).label("ord"), typed(id_, Integer).label("id"),
            typed(ref, Integer).label("ref"), typed(at, UTCDateTime).label("at"), typed(k, String).label("k"),
            typed(s, String).label("s"), typed(v, String).label("v"), typed(text, Text).label("text"),
            typed(params, JSON).label("params"))


def _notes(addressed):
    n = Notification
    return (select(*_row("n", -n.id, n.id, n.instance_id, n.created_at, n.kind, n.role, n.unit_code, n.text))
            .where(addressed).order_by(n.id.desc()).limit(NOTES_SHOWN))


def _saved(user, held):
    f = SavedFilter
    return select(*_row("f", func.row_number().over(order_by=f.name), f.id, f.owner_id, f.created_at, f.scope,
                        f.unit_code, f.name, params=f.params)).where(saved_filter_condition(user, held, "inbox"))


def _processes():
    p = DeployedProcess
    return select(*_row("p", p.deployment_id, k=p.bpmn_id, v=p.name)).where(p.kind == "process")


def _units(user, held):
    query = select(*_row("u", 0, k=Unit.code, v=Unit.name)).where(Unit.kind.in_(("school", "ppe")))
    units = visible_units(user, held)
    return query if units is None else query.where(Unit.code.in_(units))


SCOPES = ("private", "unit", "department")
PAGES = ("inbox", "instances")  # the lists whose filters are kept: the inbox, the instance list


def save_filter(user: User, name: str, scope: str, query, unit: str | None = None,
                page: str = "inbox") -> SavedFilter:
    """Keep a list's filter (an InboxQuery for `page` "inbox", an InstanceQuery for "instances") on the server,
    for oneself, for a unit's staff, or for the whole department."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise EngineError(_l("Name the filter (up to 200 characters)."))
    if scope not in SCOPES:
        raise EngineError(_l("Unknown sharing %(scope)s."), scope=scope)
    if page not in PAGES:
        raise EngineError(_l("Unknown list %(page)s."), page=page)
    held = memberships(user)
    if scope == "unit" and unit not in {h.unit for h in held if h.unit and h.deputy_for is None}:
        raise PermissionDenied(_l("A filter can be shared only with a unit you belong to."))
    if scope == "department" and not is_city_staff(user, [h for h in held if h.deputy_for is None]):
        raise PermissionDenied(_l("Only department staff can share a filter with the whole department."))
    with store.transaction():
        row = SavedFilter(name=name, owner_id=user.id, scope=scope, unit_code=unit if scope == "unit" else None,
                          params=query.params(), created_at=clock.now(), page=page)
        db.session.add(row)
    return row


def saved_filters(user: User, held: list | None = None, page: str = "inbox") -> list[SavedFilter]:
    """Mine, those shared with a unit I belong to, and those shared with the department (for its staff): the
    filters of one list (`page`)."""
    held = memberships(user) if held is None else held
    return list(db.session.scalars(select(SavedFilter).where(saved_filter_condition(user, held, page))
                                   .order_by(SavedFilter.name)))


def saved_filter_condition(user: User, held: list, page: str = "inbox"):
    """The saved filters of list `page` that `user` may use, as a condition on SavedFilter (the rule of
    saved_filters)."""
    units = sorted({h.unit for h in held if h.unit})
    visible = [SavedFilter.owner_id == user.id, and_(SavedFilter.scope == "unit", SavedFilter.unit_code.in_(units))]
    if is_city_staff(user, held):
        visible.append(SavedFilter.scope == "department")
    return and_(SavedFilter.page == page, or_(*visible))


def delete_filter(filter_id: int, user: User, page: str | None = None) -> None:
    """Delete a filter of one's own; `page`: only one of that list (another's is not found)."""
    row = db.session.get(SavedFilter, filter_id)
    if row is None:
        raise NotFound(_l("Filter %(id)s not found."), id=filter_id)
    if row.owner_id != user.id and row not in saved_filters(user, page=row.page):
        conceal(user, f"delete filter {filter_id}", NotFound(_l("Filter %(id)s not found."), id=filter_id))
    if row.owner_id != user.id:  # shared with her: she may use it, not delete it
        refuse(user, f"delete filter {filter_id}", message=_l("Only its author can delete a filter."))
    if page is not None and row.page != page:
        raise NotFound(_l("Filter %(id)s not found."), id=filter_id)
    with store.transaction():
        db.session.delete(db.session.get(SavedFilter, filter_id))
