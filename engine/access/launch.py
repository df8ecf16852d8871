"""Starting a process by hand, on its activity page or through the REST API: whether `user` may, with which start
form, and for which units. One rule for both, so the API refuses exactly what the page does not offer.

A process is started by hand when its start event asks for a form (its property `form`); the holders of that
start event's role (its lane) and administrators may start it. A start form's units field offers the units of
its kind: department staff start for any of them, a school's or PPE's staff only for their own (a school's
coordinator registers an appeal for her school, not another's).
"""
from sqlalchemy import select

from ..bpmn.properties import role_of, task_properties
from ..db import db
from ..models import Unit, User
from .rules import is_admin, memberships, visible_units


def may_start(user: User, start_spec, held: list | None = None) -> bool:
    """Who may start a process: holders of its start event's role (its lane), and administrators. `held`: the
    user's memberships when the caller has just read them (saves the query)."""
    held = memberships(user) if held is None else held
    if is_admin(user, held):
        return True
    role = role_of(start_spec)
    return role is not None and any(h.role == role for h in held)


def launch_form(user: User, spec, held: list | None = None) -> str | None:
    """The key of the start form `user` starts the process `spec` with by hand; None when the process asks for
    none (the plan or a message starts it) or she may not start it."""
    for task_spec in spec.task_specs.values():
        form = task_properties(task_spec).get("form") if type(task_spec).__name__ == "StartEvent" else None
        if form:
            return form if may_start(user, task_spec, held) else None
    return None


def launch_units(user: User, unit_kind: str, held: list | None = None) -> list[Unit]:
    """The units of `unit_kind` that `user` may start a process for, by name."""
    query = select(Unit).where(Unit.kind == unit_kind).order_by(Unit.name)
    mine = visible_units(user, held)
    if mine is not None:
        query = query.where(Unit.code.in_(mine))
    return list(db.session.scalars(query))
