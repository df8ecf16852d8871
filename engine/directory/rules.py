"""The rules for organisation units, users and memberships, shared by the Excel import and the admin pages.

Each check returns None or (message, params): a lower-case English msgid that reads after «Sheet …, row …:» in
the import's report and under a field on a form.
"""
import re

from flask_babel import lazy_gettext as _l

from .. import roles

KINDS = ("department", "subdepartment", "school", "ppe")
KIND_LABELS = {"department": _l("Department"), "subdepartment": _l("Division"), "school": _l("School"),
               "ppe": _l("Exam point (PPE)")}
# The words of the import file (its format is Russian whatever the UI language), with their notes.
KIND_WORDS = {"department": ("Управление", "управление образования, корень структуры"),
              "subdepartment": ("Отдел", "отдел управления образования"),
              "school": ("Школа", "образовательная организация"),
              "ppe": ("ППЭ", "пункт проведения экзамена, работает на базе школы")}
_KIND_SYNONYMS = {"оу": "school", "образовательная организация": "school", "пункт проведения экзамена": "ppe",
                  "подразделение": "subdepartment", "управление образования": "department"}
# Roles that are held at a unit of one kind (the rest: any unit, or none for city-wide roles).
ROLE_UNIT_KIND = {"school_head": "school", "school_coordinator": "school", "ppe_head": "ppe", "ppe_tech": "ppe"}

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
NAME_MAX, FULL_NAME_MAX, EMAIL_MAX = 500, 300, 300
COUNT_RANGE = {"number": (1, 9999), "auditoriums": (1, 200)}
# The exams a PPE hosts: a kind or an exam calendar key. engine.directory may not read the plan (lint-imports), so a
# key is checked by its shape (ege_math_profile, oge_russian), not against the calendar in force.
EXAM_RE = re.compile(r"^(ege|oge)(_[a-z0-9]+)*$")
_EXAM_WORDS = {"егэ": "ege", "огэ": "oge"}
_ALL_EXAMS = ("все", "all")  # hosts every exam, the same as an empty list

REQUIRED = (_l("fill in this cell"), {})


def kind_title(kind: str | None) -> str:
    return str(KIND_LABELS.get(kind, kind or ""))


def check_code(value: str):
    if not CODE_RE.match(value or ""):
        return _l("the code «%(value)s» may hold only Latin letters, digits, «-», «_» and «.» (up to 64)"), \
            {"value": value}
    return None


def check_text(value: str, limit: int):
    if len(value) > limit:
        return _l("longer than %(max)s characters"), {"max": limit}
    return None


def parse_kind(value: str):
    """(kind code, problem)."""
    folded = " ".join((value or "").split()).casefold()
    for code, (word, _note) in KIND_WORDS.items():
        if folded in (code, word.casefold()):
            return code, None
    if folded in _KIND_SYNONYMS:
        return _KIND_SYNONYMS[folded], None
    allowed = ", ".join(word for word, _note in KIND_WORDS.values())
    return None, (_l("unknown kind «%(value)s»; use one of: %(allowed)s"), {"value": value, "allowed": allowed})


def parse_count(value: str, key: str):
    """(int, problem) for the PPE number or the number of auditoriums."""
    low, high = COUNT_RANGE[key]
    try:
        number = int(str(value).strip())
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        return None, (_l("a whole number from %(min)s to %(max)s is expected, not «%(value)s»"),
                      {"min": low, "max": high, "value": value})
    return number, None


def parse_exams(value: str):
    """(list of exam keys, problem) from "ege, oge_math": [] means every exam."""
    words = [w for w in re.split(r"[\s,;]+", value or "") if w]
    if len(words) == 1 and words[0].casefold() in _ALL_EXAMS:
        return [], None
    exams = []
    for word in words:
        key = _EXAM_WORDS.get(word.casefold(), word.casefold())
        if not EXAM_RE.match(key):
            return None, (_l("unknown exam «%(value)s»; use ege, oge or keys of the exam calendar such as "
                             "ege_math_profile, separated by commas"), {"value": word})
        if key not in exams:
            exams.append(key)
    return exams, None


def check_login(value: str):
    if not value or len(value) > 100 or any(c.isspace() for c in value):
        return _l("the login «%(value)s» must be up to 100 characters without spaces"), {"value": value}
    return None


def check_email(value: str):
    if len(value) > EMAIL_MAX or not EMAIL_RE.match(value):
        return _l("«%(value)s» is not an e-mail address"), {"value": value}
    return None


def check_password(value: str):
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        return _l("a password must be %(min)s to %(max)s characters long"), {"min": PASSWORD_MIN,
                                                                            "max": PASSWORD_MAX}
    return None


def parse_role(value: str):
    """(role code, problem): a role of the catalogue, named by its code or title."""
    code = roles.canonical(value)
    if code not in roles.catalogue():
        return None, (_l("unknown role «%(value)s»"), {"value": value})
    return code, None


def check_role_unit(role: str, unit: str | None, unit_kind: str | None):
    """Whether `role` may be held at `unit` (a code, or None) of `unit_kind`."""
    title = roles.title(role)
    if unit is None:
        if not roles.is_city_wide(role):
            return _l("the role «%(role)s» needs the code of a school or PPE"), {"role": title}
        return None
    expected = ROLE_UNIT_KIND.get(role)
    if expected and unit_kind != expected:
        return (_l("the role «%(role)s» is held at a unit of kind «%(expected)s», but «%(value)s» is «%(kind)s»"),
                {"role": title, "expected": KIND_LABELS[expected], "value": unit,
                 "kind": KIND_LABELS.get(unit_kind, unit_kind)})
    return None


def parent_loop(code: str, parent: str | None, parents: dict) -> list | None:
    """The loop through `code` that taking `parent` would close (given every unit's parent code), or None."""
    path, seen = [code], {code}
    while parent is not None:
        path.append(parent)
        if parent == code:
            return path
        if parent in seen:
            return None  # a loop above, not through `code`: reported on its own rows
        seen.add(parent)
        parent = parents.get(parent)
    return None
