"""What the admin pages do to the directory: create and edit units and users, add and remove memberships,
deactivate and reactivate users. One call = one transaction, audited; a refused call raises `InvalidData` with the
problems by field and changes nothing.
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .. import audit, clock, roles, store
from ..db import db
from ..errors import EngineError, InvalidData, NotFound
from ..models import HumanTask, Membership, Unit, User
from . import rules
from ..access import MAX_ID
from .people import deactivate

_REQUIRED = _l("This field is required.")


class _Problems(dict):
    def add(self, name, found):
        if found:
            text, params = found
            self.setdefault(name, []).append(str(text) % params if params else str(text))
        return bool(found)

    def required(self, name, value):
        if not value:
            self.setdefault(name, []).append(str(_REQUIRED))
        return bool(value)

    def raise_any(self):
        if self:
            raise InvalidData(dict(self))


def _clean(value) -> str | None:
    text = " ".join(str(value or "").split())
    return text or None


def get_unit(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(_l("Organisation unit %(id)s not found."), id=unit_id)
    return unit


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("User %(id)s not found."), id=user_id)
    return user


def save_unit(values: dict, actor: str, unit_id: int | None = None) -> Unit:
    """Create a unit (unit_id None) or update one; its code never changes (processes find units by code)."""
    problems = _Problems()
    values = {key: _clean(values.get(key)) for key in ("code", "name", "kind", "parent", "host", "number",
                                                       "auditoriums", "exams")}
    with store.transaction():
        unit = get_unit(unit_id) if unit_id is not None else None
        code = unit.code if unit is not None else values["code"]
        if unit is None and problems.required("code", code) and not problems.add("code", rules.check_code(code)):
            if db.session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
                problems.add("code", (_l("the code «%(value)s» is taken"), {"value": code}))
        if problems.required("name", values["name"]):
            problems.add("name", rules.check_text(values["name"], rules.NAME_MAX))
        kind = values["kind"] if values["kind"] in rules.KINDS else None
        if values["kind"] and kind is None:
            problems.add("kind", rules.parse_kind(values["kind"])[1])
        problems.required("kind", values["kind"])
        known = {u.code: u for u in db.session.scalars(select(Unit))}
        parent = _link(problems, "parent", values["parent"], known)
        if parent is not None and unit is not None:
            by_id = {u.id: c for c, u in known.items()}
            loop = rules.parent_loop(code, parent.code, {c: by_id.get(u.parent_id) for c, u in known.items()})
            if loop:
                problems.add("parent", (_l("the parents form a loop: %(path)s"), {"path": " → ".join(loop)}))
        host = _link(problems, "host", values["host"], known) if kind == "ppe" else None
        if kind == "ppe" and values["host"] is None:
            problems.add("host", (_l("a PPE needs the code of its host school"), {}))
        if host is not None and host.kind != "school":
            problems.add("host", (_l("the host «%(value)s» is «%(kind)s», not a school"),
                                  {"value": host.code, "kind": rules.KIND_LABELS.get(host.kind, host.kind)}))
        if unit is not None and kind not in (None, "school"):
            guests = sorted(u.code for u in known.values() if u.host_id == unit.id and u.kind == "ppe")
            if guests:
                problems.add("kind", (_l("«%(value)s» hosts the PPE %(ppe)s and must stay a school"),
                                      {"value": code, "ppe": ", ".join(guests)}))
        attrs = dict(unit.attrs or {}) if unit is not None else {}
        for key in ("number", "auditoriums"):
            attrs.pop(key, None)
            if values[key]:
                number, found = rules.parse_count(values[key], key)
                if not problems.add(key, found):
                    attrs[key] = number
        attrs.pop("exams", None)  # empty: the PPE hosts every exam
        exams, found = rules.parse_exams(values["exams"])
        if not problems.add("exams", found) and exams:
            attrs["exams"] = exams
        problems.raise_any()
        before = _unit_facts(unit) if unit is not None else None
        if unit is None:
            unit = Unit(code=code, name=values["name"], kind=kind)
            db.session.add(unit)
        unit.name, unit.kind, unit.attrs = values["name"], kind, attrs or None
        unit.parent_id = parent.id if parent is not None else None
        unit.host_id = host.id if host is not None else None
        db.session.flush()
        after = _unit_facts(unit)
        changed = sorted(k for k in after if before is None or before[k] != after[k])
        audit.record("unit_create" if before is None else "unit_update", actor,
                     summary={"code": code, "changed": changed})
        unit_id = unit.id
    return db.session.get(Unit, unit_id)


def _unit_facts(unit):
    return {"name": unit.name, "kind": unit.kind, "parent": unit.parent_id, "host": unit.host_id,
            "attrs": dict(unit.attrs or {})}


def _link(problems, name, code, known):
    if code is None:
        return None
    if code not in known:
        problems.add(name, (_l("unknown organisation «%(value)s»"), {"value": code}))
        return None
    return known[code]


def save_user(values: dict, actor: str, user_id: int | None = None) -> User:
    """Create a user (user_id None) or update one; the login never changes (the audit trail names it).
    A non-empty `password` sets or resets the password."""
    problems = _Problems()
    login = _clean(values.get("login"))
    full_name, email = _clean(values.get("full_name")), _clean(values.get("email"))
    password = (values.get("password") or "").strip()
    with store.transaction():
        user = get_user(user_id) if user_id is not None else None
        if user is None and problems.required("login", login) and not problems.add("login",
                                                                                   rules.check_login(login)):
            if db.session.scalar(select(User.id).where(User.login == login)) is not None:
                problems.add("login", (_l("the login «%(value)s» is taken"), {"value": login}))
        if problems.required("full_name", full_name):
            problems.add("full_name", rules.check_text(full_name, rules.FULL_NAME_MAX))
        if email:
            problems.add("email", rules.check_email(email))
        if password:
            problems.add("password", rules.check_password(password))
        problems.raise_any()
        created = user is None
        if created:
            user = User(login=login, created_at=clock.now(), active=True)
            db.session.add(user)
        changed = [k for k, v in (("full_name", full_name), ("email", email)) if getattr(user, k) != v]
        user.full_name, user.email = full_name, email
        if password:
            user.password_hash = generate_password_hash(password)
            changed.append("password")
        db.session.flush()
        audit.record("user_create" if created else "user_update", actor,
                     summary={"login": user.login, "changed": changed})
        user_id = user.id
    return db.session.get(User, user_id)


def add_membership(user_id: int, role: str, unit_code: str | None, actor: str) -> Membership:
    problems = _Problems()
    unit_code, unit_id = _clean(unit_code), None
    with store.transaction():
        user = get_user(user_id)
        code, found = rules.parse_role(role or "") if role else (None, None)
        if problems.required("role", role) and not problems.add("role", found):
            unit = db.session.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
            if unit_code and unit is None:
                problems.add("unit", (_l("unknown organisation «%(value)s»"), {"value": unit_code}))
            elif not problems.add("unit", rules.check_role_unit(code, unit_code, unit and unit.kind)):
                unit_id = unit.id if unit is not None else None
                if any(m.role == code and m.unit_id == unit_id for m in user.memberships):
                    problems.add("role", (_l("the user already holds this role here"), {}))
        problems.raise_any()
        membership = Membership(user_id=user.id, role=code, unit_id=unit_id)
        db.session.add(membership)
        audit.record("membership_add", actor, summary={"login": user.login, "role": code, "unit": unit_code})
    return membership


def remove_membership(membership_id: int, actor: User, user_id: int | None = None) -> None:
    with store.transaction():
        membership = db.session.get(Membership, membership_id) if 0 < membership_id <= MAX_ID else None
        if membership is None or user_id not in (None, membership.user_id):
            raise NotFound(_l("Membership %(id)s not found."), id=membership_id)
        if membership.user_id == actor.id and membership.role == roles.ADMIN:
            raise EngineError(_l("You cannot take the administrator role from yourself."))
        unit = membership.unit.code if membership.unit is not None else None
        audit.record("membership_remove", actor.login, summary={"login": membership.user.login,
                                                                "role": membership.role, "unit": unit})
        db.session.delete(membership)


def claimed_count(user_id: int) -> int:
    return db.session.scalar(select(func.count(HumanTask.id)).where(HumanTask.assignee_id == user_id,
                                                                    HumanTask.state == "READY")) or 0


def deactivate_user(user_id: int, actor: User) -> int:
    """Switch the user off (engine.deactivate: history kept, claimed tasks back to the group). Returns how many
    tasks went back."""
    user = get_user(user_id)
    if user.id == actor.id:
        raise EngineError(_l("You cannot deactivate yourself."))
    released = claimed_count(user.id)
    deactivate(user.login, actor=actor.login)
    return released


def reactivate_user(user_id: int, actor: str) -> User:
    with store.transaction():
        user = get_user(user_id)
        user.active = True
        audit.record("user_reactivate", actor, summary={"login": user.login})
    return get_user(user_id)
