"""Who a human task is offered to, and who may act on it.

A task is offered to a (role, unit) pair. The role comes from the task's `role` property or its lane (see
engine.roles); the unit from the task's `unit` property (an expression over the task data, e.g.
`gia_unit['host']` for the school hosting a PPE) or else from the instance. City-wide roles (department staff)
act for every unit. This module is the one place that decides; the inbox, the task page and the API ask it.
"""
from sqlalchemy import and_, false, or_, select

from . import roles
from .db import db
from .models import HumanTask, Membership, Unit, User


def task_properties(task_spec) -> dict:
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def role_of(task_spec) -> str | None:
    explicit = task_properties(task_spec).get("role")
    return roles.canonical(explicit or task_spec.lane)


def memberships(user: User) -> list[tuple[str, str | None]]:
    rows = db.session.execute(
        select(Membership.role, Unit.code).outerjoin(Unit, Membership.unit_id == Unit.id)
        .where(Membership.user_id == user.id)).all()
    return [(role, code) for role, code in rows]


def is_admin(user: User, held: list | None = None) -> bool:
    """`held`: the user's memberships when the caller has just read them (saves the query)."""
    return any(role == roles.ADMIN for role, _ in (memberships(user) if held is None else held))


def offered_to(user: User, task: HumanTask, held: list | None = None) -> bool:
    """Whether `task` is offered to `user` by role and unit (claims aside)."""
    if not user.active:
        return False
    held = memberships(user) if held is None else held
    if task.role is None:
        return task.unit_code is None or any(unit == task.unit_code for _, unit in held)
    for role, unit in held:
        if role == task.role and (roles.is_city_wide(role) or task.unit_code is None or unit == task.unit_code):
            return True
    return False


def may_act(user: User, task: HumanTask, held: list | None = None) -> bool:
    if not user.active:
        return False
    held = memberships(user) if held is None else held
    if is_admin(user, held):
        return True
    if task.assignee_id is not None and task.assignee_id != user.id:
        return False
    return offered_to(user, task, held)


def offered_filter(user: User):
    """A SQL condition on HumanTask selecting the tasks offered to `user` (the same rule as `offered_to`)."""
    if not user.active:
        return false()
    held = memberships(user)
    units = [unit for _, unit in held if unit]
    clauses = [and_(HumanTask.role.is_(None), or_(HumanTask.unit_code.is_(None), HumanTask.unit_code.in_(units)))]
    for role, unit in held:
        if roles.is_city_wide(role):
            clauses.append(HumanTask.role == role)
        else:
            clauses.append(and_(HumanTask.role == role,
                                or_(HumanTask.unit_code.is_(None), HumanTask.unit_code == unit)))
    return or_(*clauses)


def can_view_instance(user: User, instance) -> bool:
    """Department staff see the city; a school's or PPE's staff see the instances of their unit and those
    where a task is offered to their unit (a PPE check's fix task for the host school)."""
    if not user.active:
        return False
    held = memberships(user)
    if any(roles.is_city_wide(role) for role, _ in held):
        return True
    units = {unit for _, unit in held if unit}
    if instance.unit_code in units:
        return True
    return db.session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance.id,
                                                        HumanTask.unit_code.in_(units)).limit(1)) is not None


def may_start(user: User, start_spec) -> bool:
    """Who may start a process: holders of its start event's role (its lane), and administrators."""
    if is_admin(user):
        return True
    role = role_of(start_spec)
    return role is not None and any(held == role for held, _ in memberships(user))
