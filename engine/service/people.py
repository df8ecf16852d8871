"""Users, units and memberships as the CLI, the demo data and (later) the admin pages create them."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, clock, roles, store
from ..db import db
from ..errors import EngineError, NotFound
from ..models import Membership, Unit, User


def user_by_login(login: str) -> User:
    user = db.session.scalar(select(User).where(User.login == login))
    if user is None:
        raise NotFound(_l("Unknown user %(login)s."), login=login)
    return user


def ensure_unit(code: str, name: str, kind: str, parent: str | None = None, host: str | None = None,
                attrs: dict | None = None) -> Unit:
    """Create or update a unit (idempotent). Runs inside the caller's transaction."""
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code, name=name, kind=kind)
        db.session.add(unit)
    unit.name, unit.kind, unit.attrs = name, kind, attrs or unit.attrs
    unit.parent_id = _unit_id(parent)
    unit.host_id = _unit_id(host)
    db.session.flush()
    return unit


def _unit_id(code):
    if code is None:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(_l("Unknown organisation unit %(code)s."), code=code)
    return unit.id


def ensure_user(login: str, role: str | None = None, unit: str | None = None, *, password: str | None = None,
                full_name: str | None = None, email: str | None = None, actor: str | None = None) -> User:
    """Create the user if missing and add the membership if missing (idempotent)."""
    login = (login or "").strip()
    if not login or len(login) > 100 or any(c.isspace() for c in login):
        raise EngineError(_l("A login must be 1 to 100 characters without spaces."))
    with store.transaction():
        user = db.session.scalar(select(User).where(User.login == login))
        if user is None:
            user = User(login=login, created_at=clock.now(), active=True)
            db.session.add(user)
            audit.record("user_create", actor, summary={"login": login})
        if full_name:
            user.full_name = full_name
        if email:
            user.email = email
        if password:
            user.password_hash = generate_password_hash(password)
        db.session.flush()
        if role:
            code = roles.canonical(role)
            unit_id = _unit_id(unit)
            exists = db.session.scalar(select(Membership).where(
                Membership.user_id == user.id, Membership.role == code,
                Membership.unit_id.is_(None) if unit_id is None else Membership.unit_id == unit_id))
            if exists is None:
                db.session.add(Membership(user_id=user.id, role=code, unit_id=unit_id))
                audit.record("membership_add", actor, summary={"login": login, "role": code, "unit": unit})
        user_id = user.id
    return db.session.get(User, user_id)


def authenticate(login: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.login == login))
    if user is None or not user.active or not user.password_hash:
        return None
    return user if check_password_hash(user.password_hash, password) else None
