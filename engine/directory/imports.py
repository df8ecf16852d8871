"""Importing schools, PPE and staff from an Excel file, all or nothing.

Every row of both sheets is checked first (against the file itself and what the system already holds); one
problem anywhere and `ImportRefused` lists them all, by sheet, row and column, and nothing is changed. A clean file
is applied in one transaction: units and users found by code and login are updated, new ones created, missing
memberships added. An empty cell in an optional column keeps what is stored. Importing the same file twice changes
nothing the second time.
"""
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, clock, store
from ..db import db
from ..errors import EngineError
from ..models import Membership, Unit, User
from . import rules
from . import xlsx
from .xlsx import ORG_SHEET, STAFF_SHEET, Problem

MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024
_TITLES = {c.key: c.title for c in (*xlsx.ORG_COLUMNS, *xlsx.STAFF_COLUMNS)}
_UNKNOWN = _l("unknown organisation «%(value)s»: it is neither on the sheet «%(sheet)s» nor in the system")


class ImportRefused(EngineError):
    """The file was not imported; `errors` holds every problem (a `Problem`: sheet, row, column, detail)."""

    def __init__(self, errors: list[Problem]):
        self.errors = errors
        super().__init__(_l("The file was not imported and nothing was changed: %(count)s problem(s) found."),
                         count=len(errors))

    def problems(self) -> list[str]:
        return [str(p) for p in self.errors]


@dataclass
class ImportResult:
    units_created: int = 0
    units_updated: int = 0
    users_created: int = 0
    users_updated: int = 0
    memberships_added: int = 0
    rows: int = 0
    inactive: list = field(default_factory=list)  # logins in the file that stay deactivated

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class _Row:
    number: int
    values: dict
    changed: bool = False


class _Checker:
    """Collects problems while checking the rows of one sheet."""

    def __init__(self, sheet: str, problems: list):
        self.sheet, self.problems = sheet, problems

    def add(self, row: int, key: str | None, found) -> bool:
        if found:
            text, params = found
            self.problems.append(Problem(text, params, self.sheet, row, _TITLES.get(key)))
        return bool(found)


def import_directory(content: bytes, actor: str, filename: str | None = None) -> ImportResult:
    config = current_app.config
    sheets, problems = xlsx.read(content, config.get("MAX_IMPORT_BYTES", MAX_BYTES),
                                 config.get("MAX_IMPORT_ROWS", MAX_ROWS))
    if problems:
        raise ImportRefused(problems)
    with store.transaction():
        known = {u.code: u for u in db.session.scalars(select(Unit))}
        units = _check_units(sheets[ORG_SHEET], known, problems)
        staff = _check_staff(sheets[STAFF_SHEET], known, units, problems)
        if problems:
            raise ImportRefused(problems)
        result = ImportResult(rows=len(sheets[ORG_SHEET].rows) + len(sheets[STAFF_SHEET].rows))
        _apply_units(units, known, result)
        _apply_staff(staff, known, result)
        audit.record("directory_import", actor, summary={"file": filename, **result.as_dict()})
    return result


def _check_units(sheet, known: dict, problems: list) -> dict:
    check = _Checker(sheet.name, problems)
    units, first = {}, {}
    for number, cells in sheet.rows:
        code, name, kind_word = cells.get("code"), cells.get("name"), cells.get("kind")
        if not code:
            check.add(number, "code", rules.REQUIRED)
        elif not check.add(number, "code", rules.check_code(code)) and code in first:
            check.add(number, "code", (_l("the code «%(value)s» is already on row %(row)s"),
                                       {"value": code, "row": first[code]}))
        if not name:
            check.add(number, "name", rules.REQUIRED)
        else:
            check.add(number, "name", rules.check_text(name, rules.NAME_MAX))
        kind = None
        if not kind_word:
            check.add(number, "kind", rules.REQUIRED)
        else:
            kind, found = rules.parse_kind(kind_word)
            check.add(number, "kind", found)
        values = {"code": code, "name": name, "kind": kind, "parent": cells.get("parent"),
                  "host": cells.get("host")}
        for key in ("number", "auditoriums"):
            if cells.get(key):
                values[key], found = rules.parse_count(cells[key], key)
                check.add(number, key, found)
        if cells.get("exams"):
            values["exams"], found = rules.parse_exams(cells["exams"])
            check.add(number, "exams", found)
        if code and code not in first:
            first[code] = number
            units[code] = _Row(number, values)
    kinds = {code: unit.kind for code, unit in known.items()}
    kinds.update({code: row.values["kind"] for code, row in units.items()})
    by_id = {unit.id: code for code, unit in known.items()}
    parents = {code: by_id.get(unit.parent_id) for code, unit in known.items()}
    parents.update({code: row.values["parent"] or parents.get(code) for code, row in units.items()})
    hosts = {code: by_id.get(unit.host_id) for code, unit in known.items()}
    hosts.update({code: row.values["host"] or hosts.get(code) for code, row in units.items()})
    for code, row in units.items():
        _check_links(check, row, kinds, parents, hosts.get(code))
    guests_of = {}
    for ppe, host in hosts.items():
        if host and kinds.get(ppe) == "ppe":
            guests_of.setdefault(host, []).append(ppe)
    for code, row in units.items():  # a school that hosts a PPE must stay a school
        guests = sorted(guests_of.get(code, []))
        if row.values["kind"] not in (None, "school") and guests:
            check.add(row.number, "kind", (_l("«%(value)s» hosts the PPE %(ppe)s and must stay a school"),
                                           {"value": code, "ppe": ", ".join(guests)}))
    return units


def _check_links(check, row, kinds, parents, host):
    values, number = row.values, row.number
    parent = values["parent"]
    if parent:
        if parent == values["code"]:
            check.add(number, "parent", (_l("an organisation cannot be its own parent"), {}))
        elif parent not in kinds:
            check.add(number, "parent", (_UNKNOWN, {"value": parent, "sheet": ORG_SHEET}))
        else:
            loop = rules.parent_loop(values["code"], parent, parents)
            if loop:
                check.add(number, "parent", (_l("the parents form a loop: %(path)s"), {"path": " → ".join(loop)}))
    if values["kind"] == "ppe":
        if not host:
            check.add(number, "host", (_l("a PPE needs the code of its host school"), {}))
        elif host not in kinds:
            check.add(number, "host", (_UNKNOWN, {"value": host, "sheet": ORG_SHEET}))
        elif kinds[host] not in (None, "school"):  # (None: its own row has a bad kind, reported there)
            check.add(number, "host", (_l("the host «%(value)s» is «%(kind)s», not a school"),
                                       {"value": host, "kind": rules.KIND_LABELS.get(kinds[host], kinds[host])}))
    elif values["host"] and values["kind"]:
        check.add(number, "host", (_l("only a PPE has a host school"), {}))


def _check_staff(sheet, known: dict, units: dict, problems: list) -> dict:
    """{login: {"row", "full_name", "email", "password", "roles": [(role, unit code)]}}"""
    check = _Checker(sheet.name, problems)
    kinds = {code: unit.kind for code, unit in known.items()}
    kinds.update({code: row.values["kind"] for code, row in units.items()})
    people, held = {}, {}
    logins = sorted({cells["login"] for _n, cells in sheet.rows if cells.get("login")})
    stored = set()
    for start in range(0, len(logins), 500):
        stored.update(db.session.scalars(select(User.login).where(User.login.in_(logins[start:start + 500]))))
    for number, cells in sheet.rows:
        login = cells.get("login")
        if not login:
            check.add(number, "login", rules.REQUIRED)
        else:
            check.add(number, "login", rules.check_login(login))
        full_name = cells.get("full_name")
        if not full_name:
            if login not in stored:  # a new user needs a name; a blank cell keeps a stored one
                check.add(number, "full_name", rules.REQUIRED)
        else:
            check.add(number, "full_name", rules.check_text(full_name, rules.FULL_NAME_MAX))
        for key, rule in (("email", rules.check_email), ("password", rules.check_password)):
            if cells.get(key):
                check.add(number, key, rule(cells[key]))
        role = _check_role(check, number, cells, kinds)
        if not login:
            continue
        person = people.setdefault(login, {"row": number, "full_name": full_name, "email": cells.get("email"),
                                           "password": cells.get("password"), "roles": []})
        for key in ("full_name", "email", "password"):
            if person["row"] != number and cells.get(key) and person[key] and cells[key] != person[key]:
                check.add(number, key, (_l("the login «%(value)s» is on row %(row)s with a different «%(what)s»"),
                                        {"value": login, "row": person["row"], "what": _TITLES[key]}))
            person[key] = person[key] or cells.get(key)
        if role:
            key = (login, *role)
            if key in held:
                check.add(number, "role", (_l("the same login, role and organisation as on row %(row)s"),
                                           {"row": held[key]}))
            held.setdefault(key, number)
            person["roles"].append(role)
    return people


def _check_role(check, number, cells, kinds):
    """(role code, unit code or None) when the row gives a valid role, else None."""
    word, unit = cells.get("role"), cells.get("unit")
    if not word:
        if unit:
            check.add(number, "role", (_l("an organisation is given without a role"), {}))
        return None
    role, found = rules.parse_role(word)
    if check.add(number, "role", found):
        return None
    if unit and unit not in kinds:
        check.add(number, "unit", (_UNKNOWN, {"value": unit, "sheet": ORG_SHEET}))
        return None
    if unit and kinds[unit] is None:
        return None  # the unit's row has a bad kind, reported there
    if check.add(number, "unit" if unit else "role", rules.check_role_unit(role, unit, kinds.get(unit))):
        return None
    return role, unit


def _apply_units(units: dict, known: dict, result: ImportResult) -> None:
    fresh = []
    for code, row in units.items():
        values = row.values
        unit = known.get(code)
        if unit is None:
            unit = Unit(code=code, name=values["name"], kind=values["kind"])
            db.session.add(unit)
            known[code] = unit
            fresh.append(code)
        attrs = dict(unit.attrs or {})
        attrs.update({k: values[k] for k in ("number", "auditoriums", "exams")
                      if values.get(k) is not None})
        if attrs.get("exams") == []:
            del attrs["exams"]  # «все»: no list, the PPE hosts every exam
        row.changed = (unit.name, unit.kind, unit.attrs or {}) != (values["name"], values["kind"], attrs)
        unit.name, unit.kind, unit.attrs = values["name"], values["kind"], attrs or None
    db.session.flush()
    for code, row in units.items():
        unit = known[code]
        for key, column in (("parent", "parent_id"), ("host", "host_id")):
            if row.values[key] and getattr(unit, column) != known[row.values[key]].id:
                setattr(unit, column, known[row.values[key]].id)
                row.changed = True
        if unit.kind != "ppe" and unit.host_id is not None:
            unit.host_id, row.changed = None, True
        if code in fresh:
            result.units_created += 1
        elif row.changed:
            result.units_updated += 1
    db.session.flush()


def _apply_staff(people: dict, known: dict, result: ImportResult) -> None:
    logins = sorted(people)
    users = {}
    for start in range(0, len(logins), 500):
        users.update({u.login: u for u in db.session.scalars(select(User).where(
            User.login.in_(logins[start:start + 500])))})
    for login in logins:
        person, user = people[login], users.get(login)
        if user is None:
            user = User(login=login, created_at=clock.now(), active=True)
            db.session.add(user)
            users[login] = user
            result.users_created += 1
        elif not user.active:
            result.inactive.append(login)
        changed = False
        for key in ("full_name", "email"):
            if person[key] and getattr(user, key) != person[key]:
                setattr(user, key, person[key])
                changed = True
        password = person["password"]
        if password and not (user.password_hash and check_password_hash(user.password_hash, password)):
            user.password_hash = generate_password_hash(password)
            changed = True
        if changed and user.id is not None:
            result.users_updated += 1
    db.session.flush()
    ids = [users[login].id for login in logins]
    held = set()
    for start in range(0, len(ids), 500):
        held.update(db.session.execute(select(Membership.user_id, Membership.role, Membership.unit_id).where(
            Membership.user_id.in_(ids[start:start + 500]))).all())
    for login in logins:
        for role, unit in people[login]["roles"]:
            key = (users[login].id, role, known[unit].id if unit else None)
            if key not in held:
                held.add(key)
                db.session.add(Membership(user_id=key[0], role=role, unit_id=key[2]))
                result.memberships_added += 1
