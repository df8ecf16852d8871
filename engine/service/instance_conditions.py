"""Conditions on an instance's business variables for the instance list: `опоздание > 3`, `статус содержит готов`,
`сдано < 01.02.2021`, several joined by ` и ` (or by their column names and English words: `late_days > 3 and
status_text contains готов`).

Only the variables the projections keep as columns of process_instance (engine.projection: `late_days`,
`status_text`, `submitted_on`) can be filtered: the rest of a process's data lives inside its serialized state,
which SQL cannot read at the scale of a city. Each condition is parsed strictly; one that cannot be read is
reported in words and left out, so that a typo never turns into a list filtered by something else."""
import re
from datetime import date
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from ..db import is_postgres
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


class Condition(NamedTuple):
    field: str
    op: str
    value: int | str  # late_days: int; submitted_on: an ISO date; status_text: text

    def clause(self):
        """This condition on ProcessInstance. A NULL column matches no condition (SQL's reading, and the list's)."""
        column = getattr(ProcessInstance, self.field)
        if self.op == "contains":  # case-sensitive on both databases (SQLite's LIKE ignores the case of Latin only)
            return (func.strpos if is_postgres() else func.instr)(column, self.value) > 0
        return {"=": column.__eq__, "!=": column.__ne__, "<": column.__lt__, "<=": column.__le__,
                ">": column.__gt__, ">=": column.__ge__}[self.op](self.value)

    def matches(self, instance) -> bool:
        """The same condition in Python, over an instance's columns (what the tests compare the SQL with)."""
        actual = getattr(instance, self.field)
        if actual is None:
            return False
        if self.op == "contains":
            return self.value in actual
        return {"=": actual == self.value, "!=": actual != self.value, "<": actual < self.value,
                "<=": actual <= self.value, ">": actual > self.value, ">=": actual >= self.value}[self.op]


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
    if field not in FIELDS:
        raise ValueError(_l("Unknown variable «%(field)s» in «%(text)s»: the list can be filtered by %(fields)s.",
                            field=named, text=part, fields=", ".join(NAMES)))
    kind, allowed = FIELDS[field]
    if op not in allowed:
        raise ValueError(_l("The operator «%(op)s» does not apply to %(field)s (use %(allowed)s).",
                            op=found.group(2).strip(), field=named,
                            allowed=" ".join("содержит" if a == "contains" else a for a in allowed)))
    if raw == "":
        raise ValueError(_l("The condition «%(text)s» has no value.", text=part))
    if kind == "int":
        if not re.fullmatch(r"-?\d{1,9}", raw):
            raise ValueError(_l("%(field)s takes a whole number, not «%(value)s».", field=named, value=raw))
        return Condition(field, op, int(raw))
    if kind == "date":
        return Condition(field, op, _day(named, raw).isoformat())
    return Condition(field, op, raw)


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
