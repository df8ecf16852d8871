"""Reading the directory for the admin pages: units by kind as a tree, users found and paged, the import template
and the export (the same layout as the import, so an export can be edited and imported back)."""
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from .. import roles
from ..db import db
from ..models import AuditEvent, Membership, Unit, User
from . import rules
from .naming import natural_key as _natural
from . import xlsx

PER_PAGE = 50
STATES = ("active", "inactive", "all")


@dataclass
class UserPage:
    users: list
    total: int
    page: int
    pages: int


def _like(column, text: str):
    """Case-insensitive match that also works for Cyrillic on SQLite (whose lower() is ASCII-only)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    variants = {escaped, escaped.lower(), escaped.capitalize(), escaped.title()}
    return or_(*(column.ilike(f"%{v}%", escape="\\") for v in sorted(variants)))


def _user_query(q: str = "", role: str = "", unit: str = "", state: str = "active"):
    query = select(User)
    q = " ".join((q or "").split())
    if q:
        query = query.where(or_(_like(User.login, q), _like(User.full_name, q), _like(User.email, q)))
    if role:
        query = query.where(User.id.in_(select(Membership.user_id).where(Membership.role == role)))
    if unit:
        query = query.where(User.id.in_(select(Membership.user_id).join(Unit, Membership.unit_id == Unit.id)
                                        .where(Unit.code == unit)))
    if state == "active":
        query = query.where(User.active.is_(True))
    elif state == "inactive":
        query = query.where(User.active.is_(False))
    return query


def find_users(q: str = "", role: str = "", unit: str = "", state: str = "active", page: int = 1,
               per_page: int = PER_PAGE) -> UserPage:
    query = _user_query(q, role, unit, state)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    users = list(db.session.scalars(query.options(selectinload(User.memberships).selectinload(Membership.unit))
                                    .order_by(User.login).offset((page - 1) * per_page).limit(per_page)))
    return UserPage(users, total, page, pages)


SECTIONS = (("department", ("department", "subdepartment")), ("school", ("school",)), ("ppe", ("ppe",)))


def unit_sections(kind: str = "", q: str = "") -> list[tuple[str, list[dict]]]:
    """[(section, [{"unit", "depth", "parent", "host", "members"}])] for the sections of SECTIONS: the department
    and its divisions as a tree, schools and PPE in the natural order of their names."""
    units = list(db.session.scalars(select(Unit)))
    by_id = {u.id: u for u in units}
    members = dict(db.session.execute(select(Membership.unit_id, func.count(Membership.id))
                                      .group_by(Membership.unit_id)).all())
    q = " ".join((q or "").split()).casefold()
    children = {}
    for unit in units:
        children.setdefault(unit.parent_id if unit.parent_id in by_id else None, []).append(unit)
    depth, order = {}, {}

    def walk(parent_id, level):
        for unit in sorted(children.get(parent_id, []), key=lambda u: _natural(u.name)):
            if unit.id not in order:
                depth[unit.id], order[unit.id] = level, len(order)
                walk(unit.id, level + 1)
    walk(None, 0)
    sections = []
    for section, kinds in SECTIONS:
        rows = [u for u in units if u.kind in kinds and (not kind or u.kind == kind)
                and (not q or q in u.code.casefold() or q in (u.name or "").casefold())]
        if kind and not rows and kind not in kinds:
            continue
        tree = section == "department"
        rows.sort(key=lambda u: (order.get(u.id, 0),) if tree else _natural(u.name))
        sections.append((section, [{"unit": u, "depth": depth.get(u.id, 0) if tree and not q else 0,
                                    "parent": by_id.get(u.parent_id), "host": by_id.get(u.host_id),
                                    "members": members.get(u.id, 0)} for u in rows]))
    return sections


def unit_options(kind: str | None = None) -> list[tuple[str, str]]:
    query = select(Unit.code, Unit.name)
    if kind:
        query = query.where(Unit.kind == kind)
    return sorted(((code, f"{name} ({code})") for code, name in db.session.execute(query)),
                  key=lambda c: _natural(c[1]))


def unit_members(unit_id: int) -> list:
    """[(user, role)] of everyone holding a role at the unit."""
    return db.session.execute(select(User, Membership.role).join(Membership, Membership.user_id == User.id)
                              .where(Membership.unit_id == unit_id).order_by(User.login, Membership.role)).all()


def role_options() -> list[tuple[str, str]]:
    return [(r.code, r.title) for r in roles.catalogue().values()]


def user_history(login: str, limit: int = 30) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.actor == login)
                                   .order_by(AuditEvent.id.desc()).limit(limit)))


def _reference():
    kinds = [(word, code, note) for code, (word, note) in rules.KIND_WORDS.items()]
    role_rows = [(r.title, r.code, "весь город" if r.scope == "city" else "своя организация",
                  rules.KIND_WORDS[rules.ROLE_UNIT_KIND[r.code]][0] if r.code in rules.ROLE_UNIT_KIND else "")
                 for r in roles.catalogue().values()]
    units = sorted(db.session.scalars(select(Unit)), key=lambda u: (rules.KINDS.index(u.kind)
                                                                    if u.kind in rules.KINDS else 9,
                                                                    _natural(u.name)))
    return kinds, role_rows, units


def _kind_word(kind):
    return rules.KIND_WORDS.get(kind, (kind, ""))[0]


def template_bytes() -> bytes:
    """The import template: both sheets with headers and a sample, and «Справочник» with the kinds, the roles
    and the units already in the system."""
    kinds, role_rows, units = _reference()
    sample_orgs = [("school-101", "МБОУ «СОШ №101» (пример)", "Школа", None, None, None, None),
                   ("ppe-101", "ППЭ №101 на базе СОШ №101 (пример)", "ППЭ", None, "school-101", 101, 3)]
    sample_staff = [("ivanova101", "Иванова Мария Петровна (пример)", "ivanova101@example.ru",
                     roles.title("school_head"), "school-101", None),
                    ("petrov101", "Петров Алексей Иванович (пример)", None,
                     roles.title("ppe_tech"), "ppe-101", None)]
    return xlsx.workbook(kinds, role_rows, [(u.code, u.name, _kind_word(u.kind)) for u in units],
                         sample_orgs, sample_staff)


def export_bytes(q: str = "", role: str = "", unit: str = "", state: str = "all") -> bytes:
    """Every unit, and the users the list shows (one row per membership), in the import layout."""
    kinds, role_rows, units = _reference()
    by_id = {u.id: u for u in units}
    org_rows = [(u.code, u.name, _kind_word(u.kind), getattr(by_id.get(u.parent_id), "code", None),
                 getattr(by_id.get(u.host_id), "code", None), (u.attrs or {}).get("number"),
                 (u.attrs or {}).get("auditoriums"), ", ".join((u.attrs or {}).get("exams") or []) or None)
                for u in units]
    staff_rows = []
    users = db.session.scalars(_user_query(q, role, unit, state).options(
        selectinload(User.memberships).selectinload(Membership.unit)).order_by(User.login))
    for user in users:
        state_word = "активен" if user.active else "отключён"
        held = sorted(user.memberships, key=lambda m: (m.role, m.unit.code if m.unit else ""))
        for membership in held or [None]:
            staff_rows.append((user.login, user.full_name, user.email,
                               roles.title(membership.role) if membership else None,
                               membership.unit.code if membership and membership.unit else None, None,
                               state_word))
    return xlsx.workbook(kinds, role_rows, [(u.code, u.name, _kind_word(u.kind)) for u in units],
                         org_rows, staff_rows, staff_extra=(xlsx.STATE_HEADER,))
