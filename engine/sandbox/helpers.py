"""Functions a diagram may call in its expressions and scripts.

Dates travel through process data as ISO strings ("2021-03-19"), because task data must stay plain JSON and a
timer's timeDate expression must yield an ISO string. Times are read in the department's zone.

The functions (HELPERS, at the end): today(), now(), add_days(d, n), add_working_days(d, n), day_at(d, hour, minute),
end_of_day(d), days_between(a, b), days_late(due, done), format_date(d), notify(role, unit, text, kind),
calendar_date(key, part), school_reports(number, details), staff_certification(email), unique_id().
"""
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from uuid import uuid4

from .. import clock

_notifications: ContextVar[list | None] = ContextVar("gia_notifications", default=None)


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.astimezone(clock.local_zone()).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    if "T" in text or " " in text.strip():
        return _as_date(datetime.fromisoformat(text))
    return date.fromisoformat(text)


def today() -> str:
    return clock.now().astimezone(clock.local_zone()).date().isoformat()


def now() -> str:
    return clock.now().astimezone(clock.local_zone()).isoformat(timespec="seconds")


def unique_id() -> str:
    """A value no other call returns (a random UUID, 32 hex digits): scripts see no instance id, and `now()` is the
    same for two instances started in the same second, so a correlation value that must be one instance's own
    (a collection's reference, awaited by that instance only) takes this."""
    return uuid4().hex


def add_days(value, days: int) -> str:
    return (_as_date(value) + timedelta(days=int(days))).isoformat()


def _no_special_days() -> dict:
    return {}


_working_calendar = [_no_special_days]


def use_working_calendar(source) -> None:
    """Where add_working_days reads the production calendar: a function returning {date: is a working day} for the
    days that break the Monday–Friday rule (the engine gives engine.plan.working_days.special_days)."""
    _working_calendar[0] = source or _no_special_days


def add_working_days(value, days: int) -> str:
    """The day `days` working days after `value` (before it when negative), by the production calendar: holidays,
    transferred days off and decree non-working days are skipped, a Saturday made a working day counts. With 0,
    `value` itself, working day or not."""
    special = _working_calendar[0]()  # read once: the loop below asks about each day
    current, step, left = _as_date(value), (1 if days >= 0 else -1), abs(int(days))
    while left:
        current += timedelta(days=step)
        if special.get(current, current.weekday() < 5):
            left -= 1
    return current.isoformat()


def day_at(value, hour: int = 9, minute: int = 0) -> str:
    """That day at that local time, as an ISO datetime with offset: what a timer's timeDate expects."""
    moment = datetime.combine(_as_date(value), time(int(hour), int(minute)), tzinfo=clock.local_zone())
    return moment.isoformat(timespec="seconds")


def end_of_day(value) -> str:
    """The moment a deadline of that day has passed: midnight at its end, local time."""
    return day_at(add_days(value, 1), 0)


def days_between(start, end) -> int:
    return (_as_date(end) - _as_date(start)).days


def days_late(due, done=None) -> int:
    """Whole days after `due` that `done` (default: today) falls; 0 when on time."""
    return max(0, days_between(due, done if done is not None else today()))


def format_date(value) -> str:
    return clock.ru_date(_as_date(value)) if value else ""


def notify(role, unit, text, kind="info"):
    """Address a notification to everyone holding `role` in `unit` (None: the whole city for that role).

    It is stored in the same transaction as the step that raised it, so it exists exactly when the step does.
    """
    box = _notifications.get()
    if box is not None:
        box.append({"role": role, "unit": unit, "text": str(text), "kind": str(kind)})
    return True


def collecting_notifications():
    box: list = []
    return box, _notifications.set(box)


def stop_collecting(token) -> None:
    _notifications.reset(token)


def _no_calendar() -> dict:
    return {}


_calendar_source = [_no_calendar]


def use_calendar_source(source) -> None:
    """Where calendar_date reads the exam calendar: a function returning {key: {"date"} | {"starts", "ends"}}
    (the engine gives the calendar of the plan of the school year in progress)."""
    _calendar_source[0] = source or _no_calendar


def calendar_date(key, part="date"):
    """A date of the exam calendar as an ISO string, None while the calendar does not give it: the day (or the
    first day of a period), or with part="ends" the last day. Processes read exam dates here, so that a
    supervisor's change of the calendar reaches them instead of dates written into the diagram."""
    entry = _calendar_source[0]().get(str(key)) or {}
    if not isinstance(entry, dict):
        return None
    if part == "ends":
        return entry.get("ends") or entry.get("date")
    return entry.get("date") or entry.get("starts")


def _no_reports(number, details=False) -> dict:
    return {"due": None, "total": 0, "handed_in": 0, "rows": []}


_reports_source = [_no_reports]


def use_reports_source(source) -> None:
    """Where school_reports reads what the schools handed in for a plan item (the engine gives
    engine.plan.analysis.school_reports)."""
    _reports_source[0] = source or _no_reports


def school_reports(number, details=False) -> dict:
    """The schools' reports of plan item `number`: {due, total, handed_in, rows} (rows with `details` only), for
    a department's analysis of what the schools sent (processes/plan_analysis.bpmn)."""
    return _reports_source[0](str(number), bool(details))


def _no_certifications(email) -> None:
    return None


_certification_source = [_no_certifications]


def use_certification_source(source) -> None:
    """Where staff_certification reads the knowledge tests of PPE staff (the engine gives the latest
    staff_certification instance of the person)."""
    _certification_source[0] = source or _no_certifications


def staff_certification(email):
    """The knowledge test (аттестация, plan 3.19) of the PPE staff member with this e-mail, for the staff list:
    {"status": "certified" | "removed" | "pending", "status_text"}, None when none was started. The person is found
    by e-mail, as the schools give it for every nominee; case does not matter."""
    key = str(email or "").strip().lower()
    return _certification_source[0](key) if key else None


HELPERS = {f.__name__: f for f in (today, now, add_days, add_working_days, day_at, end_of_day, days_between,
                                   days_late, format_date, notify, calendar_date, school_reports, staff_certification,
                                   unique_id)}
