"""Who a human task is offered to, who may act on it, and who may see what. The one place that decides: the
inbox, the task page, the REST API and the CLI all ask here.

A task is offered to a (role, unit) pair. The role comes from the task's `role` property or its lane (see
engine.roles); the unit from the task's `unit` property (an expression over the task data, e.g.
`gia_unit['host']` for the school hosting a PPE) or else from the instance. City-wide roles (department staff)
act for every unit. A user who is away names a deputy: during the absence the deputy holds the absent user's
memberships too (never the administrator's), so what is offered to one reaches the other.
"""
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Integer, and_, bindparam, cast, event, false, null, or_, select, true, union_all
from sqlalchemy.orm import Session

from .. import clock, roles
from ..db import db
from ..models import Absence, HumanTask, Membership, ProcessInstance, Unit, User

_PERSONAL_ROLES = (roles.ADMIN, roles.DESIGNER, roles.OPERATOR)  # rights that are not handed to a deputy


class Held(NamedTuple):
    role: str
    unit: str | None
    deputy_for: int | None = None  # the absent user's id when held as their deputy


def memberships(user: User, on: date | None = None) -> list[Held]:
    """The user's memberships, and those of users who are away `on` that day (default today) with `user` as
    their deputy. Read once per database transaction (a request asks at every check: the page, the guards, the
    step), and read again after anything in it writes a membership, an absence, a user or a unit."""
    on = on or clock.now().astimezone(clock.local_zone()).date()
    cache = clock.per_transaction(_HELD)
    key = (user.id, on)
    if key not in cache:
        rows = db.session.execute(_memberships_query(), {"user": user.id, "on": on}).all()
        own = [Held(role, unit) for role, unit, absent in rows if absent is None]
        cache[key] = own + [Held(role, unit, absent) for role, unit, absent in rows if absent is not None]
    return list(cache[key])


_HELD = "gia_memberships"  # session.info: memberships read in the current transaction, by (user id, day)


@lru_cache(maxsize=None)
def _memberships_query():
    """One statement for both parts (built once): the user's own memberships, and those held as a deputy."""
    own = (select(Membership.role, Unit.code, cast(null(), Integer).label("deputy_for"))
           .outerjoin(Unit, Membership.unit_id == Unit.id).where(Membership.user_id == bindparam("user")))
    deputized = (select(Membership.role, Unit.code, Absence.user_id)
                 .join(Absence, Absence.user_id == Membership.user_id).outerjoin(Unit, Membership.unit_id == Unit.id)
                 .join(User, User.id == Absence.user_id)
                 .where(Absence.deputy_id == bindparam("user"), Absence.starts_on <= bindparam("on"),
                        Absence.ends_on >= bindparam("on"), Membership.role.notin_(_PERSONAL_ROLES)))
    return union_all(own, deputized)


@event.listens_for(Session, "after_flush")
def _forget_memberships(session, _context):
    """What this transaction wrote about people invalidates the memberships it read."""
    if _HELD in session.info and any(isinstance(obj, (Membership, Absence, User, Unit))
                                     for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(_HELD, None)


def _held(user, held):
    return memberships(user) if held is None else held


def is_admin(user: User, held: list | None = None) -> bool:
    """`held`: the user's memberships when the caller has just read them (saves the query)."""
    return any(h.role == roles.ADMIN and h.deputy_for is None for h in _held(user, held))


def may_repair(user: User, held: list | None = None) -> bool:
    """Whether `user` may repair instances (retry, suspend, resume, cancel, skip, go back, batch actions, edit a
    suspended instance's data): an operator or an administrator, by her own membership, never as a deputy."""
    return user.active and any(h.role in (roles.ADMIN, roles.OPERATOR) and h.deputy_for is None
                               for h in _held(user, held))


def may_design(user: User, held: list | None = None) -> bool:
    """Whether `user` may deploy process versions (the API's POST /definitions, later the modeller): a designer or
    an administrator, by her own membership, never as a deputy (a deputy stands in for tasks, not for releases)."""
    return user.active and any(h.role in (roles.ADMIN, roles.DESIGNER) and h.deputy_for is None
                               for h in _held(user, held))


def is_city_staff(user: User, held: list | None = None) -> bool:
    return any(roles.is_city_wide(h.role) for h in _held(user, held))


def offered_to(user: User, task: HumanTask, held: list | None = None) -> bool:
    """Whether `task` is offered to `user` by role and unit (claims aside)."""
    if not user.active:
        return False
    held = _held(user, held)
    if task.role is None:
        return task.unit_code is None or any(h.unit == task.unit_code for h in held)
    return any(h.role == task.role and (roles.is_city_wide(h.role) or task.unit_code is None
                                        or h.unit == task.unit_code) for h in held)


def offered_users(role: str | None, unit_code: str | None, on: date | None = None) -> list[User]:
    """The active users something addressed to (`role`, `unit_code`) is offered to, the rule of `offered_to`
    read the other way: holders of the role in the unit (of a city-wide role, or with no unit: anywhere), and
    the deputies of those of them who are away `on` that day (default today). No role: anyone of the unit."""
    shape, params = offer_shape(role, unit_code, on)
    return list(db.session.scalars(select(User).where(User.id.in_(offered_ids(shape))).order_by(User.id), params))


def offer_shape(role: str | None, unit_code: str | None, on: date | None = None) -> tuple[str, dict]:
    """Which `offered_ids` statement answers for (`role`, `unit_code`), and its parameters."""
    on = on or clock.now().astimezone(clock.local_zone()).date()
    if role is None:
        shape = "anyone" if unit_code is None else "unit"
    else:
        shape = "role" if roles.is_city_wide(role) or unit_code is None else "role_in_unit"
    return shape, {"role": role, "unit": unit_code, "on": on}


@lru_cache(maxsize=None)
def offered_ids(shape: str):
    """SELECT of the ids of the active users offered what is addressed to a role and unit of that `shape`, with
    the bound parameters role, unit and on (see `offer_shape`). Built once per shape: this runs at every step
    that offers a task (engine.mail), where building and caching a statement would cost more than running it."""
    match = {"anyone": true(), "unit": Unit.code == bindparam("unit"), "role": Membership.role == bindparam("role"),
             "role_in_unit": and_(Membership.role == bindparam("role"), Unit.code == bindparam("unit"))}[shape]
    holders = (select(User.id) if shape == "anyone" else
               select(Membership.user_id).outerjoin(Unit, Membership.unit_id == Unit.id).where(match))
    deputies = (select(Absence.deputy_id).join(Membership, Membership.user_id == Absence.user_id)
                .outerjoin(Unit, Membership.unit_id == Unit.id)
                .where(match, Absence.starts_on <= bindparam("on"), Absence.ends_on >= bindparam("on"),
                       Membership.role.notin_(_PERSONAL_ROLES)))
    return select(User.id).where(User.active.is_(True), or_(User.id.in_(holders), User.id.in_(deputies)))


def may_act(user: User, task: HumanTask, held: list | None = None) -> bool:
    if not user.active:
        return False
    held = _held(user, held)
    if is_admin(user, held):
        return True
    if task.assignee_id is not None and task.assignee_id != user.id:
        return False
    return offered_to(user, task, held)


def offer_parts(user: User, held: list | None = None) -> tuple[list, list[str]]:
    """The rule of `offered_to` in SQL, in two parts: conditions on HumanTask for the unit-bound offers (a few
    units' tasks) and the city-wide roles held (each offered that role's tasks across the city). The inbox queries
    the parts separately, because one OR of both cannot use an index well."""
    if not user.active:
        return [false()], []
    held = _held(user, held)
    units = sorted({h.unit for h in held if h.unit})
    local = [and_(HumanTask.role.is_(None), or_(HumanTask.unit_code.is_(None), HumanTask.unit_code.in_(units)))]
    for role in sorted({h.role for h in held if not roles.is_city_wide(h.role)}):
        role_units = sorted({h.unit for h in held if h.role == role and h.unit})
        local.append(and_(HumanTask.role == role,
                          or_(HumanTask.unit_code.is_(None), HumanTask.unit_code.in_(role_units))))
    return local, sorted({h.role for h in held if roles.is_city_wide(h.role)})


def offered_filter(user: User, held: list | None = None):
    """A SQL condition on HumanTask selecting the tasks offered to `user` (the same rule as `offered_to`)."""
    local, city = offer_parts(user, held)
    return or_(*local, *([HumanTask.role.in_(city)] if city else []))


def visible_filter(user: User, held: list | None = None):
    """A SQL condition on HumanTask for the tasks `user` may see: offered to them, claimed by them, or anything
    when they are department staff."""
    held = _held(user, held)
    if not user.active:
        return false()
    if is_city_staff(user, held) or is_admin(user, held):
        return HumanTask.id.isnot(None)
    return or_(offered_filter(user, held), HumanTask.assignee_id == user.id)


def can_view_instance(user: User, instance, held: list | None = None) -> bool:
    """The whole instance (its data, every task, the trail, its tables): department staff see the city; a
    school's or PPE's staff see the instances of their unit, and those of the PPE their school hosts where a task
    is offered to the school (the host's fix task in a PPE check). A task offered to their unit inside the
    department's instance (a school's list in a city-wide collection) does not open the rest of it, where the
    other schools' answers are: see can_view_task."""
    if not user.active:
        return False
    units = visible_units(user, _held(user, held))
    if units is None or instance.unit_code in units:
        return True
    if not units or db.session.scalar(_hosted(units).where(Unit.code == instance.unit_code)) is None:
        return False
    return db.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance.id,
                                                        HumanTask.unit_code.in_(units)).limit(1)) is not None


def _hosted(units):
    """The codes of the PPE hosted by `units` (a query)."""
    host = Unit.__table__.alias("host")
    return select(Unit.code).join(host, Unit.host_id == host.c.id).where(host.c.code.in_(units))


def instance_filter(units: set[str]):
    """can_view_instance for a unit's staff as a condition on ProcessInstance (lists and counts)."""
    hosted = _hosted(units)
    via_task = select(HumanTask.instance_id).where(HumanTask.unit_code.in_(units))
    return or_(ProcessInstance.unit_code.in_(units),
               and_(ProcessInstance.unit_code.in_(hosted), ProcessInstance.id.in_(via_task)))


def can_view_task(user: User, task: HumanTask, instance, held: list | None = None) -> bool:
    """A task: offered to the user or claimed by her, of her unit (a colleague's work), or in an instance she
    may see as a whole."""
    held = _held(user, held)
    if not user.active:
        return False
    if offered_to(user, task, held) or task.assignee_id == user.id:
        return True
    units = visible_units(user, held)
    return (units is None or task.unit_code in units
            or (instance is not None and can_view_instance(user, instance, held)))


def visible_units(user: User, held: list | None = None) -> set[str] | None:
    """The units whose instances `user` may list; None means all (department staff)."""
    held = _held(user, held)
    if is_city_staff(user, held) or is_admin(user, held):
        return None
    return {h.unit for h in held if h.unit}
