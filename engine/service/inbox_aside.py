"""What the inbox page shows beside its list: the notifications, the saved filters and the filter bar's choices
(activities, units). Four small lists, read in one statement (a UNION ALL of four branches with one row shape),
because the inbox is the page the staff open most and each statement is a round trip and its Python.

The rules stay where they are: notifications addressed to a role held (engine.service.views), saved filters
visible to the user (engine.service.inbox), the units whose work the user may see (engine.access)."""
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import JSON, Integer, String, Text, cast, func, literal, null, select, union_all

from ..access.rules import visible_units
from ..db import UTCDateTime, db
from ..directory.naming import natural_key
from ..models import DeployedProcess, Notification, SavedFilter, Unit, User
from .inbox import saved_filter_condition
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
    branches = [_saved(user, held), _processes(), _units(user, held)]
    addressed = notification_filter(held)
    if addressed is not None:
        branches.insert(0, _notes(addressed))
    rows = db.session.execute(union_all(*[select(b.subquery()) for b in branches])).all()
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
                        f.unit_code, f.name, params=f.params)).where(saved_filter_condition(user, held))


def _processes():
    p = DeployedProcess
    return select(*_row("p", p.deployment_id, k=p.bpmn_id, v=p.name)).where(p.kind == "process")


def _units(user, held):
    query = select(*_row("u", 0, k=Unit.code, v=Unit.name)).where(Unit.kind.in_(("school", "ppe")))
    units = visible_units(user, held)
    return query if units is None else query.where(Unit.code.in_(units))
