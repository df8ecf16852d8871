"""The plan catalogue: the programme's items with their windows, roles and the process that implements each.

Three files make it, all in processes/plan/: the programme as the department wrote it (markdown), items.json (the
process, scope and parameters of each item, chosen by hand) and the exam calendar (dates some items point at). The
catalogue is all or nothing: `load` either returns every item ready to start, or raises InvalidDefinition listing
every problem it found, each naming its item, so one run of `plan check` shows everything to fix.
"""
import copy
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flask_babel import lazy_gettext as _l

from ..errors import InvalidDefinition
from . import carriers
from .carriers import CarriedBy
from .catalogue_checks import check_params, check_staff_exams
from .executors import HEAD_OF, parse_executors
from .source import SourceRow, read_plan
from .windows import Anomaly, Deadline, DeadlineError, Window, parse_deadline, school_year_of

__all__ = ["Anomaly", "Catalogue", "Part", "PlanEntry", "Window", "load", "load_default", "PROCESSES", "SCOPES"]

PROCESSES = ("plan_dept_task", "plan_school_report", "plan_event_reports", "plan_order", "plan_year_activity",
             "ppe_tech_check", "final_essay", "oral_interview", "ppe_stage2_act", "ppe_staff_list", "ege_choices",
             "parent_meetings", "plan_analysis", "plan_council_decisions", "staff_certification", "plan_events")
SCOPES = ("department", "schools", "ppe")
# A process only makes sense for some scopes: an order is the city's, a school report comes from many units.
_SCOPES_OF = {
    "plan_dept_task": ("department",),
    "plan_school_report": ("schools", "ppe"),
    "plan_event_reports": ("schools",),  # 5.2: a report after each event of the exam calendar (params.events)
    "plan_order": ("department",),
    "plan_year_activity": ("department", "schools"),
    "ppe_tech_check": ("ppe",),
    "final_essay": ("schools",),       # scenario A6: dates from the exam calendar
    "oral_interview": ("schools",),    # A7
    "ppe_stage2_act": ("ppe",),        # A3: the act waits for the ОВЗ confirmations
    "ppe_staff_list": ("department",),  # A9: each school nominates in an instance of its own (ppe_staff_list_school)
    "ege_choices": ("department",),     # A8: the schools' lists and the re-check, for the RCOI summary
    "parent_meetings": ("department",),  # A10: the city's coverage
    "plan_council_decisions": ("schools",),  # 3.24: three council decisions, each due by its calendar date
    "plan_analysis": ("department",),    # issue 15 §9: the department analyses what the schools sent
    "staff_certification": ("department",),  # A4: the city's round; each person is tested in an instance of their own
    "plan_events": ("department", "schools"),  # issue 15 §7: events recorded with who took part
}
_ITEM_KEYS = {"process", "scope", "params", "lead", "window", "also", "carried_by"}
_PART_KEYS = {"process", "scope", "params", "lead"}
_WINDOW_KEYS = {"starts", "ends", "why"}

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / "processes" / "plan"


@dataclass(frozen=True)
class Part:
    """An item's share of the work for one kind of unit: its own scope's, or one of items.json "also", where the
    plan names the department and the heads of schools together and each does a share of its own (1.3: the city's
    orders, and each school's local orders)."""
    scope: str
    process: str
    params: dict
    lead_role: str

    def as_dict(self) -> dict:
        return {"scope": self.scope, "process": self.process, "params": dict(self.params), "lead": self.lead_role}


@dataclass(frozen=True)
class PlanEntry:
    section: int
    section_title: str
    number: str
    title: str
    deadline_text: str
    windows: tuple[Window, ...]
    calendar_keys: tuple[str, ...]
    executors_text: str
    roles: tuple[str, ...]
    lead_role: str
    scope: str
    process: str
    params: dict
    anomalies: tuple[Anomaly, ...]
    also: tuple[Part, ...] = ()
    carried_by: CarriedBy | None = None  # items.json "carried_by": another item's task does its work (process "")

    @property
    def parts(self) -> tuple[Part, ...]:
        """Every share of the item: its own (scope, process, params, lead) first, then those of "also"; none for a
        carried item, which runs nothing of its own."""
        if self.carried_by is not None:
            return ()
        return (Part(self.scope, self.process, self.params, self.lead_role),) + self.also

    @property
    def starts(self) -> date | None:
        return self.windows[0].starts if self.windows else None

    @property
    def due(self) -> date | None:
        return self.windows[-1].ends if self.windows else None


@dataclass(frozen=True)
class Catalogue:
    year: str
    school_year: Window
    entries: tuple[PlanEntry, ...]
    title: str = ""
    calendar: dict = field(default_factory=dict)  # the calendar's entries as given, JSON-ready

    def __post_init__(self):
        object.__setattr__(self, "_by_number", {e.number: e for e in self.entries})

    def entry(self, number: str) -> PlanEntry:
        return self._by_number[number]

    @property
    def anomalies(self) -> list[tuple[str, Anomaly]]:
        return [(e.number, a) for e in self.entries for a in e.anomalies]


def load_default() -> Catalogue:
    return load(DEFAULT_DIR / "gia-plan-2020-2021.md", DEFAULT_DIR / "items.json",
                DEFAULT_DIR / "calendar-2020-2021.json")


def load(source: Path, items: Path, calendar: Path | dict) -> Catalogue:
    errors: list = []
    plan = read_plan(Path(source).read_text(encoding="utf-8"))
    errors.extend(plan.problems)
    assignments = _read_json(Path(items), errors)
    calendar_data = calendar if isinstance(calendar, dict) else _read_json(Path(calendar), errors)
    if plan.first_year is None or assignments is None or calendar_data is None:
        _refuse(errors)  # nothing below can be read without these

    school_year = school_year_of(plan.first_year)
    dates = _read_calendar(calendar_data, school_year, errors)
    assignments = {k: v for k, v in assignments.items() if not k.startswith("_")}
    entries = [_entry(row, assignments.get(row.number), school_year, dates, errors) for row in plan.rows]
    numbers = {row.number for row in plan.rows}
    for number in assignments:
        if number not in numbers:
            errors.append(_l("items.json names item %(number)s, which the plan does not have.", number=number))
    carriers.check(entries, numbers, errors)
    if errors:
        _refuse(errors)
    return Catalogue(year=f"{plan.first_year}/{(plan.first_year + 1) % 100:02d}", school_year=school_year,
                     entries=tuple(entries), title=plan.title,
                     calendar=copy.deepcopy({k: v for k, v in calendar_data.items() if not k.startswith("_")}))


def _refuse(errors: list):
    raise InvalidDefinition([str(e) for e in errors])


def _read_json(path: Path, errors: list) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # missing, unreadable or not JSON
        errors.append(_l("%(file)s cannot be read: %(error)s", file=path.name, error=str(exc)))
        return None
    if not isinstance(data, dict):
        errors.append(_l("%(file)s must hold a JSON object.", file=path.name))
        return None
    return data


def _read_calendar(data: dict, school_year: Window, errors: list) -> dict[str, Window | None]:
    """Calendar key → its window, or None while it has no date."""
    dates = {}
    for key, value in data.items():
        if key.startswith("_"):
            continue
        window = calendar_window(value)
        if window is False:
            errors.append(_l("Calendar entry «%(key)s»: %(value)s is neither a date (YYYY-MM-DD) nor a "
                             "starts/ends pair in order.", key=key, value=json.dumps(value, ensure_ascii=False)))
            continue
        dates[key] = window
    if dates.get("school_year") not in (None, school_year):
        errors.append(_l("The calendar is for the school year %(calendar)s, the plan for %(plan)s.",
                         calendar=str(dates["school_year"]), plan=str(school_year)))
    else:
        for key, window in dates.items():
            if window is not None and not (school_year.starts <= window.starts and window.ends <= school_year.ends):
                errors.append(_l("Calendar entry «%(key)s» (%(window)s) lies outside the school year "
                                 "%(school_year)s.", key=key, window=str(window), school_year=str(school_year)))
    return dates


def calendar_window(value) -> Window | None | bool:
    """A calendar entry's window: None for «no date yet», False when it cannot be read."""
    if not isinstance(value, dict):
        return False
    try:
        if "date" in value:
            return None if value["date"] is None else Window(*[date.fromisoformat(value["date"])] * 2)
        if value.get("starts") is None and value.get("ends") is None:
            return None
        window = Window(date.fromisoformat(value["starts"]), date.fromisoformat(value["ends"]))
    except (KeyError, TypeError, ValueError):
        return False
    return window if window.starts <= window.ends else False


def _entry(row: SourceRow, assignment, school_year: Window, dates: dict, errors: list) -> PlanEntry | None:
    """The item's entry, or None after adding its problems to `errors`."""
    found = len(errors)
    try:
        deadline = parse_deadline(row.number, row.deadline_text, school_year, dates)
    except DeadlineError as exc:
        errors.append(exc.message)
        deadline = None

    roles, unknown = parse_executors(row.executors_text)
    for text in unknown:
        errors.append(_l("Item %(number)s: unknown executor «%(text)s» in «%(executors)s».",
                         number=row.number, text=text, executors=row.executors_text))
    if not roles and not unknown:
        errors.append(_l("Item %(number)s: no executors given.", number=row.number))

    if assignment is None:
        errors.append(_l("Item %(number)s («%(title)s») has no entry in items.json.",
                         number=row.number, title=_short(row.title)))
        return None
    if not isinstance(assignment, dict):
        errors.append(_l("Item %(number)s: its items.json entry must be an object with process, scope and "
                         "params; found «%(value)s».", number=row.number, value=json.dumps(assignment)))
        return None
    carried = carriers.read(row.number, assignment, errors) if "carried_by" in assignment else None
    if "carried_by" in assignment:  # its scope and lead say whose tasks it follows; the process is the carrier's
        assignment = {"process": "", **assignment}
    process, scope, params = assignment.get("process"), assignment.get("scope"), assignment.get("params", {})
    _check_assignment(row.number, assignment, errors, carried="carried_by" in assignment)
    check_staff_exams(row.number, process, params, dates, errors)
    lead = _lead_role(row.number, assignment, roles, errors)
    if deadline is not None and "window" in assignment:
        deadline = _set_by_hand(row, deadline, assignment["window"], school_year, errors)
    also = _also(row.number, assignment, roles, errors)
    if len(errors) > found:
        return None
    return PlanEntry(
        section=row.section, section_title=row.section_title, number=row.number, title=row.title,
        deadline_text=row.deadline_text, windows=deadline.windows, calendar_keys=deadline.calendar_keys,
        executors_text=row.executors_text, roles=roles, lead_role=lead, scope=scope, process=process,
        params=dict(params), anomalies=deadline.anomalies, also=also, carried_by=carried)


def _also(number: str, assignment: dict, roles: tuple[str, ...], errors: list) -> tuple[Part, ...]:
    """The item's shares for other kinds of unit (items.json "also": a list of {"scope", "process", "params",
    "lead"}, process and params defaulting to the item's). One share per kind of unit: an instance is unique per
    item and unit."""
    also = assignment.get("also", [])
    if not (isinstance(also, list) and all(isinstance(part, dict) for part in also)):
        errors.append(_l("Item %(number)s: \"also\" in items.json must be a list of objects with scope, process "
                         "and params.", number=number))
        return ()
    parts, scopes = [], [assignment.get("scope")]
    for given in also:
        part = {"process": assignment.get("process"), "params": assignment.get("params", {}), **given}
        found = len(errors)
        for key in sorted(set(given) - _PART_KEYS):
            errors.append(_l("Item %(number)s: unknown key «%(key)s» in items.json.", number=number, key=key))
        _check_assignment(number, {k: v for k, v in part.items() if k in _PART_KEYS}, errors)
        if part.get("scope") in scopes:
            errors.append(_l("Item %(number)s: it runs for «%(scope)s» twice; one share per kind of unit.",
                             number=number, scope=part.get("scope")))
        scopes.append(part.get("scope"))
        lead = _lead_role(number, part, roles, errors)
        if len(errors) == found:
            parts.append(Part(part["scope"], part["process"], dict(part["params"]), lead))
    return tuple(parts)


def _check_assignment(number: str, assignment: dict, errors: list, carried: bool = False) -> None:
    process, scope, params = assignment.get("process"), assignment.get("scope"), assignment.get("params", {})
    for key in sorted(set(assignment) - _ITEM_KEYS):
        errors.append(_l("Item %(number)s: unknown key «%(key)s» in items.json.", number=number, key=key))
    if carried:
        if scope not in SCOPES:
            errors.append(_l("Item %(number)s: unknown scope «%(scope)s»; allowed: %(allowed)s.",
                             number=number, scope=scope, allowed=", ".join(SCOPES)))
        return
    if process not in PROCESSES:
        errors.append(_l("Item %(number)s: unknown process «%(process)s»; allowed: %(allowed)s.",
                         number=number, process=process, allowed=", ".join(PROCESSES)))
    if scope not in SCOPES:
        errors.append(_l("Item %(number)s: unknown scope «%(scope)s»; allowed: %(allowed)s.",
                         number=number, scope=scope, allowed=", ".join(SCOPES)))
    elif process in PROCESSES and scope not in _SCOPES_OF[process]:
        errors.append(_l("Item %(number)s: %(process)s cannot run with scope «%(scope)s»; allowed: %(allowed)s.",
                         number=number, process=process, scope=scope, allowed=", ".join(_SCOPES_OF[process])))
    if not isinstance(params, dict):
        errors.append(_l("Item %(number)s: params must be an object; found «%(value)s».",
                         number=number, value=json.dumps(params, ensure_ascii=False)))
        return
    check_params(number, process, params, errors)


def _set_by_hand(row: SourceRow, deadline: Deadline, window, school_year: Window, errors: list) -> Deadline:
    """The item's window as items.json sets it where the law reads the text otherwise (3.26: «январь», but
    applications are taken until 1 February inclusive): one window from "starts" and "ends" (each defaults to the
    text's), flagged with its "why" so the department sees it differs from what it wrote."""
    if deadline.calendar_keys:
        # A calendar move reads the text again (dates.set_calendar_date) and would undo the window silently.
        errors.append(_l("Item %(number)s: «%(text)s» takes its dates from the calendar (%(keys)s); set the date "
                         "there, not as a window in items.json.", number=row.number, text=row.deadline_text,
                         keys=", ".join(deadline.calendar_keys)))
        return deadline
    try:
        if not (isinstance(window, dict) and set(window) <= _WINDOW_KEYS and {"starts", "ends"} & set(window)
                and isinstance(window.get("why"), str) and window["why"].strip()):
            raise ValueError
        starts = date.fromisoformat(window["starts"]) if "starts" in window else deadline.windows[0].starts
        ends = date.fromisoformat(window["ends"]) if "ends" in window else deadline.windows[-1].ends
    except (TypeError, ValueError):
        errors.append(_l("Item %(number)s: \"window\" in items.json must hold \"why\" (the reason) and \"starts\" "
                         "and/or \"ends\" as YYYY-MM-DD; found «%(value)s».", number=row.number,
                         value=json.dumps(window, ensure_ascii=False)))
        return deadline
    fixed = Window(starts, ends)
    if not (school_year.starts <= starts <= ends <= school_year.ends):
        errors.append(_l("Item %(number)s: the window %(window)s set in items.json must start before it ends and "
                         "lie in the school year %(school_year)s.", number=row.number,
                         window=f"{starts:%d.%m.%Y}–{ends:%d.%m.%Y}", school_year=str(school_year)))
        return deadline
    return Deadline((fixed,), (), deadline.anomalies + (Anomaly("window_adjusted", _l(
        "Item %(number)s: «%(text)s» is taken as %(window)s: %(why)s", number=row.number, text=row.deadline_text,
        window=str(fixed), why=window["why"].strip())),))


def _lead_role(number: str, assignment: dict, roles: tuple[str, ...], errors: list) -> str | None:
    if "lead" in assignment:
        lead = assignment["lead"]
    elif assignment.get("scope") == "schools":
        lead = "school_head"
    elif assignment.get("scope") == "ppe":
        lead = "ppe_head"  # a PPE's tasks belong to its unit, where the PPE head (not the school head) works
    else:
        lead = next((role for role in roles if role != "school_head"), None)
        if lead is None:
            errors.append(_l("Item %(number)s: no department executor to lead the work; give \"lead\" in "
                             "items.json.", number=number))
            return None
    if lead not in HEAD_OF:
        # The processes escalate a late task to the lead's head, so a lead must be one HEAD_OF knows.
        errors.append(_l("Item %(number)s: unknown lead role «%(role)s»; allowed: %(allowed)s.",
                         number=number, role=lead, allowed=", ".join(HEAD_OF)))
        return None
    return lead


def _short(text: str, limit: int = 60) -> str:
    line = text.split("\n", 1)[0]
    return line if len(line) <= limit else line[:limit - 1].rstrip() + "…"
