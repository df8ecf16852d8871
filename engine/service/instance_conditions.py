"""Conditions on an instance's business variables for the instance list: `опоздание > 3`, `статус содержит готов`,
`сдано < 01.02.2021`, `fix_days >= 7`, `школа_готова = да`, several joined by ` и ` (or by the English words:
`late_days > 3 and status_text contains готов`).

Three variables are columns of process_instance (engine.projection: `late_days`, `status_text`, `submitted_on`,
with the Russian names the page's hint gives); any other name is a variable of the process data, read from the
top-level numbers, yes/no values, dates and short texts each step keeps in `process_instance.variables`
(engine.projection.kept_variables). A variable's value decides how it is compared: a number compares with the
numbers, да/нет with the yes/no values, a date (01.02.2021) with the dates, anything else with the texts; an
instance whose variable holds another kind of value, or none, does not match. Each condition is parsed strictly;
one that cannot be read is reported in words and left out, so that a typo never turns into a list filtered by
something else (and a variable no instance has is named: `unknown_variables`)."""
import operator
import re
from datetime import date
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ..db import db, is_postgres
from ..models import ProcessInstance

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "contains")
# field -> (kind, the operators it takes)
FIELDS = {
    "late_days": ("int", ("=", "!=", "<", "<=", ">", ">=")),
    "submitted_on": ("date", ("=", "!=", "<", "<=", ">", ">=")),
    "status_text": ("text", ("=", "!=", "contains")),
}
# The names people type (the page's hint shows these), beside the column names.
NAMES = {"опоздание": "late_days", "статус": "status_text", "сдано": "submitted_on"}
_CONTAINS = ("contains", "содержит")
_AND = re.compile(r"\s+(?:and|и)\s+", re.IGNORECASE)
_CONDITION = re.compile(r"^\s*([^\W\d]\w*)\s*(<=|>=|!=|=|<|>|\s+(?:contains|содержит)\s+)\s*(.*?)\s*$",
                        re.IGNORECASE | re.DOTALL)
_QUOTES = {'"': '"', "'": "'", "«": "»"}
MAX_TEXT = 500  # the longest condition string read


_YES, _NO = ("да", "true"), ("нет", "false")
_NUMBER = re.compile(r"-?\d{1,15}(?:[.,]\d{1,15})?")
_COMPARED = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
             ">=": operator.ge}


class Condition(NamedTuple):
    field: str
    op: str
    value: int | float | bool | str  # a number, a yes/no, an ISO date or a text
    variable: bool = False           # a variable of the process data, not a column

    def clause(self):
        """This condition on ProcessInstance. A NULL matches no condition (SQL's reading, and the list's)."""
        if self.op == "contains":  # case-sensitive on both databases (SQLite's LIKE ignores the case of Latin only)
            return (func.strpos if is_postgres() else func.instr)(self._operand(), self.value) > 0
        return _COMPARED[self.op](self._operand(), self.value)

    def _operand(self):
        """The column, or the variable's value where it is of the kind the condition's value is (else NULL)."""
        if not self.variable:
            return getattr(ProcessInstance, self.field)
        kind, of_type = _kind(self.value, self.op), variable_type(self.field)
        value = ProcessInstance.variables[self.field]
        if is_postgres():
            return {"number": case((of_type == "number", value.as_float())),
                    "yes/no": case((of_type == "boolean", value.as_string())),
                    "text": case((of_type == "string", value.as_string()))}[kind]
        return {"number": case((of_type.in_(("integer", "real")), value.as_float())),
                "yes/no": case((of_type.in_(("true", "false")), of_type)),
                "text": case((of_type == "text", value.as_string()))}[kind]

    def matches(self, instance) -> bool:
        """The same condition in Python, over an instance's columns (what the tests compare the SQL with)."""
        if self.variable:
            actual = (instance.variables or {}).get(self.field)
            kind = _kind(self.value, self.op)
            if kind == "yes/no":
                actual = str(actual).lower() if isinstance(actual, bool) else None
            elif kind == "number":
                actual = actual if isinstance(actual, int | float) and not isinstance(actual, bool) else None
            elif not isinstance(actual, str):
                actual = None
        else:
            actual = getattr(instance, self.field)
        if actual is None:
            return False
        if self.op == "contains":
            return self.value in actual
        return _COMPARED[self.op](actual, self.value)


def _kind(value, op: str) -> str:
    if op == "contains" or isinstance(value, str) and value not in ("true", "false"):
        return "text"
    return "number" if isinstance(value, int | float) else "yes/no"


def variable_type(name: str):
    """The JSON type of the variable `name` kept for an instance (NULL where it has none), as the database names
    it: PostgreSQL's number/string/boolean, SQLite's integer/real/text/true/false."""
    if is_postgres():
        return func.json_typeof(ProcessInstance.variables[name])
    return func.json_type(ProcessInstance.variables, f'$."{name}"')  # a name is an identifier: nothing to escape


def unknown_variables(conditions: list[Condition]) -> list[str]:
    """A message for each variable the conditions name that no instance keeps (a typo, most likely): one
    statement per variable, so the list asks only when it found nothing."""
    return [str(_l("No instance has a variable «%(name)s»: is it spelt as in the diagram?", name=c.field))
            for c in conditions if c.variable and db.session.scalar(
                select(ProcessInstance.id).where(variable_type(c.field).is_not(None)).limit(1)) is None]


def parse_conditions(text: str | None) -> tuple[list[Condition], list[str]]:
    """(the conditions read, a message in words for each part that could not be read)."""
    conditions, problems = [], []
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        return [], [str(_l("The conditions are too long (up to %(n)s characters).", n=MAX_TEXT))]
    for part in (p for p in _AND.split(text) if p.strip()):
        try:
            conditions.append(_parse_one(part.strip()))
        except ValueError as exc:
            problems.append(str(exc))
    return conditions, problems


def _parse_one(part: str) -> Condition:
    found = _CONDITION.match(part)
    if found is None:
        raise ValueError(_l("Cannot read the condition «%(text)s»: write a variable, an operator and a value, "
                            "e.g. опоздание > 3.", text=part))
    named, op, raw = found.group(1), found.group(2).strip().lower(), _unquoted(found.group(3))
    field = NAMES.get(named.lower(), named.lower())
    op = "contains" if op in _CONTAINS else op
    if raw == "":
        raise ValueError(_l("The condition «%(text)s» has no value.", text=part))
    if field not in FIELDS:
        return _on_variable(named, op, raw, quoted=raw != found.group(3))
    kind, allowed = FIELDS[field]
    if op not in allowed:
        raise ValueError(_l("The operator «%(op)s» does not apply to %(field)s (use %(allowed)s).",
                            op=found.group(2).strip(), field=named,
                            allowed=" ".join("содержит" if a == "contains" else a for a in allowed)))
    if kind == "int":
        if not re.fullmatch(r"-?\d{1,9}", raw):
            raise ValueError(_l("%(field)s takes a whole number, not «%(value)s».", field=named, value=raw))
        return Condition(field, op, int(raw))
    if kind == "date":
        return Condition(field, op, _day(named, raw).isoformat())
    return Condition(field, op, raw)


def _on_variable(named: str, op: str, raw: str, quoted: bool) -> Condition:
    """A condition on a variable of the process data, named as the diagram names it (its case kept), compared as
    its value reads (a quoted value is a text)."""
    if op == "contains" or quoted and op in ("=", "!="):
        return Condition(named, op, raw, True)
    if _NUMBER.fullmatch(raw):
        number = float(raw.replace(",", "."))
        return Condition(named, op, int(number) if number.is_integer() else number, True)
    if raw.lower() in _YES + _NO:
        if op not in ("=", "!="):
            raise ValueError(_l("The operator «%(op)s» does not apply to yes/no values (use = !=).", op=op))
        return Condition(named, op, "true" if raw.lower() in _YES else "false", True)
    if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2}", raw):
        return Condition(named, op, _day(named, raw).isoformat(), True)
    if op not in ("=", "!="):
        raise ValueError(_l("The operator «%(op)s» does not apply to the text «%(value)s» (use = != содержит; "
                            "< and > compare numbers and dates).", op=op, value=raw))
    return Condition(named, op, raw, True)


def _unquoted(raw: str) -> str:
    if len(raw) >= 2 and raw[0] in _QUOTES and raw[-1] == _QUOTES[raw[0]]:
        return raw[1:-1]
    return raw


def _day(field: str, raw: str) -> date:
    """A date as ISO (2021-02-01) or as people write it (01.02.2021)."""
    try:
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", raw):
            day, month, year = (int(p) for p in raw.split("."))
            return date(year, month, day)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise ValueError(_l("%(field)s takes a date (2021-02-01 or 01.02.2021), not «%(value)s».", field=field,
                        value=raw))
