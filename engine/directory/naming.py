"""How pages name people and order units: a person by the full name the directory gives (by role and unit where
it gives none, never by login: logins are for signing in), the engine's own actors in words, and units in the
order people count them (№2 before №10)."""
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import roles
from ..db import db
from ..models import Membership, Unit, User

# Who acts when no person does: the audit trail's and an instance's "started by" for these.
ACTORS = {"system": _l("system"), "simulation": _l("simulation"), "plan": _l("the plan"),
          "anonymous": _l("unknown visitor")}


def natural_key(text: str | None) -> list:
    """Sort key that reads numbers as numbers: «СОШ №2» before «СОШ №10»."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
            for part in re.split(r"(\d+)", text or "") if part]


def person_name(user: User) -> str:
    """The name to show for a person: the full name, else the first role and its unit."""
    return user.full_name or people_names([user.login])[user.login]


def people_names(logins) -> dict[str, str]:
    """{login: name to show} for logins of people and of the engine's actors; a login nobody holds stays as it
    is (a deleted account still named in an old trail)."""
    logins = {login for login in logins if login}
    names = {login: str(ACTORS[login]) for login in logins if login in ACTORS}
    wanted = logins - names.keys()
    if not wanted:
        return names
    users = db.session.execute(select(User.id, User.login, User.full_name).where(User.login.in_(wanted))).all()
    unnamed = {row.id: row.login for row in users if not row.full_name}
    roles_of = {}
    if unnamed:
        for user_id, role, unit in db.session.execute(
                select(Membership.user_id, Membership.role, Unit.name).outerjoin(Unit, Membership.unit_id == Unit.id)
                .where(Membership.user_id.in_(unnamed)).order_by(Membership.id)):
            roles_of.setdefault(user_id, (role, unit))
    for row in users:
        if row.full_name:
            names[row.login] = row.full_name
        elif row.id in roles_of:
            role, unit = roles_of[row.id]
            names[row.login] = f"{roles.title(role)}, {unit}" if unit else roles.title(role)
    return {login: names.get(login, login) for login in logins}


def unit_names(codes) -> dict[str, str]:
    codes = [c for c in codes if c]
    return dict(db.session.execute(select(Unit.code, Unit.name).where(Unit.code.in_(codes))).all()) if codes else {}
