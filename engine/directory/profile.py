"""What people set for themselves on their profile page: language, e-mail opt-out, and an absence with a deputy
chosen among their colleagues."""
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from .. import audit, store
from ..access import is_city_staff, memberships
from ..db import db
from ..errors import EngineError, NotFound
from ..models import Absence, Membership, Unit, User
from ..roles import is_city_wide
from .people import end_absence, set_absence

LOCALES = ("ru", "en")


def set_preferences(user: User, *, locale: str | None = None, email_opt_out: bool | None = None) -> User:
    """Save the user's language (ru or en) and whether they want e-mail; None leaves a setting as it is."""
    if locale is not None and locale not in LOCALES:
        raise EngineError(_l("Unknown language %(code)s."), code=locale)
    with store.transaction():
        row = db.session.get(User, user.id)
        changes = {}
        if locale is not None and row.locale != locale:
            row.locale, changes["locale"] = locale, locale
        if email_opt_out is not None and row.email_opt_out != bool(email_opt_out):
            row.email_opt_out, changes["email_opt_out"] = bool(email_opt_out), bool(email_opt_out)
        if changes:
            audit.record("preferences", row.login, summary=changes)
    return db.session.get(User, user.id)


def colleagues(user: User) -> list[User]:
    """Who may stand in for `user`: the active users of the units they belong to (a PPE counts with the school
    that hosts it), and for department staff the rest of the department."""
    own = [h for h in memberships(user) if h.deputy_for is None]
    codes = {h.unit for h in own if h.unit}
    unit_ids = set(db.session.scalars(select(Unit.id).where(Unit.code.in_(codes)))) if codes else set()
    if unit_ids:  # the PPEs hosted by my school, the school hosting my PPE
        unit_ids |= set(db.session.scalars(select(Unit.id).where(Unit.host_id.in_(unit_ids))))
        unit_ids |= {i for i in db.session.scalars(select(Unit.host_id).where(Unit.id.in_(unit_ids))) if i}
    clauses = [Membership.unit_id.in_(unit_ids)] if unit_ids else []
    if is_city_staff(user, own):
        city = [code for code in {h.role for h in own} if is_city_wide(code)]
        department = select(Membership.user_id).join(Unit, Unit.id == Membership.unit_id).where(
            Unit.kind.in_(("department", "subdepartment")))
        clauses += [Membership.role.in_(city), Membership.user_id.in_(department)]
    if not clauses:
        return []
    ids = select(Membership.user_id).where(or_(*clauses))
    return list(db.session.scalars(select(User).where(User.id.in_(ids), User.id != user.id, User.active.is_(True))
                                   .order_by(User.full_name, User.login)))


def set_my_absence(user: User, deputy_login: str, starts_on: date, ends_on: date) -> Absence:
    """An absence the user records for themselves: the deputy must be one of their colleagues."""
    deputy_login = (deputy_login or "").strip()
    if deputy_login not in {c.login for c in colleagues(user)}:
        raise EngineError(_l("Choose the deputy among your colleagues."))
    return set_absence(user, deputy_login, starts_on, ends_on, actor=user.login)


def end_my_absence(absence_id: int, user: User) -> None:
    """End one of the user's own absences; someone else's is refused like a missing one, and recorded."""
    row = db.session.get(Absence, absence_id) if 0 < absence_id < 2**31 else None
    if row is not None and row.user_id != user.id:
        with store.transaction():
            audit.record("denied", user.login, message=f"end absence {row.id}")
        raise NotFound(_l("Absence %(id)s not found."), id=absence_id)
    end_absence(absence_id, user)
