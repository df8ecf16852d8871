"""Users, units, memberships and absences, as the CLI, the demo data and the admin pages manage them."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, clock, roles, store
from ..db import db
from ..errors import EngineError, NotFound
from ..models import Absence, HumanTask, Membership, Unit, User
from . import signin


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


def authenticate(login: str, password: str, remote_addr: str | None = None) -> User | None:
    """The user if the password is right, else None. Guessing is slowed down per login and client address and
    per client address (engine.directory.signin): while this login at this address, or this address, waits out its
    delay the attempt is refused with TooManyAttempts before any password check, even with the right password."""
    login = (login or "").strip()[:100]
    if not login:
        return None
    attempt = signin.begin(login, remote_addr)
    user = db.session.scalar(select(User).where(User.login == login))
    ok = bool(user is not None and user.active and user.password_hash
              and check_password_hash(user.password_hash, password or ""))
    signin.finish(attempt, ok)
    return user if ok else None


def deactivate(login: str, actor: str | None = None) -> User:
    """Switch a user off: they can no longer sign in or act, their history stays, and the tasks they had
    claimed go back to everyone they are offered to."""
    with store.transaction():
        user = user_by_login(login)
        user.active = False
        released = db.session.execute(update(HumanTask).where(HumanTask.assignee_id == user.id,
                                                              HumanTask.state == "READY")
                                       .values(assignee_id=None)).rowcount
        audit.record("user_deactivate", actor, summary={"login": login, "tasks_released": released})
    return user


def set_absence(user: User, deputy_login: str, starts_on: date, ends_on: date, actor: str | None = None) -> Absence:
    """`user` is away from `starts_on` to `ends_on`; `deputy_login` receives their tasks meanwhile."""
    if ends_on < starts_on:
        raise EngineError(_l("The absence ends before it starts."))
    deputy = user_by_login(deputy_login)
    if deputy.id == user.id or not deputy.active:
        raise EngineError(_l("Choose an active colleague as the deputy."))
    with store.transaction():
        row = Absence(user_id=user.id, deputy_id=deputy.id, starts_on=starts_on, ends_on=ends_on,
                      created_at=clock.now())
        db.session.add(row)
        audit.record("absence", actor or user.login, summary={"login": user.login, "deputy": deputy.login,
                                                              "from": starts_on.isoformat(),
                                                              "to": ends_on.isoformat()})
    return row


def absences(user: User) -> list[Absence]:
    return list(db.session.scalars(select(Absence).where(or_(Absence.user_id == user.id,
                                                             Absence.deputy_id == user.id))
                                   .order_by(Absence.starts_on.desc())))


def end_absence(absence_id: int, user: User) -> None:
    with store.transaction():
        row = db.session.get(Absence, absence_id)
        if row is None or row.user_id != user.id:
            raise NotFound(_l("Absence %(id)s not found."), id=absence_id)
        db.session.delete(row)
        audit.record("absence_end", user.login, summary={"absence": absence_id})
